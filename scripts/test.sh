#!/usr/bin/env bash
# Builds apig-certd and runs every test. On a fresh Debian 12 machine (as root) it first
# installs what the build and the tests need (scripts/install-deps.sh).
#
#   scripts/test.sh                          # RelWithDebInfo build in build/, all tests
#   BUILD_DIR=build-asan SANITIZE=address,undefined scripts/test.sh
#   BUILD_TYPE=Debug scripts/test.sh
#   UNITY_BUILD=OFF scripts/test.sh          # one object per source (unity batches of 16
#                                            # files build about 3x faster from scratch)
#   UNIT_TESTS_ONE_PROCESS=ON scripts/test.sh  # all unit tests in one process (sanitizer
#                                              # builds: process start-up dominates)
#   JOBS=1 TEST_JOBS=2 scripts/test.sh       # build jobs (default: the cores), tests at once
#                                            # (default: twice JOBS)
#   TEST_SIM=build/tests/apig-sim/apig-sim BUILD_DIR=build-asan SANITIZE=address,undefined \
#       scripts/test.sh                      # the tests against another build's apig-sim
#
# Exits non-zero when anything fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(realpath -m "${BUILD_DIR:-$root/build}")
build_type=${BUILD_TYPE:-RelWithDebInfo}
sanitize=${SANITIZE:-}
jobs=${JOBS:-$(nproc)}
# Tests at once: twice the cores. Most of a test's time is waiting (debounce, CNAME polls,
# backoff), not CPU: on 2 cores the integration and fault tests took 181 s at -j2 and 105 s
# at -j4, using 1.1 cores on average.
test_jobs=${TEST_JOBS:-$((2 * jobs))}
# The apig-sim the tests start (default: the one this build makes).
test_sim=${TEST_SIM:+$(realpath "$TEST_SIM")}

"$root/scripts/install-deps.sh"

cmake -S "$root" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="$build_type" \
    -DAPIG_CERTD_SANITIZE="$sanitize" \
    -DAPIG_CERTD_WERROR=ON \
    -DCMAKE_UNITY_BUILD="${UNITY_BUILD:-ON}" -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 \
    -DAPIG_CERTD_UNIT_TESTS_ONE_PROCESS="${UNIT_TESTS_ONE_PROCESS:-OFF}" \
    -DAPIG_CERTD_TEST_SIM="$test_sim"
cmake --build "$build_dir" -j "$jobs"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
cd "$build_dir"
ctest --output-on-failure -j "$test_jobs" --timeout 300

# The unit files: systemd-analyze verify, and the exposure score of both services (<= 1.5).
"$root/scripts/verify-systemd-units.sh" "$build_dir/daemon/apig-certd"
