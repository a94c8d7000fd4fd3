/*
 * sync_trace.h - the trace events of locks and channels (not API).
 *
 * Chapter: chapters/appendix-runtime.md#tracing
 *
 * The events of the trace file (rt_trace_file.h) that let the visualizer draw who waited on
 * which lock or channel and who handed a message to whom: object, lock-wait, lock-acquire,
 * lock-release, send, recv. Each hook hands its event to the runtime's recorder (trace.h),
 * which costs one load and a predicted branch while the runtime is not tracing.
 *
 *   hook                     called when                            carries
 *   sync_trace_object        an object is created (in a task)       object, kind, name
 *   sync_trace_lock_wait     a task must wait for a lock/permits    object
 *   sync_trace_lock_acquire  it got them                            object
 *   sync_trace_lock_release  it gave them back                      object
 *   sync_trace_send          a value went into a channel            channel, receiving task
 *   sync_trace_recv          a value came out of it                 channel, sending task
 * A peer is 0 when not known (a value that waited in a queue does not remember its sender).
 * kind is one of the trace file's words: mutex rwlock semaphore notify mpsc oneshot
 * broadcast watch other. Objects made outside any task are not named in traces.
 */
#ifndef SPAWNLAB_SYNC_TRACE_H
#define SPAWNLAB_SYNC_TRACE_H

#include "trace.h"

#include <stdint.h>

static inline void sync_trace_object(const void *object, const char *kind, const char *name)
{
    struct rt_task *t = task_current();
    trace_object(t ? t->rt : NULL, object, kind, name);
}
static inline void sync_trace_lock_wait(const void *object)
{
    trace_object_event(RT_TRACE_LOCK_WAIT, object, 0);
}
static inline void sync_trace_lock_acquire(const void *object)
{
    trace_object_event(RT_TRACE_LOCK_ACQUIRE, object, 0);
}
static inline void sync_trace_lock_release(const void *object)
{
    trace_object_event(RT_TRACE_LOCK_RELEASE, object, 0);
}
static inline void sync_trace_send(const void *channel, uint64_t peer_task)
{
    trace_object_event(RT_TRACE_SEND, channel, peer_task);
}
static inline void sync_trace_recv(const void *channel, uint64_t peer_task)
{
    trace_object_event(RT_TRACE_RECV, channel, peer_task);
}

#endif
