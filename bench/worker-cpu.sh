#!/usr/bin/env bash
# The Worker's own CPU per request, apart from Miniflare's local D1/R2/Queue simulators, beside
# the workerd process figure: V8 CPU profiles of the Worker's isolate through Miniflare's
# inspector (shared/BENCHMARKING.md, method E; the tool and its validation are
# ../shared/tools/isolate-cpu.mjs and ISOLATE-CPU.md). The free plan bills the first figure
# (10 ms per invocation); our target is 5 ms at the median on every path.
# Usage: bash bench/worker-cpu.sh [extra isolate-cpu.mjs options]; BENCH_REQUESTS, BENCH_ROUNDS.
set -euo pipefail
cd "$(dirname "$0")/.."
tool=../shared/tools/isolate-cpu.mjs
[ -f "$tool" ] || { echo "bench: $tool is missing (shared/ beside the checkout)" >&2; exit 1; }
[ -f build/index_bg.wasm ] && [ -f build/worker/shim.mjs ] || { echo "bench: build/ is missing: run make build" >&2; exit 1; }
# The tool applies ROOT/migrations/*.sql and nothing else, but the Worker answers 503 until the
# instance's keys are provisioned (scripts/provision.mjs, which bench/cpu.mjs runs after the
# migrations). So it gets a root of its own: `build` links to ours, `migrations/` holds copies of
# ours plus a last file with the provisioning statements (fresh keys, made here with Node).
tree=$(mktemp -d /tmp/topi-worker-cpu.XXXXXX)
trap 'rm -rf "$tree"' EXIT
ln -s "$PWD/build" "$tree/build"
mkdir "$tree/migrations"
cp migrations/*.sql "$tree/migrations/"
node --input-type=module -e '
  import { provisioningStatements } from "./scripts/provision.mjs";
  process.stdout.write(provisioningStatements().join(";\n") + ";\n");
' >"$tree/migrations/9999_provision_keys.sql"
requests=${BENCH_REQUESTS:-300}
rounds=${BENCH_ROUNDS:-2}
host=127.0.0.1:8871
common=(--root "$tree" --modules "$PWD/node_modules" --nice=-10 --statuses 30 --requests "$requests" --rounds "$rounds")
echo "== anonymous: discovery, instance, public and tag timelines, the outbox"
node "$tool" "${common[@]}" "$@" \
  "/.well-known/webfinger?resource=acct:alice@$host" '/.well-known/nodeinfo' '/nodeinfo/2.0' \
  '/users/alice|Accept: application/activity+json' '/api/v1/instance' '/api/v2/instance' \
  '/api/v1/timelines/public?limit=20' '/api/v1/timelines/public?limit=40' '/api/v1/timelines/tag/bench?limit=20' \
  '/users/alice/outbox?page=true|Accept: application/activity+json|requests=100'
echo "== as the owner: credentials, home timeline, search"
node "$tool" "${common[@]}" --auth "$@" \
  '/api/v1/accounts/verify_credentials' '/api/v1/timelines/home?limit=20' '/api/v1/timelines/home?limit=40' \
  '/api/v2/search?q=bench&limit=20'
