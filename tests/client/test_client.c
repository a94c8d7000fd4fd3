/*
 * test_client.c - the client against a real redis-server (every command, a server
 * error, publish and subscribe between two clients), and against scripted peers for
 * what Redis never does (close mid-conversation, answer with the wrong kind).
 */
#include "client_tests.h"

#include "client.h"

#include <stdlib.h>
#include <string.h>

#define MS RT_NS_PER_MS

static bool is_text(const bytes *b, const char *text)
{
    return b != NULL && bytes_equals_str(b, text);
}

static const char *shown(const bytes *b)
{
    return b == NULL ? "(nil)" : (const char *)bytes_data(b); /* roots end with a NUL */
}

static client *connect_or_fail(int port)
{
    client *c;
    int rc = client_connect("127.0.0.1", port, &c);
    SL_CHECK_FATAL(rc == 0, "client_connect(127.0.0.1:%d): %s", port, rt_strerror(rc));
    return c;
}

/* ------------------------------------------------------------ every command */

static void ping_get_set(client *c)
{
    bytes *reply = NULL;
    int rc = client_ping(c, NULL, &reply);
    SL_CHECK(rc == 0 && is_text(reply, "PONG"), "PING: %d %s", rc, client_last_error(c));
    bytes_release(reply);
    rc = client_ping(c, "hi there", &reply);
    SL_CHECK(rc == 0 && is_text(reply, "hi there"), "PING msg: %d %s", rc, client_last_error(c));
    bytes_release(reply);

    rc = client_set(c, "greeting", "hello", 5, 0);
    SL_CHECK(rc == 0, "SET: %s", client_last_error(c));
    bytes *value = NULL;
    rc = client_get(c, "greeting", &value);
    SL_CHECK(rc == 0 && is_text(value, "hello"), "GET greeting: %d %s", rc, shown(value));
    bytes_release(value);
    rc = client_get(c, "missing", &value);
    SL_CHECK(rc == 0 && value == NULL, "GET missing: %d, expected nil, got %s", rc, shown(value));

    const char binary[] = "a\0b\r\n$-1\r\n";
    rc = client_set(c, "binary", binary, sizeof binary - 1, 0);
    SL_CHECK(rc == 0 && client_get(c, "binary", &value) == 0 && value != NULL &&
                 bytes_equals_mem(value, binary, sizeof binary - 1),
             "a binary value did not come back intact");
    bytes_release(value);
}

static void expiry_del_incr_publish(client *c)
{
    /* PX: a real wait, since the clock that expires the key is Redis's, not ours. */
    int rc = client_set(c, "brief", "x", 1, 30);
    bytes *value = NULL;
    SL_CHECK(rc == 0 && client_get(c, "brief", &value) == 0 && value != NULL,
             "SET PX 30: the key should exist at first: %s", client_last_error(c));
    bytes_release(value);
    rt_sleep_ms(100);
    SL_CHECK(client_get(c, "brief", &value) == 0 && value == NULL,
             "SET PX 30: the key should be gone after 100 ms, got %s", shown(value));
    bytes_release(value);

    int64_t n = -1;
    const char *keys[] = {"greeting", "binary", "missing"};
    rc = client_del(c, keys, 3, &n);
    SL_CHECK(rc == 0 && n == 2, "DEL of 2 existing keys of 3: %d, %lld", rc, (long long)n);
    client_del(c, (const char *[]){"counter"}, 1, NULL); /* the previous run's */
    SL_CHECK(client_incr(c, "counter", &n) == 0 && n == 1, "INCR counter: %lld", (long long)n);
    SL_CHECK(client_incr(c, "counter", &n) == 0 && n == 2, "INCR counter: %lld", (long long)n);
    rc = client_publish(c, "nobody-listens", "m", 1, &n);
    SL_CHECK(rc == 0 && n == 0, "PUBLISH to no subscriber: %d, %lld receivers", rc, (long long)n);
}

static void *every_command(void *arg)
{
    client *c = connect_or_fail(*(int *)arg);
    ping_get_set(c);
    expiry_del_incr_publish(c);
    client_close(c);
    return NULL;
}

static void test_client_every_command_against_redis(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    run_with(1, every_command, &r.port);
    run_with(2, every_command, &r.port);
    sl_redis_stop(&r);
}

/* ------------------------------------------------------------ errors */

