/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A set of byte strings, numbered in the order they are added, that lists
 * the members which are prefixes of a given string: what the <Proxy>
 * section walk (every section whose URL prefix matches, in order) and the
 * worker lookup (the longest worker name that prefixes a URL) need. The
 * strings go into a prefix tree, so a lookup costs the length of the
 * string and the number of matches, not the number of members. Bytes are
 * compared exactly (no case folding).
 *
 * Built once (at startup), then only read: any number of threads may
 * walk it at once.
 */
#ifndef RELAY_PREFIX_SET_H
#define RELAY_PREFIX_SET_H

#include <apr_pools.h>

typedef struct relay_prefix_set_t relay_prefix_set_t;

/* Called per member found; non-zero stops the walk. */
typedef int (*relay_prefix_found_t)(void *baton, int member);

/* An empty set, allocated from `pool`. */
relay_prefix_set_t *relay_prefix_set_make(apr_pool_t *pool);

/* Adds `prefix` and returns its number (0, 1, 2 ... in the order of the
 * calls); equal strings may be added more than once. */
int relay_prefix_set_add(relay_prefix_set_t *set, const char *prefix);

/*
 * Calls `found` for every member that is a prefix of `s` (the empty
 * string included), shorter members first and equal ones in the order
 * they were added. Returns non-zero when `found` stopped the walk.
 */
int relay_prefix_set_walk(const relay_prefix_set_t *set, const char *s,
                          relay_prefix_found_t found, void *baton);

#endif
