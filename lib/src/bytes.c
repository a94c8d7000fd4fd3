/*
 * bytes.c - refcounted immutable byte strings and the growable I/O buffer.
 *
 * Invariants:
 *   - A root owns its bytes, which follow its header in the same allocation (one
 *     malloc per bytes_copy, not two) and end with a NUL outside the length.
 *   - A slice owns nothing but one count on its root; slices of slices point at the
 *     root directly, so a chain of slices never forms and release is not recursive.
 *   - A buf satisfies start <= end <= cap; [start, end) is the unread data.
 *
 * Simplification: every slice is a small allocation of its own. Rust's Bytes is a
 * by-value struct (pointer, length, owner) so its slices cost no allocation; we keep
 * handles opaque pointers because a C student can pass them around, store them and
 * release them exactly like any other object.
 */
#include "bytes.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ================================================================ bytes */

struct bytes {
    atomic_size_t refcount; /* holders of this handle (for a root: plus its slices) */
    size_t len;
    const uint8_t *data; /* a root: its own storage; a slice: inside root's storage */
    bytes *root;         /* NULL for a root */
    uint8_t storage[];   /* a root's bytes and their NUL; empty for a slice */
};

bytes *bytes_copy(const void *data, size_t len)
{
    LIB_ASSERT(data != NULL || len == 0);
    LIB_ASSERT(len < SIZE_MAX - sizeof(bytes) - 1);
    bytes *b = util_malloc(sizeof(bytes) + len + 1);
    atomic_init(&b->refcount, 1);
    b->len = len;
    b->data = b->storage;
    b->root = NULL;
    if (len > 0)
        memcpy(b->storage, data, len);
    b->storage[len] = '\0';
    return b;
}

bytes *bytes_from_str(const char *text)
{
    return bytes_copy(text, strlen(text));
}

bytes *bytes_slice(bytes *b, size_t offset, size_t len)
{
    LIB_ASSERT(b != NULL);
    LIB_ASSERT(offset <= b->len && len <= b->len - offset);
    bytes *root = b->root != NULL ? b->root : b;
    bytes *s = util_malloc(sizeof(bytes));
    atomic_init(&s->refcount, 1);
    s->len = len;
    s->data = b->data + offset;
    s->root = bytes_clone(root);
    return s;
}

bytes *bytes_clone(bytes *b)
{
    /* Relaxed is enough: the caller already holds a reference, so the memory cannot
     * be freed under us, and taking a reference publishes nothing. (Rust's Arc::clone
     * makes the same argument.) */
    if (b != NULL)
        atomic_fetch_add_explicit(&b->refcount, 1, memory_order_relaxed);
    return b;
}

void bytes_release(bytes *b)
{
    if (b == NULL)
        return;
    /* acq_rel: the release half orders this holder's last reads of the bytes before
     * the decrement; the acquire half, which matters to the thread that reaches
     * zero, orders every other holder's reads before our free. With relaxed ordering
     * the free could race with a reader on another worker thread. (Arc uses a
     * release decrement plus an acquire fence; ThreadSanitizer does not model
     * fences, so we fold the acquire into the decrement, which costs nothing on
     * x86-64.) */
    if (atomic_fetch_sub_explicit(&b->refcount, 1, memory_order_acq_rel) != 1)
        return;
    bytes *root = b->root;
    free(b);
    bytes_release(root); /* a slice's root: at most one level, roots have no root */
}

const uint8_t *bytes_data(const bytes *b)
{
    return b->data;
}

size_t bytes_len(const bytes *b)
{
    return b->len;
}

bool bytes_equals_mem(const bytes *b, const void *data, size_t len)
{
    return b->len == len && (len == 0 || memcmp(b->data, data, len) == 0);
}

bool bytes_equals(const bytes *a, const bytes *b)
{
    return bytes_equals_mem(a, b->data, b->len);
}

bool bytes_equals_str(const bytes *b, const char *text)
{
    return bytes_equals_mem(b, text, strlen(text));
}

size_t bytes_refcount(const bytes *b)
{
    const bytes *owner = b->root != NULL ? b->root : b;
    return atomic_load_explicit(&owner->refcount, memory_order_relaxed);
}

/* ================================================================ buf */

struct buf {
    uint8_t *data;
    size_t start; /* first unread byte */
    size_t end;   /* one past the last unread byte */
    size_t cap;
};

/* The first allocation: big enough for a typical read(2) of a pipelined batch. */
enum { BUF_MIN_CAPACITY = 4096 };

buf *buf_new(void)
{
    return util_calloc(1, sizeof(buf));
}

void buf_free(buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    free(b);
}

const uint8_t *buf_data(const buf *b)
{
    static const uint8_t nothing[1];
    /* Before the first allocation data is NULL, and NULL + 0 is undefined in C. */
    return b->data != NULL ? b->data + b->start : nothing;
}

size_t buf_len(const buf *b)
{
    return b->end - b->start;
}

uint8_t *buf_reserve(buf *b, size_t min_spare, size_t *spare)
{
    size_t unread = b->end - b->start;
    if (b->cap - b->end < min_spare) {
        /* First try to reuse the consumed front: moving the unread tail (usually a
         * part of one frame) is cheaper than growing, and keeps a long-lived
         * connection's buffer from creeping forward forever. Grow only when even
         * the whole buffer is too small. */
        if (b->start > 0) {
            memmove(b->data, b->data + b->start, unread);
            b->start = 0;
            b->end = unread;
        }
        if (b->cap - b->end < min_spare) {
            LIB_ASSERT(min_spare <= SIZE_MAX / 2 - unread);
            size_t cap = b->cap ? b->cap : BUF_MIN_CAPACITY;
            while (cap - unread < min_spare)
                cap *= 2; /* doubling: appending n bytes costs O(n) copies overall */
            b->data = util_realloc(b->data, cap);
            b->cap = cap;
        }
    }
    if (spare != NULL)
        *spare = b->cap - b->end;
    return b->data + b->end;
}

void buf_commit(buf *b, size_t count)
{
    LIB_ASSERT(count <= b->cap - b->end);
    b->end += count;
}

void buf_append(buf *b, const void *data, size_t len)
{
    if (len == 0)
        return;
    memcpy(buf_reserve(b, len, NULL), data, len);
    b->end += len;
}

void buf_consume(buf *b, size_t count)
{
    LIB_ASSERT(count <= b->end - b->start);
    b->start += count;
    if (b->start == b->end) /* all read: start over at the front, for free */
        b->start = b->end = 0;
}

void buf_clear(buf *b)
{
    b->start = b->end = 0;
}
