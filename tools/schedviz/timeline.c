/*
 * timeline.c - the timeline picture: one lane per worker, a box per run slice, time linear.
 *
 * Chapter: chapters/reading-the-pictures.md#the-timeline
 *
 * The output is Graphviz DOT with every position fixed (render with `neato -n2`). What a
 * student should see at a glance:
 *
 *   - which task ran on which worker when: a box per run slice, in the task's colour
 *     (the colour comes from the task's name, so it is the same in every picture);
 *   - when a worker had nothing to do: empty lane;
 *   - who woke whom, and why: arrows (arrows.c), coloured by cause;
 *   - how long things took: a linear axis with round tick labels in ns, µs or ms.
 *
 * Big traces: a lane with more than TL_LANE_DETAIL slices merges neighbours narrower than
 * a few points into one grey, dashed "many short runs" box, so that the picture keeps a
 * bounded number of boxes (at most about one per 4 points of axis) and stays readable.
 * The legend says when that happened.
 */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { AXIS_POINTS = 1000, TINY_POINTS = 4 };
static const char font[] = "Helvetica,Arial,sans-serif";
enum { MARKS_DRAWN_MAX = 40, MARK_COLOR_HEX = 0xb22222 }; /* the program's labels */

/* ------------------------------------------------------------ geometry */

double tl_x(const tl_layout *l, uint64_t time_ns)
{
    uint64_t span = sv_view_span(l->view) ? sv_view_span(l->view) : 1;
    uint64_t clipped = time_ns < l->view->from_ns ? l->view->from_ns
                       : time_ns > l->view->to_ns ? l->view->to_ns
                                                  : time_ns;
    return l->left + l->width * (double)(clipped - l->view->from_ns) / (double)span;
}

double tl_lane_y(const tl_layout *l, int worker)
{
    int lane = worker == RT_TRACE_NO_WORKER ? 0 : worker + l->has_outside_lane;
    return l->top - lane * l->lane_pitch;
}

/* Helvetica's average glyph is about half its size wide: good enough to decide whether a
 * name fits in a box (we would rather drop a label than let it spill over a neighbour). */
static double text_width(const char *text, double font_size)
{
    int glyphs = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        glyphs += (*p & 0xc0) != 0x80;
    return glyphs * font_size * 0.56;
}

/* A line with no arrowhead between two invisible anchor nodes (DOT draws edges only
 * between nodes; the explicit pos makes neato -n2 draw exactly this segment). */
static void put_line(FILE *out, const char *id, double x1, double y1, double x2, double y2,
                     const char *attributes)
{
    fprintf(out, "  %s_a [shape=point, style=invis, width=0.01, pos=\"%.1f,%.1f!\"];\n", id, x1,
            y1);
    fprintf(out, "  %s_b [shape=point, style=invis, width=0.01, pos=\"%.1f,%.1f!\"];\n", id, x2,
            y2);
    fprintf(out,
            "  %s_a -> %s_b [dir=none, %s, pos=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"];\n", id,
            id, attributes, x1, y1, x1, y1, x2, y2, x2, y2);
}

static void put_text(FILE *out, const char *id, double x, double y, const char *text,
                     double font_size, const char *extra)
{
    fprintf(out,
            "  %s [shape=plaintext, style=\"\", fixedsize=false, margin=0, width=0, height=0, "
            "fontsize=%.0f, label=\"",
            id, font_size);
    sv_put_dot_string(out, text);
    fprintf(out, "\", pos=\"%.1f,%.1f!\"%s%s];\n", x, y, extra ? ", " : "", extra ? extra : "");
}

/* ------------------------------------------------------------ boxes */

/* One box: a single slice (task != SV_NONE) or several merged ones (task == SV_NONE). */
typedef struct box {
    uint64_t start_ns, end_ns;
    uint32_t task, nslices;
} box;

