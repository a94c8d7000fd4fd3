/*
 * graph.c - the task graph: who spawned whom, who talked through which channel, who
 * waited on which lock (Graphviz DOT, laid out by dot).
 *
 * Chapter: chapters/reading-the-pictures.md#the-task-graph
 *
 * The timeline answers "when"; this picture answers "who with whom". Nodes:
 *
 *     rounded box   a task, in its timeline colour, with its run time, its number of
 *                   runs, its waiting time by reason and how it ended
 *     tag shape     a channel, with its message count
 *     octagon       a lock, with the time it was held
 *
 * Edges: solid black = spawned; blue = sent to / received from a channel (with the time
 * blocked on a full or an empty channel); red dashed = waited for a lock (count and time),
 * grey = took a lock without waiting.
 *
 * Big traces: past GRAPH_MAX_TASKS tasks, the tasks that share a name become one node
 * ("conn x1000") and their edges add up: a server's thousand connection tasks are one
 * idea, and one node shows it better than a thousand.
 */
#include "schedviz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { GRAPH_MAX_TASKS = 40 };

typedef enum edge_kind { EDGE_SPAWN, EDGE_CHANNEL, EDGE_LOCK } edge_kind;

typedef struct group {
    uint32_t first_task; /* the group's name and colour */
    uint64_t ntasks, runs, run_ns, wait_ns[SV_NREASONS];
    uint64_t nreturned, npanicked, ncancelled, nalive;
    bool is_shown;
} group;

typedef struct edge {
    uint32_t from, to; /* group -> group (spawn), or group -> object (channel, lock) */
    edge_kind kind;
    uint64_t count, sends, recvs, waits, wait_ns, full_ns, empty_ns;
} edge;

typedef struct graph {
    const sv_model *model;
    const sv_view *view;
    uint32_t *group_of; /* per task */
    group *groups;
    size_t ngroups;
    edge *edges;
    size_t nedges, cap_edges;
    sv_idmap edge_ids; /* (kind, from, to) -> index into edges */
    bool *is_object_used;
    bool is_aggregated;
} graph;

/* ------------------------------------------------------------ groups of tasks */

static bool is_in_view(const sv_model *m, const sv_view *view, const sv_task *t)
{
    (void)m;
    return t->is_selected && t->spawn_ns <= view->to_ns &&
           (!t->how_ended || t->exit_ns >= view->from_ns);
}

static int by_name(const void *a, const void *b, void *context)
{
    const sv_model *m = context;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int order = strcmp(m->tasks[x].name, m->tasks[y].name);
    return order ? order : (x > y) - (x < y);
}

/* One group per shown task, or per name when there are too many tasks to draw. */
static int make_groups(graph *g, size_t nshown, uint32_t *order)
{
    const sv_model *m = g->model;
    size_t n = 0;
    for (uint32_t t = 0; t < m->ntasks; t++) {
        g->group_of[t] = SV_NONE;
        if (is_in_view(m, g->view, &m->tasks[t]))
            order[n++] = t;
    }
    g->is_aggregated = nshown > GRAPH_MAX_TASKS;
    if (g->is_aggregated)
        qsort_r(order, n, sizeof *order, by_name, (void *)m);
    for (size_t i = 0; i < n; i++) {
        bool is_same = g->is_aggregated && i > 0 &&
                       strcmp(m->tasks[order[i]].name, m->tasks[order[i - 1]].name) == 0;
        if (!is_same)
            g->groups[g->ngroups++] = (group){.first_task = order[i]};
        g->group_of[order[i]] = (uint32_t)(g->ngroups - 1);
    }
    return 0;
}

