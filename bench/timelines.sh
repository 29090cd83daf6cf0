#!/usr/bin/env bash
# Timelines at scale: workerd CPU per request (method A of BENCHMARKING.md, as bench/run.sh) for
# the home timeline, tag timelines, search, the local public timeline and POST /api/v1/statuses,
# with D1 seeded to 1,000, 10,000 and 100,000 statuses (bench/seed.mjs; one Topi per size, side
# by side), beside a JS no-op worker. See bench/README.md. Needs build/ (make build) and wrk.
#   BENCH_RUNS=3 BENCH_SECONDS=5 BENCH_SIZES="1000 10000 100000" BENCH_PORT=8797 bash bench/timelines.sh
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
secs=${BENCH_SECONDS:-5}
sizes=${BENCH_SIZES:-"1000 10000 100000"}
topi_port=${BENCH_PORT:-8797}
noop_port=$((topi_port + 1))
warmup=${BENCH_WARMUP:-200}

fail() { echo "timelines: $*" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] || fail "build/ is missing: run make build"
command -v wrk >/dev/null || fail "wrk is missing: apt-get install wrk (or bash scripts/setup.sh test)"
command -v taskset >/dev/null || fail "taskset is missing (util-linux)"
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores: workerd on core 1, wrk on core 0"
for n in $sizes; do [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1000 ] || fail "BENCH_SIZES: $n is not a number >= 1000"; done
# One Topi per size, side by side: the first on BENCH_PORT, the others from BENCH_PORT + 2 on.
declare -A port_of topi_pid_of token_of
i=0
for n in $sizes; do
  [ -z "${port_of[$n]:-}" ] || fail "BENCH_SIZES: $n twice"
  port_of[$n]=$([ "$i" -eq 0 ] && echo "$topi_port" || echo $((topi_port + 1 + i)))
  i=$((i + 1))
done
for port in "$noop_port" "${port_of[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is in use (set BENCH_PORT)"; fi
done

build_time=$(date -u -r build/index_bg.wasm '+%Y-%m-%d %H:%M UTC')
head=$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ', src/ modified')

# A build finishing while the instances start would have the sizes measure different code.
wasm_sum=$(sha256sum build/index_bg.wasm build/index.js | sha256sum)
same_build() { [ "$(sha256sum build/index_bg.wasm build/index.js | sha256sum)" = "$wasm_sum" ] || fail "build/ changed during the run"; }

