/*
 * rt_broadcast.h - every receiver sees every value (tokio::sync::broadcast's analog).
 *
 * Chapter: chapters/05-channels.md#pub-sub
 *
 * A ring of `capacity` values shared by all receivers; each receiver has its own position.
 * A send never waits: it overwrites the oldest value. A receiver that fell more than
 * `capacity` values behind has missed some: its next recv returns RT_ELAGGED with *nmissed
 * = how many, and moves it to the oldest value still in the ring, from where it continues.
 * (The sender is not held up by the slowest receiver - the point of pub/sub.)
 * A new subscriber sees only values sent after it subscribed. When every sender is gone,
 * receivers get what is left and then RT_ECLOSED. Values are copied (config.clone_value,
 * if set, copies one for each receiver; config.drop_value releases overwritten ones).
 */
#ifndef SPAWNLAB_RT_BROADCAST_H
#define SPAWNLAB_RT_BROADCAST_H

#include "rt_sync.h"

#include <stdint.h>

typedef struct rt_broadcast_sender rt_broadcast_sender;
typedef struct rt_broadcast_receiver rt_broadcast_receiver;

/* A channel of config->capacity (>= 1) values of config->elem_size bytes, its first sender
 * and its first receiver. 0, -EINVAL or -ENOMEM. Never yields. Any thread. */
int rt_broadcast_new(const rt_channel_config *config, rt_broadcast_sender **tx,
                     rt_broadcast_receiver **rx);
/* More handles (NULL when memory runs out): another sender; a receiver that will see the
 * values sent from now on. Never yield. Any thread. */
rt_broadcast_sender *rt_broadcast_sender_clone(rt_broadcast_sender *tx);
rt_broadcast_receiver *rt_broadcast_subscribe(rt_broadcast_sender *tx);
/* Drop a handle; the channel is freed with the last one. Never yield. Any thread. */
void rt_broadcast_sender_drop(rt_broadcast_sender *tx);
void rt_broadcast_receiver_drop(rt_broadcast_receiver *rx);

/* Sends to every current receiver. 0, or RT_ECLOSED when there is no receiver (the value
 * stays the caller's). Never yields. Any thread. */
int rt_broadcast_send(rt_broadcast_sender *tx, const void *value);

/* The receiver's next value into out: 0; RT_ELAGGED (*nmissed, if not NULL, says how many
 * values it missed; call again to continue from the oldest one kept); RT_ECLOSED (every
 * sender gone, nothing left); RT_ECANCELED or RT_ETIMEDOUT. MAY YIELD. From a task. */
int rt_broadcast_recv(rt_broadcast_receiver *rx, void *out, uint64_t *nmissed);
/* Same, never waiting: RT_EWOULDBLOCK when nothing new. Never yields. Any thread. */
int rt_broadcast_try_recv(rt_broadcast_receiver *rx, void *out, uint64_t *nmissed);

#endif
