# shellcheck shell=bash
# Shared helpers of the end-to-end tests with real ACME clients (issue 6, DESIGN.md §6).
#
# Every test script sources this file and calls `e2e_init NAME APIG_CERTD APIG_SIM`. Then:
#   * a test CA (openssl) issues the TLS certificate for 127.0.0.1 that pebble and apig-sim
#     serve; certbot trusts it through REQUESTS_CA_BUNDLE, lego through LEGO_CA_CERTIFICATES,
#     apig-certd through [apig] ca_file, curl through --cacert;
#   * Debian's pebble runs on 127.0.0.1 with its own JSON config (never /etc), every
#     validation answered "valid" (PEBBLE_VA_ALWAYS_VALID), no sleeps, no nonce rejections;
#   * apig-sim runs on 127.0.0.1 over HTTPS with one instance, group and domain;
#   * everything lives in one temp dir; every process started here is stopped by the EXIT
#     trap (SIGTERM, then SIGKILL after 5 s) and the temp dir is removed (kept, with its
#     path printed, when E2E_KEEP_TMP=1). On failure the logs of every server are printed.
# Every wait is bounded, every client command runs under `timeout`, and nothing here ever
# talks to an address other than 127.0.0.1 (proxy variables are cleared).
#
# Needs: bash 5, openssl, curl, jq, timeout (coreutils), pebble, and certbot or lego
# (scripts/install-deps.sh installs them).

set -euo pipefail
export LC_ALL=C

E2E_DOMAIN=www.e2e.example
E2E_PROJECT=0123456789abcdef0123456789abcdef
E2E_INSTANCE=e2e-instance
E2E_GROUP=e2e-group
# How long the daemon waits after the last file event before acting (DESIGN.md §3).
E2E_DEBOUNCE=1s

E2E_PIDS=()
E2E_STARTED_MS=0

# --- output ---------------------------------------------------------------------------

e2e_now_ms() {
    local micros=${EPOCHREALTIME/[.,]/}
    echo $((micros / 1000))
}

# Milliseconds as "1.234 s".
e2e_seconds() {
    printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000))
}

e2e_log() {
    local elapsed=$(($(e2e_now_ms) - E2E_STARTED_MS))
    printf '[e2e %s +%6s] %s\n' "$E2E_NAME" "$(e2e_seconds "$elapsed")" "$*"
}

# A measured duration, in one greppable format: "TIMING <name>: <what> <seconds>".
e2e_timing() {
    local what=$1 ms=$2
    printf '[e2e %s] TIMING %s: %s\n' "$E2E_NAME" "$what" "$(e2e_seconds "$ms")"
    E2E_TIMINGS+=("$what $(e2e_seconds "$ms")")
}

e2e_fail() {
    printf '[e2e %s] FAIL: %s\n' "$E2E_NAME" "$*" >&2
    exit 1
}

# Prints a file indented, for command outputs in the test log.
e2e_show() {
    sed 's/^/    | /' "$1"
}

# --- set-up and tear-down -------------------------------------------------------------