static void put_box(FILE *out, const tl_layout *l, int worker, uint32_t id, const box *b)
{
    const sv_model *m = l->model;
    double x1 = tl_x(l, b->start_ns), x2 = tl_x(l, b->end_ns), width = x2 - x1 < 1 ? 1 : x2 - x1;
    char color[16], label[64], tip[256], length[32];
    sv_format_duration(b->end_ns - b->start_ns, length, sizeof length);
    if (b->task != SV_NONE) {
        snprintf(color, sizeof color, "%s", m->tasks[b->task].color);
        snprintf(label, sizeof label, "%s", m->tasks[b->task].name);
        snprintf(tip, sizeof tip, "%s #%" PRIu64 " ran %s", m->tasks[b->task].name,
                 m->tasks[b->task].id, length);
    } else {
        snprintf(color, sizeof color, "#d0d0d0");
        snprintf(label, sizeof label, "%" PRIu32 " runs", b->nslices);
        snprintf(tip, sizeof tip, "%" PRIu32 " short runs merged, over %s", b->nslices, length);
    }
    fprintf(out,
            "  b%" PRIu32
            " [pos=\"%.2f,%.1f!\", width=%.4f, height=%.3f, fillcolor=\"%s\", %slabel=\"",
            id, x1 + width / 2, tl_lane_y(l, worker), width / 72, l->box_height / 72, color,
            b->task == SV_NONE ? "style=\"filled,dashed\", " : "");
    if (text_width(label, 10) + 4 < width)
        sv_put_dot_string(out, label);
    fprintf(out, "\", tooltip=\"");
    sv_put_dot_string(out, tip);
    fprintf(out, "\"];\n");
}

/* The lane's slices that the view shows, in time order (slices are stored in start order). */
static size_t lane_slices(const tl_layout *l, int worker, uint32_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < l->model->nslices; i++) {
        const sv_slice *s = &l->model->slices[i];
        if (s->worker == worker && l->model->tasks[s->task].is_selected &&
            sv_view_touches(l->view, s->start_ns, s->end_ns))
            out[n++] = (uint32_t)i;
    }
    return n;
}

/* Merges runs of tiny, close slices into one box; returns how many slices it took. */
static size_t merge_tiny(const tl_layout *l, const uint32_t *slices, size_t n, box *b)
{
    const sv_slice *s = l->model->slices;
    double tiny = TINY_POINTS;
    size_t k = 1;
    while (k < n && tl_x(l, s[slices[k]].end_ns) - tl_x(l, s[slices[k]].start_ns) < tiny &&
           tl_x(l, s[slices[k]].start_ns) - tl_x(l, s[slices[k - 1]].end_ns) < tiny)
        k++;
    *b = (box){s[slices[0]].start_ns, s[slices[k - 1]].end_ns, k > 1 ? SV_NONE : s[slices[0]].task,
               (uint32_t)k};
    return k;
}

static void put_lane(FILE *out, tl_layout *l, int worker, uint32_t *scratch, uint32_t *next_id)
{
    const sv_slice *s = l->model->slices;
    size_t n = lane_slices(l, worker, scratch);
    bool is_crowded = n > TL_LANE_DETAIL;
    for (size_t i = 0; i < n;) {
        box b = {s[scratch[i]].start_ns, s[scratch[i]].end_ns, s[scratch[i]].task, 1};
        bool is_tiny = tl_x(l, b.end_ns) - tl_x(l, b.start_ns) < TINY_POINTS;
        size_t taken = is_crowded && is_tiny ? merge_tiny(l, scratch + i, n - i, &b) : 1;
        l->is_aggregated |= taken > 1;
        for (size_t k = i; k < i + taken; k++)
            l->node_of_slice[scratch[k]] = *next_id;
        put_box(out, l, worker, (*next_id)++, &b);
        i += taken;
    }
}

/* ------------------------------------------------------------ lanes, axis, title */

static void put_lane_frames(FILE *out, const tl_layout *l)
{
    char id[32], name[32];
    double right = l->left + l->width;
    for (int w = l->has_outside_lane ? RT_TRACE_NO_WORKER : 0; w < l->model->nworkers; w++) {
        double y = tl_lane_y(l, w);
        snprintf(id, sizeof id, "lane%d", w + 1);
        put_line(out, id, l->left, y, right, y, "color=\"#cccccc\"");
        snprintf(id, sizeof id, "lanelabel%d", w + 1);
        if (w == RT_TRACE_NO_WORKER)
            snprintf(name, sizeof name, "outside");
        else
            snprintf(name, sizeof name, "worker %d", w);
        put_text(out, id, l->left - 12 - text_width(name, 11) / 2, y, name, 11,
                 "fontname=\"Helvetica-Bold\"");
    }
}

