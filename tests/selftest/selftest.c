/*
 * selftest.c - tests of the test harness, the skeleton generator and the grader.
 *
 * Every lab's grade rests on these three, so they are tested like any other code:
 * against fixtures that misbehave on purpose (progs/fakeredis, progs/leaky_suite) and a
 * fixture lab (tests/fixtures/lab) whose report and JSON are pinned byte for byte.
 * Suites run from the repository's root (tools/run-suites.sh, make check).
 */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ helpers */

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static void make_temp_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/spawnlab-selftest-XXXXXX");
    SL_CHECK_FATAL(mkdtemp(dir) != NULL, "cannot create a temporary directory");
}

static void remove_tree(const char *dir)
{
    const char *argv[] = {"/bin/rm", "-rf", dir, NULL};
    static sl_exit e;
    sl_run_program(argv, 10, &e);
}

static void need_repo_root(void)
{
    SL_CHECK_FATAL(access("tools/labgen.sh", X_OK) == 0,
                   "this suite runs from the repository's root (tools/labgen.sh not found "
                   "from the current directory); run it with make check");
}

/* Replaces every occurrence of what with "<suite>" in text (in place): the report names
 * the suite's path, which depends on the build directory. */
static void hide_path(char *text, const char *what)
{
    size_t n = strlen(what);
    for (char *at; text && n && (at = strstr(text, what));) {
        memcpy(at, "<suite>", 7);
        memmove(at + 7, at + n, strlen(at + n) + 1);
    }
}

/* Runs the leaky suite on one of its tests. */
static sl_exit *run_leaky(const char *test)
{
    static sl_exit e;
    const char *argv[] = {"progs/leaky_suite", test, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 20, &e) == 0, "cannot run progs/leaky_suite");
    return &e;
}

/* ------------------------------------------------------------ servers and replies */

static void test_harness_server_roundtrip(void)
{
    sl_server *s = sl_server_start("progs/fakeredis", NULL);
    SL_CHECK(sl_server_port(s) > 0, "expected a port above 0, got %d", sl_server_port(s));
    sl_conn *c = sl_conn_open(sl_server_port(s));
    SL_COMMAND(c, "+PONG\r\n", "PING");
    SL_COMMAND(c, "+OK\r\n", "SET", "a", "hello");
    SL_COMMAND(c, "$5\r\nhello\r\n", "GET", "a");
    sl_conn_close(c);
    SL_CHECK(sl_server_stop(s, 5), "the fake server should stop cleanly");
}

