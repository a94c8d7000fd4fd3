/*
 * trace_runtime_test.c - tracing a real runtime: what the scheduler does comes back from
 * the trace file, consistent, and the visualizer draws it.
 */
#include "harness.h"
#include "rt.h"
#include "rt_mpsc.h"
#include "rt_park.h"
#include "rt_time.h"
#include "rt_trace.h"
#include "rt_trace_file.h"
#include "trace_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void trace_path(char *path, size_t cap, const char *what)
{
    snprintf(path, cap, "/tmp/spawnlab-trace-%s-%d.trace", what, (int)getpid());
}

static rt_trace *read_back(const char *path)
{
    rt_trace *t = NULL;
    char err[256] = "";
    int rc = rt_trace_read(path, &t, err, sizeof err);
    SL_CHECK_FATAL(rc == 0, "the runtime's trace does not parse: %s", err);
    return t;
}

/* ------------------------------------------------------------ a small scenario */

static void *yielder(void *arg)
{
    for (int i = 0; i < 3; i++)
        rt_yield();
    return arg;
}

static void *panicker(void *arg)
{
    (void)arg;
    rt_panic("on purpose");
}

static void *sleeper(void *arg)
{
    (void)arg;
    rt_waker w = rt_park_prepare();
    (void)w; /* nobody wakes it: only the abort ends the wait */
    int rc = rt_park(RT_PARK_OTHER, NULL);
    rt_waker_drop(w);
    return (void *)(intptr_t)rc;
}

static void *scenario(void *unused)
{
    (void)unused;
    rt_trace_mark("begin");
    rt_join_handle *a = rt_spawn_named("yielder", yielder, NULL);
    rt_join_handle *p = rt_spawn_named("panicker", panicker, NULL);
    rt_join_handle *s = rt_spawn_named("sleeper", sleeper, NULL);
    rt_yield(); /* let the sleeper park */
    rt_abort(s);
    rt_join(a, NULL, NULL);
    rt_join(p, NULL, NULL);
    rt_join(s, NULL, NULL);
    return NULL;
}

/* Index of the spawn event of the task named name, or -1. */
static long find_spawn(const rt_trace *t, const char *name)
{
    for (size_t i = 0; i < t->nrecords; i++)
        if (t->records[i].event == RT_TRACE_SPAWN && strcmp(t->records[i].text, name) == 0)
            return (long)i;
    return -1;
}

static const char *exit_of(const rt_trace *t, uint64_t task)
{
    for (size_t i = 0; i < t->nrecords; i++)
        if (t->records[i].event == RT_TRACE_EXIT && t->records[i].task == task)
            return t->records[i].word;
    return "(no exit event)";
}

static void test_trace_runtime_records_the_scenario(void)
{
    char path[96];
    trace_path(path, sizeof path, "scenario");
    rt_runtime *rt = rt_runtime_new(&(rt_config){.flavor = RT_CURRENT_THREAD});
    SL_CHECK_FATAL(rt_trace_start(rt, path) == 0, "rt_trace_start failed");
    SL_CHECK(rt_trace_start(rt, path) == -EBUSY, "a second start must say -EBUSY");
    rt_block_on(rt, scenario, NULL, NULL);
    SL_CHECK_FATAL(rt_trace_stop(rt) == 0, "rt_trace_stop failed");
    rt_runtime_free(rt);
    rt_trace *t = read_back(path);
    unlink(path);

    long y = find_spawn(t, "yielder"), p = find_spawn(t, "panicker"), s = find_spawn(t, "sleeper");
    SL_CHECK_FATAL(find_spawn(t, "main") >= 0 || y >= 0, "no spawn events at all");
    SL_CHECK_FATAL(y >= 0 && p >= 0 && s >= 0,
                   "expected spawn events for yielder, panicker and "
                   "sleeper (got %ld %ld %ld)",
                   y, p, s);
    SL_CHECK(strcmp(exit_of(t, t->records[y].task), "returned") == 0, "yielder ended: %s",
             exit_of(t, t->records[y].task));
    SL_CHECK(strcmp(exit_of(t, t->records[p].task), "panicked") == 0, "panicker ended: %s",
             exit_of(t, t->records[p].task));
    SL_CHECK(strcmp(exit_of(t, t->records[s].task), "cancelled") == 0, "sleeper ended: %s",
             exit_of(t, t->records[s].task));

    /* Every run is closed by a stop of the same task on the same worker; yields counted. */
    uint64_t running = 0;
    int yields_of_yielder = 0, abort_wakes = 0, marks = 0;
    for (size_t i = 0; i < t->nrecords; i++) {
        const rt_trace_record *r = &t->records[i];
        if (r->event == RT_TRACE_RUN) {
            SL_CHECK(running == 0, "event %zu: task %llu runs while %llu still runs", i,
                     (unsigned long long)r->task, (unsigned long long)running);
            running = r->task;
        } else if (r->event == RT_TRACE_STOP) {
            SL_CHECK(running == r->task, "event %zu: stop of %llu, but %llu was running", i,
                     (unsigned long long)r->task, (unsigned long long)running);
            running = 0;
            yields_of_yielder += r->task == t->records[y].task && strcmp(r->word, "yield") == 0;
        }
        abort_wakes += r->event == RT_TRACE_WAKE && strcmp(r->word, "abort") == 0 &&
                       r->task == t->records[s].task;
        marks += r->event == RT_TRACE_MARK && strcmp(r->text, "begin") == 0;
    }
    SL_CHECK(yields_of_yielder == 3, "the yielder yields 3 times; the trace shows %d",
             yields_of_yielder);
    SL_CHECK(abort_wakes == 1, "the sleeper is woken once by the abort; the trace shows %d",
             abort_wakes);
    SL_CHECK(marks == 1, "expected the mark 'begin' once, found %d", marks);
    rt_trace_free(t);
}

