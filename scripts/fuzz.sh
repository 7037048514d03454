#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) and runs each one for a
# while against a copy of its seed corpus. Fails on any crash, leak, timeout or UBSan report.
#
#   scripts/fuzz.sh                  # every target for 30 s, build in build-fuzz/
#   scripts/fuzz.sh 10               # every target for 10 s (CI)
#   scripts/fuzz.sh 600 bundle       # only bundle_fuzz, for 10 minutes
#   BUILD_DIR=/tmp/fz JOBS=1 scripts/fuzz.sh
#   RUNS=10000000 scripts/fuzz.sh 3600 duration   # stop at 10 M executions or after an hour
#   BUILD_TYPE=Debug scripts/fuzz.sh 3   # CI's smoke run: builds faster, runs slower
#
# The repository's corpus (tests/fuzz/corpus/NAME) is never written: each run copies it to
# BUILD_DIR/fuzz-runs/NAME/corpus (adding the certificate and key seeds that
# tests/fuzz/make-seeds.sh makes), and crashing inputs land in BUILD_DIR/fuzz-runs/NAME/.
# To reproduce one: BUILD_DIR/tests/fuzz/NAME_fuzz CRASH-FILE.
#
# Do not pause a run with SIGSTOP (to free the cores for a benchmark, say): libFuzzer counts
# the stopped time against the unit being run and, on SIGCONT, reports a timeout and stops
# (two of three 10 M runs were lost that way; the saved "timeout" inputs run in milliseconds).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(realpath -m "${BUILD_DIR:-$root/build-fuzz}")
jobs=${JOBS:-$(nproc)}
runs=${RUNS:--1}
seconds=${1:-30}
shift || true
all_targets=(duration inotify_events response_parser hook_request settings bundle apig_sim_upload state_json)
if (($# > 0)); then
    targets=("$@")
else
    targets=("${all_targets[@]}")
fi

if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz: SECONDS must be a positive integer, got '$seconds'" >&2
    exit 2
fi

# The build's own dependencies and what only fuzzing needs. With --no-install-recommends (as
# install-deps.sh installs) Debian 12's clang leaves out libclang-rt-14-dev, which holds
# libclang_rt.fuzzer, .asan and .ubsan_standalone (checked with dpkg -S).
"$root/scripts/install-deps.sh" libclang-rt-14-dev

# The fuzz build needs nothing from the test suite (gtest, the simulator's server).
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DAPIG_CERTD_FUZZ=ON \
    -DAPIG_CERTD_BUILD_TESTS=OFF \
    -DAPIG_CERTD_WERROR=ON >/dev/null
fuzz_executables=()
for target in "${targets[@]}"; do
    fuzz_executables+=("${target}_fuzz")
done
cmake --build "$build_dir" -j "$jobs" --target "${fuzz_executables[@]}"

# Leaks are reported at exit; UBSan stops at the first report (the build also sets
# -fno-sanitize-recover=all) so that libFuzzer saves the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
summary=()
for target in "${targets[@]}"; do
    corpus="$root/tests/fuzz/corpus/$target"
    run_dir="$build_dir/fuzz-runs/$target"
    if [[ ! -d "$corpus" ]]; then
        echo "fuzz: no seed corpus $corpus" >&2
        exit 1
    fi
    rm -rf "$run_dir"
    mkdir -p "$run_dir"
    cp -r "$corpus" "$run_dir/corpus"
    # Seeds with certificates and keys are made fresh for each run (none is committed).
    case $target in
        bundle | apig_sim_upload) "$root/tests/fuzz/make-seeds.sh" "$target" "$run_dir/corpus" ;;
    esac
    log="$run_dir/log.txt"
    echo "fuzz: $target for ${seconds}s (log: $log)" >&2
    status=0
    "$build_dir/tests/fuzz/${target}_fuzz" \
        -max_total_time="$seconds" -runs="$runs" -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$run_dir/" "$run_dir/corpus" >"$log" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    result=ok
    if ((status != 0)) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
        result="FAILED (exit $status)"
        failed=1
        # The report and the saved input, so CI logs show them without the build dir.
        grep -E -A 30 'ERROR: |runtime error:' "$log" | head -n 60 >&2 || true
        for artifact in "$run_dir"/crash-* "$run_dir"/leak-* "$run_dir"/timeout-* "$run_dir"/oom-*; do
            if [[ -e "$artifact" ]]; then
                echo "fuzz: saved $artifact" >&2
            fi
        done
    fi
    summary+=("$(printf '%-16s %12s execs %8s exec/s  %s' "$target" "${executions:-?}" "${per_second:-?}" "$result")")
done

echo
printf '%s\n' "${summary[@]}"
exit "$failed"
