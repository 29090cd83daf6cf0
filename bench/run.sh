#!/usr/bin/env bash
# CPU per request of the built Worker under Miniflare, beside a JS no-op worker (method A of
# BENCHMARKING.md); see bench/README.md. Needs build/ (make build) and wrk (Debian package).
#   BENCH_RUNS=5 BENCH_SECONDS=10 BENCH_PORT=8797 bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-5}
secs=${BENCH_SECONDS:-10}
topi_port=${BENCH_PORT:-8797}
noop_port=$((topi_port + 1))
warmup=200

fail() { echo "bench: $*" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] || fail "build/ is missing: run make build"
command -v wrk >/dev/null || fail "wrk is missing: apt-get install wrk (or bash scripts/setup.sh test)"
command -v taskset >/dev/null || fail "taskset is missing (util-linux)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores: workerd on core 1, wrk on core 0"
for port in "$topi_port" "$noop_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is in use (set BENCH_PORT)"; fi
done

# Bundle sizes now, before Miniflare loads build/, so they describe the code measured.
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB (%d B)", b / 1024, b }'; }
build_time=$(date -u -r build/index_bg.wasm '+%Y-%m-%d %H:%M UTC')
head=$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ', src/ modified')
bundle=$(for f in build/index_bg.wasm build/index.js; do
  echo "| \`$f\` | $(kib "$(stat -c %s "$f")") | $(kib "$(gzip -9 -c "$f" | wc -c)") |"
done)

