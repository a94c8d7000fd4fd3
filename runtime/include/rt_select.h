/*
 * rt_select.h - wait for the first of several operations (tokio::select!'s analog).
 *
 * Chapters: chapters/05-channels.md#select, chapters/06-bot.md#racing-a-timer
 *
 * Build an array of arms, call rt_select, and switch on the index of the arm that won:
 *
 *     struct command cmd;
 *     rt_select_arm arms[] = {
 *         rt_select_cancelled(shutdown),                   // 0
 *         rt_select_recv(commands, &cmd),                  // 1
 *         rt_select_deadline(rt_now() + 5 * RT_NS_PER_S),  // 2
 *     };
 *     switch (rt_select(arms, 3)) {
 *     case 0: ...shut down...;  case 1: if (arms[1].result == 0) handle(&cmd); ...
 *     }
 *
 * Exactly one arm wins; the others are cancelled and *have not happened*: a recv that lost
 * took no value (it stays queued for the next recv), a send that lost sent nothing. That is
 * the guarantee that makes select safe in a loop. How it is kept (select.c): every arm that
 * is ready competes for one compare-and-swap on the select's "winner", and an operation is
 * carried out only by whoever won it, under the channel's lock.
 *
 * Arms that are ready at the same time: the one tried first wins, and the first one tried
 * rotates from call to call, so that a busy channel cannot starve the arms after it.
 *
 * An arm's outcome, once it won, is in arm.result: 0, or RT_ECLOSED for a channel that is
 * closed (a closed channel is "ready": select returns rather than wait forever); the
 * broadcast arm may also report RT_ELAGGED, and a descriptor arm reports which readiness it
 * saw (RT_READABLE or RT_WRITABLE).
 *
 * Which arms keep the no-loss guarantee, and how:
 *   - mpsc recv, oneshot, broadcast, watch: the value stays in the channel until the arm
 *     that won takes it, under the channel's lock; a losing arm took nothing (a broadcast
 *     receiver stays at its position, a watch change stays unseen);
 *   - mpsc send: the value is copied in only by the arm that won (or for it, by a receiver
 *     that claimed the select first);
 *   - cancelled, join, deadline, readable, writable: nothing is consumed at all - a
 *     readable arm does not read, it only says that a read would not wait now. Another
 *     reader of the descriptor may take the bytes before we do, so read non-blockingly.
 *
 * Extensible: an arm kind is a value of rt_select_kind plus a poll and a cancel function in
 * select.c's table of arm kinds.
 */
#ifndef SPAWNLAB_RT_SELECT_H
#define SPAWNLAB_RT_SELECT_H

#include "rt_net.h"
#include "rt_sync.h"

#include <stdint.h>

struct rt_mpsc_sender;
struct rt_mpsc_receiver;
struct rt_oneshot_receiver;
struct rt_broadcast_receiver;
struct rt_watch_receiver;
struct rt_cancel_token;

typedef enum rt_select_kind {
    RT_SELECT_RECV,      /* rt_mpsc_recv into value */
    RT_SELECT_SEND,      /* rt_mpsc_send of value (bounded: waits for room) */
    RT_SELECT_ONESHOT,   /* rt_oneshot_recv into value */
    RT_SELECT_CANCELLED, /* a cancel token is cancelled */
    RT_SELECT_JOIN,      /* a task finished (collect it with rt_join, which returns at once) */
    RT_SELECT_DEADLINE,  /* rt_now() reached deadline_ns */
    RT_SELECT_BROADCAST, /* rt_broadcast_recv into value (nmissed: as for that call) */
    RT_SELECT_WATCH,     /* rt_watch_changed; with value, also rt_watch_borrow into it */
    RT_SELECT_FD,        /* fd is readable or writable (interest), as rt_fd_wait_* would say */
} rt_select_kind;

/* One arm: make it with the functions below (they only fill in a value: never yield, any
 * thread; the objects must outlive the rt_select call). Fields other than result are
 * private. */