static void count_group_times(graph *g)
{
    const sv_model *m = g->model;
    for (size_t i = 0; i < m->nslices; i++) {
        const sv_slice *s = &m->slices[i];
        if (g->group_of[s->task] != SV_NONE && sv_view_touches(g->view, s->start_ns, s->end_ns)) {
            g->groups[g->group_of[s->task]].runs++;
            g->groups[g->group_of[s->task]].run_ns +=
                sv_view_overlap(g->view, s->start_ns, s->end_ns);
        }
    }
    for (size_t i = 0; i < m->nwaits; i++) {
        const sv_wait *w = &m->waits[i];
        if (g->group_of[w->task] != SV_NONE)
            g->groups[g->group_of[w->task]].wait_ns[w->reason] +=
                sv_view_overlap(g->view, w->parked_ns, w->woken_ns);
    }
    for (uint32_t t = 0; t < m->ntasks; t++) {
        if (g->group_of[t] == SV_NONE)
            continue;
        group *gr = &g->groups[g->group_of[t]];
        const char *how = m->tasks[t].how_ended;
        gr->ntasks++;
        *(!how                            ? &gr->nalive
          : strcmp(how, "panicked") == 0  ? &gr->npanicked
          : strcmp(how, "cancelled") == 0 ? &gr->ncancelled
                                          : &gr->nreturned) += 1;
    }
}

/* ------------------------------------------------------------ edges */

/* The edge (kind, from, to), created empty on first use; NULL when memory ran out.
 * The key packs the three into 64 bits: indexes stay below 2^31 in any trace we can load. */
static edge *edge_of(graph *g, edge_kind kind, uint32_t from, uint32_t to)
{
    uint64_t key = (uint64_t)(kind + 1) << 62 | (uint64_t)from << 31 | to;
    uint32_t index = sv_idmap_get(&g->edge_ids, key);
    if (index != SV_NONE)
        return &g->edges[index];
    if (g->nedges == g->cap_edges) {
        size_t cap = g->cap_edges ? g->cap_edges * 2 : 64;
        edge *grown = realloc(g->edges, cap * sizeof *grown);
        if (!grown)
            return NULL;
        g->edges = grown;
        g->cap_edges = cap;
    }
    if (sv_idmap_put(&g->edge_ids, key, (uint32_t)g->nedges) < 0)
        return NULL;
    g->edges[g->nedges] = (edge){.from = from, .to = to, .kind = kind};
    return &g->edges[g->nedges++];
}

static int add_spawn_edges(graph *g)
{
    const sv_model *m = g->model;
    for (uint32_t t = 0; t < m->ntasks; t++) {
        uint32_t parent = sv_idmap_get(&m->task_ids, m->tasks[t].parent_id);
        if (g->group_of[t] == SV_NONE || parent == SV_NONE || g->group_of[parent] == SV_NONE)
            continue;
        edge *e = edge_of(g, EDGE_SPAWN, g->group_of[parent], g->group_of[t]);
        if (!e)
            return -ENOMEM;
        e->count++;
    }
    return 0;
}

static int add_channel_edges(graph *g)
{
    const sv_model *m = g->model;
    for (size_t i = 0; i < m->nops; i++) {
        const sv_op *op = &m->ops[i];
        if (g->group_of[op->task] == SV_NONE || !sv_view_touches(g->view, op->time_ns, op->time_ns))
            continue;
        edge *e = edge_of(g, EDGE_CHANNEL, g->group_of[op->task], op->object);
        if (!e)
            return -ENOMEM;
        *(op->is_send ? &e->sends : &e->recvs) += 1;
        g->is_object_used[op->object] = true;
    }
    for (size_t i = 0; i < m->nwaits; i++) {
        const sv_wait *w = &m->waits[i];
        if (w->reason != SV_REASON_CHANNEL || w->object == SV_NONE ||
            g->group_of[w->task] == SV_NONE)
            continue;
        uint64_t waited = sv_view_overlap(g->view, w->parked_ns, w->woken_ns);
        edge *e = waited ? edge_of(g, EDGE_CHANNEL, g->group_of[w->task], w->object) : NULL;
        if (waited && !e)
            return -ENOMEM;
        if (e)
            *(w->side == SV_SIDE_FULL ? &e->full_ns : &e->empty_ns) += waited;
        g->is_object_used[w->object] |= waited > 0;
    }
    return 0;
}

