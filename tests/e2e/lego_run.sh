#!/usr/bin/env bash
# End to end: lego (Debian's) obtains a certificate from pebble; `apig-certd run` binds it to
# apig-sim at start, then notices a plain `lego renew` (files rewritten in place) and binds
# the renewed certificate within seconds; SIGTERM stops it, exit 0.
#
#   lego_run.sh APIG_CERTD_BINARY APIG_SIM_BINARY      (ctest -L e2e runs it)
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init lego_run "$@"

e2e_make_ca
e2e_start_pebble
e2e_start_sim

e2e_log "lego run (HTTP-01) for $E2E_DOMAIN"
e2e_lego_issue
e2e_write_config "$(e2e_binding "cert = \"$E2E_LEGO_CERT\"
key = \"$E2E_LEGO_KEY\"")"

started=$(e2e_now_ms)
e2e_start_daemon
e2e_wait_bound "$E2E_DOMAIN" "$E2E_LEGO_CERT" 20 "the daemon's first pass"
e2e_timing "daemon start to first bind" $((E2E_BOUND_MS - started))
e2e_wait_status "$E2E_LEGO_CERT" 15

for round in 1 2; do
    e2e_log "lego renew (no hook; renewal $round)"
    e2e_lego_renew "no hook, renewal $round"
    e2e_wait_bound "$E2E_DOMAIN" "$E2E_LEGO_CERT" 20 "the daemon after renewal $round"
    e2e_timing "renewal $round: lego returned to bound" $((E2E_BOUND_MS - E2E_RENEWED_MS))
    e2e_wait_status "$E2E_LEGO_CERT" 15
done

e2e_stop_daemon
e2e_assert_no_secret_leaked
