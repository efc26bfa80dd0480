/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The prefix set: each member's string is a path in a prefix tree; its
 * last node keeps the first member ending there (`value`), and members
 * with an equal string are chained through `next`. A walk follows the
 * string byte by byte and reports the members at each node it passes.
 */
#include <limits.h>

#include <apr_tables.h>

#include "relay/relay_prefix_set.h"
#include "relay/relay_trie.h"

struct relay_prefix_set_t {
    apr_pool_t *pool;
    relay_trie_node_t *root;
    apr_array_header_t *next; /* int per member: next equal one, or -1 */
};

relay_prefix_set_t *relay_prefix_set_make(apr_pool_t *pool)
{
    relay_prefix_set_t *set = apr_pcalloc(pool, sizeof(*set));

    set->pool = pool;
    set->root = relay_trie_node_make(pool);
    set->next = apr_array_make(pool, 8, sizeof(int));
    return set;
}

int relay_prefix_set_add(relay_prefix_set_t *set, const char *prefix)
{
    const unsigned char *a = (const unsigned char *)prefix;
    relay_trie_node_t *n = set->root;
    int member = set->next->nelts;
    int *link;

    for (; *a != '\0'; a++) {
        n = relay_trie_child_add(set->pool, n, *a);
    }
    APR_ARRAY_PUSH(set->next, int) = -1;
    if (n->value == INT_MAX) {
        n->value = member;
        return member;
    }
    link = &APR_ARRAY_IDX(set->next, n->value, int);
    while (*link != -1) {
        link = &APR_ARRAY_IDX(set->next, *link, int);
    }
    *link = member;
    return member;
}

/* Reports the members ending at `n`; non-zero when `found` stopped. */
static int report(const relay_prefix_set_t *set, const relay_trie_node_t *n,
                  relay_prefix_found_t found, void *baton)
{
    int m;

    for (m = n->value == INT_MAX ? -1 : n->value; m != -1;
         m = APR_ARRAY_IDX(set->next, m, int)) {
        if (found(baton, m)) {
            return 1;
        }
    }
    return 0;
}

int relay_prefix_set_walk(const relay_prefix_set_t *set, const char *s,
                          relay_prefix_found_t found, void *baton)
{
    const unsigned char *u = (const unsigned char *)s;
    const relay_trie_node_t *n = set->root;

    for (;;) {
        if (report(set, n, found, baton)) {
            return 1;
        }
        if (*u == '\0' || (n = relay_trie_child(n, *u++)) == NULL) {
            return 0;
        }
    }
}
