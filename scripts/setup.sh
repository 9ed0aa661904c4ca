#!/usr/bin/env bash
# Installs what sagerun needs on Debian 12 (only the packages that are missing) and builds it.
#   scripts/setup.sh [--example | --tests] [--no-build] [BUILD_DIR] [extra cmake options...]
# --example installs only what `sagerun`, `train` and the example job need and builds just those
# two (the quick start); without it the build also has the unit tests, and the packages include
# the toolchains of the checks (clang, clang-tidy, the fuzzing runtime); --tests also installs
# what the test suites need (Docker, the registry, the distributed launchers, Chromium and
# Playwright for the dashboard's browser tests: tests/browser, from npm). --no-build stops
# after the packages. The build is a unity build (CMAKE_UNITY_BUILD: each library's sources
# compiled a batch at a time, several times faster here) in Release; extra options override both.
# apt's download time is printed apart from its install time.
set -euo pipefail
cd "$(dirname "$0")/.."

# What building sagerun and train, and running the example job, need.
packages=(
  build-essential cmake ninja-build g++ pkg-config
  nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev libcurl4-openssl-dev libdeflate-dev libcpp-httplib-dev libboost-dev
  libsqlite3-dev python3 python3-numpy python3-sklearn
)
# The tests' and checks' own.
check_packages=(
  clang-19 clang-format-19 clang-tidy-19 libclang-rt-19-dev libgtest-dev libgmock-dev googletest python3-venv
  hyperfine time debootstrap util-linux procps awscli curl openssl wrk
)
# The distributed suites' launchers, without their recommends (python3-torch's are large).
lean_packages=()
build=yes
mode=full
if [[ ${1:-} == --example ]]; then
  mode=example
  shift
else
  packages+=("${check_packages[@]}")
fi
tests=no
if [[ ${1:-} == --tests ]]; then
  tests=yes
  packages+=(docker.io docker-registry chromium)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
  lean_packages+=(python3-torch python3-mpi4py openmpi-bin)
  shift
fi
if [[ ${1:-} == --no-build ]]; then
  build=no
  shift
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
lean_missing=()
for p in "${lean_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || lean_missing+=("$p")
done
if ((${#missing[@]} + ${#lean_missing[@]})); then
  echo "sagerun setup: installing ${missing[*]} ${lean_missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  apt_get() { DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -y -qq "$@" >/dev/null; }
  fetching=$SECONDS
  "${sudo_cmd[@]}" apt-get update -qq
  for step in --download-only ""; do
    [[ -z $step ]] && installing=$SECONDS
    if ((${#missing[@]})); then apt_get install $step "${missing[@]}"; fi
    if ((${#lean_missing[@]})); then apt_get install $step --no-install-recommends "${lean_missing[@]}"; fi
  done
  echo "sagerun setup: apt downloaded in $((installing - fetching)) s, installed in $((SECONDS - installing)) s"
  if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null 2>&1; then
    # The suites start their own registry on loopback; the packaged service is not wanted.
    "${sudo_cmd[@]}" systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi
if [[ $tests == yes ]]; then
  # Playwright (its core only: the browser is Debian's chromium), at the version the lock file pins.
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
fi
[[ $build == yes ]] || exit 0

build_dir=${1:-build}
shift || true
targets=()
if [[ $mode == example ]]; then
  set -- -DSAGERUN_TESTS=OFF -DSAGERUN_BENCH=OFF "$@"
  targets=(sagerun train)
else
  set -- -DSAGERUN_TESTS=ON -DSAGERUN_BENCH=ON "$@" # a build folder the quick start made has them off
fi
cmake -S . -B "$build_dir" -G Ninja -DSAGERUN_WERROR=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 "$@" >/dev/null
ninja -C "$build_dir" "${targets[@]}"
