#!/usr/bin/env bash
# The performance figures of apig-certd (issue 8): detection latency, idle cost, memory,
# start-up, fan-out and CPU per bind, measured with the real binaries against apig-sim.
# Prints a table (goal, measured, met) and writes the numbers as JSON; when that JSON already
# exists, the table also shows the previous numbers that changed.
#
#   scripts/bench.sh                  # the full run (about 10 minutes)
#   scripts/bench.sh --quick          # CI smoke: every figure, fewer samples, under a minute
#   scripts/bench.sh --output FILE    # default: $BUILD_DIR/bench-results.json
#   scripts/bench.sh --only fanout    # one step: detection, fleet, memory, fanout, bind_cpu,
#                                     # cname_writes (state_dir writes while CNAMEs resolve)
#   scripts/bench.sh --keep           # keep the generated work directory
#
# Uses the build in BUILD_DIR (default build/, as scripts/test.sh leaves it) and builds the
# three binaries it needs when they are missing. Timing figures depend on the machine and its
# load: the load average is recorded with each figure. Exits 1 when a step could not run;
# a missed goal is reported, not an error (CI runs --quick as a smoke test).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(realpath -m "${BUILD_DIR:-$root/build}")
output="$build_dir/bench-results.json"
arguments=()
while (($#)); do
    case "$1" in
        --output)
            output=$(realpath -m "$2")
            shift 2
            ;;
        --quick | --keep)
            arguments+=("$1")
            shift
            ;;
        --only)
            arguments+=("$1" "$2")
            shift 2
            ;;
        -h | --help)
            sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench: unknown argument '$1' (see --help)" >&2
            exit 2
            ;;
    esac
done

"$root/scripts/install-deps.sh"

binaries=("$build_dir/daemon/apig-certd" "$build_dir/tests/apig-sim/apig-sim"
    "$build_dir/tests/bench/bind-cost")
for binary in "${binaries[@]}"; do
    if [[ ! -x "$binary" ]]; then
        echo "bench: $binary is missing: building apig-certd, apig-sim and bind-cost" >&2
        if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
            cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
        fi
        cmake --build "$build_dir" --target apig-certd apig-sim bind-cost
        break
    fi
done

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt")
sanitize=$(sed -n 's/^APIG_CERTD_SANITIZE:STRING=//p' "$build_dir/CMakeCache.txt")
if [[ "$build_type" != RelWithDebInfo && "$build_type" != Release ]] || [[ -n "$sanitize" ]]; then
    echo "bench: warning: $build_dir is a ${build_type:-default} build${sanitize:+ with $sanitize}: the figures are not representative" >&2
fi

exec python3 "$root/scripts/bench.py" --build-dir "$build_dir" --output "$output" "${arguments[@]}"
