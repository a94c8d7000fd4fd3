/*
 * schedviz.h - the scheduler visualizer's model and views (internal to tools/schedviz, not API).
 *
 * Chapter: chapters/reading-the-pictures.md
 *
 * A trace is a flat list of events. The visualizer turns it, once, into a *model*: what a
 * student wants to see is not "run 3 at 1200 ns" but intervals and arrows:
 *
 *     slice   a task ran on a worker from START to END          (run ... stop)
 *     wait    a task was parked for REASON, then woken, then ran  (park ... wake ... run)
 *     wake    task A made task B runnable, because of CAUSE      (an arrow A -> B)
 *     steal   a worker took tasks from another worker's queue    (an arrow between lanes)
 *     sleep   a worker had nothing to do                          (empty lane space)
 *     lock    a task waited for / held a lock                    (lock-wait, -acquire, -release)
 *     op      a task sent to or received from a channel          (send, recv)
 *
 * Every view (report, ASCII lanes, timeline, task graph, Perfetto JSON) is a function of
 * the model plus a *view*: a time window and a set of selected tasks. Views never re-read
 * the trace, so adding a view never means re-deriving the scheduling story.
 *
 * Files: model.c builds the model, idmap.c maps ids to indexes, filter.c parses the window
 * and task filters, format.c formats durations, colours and escapes, and one file per view
 * (report.c, lanes.c, timeline.c, graph.c, perfetto.c); render.c runs Graphviz; main.c is
 * the command line.
 */
#ifndef SPAWNLAB_SCHEDVIZ_H
#define SPAWNLAB_SCHEDVIZ_H

#include "rt_trace_file.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SV_NONE UINT32_MAX /* "no task", "no slice": an index that is not one */

/* ------------------------------------------------------------ id -> index maps */

/* Open addressing, linear probing: ids are sparse 64-bit values (task ids grow, object
 * ids are addresses) but we want dense indexes for arrays. */
typedef struct sv_idmap {
    uint64_t *keys; /* 0 marks an empty slot: id 0 always means "none" in a trace */
    uint32_t *values;
    size_t cap, count;
} sv_idmap;

/* Returns the index stored for id, or SV_NONE. */
uint32_t sv_idmap_get(const sv_idmap *map, uint64_t id);
/* Stores id -> value (id != 0). Returns 0 or -ENOMEM. */
int sv_idmap_put(sv_idmap *map, uint64_t id, uint32_t value);
void sv_idmap_free(sv_idmap *map);

/* ------------------------------------------------------------ the model */

/* Why a task waited: the park reasons of the trace, plus "start" (spawned, not yet run). */
typedef enum sv_reason {
    SV_REASON_START,
    SV_REASON_YIELD,
    SV_REASON_JOIN,
    SV_REASON_LOCK,
    SV_REASON_CHANNEL,
    SV_REASON_IO,
    SV_REASON_TIMER,
    SV_REASON_OTHER,
    SV_NREASONS
} sv_reason;

const char *sv_reason_name(sv_reason reason);

/* Which side of a channel a parked task waited for; learnt from its next op on it. */
typedef enum sv_side { SV_SIDE_UNKNOWN, SV_SIDE_FULL, SV_SIDE_EMPTY } sv_side;

typedef struct sv_task {
    uint64_t id, parent_id; /* parent_id 0: spawned from outside any task */
    char *name;
    uint64_t spawn_ns;
    const char *how_ended; /* "returned", "panicked", "cancelled"; NULL: alive at the end */
    uint64_t exit_ns;
    bool is_selected; /* by the view's --task filters (all, when there are none) */
    char color[8];    /* "#rrggbb", pale enough for black text (sv_assign_colors) */
    /* Reconstruction state, meaningful only while model.c reads the events. */
    int running_on;        /* worker index, or -1 */
    uint32_t open_wait;    /* index into waits, or SV_NONE */
    uint32_t last_wait;    /* the most recent wait, open or not, or SV_NONE */
    uint32_t pending_wake; /* a wake not yet followed by a run, or SV_NONE */
    uint32_t open_lock_wait;
} sv_task;