# e2e_init NAME APIG_CERTD_BINARY APIG_SIM_BINARY
e2e_init() {
    if (($# != 3)); then
        echo "usage: $0 APIG_CERTD_BINARY APIG_SIM_BINARY" >&2
        exit 2
    fi
    E2E_NAME=$1
    E2E_APIG_CERTD=$2
    E2E_APIG_SIM=$3
    E2E_STARTED_MS=$(e2e_now_ms)
    E2E_TIMINGS=()

    # Loopback only: no proxy may see (or reroute) a request, and no inherited setting may
    # point a tool somewhere else.
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
    unset APIG_CERTD_CONFIG APIG_CERTD_TOKEN NOTIFY_SOCKET JOURNAL_STREAM WATCHDOG_USEC
    unset WATCHDOG_PID CREDENTIALS_DIRECTORY RENEWED_LINEAGE RENEWED_DOMAINS
    unset LEGO_CERT_PATH LEGO_CERT_KEY_PATH LEGO_CERT_DOMAIN

    local binary tool
    for binary in "$E2E_APIG_CERTD" "$E2E_APIG_SIM"; do
        [[ -x "$binary" ]] || e2e_fail "not an executable: $binary"
    done
    for tool in openssl curl jq timeout pebble; do
        command -v "$tool" >/dev/null ||
            e2e_fail "'$tool' is not installed (scripts/install-deps.sh installs it)"
    done

    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/apig-certd-e2e-$E2E_NAME.XXXXXX")
    chmod 0700 "$E2E_TMP"
    mkdir "$E2E_TMP/logs"
    trap e2e_cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    e2e_log "temp dir $E2E_TMP"
}

# Starts COMMAND... in the background, in a process group of its own (setsid), with stdout
# and stderr to logs/NAME.{out,log}; sets E2E_LAST_PID and remembers the pid for the EXIT
# trap.
e2e_spawn() {
    local name=$1
    shift
    setsid "$@" >"$E2E_TMP/logs/$name.out" 2>"$E2E_TMP/logs/$name.log" &
    E2E_LAST_PID=$!
    E2E_PIDS+=("$E2E_LAST_PID")
}

# Sends SIGTERM to PID (started by e2e_spawn) and waits at most SECONDS for it to exit,
# then SIGKILL; whatever it left behind in its process group is killed too. Sets
# E2E_EXIT_STATUS to its exit status (128+9 when it had to be killed).
e2e_stop() {
    local pid=$1 seconds=${2:-5} deadline
    deadline=$(($(e2e_now_ms) + seconds * 1000))
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && (($(e2e_now_ms) < deadline)); do
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    E2E_EXIT_STATUS=0
    wait "$pid" 2>/dev/null || E2E_EXIT_STATUS=$?
    kill -KILL -- "-$pid" 2>/dev/null || true
    local remaining=()
    local other
    for other in "${E2E_PIDS[@]}"; do
        [[ "$other" == "$pid" ]] || remaining+=("$other")
    done
    E2E_PIDS=("${remaining[@]}")
}

# For the suite-wide secret scan (tests/secrets/scan_outputs.py): what apig-certd printed
# (its logs, the ACME clients' outputs that include the hook's), its state directory, and as
# canaries the APIG token and a line of every private key the ACME clients wrote.
e2e_archive_for_secret_scan() {
    local archive=${APIG_CERTD_TEST_OUTPUTS:-}
    [[ -n "$archive" && -n "${E2E_TMP:-}" && -d "$E2E_TMP" ]] || return 0
    mkdir -p "$archive"
    local base="$archive/e2e.$E2E_NAME.$$" file
    : >"$base.out"
    for file in "$E2E_TMP"/logs/apig-certd* "$E2E_TMP"/logs/certbot-* "$E2E_TMP"/logs/lego-* \
        "${E2E_STATE_DIR:-/nonexistent}"/*; do
        [[ -f "$file" ]] && cat "$file" >>"$base.out"
    done
    : >"$base.canaries"
    [[ -n "${E2E_TOKEN:-}" ]] && printf '%s\n' "$E2E_TOKEN" >>"$base.canaries"
    while IFS= read -r -d '' file; do
        grep -q -- '-----BEGIN .*PRIVATE KEY-----' "$file" && sed -n 2p "$file" >>"$base.canaries"
    done < <(find "$E2E_TMP" -type f \( -name '*.key' -o -name 'privkey*.pem' \) -print0)
    return 0
}

e2e_cleanup() {
    local status=$?
    set +e
    trap - EXIT TERM INT
    local pid
    for pid in "${E2E_PIDS[@]}"; do
        e2e_stop "$pid" 5
    done
    e2e_archive_for_secret_scan
    if ((status != 0)) && [[ -d "${E2E_TMP:-}/logs" ]]; then
        local file
        # The servers' logs (command outputs, logs/*.txt, were shown already).
        for file in "$E2E_TMP"/logs/*.out "$E2E_TMP"/logs/*.log; do
            [[ -s "$file" ]] || continue
            printf '[e2e %s] --- last lines of %s ---\n' "$E2E_NAME" "${file#"$E2E_TMP"/}" >&2
            tail -n 30 "$file" | sed 's/^/    | /' >&2
        done
    fi
    if [[ -n "${E2E_TMP:-}" && -d "$E2E_TMP" ]]; then
        if [[ "${E2E_KEEP_TMP:-0}" == 1 ]]; then
            printf '[e2e %s] kept %s\n' "$E2E_NAME" "$E2E_TMP" >&2
        else
            rm -rf "$E2E_TMP"
        fi
    fi
    if ((status == 0)); then
        local summary="" timing
        for timing in "${E2E_TIMINGS[@]}"; do
            summary+="${summary:+; }$timing"
        done
        printf '[e2e %s] PASS in %s (%s)\n' "$E2E_NAME" \
            "$(e2e_seconds $(($(e2e_now_ms) - E2E_STARTED_MS)))" "$summary"
    else
        printf '[e2e %s] FAILED (exit %d)\n' "$E2E_NAME" "$status" >&2
    fi
    exit "$status"
}

# Waits at most SECONDS for COMMAND... to succeed (polling every 100 ms).
e2e_wait_for() {
    local seconds=$1 deadline
    shift
    deadline=$(($(e2e_now_ms) + seconds * 1000))
    until "$@"; do
        (($(e2e_now_ms) < deadline)) || return 1
        sleep 0.1
    done
}

# e2e_free_port VAR: sets VAR to a TCP port on 127.0.0.1 that nothing listens on (and that
# this test has not handed out yet), from 20000-29999: below the kernel's ephemeral range,
# so outgoing connections do not take it meanwhile. A race with another program remains
# possible; pebble's start is retried with new ports.
E2E_PORTS=()
e2e_free_port() {
    local _candidate _attempt
    for ((_attempt = 0; _attempt < 100; _attempt++)); do
        _candidate=$((20000 + RANDOM % 10000))
        [[ " ${E2E_PORTS[*]} " == *" $_candidate "* ]] && continue
        # A refused connection means no listener.
        if ! (: </dev/tcp/127.0.0.1/"$_candidate") 2>/dev/null; then
            E2E_PORTS+=("$_candidate")
            printf -v "$1" '%s' "$_candidate"
            return 0
        fi
    done
    e2e_fail "no free port found in 20000-29999"
}

# --- the test CA ----------------------------------------------------------------------

# ca.pem, and server.pem/server.key for 127.0.0.1 (IP SAN), EC P-256, valid 2 days.
e2e_make_ca() {
    local dir=$E2E_TMP/tls
    mkdir -m 0700 "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj "/CN=apig-certd e2e test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        2>"$dir/openssl.log"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" \
        2>>"$dir/openssl.log"
    printf '%s\n' "subjectAltName=IP:127.0.0.1" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" \
        2>>"$dir/openssl.log"
    E2E_CA=$dir/ca.pem
    E2E_SERVER_CERT=$dir/server.pem
    E2E_SERVER_KEY=$dir/server.key
    # certbot (python-requests) and lego read these.
    export REQUESTS_CA_BUNDLE=$E2E_CA
    export LEGO_CA_CERTIFICATES=$E2E_CA
}

# --- pebble ---------------------------------------------------------------------------

e2e_pebble_ready() {
    kill -0 "$E2E_PEBBLE_PID" 2>/dev/null || return 2
    curl -sf --noproxy '*' --max-time 2 --cacert "$E2E_CA" -o /dev/null "$E2E_ACME_DIR"
}

# Starts pebble; sets E2E_ACME_DIR (the directory URL) and E2E_HTTP_PORT (the port the
# client's HTTP-01 server listens on; pebble's VA would connect there but, with
# PEBBLE_VA_ALWAYS_VALID, never does).
e2e_start_pebble() {
    local attempt port management started
    for attempt in 1 2 3; do
        e2e_free_port port
        e2e_free_port management
        e2e_free_port E2E_HTTP_PORT
        e2e_free_port E2E_TLS_PORT
        jq -n --arg listen "127.0.0.1:$port" --arg management "127.0.0.1:$management" \
            --arg cert "$E2E_SERVER_CERT" --arg key "$E2E_SERVER_KEY" \
            --argjson http "$E2E_HTTP_PORT" --argjson tls "$E2E_TLS_PORT" \
            '{pebble: {listenAddress: $listen, managementListenAddress: $management,
                       certificate: $cert, privateKey: $key, httpPort: $http, tlsPort: $tls,
                       ocspResponderURL: "", externalAccountBindingRequired: false}}' \
            >"$E2E_TMP/pebble.json"
        E2E_ACME_DIR=https://127.0.0.1:$port/dir
        started=$(e2e_now_ms)
        e2e_spawn pebble env PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 \
            PEBBLE_WFE_NONCEREJECT=0 pebble -config "$E2E_TMP/pebble.json"
        E2E_PEBBLE_PID=$E2E_LAST_PID
        if e2e_wait_for 15 e2e_pebble_ready; then
            e2e_log "pebble serving $E2E_ACME_DIR" \
                "(started in $(e2e_seconds $(($(e2e_now_ms) - started))))"
            return 0
        fi
        e2e_log "pebble did not come up on port $port (attempt $attempt):"
        e2e_show "$E2E_TMP/logs/pebble.log"
        e2e_stop "$E2E_PEBBLE_PID"
    done
    e2e_fail "pebble did not start"
}

# --- apig-sim -------------------------------------------------------------------------

e2e_sim_ready() {
    kill -0 "$E2E_SIM_PID" 2>/dev/null || return 2
    grep -q '^apig-sim listening on https://' "$E2E_TMP/logs/apig-sim.out"
}

# Starts apig-sim with one instance, group and domain ($E2E_DOMAIN, CNAME status 1, going
# 2 then 3 after each bind) and a static token; sets E2E_SIM_URL and E2E_TOKEN_FILE.
e2e_start_sim() {
    E2E_TOKEN=e2e-token-$(openssl rand -hex 16)
    E2E_TOKEN_FILE=$E2E_TMP/token
    (umask 077 && printf '%s' "$E2E_TOKEN" >"$E2E_TOKEN_FILE")
    (umask 077 && jq -n --arg project "$E2E_PROJECT" --arg token "$E2E_TOKEN" \
        --arg instance "$E2E_INSTANCE" --arg group "$E2E_GROUP" --arg domain "$E2E_DOMAIN" \
        '{project_id: $project, second_bind: "replace",
          credentials: {tokens: [$token]},
          instances: [{id: $instance, groups: [{id: $group, name: "e2e_api",
            domains: [{domain: $domain, cname_status: 1, cname_sequence: [2, 3]}]}]}]}' \
        >"$E2E_TMP/seed.json")
    e2e_spawn apig-sim "$E2E_APIG_SIM" --seed "$E2E_TMP/seed.json" --listen 127.0.0.1:0 \
        --tls-cert "$E2E_SERVER_CERT" --tls-key "$E2E_SERVER_KEY"
    E2E_SIM_PID=$E2E_LAST_PID
    e2e_wait_for 10 e2e_sim_ready || e2e_fail "apig-sim did not start"
    E2E_SIM_URL=$(sed -n 's/^apig-sim listening on \(https:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' \
        "$E2E_TMP/logs/apig-sim.out")
    [[ -n "$E2E_SIM_URL" ]] || e2e_fail "apig-sim printed no loopback URL"
    e2e_log "apig-sim serving $E2E_SIM_URL (domain $E2E_DOMAIN in group $E2E_GROUP)"
}

# The SHA-256 fingerprint (lowercase hex, no colons) of the certificate apig-sim has bound
# to DOMAIN; empty when none.
e2e_sim_fingerprint() {
    curl -sf --noproxy '*' --max-time 5 --cacert "$E2E_CA" "$E2E_SIM_URL/__admin/state" |
        jq -r --arg domain "$1" '
            . as $state
            | [$state.instances[].groups[].domains[] | select(.domain == $domain)
               | .certificate_id // empty][0] as $id
            | [$state.certificates[] | select($id != null and .id == $id) | .fingerprint][0]
            // ""'
}

# The same for the first certificate in a PEM file (the leaf).
e2e_disk_fingerprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' |
        tr 'A-F' 'a-f'
}

# Fails unless apig-sim serves, on DOMAIN, the leaf of PEM_FILE. WHEN names the step.
e2e_assert_bound() {
    local domain=$1 pem=$2 when=$3 disk sim
    disk=$(e2e_disk_fingerprint "$pem")
    sim=$(e2e_sim_fingerprint "$domain")
    if [[ "$sim" != "$disk" ]]; then
        e2e_fail "$when: apig-sim serves '${sim:-nothing}' on $domain, the certificate on disk is $disk"
    fi
    e2e_log "OK $when: apig-sim serves sha256 $sim on $domain, the certificate on disk"
}

e2e_sim_serves() {
    [[ "$(e2e_sim_fingerprint "$1")" == "$2" ]]
}

# Waits at most SECONDS until apig-sim serves the leaf of PEM_FILE on DOMAIN; sets
# E2E_BOUND_MS to the wall-clock time (ms) it was first seen (polled every 100 ms).
e2e_wait_bound() {
    local domain=$1 pem=$2 seconds=$3 when=$4 disk
    disk=$(e2e_disk_fingerprint "$pem")
    if ! e2e_wait_for "$seconds" e2e_sim_serves "$domain" "$disk"; then
        e2e_fail "$when: apig-sim did not serve $disk on $domain within $seconds s" \
            "(it serves '$(e2e_sim_fingerprint "$domain")')"
    fi
    # shellcheck disable=SC2034 # for the test scripts
    E2E_BOUND_MS=$(e2e_now_ms)
    e2e_log "OK $when: apig-sim serves sha256 $disk on $domain, the certificate on disk"
}

# --- apig-certd -----------------------------------------------------------------------

# Writes $E2E_CONFIG: the simulator, token auth, fast polls and retries, a state dir in the
# temp dir, and the [[binding]] table(s) given as the argument.
e2e_write_config() {
    E2E_CONFIG=$E2E_TMP/config.toml
    E2E_STATE_DIR=$E2E_TMP/state
    cat >"$E2E_CONFIG" <<EOF
# apig-certd end-to-end test ($E2E_NAME)
[daemon]
state_dir       = "$E2E_STATE_DIR"
rescan_interval = "1h"
debounce        = "$E2E_DEBOUNCE"
log_level       = "info"

[apig]
endpoint   = "$E2E_SIM_URL"
project_id = "$E2E_PROJECT"
ca_file    = "$E2E_CA"
timeout    = "10s"

[auth]
method     = "token"
token_file = "$E2E_TOKEN_FILE"

[poll]
interval = "200ms"
timeout  = "10s"

[retry]
initial = "200ms"
max     = "1s"

$1
EOF
    e2e_log "config $E2E_CONFIG:"
    sed -n '/^\[\[binding\]\]/,$p' "$E2E_CONFIG" | sed 's/^/    | /'
}

# One binding "www" with one target: $E2E_DOMAIN in the simulator's group. The argument is
# the source: `lineage = "..."`, or `cert = "..."` and `key = "..."` lines.
e2e_binding() {
    printf '[[binding]]\nname = "www"\n%s\n  [[binding.target]]\n  instance_id = "%s"\n  group_id    = "%s"\n  domain      = "%s"\n' \
        "$1" "$E2E_INSTANCE" "$E2E_GROUP" "$E2E_DOMAIN"
}

# Runs `apig-certd --config CONFIG ARGS...` (bounded), shows its output, fails on a
# non-zero exit.
e2e_apig_certd() {
    local status=0 out=$E2E_TMP/logs/apig-certd-$1.txt
    timeout 60 "$E2E_APIG_CERTD" --config "$E2E_CONFIG" "$@" >"$out" 2>&1 || status=$?
    e2e_show "$out"
    ((status == 0)) || e2e_fail "apig-certd $* exited $status"
}

# Waits at most SECONDS until `apig-certd status --json` says the target's last result is
# bound or in sync with the leaf of PEM_FILE: the daemon's own record agrees with apig-sim.
e2e_wait_status() {
    local pem=$1 seconds=$2 disk
    disk=$(e2e_disk_fingerprint "$pem")
    if ! e2e_wait_for "$seconds" e2e_status_says "$disk"; then
        timeout 10 "$E2E_APIG_CERTD" --config "$E2E_CONFIG" status >&2 || true
        e2e_fail "apig-certd status does not show $disk bound and in sync within $seconds s"
    fi
    e2e_log "OK apig-certd status: sha256 $disk bound, $(timeout 10 "$E2E_APIG_CERTD" \
        --config "$E2E_CONFIG" status --json | jq -r '.targets[0] | "last result \(.last_result), CNAME \(.cname)"')"
}

e2e_status_says() {
    timeout 10 "$E2E_APIG_CERTD" --config "$E2E_CONFIG" status --json 2>/dev/null |
        jq -e --arg sha "$1" '.targets[0] | .bound.sha256 == $sha and
            (.last_result == "bound" or .last_result == "in_sync")' >/dev/null
}

# Starts `apig-certd run` (no NOTIFY_SOCKET: not under systemd).
e2e_start_daemon() {
    e2e_spawn apig-certd-run "$E2E_APIG_CERTD" --config "$E2E_CONFIG" run
    E2E_DAEMON_PID=$E2E_LAST_PID
    e2e_log "apig-certd run started (pid $E2E_DAEMON_PID, debounce $E2E_DEBOUNCE)"
}

# SIGTERM to the daemon; fails unless it exits 0 within 20 s. Shows its log.
e2e_stop_daemon() {
    kill -0 "$E2E_DAEMON_PID" 2>/dev/null || e2e_fail "apig-certd run died before SIGTERM"
    e2e_stop "$E2E_DAEMON_PID" 20
    e2e_log "apig-certd run after SIGTERM: exit $E2E_EXIT_STATUS; its log:"
    e2e_show "$E2E_TMP/logs/apig-certd-run.log"
    ((E2E_EXIT_STATUS == 0)) || e2e_fail "apig-certd run exited $E2E_EXIT_STATUS after SIGTERM"
    if grep -E '^[^ ]+ (warning|error|critical):' "$E2E_TMP/logs/apig-certd-run.log"; then
        e2e_fail "apig-certd run logged the warnings or errors above"
    fi
}

# Fails when the token appears in any output or in the state file.
e2e_assert_no_secret_leaked() {
    if grep -rlF -- "$E2E_TOKEN" "$E2E_TMP/logs" "$E2E_STATE_DIR" 2>/dev/null; then
        e2e_fail "the APIG token leaked into the files above"
    fi
}

# --- ACME clients ---------------------------------------------------------------------

# certbot with everything under the temp dir: config (live/, archive/, renewal/), work and
# logs. Output goes to logs/certbot-STEP.txt and is shown.
e2e_certbot() {
    local step=$1 status=0
    shift
    command -v certbot >/dev/null ||
        e2e_fail "'certbot' is not installed (scripts/install-deps.sh installs it)"
    E2E_CERTBOT_OUT=$E2E_TMP/logs/certbot-$step.txt
    timeout 120 certbot "$@" \
        --config-dir "$E2E_TMP/certbot/config" --work-dir "$E2E_TMP/certbot/work" \
        --logs-dir "$E2E_TMP/certbot/logs" --non-interactive \
        >"$E2E_CERTBOT_OUT" 2>&1 || status=$?
    e2e_show "$E2E_CERTBOT_OUT"
    ((status == 0)) || e2e_fail "certbot $step exited $status"
}

# certbot certonly for $E2E_DOMAIN as lineage "www"; sets E2E_LIVE (live/www).
e2e_certbot_issue() {
    local started
    started=$(e2e_now_ms)
    e2e_certbot issue certonly --server "$E2E_ACME_DIR" --agree-tos \
        --register-unsafely-without-email --standalone --http-01-address 127.0.0.1 \
        --http-01-port "$E2E_HTTP_PORT" --cert-name www -d "$E2E_DOMAIN"
    e2e_timing "certbot issue" $(($(e2e_now_ms) - started))
    E2E_LIVE=$E2E_TMP/certbot/config/live/www
    [[ -f "$E2E_LIVE/cert.pem" && -f "$E2E_LIVE/fullchain.pem" ]] ||
        e2e_fail "certbot wrote no $E2E_LIVE/{cert,fullchain}.pem"
}

# e2e_certbot_renew LABEL [ARGS...]: certbot renew --force-renewal for lineage "www", ARGS
# added (e.g. --deploy-hook CMD); LABEL names it in the timing line. Fails when the
# certificate did not change or a hook reported an error (certbot itself still exits 0
# then). Sets E2E_RENEWED_MS to when certbot returned.
e2e_certbot_renew() {
    local label=$1 before started
    shift
    before=$(e2e_disk_fingerprint "$E2E_LIVE/cert.pem")
    started=$(e2e_now_ms)
    e2e_certbot renew renew --force-renewal --no-random-sleep-on-renew --cert-name www "$@"
    E2E_RENEWED_MS=$(e2e_now_ms)
    e2e_timing "certbot renew ($label)" $((E2E_RENEWED_MS - started))
    if grep -q "reported error code" "$E2E_CERTBOT_OUT"; then
        e2e_fail "certbot's hook failed (see its output above)"
    fi
    [[ "$(e2e_disk_fingerprint "$E2E_LIVE/cert.pem")" != "$before" ]] ||
        e2e_fail "certbot renew did not change $E2E_LIVE/cert.pem"
    e2e_log "certbot renewed: $E2E_LIVE/cert.pem -> $(readlink "$E2E_LIVE/cert.pem")"
}

# lego with its files under $E2E_TMP/lego (.lego/certificates/DOMAIN.{crt,key,...}),
# HTTP-01 on 127.0.0.1. Output to logs/lego-STEP.txt, shown.
e2e_lego() {
    local step=$1 status=0
    shift
    command -v lego >/dev/null ||
        e2e_fail "'lego' is not installed (scripts/install-deps.sh installs it)"
    E2E_LEGO_OUT=$E2E_TMP/logs/lego-$step.txt
    timeout 120 lego --path "$E2E_TMP/lego" --server "$E2E_ACME_DIR" --accept-tos \
        --email e2e@example.com --domains "$E2E_DOMAIN" \
        --http --http.port "127.0.0.1:$E2E_HTTP_PORT" "$@" >"$E2E_LEGO_OUT" 2>&1 || status=$?
    e2e_show "$E2E_LEGO_OUT"
    ((status == 0)) || e2e_fail "lego $step exited $status"
}

# lego run; sets E2E_LEGO_CERT and E2E_LEGO_KEY.
e2e_lego_issue() {
    local started
    started=$(e2e_now_ms)
    e2e_lego issue run
    e2e_timing "lego issue" $(($(e2e_now_ms) - started))
    E2E_LEGO_CERT=$E2E_TMP/lego/certificates/$E2E_DOMAIN.crt
    E2E_LEGO_KEY=$E2E_TMP/lego/certificates/$E2E_DOMAIN.key
    [[ -f "$E2E_LEGO_CERT" && -f "$E2E_LEGO_KEY" ]] ||
        e2e_fail "lego wrote no $E2E_LEGO_CERT and $E2E_LEGO_KEY"
}

# e2e_lego_renew LABEL [ARGS...]: lego renew whatever the days left (pebble's certificates
# last 5 years, so --days must exceed that), without lego's random sleep before renewing
# (up to 8 minutes otherwise), ARGS added (e.g. --renew-hook CMD); LABEL names it in the
# timing line. Sets E2E_RENEWED_MS to when lego returned.
e2e_lego_renew() {
    local label=$1 before started
    shift
    before=$(e2e_disk_fingerprint "$E2E_LEGO_CERT")
    started=$(e2e_now_ms)
    e2e_lego renew renew --days 36500 --no-random-sleep "$@"
    E2E_RENEWED_MS=$(e2e_now_ms)
    e2e_timing "lego renew ($label)" $((E2E_RENEWED_MS - started))
    [[ "$(e2e_disk_fingerprint "$E2E_LEGO_CERT")" != "$before" ]] ||
        e2e_fail "lego renew did not change $E2E_LEGO_CERT"
}