static void *server_errors(void *arg)
{
    client *c = connect_or_fail(*(int *)arg);
    SL_CHECK(client_set(c, "word", "abc", 3, 0) == 0, "SET word abc failed");
    int64_t n = 0;
    int rc = client_incr(c, "word", &n);
    SL_CHECK(rc == CLIENT_ESERVER &&
                 strcmp(client_last_error(c), "ERR value is not an integer or out of range") == 0,
             "INCR on \"abc\": %d \"%s\"", rc, client_last_error(c));
    /* A server error leaves the client usable. */
    rc = client_ping(c, NULL, NULL);
    SL_CHECK(rc == 0 && client_last_error(c)[0] == '\0', "PING after a server error: %d %s", rc,
             client_last_error(c));

    /* client_command hands back any reply, errors included, as a frame. */
    frame *request = frame_new_array();
    frame_array_push(request, frame_new_bulk_str("NOSUCHCOMMAND"));
    frame *reply = NULL;
    rc = client_command(c, request, &reply);
    SL_CHECK(rc == 0 && reply != NULL && frame_get_kind(reply) == FRAME_ERROR &&
                 strncmp((const char *)bytes_data(frame_get_bytes(reply)), "ERR unknown command",
                         19) == 0,
             "an unknown command should come back as an error frame");
    frame_free(reply);
    frame_free(request);
    client_close(c);
    return NULL;
}

static void test_client_server_error_carries_redis_text(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    run_with(1, server_errors, &r.port);
    sl_redis_stop(&r);
}

static void *refused(void *unused)
{
    (void)unused;
    /* A port that was free a moment ago: nothing listens there. */
    rt_tcp_listener *listener;
    SL_CHECK_FATAL(rt_tcp_listen("127.0.0.1", 0, 1, &listener) == 0, "listen failed");
    int port = rt_tcp_listener_port(listener);
    rt_tcp_listener_close(listener);
    client *c = NULL;
    int rc = client_connect("127.0.0.1", port, &c);
    SL_CHECK(rc == -ECONNREFUSED && c == NULL, "connect to a closed port: %s", rt_strerror(rc));
    rc = client_connect("not-an-address", port, &c);
    SL_CHECK(rc == -EINVAL && c == NULL, "connect to a name: %s", rt_strerror(rc));
    return NULL;
}

static void test_client_connection_refused(void)
{
    run_with(1, refused, NULL);
}

/* A scripted server: accepts one client, reads one command, answers with reply (or
 * closes without answering when reply is NULL). */
struct script {
    rt_tcp_listener *listener;
    const char *reply;
};

static void *scripted_server(void *arg)
{
    struct script *s = arg;
    rt_tcp_stream *stream;
    if (rt_tcp_accept(s->listener, &stream) != 0)
        return NULL;
    char request[256];
    if (rt_tcp_read(stream, request, sizeof request) > 0 && s->reply != NULL)
        rt_tcp_write_all(stream, s->reply, strlen(s->reply), NULL);
    rt_tcp_close(stream);
    return NULL;
}

/* Runs one GET against a server that answers reply; checks code and words. */
static void get_against_script(const char *reply, int expected, const char *words)
{
    struct script *s = malloc(sizeof *s);
    s->reply = reply;
    SL_CHECK_FATAL(rt_tcp_listen("127.0.0.1", 0, 1, &s->listener) == 0, "listen failed");
    rt_join_handle *h = rt_spawn_named("script", scripted_server, s);
    client *c = connect_or_fail(rt_tcp_listener_port(s->listener));
    bytes *value = NULL;
    int rc = client_get(c, "k", &value);
    SL_CHECK(rc == expected && value == NULL && strstr(client_last_error(c), words) != NULL,
             "GET answered by \"%s\": %s \"%s\", expected %s \"%s\"", reply ? reply : "(close)",
             rt_strerror(rc), client_last_error(c), rt_strerror(expected), words);
    /* Broken: the next call fails at once, with the same words, without the network. */
    int again = client_ping(c, NULL, NULL);
    SL_CHECK(again == expected && strstr(client_last_error(c), words) != NULL,
             "the call after a broken one: %s \"%s\"", rt_strerror(again), client_last_error(c));
    client_close(c);
    rt_join(h, NULL, NULL);
    rt_tcp_listener_close(s->listener);
    free(s);
}

static void *scripted_failures(void *unused)
{
    (void)unused;
    get_against_script(NULL, CLIENT_ECLOSED, "the server closed the connection");
    get_against_script(":1\r\n", CLIENT_EREPLY, "unexpected reply to GET: integer");
    get_against_script("$5\r\nhel", CONN_ETRUNCATED, "in the middle of a frame");
    get_against_script("?what\r\n", CONN_EPROTO, "reading the reply");
    return NULL;
}

static void test_client_broken_connections(void)
{
    run_with(1, scripted_failures, NULL);
}

/* ------------------------------------------------------------ pub/sub */

static void expect_message(client_subscription *s, const char *channel, const char *payload)
{
    client_message m = {0};
    int rc = client_subscription_next(s, &m);
    SL_CHECK(rc == 0 && is_text(m.channel, channel) && is_text(m.payload, payload),
             "expected %s on %s, got %s (%s on %s)", payload, channel, rt_strerror(rc),
             shown(m.payload), shown(m.channel));
    client_message_clear(&m);
}

