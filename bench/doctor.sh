#!/usr/bin/env bash
# doctor.sh [BIN]: `hermes doctor` offline on a realistic home (config,
# .env, 20 cron jobs, a state.db of 3,000 messages, 30 skills, memories,
# two profiles; built by BenchmarkDoctor): in-process time per run, then
# the binary's wall time and peak memory over 10 cold runs.
# OpenClaw's `openclaw doctor --non-interactive`, measured here: 10.75 s, 677 MiB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cd "$root"
if [ -z "$bin" ]; then
	bin=$home/hermes
	go build -o "$bin" ./cmd/hermes
fi
HERMES_DOCTOR_BENCH_HOME=$home/h go test -run '^$' -bench BenchmarkDoctor -benchtime 50x ./internal/ops/doctor/ | grep Benchmark
export HERMES_HOME=$home/h HERMES_PROFILE=
"$bin" doctor --lint >/dev/null
for _ in $(seq 10); do
	/usr/bin/time -f "%e %M" "$bin" doctor >/dev/null 2>>"$home/t" || true
done
awk '{s+=$1; if ($1>m) m=$1; if ($2>r) r=$2} END {printf "hermes doctor (binary, 10 runs): mean %.0f ms, max %.0f ms, peak RSS %.1f MiB\n", s/NR*1000, m*1000, r/1024}' "$home/t"
