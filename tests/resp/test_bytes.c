/*
 * test_bytes.c - refcounted bytes (copy, clone, slice, release across threads) and
 * the growable buf.
 */
#include <pthread.h>
#include <string.h>

#include "resp_tests.h"

static void test_bytes_copy_holds_a_private_copy(void)
{
    char text[] = "hello";
    bytes *b = bytes_copy(text, 5);
    text[0] = 'J'; /* the caller's memory changes; the copy must not */
    SL_CHECK(bytes_len(b) == 5, "expected length 5, got %zu", bytes_len(b));
    SL_CHECK(memcmp(bytes_data(b), "hello", 5) == 0, "expected the copy to still read hello");
    SL_CHECK(bytes_data(b)[5] == '\0', "expected a NUL after a root's bytes");
    SL_CHECK(bytes_refcount(b) == 1, "expected a new bytes to have count 1, got %zu",
             bytes_refcount(b));
    bytes_release(b);

    bytes *empty = bytes_copy(NULL, 0);
    SL_CHECK(bytes_len(empty) == 0, "expected an empty bytes, got length %zu", bytes_len(empty));
    SL_CHECK(bytes_equals_str(empty, ""), "expected the empty bytes to equal \"\"");
    bytes_release(empty);
    bytes_release(NULL); /* like free(NULL): nothing */
}

static void test_bytes_clone_counts_and_last_release_frees(void)
{
    bytes *b = bytes_from_str("shared");
    bytes *again = bytes_clone(b);
    SL_CHECK(again == b, "expected a clone to be the same handle (no copy)");
    SL_CHECK(bytes_refcount(b) == 2, "expected count 2 after a clone, got %zu", bytes_refcount(b));
    bytes_release(b);
    SL_CHECK(bytes_refcount(again) == 1, "expected count 1 after one release, got %zu",
             bytes_refcount(again));
    SL_CHECK(bytes_equals_str(again, "shared"), "expected the survivor to still read 'shared'");
    bytes_release(again); /* AddressSanitizer reports a leak if this did not free */
    SL_CHECK(bytes_clone(NULL) == NULL, "expected bytes_clone(NULL) to be NULL");
}

static void test_bytes_slice_shares_memory_and_outlives_its_parent(void)
{
    bytes *root = bytes_from_str("hello, world");
    bytes *world = bytes_slice(root, 7, 5);
    SL_CHECK(bytes_data(world) == bytes_data(root) + 7,
             "expected the slice to point into the root");
    SL_CHECK(bytes_equals_str(world, "world"), "expected the slice to read 'world'");
    SL_CHECK(bytes_refcount(root) == 2, "expected the slice to hold a count on the root, got %zu",
             bytes_refcount(root));

    bytes *orl = bytes_slice(world, 1, 3); /* a slice of a slice points at the root */
    SL_CHECK(bytes_data(orl) == bytes_data(root) + 8,
             "expected a slice of a slice to share the root");
    SL_CHECK(bytes_refcount(root) == 3, "expected count 3, got %zu", bytes_refcount(root));

    bytes_release(root);
    bytes_release(world);
    SL_CHECK(bytes_equals_str(orl, "orl"), "expected the last slice to keep the memory alive");
    bytes_release(orl);

    bytes *whole = bytes_from_str("abc");
    bytes *none = bytes_slice(whole, 3, 0);
    SL_CHECK(bytes_len(none) == 0, "expected an empty slice at the end to be allowed");
    bytes_release(none);
    bytes_release(whole);
}

static void test_bytes_equality(void)
{
    bytes *a = bytes_from_str("key");
    bytes *b = bytes_copy("key", 3);
    bytes *c = bytes_copy("kez", 3);
    SL_CHECK(bytes_equals(a, b), "expected equal contents to compare equal");
    SL_CHECK(!bytes_equals(a, c), "expected different contents to differ");
    SL_CHECK(!bytes_equals_mem(a, "ke", 2), "expected different lengths to differ");
    SL_CHECK(bytes_equals_mem(a, "key", 3), "expected bytes_equals_mem to match");
    bytes_release(a);
    bytes_release(b);
    bytes_release(c);
}

enum { CLONE_THREADS = 4, CLONES_PER_THREAD = 20000 };

