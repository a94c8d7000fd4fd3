/*
 * rt_signal.h - waiting for ctrl-c (SIGINT) or SIGTERM in a task: graceful shutdown.
 *
 * Chapter: chapters/05-channels.md#graceful-shutdown
 *
 * A server stops well when it is told to: it stops accepting, lets the requests in flight
 * finish, and cleans up. The telling is a signal - ctrl-c in a terminal, SIGTERM from a
 * service manager or a test harness. rt_shutdown_signal_wait parks the calling task until
 * one arrives; that task then tells the others (cancel a token, close a channel):
 *
 *     static void *watch_for_shutdown(void *token)
 *     {
 *         if (rt_shutdown_signal_wait() > 0)
 *             rt_cancel(token);           // every task holding a child token stops
 *         return NULL;
 *     }
 *
 * How: rt_shutdown_signal_install (or the first wait) installs handlers for SIGINT and
 * SIGTERM, for the rest of the process; a signal that comes before that ends the program
 * the ordinary way.
 * A handler may do almost nothing (only async-signal-safe calls), so it writes to an
 * eventfd, and the waiting task waits for that descriptor through the reactor like for a
 * socket: no thread is spent on waiting.
 *
 * A second signal that arrives before a task took the first one ends the program the
 * ordinary way (the handler puts the default action back and re-raises). So when a
 * graceful shutdown hangs, pressing ctrl-c again still stops the program.
 */
#ifndef SPAWNLAB_RT_SIGNAL_H
#define SPAWNLAB_RT_SIGNAL_H

/* Installs the handlers now, without waiting: from here on SIGINT and SIGTERM wait for
 * rt_shutdown_signal_wait instead of ending the program. A server calls it before it
 * says it is listening, so that a SIGTERM sent the moment it is ready is not fatal.
 * Returns 0 or a negative errno code. Never yields. Any thread. */
int rt_shutdown_signal_install(void);

/* Waits for SIGINT or SIGTERM and returns its number; or RT_ECANCELED, RT_ETIMEDOUT (the
 * task's deadline), or a negative errno code when the handlers could not be installed. One
 * task at a time should wait (it then tells the others). MAY YIELD. From a task. */
int rt_shutdown_signal_wait(void);

#endif
