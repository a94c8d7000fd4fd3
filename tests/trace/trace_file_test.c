/*
 * trace_file_test.c - the trace file format (rt_trace_file.h): what the runtime writes,
 * the reader reads back exactly; what is not a valid trace gets an error that names the
 * line and the problem, never a crash.
 */
#include "harness.h"
#include "trace_tests.h"
#include "rt_trace_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A temporary file holding text; the path is returned in path (caller unlinks). */
static void write_temp(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/spawnlab-trace-XXXXXX");
    int fd = mkstemp(path);
    SL_CHECK_FATAL(fd >= 0, "cannot create a temporary file");
    size_t n = strlen(text);
    SL_CHECK_FATAL(write(fd, text, n) == (ssize_t)n, "cannot write %s", path);
    close(fd);
}

/* One record of every event, with every field set to something distinct. */
static const rt_trace_record every_event[] = {
    {0, 0, RT_TRACE_SPAWN, 1, 0, 0, 0, NULL, "main", 0},
    {10, 0, RT_TRACE_RUN, 1, 0, 0, 0, NULL, NULL, 0},
    {20, 0, RT_TRACE_SPAWN, 2, 1, 0, 0, NULL, "conn 127.0.0.1:5000", 0},
    {25, 0, RT_TRACE_OBJECT, 0, 0, 0, 0x5581e2a0, "mpsc", "jobs", 0},
    {30, 0, RT_TRACE_SEND, 1, 2, 0, 0x5581e2a0, NULL, NULL, 0},
    {35, 0, RT_TRACE_WAKE, 2, 1, 0, 0, "send", NULL, 0},
    {40, 0, RT_TRACE_PARK, 1, 0, 0, 0x5581e2a0, "channel", NULL, 0},
    {40, 0, RT_TRACE_STOP, 1, 0, 0, 0, "park", NULL, 0},
    {50, 1, RT_TRACE_STEAL, 0, 0, 3, 0, NULL, NULL, 0},
    {55, 1, RT_TRACE_RUN, 2, 0, 0, 0, NULL, NULL, 0},
    {60, 1, RT_TRACE_RECV, 2, 1, 0, 0x5581e2a0, NULL, NULL, 0},
    {61, 1, RT_TRACE_LOCK_WAIT, 2, 0, 0, 0x10, NULL, NULL, 0},
    {62, 1, RT_TRACE_LOCK_ACQUIRE, 2, 0, 0, 0x10, NULL, NULL, 0},
    {63, 1, RT_TRACE_LOCK_RELEASE, 2, 0, 0, 0x10, NULL, NULL, 0},
    {64, 1, RT_TRACE_MARK, 2, 0, 0, 0, NULL, "served 3 commands", 0},
    {70, 1, RT_TRACE_EXIT, 2, 0, 0, 0, "panicked", NULL, 0},
    {70, 1, RT_TRACE_STOP, 2, 0, 0, 0, "exit", NULL, 0},
    {71, 1, RT_TRACE_SLEEP, 0, 0, 0, 0, NULL, NULL, 0},
    {80, RT_TRACE_NO_WORKER, RT_TRACE_WAKE, 1, 0, 0, 0, "io", NULL, 0},
    {81, 1, RT_TRACE_WAKEUP, 0, 0, 0, 0, NULL, NULL, 0},
};
enum { NEVERY = sizeof every_event / sizeof every_event[0] };

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void test_trace_round_trip_every_event(void)
{
    char path[64] = "/tmp/spawnlab-trace-XXXXXX";
    int fd = mkstemp(path);
    SL_CHECK_FATAL(fd >= 0, "cannot create a temporary file");
    FILE *out = fdopen(fd, "w");
    SL_CHECK(rt_trace_write_header(out, RT_TRACE_CLOCK_VIRTUAL, 2) == 0, "header not written");
    for (int i = 0; i < NEVERY; i++) {
        int rc = rt_trace_write_record(out, &every_event[i]);
        SL_CHECK(rc == 0, "writing a '%s' record failed: %d",
                 rt_trace_event_name(every_event[i].event), rc);
    }
    fclose(out);

    rt_trace *t = NULL;
    char err[256] = "";
    int rc = rt_trace_read(path, &t, err, sizeof err);
    unlink(path);
    SL_CHECK_FATAL(rc == 0 && t, "reading back what we wrote failed: %s", err);
    SL_CHECK(t->clock == RT_TRACE_CLOCK_VIRTUAL && t->nworkers == 2,
             "header: expected a virtual clock and 2 workers, got %d and %d", t->clock,
             t->nworkers);
    SL_CHECK_FATAL(t->nrecords == NEVERY, "expected %d records back, got %zu", NEVERY, t->nrecords);
    for (int i = 0; i < NEVERY; i++) {
        const rt_trace_record *w = &every_event[i], *r = &t->records[i];
        SL_CHECK(w->time_ns == r->time_ns && w->worker == r->worker && w->event == r->event &&
                     w->task == r->task && w->a == r->a && w->b == r->b && w->object == r->object &&
                     same_text(w->word, r->word) && same_text(w->text, r->text),
                 "record %d ('%s') did not come back as it was written", i,
                 rt_trace_event_name(w->event));
    }
    rt_trace_free(t);
}

