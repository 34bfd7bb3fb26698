#!/bin/sh
# Run once by Patroni on the first leader, with a superuser connection string as $1: the controller's
# role and database (names as in the HA guide). The controller's migrations create everything else.
set -eu
: "${NMOS_DB_PASSWORD:?set NMOS_DB_PASSWORD for the controller's database role}"
psql "$1" -v ON_ERROR_STOP=1 -v pw="$NMOS_DB_PASSWORD" <<'SQL'
CREATE ROLE nmos_user LOGIN PASSWORD :'pw';
CREATE DATABASE go_nmos OWNER nmos_user;
SQL
