/*
 * rt_sync.h - what the task-aware locks and channels share: their error codes and how a
 * channel is configured.
 *
 * Chapters: chapters/03-shared-state.md (locks), chapters/05-channels.md (channels).
 *
 * Every blocking call of these headers parks the *task*, never the worker thread; fails
 * with RT_ECANCELED once the calling task is aborted (and RT_ETIMEDOUT once its deadline,
 * rt_timeout, has passed); and, if it had already completed when it was interrupted,
 * reports the success instead: a message is never both sent and reported as not sent.
 *
 * The headers: rt_mutex.h rt_rwlock.h rt_semaphore.h rt_notify.h (locks and signals),
 * rt_mpsc.h rt_oneshot.h rt_broadcast.h rt_watch.h (channels), rt_select.h,
 * rt_cancel.h rt_joinset.h rt_scope.h rt_time.h rt_signal.h (structured concurrency).
 */
#ifndef SPAWNLAB_RT_SYNC_H
#define SPAWNLAB_RT_SYNC_H

#include "rt.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* The other side is gone: every sender dropped and nothing left to receive, the receiver
 * dropped (a send), or the semaphore closed. Like writing to a pipe nobody reads. */
#define RT_ECLOSED (-EPIPE)
/* A try_ call would have had to wait (full, empty, no permits). */
#define RT_EWOULDBLOCK (-EAGAIN)
/* A broadcast receiver fell behind: values it never saw were overwritten. */
#define RT_ELAGGED (-EOVERFLOW)

/* "closed", "would block", "lagged", or rt_strerror's text. Any thread. */
const char *rt_sync_strerror(int code);

/* How a channel is made. Values travel *by value*: each is elem_size bytes, copied in by
 * send and out by recv, so a channel of `struct command` needs no allocation per message
 * and ownership is plain to see (after a successful send the channel owns the bytes; after
 * a failed one the caller still does). A pointer is just a value of sizeof(void *) bytes.
 * Zero means "the default" for every field but elem_size, so
 *     rt_channel_config config = {.elem_size = sizeof(struct command), .capacity = 32};
 * is complete. */
typedef struct rt_channel_config {
    size_t elem_size; /* bytes per value; required (> 0) */
    size_t capacity;  /* mpsc: a bound, or RT_UNBOUNDED; broadcast: the ring's size */
    /* Values that own something (a refcounted buffer, a oneshot sender) need these: */
    void (*clone_value)(void *dst, const void *src); /* broadcast, watch: one more copy for one
                                                        more receiver; NULL = a byte copy */
    void (*drop_value)(void *value); /* a value nobody will receive any more (overwritten,
                                        or still queued when the channel is freed); NULL =
                                        nothing to release */
    const char *name;                /* for traces; NULL = the kind ("mpsc") */
} rt_channel_config;

#define RT_UNBOUNDED SIZE_MAX

#endif
