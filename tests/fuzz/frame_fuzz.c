/*
 * frame_fuzz.c - libFuzzer target for the RESP parser (frame_parse and
 * frame_parse_request, default and tight limits) and the command parser behind it.
 *
 * Build and run with tools/fuzz.sh SECONDS BUILD_ROOT (or `make fuzz FUZZ_SECONDS=N`).
 * The seeds are tests/fuzz/corpus/; `make check` replays them (tests/resp,
 * test_corpus.c), so an input that once crashed stays fixed once it is added there.
 * The properties checked are listed in frame_check.h; a broken one aborts, which
 * libFuzzer reports as a crash and saves the input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "frame_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *broken = frame_check_input(data, size);
    if (broken != NULL) {
        fprintf(stderr, "frame_fuzz: property broken: %s\n", broken);
        abort();
    }
    return 0;
}
