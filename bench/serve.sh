#!/usr/bin/env bash
# guard serve under load, loopback only: a local fixture upstream (python3
# http.server over generated PEP 691 pages and wheels), one `guard serve`
# in front of it, every file fetched once (inspected) before the clock
# starts, then CLIENTS keep-alive clients (examples/serve_load.rs) fetching
# project pages and the already-inspected files round-robin for SECONDS.
# Prints throughput, p50/p99 latency (pages and files separately), errors
# and guard's peak RSS (VmHWM).
#
#   bench/serve.sh [CLIENTS] [SECONDS] [PROJECTS]    (default 200 60 20)
#
# Equal work per run: the same PROJECTS pages and wheels (~1.5 KiB each).
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-200}
SECONDS_=${2:-60}
PROJECTS=${3:-20}
PY=${PYTHON:-python3}
PROFILE=${PROFILE:-release}   # PROFILE=debug for a quick check of the script itself
if [ "$PROFILE" = release ]; then
    cargo build --release --quiet --bin guard --example serve_load
else
    cargo build --quiet --bin guard --example serve_load
fi
GUARD=$PWD/target/$PROFILE/guard
LOAD=$PWD/target/$PROFILE/examples/serve_load
WORK=$(mktemp -d)
UP_PID=""; GUARD_PID=""
cleanup() {
    [ -n "$GUARD_PID" ] && kill "$GUARD_PID" 2>/dev/null || true
    [ -n "$UP_PID" ] && kill "$UP_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The upstream: wheels and PEP 691 pages written by Python's zipfile (no package code runs).
"$PY" - "$WORK/up" "$PROJECTS" <<'PY'
import hashlib, io, json, os, sys, zipfile
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/files")
for i in range(n):
    name = f"bench-pkg-{i}"; dist = name.replace("-", "_")
    files = []
    for v in ("1.0", "1.1"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(f"{dist}/__init__.py", "def add(a, b):\n    return a + b\n")
            z.writestr(f"{dist}-{v}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {v}\nSummary: bench fixture\n")
            z.writestr(f"{dist}-{v}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
            z.writestr(f"{dist}-{v}.dist-info/RECORD", "")
        data = buf.getvalue(); fn = f"{dist}-{v}-py3-none-any.whl"
        open(f"{root}/files/{fn}", "wb").write(data)
        files.append({"filename": fn, "url": f"../../files/{fn}", "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                      "upload-time": "2020-01-01T00:00:00Z", "size": len(data)})
    os.makedirs(f"{root}/simple/{name}")
    json.dump({"meta": {"api-version": "1.1"}, "name": name, "files": files}, open(f"{root}/simple/{name}/index.html", "w"))
PY
UP_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PY" - "$WORK/up" "$UP_PORT" >/dev/null 2>&1 <<'PY' & UP_PID=$!
import http.server, os, sys
root, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.normpath(self.path.split("?")[0]).lstrip("/")
        if path.startswith("simple/"):
            fs, ct = os.path.join(root, path, "index.html"), "application/vnd.pypi.simple.v1+json"
        else:
            fs, ct = os.path.join(root, path), "application/octet-stream"
        try:
            data = open(fs, "rb").read()
        except OSError:
            self.send_error(404); return
        self.send_response(200); self.send_header("Content-Type", ct); self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY

"$GUARD" serve --listen 127.0.0.1:0 --cache-dir "$WORK/cache" --upstream "http://127.0.0.1:$UP_PORT/simple/" \
    --page-ttl 3600 2>"$WORK/serve.log" & GUARD_PID=$!
for _ in $(seq 200); do grep -q 'listening on' "$WORK/serve.log" 2>/dev/null && break; sleep 0.05; done
ADDR=$(sed -n 's#.*listening on http://\([^/]*\)/.*#\1#p' "$WORK/serve.log" | head -1)
[ -n "$ADDR" ] || { echo "guard serve did not start:"; cat "$WORK/serve.log"; exit 1; }

# Warm up: every page once, every file once (fetched from upstream, inspected, stored).
PATHS=()
for i in $(seq 0 $((PROJECTS - 1))); do
    PATHS+=("/simple/bench-pkg-$i/")
    while read -r u; do PATHS+=("/${u#../../}"); done < <(
        curl -sf -H 'Accept: application/vnd.pypi.simple.v1+json' "http://$ADDR/simple/bench-pkg-$i/" \
        | "$PY" -c 'import json,sys; [print(f["url"]) for f in json.load(sys.stdin)["files"]]')
done
for p in "${PATHS[@]}"; do curl -sf -o /dev/null "http://$ADDR$p" || { echo "warm-up failed: $p"; tail -5 "$WORK/serve.log"; exit 1; }; done
INSPECTED=$(grep -c '"event":"inspected"' "$WORK/serve.log")

echo "== guard $("$GUARD" --version 2>/dev/null || echo '?'), $(nproc) cores, $(uname -srm), $CLIENTS clients, ${SECONDS_} s, ${#PATHS[@]} paths ($PROJECTS pages, $((${#PATHS[@]} - PROJECTS)) files; $INSPECTED inspected during warm-up)"
"$LOAD" "$ADDR" "$CLIENTS" "$SECONDS_" "${PATHS[@]}" | tee "$WORK/result.json"
echo "guard serve peak RSS: $(grep VmHWM /proc/$GUARD_PID/status | awk '{print $2, $3}')"
echo "inspections after the run: $(grep -c '"event":"inspected"' "$WORK/serve.log") (warm-up: $INSPECTED)"
echo "requests logged by guard: $(grep -c '"status":' "$WORK/serve.log"), not 200: $(grep '"status":' "$WORK/serve.log" | grep -vc '"status":200' || true)"