static int add_lock_edges(graph *g)
{
    const sv_model *m = g->model;
    for (size_t i = 0; i < m->nlock_spans; i++) {
        const sv_lock_span *s = &m->lock_spans[i];
        if (g->group_of[s->task] == SV_NONE || !sv_view_touches(g->view, s->start_ns, s->end_ns))
            continue;
        edge *e = edge_of(g, EDGE_LOCK, g->group_of[s->task], s->object);
        if (!e)
            return -ENOMEM;
        if (s->is_hold)
            e->count++;
        else {
            e->waits++;
            e->wait_ns += sv_view_overlap(g->view, s->start_ns, s->end_ns);
        }
        g->is_object_used[s->object] = true;
    }
    return 0;
}

/* ------------------------------------------------------------ drawing */

static void put_group(FILE *out, const graph *g, uint32_t index)
{
    const group *gr = &g->groups[index];
    const sv_task *t = &g->model->tasks[gr->first_task];
    char a[32];
    fprintf(out, "  g%" PRIu32 " [fillcolor=\"%s\", label=\"", index, t->color);
    sv_put_dot_string(out, t->name);
    if (g->is_aggregated)
        fprintf(out, "  x%" PRIu64 " tasks\\n", gr->ntasks);
    else
        fprintf(out, " #%" PRIu64 "\\n", t->id);
    fprintf(out, "ran %s in %" PRIu64 " run%s\\l", sv_format_duration(gr->run_ns, a, sizeof a),
            gr->runs, gr->runs == 1 ? "" : "s");
    const char *separator = "waited: ";
    for (int r = SV_REASON_YIELD; r < SV_NREASONS; r++)
        if (gr->wait_ns[r]) {
            fprintf(out, "%s%s %s", separator, sv_reason_name((sv_reason)r),
                    sv_format_duration(gr->wait_ns[r], a, sizeof a));
            separator = ", ";
        }
    fprintf(out, "%sended: ", separator[0] == ',' ? "\\l" : "");
    if (!g->is_aggregated)
        fprintf(out, "%s", t->how_ended ? t->how_ended : "still alive at the end");
    else
        fprintf(out,
                "%" PRIu64 " returned, %" PRIu64 " panicked, %" PRIu64 " cancelled, %" PRIu64
                " alive",
                gr->nreturned, gr->npanicked, gr->ncancelled, gr->nalive);
    fprintf(out, "\\l\"%s];\n",
            t->how_ended && strcmp(t->how_ended, "returned") != 0 && !g->is_aggregated
                ? ", color=\"#c0392b\", penwidth=2"
                : "");
}

static void put_object(FILE *out, const sv_object *o, uint32_t index)
{
    bool is_lock = o->class == SV_OBJECT_LOCK;
    fprintf(out, "  o%" PRIu32 " [shape=%s, style=filled, fillcolor=\"%s\", label=\"", index,
            is_lock ? "octagon" : "cds", is_lock ? "#f6dada" : "#dde7f5");
    sv_put_dot_string(out, o->name);
    fprintf(out, "\\n(%s)\"];\n", o->kind);
}

static void put_channel_edge(FILE *out, const edge *e)
{
    char a[32];
    if (e->sends || e->full_ns) {
        fprintf(out,
                "  g%" PRIu32 " -> o%" PRIu32
                " [color=\"#1f5fbf\", fontcolor=\"#1f5fbf\", label=\"sent %" PRIu64,
                e->from, e->to, e->sends);
        if (e->full_ns)
            fprintf(out, "\\nblocked %s (full)", sv_format_duration(e->full_ns, a, sizeof a));
        fprintf(out, "\"];\n");
    }
    if (e->recvs || e->empty_ns) {
        fprintf(out,
                "  o%" PRIu32 " -> g%" PRIu32
                " [color=\"#1f5fbf\", fontcolor=\"#1f5fbf\", label=\"received %" PRIu64,
                e->to, e->from, e->recvs);
        if (e->empty_ns)
            fprintf(out, "\\nwaited %s (empty)", sv_format_duration(e->empty_ns, a, sizeof a));
        fprintf(out, "\"];\n");
    }
}

