/*
 * text.c - RESP bytes in words, for failure messages; the harness clock.
 *
 * A deliberately small reader, separate from lib/'s parser: the harness must be able
 * to describe exactly what a broken server sent, including bytes that are not RESP.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double sl_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

char *sl_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1))) {
        size_t got = fread(text, 1, (size_t)n, f);
        text[got] = '\0';
    }
    fclose(f);
    return text;
}

typedef struct out {
    char *buf;
    size_t cap, len;
} out;

static void put(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r' || ch == '\n' || ch < 32 || ch > 126) {
            char esc[8];
            int k = snprintf(esc, sizeof esc,
                             ch == '\r'   ? "\\r"
                             : ch == '\n' ? "\\n"
                                          : "\\x%02x",
                             ch);
            for (int j = 0; j < k && o->len + 1 < o->cap; j++)
                o->buf[o->len++] = esc[j];
        } else {
            o->buf[o->len++] = (char)ch;
        }
    }
    o->buf[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Length of the line at p (up to CRLF) or -1 when there is no CRLF before end. */
static long line_length(const char *p, const char *end)
{
    for (const char *q = p; q + 1 < end; q++)
        if (q[0] == '\r' && q[1] == '\n')
            return q - p;
    return -1;
}

/* Renders one frame at *p; returns false (leaving *p) when it is not well-formed. */
static bool render(out *o, const char **p, const char *end, bool as_words, int depth)
{
    const char *s = *p;
    long n = s < end ? line_length(s + 1, end) : -1;
    if (n < 0 || depth > 8)
        return false;
    const char *body = s + 1, *next = body + n + 2;
    char type = s[0];
    if (type == '+' || type == '-' || type == ':') {
        put(o, s, (size_t)n + 1);
    } else if (type == '$') {
        long len = strtol(body, NULL, 10);
        if (len < 0) {
            puts_(o, "(nil)");
        } else {
            if (next + len + 2 > end)
                return false;
            if (!as_words)
                puts_(o, "\"");
            put(o, next, (size_t)len);
            if (!as_words)
                puts_(o, "\"");
            next += len + 2;
        }
    } else if (type == '*') {
        long count = strtol(body, NULL, 10);
        if (count < 0) {
            puts_(o, "(nil array)");
        } else {
            if (!as_words)
                puts_(o, "[");
            for (long i = 0; i < count; i++) {
                if (i > 0)
                    puts_(o, as_words ? " " : ", ");
                if (!render(o, &next, end, as_words, depth + 1))
                    return false;
            }
            if (!as_words)
                puts_(o, "]");
        }
    } else {
        return false;
    }
    *p = next;
    return true;
}

/* A command is an array of bulk strings: shown as the words a student would type. */
static bool is_command(const char *p, const char *end)
{
    if (p >= end || *p != '*')
        return false;
    long n = line_length(p + 1, end);
    if (n < 0)
        return false;
    const char *q = p + 1 + n + 2;
    return q < end && *q == '$';
}

char *sl_resp_words(const char *bytes, size_t n, char *buf, size_t cap)
{
    out o = {buf, cap, 0};
    buf[0] = '\0';
    const char *p = bytes, *end = bytes + n;
    while (p < end) {
        if (o.len > 0)
            puts_(&o, " ; ");
        size_t mark = o.len;
        if (!render(&o, &p, end, is_command(p, end), 0)) {
            /* Not RESP (or cut short): show the rest as escaped bytes. */
            o.len = mark;
            put(&o, p, (size_t)(end - p));
            break;
        }
    }
    if (n == 0)
        puts_(&o, "(nothing)");
    return buf;
}
