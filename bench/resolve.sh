#!/usr/bin/env bash
# Opt-in benchmark (needs the live index): resolve + download a heavy set with
# guard, `pip download` and uv, cold and warm cache. Prints wall times.
#
#   bench/resolve.sh [REQUIREMENT...]     (default: jupyterlab)
#
# Not equal work: guard also inspects every artifact (static scan) and pip
# download fetches too; `uv pip compile` only resolves (it reads metadata, and
# for wheels without PEP 658 files it downloads only the central directory).
set -eu
GUARD=${GUARD:-target/release/guard}
PY=${PYTHON:-python3}
REQS=("$@"); [ ${#REQS[@]} -eq 0 ] && REQS=(jupyterlab)
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || echo "  (failed: $*)"; echo "$(echo "$(date +%s.%N) - $s" | bc)"; }

echo "set: ${REQS[*]}  python: $($PY --version 2>&1)  guard: $($GUARD --version)  uv: $(uv --version 2>/dev/null || echo missing)"
echo "guard cold: $(t "$GUARD" install --dry-run --ignore-installed -q --python "$PY" --cache-dir "$WORK/g" "${REQS[@]}")s"
echo "guard warm: $(t "$GUARD" install --dry-run --ignore-installed -q --python "$PY" --cache-dir "$WORK/g" "${REQS[@]}")s"
echo "pip download cold: $(t "$PY" -m pip download -q --cache-dir "$WORK/p" -d "$WORK/pd1" "${REQS[@]}")s"
echo "pip download warm: $(t "$PY" -m pip download -q --cache-dir "$WORK/p" -d "$WORK/pd2" "${REQS[@]}")s"
if command -v uv >/dev/null; then
  echo "uv pip compile cold: $(t env UV_CACHE_DIR="$WORK/u" uv pip compile --python "$PY" - <<< "$(printf '%s\n' "${REQS[@]}")")s"
  echo "uv pip compile warm: $(t env UV_CACHE_DIR="$WORK/u" uv pip compile --python "$PY" - <<< "$(printf '%s\n' "${REQS[@]}")")s"
fi
