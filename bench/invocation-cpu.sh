#!/usr/bin/env bash
# The Worker's own CPU per invocation (method E, per-invocation windows) on the write, inbox,
# queue and cron paths, with the discovery documents and a JS floor: bench/invocation-cpu.mjs,
# run twice: a short pass with BUDGET_REPORT=true for the D1 round trips and statements of each
# path, then the measured pass without it (the report line and header cost CPU). Writes
# bench/results/invocation-cpu.{md,json} (and invocation-cpu-counts.*). See bench/README.md.
#   BENCH_N=150 BENCH_ROUNDS=3 BENCH_WARMUP=20 BENCH_ONLY=deliver,cron BENCH_PORT=8873 bash bench/invocation-cpu.sh
# Needs root (taskset, renice, the sampler threads' timer slack), 2 cores, build/ (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "invocation-cpu: $*" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] || fail "build/ is missing: run make build"
command -v taskset >/dev/null || fail "taskset is missing (util-linux)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores: workerd on one, the load on the other"
port=${BENCH_PORT:-8873} inspector=${BENCH_INSPECTOR_PORT:-9873}
for p in "$port" $((port + 1)) $((port + 2)) "$inspector" $((inspector + 1)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then fail "port $p is in use (set BENCH_PORT / BENCH_INSPECTOR_PORT)"; fi
done
wasm_sum=$(sha256sum build/index_bg.wasm build/index.js | sha256sum)
mkdir -p bench/results
out=bench/results/invocation-cpu

node_pid=
cleanup() {
  set +e
  if [ -n "$node_pid" ]; then # the script disposes Miniflare (and its workerd) on SIGTERM
    kill -TERM "$node_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$node_pid" 2>/dev/null
  fi
  for pid in $(cat "$out"*.pids 2>/dev/null); do
    grep -qa workerd "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
  done
  rm -f "$out"*.pids
}
trap cleanup EXIT
trap 'exit 130' INT TERM
run() { # OUT_PREFIX, then environment assignments
  local prefix=$1; shift
  env "$@" node bench/invocation-cpu.mjs "$prefix" &
  node_pid=$!
  set +e; wait "$node_pid"; local status=$?; set -e
  node_pid=
  return "$status"
}

echo "invocation-cpu: pass 1, D1 counts (BUDGET_REPORT=true, short)" >&2
run "$out-counts" BENCH_BUDGET=1 BENCH_N="${BENCH_COUNT_N:-20}" BENCH_ROUNDS=1 BENCH_WARMUP=5 BENCH_FRAMES=0 >/dev/null ||
  fail "the counting pass failed"
echo "invocation-cpu: pass 2, CPU (BUDGET_REPORT off)" >&2
status=0
run "$out" BENCH_BUDGET=0 BENCH_COUNTS="$out-counts.json" || status=$?
if [ "$(sha256sum build/index_bg.wasm build/index.js | sha256sum)" != "$wasm_sum" ]; then
  printf '\n**build/ changed during the run**: the figures are for the build loaded at the start.\n' | tee -a "$out.md"
  fail "build/ changed during the run"
fi
exit "$status"
