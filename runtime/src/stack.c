/*
 * stack.c - task stacks: pooled mmap slabs with guard regions, touched lazily.
 *
 * Chapter: chapters/appendix-runtime.md#task-stacks
 *
 * A stackful task needs its own stack. We reserve stacks in slabs of SLAB_SLOTS, each slot
 * a guard region followed by the stack (which grows down, towards its guard):
 *
 *     slab:  | guard | stack 0          | guard | stack 1          | ... | guard | stack 63 |
 *            ^ PROT_NONE-like: any touch is a SIGSEGV, which checks.c reports as an overflow
 *
 * Why it is cheap:
 *   - the mapping is MAP_NORESERVE and anonymous: the kernel hands out a physical page only
 *     when a page is first touched, so a parked task with a shallow call chain costs one
 *     page (4 KiB) of stack, however large its stack size;
 *   - guards are installed with madvise(MADV_GUARD_INSTALL) (Linux >= 6.13), which marks
 *     pages inside an existing mapping. mprotect(PROT_NONE), the classic way, splits the
 *     mapping in two per guard, and a process may have only vm.max_map_count (65530)
 *     mappings: that caps the classic way at about 32,000 stacks. We use mprotect only
 *     when the kernel lacks the madvise (and say so once, on stderr);
 *   - freed stacks are recycled, first through the freeing worker's own cache (no lock),
 *     then through the pool's free list (one mutex), so spawning costs no system call.
 * The guard is 16 KiB rather than one page: a function with a large local array can move
 * the stack pointer past a one-page guard into the neighbouring stack without touching it.
 *
 * Deliberate simplifications: only the runtime's default stack size is recycled (other
 * sizes get a mapping of their own, unmapped at exit); slabs are never returned to the
 * kernel before the runtime is freed; a recycled stack keeps the pages it touched.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define RT_HAVE_VALGRIND 1
#endif
#endif
#ifndef RT_HAVE_VALGRIND
#define RT_HAVE_VALGRIND 0
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13; older headers do not have it */
#endif

enum { SLAB_SLOTS = 64 };

struct stack_slab {
    struct stack_slab *next; /* pool->slabs, guarded by pool->mutex */
    char *base;
    size_t mapping_size;
    size_t slot_size; /* STACK_GUARD_SIZE + stack size */
    size_t stack_size;
    int nslots;
    int ncarved; /* slots handed out at least once; guarded by pool->mutex */
    unsigned valgrind_ids[SLAB_SLOTS];
    /* the task that owns each slot's stack, NULL when free: the shutdown check's list */
    _Atomic(struct rt_task *) owners[SLAB_SLOTS];
};

/* A free default-size stack remembers the next one in its own top bytes (already
 * touched, so keeping the list there costs no memory). */
struct free_stack {
    struct free_stack *next;
    struct stack_slab *slab;
    int slot;
};

/* ------------------------------------------------------------ guard regions */

enum guard_kind { GUARD_MADVISE, GUARD_MPROTECT };
static enum guard_kind guard_kind;
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

/* Is the page at p really inaccessible? write() from it into a pipe makes the kernel
 * read it for us: EFAULT means the guard works. (qemu-user, for one, accepts the madvise
 * and ignores it, so a successful return alone proves nothing.) */
static bool guard_really_blocks(const void *p)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return true; /* cannot tell; trust the kernel */
    ssize_t n = write(fds[1], p, 1);
    close(fds[0]);
    close(fds[1]);
    return n < 0 && errno == EFAULT;
}

static void guard_kind_detect(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    guard_kind = GUARD_MPROTECT;
    if (p == MAP_FAILED)
        return;
    if (madvise(p, page, MADV_GUARD_INSTALL) == 0 && guard_really_blocks(p))
        guard_kind = GUARD_MADVISE;
    munmap(p, 2 * page);
    if (guard_kind == GUARD_MPROTECT)
        fprintf(stderr, "spawnlab: this kernel has no working MADV_GUARD_INSTALL; task stack "
                        "guards use mprotect (one extra mapping per stack, so at most about "
                        "vm.max_map_count / 2 tasks at once)\n");
}

