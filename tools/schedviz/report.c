/*
 * report.c - the text report: tasks, workers, locks, channels, in exact numbers.
 *
 * Chapter: chapters/reading-the-pictures.md#the-report
 *
 * The pictures show *when*; the report says *how much*. Each section answers one question
 * a student asks of a concurrent program:
 *
 *     tasks     where did each task's time go: running, waiting (for what), or ready
 *               but not running (no free worker: the scheduling delay)?
 *     workers   were the workers busy, and did they have to steal work to stay busy?
 *     locks     which lock made tasks wait, and for how long (contention)?
 *     channels  how many messages, and did senders wait for room (full) or receivers
 *               for messages (empty)? (backpressure)
 *
 * Everything is clipped to the view's window. The task filter narrows tasks, locks and
 * channels to the selected tasks; the worker section always counts every task, because
 * a worker's utilisation is a fact about the worker.
 *
 * Every total is one pass over the model's arrays, so a report of a million events takes
 * a few tens of milliseconds after reading.
 */
#include "schedviz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct task_totals {
    uint64_t runs, run_ns, ready_ns;
    uint64_t wait_ns[SV_NREASONS];
    uint64_t channel_full_ns, channel_empty_ns;
} task_totals;

static uint64_t waiting_ns(const task_totals *t)
{
    uint64_t sum = 0;
    for (int r = 0; r < SV_NREASONS; r++)
        sum += t->wait_ns[r];
    return sum;
}

/* 667 of 1000 -> "66.7%": integer arithmetic, so the golden files are exact. */
static const char *percent(uint64_t part, uint64_t whole, char *buf, size_t cap)
{
    if (whole == 0)
        snprintf(buf, cap, "-");
    else {
        uint64_t tenths = part * 1000 / whole;
        snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 "%%", tenths / 10, tenths % 10);
    }
    return buf;
}

/* ------------------------------------------------------------ tasks */

static void add_waits(const sv_model *m, const sv_view *view, task_totals *totals)
{
    for (size_t i = 0; i < m->nwaits; i++) {
        const sv_wait *w = &m->waits[i];
        if (!m->tasks[w->task].is_selected)
            continue;
        task_totals *t = &totals[w->task];
        uint64_t waited = sv_view_overlap(view, w->parked_ns, w->woken_ns);
        t->wait_ns[w->reason] += waited;
        t->ready_ns += sv_view_overlap(view, w->woken_ns, w->resumed_ns);
        if (w->side == SV_SIDE_FULL)
            t->channel_full_ns += waited;
        else if (w->side == SV_SIDE_EMPTY)
            t->channel_empty_ns += waited;
    }
}

static task_totals *count_tasks(const sv_model *m, const sv_view *view)
{
    task_totals *totals = calloc(m->ntasks + 1, sizeof *totals);
    if (!totals)
        return NULL;
    for (size_t i = 0; i < m->nslices; i++) {
        const sv_slice *s = &m->slices[i];
        if (!m->tasks[s->task].is_selected || !sv_view_touches(view, s->start_ns, s->end_ns))
            continue;
        totals[s->task].runs++;
        totals[s->task].run_ns += sv_view_overlap(view, s->start_ns, s->end_ns);
    }
    add_waits(m, view, totals);
    return totals;
}

/* How the task ended, or what it was doing when the trace ended. */
static const char *ending(const sv_model *m, uint32_t task, char *buf, size_t cap)
{
    const sv_task *t = &m->tasks[task];
    char when[32];
    if (t->how_ended) {
        snprintf(buf, cap, "%s at %s", t->how_ended,
                 sv_format_duration(t->exit_ns, when, sizeof when));
    } else if (t->running_on >= 0) {
        snprintf(buf, cap, "still running at the end");
    } else if (t->last_wait != SV_NONE && !m->waits[t->last_wait].is_resumed) {
        const sv_wait *w = &m->waits[t->last_wait];
        if (w->is_woken && w->woken_ns < m->last_ns)
            snprintf(buf, cap, "runnable at the end, never ran again");
        else
            snprintf(buf, cap, "still waiting (%s%s%s) at the end", sv_reason_name(w->reason),
                     w->object != SV_NONE ? ": " : "",
                     w->object != SV_NONE ? m->objects[w->object].name : "");
    } else {
        snprintf(buf, cap, "alive at the end");
    }
    return buf;
}

