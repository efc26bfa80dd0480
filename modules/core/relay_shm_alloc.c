/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The region allocator (see include/relay/relay_shm_alloc.h for the design
 * and its waste). Layout of the region, from the aligned start:
 *
 *   state | block | block | ... | end header (size 0, never free)
 *
 * A block is a 16-byte header (offset of the block before it, then its
 * size in bytes with FREE_BIT) followed by its payload; a free block keeps
 * its list links (next, previous) in the first 16 bytes of the payload.
 * Every offset counts from the state's address, so offset 0 (the state)
 * never names a block.
 */
#include <string.h>

#include "relay/relay_shm_alloc.h"

#define STATE_MAGIC 0x52534841 /* "RSHA" */
#define GRANULE 16
#define HEADER 16
#define MIN_BLOCK 32
#define FREE_BIT ((apr_size_t)1)
#define NCLASSES 256
#define MAP_WORDS (NCLASSES / 64)

struct relay_shm_alloc_t {
    apr_uint32_t magic;
    apr_size_t size;  /* of the region, from this state on */
    apr_size_t first; /* the first block */
    apr_size_t end;   /* the end header */
    apr_size_t free_bytes;
    apr_size_t live;
    apr_uint64_t map[MAP_WORDS]; /* bit c: heads[c] is not empty */
    relay_shm_off_t heads[NCLASSES];
};

typedef struct block_t {
    apr_size_t prev; /* the block physically before; 0 for the first */
    apr_size_t size; /* bytes with the header, | FREE_BIT when free */
} block_t;

typedef struct links_t {
    relay_shm_off_t next, prev; /* on its class's free list; 0 at the ends */
} links_t;

#define ROUND_UP(n) (((n) + GRANULE - 1) & ~(apr_size_t)(GRANULE - 1))
#define STATE_SIZE ROUND_UP(sizeof(relay_shm_alloc_t))

static block_t *block_at(const relay_shm_alloc_t *a, apr_size_t off)
{
    return (block_t *)((char *)a + off);
}

static links_t *links_of(const relay_shm_alloc_t *a, apr_size_t off)
{
    return (links_t *)((char *)a + off + HEADER);
}

static apr_size_t size_of(const block_t *b)
{
    return b->size & ~FREE_BIT;
}

static int top_bit(apr_size_t n) /* n > 0 */
{
    return 63 - __builtin_clzll((unsigned long long)n);
}

/* The class of a block of `units` granules: exact below 8 granules, then
 * four classes per power of two. */
static int class_of(apr_size_t units)
{
    int fl;

    if (units < 8) {
        return (int)units;
    }
    fl = top_bit(units);
    return 8 + (fl - 3) * 4 + (int)((units >> (fl - 2)) & 3);
}

/* The smallest size, in granules, of the blocks of class c. */
static apr_size_t class_floor(int c)
{
    int fl, sl;

    if (c < 8) {
        return (apr_size_t)c;
    }
    fl = 3 + (c - 8) / 4;
    sl = (c - 8) % 4;
    return (apr_size_t)(4 + sl) << (fl - 2);
}

/* The first non-empty class at or above c; -1 when there is none. */
static int first_class_from(const relay_shm_alloc_t *a, int c)
{
    int w = c / 64;
    apr_uint64_t bits;

    if (c >= NCLASSES) {
        return -1;
    }
    bits = a->map[w] & (~(apr_uint64_t)0 << (c % 64));
    while (!bits) {
        if (++w == MAP_WORDS) {
            return -1;
        }
        bits = a->map[w];
    }
    return w * 64 + __builtin_ctzll(bits);
}

static void list_insert(relay_shm_alloc_t *a, apr_size_t off)
{
    block_t *b = block_at(a, off);
    int c = class_of(size_of(b) / GRANULE);
    links_t *l = links_of(a, off);

    b->size |= FREE_BIT;
    l->prev = 0;
    l->next = a->heads[c];
    if (l->next) {
        links_of(a, l->next)->prev = off;
    }
    a->heads[c] = off;
    a->map[c / 64] |= (apr_uint64_t)1 << (c % 64);
    a->free_bytes += size_of(b);
}

static void list_remove(relay_shm_alloc_t *a, apr_size_t off)
{
    block_t *b = block_at(a, off);
    int c = class_of(size_of(b) / GRANULE);
    links_t *l = links_of(a, off);

    if (l->prev) {
        links_of(a, l->prev)->next = l->next;
    }
    else {
        a->heads[c] = l->next;
        if (!l->next) {
            a->map[c / 64] &= ~((apr_uint64_t)1 << (c % 64));
        }
    }
    if (l->next) {
        links_of(a, l->next)->prev = l->prev;
    }
    b->size &= ~FREE_BIT;
    a->free_bytes -= size_of(b);
}

apr_size_t relay_shm_alloc_region_size(apr_size_t payload, apr_size_t nblocks)
{
    return 2 * GRANULE + STATE_SIZE + payload + nblocks * MIN_BLOCK + HEADER;
}

