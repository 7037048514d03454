#!/usr/bin/env bash
# Tests what `cmake --install` and `cpack -G DEB` produce, without touching the system: every
# install goes into a DESTDIR under a temporary directory.
#
#   packaging/test-packaging.sh --build-dir BUILD --version X.Y.Z \
#       [--unit-dir DIR] [--completion-dir DIR] [--config-dir DIR] [--check-other-prefix]
#
# BUILD must hold a built apig-certd. The directories are the absolute ones expected for
# the prefix /usr (CMake passes them; defaults: systemd's and bash-completion's pkg-config
# values, else /usr/lib/systemd/system and /usr/share/bash-completion/completions).
#
# 1. `cmake --install BUILD --prefix /usr` into DESTDIR: the binary (executable, runs), the
#    unit files, the man page, the bash completion, the certbot hook, the docs and example
#    configs, /etc/apig-certd/config.toml; then once more after editing that config: the
#    edit must survive.
# 2. With --check-other-prefix: --prefix /usr/local maps the unit and completion directories
#    under it and points ExecStart= and the hook at /usr/local/bin/apig-certd.
# 3. `cpack -G DEB` into a temporary directory: the .deb's name, its control fields (Package,
#    Version, Section, Maintainer, Depends with the shared libraries), conffiles, postinst
#    (daemon-reload only), and that `dpkg -x` yields the same files as step 1.
#
# Exits non-zero when anything fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=
version=
unit_dir=
completion_dir=
config_dir=/etc/apig-certd
check_other_prefix=0

while (($# > 0)); do
    case $1 in
        --build-dir) build_dir=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --unit-dir) unit_dir=$2; shift 2 ;;
        --completion-dir) completion_dir=$2; shift 2 ;;
        --config-dir) config_dir=$2; shift 2 ;;
        --check-other-prefix) check_other_prefix=1; shift ;;
        *) echo "test-packaging: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -n "$build_dir" && -n "$version" ]] || {
    echo "usage: $0 --build-dir BUILD --version X.Y.Z [--unit-dir DIR] ..." >&2
    exit 2
}
if [[ -z "$unit_dir" ]]; then
    unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
    unit_dir=${unit_dir:-/usr/lib/systemd/system}
fi
if [[ -z "$completion_dir" ]]; then
    completion_dir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || true)
    completion_dir=${completion_dir:-/usr/share/bash-completion/completions}
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
ok() {
    echo "ok   $*"
}
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds, else a failure.
check() {
    local what=$1
    shift
    if "$@"; then
        ok "$what"
    else
        fail "$what"
    fi
}
# check_file TREE PATH MODE: PATH exists in TREE as a regular file with octal MODE.
check_file() {
    local tree=$1 path=$2 mode=$3 actual
    if [[ ! -f "$tree$path" || -L "$tree$path" ]]; then
        fail "$path: missing (or not a regular file) in $tree"
        return
    fi
    actual=$(stat -c '%a' "$tree$path")
    if [[ "$actual" != "$mode" ]]; then
        fail "$path: mode $actual, expected $mode"
        return
    fi
    ok "$path ($mode)"
}
# same_content FILE EXPECTED_FILE
same_content() {
    if cmp -s "$1" "$2"; then
        ok "$1 is $2"
    else
        fail "$1 differs from $2"
    fi
}

units=(apig-certd.service apig-certd-sync.service apig-certd-sync.timer)
# Every file the install must produce, for the prefix /usr (mode, path).
expected_files=(
    "755 /usr/bin/apig-certd"
    "644 $unit_dir/apig-certd.service"
    "644 $unit_dir/apig-certd-sync.service"
    "644 $unit_dir/apig-certd-sync.timer"
    "644 /usr/share/man/man8/apig-certd.8"
    "644 $completion_dir/apig-certd"
    "755 /usr/share/apig-certd/certbot-deploy-hook"
    "644 /usr/share/doc/apig-certd/README.md"
    "644 /usr/share/doc/apig-certd/examples/apig-certd.toml"
    "644 /usr/share/doc/apig-certd/examples/apig-certd-token.toml"
    "644 /usr/share/doc/apig-certd/examples/apig-certd-password.toml"
    "644 $config_dir/config.toml"
)

