#!/usr/bin/env bash
# startup.sh BIN: cold-process timing of `hermes version` and
# `hermes config check` on a realistic config, with hyperfine (Debian's
# package) when it is installed, and the binary's size.
set -euo pipefail
bin=$(realpath "${1:-bin/hermes}")
root=$(cd "$(dirname "$0")/.." && pwd)
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cp "$root/internal/config/testdata/good/realistic.yaml" "$home/config.yaml"
export HERMES_HOME=$home HERMES_PROFILE=
"$bin" config check >/dev/null
printf "binary: %s, %s bytes (%s MiB)\n" "$bin" "$(stat -c %s "$bin")" "$(awk -v b="$(stat -c %s "$bin")" 'BEGIN{printf "%.1f", b/1048576}')"
if ! command -v hyperfine >/dev/null; then
	echo "hyperfine not installed (apt-get install hyperfine); see BenchmarkCold* in 'go test -bench . ./cmd/hermes' for the same figures"
	exit 0
fi
hyperfine -N --warmup 20 --runs 300 --export-json "$home/h.json" \
	"$bin version" "$bin config check" >/dev/null
python3 - "$home/h.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command'].split('/')[-1]:<28} median {r['median']*1000:6.2f} ms  mean {r['mean']*1000:6.2f} ms  max {r['max']*1000:6.2f} ms")
PY
