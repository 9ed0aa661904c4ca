#!/usr/bin/env bash
# Sets up everything (Debian packages, builds) and runs all the tests:
#   1. the release build: unit tests and end-to-end suites (ctest)
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. the libFuzzer targets, briefly, from their seed corpora
#   4. clang-format and clang-tidy on the sources
# SAGERUN_QUICK=1 runs step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/setup.sh build
echo "== docker (dockerd, the debootstrap-built test images)"
scripts/docker-setup.sh
export SAGERUN_REQUIRE_DOCKER=${SAGERUN_REQUIRE_DOCKER:-1}
# Built here, before the suites' timeouts start: a cold base image is a debootstrap run.
scripts/build-test-images.sh build/src/train >/dev/null
echo "== tests (release build)"
ctest --test-dir build -j "$jobs" --output-on-failure
[ "${SAGERUN_QUICK:-0}" = 1 ] && exit 0

echo "== tests (ASan + UBSan build)"
scripts/setup.sh build-asan -DSAGERUN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# The portability and docker suites run train in other roots (a Debian 11 root, the test
# image), which lack the sanitizer runtimes.
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -j "$jobs" --output-on-failure -E 'portability|docker'

echo "== fuzzing (libFuzzer, ${SAGERUN_FUZZ_SECONDS:-20} s per target)"
CXX=clang++-19 scripts/setup.sh build-fuzz -DSAGERUN_FUZZ=ON -DSAGERUN_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++-19
for target in config tar s3_xml job_request; do
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/"${target#s3_}"/* "$corpus"/
  build-fuzz/tests/fuzz/fuzz_"$target" -max_total_time="${SAGERUN_FUZZ_SECONDS:-20}" -max_len=65536 "$corpus" 2>&1 | tail -2
  rm -rf "$corpus"
done

echo "== clang-format"
clang-format-19 --dry-run --Werror $(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')
echo "== clang-tidy"
git ls-files 'src/*.cpp' | xargs -P "$jobs" -n 4 clang-tidy-19 -p build --quiet 2>/dev/null
echo "== all tests passed"