/* ------------------------------------------------------------ RT_TRACE and the visualizer */

static void traced_program(void *path)
{
    setenv("RT_TRACE", path, 1);
    rt_runtime *rt = rt_runtime_new(&(rt_config){.nworkers = 2});
    rt_block_on(rt, scenario, NULL, NULL);
    rt_runtime_free(rt);
}

static void test_trace_runtime_rt_trace_env_and_schedviz(void)
{
    char path[96];
    trace_path(path, sizeof path, "env");
    sl_exit e;
    SL_CHECK_FATAL(sl_run_in_child(traced_program, path, 30, &e) == 0, "fork failed");
    SL_CHECK(e.exited && e.status == 0, "the traced program: %s\n%s", sl_exit_describe(&e),
             e.output);
    SL_CHECK(strstr(e.output, "trace written to") != NULL,
             "the runtime should say where the trace went; it printed:\n%s", e.output);
    rt_trace *t = read_back(path);
    SL_CHECK(t->nworkers == 2 && t->nrecords > 10,
             "expected a 2-worker trace, got %d workers, "
             "%zu events",
             t->nworkers, t->nrecords);
    rt_trace_free(t);

    char schedviz[4096];
    snprintf(schedviz, sizeof schedviz, "%s", sl_path("../../tools/schedviz"));
    const char *argv[] = {schedviz, "--report", path, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 30, &e) == 0, "cannot run %s", schedviz);
    SL_CHECK(e.exited && e.status == 0 && strstr(e.output, "yielder"),
             "schedviz should report the runtime's trace (%s):\n%s", sl_exit_describe(&e),
             e.output);
    unlink(path);
}

/* ------------------------------------------------------------ stopping mid-run */

static void *busy(void *arg)
{
    for (int i = 0; i < 2000; i++)
        rt_yield();
    return arg;
}

static void *stop_while_busy(void *rt)
{
    rt_join_handle *h[8];
    for (int i = 0; i < 8; i++)
        h[i] = rt_spawn_named("busy", busy, NULL);
    for (int i = 0; i < 200; i++)
        rt_yield();
    int rc = rt_trace_stop(rt); /* the other workers are recording right now */
    for (int i = 0; i < 8; i++)
        rt_join(h[i], NULL, NULL);
    return (void *)(intptr_t)rc;
}

static void test_trace_runtime_stop_while_workers_record(void)
{
    char path[96];
    trace_path(path, sizeof path, "midrun");
    rt_runtime *rt = rt_runtime_new(&(rt_config){.nworkers = 2});
    SL_CHECK_FATAL(rt_trace_start(rt, path) == 0, "rt_trace_start failed");
    void *rc = NULL;
    rt_block_on(rt, stop_while_busy, rt, &rc);
    rt_runtime_free(rt);
    SL_CHECK((intptr_t)rc == 0, "rt_trace_stop from a task returned %d", (int)(intptr_t)rc);
    rt_trace *t = read_back(path);
    SL_CHECK(t->nrecords > 100, "expected a busy trace, got %zu events", t->nrecords);
    rt_trace_free(t);
    unlink(path);
}