/* A round step gives ticks like 0, 2 µs, 4 µs; a dotted grid line runs up through the lanes. */
static void put_axis(FILE *out, const tl_layout *l)
{
    const sv_view *v = l->view;
    double y = tl_lane_y(l, l->model->nworkers - 1) - l->lane_pitch * 0.6;
    double top = tl_lane_y(l, l->has_outside_lane ? RT_TRACE_NO_WORKER : 0) + l->box_height;
    put_line(out, "axis", l->left, y, l->left + l->width, y, "color=\"#404040\"");
    uint64_t step = sv_round_step(sv_view_span(v) ? sv_view_span(v) : 1, 8);
    uint64_t first = (v->from_ns + step - 1) / step * step;
    char id[32], label[32];
    for (uint64_t t = first, i = 0; t <= v->to_ns && i < 20; t += step, i++) {
        double x = tl_x(l, t);
        snprintf(id, sizeof id, "tick%" PRIu64, i);
        put_line(out, id, x, y, x, y - 5, "color=\"#404040\"");
        snprintf(id, sizeof id, "grid%" PRIu64, i);
        put_line(out, id, x, y, x, top, "color=\"#e4e4e4\", style=dotted");
        snprintf(id, sizeof id, "ticklabel%" PRIu64, i);
        put_text(out, id, x, y - 14, sv_format_tick(t, label, sizeof label), 10, NULL);
    }
    put_text(out, "axistitle", l->left + l->width / 2, y - 32, "time (from the start of the trace)",
             10, "fontcolor=\"#606060\"");
}

static void put_title(FILE *out, const tl_layout *l)
{
    char title[512], from[32], to[32];
    const char *name =
        strrchr(l->model->path, '/') ? strrchr(l->model->path, '/') + 1 : l->model->path;
    snprintf(title, sizeof title, "Which task ran on which worker: %s   (%s to %s, %s clock)", name,
             sv_format_tick(l->view->from_ns, from, sizeof from),
             sv_format_tick(l->view->to_ns, to, sizeof to),
             l->model->clock == RT_TRACE_CLOCK_VIRTUAL ? "virtual" : "real");
    double y = tl_lane_y(l, l->has_outside_lane ? RT_TRACE_NO_WORKER : 0) + l->lane_pitch * 0.95;
    put_text(out, "title", l->left + text_width(title, 14) / 2, y, title, 14,
             "fontname=\"Helvetica-Bold\"");
}

/* ------------------------------------------------------------ legend */

/* Tasks in the legend: those drawn, the ones that ran longest first. */
static size_t legend_tasks(const tl_layout *l, uint32_t *order, uint64_t *run_ns)
{
    const sv_model *m = l->model;
    size_t n = 0;
    for (size_t i = 0; i < m->nslices; i++)
        if (l->node_of_slice[i] != SV_NONE)
            run_ns[m->slices[i].task] +=
                sv_view_overlap(l->view, m->slices[i].start_ns, m->slices[i].end_ns) + 1;
    for (size_t t = 0; t < m->ntasks; t++)
        if (run_ns[t] > 0)
            order[n++] = (uint32_t)t;
    for (size_t i = 1; i < n;
         i++) /* insertion sort: stable, and the legend shows at most a dozen */
        for (size_t k = i; k > 0 && run_ns[order[k]] > run_ns[order[k - 1]]; k--) {
            uint32_t swap = order[k];
            order[k] = order[k - 1];
            order[k - 1] = swap;
        }
    return n;
}

