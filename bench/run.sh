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
snac_port=$((topi_port + 2))
warmup=200
posts=25

fail() { echo "bench: $*" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] || fail "build/ is missing: run make build"
command -v wrk >/dev/null || fail "wrk is missing: apt-get install wrk (or bash scripts/setup.sh test)"
command -v taskset >/dev/null || fail "taskset is missing (util-linux)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores: workerd on core 1, wrk on core 0"
for port in "$topi_port" "$noop_port" "$snac_port"; do
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
node_pids=() workerd_pids=() snac_peer_pid= snac_pid=
cleanup() {
  set +e
  if [ -n "$snac_peer_pid" ]; then # end of its stdin: snac_peer.py stops snac itself
    exec 7>&-
    for _ in $(seq 50); do kill -0 "$snac_peer_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$snac_peer_pid" 2>/dev/null
    [ -n "$snac_pid" ] && grep -qa snac "/proc/$snac_pid/cmdline" 2>/dev/null && kill -KILL "$snac_pid"
  fi
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
for i in $(seq "$posts"); do
  curl -sS -o /dev/null -H "Authorization: Bearer $token" --data-urlencode "status=status $i #bench" "$topi/api/v1/statuses"
done

# snac2 (Debian, the same version the interop tests use) on the same endpoints in the same run:
# the ratio survives machine noise. Skipped when it is not installed.
snac=
if command -v snac >/dev/null && [ -x .venv/bin/python ]; then
  mkfifo "$state/snac.in"
  PYTHONPATH=tests/e2e .venv/bin/python bench/snac_peer.py "$snac_port" "$posts" <"$state/snac.in" >"$state/snac.json" 2>"$state/snac.log" &
  snac_peer_pid=$!
  exec 7>"$state/snac.in"
  for _ in $(seq 600); do [ -s "$state/snac.json" ] && break; sleep 0.2; done
  [ -s "$state/snac.json" ] || { cat "$state/snac.log" >&2; fail "snac did not start"; }
  snac_pid=$(json snac pid) snac="http://127.0.0.1:$snac_port" snac_nodeinfo=$(json snac nodeinfo)
  taskset -apc 1 "$snac_pid" >/dev/null
else
  echo "bench: snac is not installed (bash scripts/setup.sh test): no same-run comparison" >&2
fi
# key|label|URL|request header
endpoints=(
  "noop|JS no-op worker (floor)|http://127.0.0.1:$noop_port/|Accept: */*"
  "webfinger|WebFinger|$topi/.well-known/webfinger?resource=acct:alice@127.0.0.1:$topi_port|Accept: application/jrd+json"
  "actor|actor \`/users/alice\`|$topi/users/alice|Accept: application/activity+json"
  "verify|\`/api/v1/accounts/verify_credentials\`|$topi/api/v1/accounts/verify_credentials|Authorization: Bearer $token"
  "instance1|\`/api/v1/instance\`|$topi/api/v1/instance|Accept: application/json"
  "instance2|\`/api/v2/instance\`|$topi/api/v2/instance|Accept: application/json"
  "nodeinfo|NodeInfo 2.0|$topi/nodeinfo/2.0|Accept: application/json"
  "public|public timeline of 20|$topi/api/v1/timelines/public?limit=20|Accept: application/json"
  "outbox|outbox page of 20|$topi/users/alice/outbox?page=true|Accept: application/activity+json"
)
# snac closes the connection after each answer: wrk is told so, and reconnects per request.
[ -n "$snac" ] && endpoints+=(
  "snac_webfinger|snac2 WebFinger|$snac/.well-known/webfinger?resource=acct:bob@127.0.0.1:$snac_port|Accept: application/jrd+json;;Connection: close"
  "snac_actor|snac2 actor|$snac/bob|Accept: application/activity+json;;Connection: close"
  "snac_nodeinfo|snac2 NodeInfo 2.0|$snac_nodeinfo|Accept: application/json;;Connection: close"
  "snac_public|snac2 public timeline of 20|$snac/api/v1/timelines/public?limit=20|Accept: application/json;;Connection: close"
  "snac_outbox|snac2 outbox|$snac/bob/outbox|Accept: application/activity+json;;Connection: close"
)
pid_of() { case "$1" in noop) echo "$noop_pid" ;; snac_*) echo "$snac_pid" ;; *) echo "$topi_pid" ;; esac; }
# `A;;B` → -H A -H B
header_args() { local IFS=$'\n'; for h in ${1//;;/$'\n'}; do printf '%s\n' -H "$h"; done; }

# Warm-up: $warmup keep-alive requests per endpoint, every one must answer 200.
for e in "${endpoints[@]}"; do
  IFS='|' read -r key label url header <<<"$e"
  mapfile -t hargs < <(header_args "$header")
  codes=$(for _ in $(seq "$warmup"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done |
    taskset -c 0 curl -sS -K - "${hargs[@]}" -w '%{http_code}\n' --max-time 120 | sort | uniq -c)
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
    mapfile -t hargs < <(header_args "$header")
    out=$(taskset -c 0 wrk -t1 -c2 -d"${secs}s" --latency -s bench/wrk-report.lua "${hargs[@]}" "$url")
    after=$(cpu_ticks "$pid")
    line=$(grep '^WRK ' <<<"$out") || { echo "$out" >&2; fail "$label: no wrk report"; }
    eval "${line#WRK }" # requests= duration_us= p50_us= p99_us= bad_status= socket_errors=
    # snac closes every connection after its answer, which wrk counts as a read error.
    [[ $key == snac_* ]] && socket_errors=0
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
    above=$([ "$key" = noop ] || [[ $key == snac_* ]] && echo "—" || awk -v a="$cpu" -v b="$floor" 'BEGIN { printf "%+.3f", a - b }')
    printf '| %s | %.3f | %s | %.2f | %.2f | %.0f |\n' "$label" "$cpu" "$above" "$(med "$key" 3)" "$(med "$key" 4)" "$(med "$key" 5)"
  done
  if [ -n "$snac" ]; then
    echo
    echo "Same run, snac2 $(snac --version 2>/dev/null | head -n1 | tr -d '\n') with $posts posts (Topi has $posts too): process CPU ms/request."
    echo
    echo "| endpoint | Topi | snac2 | Topi / snac2 |"
    echo "|---|---:|---:|---:|"
    for pair in "webfinger|WebFinger" "actor|actor" "nodeinfo|NodeInfo 2.0" "public|public timeline of 20" "outbox|outbox page"; do
      IFS='|' read -r key label <<<"$pair"
      t=$(med "$key" 2) n=$(med "snac_$key" 2)
      printf '| %s | %.3f | %.3f | %s |\n' "$label" "$t" "$n" "$(awk -v a="$t" -v b="$n" 'BEGIN { printf "%.1f×", a / b }')"
    done
  fi
  echo
  echo "First start (workerd CPU, 10 ms tick resolution; keys are made by scripts/provision.mjs, not here):" \
    "first app registration $(json topi first_start.instance_keys_ms) ms; owner creation and first login" \
    "$(json topi first_start.owner_creation_and_first_login_ms) ms; one password-grant login (checked against the ADMIN_PASSWORD" \
    "secret) $(json topi first_start.password_login_ms) ms."
  echo
  echo "| bundle file | raw | gzip -9 |"
  echo "|---|---:|---:|"
  echo "$bundle"
} | tee bench/results/latest.md
