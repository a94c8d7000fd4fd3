#!/bin/sh
# check-aarch64.sh - the runtime suite on aarch64, under qemu-user (make check, step 5).
#
#     tools/check-aarch64.sh "<make command>" "<build root O>"
#
# The runtime has a context switch per architecture (runtime/arch/switch_*.S); this builds
# the runtime suite with the aarch64 cross-compiler into $O/aarch64 (statically linked, so
# qemu needs no aarch64 libraries at run time) and runs it under qemu-aarch64-static.
# Without the cross-compiler or qemu it says so in one line and succeeds.
#
# The suite learns that it runs under qemu from SPAWNLAB_UNDER_QEMU=1 (it then skips what
# qemu-user cannot do, with a note), and how to start its helper programs from
# SPAWNLAB_QEMU (without binfmt_misc, an aarch64 program cannot be exec'd directly).
set -eu

make_command=${1:?usage: check-aarch64.sh "<make command>" "<build root>"}
build_root=${2:?usage: check-aarch64.sh "<make command>" "<build root>"}
cc=aarch64-linux-gnu-gcc
qemu=qemu-aarch64-static

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "check-aarch64: skipped: $cc is not installed (apt-get install gcc-aarch64-linux-gnu)"
    exit 0
fi
if ! command -v "$qemu" >/dev/null 2>&1; then
    echo "check-aarch64: skipped: $qemu is not installed (apt-get install qemu-user-static)"
    exit 0
fi

out="$build_root/aarch64"
suite="$out/default/tests/runtime/suite"
echo "check-aarch64: building the runtime suite with $cc into $out"
# LDFLAGS from the environment: the Makefile's own LDFLAGS += ... still applies.
LDFLAGS=-static $make_command O="$out" CC="$cc" SAN= \
    "$suite" "$out/default/tests/runtime/progs/checks"

echo "check-aarch64: running $suite under $qemu"
SPAWNLAB_UNDER_QEMU=1 SPAWNLAB_QEMU="$(command -v "$qemu")" SL_TIMEOUT=300 \
    "$qemu" "$suite"