/* ------------------------------------------------------------ the make viz scenario */

static void test_trace_runtime_viz_scenario_shows_backpressure(void)
{
    char path[96], program[4096];
    trace_path(path, sizeof path, "channels");
    snprintf(program, sizeof program, "%s", sl_path("../../tools/vizscenario"));
    sl_exit e;
    const char *argv[] = {program, "channels", path, NULL};
    SL_CHECK_FATAL(sl_run_program(argv, 60, &e) == 0, "cannot run %s", program);
    SL_CHECK_FATAL(e.exited && e.status == 0, "vizscenario channels: %s\n%s", sl_exit_describe(&e),
                   e.output);
    rt_trace *t = read_back(path);
    unlink(path);
    int sends = 0, recvs = 0, waits_for_room = 0, released_by_recv = 0;
    for (size_t i = 0; i < t->nrecords; i++) {
        const rt_trace_record *r = &t->records[i];
        sends += r->event == RT_TRACE_SEND;
        recvs += r->event == RT_TRACE_RECV;
        waits_for_room += r->event == RT_TRACE_PARK && strcmp(r->word, "send") == 0;
        released_by_recv += r->event == RT_TRACE_WAKE && strcmp(r->word, "recv") == 0;
    }
    SL_CHECK(sends == 12 && recvs == 12, "expected 12 sends and 12 receives, got %d and %d", sends,
             recvs);
    /* The channel holds 2 and the consumer is slow: producers must have waited for room,
     * and each such wait ends with the consumer's receive making room (or the program
     * ends - not here: every producer finishes). That is backpressure. */
    SL_CHECK(waits_for_room > 0, "no producer ever waited for room: no backpressure shown");
    SL_CHECK(released_by_recv == waits_for_room, "%d waits for room, but %d wakes by a receive",
             waits_for_room, released_by_recv);
    rt_trace_free(t);
}

/* ------------------------------------------------------------ a deadline's wake */

static void *wait_past_deadline(void *unused)
{
    (void)unused;
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_mpsc_new(&(rt_channel_config){.elem_size = sizeof(int), .capacity = 1}, &tx, &rx);
    int64_t saved = rt_timeout_begin(5 * RT_NS_PER_MS);
    int item, rc = rt_mpsc_recv(rx, &item); /* nobody sends: the deadline ends the wait */
    rt_timeout_end(saved);
    rt_mpsc_sender_drop(tx);
    rt_mpsc_receiver_drop(rx);
    return (void *)(intptr_t)rc;
}

static void test_trace_runtime_deadline_wake_says_timer(void)
{
    char path[96];
    trace_path(path, sizeof path, "deadline");
    rt_runtime *rt = rt_runtime_new(&(rt_config){.clock = RT_CLOCK_VIRTUAL});
    SL_CHECK_FATAL(rt_trace_start(rt, path) == 0, "rt_trace_start failed");
    void *rc = NULL;
    rt_block_on(rt, wait_past_deadline, NULL, &rc);
    rt_trace_stop(rt);
    rt_runtime_free(rt);
    SL_CHECK((intptr_t)rc == RT_ETIMEDOUT, "the receive should time out, got %d",
             (int)(intptr_t)rc);
    rt_trace *t = read_back(path);
    unlink(path);
    const char *parked = NULL, *cause = NULL;
    for (size_t i = 0; i < t->nrecords; i++) {
        if (t->records[i].event == RT_TRACE_PARK && t->records[i].task == 1)
            parked = t->records[i].word;
        if (t->records[i].event == RT_TRACE_WAKE && t->records[i].task == 1)
            cause = t->records[i].word;
    }
    SL_CHECK(parked && strcmp(parked, "recv") == 0, "main should park waiting to receive, not %s",
             parked ? parked : "(no park)");
    SL_CHECK(cause && strcmp(cause, "timer") == 0,
             "a deadline ends the wait: the wake's cause must be 'timer', not %s",
             cause ? cause : "(no wake)");
    rt_trace_free(t);
}

const sl_test trace_runtime_tests[] = {
    SL_TEST(test_trace_runtime_records_the_scenario, 1, NULL),
    SL_TEST(test_trace_runtime_rt_trace_env_and_schedviz, 1, NULL),
    SL_TEST(test_trace_runtime_stop_while_workers_record, 1, NULL),
    SL_TEST(test_trace_runtime_viz_scenario_shows_backpressure, 1, NULL),
    SL_TEST(test_trace_runtime_deadline_wake_says_timer, 1, NULL),
    SL_TEST_END,
};