state=$(mktemp -d /tmp/topi-timelines.XXXXXX)
node_pids=() workerd_pids=()
# Stops one Miniflare node process (it stops its workerd on SIGTERM; 10 s grace), then makes sure
# that workerd is gone.
stop() { # node_pid [workerd_pid]
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$1" 2>/dev/null || true
  if [ -n "${2:-}" ] && grep -qa workerd "/proc/$2/cmdline" 2>/dev/null; then kill -KILL "$2" || true; fi
}
cleanup() {
  set +e
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${node_pids[@]}"; do stop "$pid"; done
  for pid in "${workerd_pids[@]}"; do
    grep -qa workerd "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
  done
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export CLK_TCK=$(getconf CLK_TCK)
# Starts a node script that writes its JSON (workerd_pid, token, …) to $state/NAME.json when ready.
start() { # name script args…
  local name=$1
  shift
  node "$@" >"$state/$name.log" 2>&1 &
  node_pids+=($!)
  local pid=$!
  for _ in $(seq 1500); do
    [ -s "$state/$name.json" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$state/$name.log" >&2; fail "$name did not start"; }
    sleep 0.2
  done
  [ -s "$state/$name.json" ] || { cat "$state/$name.log" >&2; fail "$name: no answer after 300 s"; }
}
json() { node -p "require('$state/$1.json').$2"; }
cpu_ticks() { cut -d')' -f2- "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime + stime, all threads

echo "timelines: starting the no-op worker on :$noop_port" >&2
start noop bench/cpu.mjs noop "$noop_port" "$state/noop-state" "$state/noop.json"
noop_pid=$(json noop workerd_pid)
workerd_pids+=("$noop_pid")
taskset -apc 1 "$noop_pid" >/dev/null

# Warm-up: $warmup keep-alive requests, every one must answer 200.
warm() { # label url header [curl args…]
  local label=$1 url=$2 header=$3
  shift 3
  local codes
  codes=$(for _ in $(seq "$warmup"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done |
    taskset -c 0 curl -sS -K - -H "$header" "$@" -w '%{http_code}\n' --max-time 120 | sort | uniq -c)
  [ "$(echo "$codes" | awk '{print $1, $2}')" = "$warmup 200" ] ||
    { curl -sS -i -H "$header" "$@" "$url" | head -c 1000 >&2; echo >&2; fail "$label: warm-up statuses: $codes"; }
}

# One wrk measurement, appended to $state/samples as: N key cpu_ms p50_ms p99_ms req/s.
measure() { # n key pid url header [wrk args…]
  local n=$1 key=$2 pid=$3 url=$4 header=$5
  shift 5
  local before after out line
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 0 wrk -t1 -c2 -d"${secs}s" --latency -H "$header" "$@" "$url")
  after=$(cpu_ticks "$pid")
  line=$(grep '^WRK ' <<<"$out") || { echo "$out" >&2; fail "$key: no wrk report"; }
  eval "${line#WRK }" # requests= duration_us= p50_us= p99_us= bad_status= socket_errors=
  if [ "$bad_status" -ne 0 ] || [ "$socket_errors" -ne 0 ] || [ "$requests" -eq 0 ]; then
    echo "$out" >&2; fail "$key at N=$n: $bad_status responses >= 400, $socket_errors socket errors, $requests requests"
  fi
  awk -v n="$n" -v k="$key" -v t=$((after - before)) -v hz="$CLK_TCK" -v r="$requests" -v d="$duration_us" \
      -v p50="$p50_us" -v p99="$p99_us" \
    'BEGIN { printf "%s %s %.6f %.3f %.3f %.1f\n", n, k, t * 1000 / hz / r, p50 / 1000, p99 / 1000, r * 1e6 / d }' \
    >>"$state/samples"
  printf 'timelines: run %d N=%-6s %-12s %s\n' "$run" "$n" "$key" "$(tail -n1 "$state/samples" | cut -d' ' -f3-)" >&2
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg) started=$SECONDS
for n in $sizes; do
  echo "timelines: N=$n: starting Topi on :${port_of[$n]} and seeding" >&2
  start "topi-$n" bench/seed.mjs "${port_of[$n]}" "$state/topi-$n-state" "$state/topi-$n.json" "$n"
  topi_pid_of[$n]=$(json "topi-$n" workerd_pid)
  token_of[$n]=$(json "topi-$n" token)
  workerd_pids+=("${topi_pid_of[$n]}")
  taskset -apc 1 "${topi_pid_of[$n]}" >/dev/null
  echo "timelines: N=$n seeded in $(json "topi-$n" seed_ms) ms; rows $(node -p "JSON.stringify(require('$state/topi-$n.json').rows)")" >&2
done
same_build
word=$(json "topi-${sizes%% *}" search_word)

# key|path|auth (token) or anon
endpoints=(
  "home|/api/v1/timelines/home?limit=40|auth"
  "tag_bench|/api/v1/timelines/tag/bench?limit=40|anon"
  "tag_rare|/api/v1/timelines/tag/rare?limit=40|anon"
  "search|/api/v2/search?q=$word&type=statuses|auth"
  "public_local|/api/v1/timelines/public?local=true&limit=40|anon"
)
url_of() { echo "http://127.0.0.1:${port_of[$1]}$2"; }
header_of() { [ "$2" = auth ] && echo "Authorization: Bearer ${token_of[$1]}" || echo "Accept: application/json"; }
noop_url="http://127.0.0.1:$noop_port/"

warm noop "$noop_url" "Accept: */*"
for n in $sizes; do
  for e in "${endpoints[@]}"; do
    IFS='|' read -r key path auth <<<"$e"
    warm "$key at N=$n" "$(url_of "$n" "$path")" "$(header_of "$n" "$auth")"
  done
done
# Every round measures each endpoint at each size in turn (and the no-op floor once), so that
# the drift of this shared machine hits all sizes alike. GET rounds first: the POST rounds add
# statuses to the owner's home feed and local timeline.
for run in $(seq "$runs"); do
  measure all noop "$noop_pid" "$noop_url" "Accept: */*" -s bench/wrk-report.lua
  for e in "${endpoints[@]}"; do
    IFS='|' read -r key path auth <<<"$e"
    for n in $sizes; do
      measure "$n" "$key" "${topi_pid_of[$n]}" "$(url_of "$n" "$path")" "$(header_of "$n" "$auth")" -s bench/wrk-report.lua
    done
  done
done
for n in $sizes; do
  warm "post at N=$n" "$(url_of "$n" /api/v1/statuses)" "$(header_of "$n" auth)" -d status=bench+post
done
for run in $(seq "$runs"); do
  for n in $sizes; do
    measure "$n" post "${topi_pid_of[$n]}" "$(url_of "$n" /api/v1/statuses)" "$(header_of "$n" auth)" -s bench/wrk-post.lua
  done
done
elapsed=$((SECONDS - started))

mkdir -p bench/results
node - "$state" "$sizes" "$runs" "$secs" "$elapsed" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" \
  "$build_time" "$head" "$(node -p "require('./node_modules/@cloudflare/workerd-linux-64/package.json').version")" \
  "$(node -p "require('./node_modules/miniflare/package.json').version")" <<'EOF' | tee bench/results/timelines.md
const fs = require("fs");
const [state, sizesArg, runs, secs, elapsed, loadBefore, loadAfter, buildTime, head, workerd, miniflare] = process.argv.slice(2);
const sizes = sizesArg.trim().split(/\s+/).map(Number);
const info = Object.fromEntries(sizes.map((n) => [n, JSON.parse(fs.readFileSync(`${state}/topi-${n}.json`, "utf8"))]));
const samples = fs.readFileSync(`${state}/samples`, "utf8").trim().split("\n").map((l) => l.split(" "));
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const med = (n, key, col) => median(samples.filter((s) => s[0] === String(n) && s[1] === key).map((s) => Number(s[col])));
const k = (n) => (n % 1000 === 0 ? `${n / 1000}k` : String(n));
const last = sizes[sizes.length - 1], first = sizes[0];
const word = info[last].search_word;
const rows = [
  ["noop", "JS no-op worker (floor)", null],
  ["home", "home timeline `GET /api/v1/timelines/home?limit=40` (token)", "home"],
  ["tag_bench", "tag timeline `GET /api/v1/timelines/tag/bench?limit=40` (1 % of statuses)", "tag_bench"],
  ["tag_rare", "tag timeline `…/tag/rare?limit=40` (5 statuses)", "tag_rare"],
  ["search", `search \`GET /api/v2/search?q=${word}&type=statuses\` (token; 20 of ~4 %)`, "search"],
  ["public_local", "local timeline `GET /api/v1/timelines/public?local=true&limit=40`", "public_local"],
  ["post", "`POST /api/v1/statuses` `status=bench+post` (token)", null],
];
const out = [];
out.push("## Topi timelines at scale: workerd CPU per request under Miniflare (method A)", "");
out.push(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; build/ of ${buildTime} (HEAD ${head}); workerd ${workerd}, miniflare ${miniflare}.`);
out.push(`Median of ${runs} run(s) x ${secs} s per endpoint and size; wrk -t1 -c2 on core 0, workerd on core 1; ` +
  "the sizes run side by side, each round measuring every endpoint at each size in turn. " +
  `Whole run ${elapsed} s. Load average before: ${loadBefore}, after: ${loadAfter}.`);
out.push(`Seeded: 1,000 accounts (the owner + 999 remote; the owner follows 200), N statuses (90 % public) ` +
  `with tags, full-text rows and the owner's home feed (bench/seed.mjs). Seeding took ` +
  sizes.map((n) => `${(info[n].seed_ms / 1000).toFixed(1)} s for ${k(n)}`).join(", ") + ".", "");
out.push(`| endpoint | ${sizes.map((n) => `CPU ms/req ${k(n)}`).join(" | ")} | ${k(last)} above floor | ` +
  `${k(last)} ÷ ${k(first)} above floor | p50 ms ${k(last)} | p99 ms ${k(last)} | req/s ${k(last)} | items ${sizes.map(k).join("/")} |`);
out.push(`|---|${sizes.map(() => "---:").join("|")}|---:|---:|---:|---:|---:|---:|`);
for (const [key, label, check] of rows) {
  const at = (n) => (key === "noop" ? "all" : n);
  const cpu = sizes.map((n) => med(at(n), key, 2));
  const floor = sizes.map(() => med("all", "noop", 2));
  const above = cpu.map((c, i) => c - floor[i]);
  const items = key === "noop" ? "—" : key === "post" ? "1" : sizes.map((n) => info[n].checks[check]).join("/");
  out.push(`| ${label} | ${cpu.map((c) => c.toFixed(3)).join(" | ")} | ` +
    (key === "noop" ? "— | — | " : `${above.at(-1) >= 0 ? "+" : ""}${above.at(-1).toFixed(3)} | ${(above.at(-1) / above[0]).toFixed(2)}× | `) +
    `${med(at(last), key, 3).toFixed(2)} | ${med(at(last), key, 4).toFixed(2)} | ${med(at(last), key, 5).toFixed(0)} | ${items} |`);
}
out.push("");
out.push("Each query alone, as found in build/index_bg.wasm (`render_*` run for every page of statuses, here over " +
  "the first home page): workerd CPU ms per run, 200 runs sent from Node in batches of 20 through D1, less as many " +
  "`SELECT 1` (whose own cost, D1's per-statement overhead under Miniflare, is the first row). 10 ms ticks: ±0.05 ms.", "");
const queries = Object.keys(info[last].sql_ms);
const ms = (v) => (v === null || v === undefined ? "—" : v < 0.05 ? "≈0" : v.toFixed(2));
out.push(`| query | ${sizes.map(k).join(" | ")} | rows at ${k(last)} |`, `|---|${sizes.map(() => "---:").join("|")}|---:|`);
for (const q of queries) {
  out.push(`| ${q} | ${sizes.map((n) => ms(info[n].sql_ms[q])).join(" | ")} | ${info[last].sql_rows?.[q] ?? "—"} |`);
}
out.push("", `Rows at ${k(last)}: ${Object.entries(info[last].rows).map(([a, b]) => `${a} ${b}`).join(", ")}.`, "");
out.push(`Query plans at ${k(last)} (EXPLAIN QUERY PLAN of the SQL found in the build; the statuses column list is ` +
  "shortened to `…`):", "", "```");
const shown = {};
for (const [q, plan] of Object.entries(info[last].plans)) {
  const sql = (info[last].sql?.[q] ?? "").replace(/^SELECT CAST\(s\.id AS TEXT\) AS id, s\.uri, .*? AS muted /, "SELECT … ");
  const same = Object.keys(shown).find((p) => shown[p] === plan.join("\n"));
  out.push(`${q}: ${sql}`);
  if (same) { out.push(`  (plan as ${same})`); continue; }
  shown[q] = plan.join("\n");
  out.push(...plan.map((l) => `  ${l}`));
}
out.push("```");
console.log(out.join("\n"));
EOF
