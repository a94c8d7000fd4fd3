/*
 * schedviz - the scheduler visualizer: a runtime trace as pictures and a report.
 *
 * Chapter: chapters/reading-the-pictures.md
 *
 *   schedviz [options] TRACE
 *
 * Reads a trace written by the runtime (RT_TRACE=file, format in rt_trace_file.h), builds
 * the scheduling story once (model.c), and writes the views asked for. With no output
 * option it prints the text report. Exit status: 0 done; 1 the trace could not be read
 * or does not add up, or an output could not be written; 2 bad usage.
 */
#include "schedviz.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: schedviz [options] TRACE\n"
    "\n"
    "Draws which task ran on which worker, who woke whom, and who waited on what, from a\n"
    "trace the runtime recorded (RT_TRACE=file). Without an output option: --report.\n"
    "\n"
    "outputs (any number of them):\n"
    "  --report            the text report: tasks, workers, locks, channels (to stdout)\n"
    "  --ascii             the worker lanes drawn in text (to stdout)\n"
    "  --lanes             every run slice as a tab-separated line (to stdout)\n"
    "  --timeline FILE     the timeline picture as Graphviz DOT (render: neato -n2 -Tsvg)\n"
    "  --graph FILE        the task graph as Graphviz DOT (render: dot -Tsvg)\n"
    "  --perfetto FILE     Chrome trace-event JSON, for ui.perfetto.dev or chrome://tracing\n"
    "  --svg DIR           DIR/timeline.svg and DIR/graph.svg (runs Graphviz)\n"
    "  --png DIR           DIR/timeline.png and DIR/graph.png (runs Graphviz)\n"
    "  (FILE may be - for stdout)\n"
    "\n"
    "focus:\n"
    "  --from TIME         start of the window; TIME is like 1500, 1500ns, 2.5us, 1.5ms, 2s\n"
    "  --to TIME           end of the window\n"
    "  --task NAME|ID      only this task (repeat for several)\n"
    "  --width COLUMNS     width of --ascii (default 100)\n"
    "  -h, --help          this text\n";

typedef struct options {
    bool is_report, is_ascii, is_lanes;
    const char *timeline_path, *graph_path, *perfetto_path, *svg_dir, *png_dir;
    int ascii_columns;
    sv_view view;
    const char *trace_path;
} options;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "schedviz: ");
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n(schedviz --help lists the options)\n");
    va_end(args);
    return 2;
}

enum {
    OPT_REPORT = 256,
    OPT_ASCII,
    OPT_LANES,
    OPT_TIMELINE,
    OPT_GRAPH,
    OPT_PERFETTO,
    OPT_SVG,
    OPT_PNG,
    OPT_FROM,
    OPT_TO,
    OPT_TASK,
    OPT_WIDTH
};

static const struct option long_options[] = {
    {"report", no_argument, NULL, OPT_REPORT},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"lanes", no_argument, NULL, OPT_LANES},
    {"timeline", required_argument, NULL, OPT_TIMELINE},
    {"graph", required_argument, NULL, OPT_GRAPH},
    {"perfetto", required_argument, NULL, OPT_PERFETTO},
    {"svg", required_argument, NULL, OPT_SVG},
    {"png", required_argument, NULL, OPT_PNG},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"task", required_argument, NULL, OPT_TASK},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One option with its argument. Returns 0, or an exit status for a bad one. */
