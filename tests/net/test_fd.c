/*
 * test_fd.c - waiting for any descriptor: rt_fd_wait_readable and the waker-based watch
 * that select builds on.
 */
#include "helpers.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct pipe_pair {
    int read_end, write_end;
};

static void pipe_open(struct pipe_pair *p)
{
    int fds[2];
    SL_CHECK_FATAL(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2 failed");
    p->read_end = fds[0];
    p->write_end = fds[1];
}

static void pipe_close(struct pipe_pair *p)
{
    close(p->read_end);
    close(p->write_end);
}

static void *write_later(void *arg)
{
    struct pipe_pair *p = arg;
    rt_sleep_ms(30);
    ssize_t unused = write(p->write_end, "x", 1);
    (void)unused;
    return NULL;
}

static void *wait_for_a_pipe(void *unused)
{
    (void)unused;
    struct pipe_pair *p = malloc(sizeof *p);
    pipe_open(p);
    rt_join_handle *writer = rt_spawn(write_later, p);
    int rc = rt_fd_wait_readable(p->read_end);
    char c = 0;
    SL_CHECK(rc == 0 && read(p->read_end, &c, 1) == 1 && c == 'x',
             "rt_fd_wait_readable on a pipe: %s", rt_strerror(rc));
    rt_join(writer, NULL, NULL);
    /* Nothing will come now: the task's deadline ends the wait. */
    int64_t saved = rt_timeout_begin(50 * RT_NS_PER_MS);
    rc = rt_fd_wait_readable(p->read_end);
    rt_timeout_end(saved);
    SL_CHECK(rc == RT_ETIMEDOUT, "a wait on a silent pipe under a timeout returned %s",
             rt_strerror(rc));
    SL_CHECK(rt_fd_wait_writable(p->write_end) == 0, "an empty pipe is writable");
    pipe_close(p);
    free(p);
    return NULL;
}

static void test_net_fd_wait_on_a_pipe(void)
{
    run_with(0, wait_for_a_pipe, NULL);
    run_with(2, wait_for_a_pipe, NULL);
}

/* Two pipes, one waker: the watch that fires says which one is ready (select's way). */
static void *watch_two_pipes(void *unused)
{
    (void)unused;
    struct pipe_pair *p = malloc(2 * sizeof *p);
    pipe_open(&p[0]);
    pipe_open(&p[1]);
    rt_join_handle *writer = rt_spawn(write_later, &p[1]);
    rt_waker w = rt_park_prepare();
    rt_fd_watch *watches[2];
    for (int i = 0; i < 2; i++) {
        int rc = rt_fd_watch_start(p[i].read_end, RT_READABLE, rt_waker_clone(w), &watches[i]);
        SL_CHECK_FATAL(rc == 0, "rt_fd_watch_start: %s", rt_strerror(rc));
    }
    rt_waker_drop(w); /* the watches hold the clones */
    int rc = rt_park(RT_PARK_IO, NULL);
    bool fired0 = rt_fd_watch_stop(watches[0]);
    bool fired1 = rt_fd_watch_stop(watches[1]);
    SL_CHECK(rc == 0 && !fired0 && fired1, "park %s; watch 0 fired %d, watch 1 fired %d",
             rt_strerror(rc), fired0, fired1);
    rt_join(writer, NULL, NULL);
    pipe_close(&p[0]);
    pipe_close(&p[1]);
    free(p);
    return NULL;
}

static void test_net_fd_watch_tells_which_descriptor_is_ready(void)
{
    run_with(1, watch_two_pipes, NULL);
    run_with(4, watch_two_pipes, NULL);
}

/* A watch on a stream's own descriptor works beside the stream's registration. */
static void *watch_a_stream(void *unused)
{
    (void)unused;
    struct echo_server *server = echo_server_start();
    rt_tcp_stream *s;
    SL_CHECK_FATAL(rt_tcp_connect("127.0.0.1", server->port, &s) == 0, "connect failed");
    rt_tcp_write_all(s, "ping", 4, NULL);
    SL_CHECK(rt_fd_wait_readable(rt_tcp_stream_fd(s)) == 0, "waiting on a stream's fd failed");
    char buf[4];
    SL_CHECK(read_exactly(s, buf, 4) == 0, "the echo did not arrive");
    rt_tcp_close(s);
    echo_server_stop(server);
    return NULL;
}

static void test_net_fd_watch_on_a_runtime_socket(void)
{
    run_with(2, watch_a_stream, NULL);
}

static void *wait_on_a_regular_file(void *unused)
{
    (void)unused;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    SL_CHECK_FATAL(fd >= 0, "cannot open a regular file");
    int rc = rt_fd_wait_readable(fd);
    SL_CHECK(rc == -EPERM, "waiting on a regular file returned %s, expected -EPERM",
             rt_strerror(rc));
    close(fd);
    return NULL;
}

static void test_net_fd_wait_on_a_regular_file_is_refused(void)
{
    run_with(1, wait_on_a_regular_file, NULL);
}

const sl_test net_fd_tests[] = {
    SL_TEST(test_net_fd_wait_on_a_pipe, 1, "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_fd_watch_tells_which_descriptor_is_ready, 1,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_fd_watch_on_a_runtime_socket, 1, "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_fd_wait_on_a_regular_file_is_refused, 1,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST_END,
};
