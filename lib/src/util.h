/*
 * util.h - internal helpers of the mini-redis library (not API: nothing outside
 * lib/src includes this file).
 *
 * Two policies live here, so that every file of the library follows them the same way:
 *
 *   - Out of memory is fatal. Like Redis (zmalloc's out-of-memory handler) and like
 *     Rust's global allocator under Tokio's mini-redis, we abort with a message
 *     instead of returning NULL. Checking every allocation would double the length
 *     of code that students read, for a condition the labs cannot recover from.
 *     What keeps hostile input from exhausting memory is not these checks but the
 *     parser's limits (frame.h): we never allocate for bytes that have not arrived.
 *
 *   - Broken invariants (a caller's programming error, never bad network input)
 *     stop the program through LIB_ASSERT, which NDEBUG does not remove.
 */
#ifndef MINIREDIS_UTIL_H
#define MINIREDIS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Always-on assertion for invariants. Bad input from the network must return an
 * error code instead: an assert is for bugs in the calling code. */
#define LIB_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            util_assert_failed(#cond, __FILE__, __LINE__, __func__);                               \
    } while (0)

_Noreturn void util_assert_failed(const char *cond, const char *file, int line, const char *func);

/* malloc / calloc / realloc that abort with a message instead of returning NULL. */
void *util_malloc(size_t size);
void *util_calloc(size_t count, size_t size);
void *util_realloc(void *old, size_t size);

/* Parses text as a signed 64-bit decimal with Redis's rules (its string2ll):
 * an optional '-', then digits; no '+', no spaces, no leading zeros ("0" itself is
 * fine, "-0" and "007" are not), no overflow. Returns true and sets *value on success.
 * The RESP parser (lengths, integers) and the command parser (EX, INCR) share it, so
 * that what counts as a number is decided in one place. */
bool util_parse_int64(const uint8_t *text, size_t len, int64_t *value);

/* Writes value in decimal into out (at least 21 bytes), no NUL; returns the length.
 * snprintf would do, but it is the serializer's hottest call and costs a format parse. */
size_t util_format_int64(char *out, int64_t value);

/* Escapes bytes for an error message: printable ASCII as is, others as \r \n \xHH;
 * at most max_input input bytes are shown, then "...". Always NUL-terminates out. */
void util_escape(const uint8_t *bytes, size_t len, size_t max_input, char *out, size_t cap);

#endif
