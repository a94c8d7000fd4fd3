/*
 * model.c - from a flat list of trace events to the scheduling story: slices, waits, wakes.
 *
 * Chapter: chapters/reading-the-pictures.md
 *
 * We read the events once, in time order, keeping a little state per worker (which slice
 * is open) and per task (which wait is open, which wake has not been followed by a run
 * yet). Each event closes or opens an interval:
 *
 *     spawn ----------------> run ======== stop  park -----> wake ------> run ===== stop
 *           ready ("start")       slice           waiting          ready      slice
 *
 * A wait is split at the wake on purpose: "parked on a lock" and "runnable but no worker
 * was free" are different lessons (contention versus too few workers).
 *
 * We trust the trace's order, but not blindly: a run on a worker that already runs a task,
 * or a stop of a task that is not running, is reported with the event's number, because
 * a student who writes a trace by hand deserves to hear what does not add up. Events that
 * a trace may legitimately lack (one recorded from the middle of a run) are tolerated: an
 * unknown task is created on first mention, a release of a lock we never saw taken is
 * ignored.
 */
#include "schedviz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct builder {
    sv_model *model;
    const rt_trace_record *record;
    char *err;
    size_t errcap;
} builder;

/* ------------------------------------------------------------ small helpers */

static int fail(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(builder *b, const char *fmt, ...)
{
    int n = snprintf(b->err, b->errcap, "%s:%zu: at %" PRIu64 " ns: ", b->model->path,
                     b->record->line, b->record->time_ns);
    if (n >= 0 && (size_t)n < b->errcap) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(b->err + n, b->errcap - (size_t)n, fmt, args);
        va_end(args);
    }
    return -EINVAL;
}

/* Appends one zeroed element to a growable array; array_ptr is the address of a T *.
 * Returns the new element, or NULL when memory ran out. (memcpy, not a cast to void **,
 * keeps this within the aliasing rules.) */
static void *push(void *array_ptr, size_t *n, size_t *cap, size_t size)
{
    void *items;
    memcpy(&items, array_ptr, sizeof items);
    if (*n == *cap) {
        size_t bigger = *cap ? *cap * 2 : 64;
        void *grown = realloc(items, bigger * size);
        if (!grown)
            return NULL;
        items = grown;
        memcpy(array_ptr, &items, sizeof items);
        *cap = bigger;
    }
    void *slot = (char *)items + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}
