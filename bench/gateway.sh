#!/usr/bin/env bash
# gateway.sh [BIN]: builds hermes (unless BIN is given) and the scripted
# model (cmd/llmtest), starts `hermes gateway run` in a temporary home with
# the API server and Telegram (a local fake Bot API) enabled, and prints
# the time from start to a healthy /healthz and the resident memory
# (VmRSS) after 5 s idle, over RUNS runs (default 5).
# Requests per second of the API server through the real binary and the
# scripted model: BenchmarkGatewayAPIServer in cmd/hermes (printed last).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
bin=${1:-}
if [ -z "$bin" ]; then
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/hermes" ./cmd/hermes)
	bin=$work/hermes
fi
bin=$(realpath "$bin")
(cd "$root" && go build -o "$work/llmtest" ./cmd/llmtest)
runs=${RUNS:-5}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The scripted model.
cat >"$work/script.yaml" <<'YAML'
steps:
  - times: -1
    response: {text: "ok"}
YAML
"$work/llmtest" -script "$work/script.yaml" -addr 127.0.0.1:0 >"$work/llmtest.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do grep -q "http://" "$work/llmtest.out" 2>/dev/null && break; sleep 0.1; done
model_url=$(grep -o 'http://127.0.0.1:[0-9]*/v1' "$work/llmtest.out" | head -1)

# A fake Telegram Bot API: getMe, long-polled getUpdates with no updates, sendMessage.
tg_port=$(free_port)
cat >"$work/tg.py" <<'PY'
import json, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class S(ThreadingHTTPServer):
    def handle_error(self, *a): pass  # the gateway hung up a long poll
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self): self.do_POST()
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        method = self.path.rsplit("/", 1)[-1].split("?")[0]
        if method == "getMe":
            res = {"id": 1, "is_bot": True, "first_name": "bench", "username": "bench_bot"}
        elif method == "getUpdates":
            try: t = json.loads(body or b"{}").get("timeout", 0)
            except Exception: t = 0
            time.sleep(min(t, 2)); res = []
        else:
            res = True
        out = json.dumps({"ok": True, "result": res}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out))); self.end_headers(); self.wfile.write(out)
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/tg.py" "$tg_port" &
pids+=($!)

home=$work/home
mkdir -m 700 "$home"
health_port=$(free_port)
api_port=$(free_port)
cat >"$home/config.yaml" <<YAML
model:
  provider: custom
  default: scripted-model
  base_url: $model_url
  key_env: BENCH_MODEL_KEY
gateway:
  health_listen: 127.0.0.1:$health_port
cron:
  enabled: false
platforms:
  api_server:
    enabled: true
    listen: 127.0.0.1:$api_port
  telegram:
    enabled: true
    base_url: http://127.0.0.1:$tg_port
YAML
printf 'API_SERVER_KEY=bench-key-0123456789abcdef\nTELEGRAM_BOT_TOKEN=123456:%s\n' "$(printf 'A%.0s' $(seq 35))" >"$home/.env"
chmod 600 "$home/.env"
export HERMES_HOME=$home HERMES_PROFILE= BENCH_MODEL_KEY=sk-bench

echo "binary: $bin ($(stat -c %s "$bin") bytes)"
for i in $(seq "$runs"); do
	t0=$(date +%s%N)
	"$bin" gateway run >"$work/gw.log" 2>&1 &
	gw=$!
	until curl -fs -o /dev/null "http://127.0.0.1:$health_port/healthz"; do
		if ! kill -0 "$gw" 2>/dev/null; then cat "$work/gw.log"; exit 1; fi
		sleep 0.005
	done
	t1=$(date +%s%N)
	sleep 5
	[ -n "${METRICS:-}" ] && curl -s "http://127.0.0.1:$health_port/metrics" | grep -E '^go_memstats_(heap_inuse|heap_idle|heap_released|sys|stack_inuse)_bytes|^go_goroutines' >&2
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$gw/status")
	[ -n "${METRICS:-}" ] && grep -E '^Rss' "/proc/$gw/status" >&2 && awk '/^[0-9a-f]+-/ {m=$1" "$6} /^Rss:/ && $2>1000 {print m, $2" kB"}' "/proc/$gw/smaps" >&2
	printf "run %d: healthy after %6.1f ms, idle VmRSS %5.1f MB\n" "$i" "$(echo "($t1-$t0)/1000000" | bc -l)" "$(echo "$rss/1024" | bc -l)"
	kill -TERM "$gw"; wait "$gw" || true
done
if [ "${SKIP_REQS:-}" = "" ]; then
	(cd "$root" && go test -run '^$' -bench BenchmarkGatewayAPIServer -benchtime 3s ./cmd/hermes/ | grep -E 'Benchmark|req/s')
fi
