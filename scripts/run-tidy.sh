#!/usr/bin/env bash
# Runs clang-tidy (the repository's .clang-tidy, every warning an error) over the daemon's
# sources, or the given files, in parallel; fails on any finding.
#   scripts/run-tidy.sh [BUILD_DIR] [FILE...]
# BUILD_DIR (default build-tidy) needs a compile_commands.json that lists the real .cpp files
# (no unity build); when it has none, it is configured here (Debug, nothing is compiled).
# TIDY_JOBS sets the number of parallel clang-tidy processes (default: the number of cores).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$root/build-tidy}
shift || true
cd "$root"
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_UNITY_BUILD=OFF \
        >/dev/null
fi
if grep -q '/Unity/unity_' "$build_dir/compile_commands.json"; then
    echo "run-tidy: '$build_dir' is a unity build; clang-tidy needs the real .cpp files" >&2
    exit 1
fi
if (($# == 0)); then
    mapfile -t files < <(git ls-files 'daemon/*.cpp')
else
    files=("$@")
fi
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
# One clang-tidy per file; a file's output is printed in one piece, and only when it fails.
printf '%s\0' "${files[@]}" |
    xargs -0 -n 1 -P "${TIDY_JOBS:-$(nproc)}" sh -c \
        'out=$("$0" -p "$1" --quiet "$2" 2>&1) ||
             { printf "%s\n" "$out" | grep -v "generated\.\$"; exit 1; }' "$tidy" "$build_dir" ||
    { echo "run-tidy: clang-tidy found problems (above)" >&2; exit 1; }
echo "run-tidy: ${#files[@]} files clean"
