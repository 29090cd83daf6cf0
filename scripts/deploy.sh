#!/usr/bin/env bash
# Deploys Topi to your own Cloudflare account (`make deploy`), or checks the bundle (`--dry-run`).
#
#   PUBLIC_URL=https://social.example.com ADMIN_USERNAME=me ADMIN_EMAIL=me@example.com make deploy
#
# Creates or reuses the D1 database, R2 bucket, federation queue and its dead-letter queue,
# applies migrations remotely, creates the instance's keys once, sets the ADMIN_PASSWORD secret (prompting if absent) and runs
# `wrangler deploy`. Log in first with `npx wrangler login` or set CLOUDFLARE_API_TOKEN.
set -euo pipefail
cd "$(dirname "$0")/.."
wrangler=node_modules/.bin/wrangler
# Our own budget (the platform allows far more): 1.5 MiB gzip keeps cold starts fast;
# `node bench/startup.mjs` measures what the module costs to compile.
BUNDLE_BUDGET_GZIP_KIB=${BUNDLE_BUDGET_GZIP_KIB:-1536}

if [ "${1:-}" = "--dry-run" ]; then
  out=build/dry-run
  rm -rf "$out"
  log=$(TOPI_PREBUILT=1 "$wrangler" deploy --dry-run --outdir "$out" 2>&1) || { echo "$log"; exit 1; }
  line=$(printf '%s\n' "$log" | grep -E 'Total Upload' | tail -1)
  echo "bundle: ${line:-unknown}"
  gzip_kib=$(printf '%s\n' "$line" | sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/')
  if ! printf '%s' "$gzip_kib" | grep -Eq '^[0-9.]+$'; then
    echo "could not read the gzip size from wrangler's output:" >&2; printf '%s\n' "$log" >&2; exit 1
  fi
  if awk -v s="$gzip_kib" -v b="$BUNDLE_BUDGET_GZIP_KIB" 'BEGIN { exit !(s > b) }'; then
    echo "bundle gzip ${gzip_kib} KiB exceeds the budget of ${BUNDLE_BUDGET_GZIP_KIB} KiB" >&2; exit 1
  fi
  echo "bundle gzip ${gzip_kib} KiB is within the budget of ${BUNDLE_BUDGET_GZIP_KIB} KiB"
  exit 0
fi

public_url=${PUBLIC_URL:-$(sed -nE 's/^PUBLIC_URL = "(.*)"/\1/p' wrangler.toml)}
case "$public_url" in
  https://*) ;;
  *) echo "Set PUBLIC_URL to your instance's https:// address (now: '$public_url')." >&2; exit 1 ;;
esac
vars=(--var "PUBLIC_URL:$public_url")
for name in ADMIN_USERNAME ADMIN_EMAIL HANDLE_DOMAIN INSTANCE_TITLE INSTANCE_DESCRIPTION SOURCE_URL ALLOW_PASSWORD_GRANT; do
  [ -n "${!name:-}" ] && vars+=(--var "$name:${!name}")
done

echo "== D1 database 'topi'"
db_id=$("$wrangler" d1 list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const db=JSON.parse(s).find(d=>d.name==="topi");console.log(db?db.uuid:"")})')
if [ -z "$db_id" ]; then
  "$wrangler" d1 create topi
  db_id=$("$wrangler" d1 list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.parse(s).find(d=>d.name==="topi").uuid)})')
fi
sed -i -E "s/^database_id = \".*\"/database_id = \"$db_id\"/" wrangler.toml
echo "   using $db_id (written to wrangler.toml)"

echo "== R2 bucket 'topi-media'"
"$wrangler" r2 bucket list | grep -q 'topi-media' || "$wrangler" r2 bucket create topi-media

echo "== Queues 'topi-federation' and 'topi-federation-dlq'"
queues=$("$wrangler" queues list)
for q in topi-federation topi-federation-dlq; do
  printf '%s\n' "$queues" | grep -qw "$q" || "$wrangler" queues create "$q"
done

echo "== Migrations"
# Only the migrations this database has not applied yet run (d1_migrations records them). What
# the database looked like before them stays reachable through D1 Time Travel: say where.
bookmark=$(CI=true "$wrangler" d1 time-travel info DB --json 2>/dev/null \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s.slice(s.indexOf("{"))).bookmark||"")}catch{}})' || true)
[ -z "$bookmark" ] || echo "   before them: D1 bookmark $bookmark (undo: npx wrangler d1 time-travel restore topi --bookmark=$bookmark)"
CI=true "$wrangler" d1 migrations apply DB --remote

echo "== Keys (made here once: generating them in a request costs more CPU than the free plan allows)"
node scripts/provision.mjs --remote

echo "== Owner password"
if ! "$wrangler" secret list 2>/dev/null | grep -q '"ADMIN_PASSWORD"'; then
  if [ -n "${ADMIN_PASSWORD:-}" ]; then
    printf '%s' "$ADMIN_PASSWORD" | "$wrangler" secret put ADMIN_PASSWORD
  else
    read -r -s -p "Choose the owner's password: " password; echo
    printf '%s' "$password" | "$wrangler" secret put ADMIN_PASSWORD
  fi
fi

echo "== Deploy"
"$wrangler" deploy "${vars[@]}"