relay_shm_alloc_t *relay_shm_alloc_init(void *base, apr_size_t size)
{
    apr_size_t skew =
        (GRANULE - ((apr_uintptr_t)base & (GRANULE - 1))) & (GRANULE - 1);
    relay_shm_alloc_t *a;
    block_t *b;

    if (size < skew + STATE_SIZE + MIN_BLOCK + HEADER) {
        return NULL;
    }
    a = (relay_shm_alloc_t *)((char *)base + skew);
    memset(a, 0, sizeof(*a));
    a->magic = STATE_MAGIC;
    a->size = size - skew;
    a->first = STATE_SIZE;
    a->end = (a->size - HEADER) & ~(apr_size_t)(GRANULE - 1);
    b = block_at(a, a->first);
    b->prev = 0;
    b->size = a->end - a->first;
    b = block_at(a, a->end);
    b->prev = a->first;
    b->size = 0;
    list_insert(a, a->first);
    return a;
}

relay_shm_off_t relay_shm_alloc_get(relay_shm_alloc_t *a, apr_size_t size)
{
    apr_size_t units, off, have, need;
    block_t *b;
    int c;

    if (size > a->size) {
        return 0;
    }
    need = ROUND_UP(size + HEADER);
    if (need < MIN_BLOCK) {
        need = MIN_BLOCK;
    }
    units = need / GRANULE;
    /* Every block of class c fits when the class starts at `units`. */
    c = class_of(units);
    if (class_floor(c) < units) {
        c++;
    }
    c = first_class_from(a, c);
    if (c >= 0) {
        off = a->heads[c];
    }
    else {
        /* Only the first block of the size's own class is worth a look. */
        off = a->heads[class_of(units)];
        if (!off || size_of(block_at(a, off)) < need) {
            return 0;
        }
    }
    list_remove(a, off);
    b = block_at(a, off);
    have = size_of(b);
    if (have - need >= MIN_BLOCK) {
        apr_size_t rest = off + need;
        block_t *r = block_at(a, rest);

        r->prev = off;
        r->size = have - need;
        block_at(a, off + have)->prev = rest;
        b->size = need;
        list_insert(a, rest);
    }
    a->live++;
    return off + HEADER;
}

void relay_shm_alloc_free(relay_shm_alloc_t *a, relay_shm_off_t payload)
{
    apr_size_t off, next;
    block_t *b;

    if (!payload) {
        return;
    }
    off = payload - HEADER;
    b = block_at(a, off);
    next = off + size_of(b);
    if (block_at(a, next)->size & FREE_BIT) {
        list_remove(a, next);
        b->size += size_of(block_at(a, next));
    }
    if (b->prev && (block_at(a, b->prev)->size & FREE_BIT)) {
        block_t *p = block_at(a, b->prev);

        list_remove(a, b->prev);
        p->size += size_of(b);
        off = b->prev;
        b = p;
    }
    block_at(a, off + size_of(b))->prev = off;
    list_insert(a, off);
    a->live--;
}

void *relay_shm_alloc_addr(relay_shm_alloc_t *a, relay_shm_off_t off)
{
    return (char *)a + off;
}

apr_size_t relay_shm_alloc_free_bytes(const relay_shm_alloc_t *a)
{
    return a->free_bytes;
}

apr_size_t relay_shm_alloc_live_blocks(const relay_shm_alloc_t *a)
{
    return a->live;
}

/* Checks the free lists against a walk that found `nfree` free blocks. */
static int lists_agree(const relay_shm_alloc_t *a, apr_size_t nfree)
{
    apr_size_t listed = 0;
    int c;

    for (c = 0; c < NCLASSES; c++) {
        apr_size_t off = a->heads[c], prev = 0;
        int mapped = (a->map[c / 64] >> (c % 64)) & 1;

        if (mapped != (off != 0)) {
            return 0;
        }
        while (off) {
            const block_t *b = block_at(a, off);

            if (off < a->first || off >= a->end || !(b->size & FREE_BIT) ||
                class_of(size_of(b) / GRANULE) != c ||
                links_of(a, off)->prev != prev || ++listed > nfree) {
                return 0;
            }
            prev = off;
            off = links_of(a, off)->next;
        }
    }
    return listed == nfree;
}

apr_status_t relay_shm_alloc_check(const relay_shm_alloc_t *a)
{
    apr_size_t off = a->first, prev = 0, nfree = 0, bytes = 0, live = 0;
    int prev_free = 0;

    if (a->magic != STATE_MAGIC) {
        return APR_EGENERAL;
    }
    while (off < a->end) {
        const block_t *b = block_at(a, off);
        int is_free = (b->size & FREE_BIT) != 0;

        if (b->prev != prev || size_of(b) < MIN_BLOCK || size_of(b) % GRANULE ||
            size_of(b) > a->end - off || (is_free && prev_free)) {
            return APR_EGENERAL;
        }
        if (is_free) {
            nfree++;
            bytes += size_of(b);
        }
        else {
            live++;
        }
        prev_free = is_free;
        prev = off;
        off += size_of(b);
    }
    if (off != a->end || block_at(a, off)->prev != prev ||
        block_at(a, off)->size != 0 || bytes != a->free_bytes ||
        live != a->live || !lists_agree(a, nfree)) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
