/*
 * rt_cancel.h - cancellation tokens with children (tokio_util's CancellationToken).
 *
 * Chapters: chapters/05-channels.md#graceful-shutdown, chapters/06-bot.md#shutdown
 *
 * A token is a shared flag that goes from "running" to "cancelled" once and stays there.
 * Tasks check it (rt_cancel_token_is_cancelled), wait for it (rt_cancel_token_wait), or
 * race it against their work (rt_select.h's rt_select_cancelled). A child token is cancelled
 * when its parent is (and can be cancelled alone): one token per connection, children of
 * the server's token, so "shut everything down" is one call and "drop this connection" is
 * another. Unlike rt_abort, which stops a task at its next yield point from outside, a
 * token asks nicely: the task decides where to stop and can clean up first.
 *
 * Tokens are shared between tasks, so they are refcounted: every reference (new, child,
 * clone) is dropped exactly once.
 */
#ifndef SPAWNLAB_RT_CANCEL_H
#define SPAWNLAB_RT_CANCEL_H

#include "rt_sync.h"

#include <stdbool.h>

typedef struct rt_cancel_token rt_cancel_token;

/* A new token, not cancelled; NULL when memory runs out. Never yields. Any thread. */
rt_cancel_token *rt_cancel_token_new(void);
/* A new token that is cancelled when parent is (already cancelled if parent is). NULL when
 * memory runs out. Never yields. Any thread. */
rt_cancel_token *rt_cancel_token_child(rt_cancel_token *parent);
/* One more reference to the same token / drops one. Never yield. Any thread. */
rt_cancel_token *rt_cancel_token_clone(rt_cancel_token *token);
void rt_cancel_token_drop(rt_cancel_token *token);

/* Cancels the token and all its descendants, and wakes their waiters. Idempotent.
 * Never yields. Any thread. */
void rt_cancel_token_cancel(rt_cancel_token *token);
/* Has it been cancelled? Never yields. Any thread. */
bool rt_cancel_token_is_cancelled(const rt_cancel_token *token);
/* Waits until the token is cancelled: 0, or RT_ECANCELED / RT_ETIMEDOUT when the calling
 * task is aborted or its deadline passes first. MAY YIELD. From a task. */
int rt_cancel_token_wait(rt_cancel_token *token);

#endif
