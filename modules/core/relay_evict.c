/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Eviction priorities for the memory store (LRU and GDSF) and the choice
 * of a victim; see relay_evict.h.
 */
#include "relay/relay_evict.h"

double relay_evict_priority(relay_evict_algo_t algo, double clock,
                            apr_uint64_t tick, apr_uint32_t hits,
                            apr_size_t size)
{
    if (algo == RELAY_EVICT_LRU) {
        return (double)tick;
    }
    if (size == 0) {
        size = 1;
    }
    if (hits == 0) {
        hits = 1;
    }
    /* GreedyDual-Size-Frequency with unit cost: H = L + F / S, per KiB so
     * the numbers stay readable in a debugger. */
    return clock + (double)hits * 1024.0 / (double)size;
}

int relay_evict_victim(const relay_evict_item_t *items, int n)
{
    int i, best = -1;

    for (i = 0; i < n; i++) {
        if (best < 0 || items[i].priority < items[best].priority ||
            (items[i].priority == items[best].priority &&
             items[i].tick < items[best].tick)) {
            best = i;
        }
    }
    return best;
}

double relay_evict_clock(relay_evict_algo_t algo, double clock, double victim)
{
    if (algo == RELAY_EVICT_GDSF && victim > clock) {
        return victim;
    }
    return clock;
}