static void put_edge(FILE *out, const edge *e)
{
    char a[32];
    if (e->kind == EDGE_SPAWN) {
        fprintf(out, "  g%" PRIu32 " -> g%" PRIu32 " [penwidth=1.5", e->from, e->to);
        if (e->count > 1)
            fprintf(out, ", label=\"spawned x%" PRIu64 "\"", e->count);
        fprintf(out, "];\n");
    } else if (e->kind == EDGE_CHANNEL) {
        put_channel_edge(out, e);
    } else if (e->waits) {
        fprintf(out,
                "  g%" PRIu32 " -> o%" PRIu32
                " [color=\"#c0392b\", fontcolor=\"#c0392b\", style=dashed, "
                "label=\"waited %" PRIu64 "x, %s\\ntook it %" PRIu64 "x\"];\n",
                e->from, e->to, e->waits, sv_format_duration(e->wait_ns, a, sizeof a), e->count);
    } else {
        fprintf(out,
                "  g%" PRIu32 " -> o%" PRIu32
                " [color=\"#909090\", fontcolor=\"#707070\", label=\"took it %" PRIu64 "x\"];\n",
                e->from, e->to, e->count);
    }
}

static void put_graph(FILE *out, const graph *g)
{
    const sv_model *m = g->model;
    const char *name = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path;
    fprintf(out, "digraph tasks {\n  // render with: dot -Tsvg\n");
    fprintf(out, "  graph [rankdir=TB, nodesep=0.4, ranksep=0.5, pad=0.3, "
                 "fontname=\"Helvetica,Arial,sans-serif\", "
                 "fontsize=11, labelloc=b, labeljust=l, label=\"");
    fprintf(out, "Tasks of ");
    sv_put_dot_string(out, name);
    fprintf(
        out,
        ": black arrow = spawned; blue = messages through a channel (blocked: full = the sender "
        "waited "
        "for room, empty = the receiver waited for a message);\\lred dashed = waited for a lock; "
        "grey = "
        "took a lock without waiting. A red border: the task panicked or was cancelled.\\l%s\"];\n",
        g->is_aggregated ? "Aggregated: tasks that share a name are one node (xN tasks), their "
                           "numbers added up.\\l"
                         : "");
    fprintf(out, "  node [shape=box, style=\"rounded,filled\", "
                 "fontname=\"Helvetica,Arial,sans-serif\", fontsize=10];\n");
    fprintf(out, "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=9, arrowsize=0.7];\n");
    for (uint32_t i = 0; i < g->ngroups; i++)
        put_group(out, g, i);
    for (uint32_t i = 0; i < m->nobjects; i++)
        if (g->is_object_used[i])
            put_object(out, &m->objects[i], i);
    for (size_t i = 0; i < g->nedges; i++)
        put_edge(out, &g->edges[i]);
    fprintf(out, "}\n");
}

int sv_write_graph(FILE *out, const sv_model *m, const sv_view *view)
{
    graph g = {.model = m, .view = view};
    g.group_of = malloc((m->ntasks + 1) * sizeof *g.group_of);
    g.groups = malloc((m->ntasks + 1) * sizeof *g.groups);
    g.is_object_used = calloc(m->nobjects + 1, sizeof *g.is_object_used);
    uint32_t *order = malloc((m->ntasks + 1) * sizeof *order);
    int rc = g.group_of && g.groups && g.is_object_used && order ? 0 : -ENOMEM;
    size_t nshown = 0;
    for (size_t t = 0; rc == 0 && t < m->ntasks; t++)
        nshown += is_in_view(m, view, &m->tasks[t]);
    if (rc == 0)
        rc = make_groups(&g, nshown, order);
    if (rc == 0) {
        count_group_times(&g);
        rc = add_spawn_edges(&g);
    }
    if (rc == 0)
        rc = add_channel_edges(&g);
    if (rc == 0)
        rc = add_lock_edges(&g);
    if (rc == 0)
        put_graph(out, &g);
    free(g.group_of), free(g.groups), free(g.is_object_used), free(order), free(g.edges);
    sv_idmap_free(&g.edge_ids);
    return rc == 0 && ferror(out) ? -EIO : rc;
}
