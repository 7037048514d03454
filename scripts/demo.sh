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
# reads, a renewal bound by the next sync, and the status.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --target apig-certd apig-sim

work=$(mktemp -d)
sim_pid=""
cleanup() {
    if [[ -n "$sim_pid" ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir -p live/demo.example.com state

echo "== making a demo CA, the simulator's TLS certificate and a certificate for demo.example.com"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=apig-certd demo CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout sim.key -out sim.csr 2>/dev/null
openssl x509 -req -in sim.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\n') -out sim.pem 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=demo.example.com" \
    -keyout live/demo.example.com/privkey.pem -out demo.csr 2>/dev/null
openssl x509 -req -in demo.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 60 \
    -extfile <(printf 'subjectAltName=DNS:demo.example.com,DNS:www.demo.example.com\n') \
    -out live/demo.example.com/cert.pem 2>/dev/null
cat live/demo.example.com/cert.pem ca.pem >live/demo.example.com/fullchain.pem
chmod 600 live/demo.example.com/privkey.pem

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
lineage = "$work/live/demo.example.com"

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
echo "== the ACME client renews: a new certificate for demo.example.com"
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=demo.example.com" \
    -keyout live/demo.example.com/privkey.pem.new -out demo2.csr 2>/dev/null
openssl x509 -req -in demo2.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 90 \
    -extfile <(printf 'subjectAltName=DNS:demo.example.com,DNS:www.demo.example.com\n') \
    -out live/demo.example.com/cert.pem 2>/dev/null
cat live/demo.example.com/cert.pem ca.pem >live/demo.example.com/fullchain.pem.new
chmod 600 live/demo.example.com/privkey.pem.new
mv live/demo.example.com/privkey.pem.new live/demo.example.com/privkey.pem
mv live/demo.example.com/fullchain.pem.new live/demo.example.com/fullchain.pem
"$build_dir/daemon/apig-certd" sync --config config.toml
echo
echo "== apig-certd status"
"$build_dir/daemon/apig-certd" status --config config.toml
echo
echo "== what apig-sim received (method, path, status)"
cat sim.err
echo
echo "demo: done. The certificate on disk is bound to www.demo.example.com in the simulator."