static int take_option(options *o, int option, const char *arg)
{
    switch (option) {
    case OPT_REPORT:
        o->is_report = true;
        return 0;
    case OPT_ASCII:
        o->is_ascii = true;
        return 0;
    case OPT_LANES:
        o->is_lanes = true;
        return 0;
    case OPT_TIMELINE:
        o->timeline_path = arg;
        return 0;
    case OPT_GRAPH:
        o->graph_path = arg;
        return 0;
    case OPT_PERFETTO:
        o->perfetto_path = arg;
        return 0;
    case OPT_SVG:
        o->svg_dir = arg;
        return 0;
    case OPT_PNG:
        o->png_dir = arg;
        return 0;
    case OPT_FROM:
    case OPT_TO:
        o->view.is_windowed = true;
        if (sv_parse_time(arg, option == OPT_FROM ? &o->view.from_ns : &o->view.to_ns) < 0)
            return usage_error(
                "'%s' is not a time: write a number with a unit, like 1500ns, 2.5us, 1.5ms or 2s",
                arg);
        return 0;
    case OPT_TASK:
        if (o->view.ntask_filters == SV_MAX_TASK_FILTERS)
            return usage_error("too many --task options (at most %d)", SV_MAX_TASK_FILTERS);
        o->view.task_filters[o->view.ntask_filters++] = arg;
        return 0;
    case OPT_WIDTH:
        o->ascii_columns = atoi(arg);
        if (o->ascii_columns < 20 || o->ascii_columns > 1000)
            return usage_error("--width %s: give a number of columns from 20 to 1000", arg);
        return 0;
    case 'h':
        fputs(usage, stdout);
        exit(0);
    default:
        return 2; /* getopt has printed what was wrong */
    }
}

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.ascii_columns = 100, .view = {.to_ns = UINT64_MAX}};
    opterr = 1;
    for (int option; (option = getopt_long(argc, argv, "h", long_options, NULL)) != -1;) {
        int status = take_option(o, option, optarg);
        if (status != 0) {
            if (option == '?')
                fprintf(stderr, "(schedviz --help lists the options)\n");
            return status;
        }
    }
    if (optind != argc - 1)
        return usage_error("%s", optind == argc ? "which trace? give one TRACE file"
                                                : "give exactly one TRACE file, after the options");
    o->trace_path = argv[optind];
    if (!o->is_ascii && !o->is_lanes && !o->timeline_path && !o->graph_path && !o->perfetto_path &&
        !o->svg_dir && !o->png_dir)
        o->is_report = true;
    return 0;
}

/* ------------------------------------------------------------ outputs */

typedef int (*view_writer)(FILE *out, const sv_model *model, const sv_view *view);

/* Writes one view to path ("-": stdout). Returns 0, or 1 after saying what went wrong. */
static int write_view(const char *path, view_writer writer, const sv_model *model,
                      const sv_view *view)
{
    bool is_stdout = strcmp(path, "-") == 0;
    FILE *out = is_stdout ? stdout : fopen(path, "w");
    if (!out) {
        fprintf(stderr, "schedviz: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    int rc = writer(out, model, view);
    if (rc == 0 && (is_stdout ? fflush(out) : fclose(out)) != 0)
        rc = -errno;
    else if (!is_stdout && rc != 0)
        fclose(out);
    if (rc != 0)
        fprintf(stderr, "schedviz: cannot write %s: %s\n", is_stdout ? "to stdout" : path,
                strerror(-rc));
    return rc != 0;
}

static int write_outputs(const options *o, const sv_model *model)
{
    const sv_view *view = &o->view;
    int failed = 0;
    if (o->is_report)
        failed |= write_view("-", sv_write_report, model, view);
    if (o->is_ascii) {
        failed |= sv_write_ascii(stdout, model, view, o->ascii_columns) != 0;
        fflush(stdout);
    }
    if (o->is_lanes)
        failed |= write_view("-", sv_write_lanes, model, view);
    if (o->timeline_path)
        failed |= write_view(o->timeline_path, sv_write_timeline, model, view);
    if (o->graph_path)
        failed |= write_view(o->graph_path, sv_write_graph, model, view);
    if (o->perfetto_path)
        failed |= write_view(o->perfetto_path, sv_write_perfetto, model, view);
    if (o->svg_dir)
        failed |= sv_render(o->svg_dir, "svg", model, view) != 0;
    if (o->png_dir)
        failed |= sv_render(o->png_dir, "png", model, view) != 0;
    return failed;
}

int main(int argc, char **argv)
{
    options o;
    int status = parse_options(argc, argv, &o);
    if (status != 0)
        return status;
    char err[1024];
    rt_trace *trace = NULL;
    if (rt_trace_read(o.trace_path, &trace, err, sizeof err) < 0) {
        fprintf(stderr, "schedviz: %s\n", err);
        return 1;
    }
    sv_model model;
    int rc = sv_model_build(&model, o.trace_path, trace, err, sizeof err);
    rt_trace_free(trace);
    if (rc == 0 && (rc = sv_assign_colors(&model)) < 0)
        snprintf(err, sizeof err, "out of memory");
    if (rc == 0)
        rc = sv_view_apply(&o.view, &model, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "schedviz: %s\n", err);
        sv_model_free(&model);
        return 1;
    }
    status = write_outputs(&o, &model);
    sv_model_free(&model);
    return status;
}
