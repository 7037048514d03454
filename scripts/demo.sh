#!/usr/bin/env bash
# The main job: apig-certd against the bundled APIG simulator (tests/apig-sim).
#
# Builds apig-certd and apig-sim, makes a throw-away CA, a server certificate for the
# simulator and a "renewed" certificate for a demo domain (all with OpenSSL, in a temp dir),
# starts apig-sim on 127.0.0.1 over HTTPS, and runs apig-certd against it: `check --online`
# validates the config and the certificate, proves AK/SK signing is accepted and resolves the
# target's domain_id.
#
# Then it syncs: the plan (--dry-run), the bind and the CNAME wait, a second sync that only
# reads. Then it starts the daemon (`apig-certd run`), renews the certificate exactly the way
# certbot does (new archive/ files, then the live/ links re-pointed one at a time), shows the
# daemon binding it within seconds, prints `status`, and stops the daemon. Every process it
# started is stopped on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=$(realpath -m "${BUILD_DIR:-$root/build}")

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
cmake --build "$build_dir" --target apig-certd apig-sim

work=$(mktemp -d)
sim_pid=""
daemon_pid=""
cleanup() {
    if [[ -n "$daemon_pid" ]]; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [[ -n "$sim_pid" ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir -p letsencrypt/live/demo.example.com letsencrypt/archive/demo.example.com state
live=$work/letsencrypt/live/demo.example.com
archive=$work/letsencrypt/archive/demo.example.com

echo "== making a demo CA and the simulator's TLS certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=apig-certd demo CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout sim.key -out sim.csr 2>/dev/null
openssl x509 -req -in sim.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') -out sim.pem 2>/dev/null

# certbot's layout: archive/NAME/{cert,chain,fullchain,privkey}N.pem, and live/NAME/*.pem
# links into it. issue_certificate N DAYS writes version N; point_links_at N re-points the
# links in certbot's order (cert, privkey, chain, fullchain), each by unlink + symlink.
issue_certificate() {
    local version=$1 days=$2
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=demo.example.com" \
        -keyout "$archive/privkey$version.pem" -out demo.csr 2>/dev/null
    openssl x509 -req -in demo.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
        -extfile <(printf 'subjectAltName=DNS:demo.example.com,DNS:www.demo.example.com\n') \
        -out "$archive/cert$version.pem" 2>/dev/null
    cp ca.pem "$archive/chain$version.pem"
    cat "$archive/cert$version.pem" ca.pem >"$archive/fullchain$version.pem"
    chmod 600 "$archive/privkey$version.pem"
}
point_links_at() {
    local version=$1 file
    for file in cert privkey chain fullchain; do
        rm -f "$live/$file.pem"
        ln -s "../../archive/demo.example.com/$file$version.pem" "$live/$file.pem"
    done
}
fingerprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f'
}

echo "== certbot's first certificate for demo.example.com (letsencrypt/live/demo.example.com)"
issue_certificate 1 60
point_links_at 1

access_key=DEMOACCESSKEY0001
secret_key=$(openssl rand -hex 20)
printf '%s\n' "$access_key" >access_key
printf '%s\n' "$secret_key" >secret_key
chmod 600 access_key secret_key

project=0123456789abcdef0123456789abcdef
cat >seed.json <<JSON
{
  "project_id": "$project",
  "credentials": {"aksk": [{"ak": "$access_key", "sk": "$secret_key"}]},
  "instances": [{"id": "eddc4d25480b4cd6b512f270a1b8b341", "groups": [{
    "id": "c77f5e81d9cb4424bf704ef2b0ac7600", "name": "demo_api",
    "domains": [{"id": "4e0a2d9c1b7f4a6f9b3b5b1c2d3e4f50", "domain": "www.demo.example.com",
                 "cname_status": 1, "cname_sequence": [2, 3]}]}]}]
}
JSON

echo "== starting apig-sim on 127.0.0.1"
"$build_dir/tests/apig-sim/apig-sim" --seed seed.json --tls-cert sim.pem --tls-key sim.key \
    --port-file sim.port >sim.out 2>sim.err &
sim_pid=$!
for _ in $(seq 1 100); do
    [[ -s sim.port ]] && break
    sleep 0.05
done
if [[ ! -s sim.port ]]; then
    echo "demo: apig-sim did not start:" >&2
    cat sim.err >&2
    exit 1
fi
port=$(cat sim.port)
cat sim.out

cat >config.toml <<TOML
[daemon]
state_dir = "$work/state"
debounce  = "1s"     # quiet time after the ACME client's last write before acting
log_level = "debug"  # the demo shows what the daemon decides

[apig]
endpoint   = "https://127.0.0.1:$port"
project_id = "$project"
ca_file    = "$work/ca.pem"

[poll]
interval = "1s"     # the simulator resolves the CNAME within two reads

[auth]
method = "aksk"
access_key_file = "$work/access_key"
secret_key_file = "$work/secret_key"

[[binding]]
name    = "demo"
lineage = "$live"

  [[binding.target]]
  instance_id = "eddc4d25480b4cd6b512f270a1b8b341"
  group_id    = "c77f5e81d9cb4424bf704ef2b0ac7600"
  domain      = "www.demo.example.com"
TOML

echo
echo "== apig-certd check --online"
"$build_dir/daemon/apig-certd" check --online --config config.toml
echo
echo "== apig-certd sync --dry-run   (prints the plan, changes nothing)"
"$build_dir/daemon/apig-certd" sync --dry-run --config config.toml
echo
echo "== apig-certd sync   (binds, then polls the CNAME status until resolved)"
"$build_dir/daemon/apig-certd" sync --config config.toml
echo
echo "== apig-certd sync   (again: already in sync, reads only)"
"$build_dir/daemon/apig-certd" sync --config config.toml
echo
echo "== apig-certd run   (the daemon, in the background; its log goes to daemon.log)"
"$build_dir/daemon/apig-certd" run --config config.toml 2>daemon.log &
daemon_pid=$!
for _ in $(seq 1 100); do
    grep -q "pass (start) done" daemon.log 2>/dev/null && break
    sleep 0.1
done
sed 's/^/  daemon: /' daemon.log
seen=$(wc -l <daemon.log)
echo
echo "== certbot renews: new archive files (version 2), then the live/ links re-pointed"
issue_certificate 2 90
point_links_at 2
renewed_at=$(date +%s%N)
new_fingerprint=$(fingerprint "$live/cert.pem")
echo "  new certificate sha256 ${new_fingerprint:0:16}..., links swapped at $(date -u +%T.%N | cut -c1-12)"
bound=""
for _ in $(seq 1 100); do
    if grep -q "bound: binding 'demo'.*_${new_fingerprint:0:8}" daemon.log; then
        bound=$(date +%s%N)
        break
    fi
    sleep 0.05
done
if [[ -z "$bound" ]]; then
    echo "demo: the daemon did not bind the renewed certificate within 5 s:" >&2
    cat daemon.log >&2
    exit 1
fi
sleep 0.2  # the pass's last line
echo "  the daemon bound it $(( (bound - renewed_at) / 1000000 )) ms after the last link swap (debounce 1s):"
tail -n +"$((seen + 1))" daemon.log | sed 's/^/  daemon: /'
echo
echo "== apig-certd status"
"$build_dir/daemon/apig-certd" status --config config.toml
echo
echo "== stopping the daemon (SIGTERM)"
kill -TERM "$daemon_pid"
daemon_status=0
wait "$daemon_pid" || daemon_status=$?
daemon_pid=""
tail -1 daemon.log | sed 's/^/  daemon: /'
echo "  exit status $daemon_status"
echo
echo "== what apig-sim received (method, path, status)"
cat sim.err
echo
served=$(curl -s --cacert ca.pem "https://127.0.0.1:$port/__admin/state" |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print([c["fingerprint"] for c in s["certificates"] if any(d.get("certificate_id")==c["id"] for i in s["instances"] for g in i["groups"] for d in g["domains"])][0])')
if [[ "$served" != "$new_fingerprint" || "$daemon_status" != 0 ]]; then
    echo "demo: FAILED: apig-sim serves ${served:0:16}..., expected ${new_fingerprint:0:16}..." >&2
    exit 1
fi
echo "demo: done. www.demo.example.com in the simulator serves the renewed certificate (sha256 ${served:0:16}...)."
