#!/usr/bin/env bash
# Makes a Docker daemon available for the tests, idempotently:
#   - installs Debian's docker.io when `docker` or `dockerd` is missing;
#   - installs Debian's docker-registry when missing (the image suites start their own instance on
#     loopback as the push target; the packaged service is not needed and is disabled);
#   - starts dockerd in the background when `docker info` fails, and waits (up to
#     SAGERUN_DOCKERD_WAIT seconds, 60 by default) until it answers.
# Runs as root, or through sudo otherwise. Prints one line on what it did.
set -euo pipefail

die() { echo "docker-setup: error: $*" >&2; exit 1; }

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing"
  sudo_cmd=(sudo)
fi

did=()

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  "${sudo_cmd[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq docker.io >/dev/null \
    || die "could not install docker.io"
  hash -r
  did+=("installed docker.io")
fi

if [[ ! -x /usr/bin/docker-registry ]]; then
  "${sudo_cmd[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq docker-registry >/dev/null \
    || die "could not install docker-registry"
  if command -v systemctl >/dev/null 2>&1; then
    "${sudo_cmd[@]}" systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
  did+=("installed docker-registry")
fi

docker_info() { "${sudo_cmd[@]}" docker info >/dev/null 2>&1; }

if ! docker_info; then
  log=/var/log/sagerun-dockerd.log
  if ! "${sudo_cmd[@]}" sh -c ": >>'$log'" 2>/dev/null; then
    log="${TMPDIR:-/tmp}/sagerun-dockerd.log"
  fi
  dockerd_bin=$(command -v dockerd)
  # setsid + nohup: the daemon outlives this script and the terminal or test that ran it.
  "${sudo_cmd[@]}" sh -c "setsid nohup '$dockerd_bin' >'$log' 2>&1 </dev/null &"
  wait_s=${SAGERUN_DOCKERD_WAIT:-60}
  for ((i = 0; i < wait_s; i++)); do
    docker_info && break
    sleep 1
  done
  if ! docker_info; then
    echo "docker-setup: dockerd did not answer within ${wait_s} s; the end of $log:" >&2
    "${sudo_cmd[@]}" tail -n 20 "$log" >&2 || true
    die "dockerd is not running"
  fi
  did+=("started dockerd (log: $log)")
fi

version=$("${sudo_cmd[@]}" docker version -f '{{.Server.Version}}' 2>/dev/null || echo unknown)
if ((${#did[@]})); then
  echo "docker-setup: $(printf '%s; ' "${did[@]}")daemon $version"
else
  echo "docker-setup: docker already running (daemon $version)"
fi
