/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_shm_alloc.c: alignment, reuse after free, merging of
 * freed neighbours back into one block, failure (0) when full and room
 * again after a free, a region sized by relay_shm_alloc_region_size()
 * holding what it was sized for, a copy of the region working at another
 * address, and a randomized run against a model of the live blocks (no
 * overlap, all inside the region, every byte written still there, the
 * allocator's own invariants checked as it goes).
 */
#include <stdlib.h>
#include <string.h>

#include "relay/relay_shm_alloc.h"
#include "relay_test.h"

#define REGION (1024 * 1024)

typedef struct live_t {
    relay_shm_off_t off;
    apr_size_t size;
    unsigned char fill;
} live_t;

static apr_uint64_t rng = 88172645463325252ull;

static apr_size_t next_random(apr_size_t bound)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (apr_size_t)(rng % bound);
}

static int intact(relay_shm_alloc_t *a, const live_t *l)
{
    const unsigned char *p = relay_shm_alloc_addr(a, l->off);
    apr_size_t i;

    for (i = 0; i < l->size; i++) {
        if (p[i] != l->fill) {
            return 0;
        }
    }
    return 1;
}

static int by_offset(const void *x, const void *y)
{
    const live_t *a = x, *b = y;

    return a->off < b->off ? -1 : a->off > b->off;
}

/* No two live blocks overlap and all lie inside the region. */
static int disjoint(relay_shm_alloc_t *a, const char *base, live_t *live, int n)
{
    int i;

    qsort(live, (size_t)n, sizeof(*live), by_offset);
    for (i = 0; i < n; i++) {
        const char *p = relay_shm_alloc_addr(a, live[i].off);
        if (p < base || p + live[i].size > base + REGION ||
            (i > 0 && live[i - 1].off + live[i - 1].size > live[i].off)) {
            return 0;
        }
    }
    return 1;
}

static void test_basics(char *base)
{
    relay_shm_alloc_t *a = relay_shm_alloc_init(base + 3, REGION - 3);
    apr_size_t all = relay_shm_alloc_free_bytes(a);
    relay_shm_off_t x, y, z, big;
    int aligned = 1, i;

    relay_test_ok(relay_shm_alloc_init(base, 64) == NULL,
                  "a region too small for the state and a block is refused");
    relay_test_ok(a && ((apr_uintptr_t)a & 15) == 0 &&
                      relay_shm_alloc_check(a) == APR_SUCCESS,
                  "an unaligned region gets an aligned state");
    for (i = 1; i < 300; i += 7) {
        relay_shm_off_t off = relay_shm_alloc_get(a, (apr_size_t)i);
        aligned &=
            off && ((apr_uintptr_t)relay_shm_alloc_addr(a, off) & 15) == 0;
        relay_shm_alloc_free(a, off);
    }
    relay_test_ok(aligned, "every block is 16-byte aligned");
    x = relay_shm_alloc_get(a, 100);
    y = relay_shm_alloc_get(a, 100);
    z = relay_shm_alloc_get(a, 100);
    relay_test_ok(x && y && z && x != y && y != z &&
                      relay_shm_alloc_live_blocks(a) == 3,
                  "three blocks, all different");
    relay_shm_alloc_free(a, y);
    relay_test_ok(relay_shm_alloc_get(a, 100) == y,
                  "a freed block is reused for the same size");
    relay_shm_alloc_free(a, x);
    relay_shm_alloc_free(a, y);
    relay_shm_alloc_free(a, z);
    relay_test_ok(relay_shm_alloc_free_bytes(a) == all &&
                      relay_shm_alloc_live_blocks(a) == 0 &&
                      relay_shm_alloc_check(a) == APR_SUCCESS,
                  "freeing everything gives every byte back");
    big = relay_shm_alloc_get(a, all - 16);
    relay_test_ok(big != 0, "then the whole region is one block again");
    relay_test_ok(relay_shm_alloc_get(a, 1) == 0, "and nothing else fits");
    relay_shm_alloc_free(a, big);
    relay_test_ok(relay_shm_alloc_get(a, all) == 0 &&
                      relay_shm_alloc_get(a, (apr_size_t)-1) == 0 &&
                      relay_shm_alloc_get(a, (apr_size_t)-20) == 0,
                  "a request larger than the region fails, without overflow");
    relay_test_ok(relay_shm_alloc_check(a) == APR_SUCCESS &&
                      relay_shm_alloc_free_bytes(a) == all,
                  "failed requests change nothing");
}

