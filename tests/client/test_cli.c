/*
 * test_cli.c - spawnlab-cli against a real redis-server: the exact text of each kind of
 * reply (one-shot), a session fed through standard input (interactive), subscribe
 * printing a message, and the message when nothing listens.
 *
 * The cli is found next to the suite: $(B)/tests/client/suite -> $(B)/tools/spawnlab-cli.
 * Sessions that need a pipe or a second process run under /bin/sh -c.
 */
#include "client_tests.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *cli_path(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", sl_path("../../tools/spawnlab-cli"));
    SL_CHECK_FATAL(access(path, X_OK) == 0,
                   "%s is missing: build it (make all, or make .../tools/spawnlab-cli)", path);
    return path;
}

/* Runs argv (NULL-terminated) and checks its exit status and its whole output. */
static void expect_run(const char *const argv[], int status, const char *output)
{
    sl_exit *e = malloc(sizeof *e); /* 64 KiB of output: not on the stack */
    int rc = sl_run_program(argv, 10.0, e);
    SL_CHECK_FATAL(rc == 0, "could not run %s", argv[0]);
    char shown_expected[512], shown_got[512];
    sl_resp_words(output, strlen(output), shown_expected, sizeof shown_expected);
    sl_resp_words(e->output, strlen(e->output), shown_got, sizeof shown_got);
    SL_CHECK(e->exited && e->status == status && strcmp(e->output, output) == 0,
             "ran:      %s %s %s %s %s\n    expected: exit status %d, \"%s\"\n"
             "    got:      %s, \"%s\"",
             argv[0], argv[1] ? argv[1] : "", argv[1] && argv[2] ? argv[2] : "",
             argv[1] && argv[2] && argv[3] ? argv[3] : "",
             argv[1] && argv[2] && argv[3] && argv[4] ? argv[4] : "", status, shown_expected,
             sl_exit_describe(e), shown_got);
    free(e);
}

/* spawnlab-cli -p port word... (NULL-terminated words) must print output, exit status. */
static void expect_cli(int port, int status, const char *output, ...)
{
    const char *argv[16] = {cli_path(), "-p"};
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    argv[2] = port_text;
    va_list words;
    va_start(words, output);
    for (size_t i = 3; i < 15 && (argv[i] = va_arg(words, const char *)) != NULL; i++)
        ;
    va_end(words);
    expect_run(argv, status, output);
}

/* /bin/sh -c script, with $CLI the cli and $PORT the port in its environment. */
static void expect_shell(const char *script, int port, int status, const char *output)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    setenv("CLI", cli_path(), 1);
    setenv("PORT", port_text, 1);
    expect_run((const char *const[]){"/bin/sh", "-c", script, NULL}, status, output);
}

static void test_cli_one_shot_prints_like_redis_cli(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    int p = r.port;
    expect_cli(p, 0, "OK\n", "set", "greeting", "hello world", NULL);
    expect_cli(p, 0, "\"hello world\"\n", "get", "greeting", NULL);
    expect_cli(p, 0, "(nil)\n", "get", "missing", NULL);
    expect_cli(p, 0, "(integer) 1\n", "incr", "counter", NULL);
    expect_cli(p, 1, "(error) ERR value is not an integer or out of range\n", "incr", "greeting",
               NULL);
    expect_cli(p, 0, "(integer) 2\n", "del", "greeting", "counter", "missing", NULL);
    expect_cli(p, 0, "PONG\n", "ping", NULL);
    expect_cli(p, 0, "\"hi\"\n", "PING", "hi", NULL);
    expect_cli(p, 0, "(integer) 0\n", "publish", "news", "nobody listens", NULL);
    expect_cli(p, 0, "OK\n", "set", "brief", "x", "px", "60000", NULL);
    expect_cli(p, 0, "\"a\\\"b\\n\\x01\"\n", "echo", "a\"b\n\x01", NULL); /* sent as typed */
    expect_cli(p, 1, "(error) ERR wrong number of arguments for 'get' command\n", "get", NULL);
    sl_redis_stop(&r);
}

static void test_cli_interactive_mode_reads_stdin(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    char expected[1024];
    snprintf(expected, sizeof expected,
             "127.0.0.1:%1$d> OK\n"
             "127.0.0.1:%1$d> \"hello world\"\n"
             "127.0.0.1:%1$d> (error) ERR value is not an integer or out of range\n"
             "127.0.0.1:%1$d> (integer) 2\n"
             "127.0.0.1:%1$d> 1) \"a\"\n2) \"b c\"\n"
             "127.0.0.1:%1$d> Invalid argument(s)\n"
             "127.0.0.1:%1$d> 127.0.0.1:%1$d> ",
             r.port);
    /* Quotes as Redis reads them, a blank line, and nothing after quit runs. */
    expect_shell("printf '%s\\n' 'set greeting \"hello world\"' 'get greeting' "
                 "'incr greeting' 'rpush list a \"b c\"' 'lrange list 0 -1' '\"unbalanced' '' "
                 "quit 'get greeting' | \"$CLI\" -p $PORT",
                 r.port, 0, expected);
    /* The end of input leaves too, even after a last line without its newline. */
    snprintf(expected, sizeof expected, "127.0.0.1:%1$d> PONG\n127.0.0.1:%1$d> ", r.port);
    expect_shell("printf 'ping' | \"$CLI\" -p $PORT", r.port, 0, expected);
    sl_redis_stop(&r);
}

static void test_cli_subscribe_prints_messages(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    /* The subscriber runs in the background; we publish until it is there to receive,
     * then ask Redis to close its connection, which ends it (status 1: the connection
     * ended). Only the subscriber's output reaches the test. */
    char expected[1024];
    snprintf(expected, sizeof expected,
             "Reading messages... (press Ctrl-C to quit)\n"
             "1) \"subscribe\"\n2) \"news\"\n3) (integer) 1\n"
             "1) \"subscribe\"\n2) \"sport\"\n3) (integer) 2\n"
             "1) \"message\"\n2) \"sport\"\n3) \"goal!\"\n"
             "spawnlab-cli: 127.0.0.1:%d: waiting for a message: the server closed the "
             "connection\n",
             r.port);
    expect_shell("\"$CLI\" -p $PORT subscribe news sport & "
                 "until [ \"$(\"$CLI\" -p $PORT publish sport goal!)\" = '(integer) 1' ]; "
                 "do sleep 0.01; done; "
                 "\"$CLI\" -p $PORT client kill type pubsub > /dev/null; wait $!",
                 r.port, 1, expected);
    sl_redis_stop(&r);
}

static void test_cli_connection_refused_names_the_address(void)
{
    int port = sl_free_port();
    SL_CHECK_FATAL(port > 0, "could not find a free port on 127.0.0.1");
    char expected[256];
    snprintf(expected, sizeof expected,
             "spawnlab-cli: 127.0.0.1:%d: could not connect: Connection refused\n", port);
    expect_cli(port, 1, expected, "get", "key", NULL);
}

const sl_test cli_tests[] = {
    SL_TEST(test_cli_one_shot_prints_like_redis_cli, 1, NULL),
    SL_TEST(test_cli_interactive_mode_reads_stdin, 1, NULL),
    SL_TEST(test_cli_subscribe_prints_messages, 1, NULL),
    SL_TEST(test_cli_connection_refused_names_the_address, 1, NULL),
    SL_TEST_END,
};
