#!/usr/bin/env bash
# Checks doc/apig-certd.8 and completion/apig-certd.bash against each other and, when a
# binary is given, against its --help text.
#
#   packaging/test-manpage.sh [APIG_CERTD_BINARY]
#
# 1. `groff -man -ww -z` prints nothing (every warning enabled); `mandoc -T lint` passes when
#    mandoc is installed (it is optional).
# 2. Every command and every option of `apig-certd --help` appears in the man page and in the
#    completion, so a new option cannot be forgotten in either.
#
# Exits non-zero when anything fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
page=$root/doc/apig-certd.8
completion=$root/completion/apig-certd.bash
binary=${1:-}
failures=0

warnings=$(groff -man -ww -z "$page" 2>&1) || true
if [[ -n "$warnings" ]]; then
    echo "FAIL: groff -man -ww -z $page:" >&2
    echo "$warnings" >&2
    failures=$((failures + 1))
else
    echo "ok   groff -man -ww -z: no warnings"
fi

if command -v mandoc >/dev/null; then
    if mandoc -T lint "$page"; then
        echo "ok   mandoc -T lint: clean"
    else
        echo "FAIL: mandoc -T lint $page" >&2
        failures=$((failures + 1))
    fi
else
    echo "skip mandoc -T lint (mandoc is not installed)"
fi

if [[ -n "$binary" ]]; then
    help=$("$binary" --help)
    # Commands: the first word of each line of the Commands: block; options: every --word.
    mapfile -t commands < <(sed -n '/^Commands:/,/^$/p' <<<"$help" |
        sed -n 's/^  \([a-z][a-z]*\)\b.*/\1/p')
    mapfile -t options < <(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
    ((${#commands[@]} >= 6)) || {
        echo "FAIL: found only ${#commands[@]} commands in '$binary --help'" >&2
        exit 1
    }
    # In roff, '-' in options is written '\-'.
    rendered=$(sed 's/\\-/-/g' "$page")
    for word in "${commands[@]}"; do
        grep -Eq "^\.B $word( |\$)" <<<"$rendered" || {
            echo "FAIL: the man page has no '.B $word' entry for the command $word" >&2
            failures=$((failures + 1))
        }
        grep -qw -- "$word" "$completion" || {
            echo "FAIL: the completion does not offer the command $word" >&2
            failures=$((failures + 1))
        }
    done
    for word in "${options[@]}"; do
        grep -q -- "$word" <<<"$rendered" || {
            echo "FAIL: the man page does not mention $word" >&2
            failures=$((failures + 1))
        }
        grep -q -- "$word\b" "$completion" || {
            echo "FAIL: the completion does not offer $word" >&2
            failures=$((failures + 1))
        }
    done
    echo "ok   checked ${#commands[@]} commands and ${#options[@]} options of --help"
fi

if ((failures > 0)); then
    echo "test-manpage: $failures check(s) failed" >&2
    exit 1
fi
echo "test-manpage: all checks passed"