static void test_harness_reply_mismatch_says_sent_expected_got(void)
{
    sl_server *s = sl_server_start("progs/fakeredis", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    char msg[1024];
    sl_conn_send_words(c, "SET", "a", "1", NULL);
    bool same = sl_conn_check_reply(c, "-ERR x\r\n", 8, 2, msg, sizeof msg);
    const char *want = "\n      sent:     SET a 1\n      expected: -ERR x\n      got:      +OK";
    SL_CHECK(!same, "a +OK reply must not match -ERR x");
    SL_CHECK(strcmp(msg, want) == 0, "the message should read\n%s\nbut reads\n%s", want, msg);
    sl_conn_close(c);
    sl_server_stop(s, 5);
}

static void test_harness_reply_timeout_says_nothing_came(void)
{
    const char *mute[] = {"--mute", NULL};
    sl_server *s = sl_server_start("progs/fakeredis", mute);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    char msg[1024];
    sl_conn_send_words(c, "PING", NULL);
    double start = sl_now();
    SL_CHECK(!sl_conn_check_reply(c, "+PONG\r\n", 7, 0.3, msg, sizeof msg), "mute server answered");
    double waited = sl_now() - start;
    SL_CHECK(waited >= 0.25 && waited < 3, "expected to wait about 0.3 s, waited %.2f s", waited);
    SL_CHECK(strstr(msg, "got:      (nothing) within 0.3 s") != NULL, "message was:%s", msg);
    SL_CHECK(sl_conn_is_silent(c, 0.05), "a mute server stays silent");
    sl_conn_close(c);
    sl_server_stop(s, 5);
}

static void test_harness_reply_eof_says_connection_closed(void)
{
    const char *args[] = {"--close-on-ping", NULL};
    sl_server *s = sl_server_start("progs/fakeredis", args);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    char msg[1024];
    sl_conn_send_words(c, "PING", NULL);
    SL_CHECK(!sl_conn_check_reply(c, "+PONG\r\n", 7, 5, msg, sizeof msg), "no reply expected");
    SL_CHECK(strstr(msg, "got:      (nothing: the server closed the connection)") != NULL,
             "message was:%s", msg);
    sl_conn_close(c);
    sl_server_stop(s, 5);
}

static void test_harness_resp_words(void)
{
    static const struct {
        const char *bytes, *words;
    } cases[] = {
        {"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n", "SET a 1"},
        {"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n", "PING ; GET a"},
        {"+OK\r\n", "+OK"},
        {"-ERR unknown command 'FOO'\r\n", "-ERR unknown command 'FOO'"},
        {":42\r\n", ":42"},
        {"$-1\r\n", "(nil)"},
        {"$5\r\nhello\r\n", "\"hello\""},
        {"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "subscribe ch :1"},
        {"*2\r\n:1\r\n$1\r\nx\r\n", "[:1, \"x\"]"},
        {"PING\r\n", "PING\\r\\n"},
        {"$5\r\nhel", "$5\\r\\nhel"},
        {"", "(nothing)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        sl_resp_words(cases[i].bytes, strlen(cases[i].bytes), buf, sizeof buf);
        SL_CHECK(strcmp(buf, cases[i].words) == 0, "case %zu: expected %s, got %s", i,
                 cases[i].words, buf);
    }
}

/* ------------------------------------------------------------ audit, watchdog, status */

static void test_harness_audit_finds_leaked_fd(void)
{
    sl_exit *e = run_leaky("test_leak_fd");
    SL_CHECK(e->exited && e->status == 1, "expected exit status 1, got %s", sl_exit_describe(e));
    SL_CHECK(strstr(e->output, "left file descriptor") && strstr(e->output, "/dev/null"),
             "expected the audit to name the leaked /dev/null descriptor; output:\n%s", e->output);
}

static void test_harness_audit_finds_leaked_child(void)
{
    sl_exit *e = run_leaky("test_leak_child");
    SL_CHECK(e->exited && e->status == 1, "expected exit status 1, got %s", sl_exit_describe(e));
    SL_CHECK(strstr(e->output, "left child process") != NULL,
             "expected the audit to name the child left running; output:\n%s", e->output);
}

static void test_harness_watchdog_ends_a_hang(void)
{
    double start = sl_now();
    sl_exit *e = run_leaky("test_leak_hang");
    double took = sl_now() - start;
    SL_CHECK(e->exited && e->status == 1, "expected exit status 1, got %s", sl_exit_describe(e));
    SL_CHECK(took < 10, "the 1 s watchdog took %.1f s", took);
    SL_CHECK(strstr(e->output, "WATCHDOG: test test_leak_hang did not finish within 1 s") != NULL,
             "expected the watchdog's message; output:\n%s", e->output);
}

static void test_harness_exit_status_is_one_not_a_count(void)
{
    sl_exit *e = run_leaky("test_leak_many_failures");
    SL_CHECK(e->exited && e->status == 1,
             "300 failures must give exit status 1 (a count would wrap to 44); got %s",
             sl_exit_describe(e));
}

static void test_harness_clean_test_passes(void)
{
    sl_exit *e = run_leaky("test_leak_clean");
    SL_CHECK(e->exited && e->status == 0, "expected exit status 0, got %s\n%s", sl_exit_describe(e),
             e->output);
    SL_CHECK(strstr(e->output, "Run Summary") != NULL, "expected CUnit's summary:\n%s", e->output);
}

static void test_harness_unclean_server_exit_fails(void)
{
    sl_exit *e = run_leaky("test_leak_unclean_server");
    SL_CHECK(e->exited && e->status == 1, "expected exit status 1, got %s", sl_exit_describe(e));
    SL_CHECK(strstr(e->output, "it exit status 3") != NULL || strstr(e->output, "exit status 3"),
             "expected the server's exit status 3 in the message; output:\n%s", e->output);
}

static void test_harness_server_that_never_listens_fails(void)
{
    sl_exit *e = run_leaky("test_leak_silent_server");
    SL_CHECK(e->exited && e->status == 1, "expected exit status 1, got %s", sl_exit_describe(e));
    SL_CHECK(strstr(e->output, "did not print \"listening on 127.0.0.1:PORT\"") != NULL,
             "expected the start failure message; output:\n%s", e->output);
}

static void abort_now(void *unused)
{
    (void)unused;
    abort();
}

static void test_harness_child_crash_described(void)
{
    sl_exit e;
    SL_CHECK_FATAL(sl_run_in_child(abort_now, NULL, 10, &e) == 0, "fork failed");
    SL_CHECK(!e.exited && e.status == SIGABRT, "expected SIGABRT, got %s", sl_exit_describe(&e));
    SL_CHECK(strcmp(sl_exit_describe(&e), "killed by SIGABRT (Aborted)") == 0, "described as %s",
             sl_exit_describe(&e));
}

static void test_harness_program_timeout(void)
{
    sl_exit e;
    const char *argv[] = {"/bin/sleep", "5", NULL};
    double start = sl_now();
    SL_CHECK_FATAL(sl_run_program(argv, 0.2, &e) == 0, "cannot run /bin/sleep");
    SL_CHECK(e.timed_out, "expected a timeout, got %s", sl_exit_describe(&e));
    SL_CHECK(sl_now() - start < 3, "the 0.2 s timeout took %.1f s", sl_now() - start);
}

/* ------------------------------------------------------------ labgen */

static void test_labgen_fixture_matches_committed_skeleton(void)
{
    need_repo_root();
    char dir[64];
    make_temp_dir(dir, sizeof dir);
    sl_exit e;
    const char *argv[] = {"tools/labgen.sh", "tests/fixtures/lab/solutions", dir, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 30, &e) == 0, "cannot run tools/labgen.sh");
    SL_CHECK(e.exited && e.status == 0, "labgen: %s\n%s", sl_exit_describe(&e), e.output);
    const char *files[] = {"calc.c", "calc.h"};
    for (size_t i = 0; i < 2; i++) {
        char made[128], want[128];
        snprintf(made, sizeof made, "%s/99-fixture/%s", dir, files[i]);
        snprintf(want, sizeof want, "tests/fixtures/lab/labs/99-fixture/%s", files[i]);
        char *a = sl_read_file(made), *b = sl_read_file(want);
        SL_CHECK(a && b && strcmp(a, b) == 0,
                 "labgen's %s differs from the committed %s (run: tools/labgen.sh "
                 "tests/fixtures/lab/solutions tests/fixtures/lab/labs)",
                 made, want);
        free(a);
        free(b);
    }
    remove_tree(dir);
}

static void expect_labgen_error(const char *solution, const char *message)
{
    char dir[64], lab[128], file[160], out[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(lab, sizeof lab, "%s/sol/01-x", dir);
    snprintf(file, sizeof file, "%s/main.c", lab);
    snprintf(out, sizeof out, "%s/out", dir);
    char mk[256];
    snprintf(mk, sizeof mk, "%s/sol", dir);
    mkdir(mk, 0700);
    mkdir(lab, 0700);
    SL_CHECK_FATAL(write_file(file, solution), "cannot write %s", file);
    sl_exit e;
    const char *argv[] = {"tools/labgen.sh", mk, out, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 30, &e) == 0, "cannot run tools/labgen.sh");
    SL_CHECK(e.exited && e.status != 0, "labgen should fail on a malformed block; it gave %s",
             sl_exit_describe(&e));
    SL_CHECK(strstr(e.output, message) != NULL && strstr(e.output, "main.c:"),
             "expected \"main.c:LINE: %s\"; labgen said:\n%s", message, e.output);
    remove_tree(dir);
}

static void test_labgen_rejects_malformed_blocks(void)
{
    need_repo_root();
    expect_labgen_error("int f(void)\n{\n    /* BEGIN SOLUTION TODO(lab 01, step 1): x */\n"
                        "    return 1;\n}\n",
                        "never closed");
    expect_labgen_error("/* BEGIN SOLUTION: no marker */\n/* END SOLUTION */\n",
                        "a solution block must say what to do");
    expect_labgen_error("int x;\n/* END SOLUTION */\n", "END SOLUTION without BEGIN SOLUTION");
    expect_labgen_error("/* BEGIN SOLUTION TODO(lab 01, step 1): x */\n/* STUB\n/* y */\n"
                        "END SOLUTION */\n",
                        "a stub cannot contain */");
}

/* ------------------------------------------------------------ grader */

static void test_grade_fixture_report_and_json(void)
{
    need_repo_root();
    char dir[64], json[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(json, sizeof json, "%s/grade.json", dir);
    char suite[4096];
    snprintf(suite, sizeof suite, "%s", sl_path("progs/fixture_suite"));
    char grade[4096];
    snprintf(grade, sizeof grade, "%s", sl_path("../../tools/grade"));
    sl_exit e;
    const char *argv[] = {grade,        "--json", json,  "--timeout", "20", "--lab",
                          "99-fixture", suite,    suite, "-",         NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 60, &e) == 0, "cannot run %s", grade);
    SL_CHECK(e.exited && e.status == 0, "a report with failures still exits 0; got %s",
             sl_exit_describe(&e));
    char *want_report = sl_read_file("tests/fixtures/lab/expected-report.txt");
    char *want_json = sl_read_file("tests/fixtures/lab/expected-grade.json");
    char *got_json = sl_read_file(json);
    hide_path(e.output, suite);
    hide_path(got_json, suite);
    SL_CHECK_FATAL(want_report && want_json, "the fixture's expected-* files are missing");
    SL_CHECK(strcmp(e.output, want_report) == 0,
             "the report differs from tests/fixtures/lab/expected-report.txt; it reads:\n%s",
             e.output);
    SL_CHECK(got_json && strcmp(got_json, want_json) == 0,
             "grade.json differs from tests/fixtures/lab/expected-grade.json; it reads:\n%s",
             got_json ? got_json : "(no file)");
    free(want_report);
    free(want_json);
    free(got_json);
    remove_tree(dir);
}

static void test_grade_build_failure_scores_zero(void)
{
    need_repo_root();
    char dir[64], log[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s/build.log", dir);
    SL_CHECK_FATAL(write_file(log, "cc -c calc.c\ncalc.c:12:5: error: expected ';' before '}'\n"),
                   "cannot write the build log");
    char suite[4096], grade[4096];
    snprintf(suite, sizeof suite, "%s", sl_path("progs/fixture_suite"));
    snprintf(grade, sizeof grade, "%s", sl_path("../../tools/grade"));
    sl_exit e;
    const char *argv[] = {grade, "--lab", "99-fixture", "/nonexistent/suite", suite, log, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 60, &e) == 0, "cannot run %s", grade);
    SL_CHECK(e.exited && e.status == 1, "a lab that does not build must exit 1; got %s",
             sl_exit_describe(&e));
    SL_CHECK(strstr(e.output, "BUILD FAILED") && strstr(e.output, "expected ';' before '}'") &&
                 strstr(e.output, "Score: 0/8"),
             "expected BUILD FAILED, the compiler's error and Score: 0/8; got:\n%s", e.output);
    remove_tree(dir);
}

static void test_grade_without_labs_writes_empty_results(void)
{
    char dir[64], json[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(json, sizeof json, "%s/grade.json", dir);
    char grade[4096];
    snprintf(grade, sizeof grade, "%s", sl_path("../../tools/grade"));
    sl_exit e;
    const char *argv[] = {grade, "--json", json, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 60, &e) == 0, "cannot run %s", grade);
    SL_CHECK(e.exited && e.status == 0, "no labs is not an error; got %s", sl_exit_describe(&e));
    char *got = sl_read_file(json);
    const char *want = "{\n  \"score\": 0,\n  \"max_score\": 0,\n  \"tests\": [\n  ]\n}\n";
    SL_CHECK(got && strcmp(got, want) == 0, "expected an empty result:\n%s\ngot:\n%s", want,
             got ? got : "(no file)");
    free(got);
    remove_tree(dir);
}

static const sl_test harness_tests[] = {
    SL_TEST(test_harness_server_roundtrip, 1, NULL),
    SL_TEST(test_harness_reply_mismatch_says_sent_expected_got, 1, NULL),
    SL_TEST(test_harness_reply_timeout_says_nothing_came, 1, NULL),
    SL_TEST(test_harness_reply_eof_says_connection_closed, 1, NULL),
    SL_TEST(test_harness_resp_words, 1, NULL),
    SL_TEST(test_harness_audit_finds_leaked_fd, 1, NULL),
    SL_TEST(test_harness_audit_finds_leaked_child, 1, NULL),
    SL_TEST(test_harness_watchdog_ends_a_hang, 1, NULL),
    SL_TEST(test_harness_exit_status_is_one_not_a_count, 1, NULL),
    SL_TEST(test_harness_clean_test_passes, 1, NULL),
    SL_TEST(test_harness_unclean_server_exit_fails, 1, NULL),
    SL_TEST(test_harness_server_that_never_listens_fails, 1, NULL),
    SL_TEST(test_harness_child_crash_described, 1, NULL),
    SL_TEST(test_harness_program_timeout, 1, NULL),
    SL_TEST_END,
};

static const sl_test tool_tests[] = {
    SL_TEST(test_labgen_fixture_matches_committed_skeleton, 1, NULL),
    SL_TEST(test_labgen_rejects_malformed_blocks, 1, NULL),
    SL_TEST(test_grade_fixture_report_and_json, 1, NULL),
    SL_TEST(test_grade_build_failure_scores_zero, 1, NULL),
    SL_TEST(test_grade_without_labs_writes_empty_results, 1, NULL),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"harness", harness_tests, 60},
    {"tools", tool_tests, 120},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
