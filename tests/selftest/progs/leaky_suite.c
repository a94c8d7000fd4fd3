/*
 * leaky_suite.c - a suite that misbehaves on purpose, so the self-test can check that
 * the harness notices: a leaked descriptor, a child left running, a hang, and more
 * failures than an exit status can count.
 */
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static void test_leak_fd(void)
{
    int fd = open("/dev/null", O_RDONLY);
    SL_CHECK(fd >= 0, "open /dev/null");
}

static void test_leak_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    SL_CHECK(pid > 0, "fork");
}

static void test_leak_hang(void)
{
    pause();
}

/* 300 failed assertions: a raw count as exit status would wrap to 44. */
static void test_leak_many_failures(void)
{
    for (int i = 0; i < 300; i++)
        SL_CHECK(i < 0, "failure %d of 300", i + 1);
}

static void test_leak_unclean_server(void)
{
    const char *args[] = {"--exit-status", "3", NULL};
    sl_server *s = sl_server_start("fakeredis", args);
    sl_server_stop(s, 5);
}

static void test_leak_silent_server(void)
{
    const char *args[] = {"--mute", NULL};
    sl_server_start("/bin/true", args);
}

static void test_leak_clean(void)
{
    SL_CHECK(1 + 1 == 2, "arithmetic");
}

static const sl_test leaky_tests[] = {
    SL_TEST(test_leak_fd, 1, NULL),
    SL_TEST(test_leak_child, 1, NULL),
    SL_TEST(test_leak_hang, 1, NULL),
    SL_TEST(test_leak_many_failures, 1, NULL),
    SL_TEST(test_leak_unclean_server, 1, NULL),
    SL_TEST(test_leak_silent_server, 1, NULL),
    SL_TEST(test_leak_clean, 1, "chapters/00-introduction.md#how-to-work-a-lab"),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"leaky", leaky_tests, 1},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
