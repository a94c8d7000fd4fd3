/*
 * test_corpus.c - replays the fuzzer's seed corpus (tests/fuzz/corpus/) with the
 * very checks the fuzz target makes (tests/fuzz/frame_check.h): an input that once
 * crashed the parser, saved there, stays fixed in every `make check`, also without
 * clang or libFuzzer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../fuzz/frame_check.h"
#include "resp_tests.h"

/* The suites run from the repository's root. */
#define CORPUS_DIR "tests/fuzz/corpus"

static uint8_t *read_whole_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NULL;
    struct stat st;
    uint8_t *data = NULL;
    if (fstat(fileno(file), &st) == 0) {
        *size = (size_t)st.st_size;
        data = malloc(*size ? *size : 1);
        if (fread(data, 1, *size, file) != *size) {
            free(data);
            data = NULL;
        }
    }
    fclose(file);
    return data;
}

static void test_corpus_replays_without_crash(void)
{
    DIR *dir = opendir(CORPUS_DIR);
    SL_CHECK_FATAL(
        dir != NULL,
        "cannot open %s: the suite must run from the repository's root (as make check does)",
        CORPUS_DIR);
    size_t files = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, entry->d_name);
        size_t size = 0;
        uint8_t *data = read_whole_file(path, &size);
        if (data == NULL) {
            SL_FAIL("cannot read %s", path);
            continue;
        }
        const char *broken = frame_check_input(data, size);
        SL_CHECK(broken == NULL, "%s: %s", path, broken);
        free(data);
        files++;
    }
    closedir(dir);
    SL_CHECK(files >= 10, "expected the seed corpus in %s (at least 10 files), found %zu",
             CORPUS_DIR, files);
}

const sl_test corpus_tests[] = {
    SL_TEST(test_corpus_replays_without_crash, 1, NULL),
    SL_TEST_END,
};
