/*
 * test_cmd.c - request frames to commands: every command, case insensitivity,
 * options, shared (not copied) arguments, and every error text. The same texts are
 * checked against a real redis-server in test_redis.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_tests.h"

/* Parses a request that must succeed; the request is freed (the cmd must not need it). */
static bool parse_ok(frame *request, cmd *out)
{
    frame *error = NULL;
    int rc = cmd_parse(request, out, &error);
    frame_free(request);
    if (rc != 0) {
        SL_FAIL("expected the command to parse, got %d: %s", rc,
                error ? (const char *)bytes_data(frame_get_bytes(error)) : "(no reply)");
        frame_free(error);
        return false;
    }
    SL_CHECK(error == NULL, "expected no error reply on success");
    return true;
}

/* Parses a request that must fail with exactly this reply text. */
static void expect_error(frame *request, const char *expected)
{
    cmd c;
    frame *error = NULL;
    int rc = cmd_parse(request, &c, &error);
    frame_free(request);
    SL_CHECK(rc == -EINVAL && c.kind == CMD_EMPTY, "expected -EINVAL and CMD_EMPTY, got %d", rc);
    if (error == NULL || frame_get_kind(error) != FRAME_ERROR) {
        SL_FAIL("expected the error reply -%s, got none", expected);
        frame_free(error);
        return;
    }
    SL_CHECK(bytes_equals_str(frame_get_bytes(error), expected), "expected -%s\n    got      -%s",
             expected, (const char *)bytes_data(frame_get_bytes(error)));
    frame_free(error);
}

static void test_cmd_parses_every_command(void)
{
    cmd c;
    if (parse_ok(words_request("PING", NULL), &c))
        SL_CHECK(c.kind == CMD_PING && c.ping.message == NULL, "expected a plain PING");
    cmd_clear(&c);
    if (parse_ok(words_request("PING", "hi", NULL), &c))
        SL_CHECK(c.kind == CMD_PING && bytes_equals_str(c.ping.message, "hi"), "expected PING hi");
    cmd_clear(&c);
    if (parse_ok(words_request("ECHO", "x y", NULL), &c))
        SL_CHECK(c.kind == CMD_ECHO && bytes_equals_str(c.echo.message, "x y"),
                 "expected ECHO 'x y'");
    cmd_clear(&c);
    if (parse_ok(words_request("GET", "k", NULL), &c))
        SL_CHECK(c.kind == CMD_GET && bytes_equals_str(c.get.key, "k"), "expected GET k");
    cmd_clear(&c);
    if (parse_ok(words_request("SET", "k", "v", NULL), &c))
        SL_CHECK(c.kind == CMD_SET && bytes_equals_str(c.set.key, "k") &&
                     bytes_equals_str(c.set.value, "v") && c.set.expire_ms == 0 &&
                     c.set.condition == CMD_SET_ALWAYS,
                 "expected SET k v with no options");
    cmd_clear(&c);
    if (parse_ok(words_request("DEL", "a", "b", "c", NULL), &c))
        SL_CHECK(c.kind == CMD_DEL && c.del.nkeys == 3 && bytes_equals_str(c.del.keys[2], "c"),
                 "expected DEL of 3 keys");
    cmd_clear(&c);
    if (parse_ok(words_request("INCR", "n", NULL), &c))
        SL_CHECK(c.kind == CMD_INCR && bytes_equals_str(c.incr.key, "n"), "expected INCR n");
    cmd_clear(&c);
    if (parse_ok(words_request("PUBLISH", "news", "hello", NULL), &c))
        SL_CHECK(c.kind == CMD_PUBLISH && bytes_equals_str(c.publish.channel, "news") &&
                     bytes_equals_str(c.publish.message, "hello"),
                 "expected PUBLISH news hello");
    cmd_clear(&c);
    if (parse_ok(words_request("SUBSCRIBE", "a", "b", NULL), &c))
        SL_CHECK(c.kind == CMD_SUBSCRIBE && c.subscribe.nchannels == 2 &&
                     bytes_equals_str(c.subscribe.channels[1], "b"),
                 "expected SUBSCRIBE a b");
    cmd_clear(&c);
    if (parse_ok(words_request("UNSUBSCRIBE", NULL), &c))
        SL_CHECK(c.kind == CMD_UNSUBSCRIBE && c.unsubscribe.nchannels == 0,
                 "expected UNSUBSCRIBE from all");
    cmd_clear(&c);
    if (parse_ok(words_request("CONFIG", "GET", "save", "appendonly", NULL), &c))
        SL_CHECK(c.kind == CMD_CONFIG_GET && c.config_get.nparameters == 2,
                 "expected CONFIG GET of 2");
    cmd_clear(&c);
    if (parse_ok(words_request("COMMAND", "DOCS", NULL), &c))
        SL_CHECK(c.kind == CMD_COMMAND, "expected COMMAND");
    cmd_clear(&c);
    SL_CHECK(c.kind == CMD_EMPTY, "expected cmd_clear to leave CMD_EMPTY");
}

