/*
 * lanes.c - the worker lanes as text: an ASCII picture (--ascii) and a plain list (--lanes).
 *
 * Chapter: chapters/reading-the-pictures.md#in-the-terminal
 *
 * --ascii draws one row per worker, time left to right, one character per column:
 *
 *     worker 0 |AAAAAA..BBBB    AA|      A, B, ...  the task that ran longest in the column
 *     worker 1 |..CCCCCCCC........|      .          awake, but running no task
 *                                        (blank)    asleep: the worker parked, no work
 *
 * --lanes prints every run slice as one tab-separated line, worker by worker, in time
 * order: the same facts without the picture, for scripts and for the tests, which check
 * that a scripted scenario ran exactly the expected slices in the expected order.
 */
#include "schedviz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ --lanes */

int sv_write_lanes(FILE *out, const sv_model *m, const sv_view *view)
{
    fprintf(out, "# worker\tstart_ns\tend_ns\ttask\tname\tstopped\n");
    for (int w = 0; w < m->nworkers; w++)
        for (size_t i = 0; i < m->nslices; i++) {
            const sv_slice *s = &m->slices[i];
            const sv_task *t = &m->tasks[s->task];
            if (s->worker != w || !t->is_selected || !sv_view_touches(view, s->start_ns, s->end_ns))
                continue;
            fprintf(out, "%d\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%s\t%s\n", w, s->start_ns,
                    s->end_ns, t->id, t->name, s->why_stopped);
        }
    return 0;
}

/* ------------------------------------------------------------ --ascii */

