/*
 * arrows.c - the timeline's arrows: who woke whom (and why), and which worker stole work.
 *
 * Chapter: chapters/reading-the-pictures.md#the-timeline
 *
 * A wake arrow starts at the moment of the wake, on the lane of the worker that did it
 * (the waker was running there), and ends where the woken task next started running. The
 * horizontal distance between the arrow's two ends is therefore the woken task's
 * scheduling delay: runnable, but not yet running. Arrows are coloured by cause (a send,
 * an unlock, I/O readiness, a timer, ...), so the kinds of waiting read at a glance.
 *
 * Aggregation: past TL_MAX_WAKE_ARROWS arrows a picture is a hairball. We then keep the
 * TL_WAKE_KINDS_KEPT most frequent kinds of wake-up - a kind is (waker's name, woken
 * task's name, cause), so a thousand "conn" tasks woken by "io" count as one kind - and
 * draw an even sample of those. The legend says how many were drawn out of how many.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const tl_causes[] = {"send", "recv",  "unlock", "io",    "timer",
                                 "exit", "abort", "spawn",  "yield", "other"};
const size_t tl_ncauses = sizeof tl_causes / sizeof *tl_causes;

static size_t cause_index(const char *cause)
{
    for (size_t c = 0; c < tl_ncauses; c++)
        if (strcmp(cause, tl_causes[c]) == 0)
            return c;
    return tl_ncauses - 1;
}

const char *tl_cause_color(const char *cause)
{
    static const char *const colors[] = {"#1f5fbf", "#1f5fbf", "#c0392b", "#1e8449", "#c77c00",
                                         "#7d3c98", "#943126", "#707070", "#2c3e50", "#2c3e50"};
    return colors[cause_index(cause)];
}

/* ------------------------------------------------------------ choosing what to draw */

static bool is_drawable(const tl_layout *l, const sv_wake *k)
{
    return k->next_slice != SV_NONE && l->node_of_slice[k->next_slice] != SV_NONE &&
           sv_view_touches(l->view, k->time_ns, k->time_ns) &&
           k->time_ns <= l->model->slices[k->next_slice].start_ns;
}

static const char *name_of(const sv_model *m, uint32_t task)
{
    return task == SV_NONE ? "" : m->tasks[task].name;
}

static int compare_kinds(const void *a, const void *b, void *context)
{
    const sv_model *m = context;
    const sv_wake *x = &m->wakes[*(const uint32_t *)a], *y = &m->wakes[*(const uint32_t *)b];
    int order = strcmp(name_of(m, x->waker), name_of(m, y->waker));
    if (order == 0)
        order = strcmp(name_of(m, x->woken), name_of(m, y->woken));
    return order ? order : strcmp(x->cause, y->cause);
}

typedef struct kind_run {
    size_t first, count; /* a run of equal kinds in the sorted array */
} kind_run;

static int by_count(const void *a, const void *b)
{
    const kind_run *x = a, *y = b;
    return x->count < y->count   ? 1
           : x->count > y->count ? -1
                                 : (x->first > y->first) - (x->first < y->first);
}

/* Keeps (in time order) only the wakes of the most frequent kinds. Returns the new count. */
static size_t keep_frequent_kinds(const sv_model *m, uint32_t *wakes, size_t n)
{
    uint32_t *sorted = malloc(n * sizeof *sorted);
    kind_run *runs = malloc(n * sizeof *runs);
    bool *is_kept = calloc(m->nwakes, sizeof *is_kept);
    if (!sorted || !runs || !is_kept) { /* out of memory: draw the first ones instead */
        free(sorted), free(runs), free(is_kept);
        return n < TL_MAX_WAKE_ARROWS ? n : TL_MAX_WAKE_ARROWS;
    }
    memcpy(sorted, wakes, n * sizeof *sorted);
    qsort_r(sorted, n, sizeof *sorted, compare_kinds, (void *)m);
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || compare_kinds(&sorted[i - 1], &sorted[i], (void *)m) != 0)
            runs[nruns++] = (kind_run){i, 1};
        else
            runs[nruns - 1].count++;
    qsort(runs, nruns, sizeof *runs, by_count);
    for (size_t r = 0; r < nruns && r < TL_WAKE_KINDS_KEPT; r++)
        for (size_t i = runs[r].first; i < runs[r].first + runs[r].count; i++)
            is_kept[sorted[i]] = true;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (is_kept[wakes[i]])
            wakes[kept++] = wakes[i];
    free(sorted), free(runs), free(is_kept);
    return kept;
}

/* Keeps an even sample of at most max items (in order). Returns the new count. */
static size_t sample_evenly(uint32_t *items, size_t n, size_t max)
{
    if (n <= max)
        return n;
    for (size_t i = 0; i < max; i++)
        items[i] = items[i * n / max];
    return max;
}

/* ------------------------------------------------------------ drawing */

/* A cubic Bezier curve from (x0,y0) that leaves vertically towards mid_y and arrives
 * vertically at the tip (x3,tip_y); the arrowhead takes its last 6 points. */
typedef struct curve {
    double x0, y0, mid_y, x3, tip_y;
} curve;

