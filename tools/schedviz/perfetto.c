/*
 * perfetto.c - the trace as Chrome trace-event JSON, for ui.perfetto.dev or chrome://tracing.
 *
 * Chapter: chapters/reading-the-pictures.md#big-traces
 *
 * Our pictures aggregate a big trace to stay readable; a trace viewer instead lets you
 * zoom into every slice of a million events. We map the model onto the format's ideas:
 *
 *     process 1 "workers"   one thread track per worker, a complete event ("X") per run
 *                           slice; wakes are flow arrows ("s" -> "f") from the waker's
 *                           track to the woken task's next slice; steals and marks are
 *                           instant events ("i")
 *     process 2 "tasks"     one track per task: its waits ("waiting: lock") and its ready
 *                           time ("ready"), the part of its life the worker tracks do not show
 *
 * Timestamps in the format are microseconds; we print them with three decimals so that
 * nothing below a microsecond is lost.
 */
#include "schedviz.h"

#include <errno.h>
#include <inttypes.h>

enum { PID_WORKERS = 1, PID_TASKS = 2 };

static void put_us(FILE *out, const char *key, uint64_t ns)
{
    fprintf(out, "\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000, ns % 1000);
}

static void put_track_names(FILE *out, const sv_model *m)
{
    fprintf(out,
            "{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"workers\"}}",
            PID_WORKERS);
    fprintf(out,
            ",\n{\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"tasks\"}}",
            PID_TASKS);
    for (int w = 0; w <= m->nworkers; w++)
        fprintf(out,
                ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\",\"args\":{"
                "\"name\":\"%s %d\"}}",
                PID_WORKERS, w, w < m->nworkers ? "worker" : "outside the workers", w);
    for (size_t t = 0; t < m->ntasks; t++) {
        if (!m->tasks[t].is_selected)
            continue;
        fprintf(out,
                ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu64
                ",\"name\":\"thread_name\",\"args\":{\"name\":\"",
                PID_TASKS, m->tasks[t].id);
        sv_put_json_string(out, m->tasks[t].name);
        fprintf(out, " #%" PRIu64 "\"}}", m->tasks[t].id);
    }
}

static void put_complete(FILE *out, int pid, uint64_t tid, uint64_t start, uint64_t end,
                         const char *name, const char *suffix)
{
    fprintf(out, ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%" PRIu64 ",", pid, tid);
    put_us(out, "ts", start);
    fputc(',', out);
    put_us(out, "dur", end - start);
    fprintf(out, ",\"name\":\"");
    sv_put_json_string(out, name);
    fprintf(out, "%s\"}", suffix);
}

static void put_slices_and_waits(FILE *out, const sv_model *m, const sv_view *v)
{
    char name[64];
    for (size_t i = 0; i < m->nslices; i++) {
        const sv_slice *s = &m->slices[i];
        const sv_task *t = &m->tasks[s->task];
        if (t->is_selected && sv_view_touches(v, s->start_ns, s->end_ns)) {
            snprintf(name, sizeof name, " #%" PRIu64, t->id);
            put_complete(out, PID_WORKERS, (uint64_t)s->worker, s->start_ns, s->end_ns, t->name,
                         name);
        }
    }
    for (size_t i = 0; i < m->nwaits; i++) {
        const sv_wait *w = &m->waits[i];
        const sv_task *t = &m->tasks[w->task];
        if (!t->is_selected)
            continue;
        snprintf(name, sizeof name, "waiting: %s", sv_reason_name(w->reason));
        if (w->woken_ns > w->parked_ns && sv_view_touches(v, w->parked_ns, w->woken_ns))
            put_complete(out, PID_TASKS, t->id, w->parked_ns, w->woken_ns, name, "");
        if (w->resumed_ns > w->woken_ns && sv_view_touches(v, w->woken_ns, w->resumed_ns))
            put_complete(out, PID_TASKS, t->id, w->woken_ns, w->resumed_ns, "ready", "");
    }
}

static void put_flow(FILE *out, const sv_model *m, size_t id, const sv_wake *k)
{
    const sv_slice *target = &m->slices[k->next_slice];
    int from = k->worker == RT_TRACE_NO_WORKER ? m->nworkers : k->worker;
    if (from == m->nworkers) /* a flow needs an event to leave from on the outside track */
        put_complete(out, PID_WORKERS, (uint64_t)from, k->time_ns, k->time_ns, "wake", "");
    fprintf(out,
            ",\n{\"ph\":\"s\",\"id\":%zu,\"pid\":%d,\"tid\":%d,\"cat\":\"wake\",\"name\":\"woken "
            "by %s\",",
            id, PID_WORKERS, from, k->cause);
    put_us(out, "ts", k->time_ns);
    fprintf(out,
            "},\n{\"ph\":\"f\",\"bp\":\"e\",\"id\":%zu,\"pid\":%d,\"tid\":%d,\"cat\":\"wake\","
            "\"name\":\"woken by %s\",",
            id, PID_WORKERS, target->worker, k->cause);
    put_us(out, "ts", target->start_ns);
    fputc('}', out);
}

static void put_instants(FILE *out, const sv_model *m, const sv_view *v)
{
    for (size_t i = 0; i < m->nwakes; i++) {
        const sv_wake *k = &m->wakes[i];
        if (k->next_slice != SV_NONE && m->tasks[k->woken].is_selected &&
            sv_view_touches(v, k->time_ns, k->time_ns))
            put_flow(out, m, i + 1, k);
    }
    for (size_t i = 0; i < m->nsteals; i++) {
        const sv_steal *s = &m->steals[i];
        if (!sv_view_touches(v, s->time_ns, s->time_ns))
            continue;
        fprintf(out,
                ",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,\"name\":\"steal %" PRIu64
                " from worker %d\",",
                PID_WORKERS, s->thief, s->count, s->victim);
        put_us(out, "ts", s->time_ns);
        fputc('}', out);
    }
    for (size_t i = 0; i < m->nmarks; i++) {
        const sv_mark *k = &m->marks[i];
        if (!sv_view_touches(v, k->time_ns, k->time_ns) ||
            (k->task != SV_NONE && !m->tasks[k->task].is_selected))
            continue;
        int tid = k->worker == RT_TRACE_NO_WORKER ? m->nworkers : k->worker;
        fprintf(out, ",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,\"name\":\"", PID_WORKERS,
                tid);
        sv_put_json_string(out, k->text);
        fprintf(out, "\",");
        put_us(out, "ts", k->time_ns);
        fputc('}', out);
    }
}

int sv_write_perfetto(FILE *out, const sv_model *m, const sv_view *view)
{
    fprintf(out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    put_track_names(out, m);
    put_slices_and_waits(out, m, view);
    put_instants(out, m, view);
    fprintf(out, "\n]}\n");
    return ferror(out) ? -EIO : 0;
}
