#!/usr/bin/env bash
# Starts a PostgreSQL 15 server on loopback for the tests that need a shared journal, and prints the connection
# string they use (KIMI_TEST_POSTGRES). Idempotent and quick when the server already runs: `.ci/run` sources it,
# a developer may run it by hand (`export KIMI_TEST_POSTGRES=$(.ci/postgres.sh)`).
#   KIMI_PG_DIR   data folder (default /tmp/kimi-ci-postgres); KIMI_PG_PORT  port on 127.0.0.1 (default 55432)
# Installs Debian's postgresql-15 when its binaries are missing (root only). The server runs as the `postgres`
# system user when this script runs as root (PostgreSQL refuses root), else as the current user.
set -euo pipefail
dir=${KIMI_PG_DIR:-/tmp/kimi-ci-postgres}
port=${KIMI_PG_PORT:-55432}
bin=/usr/lib/postgresql/15/bin
say() { echo "ci/postgres: $*" >&2; }

if [ ! -x "$bin/pg_ctl" ]; then
  if [ "$(id -u)" -ne 0 ]; then say "PostgreSQL 15 is not installed ($bin/pg_ctl) and this is not root: apt-get install postgresql-15"; exit 1; fi
  say "installing postgresql-15 from Debian's packages"
  # The package's own cluster is neither needed nor started (no init system here; policy-rc.d says so where there is one).
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then as_owner() { runuser -u postgres -- "$@"; }; owner=postgres; else as_owner() { "$@"; }; owner=$(id -un); fi

mkdir -p "$dir"
[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
chmod 700 "$dir"
if [ ! -s "$dir/PG_VERSION" ]; then
  # Local socket connections trust the owner (setup only); TCP needs a password (scram), so a wrong one is refused.
  as_owner "$bin/initdb" -D "$dir" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if ! as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  as_owner "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
    || { say "the server did not start; its log:"; tail -n 20 "$dir/server.log" >&2; exit 1; }
fi

psql_admin() { as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
# The tests' role may create databases: each test that needs one makes its own and drops it afterwards.
# Its password differs from every name, so a test can tell that no message shows it.
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'kimi_test'")" != 1 ]; then
  psql_admin -c "CREATE ROLE kimi_test LOGIN CREATEDB" >/dev/null
fi
psql_admin -c "ALTER ROLE kimi_test PASSWORD 'test-only-secret'" >/dev/null
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'kimi_test'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE kimi_test OWNER kimi_test" >/dev/null
fi
echo "Host=127.0.0.1;Port=$port;Database=kimi_test;Username=kimi_test;Password=test-only-secret"
