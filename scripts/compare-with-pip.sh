#!/usr/bin/env bash
# Opt-in correctness check (needs the live index): for each requirement set,
# compare guard's plan with `pip install --dry-run --ignore-installed --report -`
# on the same interpreter. Prints one line per set and a summary; exits 1 on
# any unexplained difference.
#
#   scripts/compare-with-pip.sh [GUARD_BINARY]   (default: target/release/guard)
#
# Build dependencies (build_dependency: true) are left out: pip's report does
# not list them.
set -u
GUARD=${1:-${GUARD:-target/release/guard}}
PY=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/constraints.txt" <<'C'
urllib3<2
C
cat > "$WORK/hashed.txt" <<'H'
idna==3.7 --hash=sha256:82fee1fc78add43492d3a1898bfa6d8a904cc97d8427f683ed8e798d07761aa0
H

SETS=(
  "requests"
  "flask"
  "django<5"
  "pandas"
  "scikit-learn"
  "fastapi[standard]"
  "boto3"
  "black"
  "sphinx"
  "jupyterlab"
  "apache-airflow-providers-http"
  "requests[socks] ; python_version >= '3.8'|pyyaml ; sys_platform == 'win32'|rich"
  "httpx[http2,brotli]"
  "numpy<2|scipy"
  "pytest|pytest-cov|hypothesis"
  "sqlalchemy[asyncio]|alembic"
  "celery[redis]"
  "matplotlib"
  "pydantic>=2|pydantic-settings"
  "aiohttp"
  "cryptography|paramiko"
  "-c $WORK/constraints.txt|requests"
  "-r $WORK/hashed.txt"
  "tox"
)

norm() { "$PY" -c 'import re,sys; [print(re.sub(r"[-_.]+","-",l.split("==")[0]).lower()+"=="+l.split("==")[1]) for l in sys.stdin.read().split()]' | sort; }

fail=0
for set in "${SETS[@]}"; do
  IFS='|' read -r -a args <<< "$set"
  # Split "-c FILE" / "-r FILE" into two arguments.
  expanded=()
  for a in "${args[@]}"; do
    case "$a" in -c\ *|-r\ *) expanded+=("${a%% *}" "${a#* }");; *) expanded+=("$a");; esac
  done
  g=$("$GUARD" install --dry-run --format json --ignore-installed --python "$PY" -q "${expanded[@]}" 2>"$WORK/g.err" \
      | "$PY" -c 'import json,sys; [print(p["name"]+"=="+p["version"]) for p in json.load(sys.stdin)["packages"] if not p["build_dependency"]]' | norm)
  p=$("$PY" -m pip install --dry-run --ignore-installed --report - -q "${expanded[@]}" 2>"$WORK/p.err" \
      | "$PY" -c 'import json,sys; [print(i["metadata"]["name"]+"=="+i["metadata"]["version"]) for i in json.load(sys.stdin)["install"]]' | norm)
  n=$(printf '%s\n' "$g" | grep -c .)
  if [ "$g" = "$p" ] && [ -n "$g" ]; then
    echo "same   ($n packages)  $set"
  else
    fail=1
    echo "DIFF   $set"
    diff <(printf '%s\n' "$p") <(printf '%s\n' "$g") | sed 's/^</    pip:  /;s/^>/    guard:/' | grep -E 'pip:|guard:'
    [ -s "$WORK/g.err" ] && sed 's/^/    guard stderr: /' "$WORK/g.err" | head -5
  fi
done
exit $fail
