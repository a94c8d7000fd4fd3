/*
 * runner.c - sl_main: suite tables into CUnit, the watchdog and the per-test audit.
 *
 * Every test runs inside CUnit's basic interface (so its summary lines are CUnit's own).
 * Around each test, the suite's set-up and tear-down functions:
 *   1. note which file descriptors are open and arm the watchdog;
 *   2. (the test runs)
 *   3. disarm the watchdog, then fail the test if it left a descriptor open or a child
 *      process running - a leak in a test hides the same leak in the code under test.
 * The watchdog is a thread, not alarm(): it works whatever the test does with signals.
 * When it fires it prints which test hung and exits the process with status 1.
 */
#include "harness.h"
#include "harness_impl.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { DEFAULT_TIMEOUT_SECONDS = 30, MAX_FDS = 4096 };

/* ------------------------------------------------------------ the running test */

static const sl_suite *all_suites;
/* CUnit gives set-up functions no argument: test_setup finds the running suite's
 * table by CUnit's suite name. */
static const sl_suite *current_suite;
static const sl_test *current_test;

static const sl_test *find_test(const sl_suite *suite, const char *name)
{
    for (const sl_test *t = suite->tests; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

const char *sl_current_reread(void)
{
    return current_test ? current_test->reread : NULL;
}

void sl_fail_at(const char *file, int line, bool fatal, const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *reread = sl_current_reread();
    if (reread && n >= 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, "\n      re-read:  %s", reread);
    /* CUnit copies the message, so a stack buffer is fine here. */
    CU_assertImplementation(CU_FALSE, (unsigned)line, msg, file, "", fatal ? CU_TRUE : CU_FALSE);
}

/* ------------------------------------------------------------ watchdog */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    unsigned long generation; /* bumped at every arm and disarm */
    bool armed;
    double deadline; /* sl_now() seconds */
    char test_name[256];
    int timeout_seconds;
} watchdog = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, 0, "", 0};

static void *watchdog_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&watchdog.lock);
    for (;;) {
        if (!watchdog.armed) {
            pthread_cond_wait(&watchdog.changed, &watchdog.lock);
            continue;
        }
        double left = watchdog.deadline - sl_now();
        if (left <= 0) {
            fprintf(stderr,
                    "\n\nWATCHDOG: test %s did not finish within %d s.\n"
                    "  Something waits forever: a reply that never comes, a task that is never\n"
                    "  woken, a lock that is never released. Run this test alone to look:\n"
                    "      SL_TIMEOUT=0 gdb --args %s %s\n",
                    watchdog.test_name, watchdog.timeout_seconds, program_invocation_name,
                    watchdog.test_name);
            sl_children_kill_all();
            fflush(NULL);
            _exit(1);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        double secs = left < 1.0 ? left : 1.0;
        until.tv_sec += (time_t)secs;
        until.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&watchdog.changed, &watchdog.lock, &until);
    }
    return NULL;
}

static int timeout_for(const sl_suite *suite)
{
    const char *env = getenv("SL_TIMEOUT");
    if (env && *env)
        return atoi(env);
    return suite->timeout_seconds > 0 ? suite->timeout_seconds : DEFAULT_TIMEOUT_SECONDS;
}

static void watchdog_arm(const char *name, int seconds)
{
    pthread_mutex_lock(&watchdog.lock);
    watchdog.generation++;
    watchdog.armed = seconds > 0;
    watchdog.deadline = sl_now() + seconds;
    watchdog.timeout_seconds = seconds;
    snprintf(watchdog.test_name, sizeof watchdog.test_name, "%s", name);
    pthread_cond_signal(&watchdog.changed);
    pthread_mutex_unlock(&watchdog.lock);
}

static void watchdog_disarm(void)
{
    pthread_mutex_lock(&watchdog.lock);
    watchdog.generation++;
    watchdog.armed = false;
    pthread_cond_signal(&watchdog.changed);
    pthread_mutex_unlock(&watchdog.lock);
}

/* ------------------------------------------------------------ audit */

static bool fds_open_before[MAX_FDS];

/* Marks every open descriptor of this process (except the one reading /proc). */
static void fds_snapshot(bool open[MAX_FDS])
{
    memset(open, 0, MAX_FDS * sizeof open[0]);
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return;
    int self = dirfd(dir);
    for (struct dirent *e; (e = readdir(dir));) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd != self && fd >= 0 && fd < MAX_FDS)
            open[fd] = true;
    }
    closedir(dir);
}

