/*
 * idmap.c - sparse 64-bit ids to dense array indexes.
 *
 * Task ids count up but may start anywhere (a trace may begin mid-run), and object ids
 * are addresses, so we cannot index arrays by id. A hash table with linear probing is
 * the simplest structure that keeps a million-event trace fast: one multiply to hash,
 * a short scan on collision, and the table doubles before it is half full.
 */
#include "schedviz.h"

#include <errno.h>
#include <stdlib.h>

/* Fibonacci hashing: multiplying by 2^64/phi spreads consecutive ids over the table. */
static size_t slot_of(uint64_t id, size_t cap)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

uint32_t sv_idmap_get(const sv_idmap *map, uint64_t id)
{
    if (map->cap == 0 || id == 0)
        return SV_NONE;
    for (size_t i = slot_of(id, map->cap);; i = (i + 1) & (map->cap - 1)) {
        if (map->keys[i] == id)
            return map->values[i];
        if (map->keys[i] == 0)
            return SV_NONE;
    }
}

static int grow(sv_idmap *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    sv_idmap bigger = {calloc(cap, sizeof(uint64_t)), calloc(cap, sizeof(uint32_t)), cap, 0};
    if (!bigger.keys || !bigger.values) {
        sv_idmap_free(&bigger);
        return -ENOMEM;
    }
    for (size_t i = 0; i < map->cap; i++)
        if (map->keys[i] != 0)
            sv_idmap_put(&bigger, map->keys[i], map->values[i]);
    sv_idmap_free(map);
    *map = bigger;
    return 0;
}

int sv_idmap_put(sv_idmap *map, uint64_t id, uint32_t value)
{
    /* Half full at most: probes stay short, and an empty slot always ends a search. */
    if ((map->count + 1) * 2 > map->cap) {
        int rc = grow(map);
        if (rc < 0)
            return rc;
    }
    size_t i = slot_of(id, map->cap);
    while (map->keys[i] != 0 && map->keys[i] != id)
        i = (i + 1) & (map->cap - 1);
    if (map->keys[i] == 0)
        map->count++;
    map->keys[i] = id;
    map->values[i] = value;
    return 0;
}

void sv_idmap_free(sv_idmap *map)
{
    free(map->keys);
    free(map->values);
    *map = (sv_idmap){0};
}