static void test_cmd_names_and_options_ignore_case(void)
{
    cmd c;
    if (parse_ok(words_request("gEt", "K", NULL), &c))
        SL_CHECK(c.kind == CMD_GET && bytes_equals_str(c.get.key, "K"),
                 "expected gEt to be GET, key kept as sent");
    cmd_clear(&c);
    if (parse_ok(words_request("set", "k", "v", "ex", "10", "nX", NULL), &c))
        SL_CHECK(c.set.expire_ms == 10000 && c.set.condition == CMD_SET_IF_ABSENT,
                 "expected ex 10 -> 10000 ms and nX -> if absent, got %lld ms, condition %d",
                 (long long)c.set.expire_ms, c.set.condition);
    cmd_clear(&c);
    if (parse_ok(words_request("SET", "k", "v", "XX", "Px", "1500", NULL), &c))
        SL_CHECK(c.set.expire_ms == 1500 && c.set.condition == CMD_SET_IF_PRESENT,
                 "expected XX Px 1500, got %lld ms, condition %d", (long long)c.set.expire_ms,
                 c.set.condition);
    cmd_clear(&c);
    if (parse_ok(words_request("SET", "k", "v", "EX", "1", "EX", "2", "NX", "NX", NULL), &c))
        SL_CHECK(c.set.expire_ms == 2000, "expected the last EX to win, as in Redis");
    cmd_clear(&c);
    if (parse_ok(words_request("config", "get", "*", NULL), &c))
        SL_CHECK(c.kind == CMD_CONFIG_GET, "expected config get");
    cmd_clear(&c);
}

/* The cmd holds the request's own bytes (one more count each), not copies. */
static void test_cmd_shares_the_request_bytes(void)
{
    frame *request = words_request("SET", "key", "value", NULL);
    bytes *value = frame_get_bytes(frame_array_get(request, 2));
    cmd c;
    frame *error = NULL;
    SL_CHECK_FATAL(cmd_parse(request, &c, &error) == 0, "expected SET to parse");
    SL_CHECK(c.set.value == value && bytes_refcount(value) == 2,
             "expected the cmd to share the value (count 2), got count %zu", bytes_refcount(value));
    frame_free(request);
    SL_CHECK(bytes_equals_str(c.set.value, "value"), "expected the value to outlive the request");
    cmd_clear(&c);
}

static void test_cmd_empty_requests(void)
{
    cmd c;
    frame *error = NULL;
    frame *empty = frame_new_array();
    SL_CHECK(cmd_parse(empty, &c, &error) == 0 && c.kind == CMD_EMPTY && error == NULL,
             "expected an empty array to be CMD_EMPTY");
    frame_free(empty);
    frame *null_array = frame_new_null_array();
    SL_CHECK(cmd_parse(null_array, &c, &error) == 0 && c.kind == CMD_EMPTY && error == NULL,
             "expected a null array to be CMD_EMPTY");
    frame_free(null_array);

    frame *odd = frame_new_array();
    frame_array_push(odd, frame_new_integer(1));
    expect_error(odd, "ERR Protocol error: expected an array of bulk strings");
    expect_error(frame_new_simple("PING"), "ERR Protocol error: expected an array of bulk strings");
}

static void test_cmd_wrong_arity_texts(void)
{
    expect_error(words_request("GET", NULL), "ERR wrong number of arguments for 'get' command");
    expect_error(words_request("get", "a", "b", NULL),
                 "ERR wrong number of arguments for 'get' command");
    expect_error(words_request("SET", "a", NULL),
                 "ERR wrong number of arguments for 'set' command");
    expect_error(words_request("PING", "a", "b", NULL),
                 "ERR wrong number of arguments for 'ping' command");
    expect_error(words_request("ECHO", NULL), "ERR wrong number of arguments for 'echo' command");
    expect_error(words_request("DEL", NULL), "ERR wrong number of arguments for 'del' command");
    expect_error(words_request("INCR", NULL), "ERR wrong number of arguments for 'incr' command");
    expect_error(words_request("PUBLISH", "ch", NULL),
                 "ERR wrong number of arguments for 'publish' command");
    expect_error(words_request("SUBSCRIBE", NULL),
                 "ERR wrong number of arguments for 'subscribe' command");
    expect_error(words_request("CONFIG", NULL),
                 "ERR wrong number of arguments for 'config' command");
    expect_error(words_request("CONFIG", "GET", NULL),
                 "ERR wrong number of arguments for 'config|get' command");
    expect_error(words_request("CONFIG", "SET", "a", "b", NULL),
                 "ERR unknown subcommand 'SET'. Try CONFIG HELP.");
}

