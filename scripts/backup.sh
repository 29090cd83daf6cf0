#!/usr/bin/env bash
# Saves everything needed to rebuild the instance into one dated archive (`make backup`): the D1
# database (schema and rows) and every R2 object with its content type. README "Backups".
#
#   bash scripts/backup.sh                   the deployed instance (your account's D1 and R2;
#                                            `npx wrangler login` or CLOUDFLARE_API_TOKEN)
#   bash scripts/backup.sh --local [STATE]   a local state folder (default .wrangler/state, the
#                                            one `make dev` runs on)
# Options: --output FILE (default backups/topi-<remote|local>-<UTC time>.tar.gz),
#          --config FILE (default wrangler.toml).
#
# The archive holds one folder: manifest.json (row counts per table, R2 objects, the migrations
# applied, the owner's actor id; for the deployed instance also the D1 Time Travel bookmark of the
# moment the backup started), d1/*.sql (what `wrangler d1 execute --file` imports, in the order
# the manifest lists), r2.json (each object's key, size, MD5 and metadata) and r2/<key> (the bytes). It holds the instance's private
# keys and token hashes: keep it as private as the account. Not in it: the ADMIN_PASSWORD secret
# and queue messages still in flight. The Node half is scripts/backup.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
wrangler=node_modules/.bin/wrangler
[ -x "$wrangler" ] || npm ci --no-audit --no-fund

where=(--remote)
source=remote
output=""
config=()
while [ $# -gt 0 ]; do
  case "$1" in
    --remote) where=(--remote); source=remote ;;
    --local)
      state=.wrangler/state
      if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then state=$2; shift; fi
      [ -d "$state" ] || { echo "backup: no state folder at $state" >&2; exit 2; }
      where=(--persist-to "$state"); source=local ;;
    --output) output=$2; shift ;;
    --config) config=(--config "$2"); shift ;;
    *) echo "usage: $0 [--remote | --local [STATE]] [--output FILE] [--config FILE]" >&2; exit 2 ;;
  esac
  shift
done

stamp=$(date -u +%Y%m%d-%H%M%SZ)
name=topi-$source-$stamp
[ -n "$output" ] || output=backups/$name.tar.gz
mkdir -p "$(dirname "$output")"
umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/topi-backup-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s%N)

node scripts/backup.mjs dump "${where[@]}" "${config[@]}" --out "$work/$name"
tar -C "$work" -czf "$output" "$name"
elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
echo "backup: $output ($(du -h "$output" | cut -f1), $(stat -c %s "$output") bytes) in ${elapsed} ms"