static void audit_fds(void)
{
    bool now[MAX_FDS];
    fds_snapshot(now);
    for (int fd = 0; fd < MAX_FDS; fd++) {
        if (!now[fd] || fds_open_before[fd])
            continue;
        char link[64], target[PATH_MAX] = "?";
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n >= 0)
            target[n] = '\0';
        SL_FAIL("the test left file descriptor %d open (%s): every socket, pipe and file a "
                "test opens must be closed before it ends",
                fd, target);
        close(fd); /* so the next test starts clean */
    }
}

static void audit_children(void)
{
    pid_t left[64];
    int n = sl_children_alive(left, 64);
    for (int i = 0; i < n; i++)
        SL_FAIL("the test left child process %d running: stop every server or program it "
                "starts (sl_server_stop)",
                (int)left[i]);
    sl_children_kill_all();
}

/* ------------------------------------------------------------ CUnit glue */

static void test_setup(void)
{
    CU_pSuite s = CU_get_current_suite();
    for (const sl_suite *x = all_suites; s && x->name; x++)
        if (strcmp(x->name, s->pName) == 0)
            current_suite = x;
    /* A test that ended on a fatal failure skips its tear-down: clean up after it. */
    sl_children_kill_all();
    CU_pTest t = CU_get_current_test();
    current_test = t ? find_test(current_suite, t->pName) : NULL;
    fds_snapshot(fds_open_before);
    watchdog_arm(t ? t->pName : "?", timeout_for(current_suite));
}

static void test_teardown(void)
{
    watchdog_disarm();
    audit_fds();
    audit_children();
    current_test = NULL;
}

static bool wanted(int nnames, char **names, const char *suite, const char *test)
{
    if (nnames == 0)
        return true;
    for (int i = 0; i < nnames; i++)
        if (strcmp(names[i], suite) == 0 || strcmp(names[i], test) == 0)
            return true;
    return false;
}

static int list_tests(const sl_suite *suites)
{
    for (const sl_suite *s = suites; s->name; s++)
        for (const sl_test *t = s->tests; t->name; t++)
            printf("%s\t%s\t%d\n", s->name, t->name, t->points);
    return 0;
}

static int register_tests(const sl_suite *suites, int nnames, char **names)
{
    int registered = 0;
    for (const sl_suite *s = suites; s->name; s++) {
        CU_pSuite cs = NULL;
        for (const sl_test *t = s->tests; t->name; t++) {
            if (!wanted(nnames, names, s->name, t->name))
                continue;
            if (!cs)
                cs = CU_add_suite_with_setup_and_teardown(s->name, NULL, NULL, test_setup,
                                                          test_teardown);
            if (!cs || !CU_add_test(cs, t->name, t->fn))
                return -1;
            registered++;
        }
    }
    return registered;
}

static bool names_known(const sl_suite *suites, int nnames, char **names)
{
    bool ok = true;
    for (int i = 0; i < nnames; i++) {
        bool found = false;
        for (const sl_suite *s = suites; s->name; s++)
            found = found || strcmp(s->name, names[i]) == 0 || find_test(s, names[i]);
        if (!found) {
            fprintf(stderr, "no test or suite is named '%s' (see --list)\n", names[i]);
            ok = false;
        }
    }
    return ok;
}

int sl_main(int argc, char **argv, const sl_suite *suites)
{
    all_suites = suites;
    if (argc > 1 && strcmp(argv[1], "--list") == 0)
        return list_tests(suites);
    if (argc > 1 && argv[1][0] == '-') {
        fprintf(stderr, "usage: %s [--list | TEST-OR-SUITE-NAME...]\n", argv[0]);
        return 1;
    }
    if (!names_known(suites, argc - 1, argv + 1))
        return 1;

    /* A server that dies mid-test must fail the test, not kill the suite. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t dog;
    pthread_create(&dog, NULL, watchdog_main, NULL);
    pthread_detach(dog);

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    if (register_tests(suites, argc - 1, argv + 1) < 0) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* CU_get_number_of_failures() counts assertions; the process status must only say
     * "something failed" (an exit status is 8 bits: a raw count would wrap at 256). */
    bool failed = CU_get_number_of_failures() > 0 || CU_get_number_of_tests_failed() > 0 ||
                  CU_get_number_of_suites_failed() > 0;
    printf("\n");
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
