/*
 * util.c - the library's internal helpers: fatal allocation, the always-on assert,
 * Redis-compatible integer text, and escaping for error messages. See util.h for
 * the policies these implement.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void util_assert_failed(const char *cond, const char *file, int line, const char *func)
{
    fprintf(stderr, "miniredis: %s:%d: %s: assertion failed: %s\n", file, line, func, cond);
    abort();
}

static _Noreturn void out_of_memory(size_t size)
{
    fprintf(stderr, "miniredis: out of memory allocating %zu bytes\n", size);
    abort();
}

void *util_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

void *util_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *util_realloc(void *old, size_t size)
{
    void *p = realloc(old, size ? size : 1);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

bool util_parse_int64(const uint8_t *text, size_t len, int64_t *value)
{
    /* Work in unsigned arithmetic up to the magnitude limit of the sign, so that
     * INT64_MIN (whose magnitude INT64_MAX cannot hold) parses too. */
    bool is_negative = len > 0 && text[0] == '-';
    size_t i = is_negative ? 1 : 0;
    if (i == len || len > 20)
        return false;
    if (text[i] == '0') /* "0" only: leading zeros and "-0" are not numbers to Redis */
        return len == 1 ? (*value = 0, true) : false;

    uint64_t limit = is_negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    for (; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (magnitude > (limit - digit) / 10)
            return false;
        magnitude = magnitude * 10 + digit;
    }
    /* Negating in unsigned arithmetic, then converting, is well defined for INT64_MIN
     * only through this detour: -(int64_t)magnitude would overflow. */
    *value = is_negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return true;
}

size_t util_format_int64(char *out, int64_t value)
{
    char reversed[20];
    size_t n = 0;
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        reversed[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);

    size_t len = 0;
    if (value < 0)
        out[len++] = '-';
    while (n > 0)
        out[len++] = reversed[--n];
    return len;
}

void util_escape(const uint8_t *bytes, size_t len, size_t max_input, char *out, size_t cap)
{
    size_t used = 0;
    size_t shown = len < max_input ? len : max_input;
    out[0] = '\0';
    for (size_t i = 0; i < shown; i++) {
        char piece[5];
        uint8_t c = bytes[i];
        if (c == '\r')
            snprintf(piece, sizeof piece, "\\r");
        else if (c == '\n')
            snprintf(piece, sizeof piece, "\\n");
        else if (c < 0x20 || c >= 0x7f)
            snprintf(piece, sizeof piece, "\\x%02x", c);
        else
            snprintf(piece, sizeof piece, "%c", c);
        size_t n = strlen(piece);
        if (used + n + 4 > cap) /* keep room for "..." and the NUL */
            break;
        memcpy(out + used, piece, n + 1);
        used += n;
    }
    if (shown < len && used + 4 <= cap)
        memcpy(out + used, "...", 4);
}
