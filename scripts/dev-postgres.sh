#!/usr/bin/env bash
# A local PostgreSQL for hearth's tests and for `hearth serve --store postgres://...`:
# Debian's `postgresql` package (installed when missing), its cluster started, and the role
# the tests use (HEARTH_TEST_POSTGRES, default postgres://hearth:hearth@127.0.0.1:5432/postgres).
# Run as root (or with sudo). .ci/run runs it too.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
cluster=$(pg_lsclusters --no-header | awk 'NR == 1 { print $1 " " $2 }')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >/dev/null
  cluster="$version main"
fi
# shellcheck disable=SC2086
if ! pg_ctlcluster $cluster status >/dev/null 2>&1; then
  pg_ctlcluster $cluster start
fi
for _ in $(seq 1 100); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 0.1
done
pg_isready -h 127.0.0.1
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hearth') THEN
    CREATE ROLE hearth SUPERUSER LOGIN PASSWORD 'hearth';
  END IF;
END $$;
SQL
echo "PostgreSQL ready: postgres://hearth:hearth@127.0.0.1:5432/postgres"