static void publish(client *publisher, const char *channel, const char *message, int64_t expected)
{
    int64_t n = -1;
    int rc = client_publish(publisher, channel, message, strlen(message), &n);
    SL_CHECK(rc == 0 && n == expected, "PUBLISH %s %s: %s, %lld receivers (expected %lld)", channel,
             message, client_last_error(publisher), (long long)n, (long long)expected);
}

static void *pubsub(void *arg)
{
    int port = *(int *)arg;
    client *publisher = connect_or_fail(port);
    client_subscription *s;
    const char *channels[] = {"news", "sport"};
    int rc = client_subscribe(connect_or_fail(port), channels, 2, &s);
    SL_CHECK_FATAL(rc == 0, "SUBSCRIBE news sport: %s", rt_strerror(rc));
    SL_CHECK(client_subscription_count(s) == 2, "subscribed to %lld channels, expected 2",
             (long long)client_subscription_count(s));

    publish(publisher, "news", "hello", 1);
    publish(publisher, "sport", "goal", 1);
    expect_message(s, "news", "hello");
    expect_message(s, "sport", "goal");

    /* A deadline while waiting does not break the subscription. */
    client_message m = {0};
    int64_t saved = rt_timeout_begin(20 * MS);
    rc = client_subscription_next(s, &m);
    rt_timeout_end(saved);
    SL_CHECK(rc == RT_ETIMEDOUT, "next with nothing published: %s", rt_strerror(rc));

    /* A message published before the unsubscribe is confirmed is kept, not lost. */
    publish(publisher, "news", "still here", 1);
    rc = client_subscription_unsubscribe(s, (const char *[]){"sport"}, 1);
    SL_CHECK(rc == 0 && client_subscription_count(s) == 1, "UNSUBSCRIBE sport: %s, count %lld",
             client_subscription_last_error(s), (long long)client_subscription_count(s));
    publish(publisher, "sport", "unheard", 0);
    expect_message(s, "news", "still here");

    rc = client_subscription_subscribe(s, (const char *[]){"weather"}, 1);
    SL_CHECK(rc == 0 && client_subscription_count(s) == 2, "SUBSCRIBE weather: %s",
             client_subscription_last_error(s));
    publish(publisher, "weather", "rain", 1);
    expect_message(s, "weather", "rain");
    rc = client_subscription_unsubscribe(s, NULL, 0);
    SL_CHECK(rc == 0 && client_subscription_count(s) == 0, "UNSUBSCRIBE (all): %s, count %lld",
             client_subscription_last_error(s), (long long)client_subscription_count(s));
    publish(publisher, "news", "nobody", 0);
    client_subscription_close(s);
    client_close(publisher);
    return NULL;
}

static void test_client_subscribe_receives_published_messages(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    run_with(1, pubsub, &r.port);
    run_with(2, pubsub, &r.port);
    sl_redis_stop(&r);
}

/* A subscriber task waits while the main task publishes: the message crosses tasks
 * (and, on multi_thread, workers) through the server. */
static void *subscriber_task(void *arg)
{
    client_subscription *s = arg;
    client_message *m = calloc(1, sizeof *m);
    if (client_subscription_next(s, m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

static void *pubsub_tasks(void *arg)
{
    int port = *(int *)arg;
    client *publisher = connect_or_fail(port);
    client_subscription *s;
    int rc = client_subscribe(connect_or_fail(port), (const char *[]){"ch"}, 1, &s);
    SL_CHECK_FATAL(rc == 0, "SUBSCRIBE ch: %s", rt_strerror(rc));
    rt_join_handle *h = rt_spawn_named("subscriber", subscriber_task, s);
    publish(publisher, "ch", "across tasks", 1);
    void *result = NULL;
    rt_join(h, &result, NULL);
    client_message *m = result;
    SL_CHECK(m != NULL && is_text(m->payload, "across tasks"), "the subscriber task got %s",
             m ? shown(m->payload) : "nothing");
    if (m != NULL)
        client_message_clear(m);
    free(m);
    client_subscription_close(s);
    client_close(publisher);
    return NULL;
}

static void test_client_subscriber_task_receives_from_publisher_task(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    run_with(1, pubsub_tasks, &r.port);
    run_with(4, pubsub_tasks, &r.port);
    sl_redis_stop(&r);
}

const sl_test client_tests[] = {
    SL_TEST(test_client_every_command_against_redis, 1, NULL),
    SL_TEST(test_client_server_error_carries_redis_text, 1, NULL),
    SL_TEST(test_client_connection_refused, 1, NULL),
    SL_TEST(test_client_broken_connections, 1, NULL),
    SL_TEST(test_client_subscribe_receives_published_messages, 1, NULL),
    SL_TEST(test_client_subscriber_task_receives_from_publisher_task, 1, NULL),
    SL_TEST_END,
};
