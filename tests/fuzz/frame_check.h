/*
 * frame_check.h - the properties the RESP parser must keep on ANY input, shared by
 * the libFuzzer target (tests/fuzz/frame_fuzz.c) and the corpus replay test in
 * tests/resp (test_corpus.c). Header-only on purpose: the fuzz target is built by
 * tools/fuzz.sh outside the Makefile, and both need exactly the same checks.
 *
 * For the input taken as a stream of frames, in both modes (frame_parse and
 * frame_parse_request), with the default limits and with tight ones:
 *   1. every call returns OK, NEED_MORE, EPROTO or ETOOBIG, nothing else;
 *   2. an error has a message and an offset inside the bytes it was given;
 *   3. OK consumed between 1 and the bytes given, and returned a frame;
 *   4. the same bytes minus the last one are NEED_MORE (a frame is complete only
 *      when its last byte arrives, never earlier);
 *   5. serializing the frame and parsing that again gives an equal frame, consuming
 *      exactly the serialized bytes (the round trip);
 *   6. a request turns into a command or an error reply, never anything else.
 * Every parse sees an exactly-sized heap copy, so AddressSanitizer reports a read of
 * even one byte past the input.
 */
#ifndef SPAWNLAB_FRAME_CHECK_H
#define SPAWNLAB_FRAME_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cmd.h"
#include "frame.h"

static const frame_limits frame_check_tight_limits = {
    .max_bulk_len = 16,
    .max_array_len = 4,
    .max_depth = 3,
    .max_line_len = 16,
};

static int frame_check_parse(const uint8_t *data, size_t len, bool is_request,
                             const frame_limits *limits, frame **out, size_t *used,
                             frame_error *error)
{
    uint8_t *exact = malloc(len ? len : 1);
    if (len > 0)
        memcpy(exact, data, len);
    int rc = is_request ? frame_parse_request(exact, len, limits, out, used, error)
                        : frame_parse(exact, len, limits, out, used, error);
    free(exact);
    return rc;
}

/* Properties 4, 5 and 6 for one frame f that took used bytes at data. */
static const char *frame_check_frame(const uint8_t *data, size_t used, frame *f, bool is_request,
                                     const frame_limits *limits)
{
    frame *again = NULL;
    size_t again_used = 0;
    frame_error error;
    if (frame_check_parse(data, used - 1, is_request, limits, &again, &again_used, &error) !=
        FRAME_NEED_MORE) {
        frame_free(again);
        return "a frame's bytes minus the last one were not need-more";
    }

    /* The serialized form is canonical RESP; a request serializes as an array of bulk
     * strings, so it parses back the same way in either mode. Default limits: an inline
     * argument may be longer than a tight max_bulk_len. */
    buf *wire = buf_new();
    frame_serialize(f, wire);
    int rc = frame_check_parse(buf_data(wire), buf_len(wire), is_request, NULL, &again, &again_used,
                               &error);
    bool is_same = rc == FRAME_OK && again_used == buf_len(wire) && frame_equals(f, again);
    buf_free(wire);
    frame_free(again);
    if (!is_same)
        return "serialize -> parse did not give the same frame back";

    if (is_request) {
        cmd command;
        frame *reply = NULL;
        rc = cmd_parse(f, &command, &reply);
        bool is_valid = (rc == 0 && reply == NULL) ||
                        (rc == -EINVAL && reply != NULL && frame_get_kind(reply) == FRAME_ERROR &&
                         command.kind == CMD_EMPTY);
        cmd_clear(&command);
        frame_free(reply);
        if (!is_valid)
            return "cmd_parse gave neither a command nor an error reply";
    }
    return NULL;
}

/* Properties 1-6 over the whole input as a stream of frames. */
static const char *frame_check_stream(const uint8_t *data, size_t size, bool is_request,
                                      const frame_limits *limits)
{
    size_t offset = 0;
    for (;;) {
        frame *f = NULL;
        size_t used = 0;
        frame_error error = {0};
        size_t left = size - offset;
        int rc = frame_check_parse(data + offset, left, is_request, limits, &f, &used, &error);
        if (rc == FRAME_NEED_MORE)
            return f == NULL && used == 0 ? NULL : "need-more came with a frame or consumed bytes";
        if (rc == FRAME_EPROTO || rc == FRAME_ETOOBIG)
            return f == NULL && error.message[0] != '\0' && error.offset <= left
                       ? NULL
                       : "an error without a message, with a frame, or with an offset past the "
                         "input";
        if (rc != FRAME_OK)
            return "a result that is not OK, NEED_MORE, EPROTO or ETOOBIG";
        if (f == NULL || used == 0 || used > left) {
            frame_free(f);
            return "OK without a frame, or with an impossible consumed count";
        }
        const char *broken = frame_check_frame(data + offset, used, f, is_request, limits);
        frame_free(f);
        if (broken != NULL)
            return broken;
        offset += used;
    }
}

/* Returns NULL when every property holds on this input, else the broken one. */
static const char *frame_check_input(const uint8_t *data, size_t size)
{
    const char *broken = NULL;
    for (int mode = 0; mode < 4 && broken == NULL; mode++)
        broken = frame_check_stream(data, size, mode % 2 == 1,
                                    mode < 2 ? NULL : &frame_check_tight_limits);
    return broken;
}

#endif
