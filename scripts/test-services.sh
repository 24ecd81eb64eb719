#!/usr/bin/env bash
# Installs (when missing) and starts the real services the test suite needs: Docker Engine (through
# scripts/ensure-docker.sh, shared with `npm start`), PostgreSQL, Redis, nginx and Chromium.
# Idempotent and quick when everything is already there.
#   scripts/test-services.sh up     start what is missing, write .test-services/env
#   scripts/test-services.sh down   stop only what `up` started
# In CI (CI=true) a service that cannot be started fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.test-services
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
PG_PORT=${PORTHOLE_TEST_PG_PORT:-55432}
REDIS_PORT=${PORTHOLE_TEST_REDIS_PORT:-56379}
# One data directory per port, so a second checkout on other ports never touches this one's files.
PG_DATA=/var/lib/porthole-test/pg-$PG_PORT
PG_LOG=/var/lib/porthole-test/pg-$PG_PORT.log

log() { printf '[test-services] %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

ensure_packages() {
  [ -n "$(pg_bin)" ] || need_pkgs+=(postgresql)
  have redis-server || need_pkgs+=(redis-server)
  have nginx || have /usr/sbin/nginx || need_pkgs+=(nginx)
  have chromium || need_pkgs+=(chromium)
  have debootstrap || have /usr/sbin/debootstrap || need_pkgs+=(debootstrap)
  have busybox || need_pkgs+=(busybox-static)
  have docker-registry || need_pkgs+=(docker-registry)
  have ip || have /usr/sbin/ip || need_pkgs+=(iproute2)
  have openssl || need_pkgs+=(openssl)
  have cc || need_pkgs+=(gcc libc6-dev)
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >"$STATE/apt.log" 2>&1 || die "apt-get update failed (see $STATE/apt.log)"
    apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >>"$STATE/apt.log" 2>&1 \
      || die "apt-get install ${need_pkgs[*]} failed (see $STATE/apt.log)"
  fi
}

# Docker Engine: installed, started and its docker0 bridge repaired by the script `npm start` runs too.
start_docker() { bash scripts/ensure-docker.sh "$STATE" || die "Docker Engine is not available"; }

pg_ok() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }

start_postgres() {
  if pg_ok; then log "postgres: already running on $PG_PORT"; return; fi
  local bin data
  # Outside the checkout: the postgres user must be able to reach it whatever the clone's permissions.
  bin=$(pg_bin); data=$PG_DATA
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"; mkdir -p "$data"; chown postgres /var/lib/porthole-test "$data"
    runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$STATE/pg-init.log" 2>&1 \
      || die "initdb failed (see $STATE/pg-init.log)"
  fi
  rm -f "$data/postmaster.pid"
  log "postgres: starting on 127.0.0.1:$PG_PORT"
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$PG_LOG" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=/tmp -c max_connections=400 -c fsync=off" start >/dev/null \
    || die "postgres did not start (see $PG_LOG)"
  touch "$STATE/pg.started"
}

redis_ok() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  if redis_ok; then log "redis: already running on $REDIS_PORT"; return; fi
  log "redis: starting on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log" >/dev/null
  for _ in $(seq 1 40); do redis_ok && { touch "$STATE/redis.started"; return; }; sleep 0.25; done
  die "redis did not start (see $STATE/redis.log)"
}

check_tools() {
  have /usr/bin/chromium || die "chromium missing"
  have nginx || have /usr/sbin/nginx || die "nginx missing"
}

# Chromium aborts requests (and loopback WebSockets) whenever a network interface comes or goes,
# which on a Docker host is every container start; the shim keeps it from watching (see the file).
build_chromium_shim() {
  local src=test/support/no-netlink.c out="$STATE/no-netlink.so"
  if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
    cc -shared -fPIC -O2 -o "$out" "$src" -ldl || die "could not build $src"
  fi
}

up() {
  ensure_packages
  start_docker
  start_postgres
  start_redis
  check_tools
  build_chromium_shim
  cat >"$STATE/env" <<ENV
export PORTHOLE_TEST_SERVICES=1
export TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export DOCKER_SOCKET=/var/run/docker.sock
export CHROMIUM_PATH=/usr/bin/chromium
export PORTHOLE_CHROMIUM_PRELOAD=$STATE/no-netlink.so
export NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
ENV
  log "services ready"
}

down() {
  if [ -f "$STATE/redis.started" ]; then
    log "redis: stopping"; redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -f "$STATE/redis.started"
  fi
  if [ -f "$STATE/pg.started" ]; then
    log "postgres: stopping"; runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    rm -f "$STATE/pg.started"
  fi
  bash scripts/ensure-docker.sh --stop "$STATE"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac
