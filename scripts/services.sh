#!/usr/bin/env bash
# Make sure the real PostgreSQL and Redis the tests use are running; start (or install) them
# when they are not, and say plainly what is missing when that cannot be done.
set -euo pipefail

PG_HOST=127.0.0.1; PG_PORT=5432
REDIS_PORT=6379

have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "services: installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

pg_up() {
  if have pg_isready; then pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; else
    (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null; fi
}

redis_up() {
  if have redis-cli; then [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; else
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null; fi
}

# --- Redis ------------------------------------------------------------------------------
if ! redis_up; then
  have redis-server || apt_install redis-server || {
    echo "services: Redis is not running on 127.0.0.1:$REDIS_PORT and redis-server cannot be installed here." >&2
    echo "          Install Redis (Debian: apt-get install redis-server) or start one on that port." >&2
    exit 1; }
  echo "services: starting redis-server on 127.0.0.1:$REDIS_PORT (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/entraide-redis.log
  for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  redis_up || { echo "services: redis-server did not come up; see /tmp/entraide-redis.log" >&2; exit 1; }
fi

# --- PostgreSQL ---------------------------------------------------------------------------
if ! pg_up; then
  if ! have pg_ctlcluster; then
    apt_install postgresql || {
      echo "services: PostgreSQL is not running on $PG_HOST:$PG_PORT and cannot be installed here." >&2
      echo "          Install it (Debian: apt-get install postgresql) or set ENTRAIDE_TEST_PG_URL." >&2
      exit 1; }
  fi
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -z "$version" ]; then
    echo "services: PostgreSQL is installed but has no cluster (/etc/postgresql is empty)." >&2; exit 1
  fi
  echo "services: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 100); do pg_up && break; sleep 0.1; done
  pg_up || { echo "services: PostgreSQL did not come up on $PG_HOST:$PG_PORT" >&2; exit 1; }
fi

# The tests connect as "postgres" without a password (trust, or local socket for root).
if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  echo "services: cannot connect to PostgreSQL as postgres on $PG_HOST:$PG_PORT without a password." >&2
  echo "          Allow trust auth for 127.0.0.1, or set ENTRAIDE_TEST_PG_URL to a URL that works." >&2
  [ -n "${ENTRAIDE_TEST_PG_URL:-}" ] || exit 1
fi
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atqc \
  "select 1 from pg_database where datname='test'" 2>/dev/null | grep -q 1 \
  || psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qc 'create database test' >/dev/null 2>&1 || true
echo "services: PostgreSQL and Redis are up"