# Sorted list of the regular files and symlinks below TREE, as absolute paths.
list_files() {
    (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort)
}

# --- 1. cmake --install --prefix /usr into a DESTDIR -------------------------------------
echo "== cmake --install --prefix /usr (DESTDIR)"
destdir=$work/root
DESTDIR=$destdir cmake --install "$build_dir" --prefix /usr >"$work/install.log"
for entry in "${expected_files[@]}"; do
    check_file "$destdir" "${entry#* }" "${entry%% *}"
done
printf '%s\n' "${expected_files[@]#* }" | sort >"$work/expected.list"
list_files "$destdir" >"$work/installed.list"
if diff -u "$work/expected.list" "$work/installed.list" >"$work/diff"; then
    ok "no other files installed"
else
    fail "installed files differ from the expected list:"
    cat "$work/diff" >&2
fi

if "$destdir/usr/bin/apig-certd" version >"$work/version.txt" 2>&1 &&
    grep -q "$version" "$work/version.txt"; then
    ok "usr/bin/apig-certd version: $(head -n 1 "$work/version.txt")"
else
    fail "usr/bin/apig-certd version did not run or did not print $version:"
    cat "$work/version.txt" >&2
fi
for unit in "${units[@]}"; do
    same_content "$destdir$unit_dir/$unit" "$root/systemd/$unit"
done
same_content "$destdir/usr/share/man/man8/apig-certd.8" "$root/doc/apig-certd.8"
same_content "$destdir$completion_dir/apig-certd" "$root/completion/apig-certd.bash"
same_content "$destdir/usr/share/apig-certd/certbot-deploy-hook" \
    "$root/scripts/certbot-deploy-hook"
same_content "$destdir$config_dir/config.toml" "$root/config/apig-certd.toml"
for example in apig-certd apig-certd-token apig-certd-password; do
    same_content "$destdir/usr/share/doc/apig-certd/examples/$example.toml" \
        "$root/config/$example.toml"
done

echo "== cmake --install again, over an edited config.toml"
edit="# edited by the administrator $$"
echo "$edit" >>"$destdir$config_dir/config.toml"
DESTDIR=$destdir cmake --install "$build_dir" --prefix /usr >"$work/install2.log"
if [[ "$(tail -n 1 "$destdir$config_dir/config.toml")" == "$edit" ]]; then
    ok "$config_dir/config.toml kept the edit"
else
    fail "$config_dir/config.toml lost the edit on the second install"
fi
check "the second install reports keeping $config_dir/config.toml" \
    grep -q "Keeping existing: $destdir$config_dir/config.toml" "$work/install2.log"

