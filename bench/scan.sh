#!/usr/bin/env bash
# Scan benchmark: artifacts/s and MB/s of `guard scan` over a folder.
# Usage: bench/scan.sh [DIR] [RUNS]   (default DIR: ../shared/corpus/malicious, RUNS: 3; NO_BUILD=1 skips the build)
# Writes bench/runs/<date>-<host>/scan.txt with the command, versions, samples and mean ± stddev.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/corpus/malicious}
runs=${2:-3}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
bin=target/release/guard
count=$(find "$dir" -type f \( -name '*.whl' -o -name '*.tar.gz' -o -name '*.tgz' -o -name '*.zip' -o -name '*.egg' -o -name '*.tar.bz2' -o -name '*.tar.xz' \) | wc -l)
bytes=$(find "$dir" -type f \( -name '*.whl' -o -name '*.tar.gz' -o -name '*.tgz' -o -name '*.zip' -o -name '*.egg' -o -name '*.tar.bz2' -o -name '*.tar.xz' \) -printf '%s\n' | awk '{s+=$1} END {print s}')
out="bench/runs/$(date +%Y-%m-%d)-$(hostname)"
load=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$out"
samples=()
cpu=()
for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    # user+sys CPU as well as wall: the machine is shared, and 2 cores bound the wall time.
    /usr/bin/time -f '%U %S' -o /tmp/guard-bench.time "$bin" scan --format json "$dir" > /tmp/guard-bench.json || true
    end=$(date +%s.%N)
    samples+=("$(echo "$end - $start" | bc)")
    cpu+=("$(tail -1 /tmp/guard-bench.time | awk '{printf "%.2f", $1 + $2}')")
done
scanned=$(python3 -c 'import json,sys; print(len(json.load(open("/tmp/guard-bench.json"))["artifacts"]))')
{
    echo "command: $bin scan --format json $dir"
    echo "guard: $($bin --version)"
    echo "rustc: $(rustc --version)"
    echo "machine: $(nproc) cores, $(uname -srm)"
    echo "artifacts: $count found, $scanned scanned (equal work check), $((bytes / 1000000)) MB"
    echo "load average before: $load"
    echo "samples (s): ${samples[*]}"
    echo "user+sys CPU per run (s): ${cpu[*]}"
    printf '%s\n' "${samples[@]}" | awk -v n="$count" -v b="$bytes" '{s+=$1; q+=$1*$1; k++} END {m=s/k; sd=sqrt(q/k-m*m); printf "wall: %.2f ± %.2f s  ->  %.0f artifacts/s, %.1f MB/s\n", m, sd, n/m, b/m/1e6}'
} | tee "$out/scan.txt"