/* One swatch per task name (tasks that share a name share a colour): "conn (x200)". */
static void put_task_swatches(FILE *out, const tl_layout *l, const uint32_t *order, size_t n)
{
    enum { SHOWN = 12 };
    const sv_task *shown[SHOWN];
    size_t count[SHOWN], nshown = 0, nhidden = 0;
    for (size_t i = 0; i < n; i++) {
        const sv_task *t = &l->model->tasks[order[i]];
        size_t k = 0;
        while (k < nshown && strcmp(shown[k]->name, t->name) != 0)
            k++;
        if (k < nshown)
            count[k]++;
        else if (nshown < SHOWN)
            shown[nshown] = t, count[nshown++] = 1;
        else
            nhidden++;
    }
    fprintf(out, "<TR><TD ALIGN=\"LEFT\"><B>tasks</B></TD><TD ALIGN=\"LEFT\">");
    for (size_t k = 0; k < nshown; k++) {
        fprintf(out, "<FONT COLOR=\"%s\">&#9608;&#9608;</FONT> ", shown[k]->color);
        sv_put_html_string(out, shown[k]->name);
        if (count[k] > 1)
            fprintf(out, " (x%zu)   ", count[k]);
        else
            fprintf(out, " #%" PRIu64 "   ", shown[k]->id);
    }
    if (nhidden)
        fprintf(out, "and %zu more tasks", nhidden);
    fprintf(out, "</TD></TR>");
}

static void put_arrow_kinds(FILE *out, const tl_arrow_summary *summary, bool is_aggregated)
{
    fprintf(out, "<TR><TD ALIGN=\"LEFT\"><B>arrows</B></TD><TD ALIGN=\"LEFT\">");
    for (size_t c = 0; c < tl_ncauses; c++)
        if (summary->has_cause[c])
            fprintf(out, "<FONT COLOR=\"%s\">&#8594; woken by %s</FONT>   ",
                    tl_cause_color(tl_causes[c]), tl_causes[c]);
    if (summary->nsteals_drawn)
        fprintf(out, "<FONT COLOR=\"#a04000\">- - &#8594; steal (a worker took tasks from "
                     "another's queue)</FONT>");
    if (!summary->nwakes_drawn && !summary->nsteals_drawn)
        fprintf(out, "none in this window");
    fprintf(out, "</TD></TR><TR><TD ALIGN=\"LEFT\"><B>reading</B></TD><TD ALIGN=\"LEFT\">"
                 "a box: a task running on that worker   empty lane: the worker was idle or asleep"
                 "<BR ALIGN=\"LEFT\"/>");
    /* In an HTML-like label, the <BR> that ends a line sets that line's alignment. */
    if (summary->nwakes_in_view > summary->nwakes_drawn)
        fprintf(out,
                "aggregated: %zu of %zu wake-ups drawn (the %d most frequent kinds of waker, "
                "woken and cause)<BR ALIGN=\"LEFT\"/>",
                summary->nwakes_drawn, summary->nwakes_in_view, TL_WAKE_KINDS_KEPT);
    if (summary->nsteals_in_view > summary->nsteals_drawn)
        fprintf(out, "aggregated: %zu of %zu steals drawn (an even sample)<BR ALIGN=\"LEFT\"/>",
                summary->nsteals_drawn, summary->nsteals_in_view);
    if (is_aggregated)
        fprintf(out, "aggregated: a grey dashed box is many short runs merged (hover for the "
                     "count)<BR ALIGN=\"LEFT\"/>");
    if (summary->nmarks_drawn)
        fprintf(out,
                "<FONT COLOR=\"#%06x\">a dashed red flag: a label the program set "
                "(rt_trace_mark)</FONT><BR ALIGN=\"LEFT\"/>",
                MARK_COLOR_HEX);
    if (summary->nmarks_in_view > summary->nmarks_drawn)
        fprintf(out, "aggregated: the first %zu of %zu labels drawn<BR ALIGN=\"LEFT\"/>",
                summary->nmarks_drawn, summary->nmarks_in_view);
    fprintf(out, "</TD></TR>");
}

static int put_legend(FILE *out, const tl_layout *l, const tl_arrow_summary *summary)
{
    const sv_model *m = l->model;
    uint32_t *order = calloc(m->ntasks + 1, sizeof *order);
    uint64_t *run_ns = calloc(m->ntasks + 1, sizeof *run_ns);
    if (!order || !run_ns) {
        free(order), free(run_ns);
        return -ENOMEM;
    }
    size_t n = legend_tasks(l, order, run_ns);
    double y = tl_lane_y(l, m->nworkers - 1) - l->lane_pitch * 0.6 - 80;
    fprintf(out,
            "  legend [shape=plaintext, style=\"\", fixedsize=false, fontsize=10, "
            "pos=\"%.1f,%.1f!\", label=<"
            "<TABLE BORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"1\">",
            l->left + l->width / 2, y);
    put_task_swatches(out, l, order, n);
    put_arrow_kinds(out, summary, l->is_aggregated);
    fprintf(out, "</TABLE>>];\n");
    free(order), free(run_ns);
    return 0;
}

