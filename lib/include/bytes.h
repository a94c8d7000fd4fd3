/*
 * bytes.h - shared immutable byte strings (bytes_) and a growable I/O buffer (buf_).
 *
 * The C analog of Rust's `bytes` crate, which Tokio's mini-redis is built on.
 *
 * bytes: an immutable byte string with an atomic reference count. A value stored
 * in the database and the reply frame that sends it to a client can hold the same
 * bytes: handing it over costs one atomic increment (bytes_clone), not a copy, and
 * the memory is freed when the last holder calls bytes_release. The count is atomic
 * because holders live on different worker threads (the connection task that parsed
 * a SET and the task that later answers a GET). Nothing else needs a lock: the
 * contents never change after creation. Chapter: chapters/03-shared-state.md#bytes.
 *
 *     root                        slice (bytes_slice(root, 4, 3))
 *     +----------+-----+------+   +----------+-----+------+
 *     | refcount | len | data-|-+ | refcount | len | data-|---+
 *     | root=NULL|     |      | | | root ----|-----|------|-+ |
 *     +----------+-----+------+ | +----------+-----+------+ | |
 *     | 'h' 'e' 'l' 'l' 'o' ... |<+-----------------------------+  (a slice holds one
 *     +-------------------------+   count on its root and points into the root's bytes)
 *
 * buf: a growable byte buffer with a read end and a write end, used as a
 * connection's read buffer (read(2) appends at the end, the frame parser consumes
 * from the front) and write buffer (the serializer appends, write(2) consumes). A buf
 * has one owner at a time and no lock: it may move between threads with its task,
 * but two threads must not use it at once.
 *
 *     data                start             end               cap
 *     |  consumed (dead)  |  unread bytes    |  spare capacity  |
 *                          ^ buf_data, buf_len  ^ buf_reserve / buf_commit
 *
 * Allocation failure aborts the program (see the library's policy in lib/src/util.h);
 * so no function here returns NULL. Nothing in this header ever yields.
 */
#ifndef MINIREDIS_BYTES_H
#define MINIREDIS_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ================================================================ bytes */

typedef struct bytes bytes;

/* A new bytes holding a copy of data[0..len) (data may be NULL when len is 0), with
 * a count of 1 owned by the caller. The copy is followed by a NUL that is not part of
 * the length, so a root's data may be printed with %s when it holds text.
 * Any thread. */
bytes *bytes_copy(const void *data, size_t len);

/* bytes_copy(text, strlen(text)). Any thread. */
bytes *bytes_from_str(const char *text);

/* A new handle on data[offset .. offset+len) of b that shares b's memory instead of
 * copying it; the slice keeps that memory alive (it holds a count on it) until the
 * slice is released, even after b is released. offset + len must be <= bytes_len(b)
 * (checked; a violation is a programming error and aborts). A slice is not
 * NUL-terminated. Any thread. */
bytes *bytes_slice(bytes *b, size_t offset, size_t len);

/* Adds one reference (count + 1) and returns b, for a new holder who must release it.
 * b may be NULL (returns NULL). Any thread, concurrently with other clones and
 * releases of the same bytes. */
bytes *bytes_clone(bytes *b);

/* Drops one reference; the last release frees the memory. b may be NULL (no-op).
 * Any thread. After the call the caller must not touch b. */
void bytes_release(bytes *b);

/* The contents and their length. Valid while the caller holds a reference. */
const uint8_t *bytes_data(const bytes *b);
size_t bytes_len(const bytes *b);

/* true when the contents are equal byte for byte (a, b non-NULL). */
bool bytes_equals(const bytes *a, const bytes *b);
/* true when the contents equal data[0..len) / the NUL-terminated text. */
bool bytes_equals_mem(const bytes *b, const void *data, size_t len);
bool bytes_equals_str(const bytes *b, const char *text);

/* The current count of the memory b shares (for tests and teaching: a snapshot that
 * may be stale as soon as it is returned when other threads hold references). */
size_t bytes_refcount(const bytes *b);

/* ================================================================ buf */

typedef struct buf buf;

/* A new, empty buffer (allocates lazily on first use). Any thread. */
buf *buf_new(void);
/* Frees the buffer and its memory. b may be NULL. */
void buf_free(buf *b);

/* The unread bytes: buf_len(b) bytes starting at buf_data(b). The pointer is valid
 * until the next call that adds bytes (buf_reserve, buf_append), which may move them. */
const uint8_t *buf_data(const buf *b);
size_t buf_len(const buf *b);

/* Makes room for at least min_spare more bytes at the end and returns where they go;
 * *spare (when not NULL) receives how many bytes may be written there (>= min_spare).
 * Write into it (e.g. with read(2)), then call buf_commit with the count written.
 * May move the unread bytes (compacting or growing): earlier buf_data pointers die. */
uint8_t *buf_reserve(buf *b, size_t min_spare, size_t *spare);

/* Marks count bytes, written into the space buf_reserve returned, as unread data.
 * count must not exceed the spare space (checked; aborts otherwise). */
void buf_commit(buf *b, size_t count);

/* Appends a copy of data[0..len). */
void buf_append(buf *b, const void *data, size_t len);

/* Drops count bytes from the front (after parsing them, or after write(2) sent
 * them). count must not exceed buf_len(b) (checked; aborts otherwise). */
void buf_consume(buf *b, size_t count);

/* Drops every unread byte; keeps the memory for reuse. */
void buf_clear(buf *b);

#endif
