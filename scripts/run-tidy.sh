#!/usr/bin/env bash
# Runs clang-tidy (the repository's .clang-tidy, every warning an error) over our sources,
# using the compile_commands.json of a configured build directory.
#   scripts/run-tidy.sh [BUILD_DIR] [FILE...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${1:-$root/build}
shift || true
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
    echo "run-tidy: no compile_commands.json in '$build_dir'; configure the build first" >&2
    exit 1
fi
cd "$root"
if (($# == 0)); then
    mapfile -t files < <(git ls-files 'daemon/*.cpp' 'tests/*.cpp')
else
    files=("$@")
fi
clang-tidy -p "$build_dir" --quiet "${files[@]}"
