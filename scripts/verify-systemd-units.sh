#!/usr/bin/env bash
# Checks the unit files in systemd/ with systemd-analyze (package systemd), offline: no
# running systemd is needed, nothing is installed.
#
#   scripts/verify-systemd-units.sh [APIG_CERTD_BINARY]
#
# 1. `systemd-analyze verify --man=no` on every unit. verify exits 0 on "Unknown key" and on
#    values it cannot parse (it only warns), so any output on stderr counts as a failure.
#    verify also checks that each ExecStart= binary exists; /usr/bin/apig-certd is not there
#    before installation, so the units are copied to a temporary directory with
#    /usr/bin/apig-certd replaced by APIG_CERTD_BINARY (default: build/daemon/apig-certd;
#    any existing executable does, e.g. /bin/true, since nothing is run).
# 2. Every timer's service must be one of the units here (verify does not notice a timer
#    whose service is missing).
# 3. `systemd-analyze security --offline=true --threshold=15` on every service: fails when the
#    exposure is above 1.5 (the threshold is exposure x 10). Prints each exposure line.
#
# Exits non-zero when anything fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
units_dir=$root/systemd
threshold=15

fail() {
    echo "verify-systemd-units: $*" >&2
    exit 1
}

command -v systemd-analyze >/dev/null ||
    fail "systemd-analyze not found; install the 'systemd' package (scripts/install-deps.sh)"

binary=${1:-$root/build/daemon/apig-certd}
[[ -f "$binary" && -x "$binary" ]] ||
    fail "'$binary' is not an executable file; build apig-certd first or pass a binary," \
        "e.g. $0 /bin/true"
binary=$(realpath "$binary")
# The path goes into ExecStart= unquoted and into a sed replacement.
[[ "$binary" =~ ^/[A-Za-z0-9._/+-]+$ ]] ||
    fail "'$binary': use a path of letters, digits and . _ / + - only"

shopt -s nullglob
units=("$units_dir"/*.service "$units_dir"/*.timer)
((${#units[@]} > 0)) || fail "no unit files in $units_dir"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

copies=()
for unit in "${units[@]}"; do
    copy=$work/$(basename "$unit")
    sed "s|/usr/bin/apig-certd|$binary|g" "$unit" >"$copy"
    copies+=("$copy")
done

failed=0

echo "== systemd-analyze verify (ExecStart binary: $binary)"
for copy in "${copies[@]}"; do
    name=$(basename "$copy")
    status=0
    # Run from the copies' directory, so units referring to one another are found there.
    errors=$(cd "$work" && systemd-analyze verify --man=no "$copy" 2>&1 >/dev/null) || status=$?
    if ((status != 0)) || [[ -n "$errors" ]]; then
        echo "FAIL $name (exit $status)"
        # Report the original file name, not the temporary copy's.
        printf '%s\n' "${errors//$work/$units_dir}" | sed 's/^/    /'
        failed=1
    else
        echo "ok   $name"
    fi
done

echo "== timers and their services"
for copy in "$work"/*.timer; do
    name=$(basename "$copy")
    target=$(sed -n 's/^Unit=[[:space:]]*//p' "$copy" | tail -n 1)
    target=${target:-${name%.timer}.service}
    if [[ -f "$work/$target" ]]; then
        echo "ok   $name -> $target"
    else
        echo "FAIL $name -> $target: no such unit in systemd/"
        failed=1
    fi
done

echo "== systemd-analyze security --offline=true --threshold=$threshold"
for copy in "$work"/*.service; do
    name=$(basename "$copy")
    status=0
    output=$(cd "$work" && systemd-analyze security --offline=true --threshold="$threshold" \
        --no-pager "$copy" 2>&1) || status=$?
    exposure=$(grep -F 'Overall exposure level' <<<"$output" || true)
    if ((status != 0)) || [[ -z "$exposure" ]]; then
        echo "FAIL $name (exit $status): ${exposure:-no exposure line}"
        # The settings that cost exposure, and any error.
        output=${output//$work/$units_dir}
        grep -v '^  \|✓\|^$' <<<"$output" | sed 's/^/    /' || true
        failed=1
    else
        echo "ok   ${exposure#→ }"
    fi
done

if ((failed)); then
    fail "FAILED"
fi
echo "verify-systemd-units: all units OK"
