/*
 * rt_oneshot.h - a channel for exactly one value (tokio::sync::oneshot's analog).
 *
 * Chapter: chapters/05-channels.md#a-reply-channel
 *
 * The reply half of a request: the requester creates a oneshot, sends the sender inside
 * its request to a manager task, and waits on the receiver. Sending never waits (there is
 * room for the one value). If the sender is dropped without sending - the manager failed,
 * or died with the request still queued - the receiver learns it: RT_ECLOSED, "sender
 * dropped", instead of waiting forever.
 *
 * Handles: rt_oneshot_send consumes the sender (there is nothing else to do with it), and
 * so does rt_oneshot_sender_drop; the receiver is dropped with rt_oneshot_receiver_drop -
 * not by recv, so that a recv interrupted by a timeout can be retried. One allocation holds
 * the value and both handles.
 */
#ifndef SPAWNLAB_RT_ONESHOT_H
#define SPAWNLAB_RT_ONESHOT_H

#include "rt_sync.h"

typedef struct rt_oneshot_sender rt_oneshot_sender;
typedef struct rt_oneshot_receiver rt_oneshot_receiver;

/* Creates a oneshot for one value of config->elem_size bytes (config->drop_value, if set,
 * releases a value that is sent but never received). 0, -EINVAL or -ENOMEM.
 * Never yields. Any thread. */
int rt_oneshot_new(const rt_channel_config *config, rt_oneshot_sender **tx,
                   rt_oneshot_receiver **rx);

/* Stores the value for the receiver and consumes tx. 0, or RT_ECLOSED when the receiver
 * is gone (then the caller still owns the value). Never yields. Any thread. */
int rt_oneshot_send(rt_oneshot_sender *tx, const void *value);
/* Consumes tx without sending: the receiver gets RT_ECLOSED. Never yields. Any thread. */
void rt_oneshot_sender_drop(rt_oneshot_sender *tx);

/* Waits for the value and copies it to out. 0, RT_ECLOSED (sender dropped without sending,
 * or the value was already received), RT_ECANCELED or RT_ETIMEDOUT (the value, if it comes,
 * waits for a later recv). MAY YIELD. From a task. */
int rt_oneshot_recv(rt_oneshot_receiver *rx, void *out);
/* Same, never waiting: RT_EWOULDBLOCK when nothing was sent yet. Never yields. Any thread. */
int rt_oneshot_try_recv(rt_oneshot_receiver *rx, void *out);
/* Drops the receiver (and a value never received). Never yields. Any thread. */
void rt_oneshot_receiver_drop(rt_oneshot_receiver *rx);

#endif
