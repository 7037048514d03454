#!/usr/bin/env bash
# End to end: lego (Debian's) obtains a certificate from pebble; `apig-certd sync` binds it to
# apig-sim; `lego renew --renew-hook "apig-certd hook lego"` renews it in place and the hook
# (LEGO_CERT_PATH, LEGO_CERT_KEY_PATH) binds it before lego returns.
#
#   lego_hook.sh APIG_CERTD_BINARY APIG_SIM_BINARY      (ctest -L e2e runs it)
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init lego_hook "$@"

e2e_make_ca
e2e_start_pebble
e2e_start_sim

e2e_log "lego run (HTTP-01) for $E2E_DOMAIN"
e2e_lego_issue
e2e_write_config "$(e2e_binding "cert = \"$E2E_LEGO_CERT\"
key = \"$E2E_LEGO_KEY\"")"

e2e_log "apig-certd sync (first bind)"
started=$(e2e_now_ms)
e2e_apig_certd sync
e2e_timing "first sync (bind + CNAME resolved)" $(($(e2e_now_ms) - started))
e2e_assert_bound "$E2E_DOMAIN" "$E2E_LEGO_CERT" "after the first sync"

# lego splits the hook on white space and runs it without a shell.
hook="$E2E_APIG_CERTD --config $E2E_CONFIG hook lego"
[[ "$E2E_APIG_CERTD$E2E_CONFIG" != *[[:space:]]* ]] ||
    e2e_fail "a path contains white space, which lego's --renew-hook cannot carry: $hook"
for round in 1 2; do
    e2e_log "lego renew --renew-hook '$hook' (renewal $round)"
    e2e_lego_renew "renew hook, renewal $round" --renew-hook "$hook"
    # No daemon runs: only the hook can have bound it, and lego waits for its hook (and
    # exits non-zero when the hook fails).
    e2e_assert_bound "$E2E_DOMAIN" "$E2E_LEGO_CERT" "right after lego renew $round returned"
    e2e_wait_status "$E2E_LEGO_CERT" 10
done
e2e_assert_no_secret_leaked
