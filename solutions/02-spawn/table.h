/*
 * table.h - a small hash table: key -> value, both refcounted bytes. GIVEN: nothing to do here.
 *
 * Chapter: chapters/01-sequential.md#step-2-get-and-set
 *
 * In labs 01 and 02 every connection owns a table of its own: a SET on one connection is
 * invisible to every other (chapters/02-spawn.md#state-is-not-shared-yet). Lab 03 replaces it
 * with one database that all connections share.
 *
 * Keys and values are bytes (lib/include/bytes.h): storing one takes a reference
 * (bytes_clone, no copy), and a GET hands a reference back. So the SET's request frame, the
 * table and a GET's reply frame can all hold the same value at once, and the memory is freed
 * when the last of them lets go.
 *
 * Threads: a table has no lock. It belongs to one task at a time (its connection's), which
 * may move between worker threads with its task: that is fine, as long as two tasks never
 * use it at once. Nothing here yields.
 */
#ifndef LAB_TABLE_H
#define LAB_TABLE_H

#include "bytes.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct table table;

/* A new, empty table. Never fails (allocation failure aborts, as in lib/). */
table *table_new(void);

/* Releases every key and value it holds and frees it. t may be NULL. */
void table_free(table *t);

/* The value stored under key, as a new reference the caller owns (release it with
 * bytes_release, or hand it to frame_new_bulk, which takes it over); NULL when the key
 * is absent. */
bytes *table_get(const table *t, const bytes *key);

/* Stores value under key, replacing (and releasing) any previous value. The table takes
 * references of its own (bytes_clone): the caller keeps its references to key and value. */
void table_set(table *t, bytes *key, bytes *value);

/* Removes key; true when it was there. */
bool table_delete(table *t, const bytes *key);

/* How many keys it holds. */
size_t table_len(const table *t);

#endif
