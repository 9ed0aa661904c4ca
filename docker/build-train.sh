#!/bin/sh
# The `train` stage of docker/Dockerfile.cpu and docker/Dockerfile.gpu:
#   build-train.sh deps  MODE   MODE=source: installs the toolchain and -dev packages that are
#                               missing (apt-get; a no-op on a builder base that has them)
#   build-train.sh build MODE   MODE=source: compiles the static `train` from /src into /out/train
#                               MODE=prebuilt: takes /src/docker/prebuilt/train instead, checked
#                               against TRAIN_SHA256 when that is set
# The legacy builder runs every stage of a Dockerfile whatever the target needs, so each step
# decides here rather than by stage selection: a prebuilt build compiles nothing.
set -eu

log() { echo "sagerun-build-train: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 2 ] || die "usage: build-train.sh deps|build source|prebuilt"
step=$1 mode=$2
case $step in deps | build) ;; *) die "unknown step '$step' (deps or build)" ;; esac
case $mode in source | prebuilt) ;; *) die "TRAIN_FROM must be 'source' or 'prebuilt', not '$mode'" ;; esac

# What configuring sagerun and compiling `train` needs (scripts/setup.sh has the full list).
packages="g++ cmake ninja-build pkg-config nlohmann-json3-dev zlib1g-dev libssl-dev
  libcurl4-openssl-dev libdeflate-dev libcpp-httplib-dev libsqlite3-dev"

deps() {
  [ "$mode" = source ] || return 0
  missing=
  for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed$" ||
      missing="$missing $package"
  done
  if [ -z "$missing" ]; then
    log "the toolchain is installed"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "BUILDER_IMAGE needs a Debian 12 (or newer) base with apt-get to install:$missing"
  log "apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086  # a list
  apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $missing >/dev/null
  rm -rf /var/lib/apt/lists/*
}

build() {
  mkdir -p /out
  if [ "$mode" = prebuilt ]; then
    binary=/src/docker/prebuilt/train
    [ -f "$binary" ] ||
      die "TRAIN_FROM=prebuilt needs the binary at docker/prebuilt/train in the build context (sagerun image build --train PATH puts it there)"
    if [ -n "${TRAIN_SHA256:-}" ]; then
      actual=$(sha256sum "$binary" | cut -d' ' -f1)
      [ "$actual" = "$TRAIN_SHA256" ] || die "docker/prebuilt/train has sha256 $actual, not TRAIN_SHA256=$TRAIN_SHA256"
    fi
    cp "$binary" /out/train
  else
    [ -f /src/CMakeLists.txt ] || die "no sagerun sources in the build context (run the build from the repository root)"
    # The optimisation of the default (tested) build, without debug info; static; only `train`.
    cmake -S /src -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DSAGERUN_STATIC_TRAIN=ON \
      -DSAGERUN_TESTS=OFF -DSAGERUN_BENCH=OFF -DSAGERUN_WERROR=OFF >/dev/null
    ninja -C /tmp/build train
    strip --strip-all -o /out/train /tmp/build/src/train
    rm -rf /tmp/build
  fi
  chmod 755 /out/train
  log "train from $mode: $(/out/train --version), sha256 $(sha256sum /out/train | cut -d' ' -f1)"
}

"$step"
