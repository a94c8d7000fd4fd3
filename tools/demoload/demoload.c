/*
 * demoload - the scripted load of `make demo`: N clients at once, each keeping its
 * connection busy for a while.
 *
 *   demoload [-p PORT] [-c CLIENTS] [-m HOLD_MS]      (defaults: 6380, 3, 1000)
 *
 * Each client (a thread with a plain blocking socket: the load must not depend on the
 * runtime it measures) connects, sends SET demo-N hello, holds the connection HOLD_MS
 * milliseconds, sends GET demo-N, checks the reply and disconnects. All start together.
 * Prints one line per client (when its GET came back) and the wall time:
 *     wall 1.004 s
 * Exit status 0 when every client got the replies it expected, 1 otherwise.
 *
 * Against a server that serves one connection at a time the clients are served one after
 * another (about CLIENTS x HOLD_MS); with a task per connection, all at once (about HOLD_MS).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CLIENTS = 1000 };

static int port = 6380, nclients = 3, hold_ms = 1000;
static double start;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sends a command and reads until exactly the expected reply arrived. */
static bool round_trip(int fd, const char *request, const char *expected)
{
    size_t want = strlen(expected), got = 0;
    char reply[256];
    if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request))
        return false;
    while (got < want) {
        ssize_t n = recv(fd, reply + got, sizeof reply - got, 0);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return got == want && memcmp(reply, expected, want) == 0;
}

static void *run_client(void *arg)
{
    int number = (int)(intptr_t)arg;
    char set[128], get[128], value[64];
    snprintf(set, sizeof set, "*3\r\n$3\r\nSET\r\n$%d\r\ndemo-%d\r\n$5\r\nhello\r\n",
             (int)strlen("demo-") + snprintf(NULL, 0, "%d", number), number);
    snprintf(get, sizeof get, "*2\r\n$3\r\nGET\r\n$%d\r\ndemo-%d\r\n",
             (int)strlen("demo-") + snprintf(NULL, 0, "%d", number), number);
    snprintf(value, sizeof value, "$5\r\nhello\r\n");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
              round_trip(fd, set, "+OK\r\n");
    if (ok) {
        nanosleep(&(struct timespec){hold_ms / 1000, (hold_ms % 1000) * 1000000L}, NULL);
        ok = round_trip(fd, get, value);
    }
    if (fd >= 0)
        close(fd);
    printf("  client %d: %s at %.3f s\n", number, ok ? "done" : "FAILED", now() - start);
    return (void *)(intptr_t)ok;
}

int main(int argc, char **argv)
{
    int option;
    while ((option = getopt(argc, argv, "p:c:m:")) != -1) {
        if (option == 'p')
            port = atoi(optarg);
        else if (option == 'c')
            nclients = atoi(optarg);
        else if (option == 'm')
            hold_ms = atoi(optarg);
        else
            return 2;
    }
    if (port <= 0 || nclients < 1 || nclients > MAX_CLIENTS || hold_ms < 0) {
        fprintf(stderr, "usage: demoload [-p PORT] [-c CLIENTS (1..%d)] [-m HOLD_MS]\n",
                MAX_CLIENTS);
        return 2;
    }
    static pthread_t threads[MAX_CLIENTS];
    start = now();
    for (int i = 0; i < nclients; i++)
        if (pthread_create(&threads[i], NULL, run_client, (void *)(intptr_t)(i + 1)) != 0) {
            fprintf(stderr, "demoload: cannot start client %d\n", i + 1);
            return 1;
        }
    bool all_ok = true;
    for (int i = 0; i < nclients; i++) {
        void *ok;
        pthread_join(threads[i], &ok);
        all_ok = all_ok && ok;
    }
    printf("wall %.3f s\n", now() - start);
    return all_ok ? 0 : 1;
}