static void test_full(char *base)
{
    relay_shm_alloc_t *a = relay_shm_alloc_init(base, REGION);
    static relay_shm_off_t offs[REGION / 128];
    apr_size_t n = 0, i;
    relay_shm_off_t big;

    while ((offs[n] = relay_shm_alloc_get(a, 100)) != 0) {
        n++;
    }
    relay_test_ok(n >= (REGION - 4096) / 128,
                  "a full region: %lu blocks of 100 bytes in 1 MiB",
                  (unsigned long)n);
    relay_shm_alloc_free(a, offs[n / 2]);
    relay_test_ok(relay_shm_alloc_get(a, 100) == offs[n / 2],
                  "after one free, a block of that size fits again");
    relay_test_ok(relay_shm_alloc_get(a, 100) == 0, "and only one");
    /* Free every other block: half the region free, none of it in a piece
     * big enough for 1 KiB; then free the rest, and it is. */
    for (i = 0; i < n; i += 2) {
        relay_shm_alloc_free(a, offs[i]);
    }
    relay_test_ok(relay_shm_alloc_get(a, 1024) == 0 &&
                      relay_shm_alloc_check(a) == APR_SUCCESS,
                  "scattered free blocks do not make a large one");
    for (i = 1; i < n; i += 2) {
        relay_shm_alloc_free(a, offs[i]);
    }
    big = relay_shm_alloc_get(a, REGION / 2);
    relay_test_ok(big != 0 && relay_shm_alloc_check(a) == APR_SUCCESS,
                  "freed neighbours merge: half the region in one block");
}

static void test_region_size(char *base)
{
    apr_size_t sizes[2000], total = 0, size;
    relay_shm_alloc_t *a;
    int i, ok = 1;

    for (i = 0; i < 2000; i++) {
        sizes[i] = i % 3 == 0 ? next_random(16) : next_random(400);
        total += sizes[i];
    }
    size = relay_shm_alloc_region_size(total, 2000);
    a = relay_shm_alloc_init(base + 5, size);
    for (i = 0; i < 2000; i++) {
        ok &= relay_shm_alloc_get(a, sizes[i]) != 0;
    }
    relay_test_ok(ok && size < REGION,
                  "a region of relay_shm_alloc_region_size() holds its "
                  "blocks (%lu bytes for %lu of payload)",
                  (unsigned long)size, (unsigned long)total);
}

static void test_moved(char *base, char *other)
{
    relay_shm_alloc_t *a = relay_shm_alloc_init(base, REGION);
    relay_shm_off_t x = relay_shm_alloc_get(a, 50), y;
    int kept;

    memcpy(relay_shm_alloc_addr(a, x), "offsets, not pointers", 22);
    memcpy(other, base, REGION);
    a = (relay_shm_alloc_t *)(other + ((char *)a - base));
    y = relay_shm_alloc_get(a, 50);
    kept = !strcmp(relay_shm_alloc_addr(a, x), "offsets, not pointers");
    relay_shm_alloc_free(a, x);
    relay_test_ok(kept && y && y != x &&
                      relay_shm_alloc_check(a) == APR_SUCCESS,
                  "the region works at another address");
}

static void test_random(char *base)
{
    relay_shm_alloc_t *a = relay_shm_alloc_init(base, REGION);
    apr_size_t all = relay_shm_alloc_free_bytes(a);
    static live_t live[REGION / 32];
    int n = 0, op, ok = 1, checked = 1, fails = 0;

    for (op = 0; op < 200000 && ok; op++) {
        if (n == 0 || next_random(100) < 55) {
            apr_size_t size =
                next_random(10) == 0 ? next_random(40000) : next_random(600);
            relay_shm_off_t off = relay_shm_alloc_get(a, size);
            if (!off) {
                fails++;
                continue;
            }
            live[n].off = off;
            live[n].size = size;
            live[n].fill = (unsigned char)next_random(256);
            memset(relay_shm_alloc_addr(a, off), live[n].fill, size);
            n++;
        }
        else {
            int i = (int)next_random((apr_size_t)n);
            ok &= intact(a, &live[i]);
            relay_shm_alloc_free(a, live[i].off);
            live[i] = live[--n];
        }
        if (op % 1000 == 0) {
            ok &= disjoint(a, base, live, n);
            checked &= relay_shm_alloc_check(a) == APR_SUCCESS;
        }
    }
    relay_test_ok(ok,
                  "200,000 random operations: live blocks intact and "
                  "disjoint (%d allocations failed when full)",
                  fails);
    relay_test_ok(checked && fails > 0,
                  "the allocator's invariants hold throughout, and it did "
                  "fill up");
    while (n > 0) {
        ok &= intact(a, &live[--n]);
        relay_shm_alloc_free(a, live[n].off);
    }
    relay_test_ok(ok && relay_shm_alloc_free_bytes(a) == all &&
                      relay_shm_alloc_check(a) == APR_SUCCESS,
                  "freeing the rest gives every byte back");
}

int main(void)
{
    char *base, *other;

    relay_test_init();
    base = aligned_alloc(4096, REGION);
    other = aligned_alloc(4096, REGION);
    test_basics(base);
    test_full(base);
    test_region_size(base);
    test_moved(base, other);
    test_random(base);
    free(base);
    free(other);
    return relay_test_done();
}
