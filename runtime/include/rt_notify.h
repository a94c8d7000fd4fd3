/*
 * rt_notify.h - wake one waiting task or all of them (tokio::sync::Notify's analog).
 *
 * Chapter: chapters/05-channels.md#notify
 *
 * A notify carries no data: it says "something changed, go and look". rt_notify_one wakes
 * the longest-waiting task; when nobody waits it stores one permit instead, so the next
 * rt_notify_wait returns at once - a notification sent just before the other task started
 * waiting is not lost (several notify_one calls still store only one permit).
 * rt_notify_all wakes every task waiting *now* and stores nothing.
 */
#ifndef SPAWNLAB_RT_NOTIFY_H
#define SPAWNLAB_RT_NOTIFY_H

#include "rt_sync.h"

typedef struct rt_notify rt_notify;

/* A notify without a permit (name: for traces, may be NULL); NULL when memory runs out.
 * Never yields. Any thread. */
rt_notify *rt_notify_new(const char *name);
/* Frees it; nobody may be waiting. NULL is ignored. Any thread. */
void rt_notify_free(rt_notify *n);

/* Waits for a notification (or takes the stored permit). 0, RT_ECANCELED or RT_ETIMEDOUT.
 * A task notified and aborted at the same moment returns 0: the notification is not lost.
 * MAY YIELD. From a task. */
int rt_notify_wait(rt_notify *n);
/* Wakes the first waiter, or stores the permit. Never yields. Any thread. */
void rt_notify_one(rt_notify *n);
/* Wakes every current waiter. Never yields. Any thread. */
void rt_notify_all(rt_notify *n);

#endif
