/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_evict.c: the victim each algorithm picks in small
 * scenarios played through priorities, as the memory store plays them.
 */
#include "relay/relay_evict.h"
#include "relay_test.h"

/* One scenario: objects stored in order, then hits by index; the expected
 * victim under LRU and under GDSF. */
typedef struct scenario_t {
    const char *what;
    int n;
    apr_size_t sizes[4];
    int hits[4]; /* indexes hit after storing, -1 ends */
    int lru_victim;
    int gdsf_victim;
} scenario_t;

static const scenario_t scenarios[] = {
    {"equal sizes, no hits: the oldest", 3, {100, 100, 100}, {-1}, 0, 0},
    {"equal sizes, first hit: the second", 3, {100, 100, 100}, {0, -1}, 1, 1},
    {"a big hit object vs a small one", 2, {900, 100}, {0, -1}, 1, 0},
    {"frequency beats recency in GDSF", 3, {100, 100, 100}, {0, 0, 2, 1}, 0, 2},
    {"small and often used stays in GDSF",
     3,
     {1000, 10, 1000},
     {1, 2, -1},
     0,
     0},
    {"recent big object goes first in GDSF", 2, {10, 1000}, {1, -1}, 0, 1},
};

static int play(relay_evict_algo_t algo, const scenario_t *s)
{
    relay_evict_item_t items[4];
    apr_uint32_t hits[4];
    apr_uint64_t tick = 0;
    int i;

    for (i = 0; i < s->n; i++) {
        hits[i] = 1;
        items[i].tick = ++tick;
        items[i].priority =
            relay_evict_priority(algo, 0, items[i].tick, 1, s->sizes[i]);
    }
    for (i = 0; i < 4 && s->hits[i] >= 0; i++) {
        int k = s->hits[i];
        hits[k]++;
        items[k].tick = ++tick;
        items[k].priority =
            relay_evict_priority(algo, 0, items[k].tick, hits[k], s->sizes[k]);
    }
    return relay_evict_victim(items, s->n);
}

int main(void)
{
    relay_evict_item_t tie[2] = {{5.0, 7}, {5.0, 3}};
    double clock, p_old, p_new;
    int i;

    relay_test_init();
    for (i = 0; i < RELAY_TEST_COUNT(scenarios); i++) {
        int lru = play(RELAY_EVICT_LRU, &scenarios[i]);
        int gdsf = play(RELAY_EVICT_GDSF, &scenarios[i]);
        relay_test_ok(lru == scenarios[i].lru_victim, "LRU: %s (got %d)",
                      scenarios[i].what, lru);
        relay_test_ok(gdsf == scenarios[i].gdsf_victim, "GDSF: %s (got %d)",
                      scenarios[i].what, gdsf);
    }
    relay_test_ok(relay_evict_victim(tie, 2) == 1, "ties go to the oldest");
    relay_test_ok(relay_evict_victim(tie, 0) == -1, "no candidates");

    /* Clock inflation: after evicting a well-used object, a new object
     * stored once outranks an old one stored once before. */
    p_old = relay_evict_priority(RELAY_EVICT_GDSF, 0, 1, 1, 100);
    clock =
        relay_evict_clock(RELAY_EVICT_GDSF, 0,
                          relay_evict_priority(RELAY_EVICT_GDSF, 0, 2, 5, 100));
    p_new = relay_evict_priority(RELAY_EVICT_GDSF, clock, 3, 1, 100);
    relay_test_ok(clock > 0 && p_new > p_old, "GDSF clock ages old objects");
    relay_test_ok(relay_evict_clock(RELAY_EVICT_LRU, 3.0, 9.0) == 3.0,
                  "LRU keeps no clock");
    relay_test_ok(relay_evict_clock(RELAY_EVICT_GDSF, 9.0, 3.0) == 9.0,
                  "the GDSF clock never goes back");
    relay_test_ok(relay_evict_priority(RELAY_EVICT_GDSF, 0, 1, 0, 0) == 1024.0,
                  "zero hits and size count as one");
    return relay_test_done();
}