/* ------------------------------------------------------------ marks */

/* The program's own labels (rt_trace_mark: "client-2 sends PING"): a dashed flag across the
 * lane of the worker where the task stood, the text just below. They tell *why* the boxes
 * around them are where they are. */
static void put_marks(FILE *out, const tl_layout *l, tl_arrow_summary *summary)
{
    const sv_model *m = l->model;
    char id[32], color[64];
    snprintf(color, sizeof color, "color=\"#%06x\", style=dashed, penwidth=1.2", MARK_COLOR_HEX);
    for (size_t i = 0; i < m->nmarks; i++) {
        const sv_mark *k = &m->marks[i];
        if (k->worker == RT_TRACE_NO_WORKER || !sv_view_touches(l->view, k->time_ns, k->time_ns))
            continue;
        if (++summary->nmarks_in_view > MARKS_DRAWN_MAX)
            continue;
        summary->nmarks_drawn++;
        double x = tl_x(l, k->time_ns), y = tl_lane_y(l, k->worker);
        snprintf(id, sizeof id, "mark%zu", i);
        put_line(out, id, x, y + l->box_height * 0.8, x, y - l->box_height * 0.8, color);
        snprintf(id, sizeof id, "marktext%zu", i);
        char attributes[64];
        snprintf(attributes, sizeof attributes, "fontcolor=\"#%06x\"", MARK_COLOR_HEX);
        put_text(out, id, x, y - l->box_height * 0.8 - 7, k->text, 9, attributes);
    }
}

/* ------------------------------------------------------------ the picture */

int sv_write_timeline(FILE *out, const sv_model *m, const sv_view *view)
{
    tl_layout l = {.model = m,
                   .view = view,
                   .left = 80,
                   .width = AXIS_POINTS,
                   .lane_pitch = 62,
                   .box_height = 26};
    for (size_t i = 0; i < m->nwakes && !l.has_outside_lane; i++)
        l.has_outside_lane = m->wakes[i].worker == RT_TRACE_NO_WORKER &&
                             sv_view_touches(view, m->wakes[i].time_ns, m->wakes[i].time_ns);
    l.top = (m->nworkers + l.has_outside_lane) * l.lane_pitch;
    l.node_of_slice = malloc((m->nslices + 1) * sizeof *l.node_of_slice);
    uint32_t *scratch = malloc((m->nslices + 1) * sizeof *scratch);
    int rc = l.node_of_slice && scratch ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < m->nslices; i++)
        l.node_of_slice[i] = SV_NONE;
    if (rc == 0) {
        fprintf(out, "digraph timeline {\n  // render with: neato -n2 -Tsvg (positions are fixed, "
                     "in points)\n");
        fprintf(out, "  graph [outputorder=edgesfirst, bgcolor=white, pad=0.3, fontname=\"%s\"];\n",
                font);
        fprintf(out,
                "  node [shape=box, style=filled, fontname=\"%s\", fontsize=10, fixedsize=true, "
                "penwidth=0.6];\n",
                font);
        fprintf(out, "  edge [fontname=\"%s\", fontsize=8, arrowsize=0.6];\n", font);
        put_title(out, &l);
        put_lane_frames(out, &l);
        put_axis(out, &l);
        uint32_t next_id = 0;
        for (int w = 0; w < m->nworkers; w++)
            put_lane(out, &l, w, scratch, &next_id);
        tl_arrow_summary summary = {0};
        put_marks(out, &l, &summary);
        rc = tl_write_arrows(out, &l, &summary);
        if (rc == 0)
            rc = put_legend(out, &l, &summary);
        fprintf(out, "}\n");
    }
    free(l.node_of_slice);
    free(scratch);
    return rc == 0 && ferror(out) ? -EIO : rc;
}