static const char symbols[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
enum { NSYMBOLS = sizeof symbols - 1 };

typedef struct canvas {
    int columns;
    uint64_t from_ns, ns_per_column;
    char *row;
    uint64_t *best_ns; /* per column: the longest run seen in it so far */
    int *symbol_of;    /* per task: index into symbols, -1 before its first appearance */
    int nsymbols;
} canvas;

/* Marks [start, end) on the row with ch, where nothing longer claimed the column. */
static void paint(canvas *c, uint64_t start_ns, uint64_t end_ns, char ch, bool is_run)
{
    uint64_t from = start_ns > c->from_ns ? start_ns - c->from_ns : 0;
    uint64_t to = end_ns > c->from_ns ? end_ns - c->from_ns : 0;
    int first = (int)(from / c->ns_per_column), last = (int)(to / c->ns_per_column);
    for (int col = first; col <= last && col < c->columns; col++) {
        uint64_t col_start = (uint64_t)col * c->ns_per_column,
                 col_end = col_start + c->ns_per_column;
        uint64_t a = from > col_start ? from : col_start, b = to < col_end ? to : col_end;
        uint64_t inside = b > a ? b - a : (from == to ? 1 : 0);
        if (inside == 0)
            continue;
        if (!is_run && c->row[col] == '.')
            c->row[col] = ch;
        else if (is_run && inside > c->best_ns[col]) {
            c->row[col] = ch;
            c->best_ns[col] = inside;
        }
    }
}

static char symbol_for(canvas *c, uint32_t task)
{
    if (c->symbol_of[task] < 0)
        c->symbol_of[task] = c->nsymbols < NSYMBOLS ? c->nsymbols++ : NSYMBOLS;
    return c->symbol_of[task] < NSYMBOLS ? symbols[c->symbol_of[task]] : '*';
}

static void put_row(FILE *out, canvas *c, const sv_model *m, const sv_view *view, int w)
{
    memset(c->row, '.', (size_t)c->columns);
    memset(c->best_ns, 0, (size_t)c->columns * sizeof *c->best_ns);
    for (size_t i = 0; i < m->nsleeps; i++)
        if (m->sleeps[i].worker == w &&
            sv_view_touches(view, m->sleeps[i].start_ns, m->sleeps[i].end_ns))
            paint(c, m->sleeps[i].start_ns, m->sleeps[i].end_ns, ' ', false);
    for (size_t i = 0; i < m->nslices; i++) {
        const sv_slice *s = &m->slices[i];
        if (s->worker == w && m->tasks[s->task].is_selected &&
            sv_view_touches(view, s->start_ns, s->end_ns))
            paint(c, s->start_ns, s->end_ns, symbol_for(c, s->task), true);
    }
    fprintf(out, "worker %-3d|%.*s|\n", w, c->columns, c->row);
}

/* "2 µs" -> "2 us": this view is plain ASCII, where one byte is one column. */
static void ascii_units(char *tick)
{
    char *micro = strstr(tick, "\xc2\xb5");
    if (micro) {
        micro[0] = 'u';
        memmove(micro + 1, micro + 2, strlen(micro + 2) + 1);
    }
}

/* The time axis: a tick mark every 10 columns, labelled where the label fits. */
static void put_axis(FILE *out, const canvas *c)
{
    char labels[1200], marks[1200];
    int width = c->columns + 1;
    memset(labels, ' ', (size_t)width + 40);
    memset(marks, '-', (size_t)width);
    int free_from = 0;
    for (int col = 0; col <= c->columns; col += 10) {
        marks[col] = '+';
        char tick[32];
        sv_format_tick(c->from_ns + (uint64_t)col * c->ns_per_column, tick, sizeof tick);
        ascii_units(tick);
        int len = (int)strlen(tick);
        if (col >= free_from) {
            memcpy(labels + col, tick, (size_t)len);
            free_from = col + len + 2;
        }
    }
    int end = width + 40;
    while (end > 0 && labels[end - 1] == ' ')
        end--;
    fprintf(out, "%10s%.*s\n%10s%.*s\n", "", end, labels, "", width, marks);
}

static void put_legend(FILE *out, const canvas *c, const sv_model *m)
{
    fprintf(out, "legend: . idle   (blank) asleep");
    char label[160];
    bool has_others = false;
    for (int symbol = 0; symbol < c->nsymbols; symbol++)
        for (size_t t = 0; t < m->ntasks; t++)
            if (c->symbol_of[t] == symbol)
                fprintf(out, "   %c %s", symbols[symbol],
                        sv_task_label(m, (uint32_t)t, label, sizeof label));
    for (size_t t = 0; t < m->ntasks; t++)
        has_others = has_others || c->symbol_of[t] == NSYMBOLS;
    fprintf(out, "%s\n", has_others ? "   * other tasks" : "");
}

int sv_write_ascii(FILE *out, const sv_model *m, const sv_view *view, int columns)
{
    canvas c = {.columns = columns < 20     ? 20
                           : columns > 1000 ? 1000
                                            : columns,
                .from_ns = view->from_ns};
    c.ns_per_column = sv_round_step(sv_view_span(view), c.columns);
    uint64_t span = sv_view_span(view);
    uint64_t needed =
        span / c.ns_per_column + (span % c.ns_per_column != 0); /* none past the window */
    needed = needed ? needed : 1;
    c.columns = needed < (uint64_t)c.columns ? (int)needed : c.columns;
    c.row = malloc((size_t)c.columns);
    c.best_ns = malloc((size_t)c.columns * sizeof *c.best_ns);
    c.symbol_of = malloc((m->ntasks + 1) * sizeof *c.symbol_of);
    if (!c.row || !c.best_ns || !c.symbol_of) {
        free(c.row), free(c.best_ns), free(c.symbol_of);
        return -ENOMEM;
    }
    for (size_t t = 0; t < m->ntasks; t++)
        c.symbol_of[t] = -1;
    char step[32];
    sv_format_duration(c.ns_per_column, step, sizeof step);
    ascii_units(step);
    fprintf(out, "%s: one column = %s\n", m->path, step);
    put_axis(out, &c);
    for (int w = 0; w < m->nworkers; w++)
        put_row(out, &c, m, view, w);
    put_legend(out, &c, m);
    free(c.row), free(c.best_ns), free(c.symbol_of);
    return 0;
}
