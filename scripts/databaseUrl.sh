# shellcheck shell=bash
# Sourced by scripts/backup and scripts/restore (which define die): makes the portal's DATABASE_URL fit
# for libpq (psql, pg_dump, pg_restore). By hand, because no program on a stock host does it.
#
# use_database_url URL sets database_url to URL without its password and without the query parameters
# that only Prisma or node-postgres understand (libpq refuses an unknown one, and psql's complaint would
# quote the URL), and exports the password, percent-decoded, as PGPASSWORD: a command line is readable
# by every user of the host (ps), a process's environment only by its owner.
# TLS passes through as libpq knows it: ?sslmode=verify-full&sslrootcert=/path/ca.pem (and sslcert=,
# sslkey= for a client certificate) checks the server's certificate and host name as the portal does.
# check_database_connection PSQL connects once, before any work, and stops with what to fix.
# read_database_url sets DATABASE_URL from where the portal reads it (src/config.ts): the variable
# itself, the file DATABASE_URL_FILE names, or the systemd credential vetting-portal_DATABASE_URL (or
# DATABASE_URL) under $CREDENTIALS_DIRECTORY; one of them, never two.
read_database_url() {
  local file="${DATABASE_URL_FILE:-}" candidate
  if [[ -z $file && -n ${CREDENTIALS_DIRECTORY:-} ]]; then
    for candidate in "$CREDENTIALS_DIRECTORY/vetting-portal_DATABASE_URL" "$CREDENTIALS_DIRECTORY/DATABASE_URL"; do
      if [[ -e $candidate ]]; then
        file=$candidate
        break
      fi
    done
  fi
  if [[ -n $file ]]; then
    [[ -z ${DATABASE_URL:-} ]] || die "set either DATABASE_URL or DATABASE_URL_FILE (or its credential), not both"
    [[ -r $file ]] || die "DATABASE_URL_FILE $file cannot be read"
    DATABASE_URL=$(<"$file")
    [[ -n $DATABASE_URL ]] || die "DATABASE_URL_FILE $file is empty"
  fi
  [[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set (nor DATABASE_URL_FILE)"
}

use_database_url() {
  local url=$1
  [[ $url =~ ^(postgres(ql)?://)([^/?#]*)(/[^?#]*)?(\?([^#]*))?$ ]] ||
    die "DATABASE_URL must be a postgresql:// URL"
  local scheme=${BASH_REMATCH[1]} authority=${BASH_REMATCH[3]} path=${BASH_REMATCH[4]} query=${BASH_REMATCH[6]}
  local userinfo="" hostport=$authority user password
  if [[ $authority == *@* ]]; then
    userinfo=${authority%@*}
    hostport=${authority##*@}
  fi
  user=${userinfo%%:*}
  if [[ $userinfo == *:* ]]; then
    password=${userinfo#*:}
    # Backslashes doubled first, so that only the %XX escapes are decoded.
    password=${password//\\/\\\\}
    printf -v PGPASSWORD '%b' "${password//%/\\x}"
    export PGPASSWORD
  fi
  local kept=() parameters=() parameter
  [[ -z $query ]] || IFS='&' read -r -a parameters <<<"$query"
  for parameter in "${parameters[@]}"; do
    case ${parameter%%=*} in
    schema | connection_limit | pool_timeout | socket_timeout | pgbouncer | statement_cache_size | \
      sslaccept | sslidentity | uselibpqcompat | max_idle_connection_lifetime) ;;
    *) kept+=("$parameter") ;;
    esac
  done
  local joined
  joined=$(IFS='&' && printf '%s' "${kept[*]}")
  # shellcheck disable=SC2034 # read by the script that sourced this file
  database_url="$scheme${user:+$user@}$hostport$path${joined:+?$joined}"
}

check_database_connection() {
  local psql=$1 error
  error=$("$psql" --no-psqlrc --quiet --tuples-only --dbname="$database_url" --command='SELECT 1' 2>&1 >/dev/null) &&
    return 0
  # psql's words (they name the host and port, never the password), on one line.
  error=${error#psql: error: }
  error=${error//$'\n'/ }
  # A wrong sslrootcert, or a host name the certificate does not name: said as the portal says it.
  if [[ $error == *certificate* ]]; then
    die "the database server's TLS certificate was not accepted: ${error#*failed: } (check sslrootcert and the host name in DATABASE_URL)"
  fi
  die "could not connect to the database: $error"
}
