/*
 * redis_server.c - a real redis-server for the client tests, started on a free port
 * of 127.0.0.1 and stopped by its pid (the approach of tests/resp/test_redis.c).
 *
 *     redis-server --port P --bind 127.0.0.1 --save "" --appendonly no --daemonize no
 *
 * P is found by binding 127.0.0.1:0 and closing: port 0 would turn TCP off in Redis.
 * Another program may take P in between, so a server that exits at once is retried on a
 * new port.
 */
#include "client_tests.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool is_installed(void)
{
    const char *path = getenv("PATH");
    char candidate[4096];
    while (path != NULL && *path != '\0') {
        size_t len = strcspn(path, ":");
        snprintf(candidate, sizeof candidate, "%.*s/redis-server", (int)len, path);
        if (access(candidate, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool accepts_connections(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool is_up = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    if (fd >= 0)
        close(fd);
    return is_up;
}

static void pause_ms(long ms)
{
    nanosleep(&(struct timespec){0, ms * 1000 * 1000}, NULL);
}

void redis_stop(redis_server *r)
{
    kill(r->pid, SIGTERM);
    for (int waited_ms = 0; waited_ms < 5000; waited_ms += 10) {
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid)
            return;
        pause_ms(10);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
}

static pid_t spawn_redis(int port)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout); /* Redis's banner would drown the test output */
        freopen("/dev/null", "w", stderr);
        execlp("redis-server", "redis-server", "--port", port_text, "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits until r accepts connections: 1 up, 0 exited (the port was taken?), -1 hung. */
static int wait_until_up(redis_server *r)
{
    for (int waited_ms = 0; waited_ms < 5000; waited_ms += 10) {
        if (accepts_connections(r->port))
            return 1;
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid)
            return 0;
        pause_ms(10);
    }
    return -1;
}

bool redis_start(redis_server *r)
{
    if (!is_installed()) {
        printf("\n    SKIPPED: redis-server not found on PATH; the client was not tested\n");
        return false;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        r->port = free_port();
        SL_CHECK_FATAL(r->port > 0, "could not find a free port on 127.0.0.1");
        r->pid = spawn_redis(r->port);
        SL_CHECK_FATAL(r->pid > 0, "could not fork to start redis-server");
        int up = wait_until_up(r);
        if (up == 1)
            return true;
        if (up < 0) {
            redis_stop(r);
            SL_FAIL("redis-server --port %d did not accept connections within 5 s", r->port);
            return false;
        }
    }
    SL_FAIL("redis-server exited before accepting connections, three times");
    return false;
}
