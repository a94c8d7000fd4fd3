/*
 * tracer.h - recording scheduling events into per-worker buffers (not API).
 *
 * Chapter: chapters/appendix-runtime.md#tracing
 *
 * Each worker appends to its own buffer, so recording takes no lock and touches no
 * shared cache line: a few stores per event. Events from threads that are not workers
 * (a wake from a foreign thread, the blocking pool) go to one shared buffer under a
 * mutex; they are rare. At the end the buffers are merged by time and written in the
 * trace file format (rt_trace_file.h). Formatting text happens only then.
 *
 * When tracing is off the hooks cost one well-predicted branch on tracer->is_on.
 *
 * Stopping while workers record (rt_trace_stop from a task): a recorder announces itself in
 * its buffer's nrecording, then looks at is_on again; stop clears is_on, then waits for every
 * nrecording to drop to zero. Both sides use sequentially consistent atomics, so either the
 * recorder sees is_on cleared and backs off, or stop sees the recorder and waits for it -
 * never both miss each other (the same argument as Dekker's mutual exclusion).
 */
#ifndef SPAWNLAB_RT_TRACER_H
#define SPAWNLAB_RT_TRACER_H

#include "rt_trace_file.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_chunk;

/* One buffer: a list of fixed-size chunks (growing never moves recorded events). Padded to
 * a cache line, and the workers' array is cache-line aligned: each worker writes its own
 * buffer, and neighbours must not share a line. (Padding, not _Alignas: the tracer lives
 * inside the runtime, which plain malloc allocates.) */
struct trace_buffer {
    _Atomic unsigned nrecording; /* threads inside tracer_record on this buffer */
    struct trace_chunk *first, *last;
    size_t count;
    char padding[64 - 4 * sizeof(size_t)];
};
_Static_assert(sizeof(struct trace_buffer) == 64, "one trace buffer per cache line");

struct tracer {
    _Atomic bool is_on; /* the one branch the hooks test */
    char *path;
    int nworkers;
    rt_trace_clock clock;
    uint64_t max_events; /* per buffer; more are counted as dropped, not recorded */
    _Atomic uint64_t ndropped;
    _Atomic uint64_t next_sequence; /* orders events that share a timestamp (see merge) */
    struct trace_buffer *workers;   /* [nworkers], each written only by its worker */
    pthread_mutex_t others_mutex;
    struct trace_buffer others; /* guarded by others_mutex: events off the workers */
};

/* Sets up an idle tracer (is_on false). */
void tracer_init(struct tracer *tr);
/* Starts recording into fresh buffers; the file is written by tracer_stop. 0, -EBUSY when
 * already on, or -ENOMEM. One thread at a time may start or stop (the runtime's caller). */
int tracer_start(struct tracer *tr, const char *path, int nworkers, rt_trace_clock clock);
/* Records one event. worker is the calling worker's index, or RT_TRACE_NO_WORKER from any
 * other thread. The record's text (a task or object name) is copied. Never blocks a
 * worker; from other threads takes a short mutex. */
void tracer_record(struct tracer *tr, int worker, const rt_trace_record *record);
/* Stops recording, waits until no thread is still inside tracer_record, and writes the
 * file (events merged in time order). 0, -EINVAL when not on, or a negative errno code from
 * writing. Same calling rule as tracer_start. */
int tracer_stop(struct tracer *tr);
void tracer_destroy(struct tracer *tr);

#endif
