/*
 * filter.c - the view: a time window (--from, --to) and a set of tasks (--task).
 *
 * Chapter: chapters/reading-the-pictures.md#focusing-on-a-part
 *
 * The model always holds the whole trace; a view only narrows what is shown. Narrowing at
 * display time rather than while reading the trace keeps every number honest: a task that
 * parked before the window and woke inside it shows the part of its wait inside the
 * window, not zero, and not the whole wait.
 */
#include "schedviz.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ times like 1.5ms */

static int unit_of(const char *suffix, uint64_t *ns_per_unit)
{
    static const struct {
        const char *name;
        uint64_t ns;
    } units[] = {{"", 1},         {"ns", 1},        {"us", 1000}, {"\xc2\xb5s", 1000},
                 {"ms", 1000000}, {"s", 1000000000}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(suffix, units[i].name) == 0) {
            *ns_per_unit = units[i].ns;
            return 0;
        }
    return -EINVAL;
}

/* Decimal arithmetic on integers, not strtod: "0.3ms" must be exactly 300000 ns, and a
 * double cannot promise that. */
int sv_parse_time(const char *text, uint64_t *ns)
{
    uint64_t whole = 0, fraction = 0, fraction_scale = 1;
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++)
            if (fraction_scale < 1000000000) { /* digits past a nanosecond are dropped */
                fraction = fraction * 10 + (uint64_t)(*p - '0');
                fraction_scale *= 10;
            }
    }
    uint64_t unit;
    if (unit_of(p, &unit) < 0 || whole > UINT64_MAX / unit)
        return -EINVAL;
    *ns = whole * unit + fraction * unit / fraction_scale;
    return 0;
}

/* ------------------------------------------------------------ task filters */

static bool is_number(const char *text)
{
    if (*text == '#')
        text++;
    if (!*text)
        return false;
    for (; *text; text++)
        if (!isdigit((unsigned char)*text))
            return false;
    return true;
}

static bool task_matches(const sv_task *task, const char *filter)
{
    if (strcmp(task->name, filter) == 0)
        return true;
    return is_number(filter) && strtoull(filter + (*filter == '#'), NULL, 10) == task->id;
}

/* "--task 'x': no task has that name or id; the tasks are: main #1, worker #2, ..." */
static int no_such_task(const sv_model *model, const char *filter, char *err, size_t errcap)
{
    int n = snprintf(err, errcap,
                     "--task '%s': no task in %s has that name or id; the tasks are:", filter,
                     model->path);
    for (size_t i = 0; i < model->ntasks && n >= 0 && (size_t)n < errcap; i++) {
        if (i == 10) {
            snprintf(err + n, errcap - (size_t)n, " ... (%zu in all)", model->ntasks);
            break;
        }
        n += snprintf(err + n, errcap - (size_t)n, "%s %s #%" PRIu64, i ? "," : "",
                      model->tasks[i].name, model->tasks[i].id);
    }
    return -EINVAL;
}

static int select_tasks(const sv_view *view, sv_model *model, char *err, size_t errcap)
{
    for (size_t i = 0; i < model->ntasks; i++)
        model->tasks[i].is_selected = view->ntask_filters == 0;
    for (int f = 0; f < view->ntask_filters; f++) {
        bool is_found = false;
        for (size_t i = 0; i < model->ntasks; i++)
            if (task_matches(&model->tasks[i], view->task_filters[f]))
                model->tasks[i].is_selected = is_found = true;
        if (!is_found)
            return no_such_task(model, view->task_filters[f], err, errcap);
    }
    return 0;
}

/* ------------------------------------------------------------ the window */

int sv_view_apply(sv_view *view, sv_model *model, char *err, size_t errcap)
{
    char a[32], b[32];
    if (!view->is_windowed) {
        view->from_ns = model->first_ns;
        view->to_ns = model->last_ns;
    } else if (view->from_ns > view->to_ns) {
        snprintf(err, errcap, "--from %s is after --to %s: the window is empty",
                 sv_format_duration(view->from_ns, a, sizeof a),
                 sv_format_duration(view->to_ns, b, sizeof b));
        return -EINVAL;
    } else if (view->from_ns > model->last_ns || view->to_ns < model->first_ns) {
        snprintf(err, errcap, "the window lies outside the trace, which runs from %s to %s",
                 sv_format_duration(model->first_ns, a, sizeof a),
                 sv_format_duration(model->last_ns, b, sizeof b));
        return -EINVAL;
    } else {
        view->from_ns = view->from_ns < model->first_ns ? model->first_ns : view->from_ns;
        view->to_ns = view->to_ns > model->last_ns ? model->last_ns : view->to_ns;
    }
    return select_tasks(view, model, err, errcap);
}

uint64_t sv_view_overlap(const sv_view *view, uint64_t start_ns, uint64_t end_ns)
{
    uint64_t from = start_ns > view->from_ns ? start_ns : view->from_ns;
    uint64_t to = end_ns < view->to_ns ? end_ns : view->to_ns;
    return to > from ? to - from : 0;
}

bool sv_view_touches(const sv_view *view, uint64_t start_ns, uint64_t end_ns)
{
    if (start_ns == end_ns)
        return start_ns >= view->from_ns && start_ns <= view->to_ns;
    return start_ns < view->to_ns && end_ns > view->from_ns;
}

uint64_t sv_view_span(const sv_view *view)
{
    return view->to_ns - view->from_ns;
}
