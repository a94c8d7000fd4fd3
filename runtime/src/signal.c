/*
 * signal.c - SIGINT and SIGTERM delivered to a task (rt_signal.h).
 *
 * Chapter: chapters/05-channels.md#graceful-shutdown
 *
 * The handler runs on whatever thread the kernel picks, in the middle of whatever that
 * thread was doing, so it only stores the signal's number and writes to an eventfd (both
 * async-signal-safe). The waiting task sleeps on the eventfd through the reactor.
 */
#include "rt.h"
#include "rt_net.h"
#include "rt_signal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int signal_fd = -1;
static int install_error;
static volatile sig_atomic_t pending_signal; /* 0, or a signal not yet taken by a task */
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void on_shutdown_signal(int sig)
{
    if (pending_signal) {
        /* The first one was never taken: stop the ordinary way. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    int saved_errno = errno; /* the interrupted code may be about to read it */
    pending_signal = sig;
    uint64_t one = 1;
    ssize_t unused = write(signal_fd, &one, sizeof one);
    (void)unused; /* an eventfd write only fails on overflow, which one pending signal avoids */
    errno = saved_errno;
}

static void install_handlers(void)
{
    signal_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (signal_fd < 0) {
        install_error = -errno;
        return;
    }
    struct sigaction action = {.sa_handler = on_shutdown_signal, .sa_flags = SA_RESTART};
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGINT, &action, NULL) < 0 || sigaction(SIGTERM, &action, NULL) < 0)
        install_error = -errno;
}

int rt_shutdown_signal_install(void)
{
    pthread_once(&install_once, install_handlers);
    return install_error;
}

int rt_shutdown_signal_wait(void)
{
    int rc = rt_shutdown_signal_install();
    if (rc < 0)
        return rc;
    for (;;) {
        uint64_t count;
        if (read(signal_fd, &count, sizeof count) == sizeof count) {
            int sig = pending_signal;
            pending_signal = 0; /* taken: the next signal is a first one again */
            return sig;
        }
        int err = errno; /* before the wait: the task may resume on another thread */
        if (err != EAGAIN)
            return -err;
        rc = rt_fd_wait_readable(signal_fd);
        if (rc < 0)
            return rc;
    }
}
