#!/bin/sh
# A streaming replica: cloned from the primary with pg_basebackup on first start, then a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup -h db-primary -U replicator -D "$PGDATA" -S replica1 -R -X stream -P; do
    echo "waiting for the primary"; sleep 2
  done
  chmod 0700 "$PGDATA"
fi
chown -R postgres:postgres "$PGDATA"
exec su-exec postgres postgres -D "$PGDATA" -c hot_standby=on
