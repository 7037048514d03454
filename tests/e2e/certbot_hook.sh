#!/usr/bin/env bash
# End to end: certbot (Debian's) obtains a certificate from pebble; `apig-certd sync` binds
# it to apig-sim; `certbot renew --force-renewal` runs `apig-certd hook` as its deploy hook,
# which reads RENEWED_LINEAGE and binds the renewed certificate before certbot returns.
#
#   certbot_hook.sh APIG_CERTD_BINARY APIG_SIM_BINARY      (ctest -L e2e runs it)
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init certbot_hook "$@"

e2e_make_ca
e2e_start_pebble
e2e_start_sim

e2e_log "certbot certonly --standalone for $E2E_DOMAIN"
e2e_certbot_issue
e2e_write_config "$(e2e_binding "lineage = \"$E2E_LIVE\"")"

e2e_log "apig-certd sync (first bind)"
started=$(e2e_now_ms)
e2e_apig_certd sync
e2e_timing "first sync (bind + CNAME resolved)" $(($(e2e_now_ms) - started))
e2e_assert_bound "$E2E_DOMAIN" "$E2E_LIVE/cert.pem" "after the first sync"

printf -v hook '%q --config %q hook' "$E2E_APIG_CERTD" "$E2E_CONFIG"
e2e_log "certbot renew --force-renewal --deploy-hook '$hook'"
e2e_certbot_renew "deploy hook, renewal 1" --deploy-hook "$hook"
# No daemon runs: only the hook can have bound it, and certbot waits for its hooks.
e2e_assert_bound "$E2E_DOMAIN" "$E2E_LIVE/cert.pem" "right after certbot renew returned"
grep -q "Hook 'deploy-hook' ran with" "$E2E_CERTBOT_OUT" ||
    e2e_fail "certbot did not run the deploy hook"
e2e_wait_status "$E2E_LIVE/cert.pem" 10

e2e_log "a second renewal, the same way"
e2e_certbot_renew "deploy hook, renewal 2" --deploy-hook "$hook"
e2e_assert_bound "$E2E_DOMAIN" "$E2E_LIVE/cert.pem" "right after the second renewal"
e2e_wait_status "$E2E_LIVE/cert.pem" 10
e2e_assert_no_secret_leaked
