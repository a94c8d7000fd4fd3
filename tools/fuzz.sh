#!/usr/bin/env bash
# fuzz.sh SECONDS BUILD_ROOT - fuzz the RESP parser with libFuzzer for SECONDS.
#
# Builds tests/fuzz/frame_fuzz.c with the mini-redis library sources using clang
# -fsanitize=fuzzer,address,undefined into BUILD_ROOT/fuzz/, then runs it with
# -max_total_time=SECONDS. Seeds are read from tests/fuzz/corpus/ (never written);
# inputs the fuzzer finds go to BUILD_ROOT/fuzz/corpus/, a crashing input to
# BUILD_ROOT/fuzz/artifacts/. Exits non-zero when the fuzzer found a crash, a leak,
# a timeout or a broken property (frame_check.h). Run from the repository's root.
#
# To keep a crashing input as a regression test: copy it into tests/fuzz/corpus/
# with a descriptive name; `make check` replays that directory.
set -euo pipefail

seconds=${1:?usage: tools/fuzz.sh SECONDS BUILD_ROOT}
root=${2:?usage: tools/fuzz.sh SECONDS BUILD_ROOT}
cc=${FUZZ_CC:-clang}
out="$root/fuzz"

command -v "$cc" >/dev/null || { echo "fuzz: $cc is not installed (apt-get install clang)"; exit 1; }
[ -d tests/fuzz/corpus ] || { echo "fuzz: run from the repository's root (no tests/fuzz/corpus here)"; exit 1; }
mkdir -p "$out/corpus" "$out/artifacts"

echo "fuzz: building $out/frame_fuzz"
"$cc" -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Ilib/include -o "$out/frame_fuzz" tests/fuzz/frame_fuzz.c \
    lib/src/bytes.c lib/src/frame.c lib/src/cmd.c lib/src/util.c # the parser alone: no runtime

echo "fuzz: running for $seconds s (seeds: tests/fuzz/corpus, new inputs: $out/corpus)"
# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: the parser must not
# balloon on any input; -max_len: big enough for nested arrays and long lines.
"$out/frame_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/" "$out/corpus" tests/fuzz/corpus
echo "fuzz: no crash in $seconds s"
