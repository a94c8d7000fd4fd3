/*
 * tracer.c - per-worker event buffers, merged by time into a trace file at the end.
 *
 * Chapter: chapters/appendix-runtime.md#tracing
 *
 * Layout of a buffer:
 *
 *     trace_buffer.first -> [chunk: 4096 events | names] -> [chunk ...] -> NULL
 *
 * A chunk also carries the bytes of the names its events refer to (task and object
 * names are copied at record time: the task may be gone by the time the file is written),
 * and each event's sequence number.
 *
 * Two things make the written file the same for the same run, byte for byte:
 *   - events are merged by time, and events with the same time (the virtual clock stands
 *     still while tasks run, so there are many) by a sequence number taken from one
 *     counter at record time. Taking a number is an atomic increment, and increments of one
 *     atomic happen in an order that respects happens-before: a spawn is numbered before
 *     the run of the task it spawned, even across threads;
 *   - object ids are addresses in memory, which change from run to run; the file gets small
 *     numbers instead (0x1, 0x2, ...), in the order the objects first appear.
 */
#include "tracer.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_EVENTS = 4096, CHUNK_NAME_BYTES = 16384, NAME_MAX_BYTES = 64 };

struct trace_chunk {
    struct trace_chunk *next;
    size_t nevents, name_bytes;
    rt_trace_record events[CHUNK_EVENTS];
    uint64_t sequence[CHUNK_EVENTS];
    char names[CHUNK_NAME_BYTES];
};

void tracer_init(struct tracer *tr)
{
    memset(tr, 0, sizeof *tr);
    atomic_init(&tr->is_on, false);
    atomic_init(&tr->ndropped, 0);
    pthread_mutex_init(&tr->others_mutex, NULL);
}

