/*
 * redis.c - a real redis-server for a test: the reference peer that compatibility tests
 * compare against (see harness.h, sl_redis_start).
 *
 *     redis-server --port P --bind 127.0.0.1 --save "" --appendonly no --daemonize no
 *
 * P is found by binding 127.0.0.1:0 and closing: port 0 would turn TCP off in Redis.
 * Another program may take P in between, so a server that exits at once is retried on a
 * new port. The server is registered as one of the test's children, so the per-test audit
 * notices one that a test forgets to stop.
 */
#include "harness.h"
#include "harness_impl.h"

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

static bool redis_is_installed(void)
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

int sl_free_port(void)
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

void sl_redis_stop(sl_redis *r)
{
    kill(r->pid, SIGTERM);
    for (int waited_ms = 0; waited_ms < 5000; waited_ms += 10) {
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid)
            goto reaped;
        pause_ms(10);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
reaped:
    sl_children_remove(r->pid);
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
    if (pid > 0)
        sl_children_add(pid);
    return pid;
}

/* Waits until r accepts connections: 1 up, 0 exited (the port was taken?), -1 hung. */
static int wait_until_up(sl_redis *r)
{
    for (int waited_ms = 0; waited_ms < 5000; waited_ms += 10) {
        if (accepts_connections(r->port))
            return 1;
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
            sl_children_remove(r->pid);
            return 0;
        }
        pause_ms(10);
    }
    return -1;
}

bool sl_redis_start(sl_redis *r)
{
    if (!redis_is_installed()) {
        printf("\n    SKIPPED: redis-server not found on PATH (tools/deps.sh installs it)\n");
        return false;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        r->port = sl_free_port();
        SL_CHECK_FATAL(r->port > 0, "could not find a free port on 127.0.0.1");
        r->pid = spawn_redis(r->port);
        SL_CHECK_FATAL(r->pid > 0, "could not fork to start redis-server");
        int up = wait_until_up(r);
        if (up == 1)
            return true;
        if (up < 0) {
            sl_redis_stop(r);
            SL_FAIL("redis-server --port %d did not accept connections within 5 s", r->port);
            return false;
        }
    }
    SL_FAIL("redis-server exited before accepting connections, three times");
    return false;
}
