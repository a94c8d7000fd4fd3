#!/usr/bin/env bash
# deps.sh - the dependency check that make check, make grade and make demo run first.
#
# Finds what spawnlab needs; when something is missing it installs the Debian packages
# (as root: apt-get update once, then apt-get install -y) or prints the one command to
# run. When everything is present it makes no apt call at all, so it costs milliseconds.
#
# Needed: a C compiler, CUnit (libcunit1-dev), Graphviz (dot), and the reference peers
# redis-server and redis-tools (redis-cli, redis-benchmark) for compatibility tests and
# benchmarks. Wanted (installed as root, reported otherwise, never fatal): the aarch64
# cross compiler, qemu-user and arm64 CUnit for the runtime's second architecture; clang
# for fuzzing.
set -u
missing=() wanted=()

have_cunit() {
    local cc=${CC:-cc}
    echo '#include <CUnit/CUnit.h>
int main(void){return CU_initialize_registry();}' |
        $cc -x c - -o /dev/null -lcunit >/dev/null 2>&1
}

command -v "${CC:-cc}" >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v make >/dev/null 2>&1 || missing+=(make)
have_cunit || missing+=(libcunit1-dev)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-tools)

command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || wanted+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64-static >/dev/null 2>&1 || wanted+=(qemu-user-static)
[ -e /usr/lib/aarch64-linux-gnu/libcunit.so ] || [ -e /usr/lib/aarch64-linux-gnu/libcunit.a ] || wanted+=(libcunit1-dev:arm64)
command -v clang >/dev/null 2>&1 || wanted+=(clang)

[ ${#missing[@]} -eq 0 ] && [ ${#wanted[@]} -eq 0 ] && exit 0

install() { # packages...
    export DEBIAN_FRONTEND=noninteractive
    if printf '%s\n' "$@" | grep -q ':arm64$' && ! dpkg --print-foreign-architectures | grep -qx arm64; then
        dpkg --add-architecture arm64 || return 1
    fi
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"
}

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ ${#missing[@]} -gt 0 ]; then
        echo "deps: installing ${missing[*]} ${wanted[*]}"
        if ! install "${missing[@]}" "${wanted[@]}" >/tmp/spawnlab-deps.log 2>&1; then
            # the optional packages may be what failed (arm64 lists): retry without them
            install "${missing[@]}" >>/tmp/spawnlab-deps.log 2>&1 || {
                echo "deps: apt-get could not install ${missing[*]}; its output is in /tmp/spawnlab-deps.log"
                exit 1
            }
        fi
    else
        echo "deps: installing optional ${wanted[*]}"
        install "${wanted[@]}" >/tmp/spawnlab-deps.log 2>&1 ||
            echo "deps: could not install the optional ${wanted[*]} (see /tmp/spawnlab-deps.log); continuing without them"
    fi
    have_cunit || { echo "deps: CUnit still cannot be linked after installing libcunit1-dev"; exit 1; }
    exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: spawnlab needs these Debian packages: ${missing[*]}"
    echo "deps: install them with:"
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
fi
echo "deps: optional (aarch64 runtime tests under qemu, fuzzing) not installed: ${wanted[*]}"
echo "deps: to add them: sudo dpkg --add-architecture arm64 && sudo apt-get update && sudo apt-get install -y ${wanted[*]}"
exit 0
