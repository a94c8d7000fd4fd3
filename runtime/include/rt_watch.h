/*
 * rt_watch.h - the latest value only (tokio::sync::watch's analog).
 *
 * Chapter: chapters/05-channels.md#watch
 *
 * One sender publishes a value (a configuration, a "shutting down" state, a status);
 * receivers read the current one whenever they like, and may wait until it changes.
 * Intermediate values a receiver was too slow to see are simply gone - unlike broadcast,
 * a watch never lags, it only skips. rt_watch_borrow copies the current value out and
 * marks it seen; rt_watch_changed waits until a value the receiver has not seen arrives
 * (or the sender is gone: RT_ECLOSED).
 */
#ifndef SPAWNLAB_RT_WATCH_H
#define SPAWNLAB_RT_WATCH_H

#include "rt_sync.h"

typedef struct rt_watch_sender rt_watch_sender;
typedef struct rt_watch_receiver rt_watch_receiver;

/* A watch holding a copy of *initial (which its first receiver counts as seen), its sender
 * and its first receiver. 0, -EINVAL or -ENOMEM. Never yields. Any thread. */
int rt_watch_new(const rt_channel_config *config, const void *initial, rt_watch_sender **tx,
                 rt_watch_receiver **rx);
/* Another receiver, which counts the current value as seen (NULL when memory runs out).
 * Never yields. Any thread. */
rt_watch_receiver *rt_watch_subscribe(rt_watch_sender *tx);
/* Drop a handle (there is one sender). Never yield. Any thread. */
void rt_watch_sender_drop(rt_watch_sender *tx);
void rt_watch_receiver_drop(rt_watch_receiver *rx);

/* Replaces the value and wakes the receivers waiting in changed. 0, or RT_ECLOSED when no
 * receiver is left (the value stays the caller's). Never yields. Any thread. */
int rt_watch_send(rt_watch_sender *tx, const void *value);
/* Copies the current value into out (config.clone_value, if set) and marks it seen.
 * Never yields. Any thread. */
void rt_watch_borrow(rt_watch_receiver *rx, void *out);
/* Waits until the value changed since this receiver last borrowed it: 0, RT_ECLOSED (the
 * sender is gone and nothing new came), RT_ECANCELED or RT_ETIMEDOUT. Does not mark it
 * seen (borrow does). MAY YIELD. From a task. */
int rt_watch_changed(rt_watch_receiver *rx);

#endif