static void test_cmd_unknown_command_texts(void)
{
    expect_error(words_request("FOO", NULL),
                 "ERR unknown command 'FOO', with args beginning with: ");
    expect_error(words_request("fOo", "a", "b c", NULL),
                 "ERR unknown command 'fOo', with args beginning with: 'a' 'b c' ");
    /* Newlines in echoed text become spaces: the reply stays one line. */
    expect_error(words_request("x\r\ny", "1\n", NULL),
                 "ERR unknown command 'x  y', with args beginning with: '1 ' ");

    /* Long arguments are cut so the list stays near 128 characters. */
    char long_arg[201];
    memset(long_arg, 'a', 200);
    long_arg[200] = '\0';
    char expected[400];
    snprintf(expected, sizeof expected,
             "ERR unknown command 'FOO', with args beginning with: '%.128s' ", long_arg);
    expect_error(words_request("FOO", long_arg, "more", NULL), expected);
    snprintf(expected, sizeof expected,
             "ERR unknown command 'FOO', with args beginning with: 'b' '%.124s' ", long_arg);
    expect_error(words_request("FOO", "b", long_arg, "c", NULL), expected);
}

static void test_cmd_set_option_errors(void)
{
    expect_error(words_request("SET", "k", "v", "NX", "XX", NULL), "ERR syntax error");
    expect_error(words_request("SET", "k", "v", "EX", "10", "PX", "10", NULL), "ERR syntax error");
    expect_error(words_request("SET", "k", "v", "EX", NULL), "ERR syntax error");
    expect_error(words_request("SET", "k", "v", "FOO", NULL), "ERR syntax error");
    expect_error(words_request("SET", "k", "v", "KEEPTTL", NULL),
                 "ERR syntax error"); /* not supported */
    expect_error(words_request("SET", "k", "v", "EX", "abc", NULL),
                 "ERR value is not an integer or out of range");
    expect_error(words_request("SET", "k", "v", "EX", "abc", "NX", "XX", NULL), "ERR syntax error");
    expect_error(words_request("SET", "k", "v", "EX", "1.5", NULL),
                 "ERR value is not an integer or out of range");
    expect_error(words_request("SET", "k", "v", "EX", "0", NULL),
                 "ERR invalid expire time in 'set' command");
    expect_error(words_request("SET", "k", "v", "PX", "-5", NULL),
                 "ERR invalid expire time in 'set' command");
    expect_error(words_request("SET", "k", "v", "EX", "9223372036854775807", NULL),
                 "ERR invalid expire time in 'set' command");
    expect_error(words_request("SET", "k", "v", "PX", "9223372036854775807", NULL),
                 "ERR invalid expire time in 'set' command");
    expect_error(words_request("SET", "k", "v", "PX", "9223372036854775808", NULL),
                 "ERR value is not an integer or out of range");
}

static void test_cmd_integer_rules_and_execution_errors(void)
{
    static const struct {
        const char *text;
        bool is_valid;
        int64_t value;
    } cases[] = {
        {"0", true, 0},
        {"-1", true, -1},
        {"42", true, 42},
        {"9223372036854775807", true, INT64_MAX},
        {"-9223372036854775808", true, INT64_MIN},
        {"9223372036854775808", false, 0},
        {"", false, 0},
        {"-", false, 0},
        {"+1", false, 0},
        {" 1", false, 0},
        {"1 ", false, 0},
        {"01", false, 0},
        {"-0", false, 0},
        {"1e3", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes *text = bytes_from_str(cases[i].text);
        int64_t value = 12345;
        int rc = cmd_parse_integer(text, &value);
        if (cases[i].is_valid)
            SL_CHECK(rc == 0 && value == cases[i].value,
                     "expected '%s' to be %lld, got rc %d value %lld", cases[i].text,
                     (long long)cases[i].value, rc, (long long)value);
        else
            SL_CHECK(rc == -EINVAL && value == 12345, "expected '%s' to be rejected untouched",
                     cases[i].text);
        bytes_release(text);
    }

    frame *e = cmd_error_not_integer();
    SL_CHECK(bytes_equals_str(frame_get_bytes(e), "ERR value is not an integer or out of range"),
             "not-integer text");
    frame_free(e);
    e = cmd_error_overflow();
    SL_CHECK(bytes_equals_str(frame_get_bytes(e), "ERR increment or decrement would overflow"),
             "overflow text");
    frame_free(e);
    e = cmd_error_subscribe_context(CMD_GET);
    SL_CHECK(bytes_equals_str(
                 frame_get_bytes(e),
                 "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                 "RESET are allowed in this context"),
             "subscribe-context text: %s", (const char *)bytes_data(frame_get_bytes(e)));
    frame_free(e);
    SL_CHECK(strcmp(cmd_name(CMD_CONFIG_GET), "config|get") == 0 &&
                 strcmp(cmd_name(CMD_SET), "set") == 0,
             "expected Redis's command names");
}

const sl_test cmd_tests[] = {
    SL_TEST(test_cmd_parses_every_command, 1, NULL),
    SL_TEST(test_cmd_names_and_options_ignore_case, 1, NULL),
    SL_TEST(test_cmd_shares_the_request_bytes, 1, NULL),
    SL_TEST(test_cmd_empty_requests, 1, NULL),
    SL_TEST(test_cmd_wrong_arity_texts, 1, NULL),
    SL_TEST(test_cmd_unknown_command_texts, 1, NULL),
    SL_TEST(test_cmd_set_option_errors, 1, NULL),
    SL_TEST(test_cmd_integer_rules_and_execution_errors, 1, NULL),
    SL_TEST_END,
};