#define PUSH(model, field)                                                                         \
    push(&(model)->field, &(model)->n##field, &(model)->cap_##field, sizeof *(model)->field)

static int out_of_memory(builder *b)
{
    fail(b, "out of memory");
    return -ENOMEM;
}

static const char *const reason_names[SV_NREASONS] = {
    "start", "yield", "join", "lock", "channel", "io", "timer", "other",
};

const char *sv_reason_name(sv_reason reason)
{
    return reason < SV_NREASONS ? reason_names[reason] : "?";
}

static sv_reason reason_of(const char *word)
{
    if (word && (strcmp(word, "send") == 0 || strcmp(word, "recv") == 0))
        return SV_REASON_CHANNEL; /* a channel wait whose side is known (on_park) */
    for (int r = SV_REASON_YIELD; r < SV_NREASONS; r++)
        if (word && strcmp(word, reason_names[r]) == 0)
            return (sv_reason)r;
    return SV_REASON_OTHER;
}

static sv_object_class class_of(const char *kind)
{
    static const char *const locks[] = {"mutex", "rwlock", "semaphore"};
    static const char *const channels[] = {"mpsc", "oneshot", "broadcast", "watch"};
    for (size_t i = 0; kind && i < sizeof locks / sizeof *locks; i++)
        if (strcmp(kind, locks[i]) == 0)
            return SV_OBJECT_LOCK;
    for (size_t i = 0; kind && i < sizeof channels / sizeof *channels; i++)
        if (strcmp(kind, channels[i]) == 0)
            return SV_OBJECT_CHANNEL;
    return SV_OBJECT_OTHER;
}

const char *sv_task_label(const sv_model *model, uint32_t task, char *buf, size_t cap)
{
    if (task == SV_NONE)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%s #%" PRIu64, model->tasks[task].name, model->tasks[task].id);
    return buf;
}

/* ------------------------------------------------------------ tasks, objects, workers */

/* The index of task id, created on first mention (a trace may start after the spawn).
 * Returns SV_NONE for id 0 ("no task") and when memory runs out (*rc set). */
static uint32_t task_of(builder *b, uint64_t id, int *rc)
{
    sv_model *m = b->model;
    uint32_t index = sv_idmap_get(&m->task_ids, id);
    if (index != SV_NONE || id == 0)
        return index;
    char name[32];
    snprintf(name, sizeof name, "task %" PRIu64, id);
    sv_task *t = PUSH(m, tasks);
    if (!t || !(t->name = strdup(name)) ||
        sv_idmap_put(&m->task_ids, id, (uint32_t)(m->ntasks - 1)) < 0) {
        *rc = out_of_memory(b);
        return SV_NONE;
    }
    *t = (sv_task){.id = id,
                   .name = t->name,
                   .spawn_ns = b->record->time_ns,
                   .running_on = -1,
                   .open_wait = SV_NONE,
                   .last_wait = SV_NONE,
                   .pending_wake = SV_NONE,
                   .open_lock_wait = SV_NONE};
    return (uint32_t)(m->ntasks - 1);
}

/* The index of object id, created on first use with a kind guessed from that use. */
static uint32_t object_of(builder *b, uint64_t id, const char *guessed_kind, int *rc)
{
    sv_model *m = b->model;
    uint32_t index = sv_idmap_get(&m->object_ids, id);
    if (index != SV_NONE || id == 0)
        return index;
    char name[32];
    snprintf(name, sizeof name, "0x%" PRIx64, id);
    sv_object *o = PUSH(m, objects);
    if (!o || !(o->name = strdup(name)) ||
        sv_idmap_put(&m->object_ids, id, (uint32_t)(m->nobjects - 1)) < 0) {
        *rc = out_of_memory(b);
        return SV_NONE;
    }
    o->id = id;
    o->kind = guessed_kind;
    o->class = strcmp(guessed_kind, "lock") == 0      ? SV_OBJECT_LOCK
               : strcmp(guessed_kind, "channel") == 0 ? SV_OBJECT_CHANNEL
                                                      : SV_OBJECT_OTHER;
    return (uint32_t)(m->nobjects - 1);
}

/* The event's worker, which must be a real one (not '-'). Returns -1 after fail(). */
static int worker_of(builder *b)
{
    int w = b->record->worker;
    if (w >= 0 && w < b->model->nworkers)
        return w;
    if (w == RT_TRACE_NO_WORKER)
        fail(b, "'%s' must happen on a worker, not on '-'", rt_trace_event_name(b->record->event));
    else
        fail(b, "worker %d does not exist (the header says 'workers %d')", w, b->model->nworkers);
    return -1;
}

/* ------------------------------------------------------------ waits */

static int open_wait(builder *b, uint32_t task, sv_reason reason, uint32_t object)
{
    sv_model *m = b->model;
    sv_wait *w = PUSH(m, waits);
    if (!w)
        return out_of_memory(b);
    *w = (sv_wait){
        .parked_ns = b->record->time_ns, .task = task, .object = object, .reason = reason};
    /* A new task is runnable at once: its whole wait is "ready", none "waiting". */
    if (reason == SV_REASON_START) {
        w->woken_ns = w->parked_ns;
        w->is_woken = true;
    }
    m->tasks[task].open_wait = m->tasks[task].last_wait = (uint32_t)(m->nwaits - 1);
    return 0;
}

/* The task runs (or parks again): its open wait ends now. */
static void close_wait(sv_model *m, uint32_t task, uint64_t now)
{
    sv_task *t = &m->tasks[task];
    if (t->open_wait == SV_NONE)
        return;
    sv_wait *w = &m->waits[t->open_wait];
    if (!w->is_woken) { /* no wake was recorded: count it all as waiting */
        w->woken_ns = now;
        w->is_woken = true;
    }
    w->resumed_ns = now;
    w->is_resumed = true;
    t->open_wait = SV_NONE;
}

/* ------------------------------------------------------------ one handler per event */

static int on_spawn(builder *b)
{
    int rc = 0;
    const rt_trace_record *r = b->record;
    uint32_t task = task_of(b, r->task, &rc);
    if (task == SV_NONE)
        return rc ? rc : fail(b, "spawn of task 0 (task ids start at 1)");
    sv_task *t = &b->model->tasks[task];
    char *name = strdup(r->text && r->text[0] ? r->text : t->name);
    if (!name)
        return out_of_memory(b);
    free(t->name);
    t->name = name;
    t->parent_id = r->a;
    t->spawn_ns = r->time_ns;
    return open_wait(b, task, SV_REASON_START, SV_NONE);
}

static int on_run(builder *b)
{
    sv_model *m = b->model;
    int rc = 0, w = worker_of(b);
    uint32_t task = w < 0 ? SV_NONE : task_of(b, b->record->task, &rc);
    if (task == SV_NONE)
        return rc ? rc : w < 0 ? -EINVAL : fail(b, "run of task 0 (task ids start at 1)");
    char label[160], other[160];
    if (m->running[w] != SV_NONE)
        return fail(b, "worker %d starts %s while %s still runs there (no 'stop' between them)", w,
                    sv_task_label(m, task, label, sizeof label),
                    sv_task_label(m, m->slices[m->running[w]].task, other, sizeof other));
    if (m->tasks[task].running_on >= 0)
        return fail(b, "%s starts on worker %d while it still runs on worker %d",
                    sv_task_label(m, task, label, sizeof label), w, m->tasks[task].running_on);
    sv_slice *s = PUSH(m, slices);
    if (!s)
        return out_of_memory(b);
    *s = (sv_slice){.start_ns = b->record->time_ns, .task = task, .worker = w};
    uint32_t slice = (uint32_t)(m->nslices - 1);
    m->running[w] = slice;
    sv_task *t = &m->tasks[task];
    t->running_on = w;
    close_wait(m, task, b->record->time_ns);
    if (t->pending_wake != SV_NONE)
        m->wakes[t->pending_wake].next_slice = slice;
    t->pending_wake = SV_NONE;
    return 0;
}

static int on_stop(builder *b)
{
    sv_model *m = b->model;
    int rc = 0, w = worker_of(b);
    uint32_t task = w < 0 ? SV_NONE : task_of(b, b->record->task, &rc);
    if (task == SV_NONE)
        return rc ? rc : w < 0 ? -EINVAL : fail(b, "stop of task 0 (task ids start at 1)");
    char label[160], other[160];
    uint32_t slice = m->running[w];
    if (slice == SV_NONE)
        return fail(b, "stop of %s on worker %d, which runs nothing (no 'run' before it)",
                    sv_task_label(m, task, label, sizeof label), w);
    if (m->slices[slice].task != task)
        return fail(b, "stop of %s on worker %d, which runs %s",
                    sv_task_label(m, task, label, sizeof label), w,
                    sv_task_label(m, m->slices[slice].task, other, sizeof other));
    m->slices[slice].end_ns = b->record->time_ns;
    m->slices[slice].why_stopped = b->record->word ? b->record->word : "park";
    m->running[w] = SV_NONE;
    m->tasks[task].running_on = -1;
    return 0;
}

static int on_park(builder *b)
{
    int rc = 0;
    sv_reason reason = reason_of(b->record->word);
    const char *kind = reason == SV_REASON_LOCK      ? "lock"
                       : reason == SV_REASON_CHANNEL ? "channel"
                                                     : "object";
    uint32_t task = task_of(b, b->record->task, &rc);
    uint32_t object = object_of(b, b->record->object, kind, &rc);
    if (rc < 0)
        return rc;
    if (task == SV_NONE)
        return fail(b, "park of task 0 (task ids start at 1)");
    close_wait(b->model, task,
               b->record->time_ns); /* parked twice without running: keep the last */
    if ((rc = open_wait(b, task, reason, object)) < 0)
        return rc;
    /* "send" waits for room (the channel is full), "recv" for a value (it is empty). */
    sv_wait *w = &b->model->waits[b->model->nwaits - 1];
    if (strcmp(b->record->word, "send") == 0)
        w->side = SV_SIDE_FULL;
    else if (strcmp(b->record->word, "recv") == 0)
        w->side = SV_SIDE_EMPTY;
    return 0;
}

static int on_wake(builder *b)
{
    sv_model *m = b->model;
    int rc = 0;
    uint32_t task = task_of(b, b->record->task, &rc);
    uint32_t waker = task_of(b, b->record->a, &rc);
    if (rc < 0)
        return rc;
    if (task == SV_NONE)
        return fail(b, "wake of task 0 (task ids start at 1)");
    sv_wake *k = PUSH(m, wakes);
    if (!k)
        return out_of_memory(b);
    *k = (sv_wake){.time_ns = b->record->time_ns,
                   .worker = b->record->worker,
                   .waker = waker,
                   .woken = task,
                   .cause = b->record->word ? b->record->word : "other",
                   .next_slice = SV_NONE};
    sv_task *t = &m->tasks[task];
    t->pending_wake = (uint32_t)(m->nwakes - 1);
    if (t->open_wait != SV_NONE && !m->waits[t->open_wait].is_woken) {
        m->waits[t->open_wait].woken_ns = b->record->time_ns;
        m->waits[t->open_wait].is_woken = true;
    }
    return 0;
}

static int on_steal(builder *b)
{
    int w = worker_of(b);
    if (w < 0)
        return -EINVAL;
    if (b->record->a >= (uint64_t)b->model->nworkers)
        return fail(b, "steal from worker %" PRIu64 ", which does not exist (workers %d)",
                    b->record->a, b->model->nworkers);
    sv_steal *s = PUSH(b->model, steals);
    if (!s)
        return out_of_memory(b);
    *s = (sv_steal){b->record->time_ns, w, (int)b->record->a, b->record->b};
    return 0;
}

static int on_sleep(builder *b, bool is_falling_asleep)
{
    sv_model *m = b->model;
    int w = worker_of(b);
    if (w < 0)
        return -EINVAL;
    if (!is_falling_asleep) {
        if (m->asleep[w] != SV_NONE)
            m->sleeps[m->asleep[w]].end_ns = b->record->time_ns;
        m->asleep[w] = SV_NONE;
        return 0;
    }
    if (m->asleep[w] != SV_NONE) /* asleep already: the earlier 'sleep' stands */
        return 0;
    sv_sleep *s = PUSH(m, sleeps);
    if (!s)
        return out_of_memory(b);
    *s = (sv_sleep){b->record->time_ns, b->record->time_ns, w};
    m->asleep[w] = (uint32_t)(m->nsleeps - 1);
    return 0;
}

static int on_task_exit(builder *b)
{
    int rc = 0;
    uint32_t task = task_of(b, b->record->task, &rc);
    if (task == SV_NONE)
        return rc ? rc : fail(b, "exit of task 0 (task ids start at 1)");
    b->model->tasks[task].how_ended = b->record->word ? b->record->word : "returned";
    b->model->tasks[task].exit_ns = b->record->time_ns;
    return 0;
}

static int on_object(builder *b)
{
    int rc = 0;
    const rt_trace_record *r = b->record;
    uint32_t index = object_of(b, r->object, "object", &rc);
    if (index == SV_NONE)
        return rc ? rc : fail(b, "object 0 cannot be named (0 means 'none')");
    sv_object *o = &b->model->objects[index];
    if (r->text && r->text[0]) {
        char *name = strdup(r->text);
        if (!name)
            return out_of_memory(b);
        free(o->name);
        o->name = name;
    }
    o->kind = r->word ? r->word : "other";
    o->class = class_of(o->kind);
    return 0;
}

/* ------------------------------------------------------------ locks and channels */

static int lock_span(builder *b, uint32_t *task, uint32_t *object)
{
    int rc = 0;
    *task = task_of(b, b->record->task, &rc);
    *object = object_of(b, b->record->object, "lock", &rc);
    if (rc < 0)
        return rc;
    if (*task == SV_NONE || *object == SV_NONE)
        return fail(b, "'%s' needs a task and a lock (neither may be 0)",
                    rt_trace_event_name(b->record->event));
    return 0;
}

static int on_lock_wait(builder *b)
{
    uint32_t task, object;
    int rc = lock_span(b, &task, &object);
    if (rc < 0)
        return rc;
    sv_lock_span *s = PUSH(b->model, lock_spans);
    if (!s)
        return out_of_memory(b);
    *s = (sv_lock_span){.start_ns = b->record->time_ns, .task = task, .object = object};
    b->model->tasks[task].open_lock_wait = (uint32_t)(b->model->nlock_spans - 1);
    return 0;
}

static int on_lock_acquire(builder *b)
{
    sv_model *m = b->model;
    uint32_t task, object;
    int rc = lock_span(b, &task, &object);
    if (rc < 0)
        return rc;
    uint32_t waited = m->tasks[task].open_lock_wait;
    if (waited != SV_NONE && m->lock_spans[waited].object == object) {
        m->lock_spans[waited].end_ns = b->record->time_ns;
        m->lock_spans[waited].is_closed = true;
    }
    m->tasks[task].open_lock_wait = SV_NONE;
    sv_lock_span *s = PUSH(m, lock_spans);
    if (!s)
        return out_of_memory(b);
    *s = (sv_lock_span){
        .start_ns = b->record->time_ns, .task = task, .object = object, .is_hold = true};
    sv_object *o = &m->objects[object];
    if (o->nopen_holds < (int)(sizeof o->open_holds / sizeof *o->open_holds))
        o->open_holds[o->nopen_holds++] = (uint32_t)(m->nlock_spans - 1);
    return 0;
}

static int on_lock_release(builder *b)
{
    sv_model *m = b->model;
    uint32_t task, object;
    int rc = lock_span(b, &task, &object);
    if (rc < 0)
        return rc;
    sv_object *o = &m->objects[object];
    for (int i = 0; i < o->nopen_holds; i++) {
        sv_lock_span *s = &m->lock_spans[o->open_holds[i]];
        if (s->task != task)
            continue;
        s->end_ns = b->record->time_ns;
        s->is_closed = true;
        o->open_holds[i] = o->open_holds[--o->nopen_holds];
        return 0;
    }
    return 0; /* taken before the trace began: nothing to close */
}

/* A task that parked on a channel and then sends on it was waiting for room (the channel
 * was full); one that then receives was waiting for a message (it was empty). The trace
 * does not say which, so we learn it from what the task does next. */
static void learn_channel_side(sv_model *m, uint32_t task, uint32_t object, bool is_send)
{
    uint32_t last = m->tasks[task].last_wait;
    if (last == SV_NONE)
        return;
    sv_wait *w = &m->waits[last];
    if (w->reason == SV_REASON_CHANNEL && w->object == object && w->side == SV_SIDE_UNKNOWN)
        w->side = is_send ? SV_SIDE_FULL : SV_SIDE_EMPTY;
}

static int on_op(builder *b, bool is_send)
{
    sv_model *m = b->model;
    int rc = 0;
    uint32_t task = task_of(b, b->record->task, &rc);
    uint32_t object = object_of(b, b->record->object, "channel", &rc);
    uint32_t peer = task_of(b, b->record->a, &rc);
    if (rc < 0)
        return rc;
    if (task == SV_NONE || object == SV_NONE)
        return fail(b, "'%s' needs a task and a channel (neither may be 0)",
                    is_send ? "send" : "recv");
    sv_op *op = PUSH(m, ops);
    if (!op)
        return out_of_memory(b);
    *op = (sv_op){b->record->time_ns, task, object, peer, is_send};
    learn_channel_side(m, task, object, is_send);
    return 0;
}

static int on_mark(builder *b)
{
    int rc = 0;
    uint32_t task = task_of(b, b->record->task, &rc);
    if (rc < 0)
        return rc;
    sv_mark *k = PUSH(b->model, marks);
    if (!k)
        return out_of_memory(b);
    *k = (sv_mark){b->record->time_ns, b->record->worker, task,
                   strdup(b->record->text ? b->record->text : "")};
    return k->text ? 0 : out_of_memory(b);
}

/* ------------------------------------------------------------ the whole trace */

static int on_event(builder *b)
{
    switch (b->record->event) {
    case RT_TRACE_SPAWN:
        return on_spawn(b);
    case RT_TRACE_RUN:
        return on_run(b);
    case RT_TRACE_STOP:
        return on_stop(b);
    case RT_TRACE_PARK:
        return on_park(b);
    case RT_TRACE_WAKE:
        return on_wake(b);
    case RT_TRACE_STEAL:
        return on_steal(b);
    case RT_TRACE_SLEEP:
        return on_sleep(b, true);
    case RT_TRACE_WAKEUP:
        return on_sleep(b, false);
    case RT_TRACE_EXIT:
        return on_task_exit(b);
    case RT_TRACE_OBJECT:
        return on_object(b);
    case RT_TRACE_LOCK_WAIT:
        return on_lock_wait(b);
    case RT_TRACE_LOCK_ACQUIRE:
        return on_lock_acquire(b);
    case RT_TRACE_LOCK_RELEASE:
        return on_lock_release(b);
    case RT_TRACE_SEND:
        return on_op(b, true);
    case RT_TRACE_RECV:
        return on_op(b, false);
    case RT_TRACE_MARK:
        return on_mark(b);
    case RT_TRACE_NEVENTS:
        break;
    }
    return fail(b, "unknown event %d", (int)b->record->event);
}

/* The trace ended: whatever is still open ends with it, marked as cut off. */
static void close_everything(sv_model *m)
{
    uint64_t end = m->last_ns;
    for (int w = 0; w < m->nworkers; w++) {
        if (m->running[w] != SV_NONE) {
            m->slices[m->running[w]].end_ns = end;
            m->slices[m->running[w]].why_stopped = "cut";
        }
        if (m->asleep[w] != SV_NONE)
            m->sleeps[m->asleep[w]].end_ns = end;
    }
    for (size_t i = 0; i < m->nwaits; i++) {
        sv_wait *w = &m->waits[i];
        if (!w->is_woken)
            w->woken_ns = end;
        if (!w->is_resumed)
            w->resumed_ns = end;
    }
    for (size_t i = 0; i < m->nlock_spans; i++)
        if (!m->lock_spans[i].is_closed)
            m->lock_spans[i].end_ns = end;
}

int sv_model_build(sv_model *model, const char *path, const rt_trace *trace, char *err,
                   size_t errcap)
{
    *model = (sv_model){.path = path,
                        .clock = trace->clock,
                        .nworkers = trace->nworkers,
                        .nevents = trace->nrecords};
    if (trace->nworkers < 1 || trace->nworkers > 4096) {
        snprintf(err, errcap, "%s: the header says 'workers %d'; a trace needs 1 to 4096 workers",
                 path, trace->nworkers);
        return -EINVAL;
    }
    model->running = malloc((size_t)trace->nworkers * sizeof *model->running);
    model->asleep = malloc((size_t)trace->nworkers * sizeof *model->asleep);
    if (!model->running || !model->asleep) {
        snprintf(err, errcap, "%s: out of memory", path);
        return -ENOMEM;
    }
    for (int w = 0; w < trace->nworkers; w++)
        model->running[w] = model->asleep[w] = SV_NONE;
    if (trace->nrecords > 0) {
        model->first_ns = trace->records[0].time_ns;
        model->last_ns = trace->records[trace->nrecords - 1].time_ns;
    }
    builder b = {.model = model, .err = err, .errcap = errcap};
    for (size_t i = 0; i < trace->nrecords; i++) {
        b.record = &trace->records[i];
        if (i > 0 && b.record->time_ns < trace->records[i - 1].time_ns)
            return fail(&b, "time goes backwards (events must be in time order)");
        int rc = on_event(&b);
        if (rc < 0)
            return rc;
    }
    close_everything(model);
    return 0;
}

void sv_model_free(sv_model *model)
{
    for (size_t i = 0; i < model->ntasks; i++)
        free(model->tasks[i].name);
    for (size_t i = 0; i < model->nobjects; i++)
        free(model->objects[i].name);
    for (size_t i = 0; i < model->nmarks; i++)
        free(model->marks[i].text);
    free(model->tasks);
    free(model->slices);
    free(model->waits);
    free(model->wakes);
    free(model->steals);
    free(model->sleeps);
    free(model->objects);
    free(model->lock_spans);
    free(model->ops);
    free(model->marks);
    free(model->running);
    free(model->asleep);
    sv_idmap_free(&model->task_ids);
    sv_idmap_free(&model->object_ids);
    *model = (sv_model){0};
}
