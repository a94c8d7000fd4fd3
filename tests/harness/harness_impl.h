/* harness_impl.h - shared between the harness's own files; not API for suites. */
#ifndef SPAWNLAB_HARNESS_IMPL_H
#define SPAWNLAB_HARNESS_IMPL_H

#include <sys/types.h>

/* Every child the harness starts is registered until it is reaped, so the per-test
 * audit can name the ones left running and the watchdog can kill them. */
void sl_children_add(pid_t pid);
void sl_children_remove(pid_t pid);
/* Fills up to max pids of registered children still running; returns how many. */
int sl_children_alive(pid_t *pids, int max);
/* SIGKILLs and reaps every registered child (async-signal-safe apart from waitpid). */
void sl_children_kill_all(void);

#endif
