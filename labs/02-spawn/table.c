/*
 * table.c - the per-connection table: separate chaining, doubling when full. GIVEN.
 *
 * Deliberately plain: an array of buckets, each a singly linked list of entries, and the
 * array doubles when there are more entries than buckets (so a chain stays about one entry
 * long). Hash: FNV-1a over the key's bytes - simple and good enough for a table a client
 * cannot grow beyond its own connection. (A shared, internet-facing table would want a
 * keyed hash such as SipHash, so that clients cannot choose keys that all collide.)
 */
#include "table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { INITIAL_BUCKETS = 16 };

struct entry {
    bytes *key;
    bytes *value;
    struct entry *next;
};

struct table {
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t nentries;
};

static void *must_calloc(size_t count, size_t size)
{
    void *p = calloc(count, size);
    if (!p) {
        fprintf(stderr, "table: out of memory\n");
        abort();
    }
    return p;
}

static uint64_t hash_bytes(const bytes *key)
{
    const uint8_t *p = bytes_data(key);
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a offset basis and prime */
    for (size_t i = 0; i < bytes_len(key); i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static struct entry **bucket_of(const table *t, const bytes *key)
{
    return &t->buckets[hash_bytes(key) & (t->nbuckets - 1)];
}

/* The link that points at key's entry (or at the NULL that ends its chain). */
static struct entry **find_link(const table *t, const bytes *key)
{
    struct entry **link = bucket_of(t, key);
    while (*link && !bytes_equals((*link)->key, key))
        link = &(*link)->next;
    return link;
}

table *table_new(void)
{
    table *t = must_calloc(1, sizeof *t);
    t->nbuckets = INITIAL_BUCKETS;
    t->buckets = must_calloc(t->nbuckets, sizeof *t->buckets);
    return t;
}

void table_free(table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (struct entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            bytes_release(e->key);
            bytes_release(e->value);
            free(e);
        }
    }
    free(t->buckets);
    free(t);
}

bytes *table_get(const table *t, const bytes *key)
{
    struct entry *e = *find_link(t, key);
    return e ? bytes_clone(e->value) : NULL;
}

/* Doubles the bucket array and moves every entry to its new bucket. */
static void grow(table *t)
{
    struct entry **old = t->buckets;
    size_t nold = t->nbuckets;
    t->nbuckets *= 2;
    t->buckets = must_calloc(t->nbuckets, sizeof *t->buckets);
    for (size_t i = 0; i < nold; i++) {
        for (struct entry *e = old[i], *next; e; e = next) {
            next = e->next;
            struct entry **bucket = bucket_of(t, e->key);
            e->next = *bucket;
            *bucket = e;
        }
    }
    free(old);
}

void table_set(table *t, bytes *key, bytes *value)
{
    struct entry *e = *find_link(t, key);
    if (e) {
        bytes *old = e->value;
        e->value = bytes_clone(value);
        bytes_release(old); /* after the clone: value and old may be the same bytes */
        return;
    }
    if (t->nentries >= t->nbuckets)
        grow(t);
    e = must_calloc(1, sizeof *e);
    e->key = bytes_clone(key);
    e->value = bytes_clone(value);
    struct entry **bucket = bucket_of(t, key);
    e->next = *bucket;
    *bucket = e;
    t->nentries++;
}

bool table_delete(table *t, const bytes *key)
{
    struct entry **link = find_link(t, key);
    struct entry *e = *link;
    if (!e)
        return false;
    *link = e->next;
    bytes_release(e->key);
    bytes_release(e->value);
    free(e);
    t->nentries--;
    return true;
}

size_t table_len(const table *t)
{
    return t->nentries;
}
