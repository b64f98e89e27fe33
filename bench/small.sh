#!/usr/bin/env bash
# Small-artifact latency: wall time of one `guard scan` of a small wheel,
# process start-up included (issue 11: <= 10 ms). Many runs, median and
# user+sys CPU per run; the machine's load average is printed because other
# builds share the cores.
# Usage: bench/small.sh [ARTIFACT] [RUNS]   (default: a 1-file wheel built here, 200 runs; NO_BUILD=1 skips the build)
# Writes bench/runs/<date>-<host>/small.txt with the command, versions and samples.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${2:-200}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
bin=target/release/guard
artifact=${1:-}
if [ -z "$artifact" ]; then
    # A tiny wheel built from bytes (never installed or run): one module and its metadata.
    artifact=$(mktemp -d)/tiny-1.0-py3-none-any.whl
    python3 - "$artifact" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("tiny/__init__.py", "def add(a, b):\n    return a + b\n")
    z.writestr("tiny-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\nSummary: adds\n")
    z.writestr("tiny-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("tiny-1.0.dist-info/RECORD", "")
PY
fi
out="bench/runs/$(date +%Y-%m-%d)-$(hostname)"
mkdir -p "$out"
python3 - "$bin" "$artifact" "$runs" <<'PY' | tee "$out/small.txt"
import os, resource, statistics, subprocess, sys, time
bin, artifact, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = [bin, "scan", artifact]
subprocess.run(cmd, stdout=subprocess.DEVNULL)  # warm the page cache
walls, cpus = [], []
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t0)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
ms = lambda s: f"{1000 * s:.2f} ms"
print(f"command: {' '.join(cmd)}")
print(f"guard: {subprocess.run([bin, '--version'], capture_output=True, text=True).stdout.strip()}")
print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
print(f"runs: {runs}")
print(f"wall: median {ms(statistics.median(walls))}, min {ms(min(walls))}, p90 {ms(sorted(walls)[int(0.9 * runs)])}")
print(f"user+sys CPU per run: median {ms(statistics.median(cpus))}")
PY