const char *rt_stack_guard_kind(void)
{
    pthread_once(&guard_once, guard_kind_detect);
    return guard_kind == GUARD_MADVISE ? "madvise-guard" : "mprotect";
}

static int guard_install(char *guard)
{
    if (guard_kind == GUARD_MADVISE)
        return madvise(guard, STACK_GUARD_SIZE, MADV_GUARD_INSTALL) == 0 ? 0 : -errno;
    return mprotect(guard, STACK_GUARD_SIZE, PROT_NONE) == 0 ? 0 : -errno;
}

/* ------------------------------------------------------------ slabs */

static size_t page_round_up(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

/* Maps a slab of nslots stacks of stack_size; the caller links it (under pool->mutex). */
static struct stack_slab *slab_new(size_t stack_size, int nslots)
{
    struct stack_slab *slab = calloc(1, sizeof *slab);
    if (!slab)
        return NULL;
    slab->stack_size = stack_size;
    slab->slot_size = STACK_GUARD_SIZE + stack_size;
    slab->nslots = nslots;
    slab->mapping_size = slab->slot_size * (size_t)nslots;
    /* MAP_NORESERVE: no swap is reserved for memory we may never touch. */
    void *base = mmap(NULL, slab->mapping_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) {
        free(slab);
        return NULL;
    }
    slab->base = base;
    return slab;
}

static void slab_free(struct stack_slab *slab)
{
#if RT_HAVE_VALGRIND
    for (int i = 0; i < slab->ncarved; i++)
        VALGRIND_STACK_DEREGISTER(slab->valgrind_ids[i]);
#endif
    munmap(slab->base, slab->mapping_size);
    free(slab);
}

/* The stack of a slot, described. */
static struct stack slot_stack(struct stack_slab *slab, int slot)
{
    char *low = slab->base + (size_t)slot * slab->slot_size + STACK_GUARD_SIZE;
    return (struct stack){.low = low, .size = slab->stack_size, .slab = slab, .slot = slot};
}

/* First use of a slot: guard it and tell Valgrind it is a stack. Under pool->mutex. */
static int slot_carve(struct stack_slab *slab, struct stack *out)
{
    int slot = slab->ncarved;
    *out = slot_stack(slab, slot);
    int rc = guard_install(out->low - STACK_GUARD_SIZE);
    if (rc < 0)
        return rc;
#if RT_HAVE_VALGRIND
    slab->valgrind_ids[slot] = VALGRIND_STACK_REGISTER(out->low, out->low + out->size);
#endif
    slab->ncarved++;
    return 0;
}

/* ------------------------------------------------------------ the pool */

int stack_pool_init(struct stack_pool *pool, size_t stack_size)
{
    pthread_once(&guard_once, guard_kind_detect);
    memset(pool, 0, sizeof *pool);
    pool->stack_size = page_round_up(stack_size);
    pthread_mutex_init(&pool->mutex, NULL);
    return 0;
}

void stack_pool_destroy(struct stack_pool *pool)
{
    struct stack_slab *slab = pool->slabs;
    while (slab) {
        struct stack_slab *next = slab->next;
        slab_free(slab);
        slab = next;
    }
    pool->slabs = NULL;
    pthread_mutex_destroy(&pool->mutex);
}

static struct free_stack *free_node(const struct stack *s)
{
    return (struct free_stack *)(s->low + s->size - sizeof(struct free_stack));
}

/* A default-size stack from the pool's free list, or a fresh slot. Under pool->mutex. */
static int pool_take_locked(struct stack_pool *pool, struct stack *out)
{
    struct free_stack *node = pool->free_list;
    if (node) {
        pool->free_list = node->next;
        *out = slot_stack(node->slab, node->slot);
        return 0;
    }
    if (!pool->carving || pool->carving->ncarved == pool->carving->nslots) {
        struct stack_slab *slab = slab_new(pool->stack_size, SLAB_SLOTS);
        if (!slab)
            return -ENOMEM;
        slab->next = pool->slabs;
        pool->slabs = slab;
        pool->carving = slab;
    }
    return slot_carve(pool->carving, out);
}

/* Pushes a free default-size stack on the pool's list. Under pool->mutex. */
static void pool_put_locked(struct stack_pool *pool, const struct stack *s)
{
    struct free_stack *node = free_node(s);
    node->next = pool->free_list;
    node->slab = s->slab;
    node->slot = s->slot;
    pool->free_list = node;
}

/* A stack of its own size: a one-slot slab, unmapped when the task exits. */
static int custom_alloc(struct stack_pool *pool, size_t size, struct stack *out)
{
    struct stack_slab *slab = slab_new(page_round_up(size), 1);
    if (!slab)
        return -ENOMEM;
    pthread_mutex_lock(&pool->mutex);
    int rc = slot_carve(slab, out);
    if (rc == 0) {
        slab->next = pool->slabs;
        pool->slabs = slab;
    }
    pthread_mutex_unlock(&pool->mutex);
    if (rc < 0)
        slab_free(slab);
    return rc;
}

static void custom_free(struct stack_pool *pool, struct stack_slab *slab)
{
    pthread_mutex_lock(&pool->mutex);
    struct stack_slab **link = &pool->slabs;
    while (*link != slab)
        link = &(*link)->next;
    *link = slab->next;
    pthread_mutex_unlock(&pool->mutex);
    slab_free(slab);
}

int stack_alloc(struct stack_pool *pool, struct stack_cache *cache, size_t size,
                struct rt_task *owner, struct stack *out)
{
    int rc = 0;
    if (size != pool->stack_size) {
        rc = custom_alloc(pool, size, out);
    } else if (cache && cache->count > 0) {
        cache->count--;
        *out = slot_stack(cache->slabs[cache->count], cache->slots[cache->count]);
    } else {
        pthread_mutex_lock(&pool->mutex);
        rc = pool_take_locked(pool, out);
        pthread_mutex_unlock(&pool->mutex);
    }
    if (rc < 0)
        return rc;
    /* release: the shutdown walk (acquire) then sees the task's id and name */
    atomic_store_explicit(&out->slab->owners[out->slot], owner, memory_order_release);
    return 0;
}

void stack_free(struct stack_pool *pool, struct stack_cache *cache, struct stack *s)
{
    atomic_store_explicit(&s->slab->owners[s->slot], NULL, memory_order_relaxed);
    if (s->slab->nslots == 1) {
        custom_free(pool, s->slab);
        return;
    }
    if (cache && cache->count < STACK_CACHE_CAPACITY) {
        cache->slabs[cache->count] = s->slab;
        cache->slots[cache->count] = s->slot;
        cache->count++;
        return;
    }
    /* The cache is full: hand half of it back too, so the next frees are lock-free again. */
    pthread_mutex_lock(&pool->mutex);
    pool_put_locked(pool, s);
    while (cache && cache->count > STACK_CACHE_CAPACITY / 2) {
        cache->count--;
        struct stack back = slot_stack(cache->slabs[cache->count], cache->slots[cache->count]);
        pool_put_locked(pool, &back);
    }
    pthread_mutex_unlock(&pool->mutex);
}

void stack_pool_for_each_owner(struct stack_pool *pool, void (*fn)(struct rt_task *, void *),
                               void *arg)
{
    pthread_mutex_lock(&pool->mutex);
    for (struct stack_slab *slab = pool->slabs; slab; slab = slab->next) {
        for (int i = 0; i < slab->ncarved; i++) {
            struct rt_task *t = atomic_load_explicit(&slab->owners[i], memory_order_acquire);
            if (t)
                fn(t, arg);
        }
    }
    pthread_mutex_unlock(&pool->mutex);
}

bool stack_is_guard_address(const struct stack *s, uintptr_t addr)
{
    uintptr_t low = (uintptr_t)s->low;
    return s->low && addr < low && addr >= low - STACK_GUARD_SIZE;
}

bool stack_contains(const struct stack *s, const void *addr)
{
    uintptr_t a = (uintptr_t)addr, low = (uintptr_t)s->low;
    return s->low && a >= low && a < low + s->size;
}
