/*
 * rt_trace_file.h - the trace file: what the runtime records and the visualizer reads.
 *
 * Chapter: chapters/appendix-runtime.md#reading-a-trace
 *
 * With RT_TRACE=path the runtime records every scheduling event into per-worker buffers
 * and writes them, merged in time order, to a text file in the format below. Text, not
 * binary, on purpose: a student can open a trace in a pager, grep it, or write a small
 * one by hand to see how the visualizer draws it. The cost of formatting is paid once,
 * when the trace is written, never while tasks run.
 *
 * ---------------------------------------------------------------- format, version 1
 *
 *     spawnlab-trace 1
 *     clock virtual            real: nanoseconds of CLOCK_MONOTONIC since the trace began
 *                              virtual: nanoseconds of the runtime's virtual clock
 *     workers 2
 *     # a comment: lines starting with '#' are ignored, and so are blank lines
 *     0 0 spawn 1 0 main
 *     1200 0 run 1
 *     ...
 *
 * The first line is exactly "spawnlab-trace 1". Header lines come next - "clock" (optional,
 * real by default) and "workers" (required) - then events, one per line, in non-decreasing
 * time order:
 *
 *     TIME WORKER EVENT FIELDS...
 *
 * TIME is nanoseconds (an unsigned decimal). WORKER is the worker thread's index, or '-'
 * when the event happened off the workers (a wake from a foreign thread, the reactor, a
 * blocking-pool thread). Task ids start at 1; 0 means "no task". Object ids identify a lock,
 * channel or socket (hexadecimal, like 0x5581e2a0); 0 means "none".
 *
 *   event         fields                         meaning
 *   spawn         TASK PARENT NAME               TASK was created by PARENT (0: from outside
 *                                                any task); NAME is the rest of the line
 *   run           TASK                           the worker switched into TASK
 *   stop          TASK WHY                       the worker switched out of TASK;
 *                                                WHY: park | yield | exit
 *   park          TASK REASON OBJECT             TASK waits; REASON: yield | join | lock |
 *                                                channel | send (for room) | recv (for a
 *                                                value) | io | timer | other
 *   wake          TASK BY CAUSE                  TASK became runnable; BY is the waking task
 *                                                (0: not a task); CAUSE: send | recv |
 *                                                unlock | io | timer | exit | abort | spawn |
 *                                                yield | other
 *   steal         VICTIM COUNT                   the worker took COUNT tasks from VICTIM
 *   sleep         -                              the worker parked (no work); "-" is literal
 *   wakeup        -                              the worker unparked
 *   exit          TASK HOW                       TASK ended; HOW: returned | panicked |
 *                                                cancelled
 *   object        OBJECT KIND NAME               names an object; KIND: mutex | rwlock |
 *                                                semaphore | notify | mpsc | oneshot |
 *                                                broadcast | watch | socket | other
 *   lock-wait     TASK OBJECT                    TASK starts waiting for the lock
 *   lock-acquire  TASK OBJECT                    TASK holds the lock
 *   lock-release  TASK OBJECT                    TASK released the lock
 *   send          TASK OBJECT PEER               TASK sent on channel OBJECT; PEER is the
 *                                                receiving task when known, else 0
 *   recv          TASK OBJECT PEER               TASK received from OBJECT; PEER the sender
 *                                                when known, else 0
 *   mark          TASK TEXT                      a label from the program (TEXT: rest of line)
 *
 * A reader rejects a file whose first line is not "spawnlab-trace 1" and names the line of
 * anything it cannot parse. Unknown event names are an error too: a newer writer bumps
 * the version instead of adding events silently.
 * ----------------------------------------------------------------
 *
 * This header serializes and parses that format (the visualizer's input, and the runtime's
 * output). It does not record anything: recording lives in the runtime's tracer.
 */
#ifndef SPAWNLAB_RT_TRACE_FILE_H
#define SPAWNLAB_RT_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RT_TRACE_FORMAT_VERSION 1
#define RT_TRACE_NO_WORKER      (-1)

typedef enum rt_trace_event {
    RT_TRACE_SPAWN,
    RT_TRACE_RUN,
    RT_TRACE_STOP,
    RT_TRACE_PARK,
    RT_TRACE_WAKE,
    RT_TRACE_STEAL,
    RT_TRACE_SLEEP,
    RT_TRACE_WAKEUP,
    RT_TRACE_EXIT,
    RT_TRACE_OBJECT,
    RT_TRACE_LOCK_WAIT,
    RT_TRACE_LOCK_ACQUIRE,
    RT_TRACE_LOCK_RELEASE,
    RT_TRACE_SEND,
    RT_TRACE_RECV,
    RT_TRACE_MARK,
    RT_TRACE_NEVENTS
} rt_trace_event;

/* One event. Which fields mean what depends on the event (see the table above):
 *   spawn: task, a = parent, text = name      stop: task, word = why
 *   park:  task, word = reason, object        wake: task, a = by, word = cause
 *   steal: a = victim worker, b = count        exit: task, word = how
 *   object: object, word = kind, text = name  lock-*: task, object
 *   send/recv: task, object, a = peer          mark: task, text
 * word is one of the fixed words of the table, as a string constant ("park", "io", ...). */
typedef struct rt_trace_record {
    uint64_t time_ns;
    int worker; /* RT_TRACE_NO_WORKER for '-' */
    rt_trace_event event;
    uint64_t task;
    uint64_t a, b;
    uint64_t object;
    const char *word;
    const char *text; /* NAME / TEXT, or NULL */
    size_t line;      /* read from a file: its line there (for messages); else 0 */
} rt_trace_record;

typedef enum rt_trace_clock { RT_TRACE_CLOCK_REAL, RT_TRACE_CLOCK_VIRTUAL } rt_trace_clock;

/* The event's name in the file ("spawn", "lock-wait", ...). */
const char *rt_trace_event_name(rt_trace_event event);

/* Writes the header lines. Returns 0 or a negative errno code. Any thread. */
int rt_trace_write_header(FILE *out, rt_trace_clock clock, int nworkers);
/* Writes one event line. Returns 0, -EINVAL when a field is not valid for the event (an
 * unknown word, a name with a newline), or a negative errno code. Any thread. */
int rt_trace_write_record(FILE *out, const rt_trace_record *record);

/* A parsed trace, in file order. The words point to static strings; the texts into the
 * trace's own storage (valid until rt_trace_free). */
typedef struct rt_trace {
    rt_trace_clock clock;
    int nworkers;
    size_t nrecords;
    rt_trace_record *records;
} rt_trace;

/* Reads a trace file. Returns 0 and *out, or a negative errno code with a message in err
 * that names the file, the line and what was wrong ("trace.txt:17: unknown event 'jump'",
 * "trace.txt: not a spawnlab trace (the first line must be 'spawnlab-trace 1')").
 * Never crashes on a truncated or garbled file. Any thread. */
int rt_trace_read(const char *path, rt_trace **out, char *err, size_t errcap);
void rt_trace_free(rt_trace *trace);

#endif
