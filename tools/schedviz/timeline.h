/*
 * timeline.h - the timeline picture's geometry, shared by timeline.c (lanes, boxes, axis,
 * legend) and arrows.c (wake-ups and steals). Internal to schedviz.
 *
 * We place every node ourselves and let Graphviz only draw (neato -n2): a layout engine
 * would move boxes to avoid overlaps, and then time would no longer be linear. Graphviz
 * coordinates are points (1/72 inch) with y growing upwards; the lanes are stacked from
 * the top:
 *
 *       title
 *     outside   o------------.            (only when something outside the workers woke a task)
 *     worker 0  [main ][producer]  \  [main]
 *     worker 1       [consumer     v  ]
 *               +--------+--------+------   axis: ticks and labels
 *               legend: task colours, arrow kinds, what was aggregated
 */
#ifndef SPAWNLAB_SCHEDVIZ_TIMELINE_H
#define SPAWNLAB_SCHEDVIZ_TIMELINE_H

#include "schedviz.h"

enum {
    TL_MAX_WAKE_ARROWS = 80,  /* more, and the picture keeps the most frequent kinds only */
    TL_WAKE_KINDS_KEPT = 6,   /* how many (waker, woken, cause) kinds survive aggregation */
    TL_MAX_STEAL_ARROWS = 40, /* more, and we draw an even sample */
    TL_LABELLED_ARROWS = 30,  /* more, and arrows lose their labels: the legend names colours */
    TL_LANE_DETAIL = 300      /* more slices in a lane, and tiny neighbours merge */
};

typedef struct tl_layout {
    const sv_model *model;
    const sv_view *view;
    double left, width; /* x of the window's start, and the axis length, in points */
    double lane_pitch, box_height;
    double top;              /* y of the first lane's centre */
    bool has_outside_lane;   /* a lane for wakes from off the workers (reactor, timers) */
    uint32_t *node_of_slice; /* per slice: the box drawn for it, or SV_NONE (not drawn) */
    bool is_aggregated;      /* some tiny slices were merged into grey boxes */
} tl_layout;

double tl_x(const tl_layout *l, uint64_t time_ns);
/* The centre of a worker's lane; RT_TRACE_NO_WORKER is the outside lane. */
double tl_lane_y(const tl_layout *l, int worker);

/* A wake cause's arrow colour ("send" and "recv" share one: both are a message). */
const char *tl_cause_color(const char *cause);

/* Draws the wake-up and steal arrows; records what the legend must mention. */
typedef struct tl_arrow_summary {
    size_t nwakes_drawn, nwakes_in_view;
    size_t nsteals_drawn, nsteals_in_view;
    bool has_cause[16];                  /* by the index of the cause in tl_causes */
    size_t nmarks_drawn, nmarks_in_view; /* the program's own labels (rt_trace_mark) */
} tl_arrow_summary;

extern const char *const tl_causes[];
extern const size_t tl_ncauses;

int tl_write_arrows(FILE *out, const tl_layout *l, tl_arrow_summary *summary);

#endif
