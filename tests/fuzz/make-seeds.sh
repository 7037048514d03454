#!/usr/bin/env bash
# Writes the fuzz seeds that hold certificates and private keys, made fresh with the openssl
# command on every run, so that no key or certificate is committed (STYLE.md §10):
#
#   tests/fuzz/make-seeds.sh bundle OUT_DIR            # the bundle target's seeds
#   tests/fuzz/make-seeds.sh apig_sim_upload OUT_DIR   # the simulator upload target's seeds
#
# scripts/fuzz.sh calls it for the run's copy of each corpus. A throw-away CA that nothing
# trusts issues for example.com names; every certificate is valid from 2026-11-01 to
# 2027-04-01, around the fixed time the targets judge at (2027-01-01T00:00:00Z), whatever the
# day of the run (hence `openssl ca` with explicit dates, not `x509 -days`).
#
# Seeds (the bundle target's input: the certificate file, a NUL byte, the key file):
#   ec_fullchain, ec_with_root, ec_sec1_key, rsa_traditional_key, encrypted_key,
#   key_mismatch, out_of_order, undecodable_public_key (the leaf's key algorithm OID
#   altered, which once crashed apig-sim: kept as a regression seed).
# The upload target gets the same pairs as bind request bodies (name, cert_content,
# private_key).
set -euo pipefail

target=${1:?usage: make-seeds.sh bundle|apig_sim_upload OUT_DIR}
out=$(realpath -m "${2:?usage: make-seeds.sh bundle|apig_sim_upload OUT_DIR}")
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat >ca.cnf <<'EOF'
[ca]
default_ca = fuzz
[fuzz]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
unique_subject = no
[any]
organizationName = optional
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.com,DNS:example.com,DNS:*.example.com
subjectKeyIdentifier = hash
EOF
: >index.txt
echo 1000 >serial

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# issue KEY SUBJECT EXTENSIONS OUT [ISSUER_CERT ISSUER_KEY]; self-signed without an issuer.
issue() {
    local key=$1 subject=$2 extensions=$3 out=$4
    openssl req -new -key "$key" -subj "$subject" -out request.csr
    if (($# > 4)); then
        openssl ca -batch -config ca.cnf -notext -startdate 20261101000000Z \
            -enddate 20270401000000Z -extensions "$extensions" -cert "$5" -keyfile "$6" \
            -in request.csr -out "$out" 2>/dev/null
    else
        openssl ca -batch -config ca.cnf -notext -startdate 20261101000000Z \
            -enddate 20270401000000Z -extensions "$extensions" -selfsign -keyfile "$key" \
            -in request.csr -out "$out" 2>/dev/null
    fi
}

ec_key root.key
issue root.key "/O=apig-certd fuzz/CN=Fuzz Root CA" ca_ext root.pem
ec_key intermediate.key
issue intermediate.key "/O=apig-certd fuzz/CN=Fuzz Intermediate E1" ca_ext intermediate.pem \
    root.pem root.key
ec_key ec.key
issue ec.key "/CN=www.example.com" leaf_ext ec.pem intermediate.pem intermediate.key
rsa_key rsa.key
issue rsa.key "/CN=www.example.com" leaf_ext rsa.pem intermediate.pem intermediate.key
openssl ec -in ec.key -out ec_sec1.key 2>/dev/null
openssl rsa -in rsa.key -traditional -out rsa_traditional.key 2>/dev/null
openssl pkcs8 -topk8 -in ec.key -v2 aes-256-cbc -passout pass:fuzz-only -out ec_encrypted.key
# The leaf with its key algorithm's OID (id-ecPublicKey, 06 07 2A8648CE3D0201) altered in
# place: still valid DER, but a public key no decoder knows.
python3 - <<'EOF'
import base64, re
pem = open("ec.pem").read()
der = base64.b64decode("".join(re.findall(r"^[A-Za-z0-9+/=]+$", pem, re.M)))
oid = bytes.fromhex("06072a8648ce3d0201")
assert oid in der
der = der.replace(oid, bytes.fromhex("06072a8648cdb80201"), 1)
body = base64.b64encode(der).decode()
lines = [body[i:i + 64] for i in range(0, len(body), 64)]
open("undecodable.pem", "w").write(
    "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n")
EOF

# name CERT_FILES... -- KEY_FILE
pairs=(
    "ec_fullchain ec.pem intermediate.pem -- ec.key"
    "ec_with_root ec.pem intermediate.pem root.pem -- ec.key"
    "ec_sec1_key ec.pem intermediate.pem -- ec_sec1.key"
    "rsa_traditional_key rsa.pem intermediate.pem -- rsa_traditional.key"
    "encrypted_key ec.pem -- ec_encrypted.key"
    "key_mismatch ec.pem intermediate.pem -- rsa.key"
    "out_of_order intermediate.pem ec.pem -- ec.key"
    "undecodable_public_key undecodable.pem -- ec.key"
)
for pair in "${pairs[@]}"; do
    read -r -a words <<<"$pair"
    name=${words[0]}
    certificates=()
    key=
    for ((i = 1; i < ${#words[@]}; ++i)); do
        if [[ ${words[i]} == -- ]]; then
            key=${words[i + 1]}
            break
        fi
        certificates+=("${words[i]}")
    done
    case $target in
        bundle)
            { cat "${certificates[@]}"; printf '\0'; cat "$key"; } >"$out/$name"
            ;;
        apig_sim_upload)
            python3 - "$out/$name.json" "$name" "$key" "${certificates[@]}" <<'EOF'
import json, sys
out, name, key, certificates = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
body = {"name": "fuzz_" + name[:40],
        "cert_content": "".join(open(c).read() for c in certificates),
        "private_key": open(key).read()}
open(out, "w").write(json.dumps(body))
EOF
            ;;
        *)
            echo "make-seeds: no generated seeds for target '$target'" >&2
            exit 2
            ;;
    esac
done