# --- 2. another prefix --------------------------------------------------------------------
if ((check_other_prefix)); then
    echo "== cmake --install --prefix /usr/local (DESTDIR)"
    local_root=$work/local
    DESTDIR=$local_root cmake --install "$build_dir" --prefix /usr/local >"$work/install3.log"
    local_unit_dir=/usr/local${unit_dir#/usr}
    local_completion_dir=/usr/local${completion_dir#/usr}
    check_file "$local_root" /usr/local/bin/apig-certd 755
    check_file "$local_root" "$local_completion_dir/apig-certd" 644
    check_file "$local_root" /usr/local/share/apig-certd/certbot-deploy-hook 755
    check_file "$local_root" "$config_dir/config.toml" 644
    for unit in "${units[@]}"; do
        check_file "$local_root" "$local_unit_dir/$unit" 644
    done
    if grep -q '^ExecStart=/usr/local/bin/apig-certd ' \
        "$local_root$local_unit_dir/apig-certd.service" &&
        ! grep -q '/usr/bin/apig-certd' "$local_root$local_unit_dir"/*; then
        ok "the units start /usr/local/bin/apig-certd"
    else
        fail "the units under /usr/local do not start /usr/local/bin/apig-certd"
    fi
    if grep -qx 'exec /usr/local/bin/apig-certd hook certbot' \
        "$local_root/usr/local/share/apig-certd/certbot-deploy-hook"; then
        ok "the hook runs /usr/local/bin/apig-certd"
    else
        fail "the hook under /usr/local does not run /usr/local/bin/apig-certd"
    fi
fi

# --- 3. the .deb --------------------------------------------------------------------------
echo "== cpack -G DEB"
arch=$(dpkg --print-architecture)
deb_dir=$work/deb
# CPACK_CMAKE_GENERATOR=Ninja: Ninja has no "preinstall" target, so cpack only runs the
# install rules. With a Makefile build, cpack would otherwise build the "preinstall" target
# (= all) first; a test must not build. The generator is only used for that step.
if ! cpack -G DEB -B "$deb_dir" --config "$build_dir/CPackConfig.cmake" \
    -D CPACK_CMAKE_GENERATOR=Ninja >"$work/cpack.log" 2>&1; then
    cat "$work/cpack.log" >&2
    fail "cpack -G DEB failed"
    exit 1
fi
deb=$deb_dir/apig-certd_${version}_${arch}.deb
if [[ ! -f "$deb" ]]; then
    fail "no $deb; cpack made: $(find "$deb_dir" -maxdepth 1 -name '*.deb')"
    exit 1
fi
ok "$(basename "$deb"): $(stat -c '%s' "$deb") bytes"

dpkg-deb -f "$deb" >"$work/control"
field() { sed -n "s/^$1: //p" "$work/control"; }
check "Package: $(field Package)" test "$(field Package)" = apig-certd
check "Version: $(field Version)" test "$(field Version)" = "$version"
check "Section: $(field Section)" test "$(field Section)" = admin
check "Architecture: $(field Architecture)" test "$(field Architecture)" = "$arch"
check "Maintainer: $(field Maintainer)" test -n "$(field Maintainer)"
check "Description: $(field Description)" test -n "$(field Description)"
depends=$(field Depends)
echo "     Depends: $depends"
for library in libc6 libstdc++6 libcurl4 libssl3 libsystemd0; do
    # One entry of the comma-separated list starts with the package name.
    check "Depends names $library" grep -Eq "(^|, )${library//+/\\+}( |,|\$)" <<<"$depends"
done

dpkg-deb -e "$deb" "$work/control.d"
if [[ "$(cat "$work/control.d/conffiles")" == "$config_dir/config.toml" ]]; then
    ok "conffiles: $config_dir/config.toml"
else
    fail "conffiles is '$(cat "$work/control.d/conffiles" 2>/dev/null || true)'"
fi
for script in postinst postrm; do
    if [[ -x "$work/control.d/$script" ]] && sh -n "$work/control.d/$script" &&
        grep -q 'systemctl --system daemon-reload' "$work/control.d/$script" &&
        ! grep -Eq 'systemctl[^#]*(enable|start|restart)' "$work/control.d/$script"; then
        ok "$script: executable, daemon-reload only"
    else
        fail "$script: missing, not executable, or does more than daemon-reload"
    fi
done

dpkg-deb -c "$deb" >"$work/contents"
for entry in "${expected_files[@]}"; do
    path=${entry#* }
    if grep -q " \.$path\$" "$work/contents"; then
        ok "dpkg-deb -c lists $path"
    else
        fail "dpkg-deb -c does not list $path"
    fi
done

extracted=$work/extracted
dpkg -x "$deb" "$extracted"
list_files "$extracted" >"$work/deb.list"
if diff -u "$work/expected.list" "$work/deb.list" >"$work/diff"; then
    ok "dpkg -x yields exactly the files of cmake --install"
else
    fail "the .deb's files differ from cmake --install's:"
    cat "$work/diff" >&2
fi
for entry in "${expected_files[@]}"; do
    check_file "$extracted" "${entry#* }" "${entry%% *}"
done
same_content "$extracted$config_dir/config.toml" "$root/config/apig-certd.toml"
same_content "$extracted$unit_dir/apig-certd.service" "$root/systemd/apig-certd.service"
check "the packaged (stripped) binary runs" "$extracted/usr/bin/apig-certd" version

if ((failures > 0)); then
    echo "test-packaging: $failures check(s) failed" >&2
    exit 1
fi
echo "test-packaging: all checks passed"