state=$(mktemp -d /tmp/topi-bench.XXXXXX)
node_pids=() workerd_pids=()
cleanup() {
  set +e
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${node_pids[@]}"; do # Miniflare stops its workerd on SIGTERM; give it 10 s
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  done
  for pid in "${workerd_pids[@]}"; do
    grep -qa workerd "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
  done
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts one Miniflare instance (bench/cpu.mjs) and waits for its JSON: workerd_pid, token.
export CLK_TCK=$(getconf CLK_TCK)
start() { # kind port
  node bench/cpu.mjs "$1" "$2" "$state/$1" "$state/$1.json" >"$state/$1.log" 2>&1 &
  node_pids+=($!)
  local pid=$!
  for _ in $(seq 600); do
    [ -s "$state/$1.json" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$state/$1.log" >&2; fail "$1 worker did not start"; }
    sleep 0.2
  done
  [ -s "$state/$1.json" ] || { cat "$state/$1.log" >&2; fail "$1 worker: no answer after 120 s"; }
}
json() { node -p "require('$state/$1.json').$2"; }

echo "bench: starting Miniflare (Topi on :$topi_port, no-op on :$noop_port)" >&2
start topi "$topi_port"
start noop "$noop_port"
topi_pid=$(json topi workerd_pid) noop_pid=$(json noop workerd_pid) token=$(json topi token)
workerd_pids=("$topi_pid" "$noop_pid")
taskset -apc 1 "$topi_pid" >/dev/null
taskset -apc 1 "$noop_pid" >/dev/null

topi="http://127.0.0.1:$topi_port"
# key|label|URL|request header
endpoints=(
  "noop|JS no-op worker (floor)|http://127.0.0.1:$noop_port/|Accept: */*"
  "webfinger|WebFinger|$topi/.well-known/webfinger?resource=acct:alice@127.0.0.1:$topi_port|Accept: application/jrd+json"
  "actor|actor \`/users/alice\`|$topi/users/alice|Accept: application/activity+json"
  "verify|\`/api/v1/accounts/verify_credentials\`|$topi/api/v1/accounts/verify_credentials|Authorization: Bearer $token"
  "instance1|\`/api/v1/instance\`|$topi/api/v1/instance|Accept: application/json"
  "instance2|\`/api/v2/instance\`|$topi/api/v2/instance|Accept: application/json"
  "nodeinfo|NodeInfo 2.0|$topi/nodeinfo/2.0|Accept: application/json"
)
pid_of() { [ "$1" = noop ] && echo "$noop_pid" || echo "$topi_pid"; }

# Warm-up: $warmup keep-alive requests per endpoint, every one must answer 200.
for e in "${endpoints[@]}"; do
  IFS='|' read -r key label url header <<<"$e"
  codes=$(for _ in $(seq "$warmup"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done |
    taskset -c 0 curl -sS -K - -H "$header" -w '%{http_code}\n' --max-time 120 | sort | uniq -c)
  [ "$(echo "$codes" | awk '{print $1, $2}')" = "$warmup 200" ] ||
    { curl -sS -i -H "$header" "$url" | head -c 1000 >&2; echo >&2; fail "$label: warm-up statuses: $codes"; }
done

clk_tck=$(getconf CLK_TCK)
load_before=$(cut -d' ' -f1-3 /proc/loadavg) started=$SECONDS
cpu_ticks() { cut -d')' -f2- "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime + stime, all threads

echo "bench: $runs run(s) x ${#endpoints[@]} endpoints x ${secs} s" >&2
for run in $(seq "$runs"); do
  for e in "${endpoints[@]}"; do
    IFS='|' read -r key label url header <<<"$e"
    pid=$(pid_of "$key")
    before=$(cpu_ticks "$pid")
    out=$(taskset -c 0 wrk -t1 -c2 -d"${secs}s" --latency -s bench/wrk-report.lua -H "$header" "$url")
    after=$(cpu_ticks "$pid")
    line=$(grep '^WRK ' <<<"$out") || { echo "$out" >&2; fail "$label: no wrk report"; }
    eval "${line#WRK }" # requests= duration_us= p50_us= p99_us= bad_status= socket_errors=
    if [ "$bad_status" -ne 0 ] || [ "$socket_errors" -ne 0 ] || [ "$requests" -eq 0 ]; then
      echo "$out" >&2; fail "$label: $bad_status responses >= 400, $socket_errors socket errors, $requests requests"
    fi
    awk -v k="$key" -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" -v d="$duration_us" \
        -v p50="$p50_us" -v p99="$p99_us" \
      'BEGIN { printf "%s %.6f %.3f %.3f %.1f\n", k, t * 1000 / hz / n, p50 / 1000, p99 / 1000, n * 1e6 / d }' \
      >>"$state/samples"
    printf 'bench: run %d/%d %-10s %s\n' "$run" "$runs" "$key" "$(tail -n1 "$state/samples" | cut -d' ' -f2-)" >&2
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$state/samples" | median; }

floor=$(med noop 2)
mkdir -p bench/results
{
  echo "## Topi method A: workerd CPU per request under Miniflare"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); build/ of $build_time" \
    "(HEAD $head);" \
    "workerd $(node -p "require('./node_modules/@cloudflare/workerd-linux-64/package.json').version")," \
    "miniflare $(node -p "require('./node_modules/miniflare/package.json').version")."
  echo "Median of $runs run(s) x ${secs} s per endpoint (took $((SECONDS - started)) s); wrk -t1 -c2 on core 0," \
    "workerd on core 1. Load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| endpoint | CPU ms/req (median) | above no-op floor | p50 ms | p99 ms | req/s |"
  echo "|---|---:|---:|---:|---:|---:|"
  for e in "${endpoints[@]}"; do
    IFS='|' read -r key label _ _ <<<"$e"
    cpu=$(med "$key" 2)
    above=$([ "$key" = noop ] && echo "—" || awk -v a="$cpu" -v b="$floor" 'BEGIN { printf "%+.3f", a - b }')
    printf '| %s | %.3f | %s | %.2f | %.2f | %.0f |\n' "$label" "$cpu" "$above" "$(med "$key" 3)" "$(med "$key" 4)" "$(med "$key" 5)"
  done
  echo
  echo "One-off costs (workerd CPU, 10 ms tick resolution): instance keys at first app registration" \
    "$(json topi first_start.instance_keys_ms) ms; owner creation and first login" \
    "$(json topi first_start.owner_creation_and_first_login_ms) ms; one password-grant login (checked against the ADMIN_PASSWORD" \
    "secret; no PBKDF2 while it is set) $(json topi first_start.password_login_ms) ms."
  echo
  echo "| bundle file | raw | gzip -9 |"
  echo "|---|---:|---:|"
  echo "$bundle"
} | tee bench/results/latest.md
