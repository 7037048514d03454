#!/usr/bin/env bash
# Tests completion/apig-certd.bash: sources it, sets COMP_WORDS/COMP_CWORD the way bash does
# for a command line, calls the completion function and compares COMPREPLY.
#
#   packaging/test-completion.sh
#
# Exits non-zero when any case fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Checked on its own (shellcheck -s bash completion/apig-certd.bash).
# shellcheck source=/dev/null
source "$root/completion/apig-certd.bash"

[[ "$(complete -p apig-certd)" == "complete -F _apig_certd apig-certd" ]] || {
    echo "FAIL: 'complete -p apig-certd' is '$(complete -p apig-certd)'" >&2
    exit 1
}

cat >"$work/config.toml" <<'EOF'
[daemon]
state_dir = "/var/lib/apig-certd"

[auth]
method = "aksk"
name = "not-a-binding"

[[binding]]
name    = "www"
lineage = "/etc/letsencrypt/live/www.example.com"

  [[binding.target]]
  instance_id = "eddc4d25480b4cd6b512f270a1b8b341"
  group_id    = "c77f5e81d9cb4424bf704ef2b0ac7600"
  domain      = "www.example.com"

[[binding]]
  name = "api-v2"
  cert = "/etc/ssl/api/fullchain.pem"
  key  = "/etc/ssl/api/privkey.pem"

[[notify]]
name = "also-not-a-binding"
EOF
touch "$work/other.toml"

failures=0

# expect "WORDS..." "EXPECTED COMPREPLY (space-separated, sorted)": the last word is the one
# being completed (may be empty).
expect() {
    local line=$1 expected=$2
    read -r -a COMP_WORDS <<<"$line"
    # A trailing space means a new, empty word is being completed.
    [[ "$line" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    _apig_certd
    local got
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
    got=${got% }
    if [[ "$got" == "$expected" ]]; then
        echo "ok   '$line' -> $got"
    else
        echo "FAIL '$line': expected '$expected', got '$got'" >&2
        failures=$((failures + 1))
    fi
}

cfg=$work/config.toml
expect "apig-certd " "check help hook run status sync version"
expect "apig-certd s" "status sync"
expect "apig-certd -" "--config --help"
expect "apig-certd sync -" "--binding --config --dry-run --force --help --lock-timeout --no-wait"
expect "apig-certd sync --d" "--dry-run"
expect "apig-certd check --" "--config --help --online"
expect "apig-certd status --" "--config --help --json"
expect "apig-certd run --" "--config --help --lock-timeout"
expect "apig-certd hook --" "--config --help --lock-timeout"
expect "apig-certd version " ""
expect "apig-certd hook " "acme.sh certbot dehydrated lego"
expect "apig-certd hook l" "lego"
expect "apig-certd hook dehydrated " ""
expect "apig-certd --config $cfg sync --binding " "api-v2 www"
expect "apig-certd --config $cfg sync --binding w" "www"
expect "apig-certd sync --config $cfg --binding a" "api-v2"
expect "apig-certd --config = $cfg sync --binding " "api-v2 www"
expect "apig-certd --config=$cfg sync --binding " "api-v2 www"
# '=' as its own word (the default COMP_WORDBREAKS), and inside the word.
expect "apig-certd --config $cfg sync --binding = " "api-v2 www"
expect "apig-certd --config $cfg sync --binding=a" "--binding=api-v2"
expect "apig-certd sync --binding " ""
APIG_CERTD_CONFIG=$cfg expect "apig-certd sync --binding " "api-v2 www"
expect "apig-certd --config $work/missing.toml sync --binding " ""
expect "apig-certd --config $work/o" "$work/other.toml"
expect "apig-certd check --config $work/c" "$work/config.toml"
expect "apig-certd sync --lock-timeout 1" "10m"

if ((failures > 0)); then
    echo "test-completion: $failures case(s) failed" >&2
    exit 1
fi
echo "test-completion: all cases passed"
