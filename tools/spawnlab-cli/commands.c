/*
 * commands.c - the words of a request turned into a typed client call (client.h).
 *
 * The commands the library's client knows (get, set, del, incr, ping, publish,
 * subscribe) go through its typed functions: this file is also a tour of that API.
 * Any other request - another command, or a known one in a form the typed call does
 * not take (SET with NX, GET without a key) - is sent as typed with client_command, and
 * the server's reply, error or not, is printed as it is: exactly what redis-cli does.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Returned by a typed runner that does not take this form: send it as typed. */
enum { NOT_TYPED = 2 };

typedef int (*run_fn)(cli_session *cli, const char *const args[], size_t nargs);

void cli_print_failure(const cli_session *cli, const char *what)
{
    fflush(stdout); /* what was printed before comes first */
    fprintf(stderr, "spawnlab-cli: %s:%d: %s\n", cli->host, cli->port, what);
}

/* A typed call's result: prints a server error, reports a broken connection. */
static int outcome(cli_session *cli, int rc)
{
    if (rc == 0)
        return CLI_OK;
    if (rc == CLIENT_ESERVER) {
        printf("(error) %s\n", client_last_error(cli->client));
        fflush(stdout);
        return CLI_SERVER_ERROR;
    }
    cli_print_failure(cli, client_last_error(cli->client)[0] != '\0'
                               ? client_last_error(cli->client)
                               : rt_strerror(rc));
    return CLI_FATAL;
}

static void print_integer(int64_t value)
{
    printf("(integer) %lld\n", (long long)value);
    fflush(stdout);
}

/* ------------------------------------------------------------ the typed commands */

static int run_get(cli_session *cli, const char *const args[], size_t nargs)
{
    (void)nargs;
    bytes *value;
    int rc = client_get(cli->client, args[0], &value);
    if (rc == 0) {
        if (value == NULL)
            fputs("(nil)", stdout);
        else
            print_quoted(bytes_data(value), bytes_len(value));
        putchar('\n');
        fflush(stdout);
    }
    bytes_release(value);
    return outcome(cli, rc);
}

/* set key value [px milliseconds | ex seconds] */
static int run_set(cli_session *cli, const char *const args[], size_t nargs)
{
    int64_t expire_ms = 0;
    if (nargs == 4) {
        char *end;
        long long amount = strtoll(args[3], &end, 10);
        bool is_px = strcasecmp(args[2], "px") == 0, is_ex = strcasecmp(args[2], "ex") == 0;
        if ((!is_px && !is_ex) || *end != '\0' || amount <= 0 || amount > INT64_MAX / 1000)
            return NOT_TYPED; /* let the server judge it, with its own words */
        expire_ms = is_ex ? amount * 1000 : amount;
    } else if (nargs != 2) {
        return NOT_TYPED;
    }
    int rc = client_set(cli->client, args[0], args[1], strlen(args[1]), expire_ms);
    if (rc == 0) {
        puts("OK");
        fflush(stdout);
    }
    return outcome(cli, rc);
}

static int run_del(cli_session *cli, const char *const args[], size_t nargs)
{
    int64_t ndeleted;
    int rc = client_del(cli->client, args, nargs, &ndeleted);
    if (rc == 0)
        print_integer(ndeleted);
    return outcome(cli, rc);
}

static int run_incr(cli_session *cli, const char *const args[], size_t nargs)
{
    (void)nargs;
    int64_t value;
    int rc = client_incr(cli->client, args[0], &value);
    if (rc == 0)
        print_integer(value);
    return outcome(cli, rc);
}

static int run_ping(cli_session *cli, const char *const args[], size_t nargs)
{
    bytes *reply;
    int rc = client_ping(cli->client, nargs == 1 ? args[0] : NULL, &reply);
    if (rc == 0) {
        if (nargs == 1) /* PING message answers a bulk string, PING a simple one */
            print_quoted(bytes_data(reply), bytes_len(reply));
        else
            fwrite(bytes_data(reply), 1, bytes_len(reply), stdout);
        putchar('\n');
        fflush(stdout);
        bytes_release(reply);
    }
    return outcome(cli, rc);
}

static int run_publish(cli_session *cli, const char *const args[], size_t nargs)
{
    (void)nargs;
    int64_t nreceivers;
    int rc = client_publish(cli->client, args[0], args[1], strlen(args[1]), &nreceivers);
    if (rc == 0)
        print_integer(nreceivers);
    return outcome(cli, rc);
}

/* Subscribes and prints messages until the connection ends (or Ctrl-C): the client
 * becomes the subscription's, so the session ends here either way. */
static int run_subscribe(cli_session *cli, const char *const args[], size_t nargs)
{
    client_subscription *s;
    int rc = client_subscribe(cli->client, args, nargs, &s);
    if (rc != 0)
        return outcome(cli, rc);
    cli->client = NULL;
    puts("Reading messages... (press Ctrl-C to quit)");
    for (size_t i = 0; i < nargs; i++) { /* Redis's confirmations: the count so far */
        bytes *channel = bytes_from_str(args[i]);
        frame *count = frame_new_integer((int64_t)i + 1);
        print_push("subscribe", channel, count);
        frame_free(count);
        bytes_release(channel);
    }
    client_message m;
    while ((rc = client_subscription_next(s, &m)) == 0) {
        frame *payload = frame_new_bulk(bytes_clone(m.payload));
        print_push("message", m.channel, payload);
        frame_free(payload);
        client_message_clear(&m);
    }
    cli_print_failure(cli, client_subscription_last_error(s));
    client_subscription_close(s);
    return CLI_FATAL;
}

/* ------------------------------------------------------------ dispatch */

static const struct command {
    const char *name;
    size_t min_args, max_args;
    run_fn run;
} commands[] = {
    {"get", 1, 1, run_get},
    {"set", 2, 4, run_set},
    {"del", 1, SIZE_MAX, run_del},
    {"incr", 1, 1, run_incr},
    {"ping", 0, 1, run_ping},
    {"publish", 2, 2, run_publish},
    {"subscribe", 1, SIZE_MAX, run_subscribe},
};

/* Any request, sent as typed; the reply printed whatever it is. */
static int run_as_typed(cli_session *cli, const frame *request)
{
    frame *reply;
    int rc = client_command(cli->client, request, &reply);
    if (rc != 0)
        return outcome(cli, rc);
    print_reply(reply);
    rc = frame_get_kind(reply) == FRAME_ERROR ? CLI_SERVER_ERROR : CLI_OK;
    frame_free(reply);
    return rc;
}

/* The words as C strings, or false when one holds a NUL byte (a C string would cut
 * it short: such a request goes out as typed). args[0] is the command's name. */
static bool words_of(const frame *request, const char **args)
{
    for (size_t i = 0; i < frame_array_len(request); i++) {
        const bytes *word = frame_get_bytes(frame_array_get(request, i));
        args[i] = (const char *)bytes_data(word); /* a parsed bulk is NUL-terminated */
        if (strlen(args[i]) != bytes_len(word))
            return false;
    }
    return true;
}

int cli_run(cli_session *cli, const frame *request)
{
    size_t nwords = frame_array_len(request);
    const char **args = calloc(nwords, sizeof *args);
    int rc = NOT_TYPED;
    if (words_of(request, args)) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            const struct command *command = &commands[i];
            if (strcasecmp(args[0], command->name) == 0 && nwords - 1 >= command->min_args &&
                nwords - 1 <= command->max_args)
                rc = command->run(cli, args + 1, nwords - 1);
        }
    }
    free(args);
    return rc == NOT_TYPED ? run_as_typed(cli, request) : rc;
}
