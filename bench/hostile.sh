#!/bin/sh
# Peak RSS and time of `guard scan` on the worst hostile archives (issue 7).
# Usage: bench/hostile.sh [OUT_DIR]   (needs /usr/bin/time; ~2 GB of temp files)
set -eu
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
out="${1:-bench/runs/$(date +%F)-$(hostname)}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo build --release --quiet --bin guard --example hostile_files
"$CARGO_TARGET_DIR/release/examples/hostile_files" "$tmp"
{
  echo "# $(git rev-parse --short HEAD) $(rustc --version) $(nproc) cores"
  printf '%-36s %10s %8s %6s %s\n' file bytes peak_kib secs exit+findings
  for f in "$tmp"/*; do
    /usr/bin/time -f '%M %e' -o "$tmp/time" "$CARGO_TARGET_DIR/release/guard" scan --format json "$f" >"$tmp/json" 2>/dev/null && rc=0 || rc=$?
    read -r kib secs <<EOT
$(tail -n 1 "$tmp/time")
EOT
    rules=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(sorted({f["rule"] for a in d["artifacts"] for f in a["findings"]}))+" "+d["artifacts"][0]["verdict"])' "$tmp/json" 2>/dev/null || echo "?")
    printf '%-36s %10s %8s %6s %s %s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$kib" "$secs" "$rc" "$rules"
  done
} | tee "$out/hostile.txt"
