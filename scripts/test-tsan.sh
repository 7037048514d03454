#!/usr/bin/env bash
# The integration tests under ThreadSanitizer (issue 7): apig-certd makes its APIG requests,
# CNAME polls, probes, cleanup deletes and webhook deliveries on worker threads. Builds
# apig-certd, apig-sim and the integration tests with -fsanitize=thread (Debug) and runs them.
# Fails when a test fails or when any process a test started (every daemon, sync, hook and
# simulator) printed a ThreadSanitizer report: a daemon that a test stops with SIGKILL cannot
# fail its test with TSan's exit code, but its stderr is kept in BUILD_DIR/test-outputs/.
#
#   scripts/test-tsan.sh                        # build in build-tsan/
#   BUILD_DIR=/tmp/tsan JOBS=1 scripts/test-tsan.sh
#   TEST_SIM=build/tests/apig-sim/apig-sim scripts/test-tsan.sh
#
# TEST_SIM: run the tests against that (uninstrumented) apig-sim instead of building one
# with TSan. The simulator is test equipment (its upload validation has a fuzz target under
# ASan and UBSan); under TSan it took about a quarter of the stage's CPU (CI passes the first
# stage's build).
#
# Two tests are left out here; both run in scripts/test.sh and under ASan:
#  * SoakTest (1,000 renewals): about 3 minutes under TSan, through the same code paths the
#    other tests cover;
#  * RunServiceTest.IdleDaemonWithFiftyBindings...: TSan's own background thread uses the
#    CPU time that test requires to be zero.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(realpath -m "${BUILD_DIR:-$root/build-tsan}")
jobs=${JOBS:-$(nproc)}
test_jobs=${TEST_JOBS:-$((2 * jobs))}
sim_binary=${TEST_SIM:+$(realpath "$TEST_SIM")}
if [[ -n "$sim_binary" && ! -x "$sim_binary" ]]; then
    echo "test-tsan: TEST_SIM '$TEST_SIM' is not an executable" >&2
    exit 2
fi

"$root/scripts/install-deps.sh"

cmake -S "$root" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=Debug \
    -DAPIG_CERTD_SANITIZE=thread \
    -DAPIG_CERTD_WERROR=ON \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 \
    -DAPIG_CERTD_TEST_SIM="$sim_binary"
targets=(apig-certd integration_tests)
[[ -n "$sim_binary" ]] || targets+=(apig-sim)
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"

# second_deadlock_stack: both stacks of a lock-order inversion.
export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1}
cd "$build_dir"
status=0
ctest --output-on-failure -j "$test_jobs" --timeout 600 -L 'integration|secrets' \
    -E '^(SoakTest\.|RunServiceTest\.IdleDaemonWithFiftyBindingsMakesNoRequestAndUsesNoCpu$)' ||
    status=$?

reports=$(grep -rl 'WARNING: ThreadSanitizer' test-outputs Testing/Temporary/LastTest.log \
    2>/dev/null || true)
if [[ -n "$reports" ]]; then
    echo "test-tsan: ThreadSanitizer reported a data race or a lock-order inversion in:" >&2
    echo "$reports" | sed 's/^/  /' >&2
    status=1
fi
exit "$status"