/* "    waiting: lock 2.000 µs, channel 1.000 µs (full 1.000 µs)" */
static void put_wait_reasons(FILE *out, const task_totals *t)
{
    if (waiting_ns(t) == 0)
        return;
    fprintf(out, "      waiting:");
    const char *separator = " ";
    char a[32], b[32];
    for (int r = 0; r < SV_NREASONS; r++) {
        if (t->wait_ns[r] == 0)
            continue;
        fprintf(out, "%s%s %s", separator, sv_reason_name((sv_reason)r),
                sv_format_duration(t->wait_ns[r], a, sizeof a));
        if (r == SV_REASON_CHANNEL && t->channel_full_ns && t->channel_empty_ns)
            fprintf(out, " (full %s, empty %s)",
                    sv_format_duration(t->channel_full_ns, a, sizeof a),
                    sv_format_duration(t->channel_empty_ns, b, sizeof b));
        else if (r == SV_REASON_CHANNEL && (t->channel_full_ns || t->channel_empty_ns))
            fprintf(out, " (on %s channel)", t->channel_full_ns ? "a full" : "an empty");
        separator = ", ";
    }
    fputc('\n', out);
}

static void put_task_row(FILE *out, const sv_model *m, uint32_t task, const task_totals *t)
{
    char cell[200];
    snprintf(cell, sizeof cell, "%" PRIu64, m->tasks[task].id);
    sv_put_cell(out, cell, 4, true);
    fputs("  ", out);
    sv_put_cell(out, m->tasks[task].name, 14, false);
    uint32_t parent = sv_idmap_get(&m->task_ids, m->tasks[task].parent_id);
    sv_put_cell(out, sv_task_label(m, parent, cell, sizeof cell), 16, false);
    snprintf(cell, sizeof cell, "%" PRIu64, t->runs);
    sv_put_cell(out, cell, 5, true);
    sv_put_cell(out, sv_format_duration(t->run_ns, cell, sizeof cell), 13, true);
    sv_put_cell(out, sv_format_duration(waiting_ns(t), cell, sizeof cell), 13, true);
    sv_put_cell(out, sv_format_duration(t->ready_ns, cell, sizeof cell), 13, true);
    fprintf(out, "  %s\n", ending(m, task, cell, sizeof cell));
    put_wait_reasons(out, t);
}

static int put_tasks(FILE *out, const sv_model *m, const sv_view *view)
{
    task_totals *totals = count_tasks(m, view);
    if (!totals)
        return -ENOMEM;
    fprintf(out, "TASKS  (ready: runnable, but waiting for a worker)\n");
    fprintf(out, "  id  name          spawned by       runs     run time      waiting        ready "
                 " ended\n");
    for (uint32_t i = 0; i < m->ntasks; i++) {
        const sv_task *t = &m->tasks[i];
        bool is_in_window =
            t->spawn_ns <= view->to_ns && (!t->how_ended || t->exit_ns >= view->from_ns);
        if (t->is_selected && is_in_window)
            put_task_row(out, m, i, &totals[i]);
    }
    free(totals);
    return 0;
}

/* ------------------------------------------------------------ workers */

typedef struct worker_totals {
    uint64_t busy_ns, asleep_ns, runs, steals, stolen_tasks, robbed;
} worker_totals;

static void count_workers(const sv_model *m, const sv_view *view, worker_totals *w)
{
    for (size_t i = 0; i < m->nslices; i++) {
        const sv_slice *s = &m->slices[i];
        if (sv_view_touches(view, s->start_ns, s->end_ns)) {
            w[s->worker].runs++;
            w[s->worker].busy_ns += sv_view_overlap(view, s->start_ns, s->end_ns);
        }
    }
    for (size_t i = 0; i < m->nsleeps; i++)
        w[m->sleeps[i].worker].asleep_ns +=
            sv_view_overlap(view, m->sleeps[i].start_ns, m->sleeps[i].end_ns);
    for (size_t i = 0; i < m->nsteals; i++) {
        const sv_steal *s = &m->steals[i];
        if (sv_view_touches(view, s->time_ns, s->time_ns)) {
            w[s->thief].steals++;
            w[s->thief].stolen_tasks += s->count;
            w[s->victim].robbed++;
        }
    }
}

