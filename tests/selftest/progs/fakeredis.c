/*
 * fakeredis.c - a tiny server for the harness's own tests, on plain blocking sockets
 * (the harness is tested without the runtime it will test).
 *
 *   fakeredis -p PORT [--mute] [--exit-status N] [--close-on-ping]
 *
 * Serves one client at a time. Knows PING (+PONG) and SET/GET of one key; answers
 * anything else with an error. --mute never replies; --exit-status N exits with N on
 * SIGTERM (to test the harness's "stopped cleanly" check); --close-on-ping closes the
 * connection instead of answering PING.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static int exit_status;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void reply(int fd, const char *text)
{
    if (write(fd, text, strlen(text)) < 0)
        perror("write");
}

/* One read = one command (good enough for the harness tests, which send one at a time). */
static void serve(int fd, bool mute, bool close_on_ping)
{
    static char value[256] = "";
    char buf[4096];
    ssize_t n;
    while (!stop && (n = read(fd, buf, sizeof buf - 1)) > 0) {
        buf[n] = '\0';
        if (mute)
            continue;
        if (strstr(buf, "PING")) {
            if (close_on_ping)
                return;
            reply(fd, "+PONG\r\n");
        } else if (strstr(buf, "SET")) {
            char *last = strrchr(buf, '$'), *v = last ? strstr(last, "\r\n") : NULL;
            snprintf(value, sizeof value, "%.*s", v ? (int)strcspn(v + 2, "\r") : 0,
                     v ? v + 2 : "");
            reply(fd, "+OK\r\n");
        } else if (strstr(buf, "GET")) {
            char out[300];
            if (value[0])
                snprintf(out, sizeof out, "$%zu\r\n%s\r\n", strlen(value), value);
            else
                snprintf(out, sizeof out, "$-1\r\n");
            reply(fd, out);
        } else {
            reply(fd, "-ERR unknown command\r\n");
        }
    }
}

int main(int argc, char **argv)
{
    int port = 0;
    bool mute = false, close_on_ping = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--mute") == 0)
            mute = true;
        else if (strcmp(argv[i], "--close-on-ping") == 0)
            close_on_ping = true;
        else if (strcmp(argv[i], "--exit-status") == 0 && i + 1 < argc)
            exit_status = atoi(argv[++i]);
    }
    struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: accept/read return EINTR */
    sigaction(SIGTERM, &sa, NULL);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 16) < 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) < 0) {
        perror("fakeredis: bind");
        return 1;
    }
    printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    while (!stop) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        serve(fd, mute, close_on_ping);
        close(fd);
    }
    close(listener);
    return exit_status;
}
