#!/usr/bin/env bash
# Makes this machine's Docker Engine answer on /var/run/docker.sock. The one copy of this logic:
# scripts/test-services.sh (npm test) and `porthole up` (npm start) both run it.
#   scripts/ensure-docker.sh [STATE_DIR]         install docker.io when dockerd is missing (as root,
#                                                apt-get), start it when no daemon answers, repair docker0
#   scripts/ensure-docker.sh --stop STATE_DIR    stop the dockerd an earlier run started with STATE_DIR
# Idempotent and quick when the engine already answers. Logs (apt, dockerd) go to STATE_DIR.
set -euo pipefail

SOCK=/var/run/docker.sock

log() { printf '[ensure-docker] %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
is_root() { [ "$(id -u)" = 0 ]; }

docker_ok() {
  if have curl; then
    curl -sf --max-time 5 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
  elif have docker; then
    docker -H "unix://$SOCK" version >/dev/null 2>&1
  else
    # Nothing to ask with: a live socket is the best sign there is (install_docker adds curl).
    [ -S "$SOCK" ]
  fi
}

install_docker() {
  local pkgs=()
  have dockerd || pkgs+=(docker.io)
  # The health check and the bridge repair need these; docker.io does not pull them in.
  have curl || pkgs+=(curl)
  have ip || pkgs+=(iproute2)
  [ ${#pkgs[@]} -gt 0 ] || return 0
  if ! is_root || ! have apt-get; then
    have dockerd && return 0
    is_root || die "Docker Engine is not installed: install it (Debian/Ubuntu: apt-get install docker.io) as root"
    die "Docker Engine is not installed and there is no apt-get: install it (https://docs.docker.com/engine/install/)"
  fi
  log "installing: ${pkgs[*]} (apt-get; log in $STATE/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$STATE/apt.log" 2>&1 || die "apt-get update failed (see $STATE/apt.log)"
  apt-get install -y -q --no-install-recommends "${pkgs[@]}" >>"$STATE/apt.log" 2>&1 \
    || die "apt-get install ${pkgs[*]} failed (see $STATE/apt.log)"
}

ensure_docker_bridge() {
  # A second dockerd stopped without --bridge=none can delete docker0 under the first one,
  # after which no container on the default network starts; put the bridge back.
  if ! have ip || ! have curl; then return 0; fi
  if docker_ok && ! ip link show docker0 >/dev/null 2>&1; then
    log "dockerd: docker0 bridge missing; recreating it"
    local subnet
    subnet=$(curl -sf --unix-socket "$SOCK" http://localhost/networks/bridge | sed -n 's/.*"Gateway":"\([0-9.]*\)".*/\1/p')
    ip link add docker0 type bridge && ip addr add "${subnet:-172.17.0.1}/16" dev docker0 && ip link set docker0 up
  fi
}

start_docker() {
  if docker_ok; then log "dockerd: already running"; ensure_docker_bridge; return; fi
  is_root || die "no Docker daemon answers on $SOCK: start it as root (systemctl start docker, or dockerd &)"
  if [ -d /run/systemd/system ] && have systemctl; then
    # Under systemd the unit owns the daemon, so it survives this shell and restarts on failure.
    log "dockerd: starting (systemctl start docker)"
    systemctl start docker >"$STATE/systemctl.log" 2>&1 || die "systemctl start docker failed (see $STATE/systemctl.log)"
  else
    log "dockerd: starting in the background (log in $STATE/dockerd.log)"
    (setsid dockerd >"$STATE/dockerd.log" 2>&1 & echo $! >"$STATE/dockerd.pid")
  fi
  for _ in $(seq 1 60); do
    if docker_ok; then log "dockerd: up"; ensure_docker_bridge; return; fi
    sleep 0.5
  done
  die "dockerd did not answer within 30 s (see $STATE/dockerd.log)"
}

stop_docker() {
  [ -f "$STATE/dockerd.pid" ] || return 0
  log "dockerd: stopping"
  kill "$(cat "$STATE/dockerd.pid")" 2>/dev/null || true
  for _ in $(seq 1 40); do docker_ok || break; sleep 0.25; done
  rm -f "$STATE/dockerd.pid"
}

if [ "${1:-}" = "--stop" ]; then
  [ -n "${2:-}" ] || die "usage: $0 --stop STATE_DIR"
  STATE=$2
  stop_docker
  exit 0
fi
STATE=${1:-${TMPDIR:-/tmp}/porthole-docker}
mkdir -p "$STATE"
install_docker
start_docker
