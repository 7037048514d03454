#!/usr/bin/env bash
# Installs every Debian 12 package that building and testing apig-certd needs.
# The single source of truth for dependencies: scripts/test.sh, scripts/demo.sh and CI call it.
# Idempotent: when everything is installed it only checks, in well under a second.
# Arguments name more packages a script needs beyond these (scripts/fuzz.sh: the clang runtimes).
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git ca-certificates openssl
    clang clang-format clang-tidy
    libssl-dev libcurl4-openssl-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
    libexpected-dev libsystemd-dev nlohmann-json3-dev libcpp-httplib-dev
    libgtest-dev libgmock-dev googletest
    systemd
    python3 python3-prometheus-client   # tests: parse the metrics textfile
    python3-yaml                  # packaging: parse the Kubernetes manifests
    dpkg-dev groff-base           # packaging: dpkg-shlibdeps for cpack -G DEB; groff checks the man page
    pebble certbot lego curl jq   # tests/e2e: ACME server and clients, admin API calls
    valgrind                      # scripts/bench.sh: callgrind, the CPU cost of one bind
    libfaketime                   # tests: the daemon's wall clock set back (run_clock_test)
    "$@"
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
