#!/usr/bin/env bash
# Rebuilds an instance's D1 database and R2 bucket from an archive of scripts/backup.sh
# (`make restore`). README "Backups".
#
#   bash scripts/restore.sh BACKUP.tar.gz                  into the local state folder
#                                                          .wrangler/state (`make dev` runs on it)
#   bash scripts/restore.sh BACKUP.tar.gz --local STATE    into another local state folder
#   bash scripts/restore.sh BACKUP.tar.gz --remote         onto your Cloudflare account: the D1
#                                                          database `topi` and the bucket
#                                                          `topi-media` are created when missing
# Options: --force (replace a database that holds data), --config FILE (default wrangler.toml).
#
# A database that holds data is never overwritten without --force. One with only the schema and
# the provisioned keys (`make deploy` ran, nobody used the instance yet) is replaced: its tables
# are dropped first. R2 objects of the backup are written over objects with the same key; other
# objects stay. Afterwards every table's row count, the search index and every object's size, MD5
# and content type are checked against the archive. Stop `wrangler dev` on a local state folder
# before restoring into it. The Node half is scripts/backup.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
wrangler=node_modules/.bin/wrangler
[ -x "$wrangler" ] || npm ci --no-audit --no-fund

usage() { echo "usage: $0 BACKUP.tar.gz [--local [STATE] | --remote] [--force] [--config FILE]" >&2; exit 2; }
[ $# -ge 1 ] || usage
archive=$1; shift
[ -f "$archive" ] || { echo "restore: no archive at '$archive'" >&2; exit 2; }
state=.wrangler/state
remote=0
force=0
config=()
while [ $# -gt 0 ]; do
  case "$1" in
    --remote) remote=1 ;;
    --local)
      remote=0
      if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then state=$2; shift; fi ;;
    --force) force=1 ;;
    --config) config=(--config "$2"); shift ;;
    *) usage ;;
  esac
  shift
done
if [ "$remote" = 1 ]; then where=(--remote); target="your account's D1 database and R2 bucket"
else where=(--local --persist-to "$state"); target="the local state folder $state"; mkdir -p "$state"; fi

started=$(date +%s%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/topi-restore-XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 077
tar -C "$work" -xzf "$archive"
dir=$(dirname "$(find "$work" -maxdepth 2 -name manifest.json | head -1)")
[ -f "$dir/manifest.json" ] && [ -f "$dir/r2.json" ] \
  || { echo "restore: $archive is not a Topi backup (no manifest.json, r2.json)" >&2; exit 1; }
node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (m.format !== "topi-backup/1") { console.error(`restore: unknown backup format ${m.format}`); process.exit(1); }
  console.log(`restore: backup of ${m.owner ? m.owner.uri : "an instance without owner"} made ${m.created_at} (${m.source}), ` +
    `${Object.values(m.tables).reduce((a, b) => a + b, 0)} rows, ${m.objects.count} R2 objects`);' "$dir/manifest.json"

if [ "$remote" = 1 ]; then
  # As scripts/deploy.sh does: find or create the database and write its id into wrangler.toml.
  echo "== D1 database 'topi'"
  db_id=$("$wrangler" d1 list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const db=JSON.parse(s).find(d=>d.name==="topi");console.log(db?db.uuid:"")})')
  if [ -z "$db_id" ]; then
    "$wrangler" d1 create topi
    db_id=$("$wrangler" d1 list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.parse(s).find(d=>d.name==="topi").uuid)})')
  fi
  sed -i -E "s/^database_id = \".*\"/database_id = \"$db_id\"/" "${config[1]:-wrangler.toml}"
  echo "== R2 bucket 'topi-media'"
  "$wrangler" r2 bucket list | grep -q 'topi-media' || "$wrangler" r2 bucket create topi-media
fi

inspect=$(node scripts/backup.mjs inspect "${where[@]}" "${config[@]}")
db_state=$(printf '%s' "$inspect" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).state))')
case "$db_state" in
  empty) ;;
  unused) echo "restore: $target has the schema but no data: replacing it"
          node scripts/backup.mjs wipe "${where[@]}" "${config[@]}" ;;
  data)
    if [ "$force" != 1 ]; then
      printf '%s' "$inspect" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const i=JSON.parse(s);
        const used=Object.entries(i.rows).filter(([,n])=>n>0).map(([t,n])=>`${t} ${n}`).join(", ");
        console.error(`restore: ${process.argv[1]} holds data (${i.owner ? i.owner.uri + "; " : ""}${used}).`);
        console.error("restore: refusing to overwrite it; restore elsewhere, or add --force (make restore FORCE=1) to replace it.")})' "$target"
      exit 1
    fi
    echo "restore: --force: dropping every table of $target"
    node scripts/backup.mjs wipe "${where[@]}" "${config[@]}" ;;
  *) echo "restore: could not read the state of $target" >&2; exit 1 ;;
esac

# The SQL files in order, joined into as few imports as the limits the backup cut them by allow.
mapfile -t imports < <(node -e '
  const { files, limits } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).sql;
  let group = [], statements = 0, bytes = 0;
  for (const f of files) {
    if (!/^d1\/[a-z0-9-]+\.sql$/.test(f.file)) { console.error(`restore: odd file name ${f.file} in the manifest`); process.exit(1); }
    if (group.length && (statements + f.statements > limits.statements || bytes + f.bytes > limits.bytes)) {
      console.log(group.join(" ")); group = []; statements = 0; bytes = 0;
    }
    group.push(f.file); statements += f.statements; bytes += f.bytes;
  }
  if (group.length) console.log(group.join(" "));' "$dir/manifest.json")
sql_started=$(date +%s%N)
n=0
for group in "${imports[@]}"; do
  n=$((n + 1))
  read -r -a files <<<"$group"
  (cd "$dir" && cat "${files[@]}") >"$work/import-$n.sql"
  echo "== D1: import $n of ${#imports[@]} (${files[*]}, $(wc -c <"$work/import-$n.sql") bytes)"
  # Locally one import is one transaction; a failure leaves the imports before it in the
  # database (start again with --force).
  CI=true "$wrangler" d1 execute DB "${where[@]}" "${config[@]}" --yes --file "$work/import-$n.sql" >"$work/execute.log" 2>&1 \
    || { cat "$work/execute.log" >&2; echo "restore: import $n failed; the database holds the imports before it" >&2; exit 1; }
  rm -f "$work/import-$n.sql"
done
echo "   imported in $(( ($(date +%s%N) - sql_started) / 1000000 )) ms"
echo "== R2"
node scripts/backup.mjs upload "${where[@]}" "${config[@]}" --from "$dir"
echo "== Check"
node scripts/backup.mjs verify "${where[@]}" "${config[@]}" --from "$dir"
echo "restore: done in $(( ($(date +%s%N) - started) / 1000000 )) ms"

public_url=$(node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(m.owner ? new URL(m.owner.uri).origin : "")' "$dir/manifest.json")
username=$(node -e 'const m=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(m.owner ? m.owner.username : "")' "$dir/manifest.json")
if [ "$remote" = 1 ]; then
  echo "Next: deploy the Worker with the instance's address (actor ids derive from it), owner and password:"
  echo "  PUBLIC_URL=${public_url:-https://…} ADMIN_USERNAME=${username:-…} ADMIN_PASSWORD=… make deploy"
else
  echo "Next: serve it with wrangler dev --persist-to $state (make dev serves .wrangler/state);" \
    "${public_url:+its actors live at $public_url, so pass --var PUBLIC_URL:$public_url to see the same ids}"
fi