static int put_workers(FILE *out, const sv_model *m, const sv_view *view)
{
    worker_totals *totals = calloc((size_t)m->nworkers, sizeof *totals);
    if (!totals)
        return -ENOMEM;
    count_workers(m, view, totals);
    fprintf(out, "\nWORKERS  (utilisation: busy time / window; steals: times this worker stole, "
                 "tasks taken)\n");
    fprintf(out, "  worker        busy  utilisation   runs       asleep  steals (tasks)  robbed\n");
    char cell[64];
    for (int w = 0; w < m->nworkers; w++) {
        const worker_totals *t = &totals[w];
        snprintf(cell, sizeof cell, "%d", w);
        sv_put_cell(out, cell, 8, true);
        sv_put_cell(out, sv_format_duration(t->busy_ns, cell, sizeof cell), 12, true);
        sv_put_cell(out, percent(t->busy_ns, sv_view_span(view), cell, sizeof cell), 13, true);
        snprintf(cell, sizeof cell, "%" PRIu64, t->runs);
        sv_put_cell(out, cell, 7, true);
        sv_put_cell(out, sv_format_duration(t->asleep_ns, cell, sizeof cell), 13, true);
        snprintf(cell, sizeof cell, "%" PRIu64 " (%" PRIu64 ")", t->steals, t->stolen_tasks);
        sv_put_cell(out, cell, 16, true);
        snprintf(cell, sizeof cell, "%" PRIu64, t->robbed);
        sv_put_cell(out, cell, 8, true);
        fputc('\n', out);
    }
    free(totals);
    return 0;
}

/* ------------------------------------------------------------ locks */

typedef struct object_totals {
    uint64_t acquired, contended, wait_ns, longest_wait_ns, held_ns; /* locks */
    uint64_t sent, received, full_ns, empty_ns, unknown_ns;          /* channels */
} object_totals;

static void count_locks(const sv_model *m, const sv_view *view, object_totals *totals)
{
    for (size_t i = 0; i < m->nlock_spans; i++) {
        const sv_lock_span *s = &m->lock_spans[i];
        if (!m->tasks[s->task].is_selected || !sv_view_touches(view, s->start_ns, s->end_ns))
            continue;
        object_totals *t = &totals[s->object];
        uint64_t inside = sv_view_overlap(view, s->start_ns, s->end_ns);
        if (s->is_hold) {
            t->acquired++;
            t->held_ns += inside;
            continue;
        }
        t->contended++;
        t->wait_ns += inside;
        if (s->end_ns - s->start_ns > t->longest_wait_ns)
            t->longest_wait_ns = s->end_ns - s->start_ns;
    }
}

static void put_object_name(FILE *out, const sv_object *o)
{
    sv_put_cell(out, "", 2, false);
    sv_put_cell(out, o->name, 16, false);
    sv_put_cell(out, o->kind, 10, false);
}

static void put_locks(FILE *out, const sv_model *m, const object_totals *totals)
{
    fprintf(out, "\nLOCKS  (contended: acquisitions that had to wait; held: total time held)\n");
    fprintf(out, "  lock            kind      acquired  contended   total wait  longest wait       "
                 "  held\n");
    char cell[64];
    int nlocks = 0;
    for (size_t i = 0; i < m->nobjects; i++) {
        const object_totals *t = &totals[i];
        if (m->objects[i].class != SV_OBJECT_LOCK && !(t->acquired || t->contended))
            continue;
        put_object_name(out, &m->objects[i]);
        nlocks++;
        snprintf(cell, sizeof cell, "%" PRIu64, t->acquired);
        sv_put_cell(out, cell, 8, true);
        snprintf(cell, sizeof cell, "%" PRIu64, t->contended);
        sv_put_cell(out, cell, 11, true);
        sv_put_cell(out, sv_format_duration(t->wait_ns, cell, sizeof cell), 13, true);
        sv_put_cell(out, sv_format_duration(t->longest_wait_ns, cell, sizeof cell), 14, true);
        sv_put_cell(out, sv_format_duration(t->held_ns, cell, sizeof cell), 13, true);
        fputc('\n', out);
    }
    if (nlocks == 0)
        fprintf(out, "  (no locks in this trace)\n");
}

