/*
 * test_checks.c - each check stands in for a Rust compile error: it must fire, name the
 * rule, the task and the chapter. Each mistake runs in a child process (progs/checks.c).
 */
#include "helpers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sl_exit result; /* 64 KiB of output: too big for the stack of a test */

static bool run_scenario(const char *scenario)
{
    /* Under qemu-user without binfmt_misc the helper is started through qemu itself. */
    static char program[4096];
    snprintf(program, sizeof program, "%s", sl_path("progs/checks"));
    const char *qemu = getenv("SPAWNLAB_QEMU");
    const char *direct[] = {program, scenario, NULL};
    const char *through_qemu[] = {qemu, program, scenario, NULL};
    int rc = sl_run_program(qemu ? through_qemu : direct, is_under_qemu() ? 120.0 : 20.0, &result);
    SL_CHECK_FATAL(rc == 0, "could not start %s", sl_path("progs/checks"));
    SL_CHECK_FATAL(!result.timed_out, "'checks %s' hung; it printed:\n%s", scenario, result.output);
    return true;
}

#define EXPECT_OUTPUT(text)                                                                        \
    SL_CHECK(strstr(result.output, (text)) != NULL,                                                \
             "expected the message to contain "                                                    \
             "\"%s\"; the program printed:\n%s",                                                   \
             (text), result.output)

#define EXPECT_ENDING(is_exited_, status_)                                                         \
    SL_CHECK(result.exited == (is_exited_) && result.status == (status_),                          \
             "expected %s %d, got: %s; output:\n%s", (is_exited_) ? "exit status" : "signal",      \
             (status_), sl_exit_describe(&result), result.output)

static void test_rt_check_static_rule(void)
{
    run_scenario("static");
    EXPECT_ENDING(false, SIGABRT);
    EXPECT_OUTPUT("the 'static rule");
    EXPECT_OUTPUT("task 'borrower' (id ");
    EXPECT_OUTPUT("spawned by task 'main' (id 1)");
    EXPECT_OUTPUT("chapters/02-spawn.md#the-static-rule");
}

static void test_rt_check_lock_held_across_yield(void)
{
    run_scenario("lock-yield");
    EXPECT_ENDING(false, SIGABRT);
    EXPECT_OUTPUT("holding a lock across a yield");
    EXPECT_OUTPUT("task 'db-writer' (id ");
    EXPECT_OUTPUT("blocking mutex 'db'");
    EXPECT_OUTPUT("chapters/03-shared-state.md#holding-a-lock-across-a-yield");
}

static void test_rt_check_blocking_the_worker(void)
{
    run_scenario("blocking");
    EXPECT_ENDING(true, 0); /* a warning: the program carries on */
    EXPECT_OUTPUT("blocking the worker");
    EXPECT_OUTPUT("task 'spinner' (id ");
    EXPECT_OUTPUT("chapters/appendix-runtime.md#blocking-the-worker");
}

static void test_rt_check_stack_overflow(void)
{
    run_scenario("overflow");
    EXPECT_ENDING(false, SIGSEGV);
    EXPECT_OUTPUT("stack overflow");
    EXPECT_OUTPUT("task 'recurse' (id ");
    EXPECT_OUTPUT("16384-byte stack");
    EXPECT_OUTPUT("chapters/appendix-runtime.md#task-stacks");
}

static void test_rt_check_shutdown_lists_live_tasks(void)
{
    run_scenario("shutdown");
    EXPECT_ENDING(true, 0);
    EXPECT_OUTPUT("shutdown with tasks still alive");
    EXPECT_OUTPUT("'ticker' (id ");
    EXPECT_OUTPUT("'looper' (id ");
    EXPECT_OUTPUT("chapters/appendix-runtime.md#shutdown");
    /* ...and the aborted tasks were run to their end. */
    EXPECT_OUTPUT("ticker: rt_park returned cancelled");
    EXPECT_OUTPUT("looper: rt_yield returned cancelled");
}

static void test_rt_checks_off_with_rt_checks_0(void)
{
    setenv("RT_CHECKS", "0", 1);
    run_scenario("blocking");
    unsetenv("RT_CHECKS");
    EXPECT_ENDING(true, 0);
    SL_CHECK(strstr(result.output, "blocking the worker") == NULL,
             "with RT_CHECKS=0 the check still printed:\n%s", result.output);
}

const sl_test runtime_check_tests[] = {
    SL_TEST(test_rt_check_static_rule, 1, "chapters/02-spawn.md#the-static-rule"),
    SL_TEST(test_rt_check_lock_held_across_yield, 1,
            "chapters/03-shared-state.md#holding-a-lock-across-a-yield"),
    SL_TEST(test_rt_check_blocking_the_worker, 1,
            "chapters/appendix-runtime.md#blocking-the-worker"),
    SL_TEST(test_rt_check_stack_overflow, 1, "chapters/appendix-runtime.md#task-stacks"),
    SL_TEST(test_rt_check_shutdown_lists_live_tasks, 1, "chapters/appendix-runtime.md#shutdown"),
    SL_TEST(test_rt_checks_off_with_rt_checks_0, 1, "chapters/appendix-runtime.md#checks"),
    SL_TEST_END,
};
