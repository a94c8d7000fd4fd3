/*
 * rt_mpsc.h - a multi-producer, single-consumer channel (tokio::sync::mpsc's analog).
 *
 * Chapters: chapters/05-channels.md#mpsc (message passing, a manager task),
 *           chapters/05-channels.md#backpressure (bounded channels)
 *
 * Many senders, one receiver, values delivered in the order they were sent (per sender).
 *   - bounded (capacity N): a send into a full channel waits until the receiver makes room.
 *     That wait is *backpressure*: a fast producer is slowed to the consumer's pace instead
 *     of filling memory. Waiting senders are served in arrival order.
 *   - unbounded (RT_UNBOUNDED): send never waits; the queue grows. Use it only when something
 *     else bounds the producers.
 * Closing is automatic: when the last sender handle is dropped, the receiver gets every value
 * still queued and then RT_ECLOSED - "no more messages", without extra bookkeeping. When the
 * receiver is dropped, senders get RT_ECLOSED (also a sender waiting in a full channel), and
 * values still queued are dropped (config.drop_value).
 *
 * Values are copied in and out by value (rt_sync.h says why). Send a struct that carries
 * a oneshot sender to get a reply: that is the manager-task pattern of chapter 05.
 *
 *     rt_mpsc_sender *tx; rt_mpsc_receiver *rx;
 *     rt_mpsc_new(&(rt_channel_config){.elem_size = sizeof(struct command), .capacity = 32},
 *                 &tx, &rx);
 *     rt_mpsc_sender *tx2 = rt_mpsc_sender_clone(tx);  // one handle per producer task
 *
 * Handles: every sender handle (the first, and each clone) is dropped exactly once, and so
 * is the receiver; the channel is freed when the last handle goes.
 */
#ifndef SPAWNLAB_RT_MPSC_H
#define SPAWNLAB_RT_MPSC_H

#include "rt_sync.h"

typedef struct rt_mpsc_sender rt_mpsc_sender;
typedef struct rt_mpsc_receiver rt_mpsc_receiver;

/* Creates a channel (config->capacity: a bound >= 1, or RT_UNBOUNDED) and its first sender
 * and its receiver. Returns 0, -EINVAL (elem_size or capacity 0) or -ENOMEM.
 * Never yields. Any thread. */
int rt_mpsc_new(const rt_channel_config *config, rt_mpsc_sender **tx, rt_mpsc_receiver **rx);

/* One more sender handle for the same channel (NULL when memory runs out).
 * Never yields. Any thread. */
rt_mpsc_sender *rt_mpsc_sender_clone(rt_mpsc_sender *tx);
/* Drops a sender handle; the last one closes the channel (the receiver then drains it and
 * gets RT_ECLOSED). Never yields. Any thread. */
void rt_mpsc_sender_drop(rt_mpsc_sender *tx);
/* Drops the receiver: queued values are dropped, senders get RT_ECLOSED.
 * Never yields. Any thread. */
void rt_mpsc_receiver_drop(rt_mpsc_receiver *rx);

/* Copies elem_size bytes from value into the channel, waiting while a bounded channel is
 * full. Returns 0 (the channel owns the value now), RT_ECLOSED (receiver gone), -ENOMEM
 * (unbounded, no memory), RT_ECANCELED or RT_ETIMEDOUT (not sent: the caller still owns
 * the value). MAY YIELD (bounded only). From a task; unbounded: any thread. */
int rt_mpsc_send(rt_mpsc_sender *tx, const void *value);
/* Same, never waiting: RT_EWOULDBLOCK when full. Never yields. Any thread. */
int rt_mpsc_try_send(rt_mpsc_sender *tx, const void *value);

/* Waits for the next value and copies it to out. Returns 0, RT_ECLOSED (every sender gone
 * and the queue drained), RT_ECANCELED or RT_ETIMEDOUT (nothing taken: the value stays
 * queued). MAY YIELD. From a task. */
int rt_mpsc_recv(rt_mpsc_receiver *rx, void *out);
/* Same, never waiting: RT_EWOULDBLOCK when empty (senders remain). Never yields. Any thread. */
int rt_mpsc_try_recv(rt_mpsc_receiver *rx, void *out);

/* Values queued now (a snapshot). Never yields. Any thread. */
size_t rt_mpsc_len(rt_mpsc_receiver *rx);

#endif
