/*
 * client.h - a Redis client on the runtime (the analog of mini-redis's Client and
 * Subscriber).
 *
 * Chapter: chapters/05-channels.md (a client owned by one manager task), and every lab
 * that talks to a server. It works against the labs' servers and a real redis-server.
 *
 * One client is one connection: each call sends one command, flushes it and waits for
 * its reply (no pipelining: one round trip per call, the simplest thing that is
 * correct). Keys and channels are C strings; values and messages are bytes, binary safe.
 *
 * Errors: every call returns 0 or a negative code, and client_last_error says it in
 * words:
 *     CLIENT_ESERVER    the server answered with an error reply; client_last_error is
 *                       its text, e.g. "ERR value is not an integer or out of range".
 *                       The client stays usable.
 *     CLIENT_EREPLY     a reply of the wrong kind for the command (an integer to a GET):
 *                       not Redis, or a bug in a lab's server
 *     CLIENT_ECLOSED    the server closed the connection
 *     RT_ETIMEDOUT, RT_ECANCELED, -ECONNRESET, CONN_EPROTO, ...: from the connection
 * Every error but CLIENT_ESERVER leaves the client *broken*: the connection is in an
 * unknown place of the byte stream (after a timeout, the late reply would be taken for
 * the next command's), so every later call returns the same code and message at once.
 * Close it and connect again.
 *
 * Timeouts: every call honours the calling task's deadline (rt_time.h):
 *     int64_t saved = rt_timeout_begin(500 * RT_NS_PER_MS);
 *     rc = client_get(c, "key", &value);
 *     rt_timeout_end(saved);
 *
 * Threads and tasks: a client belongs to one task at a time (it may be handed to
 * another). Every call that talks to the server MAY YIELD and must run in a task; to
 * share one client between tasks, give it to a manager task that owns it (lab 05).
 */
#ifndef MINIREDIS_CLIENT_H
#define MINIREDIS_CLIENT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "frame.h"

typedef struct client client;

enum {
    CLIENT_ESERVER = -EREMOTEIO, /* the server replied with an error */
    CLIENT_EREPLY = -EBADMSG,    /* the reply's kind does not fit the command */
    CLIENT_ECLOSED = -ENOTCONN,  /* the server closed the connection */
};

/* ------------------------------------------------------------ connecting */

/* Connects to host:port (a numeric address or "localhost": the runtime resolves no
 * names). Returns 0 and *out, or RT_ETIMEDOUT, RT_ECANCELED, or a negative errno code
 * (-ECONNREFUSED: nothing listens there; -EINVAL: host is not an address).
 * MAY YIELD. From a task. */
int client_connect(const char *host, int port, client **out);

/* Closes the connection and frees the client. c may be NULL. Never yields. Any thread,
 * once no task uses the client. */
void client_close(client *c);

/* The last error in words ("" after a success). Valid until the next call on c.
 * Never yields. The owner's task. */
const char *client_last_error(const client *c);

/* ------------------------------------------------------------ commands */

/* PING [message]: *reply (caller releases) is "PONG", or message when given (NULL:
 * none). reply may be NULL. MAY YIELD. From a task. */
int client_ping(client *c, const char *message, bytes **reply);

/* GET key: 0 and *value, the caller's to release, or *value = NULL when the key does
 * not exist (Redis's nil). MAY YIELD. From a task. */
int client_get(client *c, const char *key, bytes **value);

/* SET key value, with PX expire_ms when expire_ms > 0 (the key disappears after that
 * many milliseconds). MAY YIELD. From a task. */
int client_set(client *c, const char *key, const void *value, size_t len, int64_t expire_ms);

/* DEL key...: *ndeleted (may be NULL) is how many of the keys existed. MAY YIELD. */
int client_del(client *c, const char *const keys[], size_t nkeys, int64_t *ndeleted);

/* INCR key: *value (may be NULL) is the new value. A value that is not an integer is
 * CLIENT_ESERVER with Redis's words. MAY YIELD. From a task. */
int client_incr(client *c, const char *key, int64_t *value);

/* PUBLISH channel message: *nreceivers (may be NULL) is how many subscribers got it.
 * MAY YIELD. From a task. */
int client_publish(client *c, const char *channel, const void *message, size_t len,
                   int64_t *nreceivers);

/* Any other command: sends request (an array of bulk strings; it stays the caller's)
 * and returns the reply in *reply, whatever its kind: an error reply is a FRAME_ERROR
 * here, not CLIENT_ESERVER, so that a tool like spawnlab-cli can print it. Returns 0
 * or a connection error (the client is then broken). MAY YIELD. From a task. */
int client_command(client *c, const frame *request, frame **reply);

/* ------------------------------------------------------------ pub/sub */

/* A connection in subscribe mode receives messages and may only (un)subscribe: that is
 * why subscribing turns the client into a subscription, as mini-redis's
 * Client::subscribe(self) consumes the client. */
typedef struct client_subscription client_subscription;

/* A message published on a channel we subscribe to. Both are the caller's: release
 * them with client_message_clear. */
typedef struct client_message {
    bytes *channel;
    bytes *payload;
} client_message;

void client_message_clear(client_message *m);

/* SUBSCRIBE channels[0..n) (n >= 1), waiting for the server's confirmation of each.
 * On success the subscription owns c: do not use or close c, close the subscription.
 * On failure c is still the caller's. MAY YIELD. From a task. */
int client_subscribe(client *c, const char *const channels[], size_t n, client_subscription **out);

/* Waits for the next message: 0 and *out; or CLIENT_ECLOSED, or a connection error.
 * A timeout (RT_ETIMEDOUT) does not break a subscription: nothing is lost, call again
 * (this is how a subscriber polls with a deadline). MAY YIELD. From a task. */
int client_subscription_next(client_subscription *s, client_message *out);

/* SUBSCRIBE / UNSUBSCRIBE more channels (unsubscribe with n == 0: every channel),
 * waiting for the confirmations. Messages that arrive meanwhile are kept for
 * client_subscription_next. MAY YIELD. From a task. */
int client_subscription_subscribe(client_subscription *s, const char *const channels[], size_t n);
int client_subscription_unsubscribe(client_subscription *s, const char *const channels[], size_t n);

/* How many channels the server says we subscribe to (from its last confirmation).
 * Never yields. The owner's task. */
int64_t client_subscription_count(const client_subscription *s);

/* The last error in words, as client_last_error. Never yields. The owner's task. */
const char *client_subscription_last_error(const client_subscription *s);

/* Closes the connection and frees the subscription, its client and any message not
 * yet taken. s may be NULL. Never yields. Any thread, once no task uses it. */
void client_subscription_close(client_subscription *s);

#endif
