/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_hold.c: no limits hold nothing; a size limit
 * releases exactly when the bytes kept reach it, whatever the sizes of the
 * pieces (every split of a body, with the caller cutting at the room
 * left), never keeping more; a time limit releases at the first arrival
 * once the first piece kept is that old, metadata included, and is bounded
 * by RELAY_CACHE_HOLD_TIME_CAP; whichever limit comes first releases; a
 * release starts a new hold.
 */
#include "relay/relay_cache_hold.h"
#include "relay_test.h"

#define MS(n) apr_time_from_msec(n)

/* An arrival: n bytes (0: a metadata bucket) at t ms; release expected. */
typedef struct arrival_t {
    apr_off_t n;
    int t;
    int release;
} arrival_t;

typedef struct hold_case_t {
    const char *desc;
    apr_off_t size;
    int time; /* ms */
    int active;
    arrival_t in[8];
    int count;
} hold_case_t;

static const hold_case_t cases[] = {
    {"no limits: nothing is held", 0, 0, 0, {{0}}, 0},
    {"negative limits count as none", -5, -1, 0, {{0}}, 0},
    {"size: kept below the limit",
     100,
     0,
     1,
     {{40, 0, 0}, {59, 10, 0}, {0, 5000, 0}},
     3},
    {"size: released when the bytes kept reach it",
     100,
     0,
     1,
     {{40, 0, 0}, {60, 10, 1}, {10, 20, 0}},
     3},
    {"size: time alone never releases",
     100,
     0,
     1,
     {{1, 0, 0}, {1, 100000, 0}},
     2},
    {"time: kept while younger than the limit",
     0,
     500,
     1,
     {{10, 100, 0}, {10, 599, 0}},
     2},
    {"time: released by the first arrival once as old",
     0,
     500,
     1,
     {{10, 100, 0}, {10, 599, 0}, {10, 600, 1}},
     3},
    {"time: a metadata bucket arriving late releases",
     0,
     500,
     1,
     {{10, 100, 0}, {0, 700, 1}},
     2},
    {"time: metadata alone starts no clock",
     0,
     500,
     1,
     {{0, 0, 0}, {0, 900, 0}, {10, 1000, 0}, {10, 1499, 0}},
     4},
    {"time: a new hold after a release, timed from its first piece",
     0,
     500,
     1,
     {{10, 0, 0}, {10, 500, 1}, {10, 700, 0}, {10, 1100, 0}, {10, 1200, 1}},
     5},
    {"time: bounded by the cap when data comes fast",
     0,
     500,
     1,
     {{RELAY_CACHE_HOLD_TIME_CAP - 1, 0, 0}, {1, 1, 1}},
     2},
    {"both: the size limit first", 100, 500, 1, {{50, 0, 0}, {50, 10, 1}}, 2},
    {"both: the time limit first",
     100,
     500,
     1,
     {{50, 0, 0}, {10, 400, 0}, {10, 500, 1}},
     3},
};

static int run_case(const hold_case_t *c, apr_pool_t *pool)
{
    relay_cache_hold_t h;
    int i;

    (void)pool;
    if (relay_cache_hold_init(&h, c->size, MS(c->time)) != c->active) {
        relay_test_diag("init: expected active=%d", c->active);
        return 0;
    }
    for (i = 0; i < c->count; i++) {
        int got =
            relay_cache_hold_add(&h, c->in[i].n, MS(1000) + MS(c->in[i].t));
        if (got != c->in[i].release) {
            relay_test_diag("arrival %d: release %d, expected %d", i, got,
                            c->in[i].release);
            return 0;
        }
        if (got) {
            relay_cache_hold_released(&h);
        }
    }
    return 1;
}

/*
 * A body of `total` bytes in pieces of `piece` bytes, each cut at the room
 * left as the save filter does: releases come exactly every `size` bytes,
 * never more is kept, and every byte goes on once.
 */
static int split_body(apr_off_t size, apr_off_t total, apr_off_t piece)
{
    relay_cache_hold_t h;
    apr_off_t sent = 0, left = total, pending = 0;

    relay_cache_hold_init(&h, size, 0);
    while (left > 0) {
        apr_off_t n = left < piece ? left : piece;
        apr_off_t room = relay_cache_hold_room(&h);
        if (room < 1) {
            return 0;
        }
        if (n > room) {
            n = room;
        }
        left -= n;
        pending += n;
        if (pending > size) {
            return 0;
        }
        if (relay_cache_hold_add(&h, n, 0)) {
            if (pending != size) {
                return 0;
            }
            sent += pending;
            pending = 0;
            relay_cache_hold_released(&h);
        }
    }
    sent += pending; /* the end of the body releases the rest */
    return sent == total && pending == total % size;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    apr_off_t piece;
    int ok = 1;

    RELAY_TEST_TABLE(cases, run_case, "hold", pool);
    for (piece = 1; piece <= 300; piece++) {
        if (!split_body(100, 300, piece) || !split_body(100, 250, piece) ||
            !split_body(7, 300, piece)) {
            relay_test_diag("pieces of %" APR_OFF_T_FMT " bytes", piece);
            ok = 0;
        }
    }
    relay_test_ok(ok, "size: every split of a body releases exactly at the "
                      "limit, never keeping more");
    return relay_test_done();
}
