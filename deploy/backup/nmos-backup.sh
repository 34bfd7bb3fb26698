#!/bin/sh
# nmos-control backups (HA guide §8), run daily by the compose service `db-backup` or a host's cron:
#   dump    pg_dump of the whole database (custom format: pg_restore picks tables, runs in parallel)
#   config  the configuration document from GET /api/backup (optional: set NMOS_CONTROL_URL)
#   prune   removes dumps and documents older than KEEP_DAYS
#   all     the three, in that order (the default); a failed dump prunes nothing
# Environment: PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE (libpq's own), BACKUP_DIR (default /backup),
# KEEP_DAYS (default 14); for `config`: NMOS_CONTROL_URL, BACKUP_USERNAME and BACKUP_PASSWORD (an admin:
# only admins may export), BACKUP_PASSPHRASE (optional, 12+ characters: seals registry tokens and API
# token hashes into the document; without it they are left out). Files are written under a .partial
# name and renamed when complete, so a file without that suffix is always whole.
# WAL archiving for point-in-time recovery is set on the server: deploy/backup/postgresql-archiving.conf.
set -eu

dir=${BACKUP_DIR:-/backup}
keep=${KEEP_DAYS:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

dump() {
  mkdir -p "$dir/dumps"
  out="$dir/dumps/${PGDATABASE:-go_nmos}-$stamp.dump"
  pg_dump -Fc -f "$out.partial"
  mv "$out.partial" "$out"
  echo "database dump: $out"
}

config() {
  if [ -z "${NMOS_CONTROL_URL:-}" ]; then
    echo "configuration document: skipped (NMOS_CONTROL_URL not set)"
    return 0
  fi
  mkdir -p "$dir/config"
  login=$(printf '{"username":"%s","password":"%s"}' "$BACKUP_USERNAME" "$BACKUP_PASSWORD")
  token=$(wget -qO- --header 'content-type: application/json' --post-data "$login" "$NMOS_CONTROL_URL/api/login" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  if [ -z "$token" ]; then
    echo "configuration document: login as $BACKUP_USERNAME failed" >&2
    return 1
  fi
  out="$dir/config/nmos-control-config-$stamp.json"
  if [ -n "${BACKUP_PASSPHRASE:-}" ]; then
    wget -qO "$out.partial" --header "authorization: Bearer $token" --header "x-backup-passphrase: $BACKUP_PASSPHRASE" "$NMOS_CONTROL_URL/api/backup"
  else
    wget -qO "$out.partial" --header "authorization: Bearer $token" "$NMOS_CONTROL_URL/api/backup"
  fi
  mv "$out.partial" "$out"
  echo "configuration document: $out"
}

prune() {
  for sub in dumps config; do
    [ -d "$dir/$sub" ] && find "$dir/$sub" -type f -mtime +"$keep" -delete
  done
  return 0
}

case "${1:-all}" in
  dump) dump ;;
  config) config ;;
  prune) prune ;;
  all)
    # A dump that fails stops here: nothing is pruned while backups are failing. A failed configuration
    # document (the admin's password changed, the API away) does not stop the pruning, but is reported.
    dump
    config || failed=1
    prune
    exit "${failed:-0}"
    ;;
  *)
    echo "usage: $0 [dump|config|prune|all]" >&2
    exit 64
    ;;
esac
