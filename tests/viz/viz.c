/*
 * tests/viz - the scheduler visualizer (tools/schedviz), tested as a student uses it: as a
 * program, on trace files.
 *
 * Chapter: chapters/reading-the-pictures.md
 *
 * Fixtures: tests/viz/traces/NAME.trace are small hand-written scenarios (each file's comment
 * says what it shows); tests/viz/traces/bad/ holds broken files. Golden outputs in
 * tests/viz/expected/ pin the report and the lane slices byte for byte: the numbers in
 * them were checked by hand against the traces. To re-pin after a deliberate change:
 *     schedviz --report T > expected/NAME.report; schedviz --lanes T > expected/NAME.lanes
 * and read the diff before committing it.
 *
 * The suite runs from the repository's root (make check); schedviz is found at
 * sl_path("../../tools/schedviz"), the benchmark at sl_path("../../bench/viz").
 */
#include "harness.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const scenarios[] = {"channel", "lock", "steal", "exits"};
enum { NSCENARIOS = sizeof scenarios / sizeof *scenarios };

/* ------------------------------------------------------------ helpers */

static bool write_bytes(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    fwrite(bytes, 1, n, f);
    return fclose(f) == 0;
}

static void need_repo_root(void)
{
    SL_CHECK_FATAL(access("tests/viz/traces/channel.trace", R_OK) == 0,
                   "this suite runs from the repository's root (tests/viz/traces/ not found); "
                   "run it with make check");
}

/* Runs schedviz with the arguments (NULL-terminated); the result stays valid until the
 * next call. */
/* (no sentinel attribute: schedviz(NULL) runs it with no arguments at all) */
static sl_exit *schedviz(const char *first, ...);
static sl_exit *schedviz(const char *first, ...)
{
    static sl_exit e;
    static char tool[4096];
    snprintf(tool, sizeof tool, "%s", sl_path("../../tools/schedviz"));
    const char *argv[16] = {tool};
    int n = 1;
    va_list args;
    va_start(args, first);
    for (const char *a = first; a && n < 15; a = va_arg(args, const char *))
        argv[n++] = a;
    va_end(args);
    argv[n] = NULL;
    SL_CHECK_FATAL(sl_run_program(argv, 60, &e) == 0, "cannot start %s (is it built?)", tool);
    return &e;
}

static void check_exit(const sl_exit *e, int status, const char *what)
{
    SL_CHECK(e->exited && e->status == status, "%s: expected exit status %d, got %s\noutput:\n%s",
             what, status, sl_exit_describe(e), e->output);
}

/* The first line where two texts differ, for a readable golden-file failure. */
static void check_same_text(const char *got, const char *expected, const char *what)
{
    if (strcmp(got, expected) == 0) {
        CU_PASS(what);
        return;
    }
    int line = 1;
    const char *g = got, *x = expected;
    for (; *g && *g == *x; g++, x++)
        line += *g == '\n';
    const char *g_end = strchr(g, '\n'), *x_end = strchr(x, '\n');
    SL_FAIL("%s differs from the golden file at line %d:\nexpected: %.*s\ngot:      %.*s\n(whole "
            "output:\n%s)",
            what, line, x_end ? (int)(x_end - x) : (int)strlen(x), x,
            g_end ? (int)(g_end - g) : (int)strlen(g), g, got);
}

static void make_temp_dir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/spawnlab-viz-XXXXXX");
    SL_CHECK_FATAL(mkdtemp(dir) != NULL, "cannot create a temporary directory");
}

static void remove_tree(const char *dir)
{
    const char *argv[] = {"/bin/rm", "-rf", dir, NULL};
    static sl_exit e;
    sl_run_program(argv, 10, &e);
}

/* ------------------------------------------------------------ golden outputs */

static void check_golden(const char *scenario, const char *option, const char *extension)
{
    char trace[256], expected_path[256], what[300];
    snprintf(trace, sizeof trace, "tests/viz/traces/%s.trace", scenario);
    snprintf(expected_path, sizeof expected_path, "tests/viz/expected/%s.%s", scenario, extension);
    snprintf(what, sizeof what, "schedviz %s %s", option, trace);
    char *expected = sl_read_file(expected_path);
    SL_CHECK_FATAL(expected != NULL, "cannot read the golden file %s", expected_path);
    sl_exit *e = schedviz(option, trace, NULL);
    check_exit(e, 0, what);
    check_same_text(e->output, expected, what);
    free(expected);
}