static void buffer_free(struct trace_buffer *b)
{
    for (struct trace_chunk *c = b->first, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    *b = (struct trace_buffer){0};
}

/* Frees every buffer and the path; the tracer is idle again. */
static void release_buffers(struct tracer *tr)
{
    for (int i = 0; tr->workers && i < tr->nworkers; i++)
        buffer_free(&tr->workers[i]);
    free(tr->workers);
    buffer_free(&tr->others);
    free(tr->path);
    tr->workers = NULL;
    tr->path = NULL;
}

int tracer_start(struct tracer *tr, const char *path, int nworkers, rt_trace_clock clock)
{
    if (atomic_load(&tr->is_on))
        return -EBUSY;
    tr->workers = aligned_alloc(64, (size_t)nworkers * sizeof *tr->workers);
    if (tr->workers)
        memset(tr->workers, 0, (size_t)nworkers * sizeof *tr->workers);
    tr->path = strdup(path);
    if (!tr->workers || !tr->path) {
        release_buffers(tr);
        return -ENOMEM;
    }
    tr->nworkers = nworkers;
    tr->clock = clock;
    if (!tr->max_events)
        tr->max_events = 16u * 1000 * 1000;
    atomic_store(&tr->ndropped, 0);
    atomic_store(&tr->next_sequence, 0);
    atomic_store_explicit(&tr->is_on, true, memory_order_release);
    return 0;
}

/* Copies a name into the chunk; names are cut at NAME_MAX_BYTES. NULL when no room. */
static const char *keep_name(struct trace_chunk *c, const char *name)
{
    size_t n = strnlen(name, NAME_MAX_BYTES - 1);
    if (c->name_bytes + n + 1 > CHUNK_NAME_BYTES)
        return NULL;
    char *copy = memcpy(c->names + c->name_bytes, name, n);
    copy[n] = '\0';
    c->name_bytes += n + 1;
    return copy;
}

static void append(struct tracer *tr, struct trace_buffer *b, const rt_trace_record *r)
{
    struct trace_chunk *c = b->last;
    bool needs_name = r->text != NULL;
    if (b->count >= tr->max_events) {
        atomic_fetch_add_explicit(&tr->ndropped, 1, memory_order_relaxed);
        return;
    }
    if (!c || c->nevents == CHUNK_EVENTS ||
        (needs_name && c->name_bytes + NAME_MAX_BYTES > CHUNK_NAME_BYTES)) {
        struct trace_chunk *fresh = malloc(sizeof *fresh);
        if (!fresh) {
            atomic_fetch_add_explicit(&tr->ndropped, 1, memory_order_relaxed);
            return;
        }
        fresh->next = NULL;
        fresh->nevents = fresh->name_bytes = 0;
        if (c)
            c->next = fresh;
        else
            b->first = fresh;
        b->last = c = fresh;
    }
    c->sequence[c->nevents] =
        atomic_fetch_add_explicit(&tr->next_sequence, 1, memory_order_relaxed);
    rt_trace_record *slot = &c->events[c->nevents++];
    *slot = *r;
    if (needs_name)
        slot->text = keep_name(c, r->text);
    b->count++;
}

void tracer_record(struct tracer *tr, int worker, const rt_trace_record *record)
{
    if (!atomic_load_explicit(&tr->is_on, memory_order_acquire))
        return;
    bool is_worker = worker >= 0 && worker < tr->nworkers;
    struct trace_buffer *b = is_worker ? &tr->workers[worker] : &tr->others;
    atomic_fetch_add(&b->nrecording, 1);
    if (atomic_load(&tr->is_on)) { /* still on: tracer_stop now waits for us */
        if (is_worker) {
            append(tr, b, record);
        } else {
            pthread_mutex_lock(&tr->others_mutex);
            append(tr, b, record);
            pthread_mutex_unlock(&tr->others_mutex);
        }
    }
    atomic_fetch_sub(&b->nrecording, 1);
}

/* Waits until no thread is inside tracer_record (is_on is already false). */
static void wait_for_recorders(struct tracer *tr)
{
    for (int i = 0; i <= tr->nworkers; i++) {
        struct trace_buffer *b = i < tr->nworkers ? &tr->workers[i] : &tr->others;
        while (atomic_load(&b->nrecording) > 0)
            sched_yield(); /* a recorder holds it for a few stores */
    }
}

/* An event and its sequence number: the sort key for events with the same time. */
struct merged {
    const rt_trace_record *record;
    uint64_t sequence;
};

static int by_time(const void *x, const void *y)
{
    const struct merged *a = x, *b = y;
    if (a->record->time_ns != b->record->time_ns)
        return a->record->time_ns < b->record->time_ns ? -1 : 1;
    return a->sequence < b->sequence ? -1 : a->sequence > b->sequence;
}

/* Every buffer's events in one array sorted by time (ties: by sequence number). */
static struct merged *merge(struct tracer *tr, size_t *count)
{
    size_t total = tr->others.count;
    for (int i = 0; i < tr->nworkers; i++)
        total += tr->workers[i].count;
    struct merged *all = malloc((total ? total : 1) * sizeof *all);
    if (!all)
        return NULL;
    size_t n = 0;
    for (int i = 0; i <= tr->nworkers; i++) {
        struct trace_buffer *b = i < tr->nworkers ? &tr->workers[i] : &tr->others;
        for (struct trace_chunk *c = b->first; c; c = c->next)
            for (size_t e = 0; e < c->nevents; e++)
                all[n++] = (struct merged){&c->events[e], c->sequence[e]};
    }
    qsort(all, n, sizeof *all, by_time);
    *count = n;
    return all;
}

/* Object addresses -> small ids, in order of first appearance: an open-addressing table
 * that doubles when half full. Out of memory, an address is written as it is. */
struct object_ids {
    uint64_t *addresses, *ids; /* [capacity]; address 0 marks a free slot */
    size_t capacity, count;
};

static size_t slot_of(const struct object_ids *map, uint64_t address)
{
    size_t i = (size_t)(address * 0x9e3779b97f4a7c15u >> 20) & (map->capacity - 1);
    while (map->addresses[i] != 0 && map->addresses[i] != address)
        i = (i + 1) & (map->capacity - 1);
    return i;
}

static bool object_ids_grow(struct object_ids *map)
{
    struct object_ids bigger = {.capacity = map->capacity ? 2 * map->capacity : 256,
                                .count = map->count};
    bigger.addresses = calloc(bigger.capacity, sizeof *bigger.addresses);
    bigger.ids = calloc(bigger.capacity, sizeof *bigger.ids);
    if (!bigger.addresses || !bigger.ids) {
        free(bigger.addresses);
        free(bigger.ids);
        return false;
    }
    for (size_t i = 0; i < map->capacity; i++) {
        if (map->addresses[i] == 0)
            continue;
        size_t j = slot_of(&bigger, map->addresses[i]);
        bigger.addresses[j] = map->addresses[i];
        bigger.ids[j] = map->ids[i];
    }
    free(map->addresses);
    free(map->ids);
    *map = bigger;
    return true;
}

static uint64_t small_id(struct object_ids *map, uint64_t address)
{
    if (address == 0)
        return 0; /* "none" */
    if (2 * (map->count + 1) > map->capacity && !object_ids_grow(map))
        return address;
    size_t i = slot_of(map, address);
    if (map->addresses[i] == 0) {
        map->addresses[i] = address;
        map->ids[i] = ++map->count;
    }
    return map->ids[i];
}

static int write_file(struct tracer *tr, const struct merged *all, size_t n)
{
    FILE *out = fopen(tr->path, "w");
    if (!out)
        return -errno;
    int rc = rt_trace_write_header(out, tr->clock, tr->nworkers);
    uint64_t dropped = atomic_load(&tr->ndropped);
    if (dropped)
        fprintf(out, "# %llu events were dropped (buffers full or out of memory)\n",
                (unsigned long long)dropped);
    struct object_ids objects = {0};
    for (size_t i = 0; i < n && rc == 0; i++) {
        rt_trace_record r = *all[i].record;
        r.object = small_id(&objects, r.object);
        rc = rt_trace_write_record(out, &r);
    }
    free(objects.addresses);
    free(objects.ids);
    if (fclose(out) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

int tracer_stop(struct tracer *tr)
{
    if (!atomic_exchange(&tr->is_on, false))
        return -EINVAL;
    wait_for_recorders(tr);
    size_t n = 0;
    struct merged *all = merge(tr, &n);
    int rc = all ? write_file(tr, all, n) : -ENOMEM;
    free(all);
    release_buffers(tr);
    return rc;
}

void tracer_destroy(struct tracer *tr)
{
    if (atomic_load(&tr->is_on))
        tracer_stop(tr);
    release_buffers(tr);
    pthread_mutex_destroy(&tr->others_mutex);
}