static void put_curve(FILE *out, const curve *c, const char *label, double label_dx)
{
    double end_y = c->tip_y + (c->mid_y > c->tip_y ? 6 : -6);
    fprintf(out, "pos=\"e,%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"", c->x3, c->tip_y,
            c->x0, c->y0, c->x0, c->mid_y, c->x3, c->mid_y, c->x3, end_y);
    if (label) {
        /* The curve's midpoint, B(1/2) = (p0 + 3 c1 + 3 c2 + p3) / 8. */
        double mx = (c->x0 + 3 * c->x0 + 3 * c->x3 + c->x3) / 8,
               my = (c->y0 + 6 * c->mid_y + end_y) / 8;
        fprintf(out, ", label=\"%s\", lp=\"%.1f,%.1f\"", label, mx + label_dx,
                my + (label_dx == 0 ? 5 : 0));
    }
}

static void put_wake(FILE *out, const tl_layout *l, size_t n, uint32_t wake, bool is_labelled)
{
    const sv_model *m = l->model;
    const sv_wake *k = &m->wakes[wake];
    const sv_slice *target = &m->slices[k->next_slice];
    double half = l->box_height / 2, y_from = tl_lane_y(l, k->worker),
           y_to = tl_lane_y(l, target->worker);
    curve c = {.x0 = tl_x(l, k->time_ns), .x3 = tl_x(l, target->start_ns) + 1.5};
    if (y_from == y_to) { /* same lane: an arc over the boxes */
        c.y0 = y_from + half;
        c.tip_y = y_to + half;
        double rise = 12 + (c.x3 - c.x0) / 8;
        c.mid_y = c.y0 + (rise > 24 ? 24 : rise);
    } else {
        bool is_down = y_to < y_from;
        c.y0 = y_from + (is_down ? -half : half);
        c.tip_y = y_to + (is_down ? half : -half);
        c.mid_y = (c.y0 + c.tip_y) / 2;
    }
    const char *color = tl_cause_color(k->cause);
    fprintf(out, "  wk%zu [shape=point, width=0.06, color=\"%s\", pos=\"%.1f,%.1f!\"];\n", n, color,
            c.x0, c.y0);
    fprintf(out, "  wk%zu -> b%" PRIu32 " [color=\"%s\", fontcolor=\"%s\", penwidth=1.2, ", n,
            l->node_of_slice[k->next_slice], color, color);
    put_curve(out, &c, is_labelled ? k->cause : NULL,
              y_from == y_to ? 0 : 4 + strlen(k->cause) * 2.3);
    fprintf(out, "];\n");
}

static void put_steal(FILE *out, const tl_layout *l, size_t n, const sv_steal *s, bool is_labelled)
{
    double half = l->box_height / 2, y_from = tl_lane_y(l, s->victim),
           y_to = tl_lane_y(l, s->thief);
    bool is_down = y_to < y_from;
    curve c = {.x0 = tl_x(l, s->time_ns), .y0 = y_from + (is_down ? -half : half)};
    c.x3 = c.x0 + 8;
    c.tip_y = y_to + (is_down ? half : -half);
    c.mid_y = (c.y0 + c.tip_y) / 2;
    char label[48];
    snprintf(label, sizeof label, "steal %" PRIu64, s->count);
    fprintf(out, "  st%zu [shape=point, width=0.06, color=\"#a04000\", pos=\"%.1f,%.1f!\"];\n", n,
            c.x0, c.y0);
    fprintf(out, "  st%zu_to [shape=point, style=invis, width=0.01, pos=\"%.1f,%.1f!\"];\n", n,
            c.x3, c.tip_y);
    fprintf(out,
            "  st%zu -> st%zu_to [color=\"#a04000\", fontcolor=\"#a04000\", style=dashed, "
            "penwidth=1.4, ",
            n, n);
    put_curve(out, &c, is_labelled ? label : NULL, -22);
    fprintf(out, "];\n");
}

static int put_steals(FILE *out, const tl_layout *l, tl_arrow_summary *summary)
{
    const sv_model *m = l->model;
    uint32_t *steals = malloc((m->nsteals + 1) * sizeof *steals);
    if (!steals)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m->nsteals; i++)
        if (sv_view_touches(l->view, m->steals[i].time_ns, m->steals[i].time_ns) &&
            m->steals[i].thief != m->steals[i].victim)
            steals[n++] = (uint32_t)i;
    summary->nsteals_in_view = n;
    n = sample_evenly(steals, n, TL_MAX_STEAL_ARROWS);
    summary->nsteals_drawn = n;
    for (size_t i = 0; i < n; i++)
        put_steal(out, l, i, &m->steals[steals[i]], n <= TL_LABELLED_ARROWS);
    free(steals);
    return 0;
}

int tl_write_arrows(FILE *out, const tl_layout *l, tl_arrow_summary *summary)
{
    const sv_model *m = l->model;
    uint32_t *wakes = malloc((m->nwakes + 1) * sizeof *wakes);
    if (!wakes)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m->nwakes; i++)
        if (is_drawable(l, &m->wakes[i]))
            wakes[n++] = (uint32_t)i;
    summary->nwakes_in_view = n;
    if (n > TL_MAX_WAKE_ARROWS)
        n = sample_evenly(wakes, keep_frequent_kinds(m, wakes, n), TL_MAX_WAKE_ARROWS);
    summary->nwakes_drawn = n;
    for (size_t i = 0; i < n; i++) {
        put_wake(out, l, i, wakes[i], n <= TL_LABELLED_ARROWS);
        summary->has_cause[cause_index(m->wakes[wakes[i]].cause)] = true;
    }
    free(wakes);
    return put_steals(out, l, summary);
}