static void test_viz_report_golden(void)
{
    need_repo_root();
    for (int i = 0; i < NSCENARIOS; i++)
        check_golden(scenarios[i], "--report", "report");
}

/* The lanes contain exactly the expected slices, in the expected order. */
static void test_viz_lanes_golden(void)
{
    need_repo_root();
    for (int i = 0; i < NSCENARIOS; i++)
        check_golden(scenarios[i], "--lanes", "lanes");
}

static void test_viz_ascii_golden(void)
{
    need_repo_root();
    check_golden("channel", "--ascii", "ascii");
}

static void test_viz_report_is_the_default(void)
{
    need_repo_root();
    char *expected = sl_read_file("tests/viz/expected/lock.report");
    SL_CHECK_FATAL(expected != NULL, "cannot read tests/viz/expected/lock.report");
    sl_exit *e = schedviz("tests/viz/traces/lock.trace", NULL);
    check_exit(e, 0, "schedviz TRACE");
    check_same_text(e->output, expected, "schedviz TRACE (no option)");
    free(expected);
}

/* ------------------------------------------------------------ Graphviz accepts every view */

/* The program's path from PATH (sl_run_program does not search it). Static buffer. */
static const char *in_path(const char *program)
{
    static char found[4096];
    const char *path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
    for (const char *dir = path; *dir;) {
        size_t n = strcspn(dir, ":");
        snprintf(found, sizeof found, "%.*s/%s", (int)n, dir, program);
        if (access(found, X_OK) == 0)
            return found;
        dir += n + (dir[n] == ':');
    }
    return program;
}

/* Runs a Graphviz engine on a DOT file: it must exit 0 and warn about nothing. */
static void check_graphviz(const char *engine, const char *flag, const char *dot_path)
{
    char program[4096];
    snprintf(program, sizeof program, "%s", in_path(engine));
    const char *argv[] = {program, flag, "-Tsvg", dot_path, "-o", "/dev/null", NULL};
    const char *argv_plain[] = {program, "-Tsvg", dot_path, "-o", "/dev/null", NULL};
    static sl_exit e;
    SL_CHECK_FATAL(sl_run_program(flag ? argv : argv_plain, 60, &e) == 0,
                   "cannot run %s (apt-get install graphviz)", engine);
    SL_CHECK(e.exited && e.status == 0 && e.output[0] == '\0',
             "%s %s -Tsvg %s: expected exit 0 and no warnings, got %s:\n%s", engine,
             flag ? flag : "", dot_path, sl_exit_describe(&e), e.output);
}

