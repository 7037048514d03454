#!/usr/bin/env bash
# The main job: apig-certd binding a freshly issued certificate to the bundled APIG simulator.
#
# The simulator and the binding engine are not built yet (issues 3 and 4). Until they are,
# this script builds apig-certd, makes a throw-away certificate with OpenSSL, writes a config
# for it and runs `apig-certd check` on it, so you can see the part that exists. It then
# says plainly that the full demo is not available yet and exits 1.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --target apig-certd

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/live/demo.example.com" "$work/state"
openssl req -x509 -newkey rsa:2048 -nodes -days 60 -subj "/CN=demo.example.com" \
    -addext "subjectAltName=DNS:demo.example.com,DNS:www.demo.example.com" \
    -keyout "$work/live/demo.example.com/privkey.pem" \
    -out "$work/live/demo.example.com/fullchain.pem" 2>/dev/null
chmod 600 "$work/live/demo.example.com/privkey.pem"
printf 'DEMOACCESSKEY\n' >"$work/access_key"
printf 'demo-secret-not-real\n' >"$work/secret_key"
chmod 600 "$work/access_key" "$work/secret_key"

cat >"$work/config.toml" <<TOML
[daemon]
state_dir = "$work/state"

[apig]
endpoint = "https://127.0.0.1:8443"
project_id = "0123456789abcdef0123456789abcdef"

[auth]
method = "aksk"
access_key_file = "$work/access_key"
secret_key_file = "$work/secret_key"

[[binding]]
name = "demo"
lineage = "$work/live/demo.example.com"

  [[binding.target]]
  instance_id = "eddc4d25480b4cd6b512f270a1b8b341"
  group_id    = "c77f5e81d9cb4424bf704ef2b0ac7600"
  domain      = "www.demo.example.com"
TOML

echo "== apig-certd check --config $work/config.toml"
"$build_dir/daemon/apig-certd" check --config "$work/config.toml" || true
echo
echo "demo: not yet: binding to the APIG simulator arrives with the APIG client, the"
echo "simulator and 'apig-certd sync' (issues 3 and 4). What runs today is 'check' above."
exit 1
