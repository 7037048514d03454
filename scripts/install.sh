#!/usr/bin/env bash
# Builds apig-certd from this source tree and installs it, then says what to do next.
#
#   scripts/install.sh                        # as root: build deps, build, install to /usr
#   DESTDIR=/tmp/stage scripts/install.sh     # stage the files instead (no root needed once
#                                             # the build dependencies are installed)
#
# Variables: BUILD_DIR (default build-install/), PREFIX (default /usr), DESTDIR, JOBS.
# What goes where (for PREFIX=/usr): /usr/bin/apig-certd; the units in systemd's unit
# directory (/lib/systemd/system on Debian 12); /usr/share/man/man8/apig-certd.8; the bash
# completion; /usr/share/apig-certd/certbot-deploy-hook; /usr/share/doc/apig-certd/examples/;
# /etc/apig-certd/config.toml only when there is none (an existing config is never
# overwritten). Nothing is enabled or started. Prefer the .deb when you want dpkg to track
# the files: cmake --build BUILD_DIR --target package (or cpack -G DEB in BUILD_DIR).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-install}
prefix=${PREFIX:-/usr}
destdir=${DESTDIR:-}
jobs=${JOBS:-$(nproc)}

if [[ -z "$destdir" && $(id -u) -ne 0 ]]; then
    echo "install: installing to $prefix needs root (or set DESTDIR to stage the files)" >&2
    exit 1
fi

"$root/scripts/install-deps.sh"

# No tests in this build: only what is installed. Ninja for a new build directory; an
# existing one keeps the generator it was made with.
generator=()
[[ -f "$build_dir/CMakeCache.txt" ]] || generator=(-G Ninja)
cmake -S "$root" -B "$build_dir" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DAPIG_CERTD_BUILD_TESTS=OFF
cmake --build "$build_dir" -j "$jobs" --target apig-certd
DESTDIR=$destdir cmake --install "$build_dir" --prefix "$prefix" --strip

binary=$prefix/bin/apig-certd
config=/etc/apig-certd/config.toml
cat <<EOF

apig-certd is installed${destdir:+ under $destdir} ($("$destdir$binary" version | head -n 1)).
Nothing has been enabled or started. Next:

  1. Edit $config: project_id, the [[binding]] tables (certificate
     lineage or cert/key files) and their [[binding.target]] instance/group/domain.
     Examples for each auth method: $prefix/share/doc/apig-certd/examples/
  2. Credentials (AK/SK), root-owned and mode 0600:
       install -m 0600 /dev/null /etc/apig-certd/access_key && editor /etc/apig-certd/access_key
       install -m 0600 /dev/null /etc/apig-certd/secret_key && editor /etc/apig-certd/secret_key
  3. Check the config, the certificate files, and then APIG itself:
       apig-certd check && apig-certd check --online
  4. Either the daemon (binds within seconds of a renewal):
       systemctl daemon-reload && systemctl enable --now apig-certd
     or the timer (a sync pass four times a day):
       systemctl daemon-reload && systemctl enable --now apig-certd-sync.timer
     and/or certbot's deploy hook (binds right after each renewal):
       install -m 0755 $prefix/share/apig-certd/certbot-deploy-hook \\
           /etc/letsencrypt/renewal-hooks/deploy/apig-certd

man apig-certd has the rest.
EOF
