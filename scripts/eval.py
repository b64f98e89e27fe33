#!/usr/bin/env python3
"""Detection-quality harness: recall on malware, false flags on benign packages.

Usage: scripts/eval.py [--guard PATH] [--malicious DIR] [--benign DIR]... [--list]

Runs `guard scan --format json` over each set (nothing is extracted or run:
guard only reads bytes) and prints, per set: flagged/total, the deny share,
a table of rule hits (high/critical findings of flagged artifacts), and with
--list the misses (malicious) and false flags (benign).
Defaults: ../shared/corpus/malicious and ~/.cache/guard-eval/top1000 (made by
../shared/tools/fetch-benign.py ../shared/corpus/benign-top1000.txt ~/.cache/guard-eval/top1000).
Calibration sets of issue 11 (fetched with ../shared/tools/fetch-benign.py from
../shared/corpus/benign-calibration-{popular,longtail}.txt): tune on the first
halves (pop-a, lt-a), measure the second halves (pop-b, lt-b) only at the end:
  scripts/eval.py --list --benign ~/.cache/guard-eval/lt-a --benign ~/.cache/guard-eval/pop-a --benign ~/.cache/guard-eval/top1000
For malware, "by content" counts artifacts flagged by a finding other than
`unreadable-archive` (an artifact guard could not read is denied, not detected).
A second benign set that the rules were not tuned on (projects ranked 1001-1600):
  sed -n 1002,1601p ../shared/corpus/top-pypi-packages.csv | cut -d, -f2 > /tmp/next600.txt
  python3 ../shared/tools/fetch-benign.py /tmp/next600.txt ~/.cache/guard-eval/next600 12
  scripts/eval.py --benign ~/.cache/guard-eval/top1000 --benign ~/.cache/guard-eval/next600
"""
import argparse, collections, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def scan(guard, path):
    out = subprocess.run([guard, "scan", "--format", "json", path], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"guard failed on {path} (exit {out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout)


def kind(path):
    return "wheel" if path.endswith(".whl") else "sdist"


def report(label, doc, malicious, show):
    arts = doc["artifacts"]
    flagged = [a for a in arts if a["verdict"] != "allow"]
    deny = [a for a in arts if a["verdict"] == "deny"]
    n = len(arts)
    print(f"\n== {label}: {n} artifacts in {doc['summary']['seconds']:.1f}s")
    word = "recall" if malicious else "false flags"
    print(f"  {word}: {len(flagged)}/{n} = {100 * len(flagged) / max(n, 1):.2f}%   deny: {len(deny)}/{n} = {100 * len(deny) / max(n, 1):.2f}%")
    if malicious:
        content = [a for a in flagged if any(f["rule"] != "unreadable-archive" and f["severity"] in ("high", "critical") for f in a["findings"])]
        print(f"  flagged by content (not only unreadable): {len(content)}/{n} = {100 * len(content) / max(n, 1):.2f}%")
    if not malicious:
        for k in ("sdist", "wheel"):
            sub = [a for a in arts if kind(a["path"]) == k]
            f = [a for a in sub if a["verdict"] != "allow"]
            d = [a for a in sub if a["verdict"] == "deny"]
            print(f"    {k:6}: flagged {len(f)}/{len(sub)} = {100 * len(f) / max(len(sub), 1):.2f}%, deny {len(d)}")
    hits = collections.Counter()
    for a in flagged:
        for rule in {(f["rule"], f["severity"]) for f in a["findings"] if f["severity"] in ("high", "critical")}:
            hits[rule] += 1
    print("  rule hits on flagged artifacts (high/critical):")
    for (rule, sev), c in sorted(hits.items(), key=lambda x: -x[1]):
        print(f"    {rule:28} {sev:8} {c}")
    if show:
        rows = [a for a in arts if (a["verdict"] == "allow") == malicious]
        print(f"  {'misses' if malicious else 'false flags'} ({len(rows)}):")
        for a in rows:
            top = a["findings"][0] if a["findings"] else None
            why = f"{top['rule']}/{top['severity']}: {top['message'][:100]}" if top else "-"
            print(f"    {a['verdict']:6} {os.path.relpath(a['path'])}  {why}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--guard", default=os.path.join(ROOT, "target", "release", "guard"))
    p.add_argument("--malicious", default=os.path.join(ROOT, "..", "shared", "corpus", "malicious"))
    p.add_argument(
        "--benign",
        action="append",
        help="a benign set (repeatable); default ~/.cache/guard-eval/top1000",
    )
    p.add_argument("--list", action="store_true", help="list misses and false flags")
    a = p.parse_args()
    if not os.path.exists(a.guard):
        sys.exit(f"{a.guard} not found: run `cargo build --release` first")
    benign = a.benign or [os.path.expanduser("~/.cache/guard-eval/top1000")]
    sets = [("malicious", a.malicious, True)] + [
        (f"benign ({os.path.basename(os.path.normpath(b))})", b, False) for b in benign
    ]
    for label, path, mal in sets:
        if os.path.isdir(path):
            report(label, scan(a.guard, path), mal, a.list)
        else:
            print(f"\n== {label}: {path} not found, skipped")


if __name__ == "__main__":
    main()