typedef struct rt_select_arm {
    rt_select_kind kind;
    void *object;        /* the channel end, token or join handle */
    void *value;         /* recv: where the value goes; send: the value to send */
    uint64_t *nmissed;   /* RT_SELECT_BROADCAST: where a lag's count goes (may be NULL) */
    int64_t deadline_ns; /* RT_SELECT_DEADLINE */
    int fd;              /* RT_SELECT_FD: the descriptor ... */
    unsigned interest;   /* ... and RT_READABLE or RT_WRITABLE (rt_net.h) */
    int result;          /* out: the winning arm's outcome (0, RT_ECLOSED, ...: see above) */
} rt_select_arm;

#define RT_SELECT_MAX_ARMS 16

static inline rt_select_arm rt_select_recv(struct rt_mpsc_receiver *rx, void *out)
{
    return (rt_select_arm){.kind = RT_SELECT_RECV, .object = rx, .value = out};
}
static inline rt_select_arm rt_select_send(struct rt_mpsc_sender *tx, const void *value)
{
    return (rt_select_arm){.kind = RT_SELECT_SEND, .object = tx, .value = (void *)value};
}
static inline rt_select_arm rt_select_oneshot(struct rt_oneshot_receiver *rx, void *out)
{
    return (rt_select_arm){.kind = RT_SELECT_ONESHOT, .object = rx, .value = out};
}
static inline rt_select_arm rt_select_cancelled(struct rt_cancel_token *token)
{
    return (rt_select_arm){.kind = RT_SELECT_CANCELLED, .object = token};
}
static inline rt_select_arm rt_select_join(rt_join_handle *handle)
{
    return (rt_select_arm){.kind = RT_SELECT_JOIN, .object = handle};
}
static inline rt_select_arm rt_select_deadline(int64_t deadline_ns)
{
    return (rt_select_arm){.kind = RT_SELECT_DEADLINE, .deadline_ns = deadline_ns};
}
/* The receiver's next value into out. Wins with result 0, RT_ELAGGED (*nmissed, if not NULL,
 * says how many values it missed; select again to go on from the oldest one kept) or
 * RT_ECLOSED - exactly what rt_broadcast_recv would have returned. */
static inline rt_select_arm rt_select_broadcast(struct rt_broadcast_receiver *rx, void *out,
                                                uint64_t *nmissed)
{
    return (rt_select_arm){
        .kind = RT_SELECT_BROADCAST, .object = rx, .value = out, .nmissed = nmissed};
}
/* The watch changed since the receiver last borrowed (result 0), or its sender is gone
 * with nothing new (RT_ECLOSED) - rt_watch_changed's answer. out NULL: like changed, the
 * new value stays unseen (borrow it yourself). out not NULL: the winning arm also borrows
 * the latest value into out, which marks it seen; a losing arm never marks anything. */
static inline rt_select_arm rt_select_watch_changed(struct rt_watch_receiver *rx, void *out)
{
    return (rt_select_arm){.kind = RT_SELECT_WATCH, .object = rx, .value = out};
}
/* fd (any descriptor: a socket - rt_tcp_stream_fd -, a pipe, an eventfd; a regular file is
 * always ready) can be read / written without waiting, or has hung up or failed (the read
 * or write would then report it). Wins with result RT_READABLE / RT_WRITABLE. Nothing is
 * read or written. Costs a poll(2) per try and, while the select waits, an rt_fd_watch
 * (rt_net.h) that the select stops before it returns. */
static inline rt_select_arm rt_select_readable(int fd)
{
    return (rt_select_arm){.kind = RT_SELECT_FD, .fd = fd, .interest = RT_READABLE};
}
static inline rt_select_arm rt_select_writable(int fd)
{
    return (rt_select_arm){.kind = RT_SELECT_FD, .fd = fd, .interest = RT_WRITABLE};
}

/* Waits until one arm can complete, completes it (only it), and returns its index. Or
 * RT_ECANCELED / RT_ETIMEDOUT (the calling task was aborted / its deadline passed; no arm
 * happened), -EINVAL (narms not in 1..RT_SELECT_MAX_ARMS), -ENOMEM (a deadline arm's timer
 * or a descriptor's watch could not be set), or a descriptor arm's watch error (-EBADF: fd
 * is not open; no arm happened). MAY YIELD. From a task. */
int rt_select(rt_select_arm *arms, int narms);

#endif