typedef struct sv_slice {
    uint64_t start_ns, end_ns;
    uint32_t task;
    int worker;
    const char *why_stopped; /* "park", "yield", "exit", or "cut" (the trace ended) */
} sv_slice;

typedef struct sv_wait {
    uint64_t parked_ns, woken_ns, resumed_ns;
    uint32_t task;
    uint32_t object; /* index into objects, or SV_NONE */
    sv_reason reason;
    sv_side side;
    bool is_woken, is_resumed; /* false: still waiting / still queued when the trace ended */
} sv_wait;

typedef struct sv_wake {
    uint64_t time_ns;
    int worker;     /* RT_TRACE_NO_WORKER: the reactor, a timer thread, a foreign thread */
    uint32_t waker; /* task index, or SV_NONE when no task woke it */
    uint32_t woken;
    const char *cause;
    uint32_t next_slice; /* the woken task's next run slice, or SV_NONE */
} sv_wake;

typedef struct sv_steal {
    uint64_t time_ns;
    int thief, victim;
    uint64_t count;
} sv_steal;

typedef struct sv_sleep {
    uint64_t start_ns, end_ns;
    int worker;
} sv_sleep;

typedef enum sv_object_class { SV_OBJECT_LOCK, SV_OBJECT_CHANNEL, SV_OBJECT_OTHER } sv_object_class;

typedef struct sv_object {
    uint64_t id;
    const char *kind; /* the trace's word ("mutex", "mpsc", ...), or a guess from use */
    sv_object_class class;
    char *name;
    uint32_t open_holds[4]; /* lock holds not yet released (several for an rwlock) */
    int nopen_holds;
} sv_object;

/* A task waiting for a lock (lock-wait .. lock-acquire) or holding it (.. lock-release). */
typedef struct sv_lock_span {
    uint64_t start_ns, end_ns;
    uint32_t task, object;
    bool is_hold;
    bool is_closed; /* false: still waiting / still held when the trace ended */
} sv_lock_span;

typedef struct sv_op {
    uint64_t time_ns;
    uint32_t task, object, peer; /* peer: task index or SV_NONE */
    bool is_send;
} sv_op;

typedef struct sv_mark {
    uint64_t time_ns;
    int worker;
    uint32_t task;
    char *text;
} sv_mark;

typedef struct sv_model {
    const char *path; /* the trace file, for titles and messages */
    rt_trace_clock clock;
    int nworkers;
    size_t nevents;
    uint64_t first_ns, last_ns; /* the trace's time span */
    sv_idmap task_ids, object_ids;
#define SV_ARRAY(type, name)                                                                       \
    type *name;                                                                                    \
    size_t n##name, cap_##name
    SV_ARRAY(sv_task, tasks);
    SV_ARRAY(sv_slice, slices); /* in start order */
    SV_ARRAY(sv_wait, waits);
    SV_ARRAY(sv_wake, wakes);
    SV_ARRAY(sv_steal, steals);
    SV_ARRAY(sv_sleep, sleeps);
    SV_ARRAY(sv_object, objects);
    SV_ARRAY(sv_lock_span, lock_spans);
    SV_ARRAY(sv_op, ops);
    SV_ARRAY(sv_mark, marks);
#undef SV_ARRAY
    uint32_t *running; /* per worker: the open slice, or SV_NONE (while reading) */
    uint32_t *asleep;  /* per worker: the open sleep, or SV_NONE (while reading) */
} sv_model;

/* Builds the model from a parsed trace. Returns 0, or a negative code with a message in
 * err naming the file, the event and what does not add up ("worker 0 runs task 3 while
 * task 2 still runs there"). The model copies what it keeps: the trace may be freed. */
int sv_model_build(sv_model *model, const char *path, const rt_trace *trace, char *err,
                   size_t errcap);