static void test_trace_writer_refuses_invalid_fields(void)
{
    FILE *sink = fopen("/dev/null", "w");
    rt_trace_record bad_word = {0, 0, RT_TRACE_PARK, 1, 0, 0, 0, "coffee", NULL, 0};
    rt_trace_record no_name = {0, 0, RT_TRACE_SPAWN, 1, 0, 0, 0, NULL, NULL, 0};
    rt_trace_record newline = {0, 0, RT_TRACE_MARK, 1, 0, 0, 0, NULL, "two\nlines", 0};
    SL_CHECK(rt_trace_write_record(sink, &bad_word) == -EINVAL, "park reason 'coffee' accepted");
    SL_CHECK(rt_trace_write_record(sink, &no_name) == -EINVAL, "a spawn without a name accepted");
    SL_CHECK(rt_trace_write_record(sink, &newline) == -EINVAL, "a mark with a newline accepted");
    fclose(sink);
}

/* Each malformed file, and the words its error message must contain. */
static const struct {
    const char *text, *message;
} malformed[] = {
    {"", "not a spawnlab trace"},
    {"hello\n", "not a spawnlab trace"},
    {"spawnlab-trace 2\nclock real\n", "version '2' is not supported"},
    {"spawnlab-trace 1\nclock sideways\n", ":2: the clock must be 'real' or 'virtual'"},
    {"spawnlab-trace 1\nworkers 0\n", ":2: 'workers' needs a count"},
    {"spawnlab-trace 1\nworkers 1\n5 0 jump 1\n", ":3: unknown event 'jump'"},
    {"spawnlab-trace 1\nworkers 1\n5 0 run\n", ":3: the line ends where the task id was expected"},
    {"spawnlab-trace 1\nworkers 1\n5 0 run x1\n",
     ":3: the task id must be an unsigned number, not 'x1'"},
    {"spawnlab-trace 1\nworkers 1\n5 0 run -1\n", ":3: the task id must be an unsigned number"},
    {"spawnlab-trace 1\nworkers 1\n5 0 run 1 2\n", ":3: unexpected '2' at the end of a 'run' line"},
    {"spawnlab-trace 1\nworkers 1\n9 0 run 1\n5 0 run 1\n", ":4: time goes backwards (5 after 9)"},
    {"spawnlab-trace 1\nworkers 2\n5 2 run 1\n", ":3: worker 2 does not exist"},
    {"spawnlab-trace 1\nworkers 1\n5 zero run 1\n", ":3: the worker must be a worker index or '-'"},
    {"spawnlab-trace 1\nworkers 1\n5 0 park 1 coffee 0\n",
     ":3: 'coffee' is not a valid park reason"},
    {"spawnlab-trace 1\nworkers 1\n5 0 spawn 1 0\n",
     ":3: the line ends where the task's name was expected"},
    {"spawnlab-trace 1\nworkers 1\n5 0 sleep\n", ":3: expected '-' after 'sleep'"},
    {"spawnlab-trace 1\nworkers 1\n5 0 wake 1 0",
     ":3: the line ends where the wake cause was expected"},
    {"spawnlab-trace 1\nworkers 1\n99999999999999999999999 0 run 1\n",
     ":3: the time in ns must be"},
    {"spawnlab-trace 1\nclock real\n5 0 run 1\n", ":3: the header must say how many workers ran"},
};

static void test_trace_reader_names_line_and_problem(void)
{
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        char path[64], err[256] = "";
        write_temp(path, sizeof path, malformed[i].text);
        rt_trace *t = (rt_trace *)&t; /* must be reset to NULL on failure */
        int rc = rt_trace_read(path, &t, err, sizeof err);
        unlink(path);
        SL_CHECK(rc == -EINVAL && t == NULL, "case %zu: expected -EINVAL and no trace, got %d", i,
                 rc);
        SL_CHECK(strstr(err, malformed[i].message) != NULL,
                 "case %zu: expected an error containing \"%s\", got \"%s\"", i,
                 malformed[i].message, err);
    }
}

static void test_trace_reader_handles_nul_bytes_and_missing_file(void)
{
    char path[64] = "/tmp/spawnlab-trace-XXXXXX", err[256] = "";
    int fd = mkstemp(path);
    SL_CHECK_FATAL(fd >= 0, "cannot create a temporary file");
    SL_CHECK_FATAL(write(fd, "spawnlab-trace 1\n\0\0\0", 20) == 20, "write failed");
    close(fd);
    rt_trace *t = NULL;
    SL_CHECK(rt_trace_read(path, &t, err, sizeof err) == -EINVAL && strstr(err, "NUL bytes"),
             "a file with NUL bytes: got \"%s\"", err);
    unlink(path);
    SL_CHECK(rt_trace_read("/nonexistent/trace", &t, err, sizeof err) == -ENOENT &&
                 strstr(err, "cannot open"),
             "a missing file: got \"%s\"", err);
}

static void test_trace_reader_skips_comments_and_crlf(void)
{
    char path[64], err[256] = "";
    write_temp(path, sizeof path,
               "spawnlab-trace 1\r\n# written by hand\r\nworkers 1\r\n\r\n0 0 spawn 1 0 a b\r\n");
    rt_trace *t = NULL;
    int rc = rt_trace_read(path, &t, err, sizeof err);
    unlink(path);
    SL_CHECK_FATAL(rc == 0, "expected a valid trace, got: %s", err);
    SL_CHECK(t->nrecords == 1 && strcmp(t->records[0].text, "a b") == 0,
             "expected one spawn named 'a b', got %zu records", t->nrecords);
    rt_trace_free(t);
}

const sl_test trace_file_tests[] = {
    SL_TEST(test_trace_round_trip_every_event, 1, NULL),
    SL_TEST(test_trace_writer_refuses_invalid_fields, 1, NULL),
    SL_TEST(test_trace_reader_names_line_and_problem, 1, NULL),
    SL_TEST(test_trace_reader_handles_nul_bytes_and_missing_file, 1, NULL),
    SL_TEST(test_trace_reader_skips_comments_and_crlf, 1, NULL),
    SL_TEST_END,
};
