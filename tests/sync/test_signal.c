/*
 * test_signal.c - rt_shutdown_signal_wait: a task learns of SIGTERM and ctrl-c.
 *
 * Each case runs progs/signals in a process of its own: signal handlers belong to the
 * whole process, and the suite's own process must never install them.
 */
#include "helpers.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static sl_exit *run_signals(const char *scenario)
{
    static sl_exit e;
    const char *argv[] = {"progs/signals", scenario, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 20, &e) == 0, "cannot run progs/signals");
    return &e;
}

static void test_signal_wait_returns_sigterm(void)
{
    sl_exit *e = run_signals("sigterm");
    char want[32];
    snprintf(want, sizeof want, "waited: %d\n", SIGTERM);
    SL_CHECK(e->exited && e->status == 0 && strstr(e->output, want),
             "the task should get SIGTERM (%d) and the program exit 0; it %s and printed:\n%s",
             SIGTERM, sl_exit_describe(e), e->output);
}

static void test_signal_second_ctrl_c_ends_a_hung_shutdown(void)
{
    sl_exit *e = run_signals("second-sigint");
    char first[32];
    snprintf(first, sizeof first, "first: %d\n", SIGINT);
    SL_CHECK(strstr(e->output, first) != NULL, "the first ctrl-c should reach the task:\n%s",
             e->output);
    SL_CHECK(!e->exited && e->status == SIGINT && !strstr(e->output, "still alive"),
             "a second ctrl-c while the first is untaken must end the program by SIGINT; "
             "it %s:\n%s",
             sl_exit_describe(e), e->output);
}

static void test_signal_install_keeps_an_early_signal(void)
{
    sl_exit *e = run_signals("install");
    char want[32];
    snprintf(want, sizeof want, "waited: %d\n", SIGTERM);
    SL_CHECK(e->exited && e->status == 0 && strstr(e->output, want),
             "after rt_shutdown_signal_install, a SIGTERM before the first wait must wait for "
             "it (exit 0, \"%s\"); the program %s and printed:\n%s",
             "waited: 15", sl_exit_describe(e), e->output);
}

static void test_signal_wait_can_be_aborted(void)
{
    sl_exit *e = run_signals("abort");
    char want[32];
    snprintf(want, sizeof want, "join: %d\n", RT_ECANCELED);
    SL_CHECK(e->exited && e->status == 0 && strstr(e->output, want),
             "an aborted waiter must end cancelled (%d); the program %s and printed:\n%s",
             RT_ECANCELED, sl_exit_describe(e), e->output);
}

const sl_test sync_signal_tests[] = {
    SL_TEST(test_signal_wait_returns_sigterm, 1, NULL),
    SL_TEST(test_signal_second_ctrl_c_ends_a_hung_shutdown, 1, NULL),
    SL_TEST(test_signal_install_keeps_an_early_signal, 1, NULL),
    SL_TEST(test_signal_wait_can_be_aborted, 1, NULL),
    SL_TEST_END,
};
