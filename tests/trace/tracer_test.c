/*
 * tracer_test.c - the trace recorder (runtime/src/tracer.c) on its own: what threads record
 * comes back from the file merged in time order, names copied, overflow counted.
 */
#include "harness.h"
#include "trace_tests.h"
#include "rt_trace_file.h"

#include "../../runtime/src/tracer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EVENTS_PER_THREAD = 20000 };

struct recorder {
    struct tracer *tracer;
    int worker;    /* RT_TRACE_NO_WORKER for the foreign thread */
    uint64_t task; /* its events carry this task id */
};

/* Records run events at times worker, worker + 3, worker + 6, ...: the threads interleave. */
static void *record_many(void *arg)
{
    struct recorder *r = arg;
    uint64_t offset = r->worker == RT_TRACE_NO_WORKER ? 2 : (uint64_t)r->worker;
    for (uint64_t i = 0; i < EVENTS_PER_THREAD; i++) {
        rt_trace_record e = {
            .time_ns = offset + 3 * i, .worker = r->worker, .event = RT_TRACE_RUN, .task = r->task};
        tracer_record(r->tracer, r->worker, &e);
    }
    return NULL;
}

static void temp_path(char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/spawnlab-tracer-%d.trace", (int)getpid());
}

static void test_tracer_merges_threads_in_time_order(void)
{
    struct tracer tr;
    tracer_init(&tr);
    char path[64];
    temp_path(path, sizeof path);
    SL_CHECK_FATAL(tracer_start(&tr, path, 2, RT_TRACE_CLOCK_REAL) == 0, "tracer_start failed");
    SL_CHECK(tracer_start(&tr, path, 2, RT_TRACE_CLOCK_REAL) == -EBUSY, "started twice");
    struct recorder rec[3] = {{&tr, 0, 1}, {&tr, 1, 2}, {&tr, RT_TRACE_NO_WORKER, 3}};
    pthread_t threads[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&threads[i], NULL, record_many, &rec[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], NULL);
    SL_CHECK_FATAL(tracer_stop(&tr) == 0, "tracer_stop failed");
    SL_CHECK(tracer_stop(&tr) == -EINVAL, "stopping twice must say 'not on'");

    rt_trace *t = NULL;
    char err[256] = "";
    SL_CHECK_FATAL(rt_trace_read(path, &t, err, sizeof err) == 0, "reading back: %s", err);
    unlink(path);
    SL_CHECK_FATAL(t->nrecords == 3 * EVENTS_PER_THREAD, "expected %d events, got %zu",
                   3 * EVENTS_PER_THREAD, t->nrecords);
    /* Times 0,1,2,3,... in order, each from the thread whose offset matches. */
    size_t wrong = 0;
    for (size_t i = 0; i < t->nrecords; i++) {
        const rt_trace_record *r = &t->records[i];
        int expected_worker = i % 3 == 2 ? RT_TRACE_NO_WORKER : (int)(i % 3);
        wrong += r->time_ns != i || r->worker != expected_worker || r->task != i % 3 + 1;
    }
    SL_CHECK(wrong == 0, "%zu of %zu events are out of order or mislabelled", wrong, t->nrecords);
    SL_CHECK(t->nworkers == 2 && t->clock == RT_TRACE_CLOCK_REAL, "header: %d workers",
             t->nworkers);
    rt_trace_free(t);
    tracer_destroy(&tr);
}

static void test_tracer_copies_names(void)
{
    struct tracer tr;
    tracer_init(&tr);
    char path[64];
    temp_path(path, sizeof path);
    SL_CHECK_FATAL(tracer_start(&tr, path, 1, RT_TRACE_CLOCK_VIRTUAL) == 0, "start failed");
    char name[32] = "conn-1";
    rt_trace_record spawn = {
        .time_ns = 5, .worker = 0, .event = RT_TRACE_SPAWN, .task = 7, .a = 1, .text = name};
    tracer_record(&tr, 0, &spawn);
    strcpy(name, "overwritten"); /* the task's memory is gone by the time we write */
    SL_CHECK_FATAL(tracer_stop(&tr) == 0, "tracer_stop failed");
    rt_trace *t = NULL;
    char err[256] = "";
    SL_CHECK_FATAL(rt_trace_read(path, &t, err, sizeof err) == 0, "reading back: %s", err);
    unlink(path);
    SL_CHECK(t->nrecords == 1 && strcmp(t->records[0].text, "conn-1") == 0,
             "expected the name as it was when recorded, 'conn-1'");
    SL_CHECK(t->clock == RT_TRACE_CLOCK_VIRTUAL, "expected a virtual clock in the header");
    rt_trace_free(t);
    tracer_destroy(&tr);
}

static void test_tracer_counts_what_it_drops(void)
{
    struct tracer tr;
    tracer_init(&tr);
    tr.max_events = 10;
    char path[64];
    temp_path(path, sizeof path);
    SL_CHECK_FATAL(tracer_start(&tr, path, 1, RT_TRACE_CLOCK_REAL) == 0, "start failed");
    for (uint64_t i = 0; i < 25; i++) {
        rt_trace_record e = {.time_ns = i, .worker = 0, .event = RT_TRACE_RUN, .task = 1};
        tracer_record(&tr, 0, &e);
    }
    SL_CHECK_FATAL(tracer_stop(&tr) == 0, "tracer_stop failed");
    FILE *f = fopen(path, "r");
    char text[4096] = "";
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
    SL_CHECK(strstr(text, "# 15 events were dropped") != NULL,
             "the file should say 15 events were dropped:\n%s", text);
    tracer_destroy(&tr);
}

static void test_tracer_off_records_nothing(void)
{
    struct tracer tr;
    tracer_init(&tr);
    rt_trace_record e = {.time_ns = 1, .worker = 0, .event = RT_TRACE_RUN, .task = 1};
    tracer_record(&tr, 0, &e); /* must be a no-op, not a crash: no buffers exist */
    SL_CHECK(tr.workers == NULL && tr.others.count == 0, "an idle tracer recorded something");
    tracer_destroy(&tr);
}

const sl_test tracer_tests[] = {
    SL_TEST(test_tracer_merges_threads_in_time_order, 1, NULL),
    SL_TEST(test_tracer_copies_names, 1, NULL),
    SL_TEST(test_tracer_counts_what_it_drops, 1, NULL),
    SL_TEST(test_tracer_off_records_nothing, 1, NULL),
    SL_TEST_END,
};