static void test_viz_dot_accepted_by_graphviz(void)
{
    need_repo_root();
    char dir[64], timeline[128], graph[128], trace[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(timeline, sizeof timeline, "%s/timeline.dot", dir);
    snprintf(graph, sizeof graph, "%s/graph.dot", dir);
    for (int i = 0; i < NSCENARIOS; i++) {
        snprintf(trace, sizeof trace, "tests/viz/traces/%s.trace", scenarios[i]);
        check_exit(schedviz("--timeline", timeline, "--graph", graph, trace, NULL), 0, trace);
        check_graphviz("dot", NULL, timeline);
        check_graphviz("neato", "-n2", timeline);
        check_graphviz("dot", NULL, graph);
    }
    remove_tree(dir);
}

static void test_viz_svg_and_png_rendered(void)
{
    need_repo_root();
    char dir[64], path[128];
    make_temp_dir(dir, sizeof dir);
    check_exit(schedviz("--svg", dir, "--png", dir, "tests/viz/traces/channel.trace", NULL), 0,
               "--svg --png");
    const char *files[] = {"timeline.svg", "graph.svg",    "timeline.png",
                           "graph.png",    "timeline.dot", "graph.dot"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        char *text = sl_read_file(path);
        SL_CHECK(text && strlen(text) > 0, "--svg/--png did not write %s", files[i]);
        free(text);
    }
    remove_tree(dir);
}

/* The JSON is well formed: brackets balance outside strings, and it is one object. */
static void test_viz_perfetto_json(void)
{
    need_repo_root();
    sl_exit *e = schedviz("--perfetto", "-", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 0, "--perfetto -");
    int depth = 0, closings_to_zero = 0;
    bool in_string = false;
    for (const char *p = e->output; *p; p++) {
        if (in_string && *p == '\\')
            p++;
        else if (*p == '"')
            in_string = !in_string;
        else if (!in_string && (*p == '{' || *p == '['))
            depth++;
        else if (!in_string && (*p == '}' || *p == ']'))
            closings_to_zero += --depth == 0;
    }
    SL_CHECK(depth == 0 && !in_string && closings_to_zero == 1,
             "the Perfetto JSON does not balance (one top-level object expected):\n%s", e->output);
    SL_CHECK(strncmp(e->output, "{\"displayTimeUnit\"", 18) == 0,
             "the JSON should start with the trace object");
    SL_CHECK(strstr(e->output, "\"name\":\"producer\",") ||
                 strstr(e->output, "\"name\":\"producer #2\""),
             "the JSON should contain the producer's slices:\n%s", e->output);
    SL_CHECK(strstr(e->output, "\"ph\":\"s\"") && strstr(e->output, "\"ph\":\"f\""),
             "the JSON should draw wake-ups as flow events (s -> f)");
}

/* ------------------------------------------------------------ bad input: a clear error, never a
 * crash */

static void check_bad(const char *path, const char *message)
{
    sl_exit *e = schedviz(path, NULL);
    check_exit(e, 1, path);
    SL_CHECK(strstr(e->output, message) != NULL,
             "schedviz %s: expected the message to say \"%s\", got:\n%s", path, message, e->output);
}

static void test_viz_bad_traces_clear_errors(void)
{
    need_repo_root();
    check_bad("tests/viz/traces/bad/truncated.trace", "truncated.trace:6: unknown event 'sto'");
    check_bad("tests/viz/traces/bad/wrong_version.trace", "version '2' is not supported");
    check_bad("tests/viz/traces/bad/garbled.trace", "garbled.trace:6: unknown event 'jump'");
    check_bad("tests/viz/traces/bad/binary.trace", "not a spawnlab trace");
    check_bad("tests/viz/traces/bad/empty.trace", "not a spawnlab trace");
    check_bad("tests/viz/traces/bad/wrong_stop.trace",
              "stop of other #2 on worker 0, which runs main #1");
    check_bad("tests/viz/traces/bad/double_run.trace",
              "worker 0 starts other #2 while main #1 still runs there");
    check_bad("tests/viz/traces/no-such-file.trace", "cannot open");
}

/* A trace cut at any byte (here every 5th) parses or fails cleanly: status 0 or 1, never a signal.
 */
static void test_viz_truncated_anywhere(void)
{
    need_repo_root();
    char *text = sl_read_file("tests/viz/traces/channel.trace");
    SL_CHECK_FATAL(text != NULL, "cannot read tests/viz/traces/channel.trace");
    char dir[64], path[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cut.trace", dir);
    size_t length = strlen(text);
    for (size_t cut = 0; cut < length; cut += 5) {
        write_bytes(path, text, cut);
        sl_exit *e = schedviz("--report", "--lanes", "--timeline", "/dev/null", path, NULL);
        SL_CHECK(e->exited &&
                     (e->status == 0 || (e->status == 1 && strstr(e->output, "schedviz: "))),
                 "cut after %zu bytes: expected exit 0 or a clear error (exit 1), got %s:\n%s", cut,
                 sl_exit_describe(e), e->output);
    }
    remove_tree(dir);
    free(text);
}

/* Random byte changes (seeded; the seed is in the failure message) never crash the tool. */
static void test_viz_garbled_bytes(void)
{
    need_repo_root();
    char *text = sl_read_file("tests/viz/traces/lock.trace");
    SL_CHECK_FATAL(text != NULL, "cannot read tests/viz/traces/lock.trace");
    char dir[64], path[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/garbled.trace", dir);
    unsigned seed = (unsigned)getpid();
    srand(seed);
    size_t length = strlen(text);
    const char replacements[] = "0123456789 -\n#xzq\x01\xff";
    for (int round = 0; round < 60; round++) {
        char *copy = strdup(text);
        for (int k = 0; k < 3; k++)
            copy[60 + (size_t)rand() % (length - 60)] =
                replacements[rand() % (int)(sizeof replacements - 1)];
        write_bytes(path, copy, length);
        sl_exit *e =
            schedviz("--report", "--graph", "/dev/null", "--timeline", "/dev/null", path, NULL);
        SL_CHECK(e->exited && (e->status == 0 || e->status == 1),
                 "garbled trace (seed %u, round %d): expected exit 0 or 1, got %s:\n%s\ntrace:\n%s",
                 seed, round, sl_exit_describe(e), e->output, copy);
        free(copy);
    }
    remove_tree(dir);
    free(text);
}

static void test_viz_usage_errors(void)
{
    need_repo_root();
    sl_exit *e = schedviz(NULL);
    check_exit(e, 2, "schedviz with no trace");
    SL_CHECK(strstr(e->output, "which trace?"), "no TRACE should ask for one, got:\n%s", e->output);
    e = schedviz("--from", "1.5xs", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 2, "--from 1.5xs");
    SL_CHECK(strstr(e->output, "'1.5xs' is not a time"), "a bad time should be named, got:\n%s",
             e->output);
    e = schedviz("--bogus", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 2, "--bogus");
    e = schedviz("--help", NULL);
    check_exit(e, 0, "--help");
    SL_CHECK(strstr(e->output, "usage: schedviz"), "--help should print the usage, got:\n%s",
             e->output);
}

/* ------------------------------------------------------------ focus: window and task filters */

static void test_viz_window_filter(void)
{
    need_repo_root();
    sl_exit *e = schedviz("--lanes", "--from", "3us", "--to", "5000ns",
                          "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 0, "--from 3us --to 5000ns");
    check_same_text(e->output,
                    "# worker\tstart_ns\tend_ns\ttask\tname\tstopped\n"
                    "0\t2100\t4000\t2\tproducer\tpark\n"
                    "1\t3100\t7000\t3\tconsumer\texit\n",
                    "the slices that touch 3 us .. 5 us");
    e = schedviz("--report", "--from", "0.003ms", "--to", "5us", "tests/viz/traces/channel.trace",
                 NULL);
    check_exit(e, 0, "--report with a window");
    SL_CHECK(strstr(e->output, "window: 3.000 \xc2\xb5s .. 5.000 \xc2\xb5s (2.000 \xc2\xb5s)"),
             "the report should state its window, got:\n%s", e->output);
    /* In 3..5 us the producer ran 3.0..4.0 (1 us) and waited on the full channel 4.0..5.0. */
    SL_CHECK(
        strstr(e->output,
               "   2  producer      main #1             1     1.000 \xc2\xb5s     1.000 \xc2\xb5s"),
        "the producer's numbers should be clipped to the window, got:\n%s", e->output);
}

static void test_viz_task_filter(void)
{
    need_repo_root();
    sl_exit *e = schedviz("--lanes", "--task", "producer", "--task", "#3",
                          "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 0, "--task producer --task #3");
    check_same_text(e->output,
                    "# worker\tstart_ns\tend_ns\ttask\tname\tstopped\n"
                    "0\t2100\t4000\t2\tproducer\tpark\n"
                    "0\t5200\t5400\t2\tproducer\texit\n"
                    "1\t1800\t2400\t3\tconsumer\tpark\n"
                    "1\t3100\t7000\t3\tconsumer\texit\n",
                    "the slices of producer and task #3");
    e = schedviz("--report", "--task", "2", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 0, "--report --task 2");
    SL_CHECK(strstr(e->output, "producer") && !strstr(e->output, "   3  consumer"),
             "--task 2 should show the producer only, got:\n%s", e->output);
}

static void test_viz_filter_errors(void)
{
    need_repo_root();
    sl_exit *e = schedviz("--task", "nosuch", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 1, "--task nosuch");
    SL_CHECK(strstr(e->output, "--task 'nosuch': no task") && strstr(e->output, "producer #2"),
             "an unknown task should be named, with the tasks that exist, got:\n%s", e->output);
    e = schedviz("--from", "5us", "--to", "3us", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 1, "--from 5us --to 3us");
    SL_CHECK(strstr(e->output, "the window is empty"), "an inverted window should say so, got:\n%s",
             e->output);
    e = schedviz("--from", "1s", "tests/viz/traces/channel.trace", NULL);
    check_exit(e, 1, "--from 1s");
    SL_CHECK(strstr(e->output, "outside the trace"),
             "a window past the end should say so, got:\n%s", e->output);
}

/* ------------------------------------------------------------ big traces */

/* Runs bench/viz (the one generator of big traces); returns its output, or NULL. */
static sl_exit *run_bench(const char *events, const char *keep)
{
    static sl_exit e;
    static char bench[4096];
    snprintf(bench, sizeof bench, "%s", sl_path("../../bench/viz"));
    const char *argv[] = {bench, "--events", events, keep ? "--keep" : NULL, keep, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 100, &e) == 0, "cannot start %s (is it built?)", bench);
    SL_CHECK_FATAL(e.exited && e.status == 0, "%s --events %s: %s\n%s", bench, events,
                   sl_exit_describe(&e), e.output);
    return &e;
}

static void test_viz_big_trace_aggregates(void)
{
    char dir[64], trace[128], timeline[128], graph[128];
    make_temp_dir(dir, sizeof dir);
    snprintf(trace, sizeof trace, "%s/big.trace", dir);
    snprintf(timeline, sizeof timeline, "%s/timeline.dot", dir);
    snprintf(graph, sizeof graph, "%s/graph.dot", dir);
    run_bench("40000", trace);
    check_exit(schedviz("--timeline", timeline, "--graph", graph, trace, NULL), 0,
               "a 40000-event trace");
    char *dot = sl_read_file(timeline), *tasks = sl_read_file(graph);
    SL_CHECK_FATAL(dot && tasks, "the DOT files were not written");
    size_t boxes = 0;
    for (const char *p = dot; (p = strstr(p, "\n  b")); p++)
        boxes++;
    SL_CHECK(boxes > 0 && boxes < 2000,
             "the timeline should merge short runs into few boxes, got %zu", boxes);
    SL_CHECK(strstr(dot, "many short runs merged") && strstr(dot, "wake-ups drawn"),
             "the legend should say what was aggregated");
    SL_CHECK(strstr(tasks, "conn  x200 tasks"),
             "the task graph should group the 200 conn tasks into one node");
    check_graphviz("neato", "-n2", timeline);
    check_graphviz("dot", NULL, graph);
    free(dot), free(tasks);
    remove_tree(dir);
}

/* The issue asks for a report of a 1,000,000-event trace in under 2 s; bench/viz measures
 * it (make bench). Here a generous bound catches only a pathology (say, a quadratic loop),
 * so the test does not flake on a busy machine or under a sanitizer. */
static void test_viz_report_1m_events_fast(void)
{
    double bound = 10;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    bound = 40;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    bound = 40;
#endif
#endif
    sl_exit *e = run_bench("1000000", NULL);
    const char *line = strstr(e->output, "viz_report_1m_events_s\t");
    SL_CHECK_FATAL(line != NULL, "bench/viz printed no viz_report_1m_events_s line:\n%s",
                   e->output);
    double seconds = atof(line + strlen("viz_report_1m_events_s\t"));
    SL_CHECK(seconds > 0 && seconds < bound,
             "the report of 1,000,000 events took %.3f s (bound %.0f s)", seconds, bound);
    printf("\n    viz_report_1m_events_s = %.3f s ", seconds);
}

/* ------------------------------------------------------------ the suite */

static const sl_test viz_tests[] = {
    SL_TEST(test_viz_report_golden, 1, "chapters/reading-the-pictures.md#the-report"),
    SL_TEST(test_viz_lanes_golden, 1, "chapters/reading-the-pictures.md#in-the-terminal"),
    SL_TEST(test_viz_ascii_golden, 1, "chapters/reading-the-pictures.md#in-the-terminal"),
    SL_TEST(test_viz_report_is_the_default, 1, NULL),
    SL_TEST(test_viz_dot_accepted_by_graphviz, 1, NULL),
    SL_TEST(test_viz_svg_and_png_rendered, 1, NULL),
    SL_TEST(test_viz_perfetto_json, 1, "chapters/reading-the-pictures.md#big-traces"),
    SL_TEST(test_viz_bad_traces_clear_errors, 1, NULL),
    SL_TEST(test_viz_truncated_anywhere, 1, NULL),
    SL_TEST(test_viz_garbled_bytes, 1, NULL),
    SL_TEST(test_viz_usage_errors, 1, NULL),
    SL_TEST(test_viz_window_filter, 1, "chapters/reading-the-pictures.md#focusing-on-a-part"),
    SL_TEST(test_viz_task_filter, 1, "chapters/reading-the-pictures.md#focusing-on-a-part"),
    SL_TEST(test_viz_filter_errors, 1, NULL),
    SL_TEST(test_viz_big_trace_aggregates, 1, "chapters/reading-the-pictures.md#big-traces"),
    SL_TEST(test_viz_report_1m_events_fast, 1, NULL),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"viz", viz_tests, 180},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