void sv_model_free(sv_model *model);

/* A task's label for people: "producer #2". Static buffer per call site is not needed:
 * writes into buf and returns it. */
const char *sv_task_label(const sv_model *model, uint32_t task, char *buf, size_t cap);

/* ------------------------------------------------------------ the view: window and filters */

enum { SV_MAX_TASK_FILTERS = 32 };

typedef struct sv_view {
    uint64_t from_ns, to_ns; /* the window, inside the trace's span */
    bool is_windowed;        /* --from or --to was given */
    const char *task_filters[SV_MAX_TASK_FILTERS];
    int ntask_filters;
} sv_view;

/* Parses a time like "1500", "1500ns", "2.5us", "2.5µs", "1.5ms", "2s" into nanoseconds.
 * Returns 0, or -EINVAL for anything else. */
int sv_parse_time(const char *text, uint64_t *ns);

/* Clips the view's window to the model and marks the selected tasks. Returns 0, or
 * -EINVAL with a message in err (a --task that matches no task, an empty window). */
int sv_view_apply(sv_view *view, sv_model *model, char *err, size_t errcap);

/* How much of [start, end) lies inside the window. */
uint64_t sv_view_overlap(const sv_view *view, uint64_t start_ns, uint64_t end_ns);
/* Whether an interval touches the window (a zero-length one counts when inside). */
bool sv_view_touches(const sv_view *view, uint64_t start_ns, uint64_t end_ns);
uint64_t sv_view_span(const sv_view *view);

/* ------------------------------------------------------------ formatting */

/* "800 ns", "1.200 µs", "3.500 ms", "2.000 s". Writes into buf and returns it. */
const char *sv_format_duration(uint64_t ns, char *buf, size_t cap);
/* A shorter form for axis ticks: "0", "250 µs", "1.5 ms". */
const char *sv_format_tick(uint64_t ns, char *buf, size_t cap);
/* The smallest round step (1, 2 or 5 times a power of ten, in ns) that cuts span_ns into
 * at most parts pieces: for axis ticks and ASCII columns, so that labels are round. */
uint64_t sv_round_step(uint64_t span_ns, int parts);
/* Gives every task its colour (sv_task.color), from a hash of its name: the same name has
 * the same colour in every picture. Returns 0 or -ENOMEM. */
int sv_assign_colors(sv_model *model);
/* Writes text as the inside of a DOT double-quoted string. */
void sv_put_dot_string(FILE *out, const char *text);
/* Writes text escaped for a Graphviz HTML-like label (&, <, >, "). */
void sv_put_html_string(FILE *out, const char *text);
/* Writes text as the inside of a JSON string. */
void sv_put_json_string(FILE *out, const char *text);
/* Writes text left-aligned (or right-aligned) in width terminal columns (UTF-8 aware). */
void sv_put_cell(FILE *out, const char *text, int width, bool is_right_aligned);

/* ------------------------------------------------------------ views */

/* Each writes one view of the model to out. Returns 0 or a negative errno code. */
int sv_write_report(FILE *out, const sv_model *model, const sv_view *view);
int sv_write_ascii(FILE *out, const sv_model *model, const sv_view *view, int columns);
int sv_write_lanes(FILE *out, const sv_model *model, const sv_view *view);
int sv_write_timeline(FILE *out, const sv_model *model, const sv_view *view);
int sv_write_graph(FILE *out, const sv_model *model, const sv_view *view);
int sv_write_perfetto(FILE *out, const sv_model *model, const sv_view *view);

/* Writes DIR/timeline.dot and DIR/graph.dot and renders them with Graphviz into
 * DIR/timeline.FORMAT and DIR/graph.FORMAT (FORMAT: "svg" or "png"). Returns 0, or a
 * negative code after printing what went wrong to stderr. */
int sv_render(const char *dir, const char *format, const sv_model *model, const sv_view *view);

#endif
