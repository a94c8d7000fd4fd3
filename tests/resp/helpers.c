/*
 * helpers.c - feeding parsers in chunks, seeds, and small builders for tests/resp.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resp_tests.h"

unsigned resp_seed(void)
{
    static unsigned seed;
    if (seed == 0) {
        const char *env = getenv("RESP_SEED");
        seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
        if (seed == 0)
            seed = 1; /* xorshift never leaves zero */
    }
    return seed;
}

unsigned resp_random(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

const char *split_name(split_mode mode)
{
    switch (mode) {
    case SPLIT_WHOLE:
        return "whole";
    case SPLIT_BYTE_BY_BYTE:
        return "one byte at a time";
    case SPLIT_RANDOM:
        return "random splits";
    }
    return "?";
}

/* Parses every frame the unread bytes of in hold; returns the status that stopped it. */
static int parse_available(buf *in, bool is_request, const frame_limits *limits, feed_result *out)
{
    for (;;) {
        /* An exact-size copy: the buf has spare capacity that would hide overreads. */
        size_t len = buf_len(in);
        uint8_t *exact = malloc(len ? len : 1);
        memcpy(exact, buf_data(in), len);
        frame *f = NULL;
        size_t used = 0;
        int rc = is_request ? frame_parse_request(exact, len, limits, &f, &used, &out->error)
                            : frame_parse(exact, len, limits, &f, &used, &out->error);
        free(exact);
        if (rc != FRAME_OK)
            return rc;
        if (f == NULL || used == 0 || used > len) {
            /* A broken contract: report it as an impossible status. */
            frame_free(f);
            snprintf(out->error.message, sizeof out->error.message,
                     "FRAME_OK with frame %p and %zu of %zu bytes consumed", (void *)f, used, len);
            return -9999;
        }
        frame_array_push(out->frames, f);
        buf_consume(in, used);
    }
}

void feed_parser(const void *input, size_t len, split_mode mode, unsigned seed, bool is_request,
                 const frame_limits *limits, feed_result *out)
{
    const uint8_t *bytes_in = input;
    unsigned state = seed ? seed : 1;
    buf *in = buf_new();
    memset(out, 0, sizeof *out);
    out->frames = frame_new_array();
    out->status = FRAME_NEED_MORE;
    size_t sent = 0;
    while (sent < len && out->status == FRAME_NEED_MORE) {
        size_t chunk = len - sent;
        if (mode == SPLIT_BYTE_BY_BYTE)
            chunk = 1;
        else if (mode == SPLIT_RANDOM)
            chunk = 1 + resp_random(&state) % (chunk < 17 ? chunk : 17);
        buf_append(in, bytes_in + sent, chunk);
        sent += chunk;
        out->status = parse_available(in, is_request, limits, out);
    }
    out->leftover = buf_len(in);
    buf_free(in);
}

void feed_result_clear(feed_result *r)
{
    frame_free(r->frames);
    r->frames = NULL;
}

char *wire_of(const frame *f, size_t *len)
{
    buf *out = buf_new();
    frame_serialize(f, out);
    *len = buf_len(out);
    char *text = malloc(*len + 1);
    memcpy(text, buf_data(out), *len);
    text[*len] = '\0';
    buf_free(out);
    return text;
}

frame *words_request(const char *first, ...)
{
    frame *request = frame_new_array();
    va_list args;
    va_start(args, first);
    for (const char *w = first; w != NULL; w = va_arg(args, const char *))
        frame_array_push(request, frame_new_bulk_str(w));
    va_end(args);
    return request;
}
