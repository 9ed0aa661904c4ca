#!/usr/bin/env bash
# Sets up everything (Debian packages, Docker, builds) and runs all the tests:
#   1. the release build: unit tests and end-to-end suites (ctest) against real peers
#   2. one clang build with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's
#      instrumentation: the unit tests and the suites that exercise our own processes most, then
#      every fuzzer, briefly, from its seed corpus
#   3. clang-format and clang-tidy on the sources
# SAGERUN_QUICK=1 runs step 1 only. Each stage's time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

started=$SECONDS
stage_start=$SECONDS
stage_name=""
timings=()
stage() {
  [[ -n $stage_name ]] && timings+=("$(printf '%-34s %4d s' "$stage_name" $((SECONDS - stage_start)))")
  stage_name=$1
  stage_start=$SECONDS
  [[ -n $1 ]] && echo "== $1"
  return 0
}
report_timings() {
  stage ""
  echo "== stage times"
  printf '   %s\n' "${timings[@]}"
  echo "   total                              $((SECONDS - started)) s"
}
trap report_timings EXIT

stage "packages"
scripts/setup.sh --tests --no-build

# Docker and the test images' base (debootstrap, mostly waiting on the mirror) while we compile.
prepare_log=$(mktemp)
(scripts/docker-setup.sh && scripts/build-test-images.sh --base-only >/dev/null && scripts/debian11-root.sh \
  >/dev/null) >"$prepare_log" 2>&1 &
prepare=$!

stage "build (release)"
scripts/setup.sh build

stage "docker and test images"
if ! wait "$prepare"; then
  cat "$prepare_log" >&2
  echo "== preparing docker and the test images failed" >&2
  exit 1
fi
cat "$prepare_log"
export SAGERUN_REQUIRE_DOCKER=${SAGERUN_REQUIRE_DOCKER:-1}
scripts/build-test-images.sh build/src/train >/dev/null

stage "tests (release build)"
ctest --test-dir build -j "$jobs" --output-on-failure
[ "${SAGERUN_QUICK:-0}" = 1 ] && exit 0

stage "build (ASan + UBSan + fuzzers)"
CXX=clang++-19 scripts/setup.sh build-san -DSAGERUN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-19

stage "tests (ASan + UBSan build)"
# The unit tests, and the suites that run our processes hardest (train's supervision, jobs run
# and reconciled, the server). The portability and docker suites run train in other roots, which
# lack the sanitizer runtimes; the rest exercise the same code as these.
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-san -j "$jobs" --output-on-failure \
  -E '^e2e\.' -R '.'
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-san -j "$jobs" --output-on-failure \
  -R '^e2e\.test_(train_supervision|train_args_env|local_native|jobs_lifecycle|server_api|aws_s3)$'

stage "fuzzing (libFuzzer)"
for target in config tar s3_xml job_request http_front; do
  corpus=$(mktemp -d)
  cp tests/fuzz/corpus/"${target#s3_}"/* "$corpus"/
  build-san/tests/fuzz/fuzz_"$target" -max_total_time="${SAGERUN_FUZZ_SECONDS:-10}" -max_len=65536 "$corpus" 2>&1 |
    tail -2
  rm -rf "$corpus"
done

stage "clang-format"
clang-format-19 --dry-run --Werror $(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')

stage "clang-tidy"
# On the unity translation units: each batch of sources is parsed once (the heavy headers once per
# batch, not per file), and findings in the sources they include are reported as theirs.
/usr/bin/python3 - build/compile_commands.json >"$prepare_log" <<'PY'
import json, sys
for entry in json.load(open(sys.argv[1])):
    # The unity batches, and the sources built on their own (SKIP_UNITY_BUILD_INCLUSION).
    file = entry["file"]
    if ("/Unity/" in file and "/src/CMakeFiles/" in file) or (file.endswith(".cpp") and "/src/" in file and "/CMakeFiles/" not in file):
        print(file)
PY
xargs -P "$jobs" -n 1 clang-tidy-19 -p build --config-file=.clang-tidy --checks=-bugprone-suspicious-include \
  --extra-arg=-Wno-unknown-warning-option --quiet <"$prepare_log" 2>/dev/null
rm -f "$prepare_log"
stage ""
echo "== all tests passed"
