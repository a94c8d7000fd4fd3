/*
 * spawnlab-cli - a command-line Redis client built on the library's client (client.h),
 * the analog of mini-redis's `mini-redis-cli` and a small redis-cli.
 *
 *     spawnlab-cli [-h host] [-p port] command [args...]    one command, then exit
 *     spawnlab-cli [-h host] [-p port]                      interactive: a prompt
 *
 * Commands: get key | set key value [px ms | ex s] | del key... | incr key |
 * ping [msg] | publish channel message | subscribe channel... ; any other command is
 * sent as typed. Replies print as redis-cli prints them ("value", (nil), (integer) 3,
 * OK, (error) ERR ...). Interactive lines are split into words with Redis's quoting
 * rules (set k "hello world"); `quit`, `exit` or end of input leave.
 *
 * Exit status: 0 when every command succeeded; 1 after a server error reply (one-shot)
 * or when the connection failed (a message on stderr names host:port); 2 for usage.
 *
 * It runs as the main task of a current_thread runtime: one task needs one worker.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rt.h"

static void usage(void)
{
    fputs("usage: spawnlab-cli [-h host] [-p port] [command [args...]]\n"
          "  commands: get key | set key value [px ms | ex s] | del key... | incr key |\n"
          "            ping [msg] | publish channel message | subscribe channel...\n"
          "  without a command: interactive mode (quit or end of input to leave)\n",
          stderr);
}

/* ------------------------------------------------------------ interactive mode */

/* Reading the terminal blocks the thread, so it runs on the blocking pool (rt.h:
 * rt_spawn_blocking), not on the worker: a task that blocked its worker for as long as
 * the user takes to type would trip the runtime's "blocking the worker" check. */
struct line {
    char *text;
    size_t capacity;
    ssize_t len; /* -1 at the end of input */
};

static void *read_line(void *arg)
{
    struct line *line = arg;
    line->len = getline(&line->text, &line->capacity, stdin);
    return NULL;
}

/* The words of one line, split by the server's own inline-command parser (frame.h),
 * so quoting works exactly as in Redis. 0 and *request (NULL for a blank line), or -1
 * after printing what is wrong with the line. */
static int parse_line(struct line *line, frame **request)
{
    *request = NULL;
    if (line->len == 0 || line->text[line->len - 1] != '\n') { /* the last line, unended */
        line->text = realloc(line->text, (size_t)line->len + 2);
        line->text[line->len++] = '\n';
    }
    size_t used;
    frame_error error;
    int rc = frame_parse_request((const uint8_t *)line->text, (size_t)line->len, NULL, request,
                                 &used, &error);
    if (rc != FRAME_OK) {
        puts(rc == FRAME_ETOOBIG ? "Invalid argument(s): line too long" : "Invalid argument(s)");
        fflush(stdout);
        return -1;
    }
    if (frame_get_kind(*request) != FRAME_ARRAY || frame_array_len(*request) == 0) {
        frame_free(*request);
        *request = NULL;
    }
    return 0;
}

static bool is_quit(const frame *request)
{
    const char *word = (const char *)bytes_data(frame_get_bytes(frame_array_get(request, 0)));
    return frame_array_len(request) == 1 &&
           (strcasecmp(word, "quit") == 0 || strcasecmp(word, "exit") == 0);
}

/* Prompt, read, run, print, until quit or end of input. Server errors are printed and
 * the session goes on; a failed connection ends it with status 1. */
static int interactive(cli_session *cli)
{
    struct line *line = calloc(1, sizeof *line); /* on the heap: the blocking job uses it */
    int status = 0;
    for (;;) {
        printf("%s:%d> ", cli->host, cli->port);
        fflush(stdout);
        rt_join(rt_spawn_blocking(read_line, line), NULL, NULL); /* MAY YIELD */
        if (line->len < 0) {
            if (isatty(STDIN_FILENO))
                putchar('\n'); /* leave the terminal's cursor on a fresh line */
            break;
        }
        frame *request;
        if (parse_line(line, &request) != 0 || request == NULL)
            continue;
        bool is_leaving = is_quit(request);
        int rc = is_leaving ? CLI_OK : cli_run(cli, request);
        frame_free(request);
        if (is_leaving || rc == CLI_FATAL) {
            status = rc == CLI_FATAL;
            break;
        }
    }
    free(line->text);
    free(line);
    return status;
}

/* ------------------------------------------------------------ main */

static int one_shot(cli_session *cli, int nwords, char **words)
{
    frame *request = frame_new_array();
    for (int i = 0; i < nwords; i++)
        frame_array_push(request, frame_new_bulk_str(words[i]));
    int rc = cli_run(cli, request);
    frame_free(request);
    return rc == CLI_OK ? 0 : 1;
}

/* Options: -h host, -p port. Returns the index of the first word, or -1. */
static int parse_options(int argc, char **argv, cli_session *cli)
{
    int option;
    while ((option = getopt(argc, argv, "+h:p:")) != -1) {
        char *end;
        long port = option == 'p' ? strtol(optarg, &end, 10) : 0;
        if (option == 'h')
            cli->host = optarg;
        else if (option == 'p' && *end == '\0' && port > 0 && port <= 65535)
            cli->port = (int)port;
        else
            return -1;
    }
    return optind;
}

static int app_main(int argc, char **argv)
{
    cli_session cli = {.host = "127.0.0.1", .port = 6379};
    int first = parse_options(argc, argv, &cli);
    if (first < 0) {
        usage();
        return 2;
    }
    int rc = client_connect(cli.host, cli.port, &cli.client); /* MAY YIELD */
    if (rc != 0) {
        char why[160];
        snprintf(why, sizeof why, "could not connect: %s%s", rt_strerror(rc),
                 rc == -EINVAL ? " (use a numeric address or localhost)" : "");
        cli_print_failure(&cli, why);
        return 1;
    }
    int status = first < argc ? one_shot(&cli, argc - first, argv + first) : interactive(&cli);
    client_close(cli.client); /* NULL when a subscription took it (and closed it) */
    return status;
}

int main(int argc, char **argv)
{
    rt_config config = {.flavor = RT_CURRENT_THREAD};
    return rt_main(argc, argv, app_main, &config);
}
