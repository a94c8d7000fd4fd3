/*
 * bench/viz - how fast schedviz turns a big trace into a report and a timeline.
 *
 *   viz [--events N] [--keep FILE]
 *
 * Writes a synthetic trace of about N events (default 1,000,000) with the runtime's own
 * trace writer (rt_trace_file.h), runs the schedviz binary built next to us on it, and
 * prints "metric<TAB>value<TAB>unit" lines (what `make bench` collects):
 *
 *     viz_report_1m_events_s      wall time of `schedviz --report` (the issue asks < 2 s)
 *     viz_timeline_1m_events_s    wall time of `schedviz --timeline` (aggregated picture)
 *
 * The scenario is a server in miniature: 4 workers, 200 "conn" tasks that each run, take
 * the "db" lock, send to the "log" channel and park on I/O; one "logger" task receives.
 * The tests/viz suite runs this program with a generous bound, so the generator has one
 * home. Exit status: 0, or 1 when the trace cannot be written or schedviz fails.
 */
#include "rt_trace_file.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4, CONNS = 200 };
static const uint64_t DB = 0xdb, LOG = 0x106;

static int put(FILE *out, uint64_t t, int worker, rt_trace_event event, uint64_t task, uint64_t a,
               uint64_t object, const char *word, const char *text)
{
    rt_trace_record r = {.time_ns = t,
                         .worker = worker,
                         .event = event,
                         .task = task,
                         .a = a,
                         .object = object,
                         .word = word,
                         .text = text};
    return rt_trace_write_record(out, &r);
}

/* One round of one connection task on its worker: 13 events, 1.3 µs of trace time. */
static int conn_round(FILE *out, uint64_t *t, int worker, uint64_t task)
{
    int rc = 0;
    rc |= put(out, *t, -1, RT_TRACE_WAKE, task, 0, 0, "io", NULL);
    rc |= put(out, *t += 100, worker, RT_TRACE_RUN, task, 0, 0, NULL, NULL);
    rc |= put(out, *t += 100, worker, RT_TRACE_LOCK_WAIT, task, 0, DB, NULL, NULL);
    rc |= put(out, *t += 100, worker, RT_TRACE_LOCK_ACQUIRE, task, 0, DB, NULL, NULL);
    rc |= put(out, *t += 300, worker, RT_TRACE_LOCK_RELEASE, task, 0, DB, NULL, NULL);
    rc |= put(out, *t += 100, worker, RT_TRACE_SEND, task, 0, LOG, NULL, NULL);
    rc |= put(out, *t, worker, RT_TRACE_WAKE, CONNS + 2, task, 0, "send", NULL);
    rc |= put(out, *t += 100, worker, RT_TRACE_PARK, task, 0, 0, "io", NULL);
    rc |= put(out, *t, worker, RT_TRACE_STOP, task, 0, 0, "park", NULL);
    /* the logger runs on the same worker, receives, parks on the empty channel */
    rc |= put(out, *t += 100, worker, RT_TRACE_RUN, CONNS + 2, 0, 0, NULL, NULL);
    rc |= put(out, *t += 200, worker, RT_TRACE_RECV, CONNS + 2, task, LOG, NULL, NULL);
    rc |= put(out, *t += 100, worker, RT_TRACE_PARK, CONNS + 2, 0, LOG, "channel", NULL);
    rc |= put(out, *t, worker, RT_TRACE_STOP, CONNS + 2, 0, 0, "park", NULL);
    return rc;
}

static int write_trace(const char *path, long events)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return -1;
    int rc = rt_trace_write_header(out, RT_TRACE_CLOCK_VIRTUAL, WORKERS);
    uint64_t t = 0;
    rc |= put(out, t, 0, RT_TRACE_SPAWN, 1, 0, 0, NULL, "main");
    rc |= put(out, t, 0, RT_TRACE_OBJECT, 0, 0, DB, "mutex", "db");
    rc |= put(out, t, 0, RT_TRACE_OBJECT, 0, 0, LOG, "mpsc", "log");
    rc |= put(out, t, 0, RT_TRACE_SPAWN, CONNS + 2, 1, 0, NULL, "logger");
    for (uint64_t task = 2; task < CONNS + 2; task++)
        rc |= put(out, t, 0, RT_TRACE_SPAWN, task, 1, 0, NULL, "conn");
    /* Rounds go round-robin over the connections; each worker's time line stays ordered
     * because every round starts after the previous one ended. */
    for (long n = CONNS + 4, round = 0; n < events && rc == 0; n += 13, round++)
        rc |= conn_round(out, &t, (int)(round % WORKERS), 2 + (uint64_t)(round % CONNS));
    return fclose(out) != 0 || rc != 0 ? -1 : 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs schedviz with one option on the trace, output thrown away; returns seconds or -1. */
static double time_schedviz(const char *schedviz, const char *option, const char *arg,
                            const char *trace)
{
    double start = now();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        if (arg)
            execl(schedviz, schedviz, option, arg, trace, (char *)NULL);
        else
            execl(schedviz, schedviz, option, trace, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return now() - start;
}

/* schedviz is built at $(B)/tools/schedviz; we are $(B)/bench/viz. */
static int find_schedviz(char *path, size_t cap)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf(path, cap, "%s/../tools/schedviz", self);
    return access(path, X_OK);
}

int main(int argc, char **argv)
{
    long events = 1000000;
    const char *keep = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--events") == 0)
            events = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = argv[i + 1];
    }
    char schedviz[PATH_MAX + 32], trace[] = "/tmp/spawnlab-viz-bench-XXXXXX";
    if (find_schedviz(schedviz, sizeof schedviz) < 0) {
        fprintf(stderr, "viz: schedviz is not built next to this benchmark (make tools)\n");
        return 1;
    }
    int fd = mkstemp(trace);
    if (fd < 0 || close(fd) < 0 || write_trace(keep ? keep : trace, events) < 0) {
        fprintf(stderr, "viz: cannot write the trace\n");
        unlink(trace);
        return 1;
    }
    const char *path = keep ? keep : trace;
    double report = time_schedviz(schedviz, "--report", NULL, path);
    double timeline = time_schedviz(schedviz, "--timeline", "/dev/null", path);
    unlink(trace);
    if (report < 0 || timeline < 0) {
        fprintf(stderr, "viz: schedviz failed on the generated trace\n");
        return 1;
    }
    printf("viz_report_1m_events_s\t%.3f\ts\n", report * 1e6 / (double)events);
    printf("viz_timeline_1m_events_s\t%.3f\ts\n", timeline * 1e6 / (double)events);
    return 0;
}
