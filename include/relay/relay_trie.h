/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A prefix tree over bytes: the nodes shared by the router
 * (relay_route.h) and the prefix set (relay_prefix_set.h). Each node keeps
 * two numbers for its owner and its children sorted by byte, found by
 * binary search. Nodes live in the pool they were made from.
 */
#ifndef RELAY_TRIE_H
#define RELAY_TRIE_H

#include <apr_pools.h>

typedef struct relay_trie_node_t relay_trie_node_t;

struct relay_trie_node_t {
    int value; /* the owner's; INT_MAX in a new node */
    int below; /* the owner's; INT_MAX in a new node */
    int nkids; /* children, sorted by their byte */
    int cap;
    unsigned char *bytes; /* bytes[i] leads to kids[i] */
    relay_trie_node_t **kids;
};

relay_trie_node_t *relay_trie_node_make(apr_pool_t *pool);

/* The child of `n` reached by byte `c`, or NULL. */
relay_trie_node_t *relay_trie_child(const relay_trie_node_t *n,
                                    unsigned char c);

/* The child of `n` reached by byte `c`, made when missing. */
relay_trie_node_t *relay_trie_child_add(apr_pool_t *pool, relay_trie_node_t *n,
                                        unsigned char c);

#endif