static void *clone_and_release(void *arg)
{
    bytes *shared = arg;
    for (int i = 0; i < CLONES_PER_THREAD; i++) {
        bytes *mine = bytes_clone(shared);
        bytes *part = bytes_slice(mine, 1, 2);
        if (bytes_data(part)[0] != 'a') /* read through the slice while others release */
            return (void *)1;
        bytes_release(part);
        bytes_release(mine);
    }
    bytes_release(shared); /* each thread was handed one reference */
    return NULL;
}

static void test_bytes_count_is_safe_across_threads(void)
{
    bytes *b = bytes_from_str("data");
    pthread_t threads[CLONE_THREADS];
    for (int i = 0; i < CLONE_THREADS; i++)
        pthread_create(&threads[i], NULL, clone_and_release, bytes_clone(b));
    int failures = 0;
    for (int i = 0; i < CLONE_THREADS; i++) {
        void *result;
        pthread_join(threads[i], &result);
        failures += result != NULL;
    }
    SL_CHECK(failures == 0, "expected every thread to read 'a' through its slice");
    SL_CHECK(bytes_refcount(b) == 1,
             "expected count 1 after %d threads cloned and released, got %zu", CLONE_THREADS,
             bytes_refcount(b));
    bytes_release(b);
}

static void test_buf_append_consume_and_reuse(void)
{
    buf *b = buf_new();
    SL_CHECK(buf_len(b) == 0, "expected a new buf to be empty");
    buf_append(b, "+OK\r\n:1\r\n", 9);
    SL_CHECK(buf_len(b) == 9 && memcmp(buf_data(b), "+OK\r\n:1\r\n", 9) == 0,
             "expected the appended bytes back");
    buf_consume(b, 5);
    SL_CHECK(buf_len(b) == 4 && memcmp(buf_data(b), ":1\r\n", 4) == 0,
             "expected consume to drop the front");
    buf_consume(b, 4);
    SL_CHECK(buf_len(b) == 0, "expected an empty buf after consuming everything");
    buf_append(b, "x", 1);
    buf_clear(b);
    SL_CHECK(buf_len(b) == 0, "expected buf_clear to drop everything");
    buf_free(b);
    buf_free(NULL);
}

static void test_buf_reserve_commit_grows_and_compacts(void)
{
    buf *b = buf_new();
    /* Write 100000 bytes the way read(2) would: reserve, fill part of it, commit. */
    size_t total = 0;
    unsigned state = resp_seed();
    while (total < 100000) {
        size_t spare = 0;
        uint8_t *space = buf_reserve(b, 1000, &spare);
        SL_CHECK_FATAL(spare >= 1000, "expected at least 1000 spare bytes, got %zu", spare);
        size_t n = 1 + resp_random(&state) % 1000;
        for (size_t i = 0; i < n; i++)
            space[i] = (uint8_t)((total + i) % 251);
        buf_commit(b, n);
        total += n;
        if (resp_random(&state) % 3 == 0) { /* a parser consumed a frame's worth */
            size_t consumed = buf_len(b) / 2;
            size_t first = total - buf_len(b);
            for (size_t i = 0; i < consumed; i++)
                if (buf_data(b)[i] != (uint8_t)((first + i) % 251)) {
                    SL_FAIL("byte %zu changed across reserve/compaction (seed %u)", first + i,
                            resp_seed());
                    buf_free(b);
                    return;
                }
            buf_consume(b, consumed);
        }
    }
    size_t first = total - buf_len(b);
    bool intact = true;
    for (size_t i = 0; i < buf_len(b); i++)
        intact = intact && buf_data(b)[i] == (uint8_t)((first + i) % 251);
    SL_CHECK(intact, "expected the unread bytes to survive growth and compaction (seed %u)",
             resp_seed());
    buf_free(b);
}

const sl_test bytes_tests[] = {
    SL_TEST(test_bytes_copy_holds_a_private_copy, 1, NULL),
    SL_TEST(test_bytes_clone_counts_and_last_release_frees, 1, NULL),
    SL_TEST(test_bytes_slice_shares_memory_and_outlives_its_parent, 1, NULL),
    SL_TEST(test_bytes_equality, 1, NULL),
    SL_TEST(test_bytes_count_is_safe_across_threads, 1, NULL),
    SL_TEST(test_buf_append_consume_and_reuse, 1, NULL),
    SL_TEST(test_buf_reserve_commit_grows_and_compacts, 1, NULL),
    SL_TEST_END,
};
