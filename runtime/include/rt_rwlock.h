/*
 * rt_rwlock.h - a task-aware reader-writer lock (tokio::sync::RwLock's analog).
 *
 * Chapter: chapters/06-bot.md#read-mostly-state
 *
 * Many readers at once, or one writer. For state that is read far more often than it is
 * written (the bot's subscriptions per chat server). Fair: requests are served in arrival
 * order, so a stream of readers cannot starve a writer - a writer waiting at the head of
 * the queue holds up the readers that came after it. May be held across yield points
 * (see rt_mutex.h for which lock to choose). At most RT_RWLOCK_MAX_READERS readers at once.
 */
#ifndef SPAWNLAB_RT_RWLOCK_H
#define SPAWNLAB_RT_RWLOCK_H

#include "rt_sync.h"

#include <stdbool.h>

#define RT_RWLOCK_MAX_READERS ((size_t)1 << 24)

typedef struct rt_rwlock rt_rwlock;

/* An unlocked rwlock (name: for traces, may be NULL); NULL when memory runs out.
 * Never yields. Any thread. */
rt_rwlock *rt_rwlock_new(const char *name);
/* Frees it; unlocked, nobody waiting. NULL is ignored. Any thread. */
void rt_rwlock_free(rt_rwlock *l);

/* Lock for reading / for writing, parking while they must wait. 0, RT_ECANCELED or
 * RT_ETIMEDOUT (then not locked). MAY YIELD. From a task. */
int rt_rwlock_read(rt_rwlock *l);
int rt_rwlock_write(rt_rwlock *l);
/* Same without waiting: true when locked. Never yields. Any thread. */
bool rt_rwlock_try_read(rt_rwlock *l);
bool rt_rwlock_try_write(rt_rwlock *l);
/* Unlock what rt_rwlock_read / rt_rwlock_write locked. Never yields. Any thread. */
void rt_rwlock_read_unlock(rt_rwlock *l);
void rt_rwlock_write_unlock(rt_rwlock *l);

#endif
