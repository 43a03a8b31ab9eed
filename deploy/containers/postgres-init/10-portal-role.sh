#!/bin/sh
# Run once by the postgres image when it makes the database (compose.yaml mounts this folder at
# /docker-entrypoint-initdb.d): the portal's own role, which the migrate step then grants row access
# (DATABASE_APP_ROLE) and nothing else. The schema's owner is POSTGRES_USER. Both passwords are secrets.
set -eu
psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set app_password="$(cat /run/secrets/postgres_app_password)" <<'SQL'
CREATE ROLE vetting_portal LOGIN PASSWORD :'app_password';
REVOKE ALL ON DATABASE vetting_portal FROM PUBLIC;
SQL
