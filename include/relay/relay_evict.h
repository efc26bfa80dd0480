/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Which object a size-bounded cache evicts first: priorities for LRU and
 * GDSF (GreedyDual-Size-Frequency, Cherkasova 1998), and the choice of a
 * victim among candidates. Pure functions; the store keeps the numbers in
 * its entries and asks here on every access and eviction.
 *
 * An object's priority is recomputed when it is stored and on every hit;
 * the lowest priority goes first. LRU: the priority is the access
 * sequence number, so the least recently used goes. GDSF: the priority is
 * clock + hits × 1024 / size, so small, often used objects stay; the
 * clock rises to each victim's priority, so objects that stop being used
 * age out behind newly stored ones.
 */
#ifndef RELAY_EVICT_H
#define RELAY_EVICT_H

#include <apr.h>

typedef enum relay_evict_algo_e {
    RELAY_EVICT_LRU = 0,
    RELAY_EVICT_GDSF = 1
} relay_evict_algo_t;

/* An object's eviction facts. */
typedef struct relay_evict_item_t {
    double priority;
    apr_uint64_t tick; /* access sequence number, breaks ties (older first) */
} relay_evict_item_t;

/*
 * The priority of an object just stored or hit: `tick` is the store's
 * access sequence number for this access, `hits` counts the store and
 * every hit (at least 1), `size` its bytes (0 counts as 1).
 */
double relay_evict_priority(relay_evict_algo_t algo, double clock,
                            apr_uint64_t tick, apr_uint32_t hits,
                            apr_size_t size);

/*
 * The index of the item to evict among items[0, n): lowest priority, then
 * oldest tick, then lowest index. -1 when n is 0.
 */
int relay_evict_victim(const relay_evict_item_t *items, int n);

/* The clock after evicting an object of priority `victim` (GDSF inflates
 * it to that priority; LRU has no clock and keeps it). */
double relay_evict_clock(relay_evict_algo_t algo, double clock, double victim);

#endif
