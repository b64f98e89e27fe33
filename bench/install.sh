#!/usr/bin/env bash
# Opt-in benchmark (needs the live index): real installs into fresh virtual
# environments, cold and warm caches, medians of N runs, for
#   pip          python -m pip install SET
#   uv           uv pip install --python VENV SET
#   guard+pip    guard install SET                      (resolve, download, inspect, pip)
#   guard+uv     guard install --installer uv SET       (same, uv installs)
# and guard's install of two sdists (built once, then taken from guard's
# built-wheel cache).
#
#   bench/install.sh [RUNS]        (default 3; SET: flask httpx rich pydantic sqlalchemy)
#
# Not equal work: guard also inspects every file and hands pip exactly those;
# pip and uv install straight from the index. Every run gets a fresh venv;
# "cold" = empty cache, "warm" = the cache the previous cold run filled.
set -eu
cd "$(dirname "$0")/.."
GUARD=${GUARD:-$PWD/target/release/guard}
PY=${PYTHON:-python3}
UV=${UV:-$(command -v uv)}
RUNS=${1:-3}
SET=(flask httpx rich pydantic sqlalchemy)
SDISTS=(--no-binary six,termcolor six termcolor)
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS || true

venv() { rm -rf "$WORK/venv"; "$PY" -m venv "$WORK/venv"; echo "$WORK/venv/bin/python"; }
secs() { local s e; s=$(date +%s.%N); "$@" >"$WORK/out.log" 2>&1 || { echo "FAILED: $*" >&2; tail -20 "$WORK/out.log" >&2; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A R
measure() { # label, cache-reset command, install command (uses $P for the venv python)
  local label=$1 reset=$2 cmd=$3 cold=() warm=()
  for _ in $(seq "$RUNS"); do
    eval "$reset"
    P=$(venv); cold+=("$(eval "secs $cmd")")
    P=$(venv); warm+=("$(eval "secs $cmd")")
  done
  R[$label cold]=$(median "${cold[@]}"); R[$label warm]=$(median "${warm[@]}")
  printf '%-10s cold %6.2f s   warm %6.2f s   (samples cold: %s; warm: %s)\n' "$label" "${R[$label cold]}" "${R[$label warm]}" "${cold[*]}" "${warm[*]}"
}

echo "set: ${SET[*]}   runs: $RUNS   $(uname -m) $(nproc) cores   python: $($PY --version 2>&1)"
echo "guard: $($GUARD --version)   pip: $($PY -m pip --version | cut -d' ' -f2)   uv: $($UV --version)"
measure pip      'rm -rf $WORK/pc'  '$P -m pip install -q --cache-dir $WORK/pc "${SET[@]}"'
measure uv       'rm -rf $WORK/uc'  'env UV_CACHE_DIR=$WORK/uc $UV pip install -q --python $P "${SET[@]}"'
measure guard+pip 'rm -rf $WORK/gc' '$GUARD install -q --yes --python $P --cache-dir $WORK/gc "${SET[@]}"'
measure guard+uv 'rm -rf $WORK/gc2 $WORK/uc2' 'env UV_CACHE_DIR=$WORK/uc2 GUARD_UV=$UV $GUARD install -q --yes --installer uv --python $P --cache-dir $WORK/gc2 "${SET[@]}"'
measure sdists   'rm -rf $WORK/gc3' '$GUARD install -q --yes --python $P --cache-dir $WORK/gc3 "${SDISTS[@]}"'

ratio() { echo "scale=2; $1 / $2" | bc; }
echo
echo "guard+uv warm / pip warm      = $(ratio "${R[guard+uv warm]}" "${R[pip warm]}")   (target <= 0.3)"
echo "guard+uv warm / uv warm       = $(ratio "${R[guard+uv warm]}" "${R[uv warm]}")   (target <= 3)"
echo "guard+pip cold / pip cold     = $(ratio "${R[guard+pip cold]}" "${R[pip cold]}")   (target <= 0.8)"
echo "guard sdists warm / cold      = $(ratio "${R[sdists warm]}" "${R[sdists cold]}")   (target <= 0.3)"