/* ------------------------------------------------------------ channels */

static void count_channels(const sv_model *m, const sv_view *view, object_totals *totals)
{
    for (size_t i = 0; i < m->nops; i++) {
        const sv_op *op = &m->ops[i];
        if (!m->tasks[op->task].is_selected || !sv_view_touches(view, op->time_ns, op->time_ns))
            continue;
        *(op->is_send ? &totals[op->object].sent : &totals[op->object].received) += 1;
    }
    for (size_t i = 0; i < m->nwaits; i++) {
        const sv_wait *w = &m->waits[i];
        if (w->reason != SV_REASON_CHANNEL || w->object == SV_NONE ||
            !m->tasks[w->task].is_selected)
            continue;
        uint64_t waited = sv_view_overlap(view, w->parked_ns, w->woken_ns);
        object_totals *t = &totals[w->object];
        *(w->side == SV_SIDE_FULL    ? &t->full_ns
          : w->side == SV_SIDE_EMPTY ? &t->empty_ns
                                     : &t->unknown_ns) += waited;
    }
}

static void put_channels(FILE *out, const sv_model *m, const object_totals *totals)
{
    fprintf(out, "\nCHANNELS  (blocked full: senders waited for room; blocked empty: receivers "
                 "waited for a message)\n");
    fprintf(out, "  channel         kind          sent  received  blocked full  blocked empty\n");
    char cell[64];
    int nchannels = 0;
    for (size_t i = 0; i < m->nobjects; i++) {
        const object_totals *t = &totals[i];
        if (m->objects[i].class != SV_OBJECT_CHANNEL && !(t->sent || t->received))
            continue;
        put_object_name(out, &m->objects[i]);
        nchannels++;
        snprintf(cell, sizeof cell, "%" PRIu64, t->sent);
        sv_put_cell(out, cell, 4, true);
        snprintf(cell, sizeof cell, "%" PRIu64, t->received);
        sv_put_cell(out, cell, 10, true);
        sv_put_cell(out, sv_format_duration(t->full_ns, cell, sizeof cell), 14, true);
        sv_put_cell(out, sv_format_duration(t->empty_ns, cell, sizeof cell), 15, true);
        if (t->unknown_ns)
            fprintf(out, "  (and %s blocked, side unknown)",
                    sv_format_duration(t->unknown_ns, cell, sizeof cell));
        fputc('\n', out);
    }
    if (nchannels == 0)
        fprintf(out, "  (no channels in this trace)\n");
}

/* ------------------------------------------------------------ the whole report */

static void put_header(FILE *out, const sv_model *m, const sv_view *view)
{
    char a[32], b[32], c[32];
    fprintf(out, "schedviz report: %s\n", m->path);
    fprintf(out, "clock: %s   workers: %d   events: %zu   tasks: %zu\n",
            m->clock == RT_TRACE_CLOCK_VIRTUAL ? "virtual" : "real", m->nworkers, m->nevents,
            m->ntasks);
    fprintf(out, "window: %s .. %s (%s)", sv_format_duration(view->from_ns, a, sizeof a),
            sv_format_duration(view->to_ns, b, sizeof b),
            sv_format_duration(sv_view_span(view), c, sizeof c));
    fprintf(out, "   showing: %s", view->ntask_filters ? "" : "every task");
    for (int i = 0; i < view->ntask_filters; i++)
        fprintf(out, "%s--task %s", i ? ", " : "", view->task_filters[i]);
    fprintf(out, "\n\n");
}

int sv_write_report(FILE *out, const sv_model *m, const sv_view *view)
{
    put_header(out, m, view);
    int rc = put_tasks(out, m, view);
    if (rc == 0)
        rc = put_workers(out, m, view);
    object_totals *totals = rc == 0 ? calloc(m->nobjects + 1, sizeof *totals) : NULL;
    if (rc == 0 && !totals)
        rc = -ENOMEM;
    if (rc == 0) {
        count_locks(m, view, totals);
        count_channels(m, view, totals);
        put_locks(out, m, totals);
        put_channels(out, m, totals);
    }
    free(totals);
    return rc;
}
