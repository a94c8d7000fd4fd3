/*
 * client.c - a Redis client: one command, one round trip, one reply.
 *
 * Chapter: chapters/05-channels.md. The file has three sections:
 *
 *   the round trip   write the command, flush, read the reply; turn whatever went
 *                    wrong into a code and words (client.h's error table)
 *   commands         each builds its request array and checks its reply's kind
 *   pub/sub          a subscription: the client's connection in subscribe mode
 *
 * Invariants:
 *   - broken != 0 once the connection is in an unknown state (client.h): every call
 *     then returns it at once with the words saved in error_text.
 *   - A subscription's queued messages arrived while we waited for a confirmation;
 *     they are handed out, oldest first, before anything else is read.
 *
 * Simplification: one command in flight at a time. A pipelining client would write
 * many commands and match replies to them in order (Redis answers in order); the
 * round trip per call is the price of code that fits on a page.
 */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "util.h"

struct client {
    conn *conn;
    int broken;           /* 0, or the code every call returns (sticky) */
    char error_text[512]; /* client_last_error */
};

/* ================================================================ the round trip */

/* Records the words of an error; returns code. */
static int fail(client *c, int code, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int fail(client *c, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(c->error_text, sizeof c->error_text, format, args);
    va_end(args);
    return code;
}

/* The connection failed: the client is broken from now on (see the file's invariants). */
static int fail_connection(client *c, int code, const char *doing)
{
    c->broken = code == CONN_EOF ? CLIENT_ECLOSED : code;
    if (code == CONN_EOF)
        return fail(c, c->broken, "%s: the server closed the connection", doing);
    const char *details = conn_last_error(c->conn);
    return fail(c, c->broken, "%s: %s", doing,
                code == CONN_EPROTO || code == CONN_ETOOBIG || code == CONN_ETRUNCATED
                    ? details
                    : rt_strerror(code));
}

/* Sends request and reads its reply, whatever its kind. */
static int send_and_receive(client *c, const frame *request, frame **reply)
{
    *reply = NULL;
    if (c->broken != 0)
        return c->broken; /* error_text still says why */
    c->error_text[0] = '\0';
    conn_write_frame(c->conn, request);
    int rc = conn_flush(c->conn); /* MAY YIELD */
    if (rc != 0)
        return fail_connection(c, rc, "sending the command");
    rc = conn_read_frame(c->conn, reply); /* MAY YIELD */
    if (rc != 0)
        return fail_connection(c, rc, "reading the reply");
    return 0;
}

/* The round trip of a typed command: request is consumed; an error reply becomes
 * CLIENT_ESERVER; a reply of another kind than expected, CLIENT_EREPLY. */
static int round_trip(client *c, frame *request, frame_kind expected, frame **reply)
{
    const char *name = (const char *)bytes_data(frame_get_bytes(frame_array_get(request, 0)));
    char command[16];
    snprintf(command, sizeof command, "%s", name); /* the request dies below */
    int rc = send_and_receive(c, request, reply);
    frame_free(request);
    if (rc != 0)
        return rc;
    frame_kind kind = frame_get_kind(*reply);
    if (kind == expected || (expected == FRAME_BULK && kind == FRAME_NULL))
        return 0;
    if (kind == FRAME_ERROR)
        rc = fail(c, CLIENT_ESERVER, "%s", (const char *)bytes_data(frame_get_bytes(*reply)));
    else /* not the server we think it is: trust nothing it says from now on */
        rc = fail(c, c->broken = CLIENT_EREPLY, "unexpected reply to %s: %s (expected %s)", command,
                  frame_kind_name(kind), frame_kind_name(expected));
    frame_free(*reply);
    *reply = NULL;
    return rc;
}

/* A request array: the command's name and its first arguments, all C strings. */
static frame *request_of(const char *name, const char *arg1, const char *arg2)
{
    frame *request = frame_new_array();
    frame_array_push(request, frame_new_bulk_str(name));
    if (arg1 != NULL)
        frame_array_push(request, frame_new_bulk_str(arg1));
    if (arg2 != NULL)
        frame_array_push(request, frame_new_bulk_str(arg2));
    return request;
}

/* ================================================================ connecting */

int client_connect(const char *host, int port, client **out)
{
    *out = NULL;
    rt_tcp_stream *stream;
    int rc = rt_tcp_connect(host, port, &stream); /* MAY YIELD */
    if (rc != 0)
        return rc;
    client *c = util_calloc(1, sizeof *c);
    c->conn = conn_new(stream);
    *out = c;
    return 0;
}

void client_close(client *c)
{
    if (c == NULL)
        return;
    conn_close(c->conn);
    free(c);
}

const char *client_last_error(const client *c)
{
    return c->error_text;
}

/* ================================================================ commands */

int client_ping(client *c, const char *message, bytes **reply)
{
    frame *answer;
    /* PING answers +PONG, PING message answers $message: two kinds. */
    int rc = round_trip(c, request_of("PING", message, NULL),
                        message != NULL ? FRAME_BULK : FRAME_SIMPLE, &answer);
    if (rc == 0 && frame_get_kind(answer) == FRAME_NULL)
        rc = fail(c, c->broken = CLIENT_EREPLY, "unexpected reply to PING: null");
    if (rc == 0 && reply != NULL)
        *reply = bytes_clone(frame_get_bytes(answer));
    frame_free(answer);
    return rc;
}

int client_get(client *c, const char *key, bytes **value)
{
    *value = NULL;
    frame *answer;
    int rc = round_trip(c, request_of("GET", key, NULL), FRAME_BULK, &answer);
    if (rc == 0 && frame_get_kind(answer) == FRAME_BULK)
        *value = bytes_clone(frame_get_bytes(answer));
    frame_free(answer);
    return rc;
}

int client_set(client *c, const char *key, const void *value, size_t len, int64_t expire_ms)
{
    frame *request = request_of("SET", key, NULL);
    frame_array_push(request, frame_new_bulk_copy(value, len));
    if (expire_ms > 0) {
        char text[24];
        snprintf(text, sizeof text, "%lld", (long long)expire_ms);
        frame_array_push(request, frame_new_bulk_str("PX"));
        frame_array_push(request, frame_new_bulk_str(text));
    }
    frame *answer;
    int rc = round_trip(c, request, FRAME_SIMPLE, &answer);
    frame_free(answer);
    return rc;
}

/* The commands whose reply is an integer. */
static int integer_command(client *c, frame *request, int64_t *value)
{
    frame *answer;
    int rc = round_trip(c, request, FRAME_INTEGER, &answer);
    if (rc == 0 && value != NULL)
        *value = frame_get_integer(answer);
    frame_free(answer);
    return rc;
}

int client_del(client *c, const char *const keys[], size_t nkeys, int64_t *ndeleted)
{
    frame *request = request_of("DEL", NULL, NULL);
    for (size_t i = 0; i < nkeys; i++)
        frame_array_push(request, frame_new_bulk_str(keys[i]));
    return integer_command(c, request, ndeleted);
}

int client_incr(client *c, const char *key, int64_t *value)
{
    return integer_command(c, request_of("INCR", key, NULL), value);
}

int client_publish(client *c, const char *channel, const void *message, size_t len,
                   int64_t *nreceivers)
{
    frame *request = request_of("PUBLISH", channel, NULL);
    frame_array_push(request, frame_new_bulk_copy(message, len));
    return integer_command(c, request, nreceivers);
}

int client_command(client *c, const frame *request, frame **reply)
{
    return send_and_receive(c, request, reply);
}

/* ================================================================ pub/sub */

struct client_subscription {
    client *client;
    int64_t count; /* channels subscribed, as the server last said */
    /* messages that arrived while we waited for a confirmation (a FIFO) */
    client_message *queued;
    size_t nqueued, first_queued, queue_capacity;
};

void client_message_clear(client_message *m)
{
    bytes_release(m->channel);
    bytes_release(m->payload);
    m->channel = m->payload = NULL;
}

/* What the server pushes in subscribe mode: arrays of three,
 *     ["message", channel, payload]    a message
 *     ["subscribe", channel, count]    a confirmation (also "unsubscribe")
 * Returns the first element's text and fills the other two, or NULL when f is not a
 * push of that shape (the channel of "unsubscribe" with no channels is a null). */
static const char *parse_push(const frame *f, bytes **channel, const frame **third)
{
    if (frame_get_kind(f) != FRAME_ARRAY || frame_array_len(f) != 3 ||
        frame_get_kind(frame_array_get(f, 0)) != FRAME_BULK)
        return NULL;
    const frame *second = frame_array_get(f, 1);
    *channel = frame_get_kind(second) == FRAME_BULK ? frame_get_bytes(second) : NULL;
    *third = frame_array_get(f, 2);
    return (const char *)bytes_data(frame_get_bytes(frame_array_get(f, 0)));
}

static void queue_message(client_subscription *s, client_message m)
{
    if (s->first_queued + s->nqueued == s->queue_capacity) {
        if (s->first_queued > 0) { /* slide the live part to the front */
            memmove(s->queued, s->queued + s->first_queued, s->nqueued * sizeof *s->queued);
            s->first_queued = 0;
        } else { /* it is full: grow */
            s->queue_capacity = s->queue_capacity ? 2 * s->queue_capacity : 8;
            s->queued = util_realloc(s->queued, s->queue_capacity * sizeof *s->queued);
        }
    }
    s->queued[s->first_queued + s->nqueued++] = m;
}

/* Reads one push. A message is stored in *message (when not NULL) or queued; a
 * confirmation of `expected` updates the count and sets *confirmed. */
static int read_push(client_subscription *s, const char *expected, client_message *message,
                     bool *confirmed)
{
    client *c = s->client;
    frame *f;
    int rc = conn_read_frame(c->conn, &f); /* MAY YIELD */
    if (rc == RT_ETIMEDOUT)                /* nothing lost: the conn keeps a partial frame */
        return fail(c, rc, "waiting for a message: %s", rt_strerror(rc));
    if (rc != 0)
        return fail_connection(c, rc, "waiting for a message");
    bytes *channel;
    const frame *third;
    const char *kind = parse_push(f, &channel, &third);
    if (kind != NULL && strcmp(kind, "message") == 0 && channel != NULL &&
        frame_get_kind(third) == FRAME_BULK) {
        client_message m = {bytes_clone(channel), bytes_clone(frame_get_bytes(third))};
        if (message != NULL)
            *message = m;
        else
            queue_message(s, m);
    } else if (kind != NULL && expected != NULL && strcmp(kind, expected) == 0 &&
               frame_get_kind(third) == FRAME_INTEGER) {
        s->count = frame_get_integer(third);
        *confirmed = true;
    } else if (frame_get_kind(f) == FRAME_ERROR) {
        rc = fail(c, CLIENT_ESERVER, "%s", (const char *)bytes_data(frame_get_bytes(f)));
    } else {
        c->broken = CLIENT_EREPLY;
        rc = fail(c, CLIENT_EREPLY, "unexpected %s in subscribe mode",
                  frame_kind_name(frame_get_kind(f)));
    }
    frame_free(f);
    return rc;
}

/* Redis confirms each channel named; UNSUBSCRIBE without channels is confirmed once
 * per channel we had (we do not keep their list), the last one with a count of 0. */
static bool is_confirmed(size_t nnamed, size_t nconfirmed, int64_t count)
{
    if (nnamed > 0)
        return nconfirmed == nnamed;
    return nconfirmed > 0 && count == 0;
}

/* Sends SUBSCRIBE or UNSUBSCRIBE with channels and waits for its confirmations: one
 * per channel named, or, for UNSUBSCRIBE without channels, until the count is 0. */
static int change_channels(client_subscription *s, const char *command,
                           const char *const channels[], size_t n)
{
    client *c = s->client;
    if (c->broken != 0)
        return c->broken;
    frame *request = request_of(command, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        frame_array_push(request, frame_new_bulk_str(channels[i]));
    conn_write_frame(c->conn, request);
    frame_free(request);
    int rc = conn_flush(c->conn); /* MAY YIELD */
    if (rc != 0)
        return fail_connection(c, rc, "sending the command");
    char expected[16];
    snprintf(expected, sizeof expected, "%s", command);
    for (char *p = expected; *p != '\0'; p++)
        *p = (char)(*p - 'A' + 'a'); /* Redis confirms in lower case */
    size_t confirmed = 0;
    while (!is_confirmed(n, confirmed, s->count)) {
        bool is_confirmation = false;
        rc = read_push(s, expected, NULL, &is_confirmation); /* MAY YIELD */
        if (rc == RT_ETIMEDOUT) /* a confirmation is owed: we cannot tell it apart later */
            c->broken = rc;
        if (rc != 0)
            return rc;
        confirmed += is_confirmation;
    }
    return 0;
}

int client_subscribe(client *c, const char *const channels[], size_t n, client_subscription **out)
{
    LIB_ASSERT(n >= 1);
    *out = NULL;
    client_subscription *s = util_calloc(1, sizeof *s);
    s->client = c;
    int rc = change_channels(s, "SUBSCRIBE", channels, n);
    if (rc != 0) {
        s->client = NULL; /* c stays the caller's */
        client_subscription_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int client_subscription_next(client_subscription *s, client_message *out)
{
    *out = (client_message){NULL, NULL};
    if (s->nqueued > 0) {
        *out = s->queued[s->first_queued++];
        s->nqueued--;
        return 0;
    }
    client *c = s->client;
    if (c->broken != 0)
        return c->broken;
    c->error_text[0] = '\0';
    while (out->channel == NULL) {
        bool unused = false;
        int rc = read_push(s, NULL, out, &unused); /* MAY YIELD */
        if (rc != 0)
            return rc;
    }
    return 0;
}

int client_subscription_subscribe(client_subscription *s, const char *const channels[], size_t n)
{
    LIB_ASSERT(n >= 1);
    return change_channels(s, "SUBSCRIBE", channels, n);
}

int client_subscription_unsubscribe(client_subscription *s, const char *const channels[], size_t n)
{
    return change_channels(s, "UNSUBSCRIBE", channels, n);
}

int64_t client_subscription_count(const client_subscription *s)
{
    return s->count;
}

const char *client_subscription_last_error(const client_subscription *s)
{
    return s->client->error_text;
}

void client_subscription_close(client_subscription *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nqueued; i++)
        client_message_clear(&s->queued[s->first_queued + i]);
    free(s->queued);
    client_close(s->client);
    free(s);
}
