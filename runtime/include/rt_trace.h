/*
 * rt_trace.h - recording what the scheduler does, for the scheduler visualizer.
 *
 * Chapter: chapters/appendix-runtime.md#tracing (reading the pictures:
 *          chapters/reading-the-pictures.md)
 *
 * Run any program with RT_TRACE=path in its environment and every runtime it creates
 * records its scheduling events - spawn, run, stop, park (with the reason), wake (with the
 * waker and the cause), steal, worker sleep, exit - and writes them to path when it shuts
 * down, in the text format of rt_trace_file.h. Then `tools/schedviz path` draws it.
 *
 * Or, to trace only part of a program, call rt_trace_start and rt_trace_stop around it.
 * Tracing off costs one well-predicted branch per event; on, a few stores into a buffer
 * owned by the worker (text is formatted only when the file is written).
 */
#ifndef SPAWNLAB_RT_TRACE_H
#define SPAWNLAB_RT_TRACE_H

#include "rt.h"

/* Starts recording rt's events; they are written to path by rt_trace_stop (or when the
 * runtime shuts down). Returns 0, -EBUSY when rt is already tracing, or -ENOMEM.
 * Never yields. Any thread. */
int rt_trace_start(rt_runtime *rt, const char *path);

/* Stops recording and writes the trace file. Returns 0, -EINVAL when rt was not tracing,
 * or a negative errno code from writing the file. Waits (briefly, without yielding) for
 * workers that are recording an event at that moment. Any thread. */
int rt_trace_stop(rt_runtime *rt);

/* Adds a "mark" event with a label of yours ("phase 2 begins") to the current runtime's
 * trace; the visualizer shows it. Does nothing when not tracing. Never yields. From a task. */
void rt_trace_mark(const char *label);

#endif
