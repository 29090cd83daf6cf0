#!/usr/bin/env bash
# Federation costs (method A of BENCHMARKING.md): workerd CPU per signed inbox POST (Create
# mentioning the owner, Like) and per outbound delivery (fan-out to 1,000 followers over 100
# shared inboxes), beside a JS no-op worker. bench/federation.mjs does the work; this pins it to
# core 0 (it pins workerd to core 1) and writes bench/results/federation.md. See bench/README.md.
#   BENCH_RUNS=3 BENCH_INBOUND=2000 BENCH_CONCURRENCY=4 BENCH_FOLLOWERS=1000 BENCH_INBOXES=100 \
#   BENCH_STATUSES=10 BENCH_PORT=8797 bash bench/federation.sh
set -euo pipefail
cd "$(dirname "$0")/.."

port=${BENCH_PORT:-8797}

fail() { echo "federation: $*" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] || fail "build/ is missing: run make build"
command -v taskset >/dev/null || fail "taskset is missing (util-linux)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores: workerd on core 1, the load and the peer on core 0"
for p in "$port" $((port + 1)) $((port + 2)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then fail "port $p is in use (set BENCH_PORT)"; fi
done

# A build finishing during the run would have the figures describe two builds.
wasm_sum=$(sha256sum build/index_bg.wasm build/index.js | sha256sum)

state=$(mktemp -d /tmp/topi-federation.XXXXXX)
node_pid=
cleanup() {
  set +e
  if [ -n "$node_pid" ]; then # the script disposes Miniflare (stopping its workerd) on SIGTERM
    kill -TERM "$node_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$node_pid" 2>/dev/null
  fi
  for pid in $(cat "$state/run/workerd.pids" 2>/dev/null); do
    grep -qa workerd "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
  done
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p bench/results
export CLK_TCK=$(getconf CLK_TCK) BENCH_WORKERD_CORE=1
taskset -c 0 node bench/federation.mjs "$state/run" bench/results/federation.md &
node_pid=$!
set +e
wait "$node_pid"
status=$?
set -e
node_pid=
if [ "$status" -ne 0 ] && [ -s "$state/run/topi-workerd.log" ]; then
  echo "federation: last lines the worker logged:" >&2
  tail -n 20 "$state/run/topi-workerd.log" >&2
fi
if [ "$(sha256sum build/index_bg.wasm build/index.js | sha256sum)" != "$wasm_sum" ]; then
  # Miniflare loaded build/ at the start; the report names that build, but a later one exists.
  printf '\n**build/ changed during the run**: the figures are for the build loaded at the start.\n' | tee -a bench/results/federation.md
  fail "build/ changed during the run"
fi
exit "$status"
