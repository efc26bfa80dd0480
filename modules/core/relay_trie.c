/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Prefix-tree nodes with sorted child arrays (see relay_trie.h). */
#include <limits.h>
#include <string.h>

#include "relay/relay_trie.h"

relay_trie_node_t *relay_trie_node_make(apr_pool_t *pool)
{
    relay_trie_node_t *n = apr_pcalloc(pool, sizeof(*n));

    n->value = INT_MAX;
    n->below = INT_MAX;
    return n;
}

/* Where the child for byte `c` is, or would be inserted. */
static int child_index(const relay_trie_node_t *n, unsigned char c)
{
    int lo = 0, hi = n->nkids;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (n->bytes[mid] < c) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return lo;
}

relay_trie_node_t *relay_trie_child(const relay_trie_node_t *n, unsigned char c)
{
    int at = child_index(n, c);

    return at < n->nkids && n->bytes[at] == c ? n->kids[at] : NULL;
}

relay_trie_node_t *relay_trie_child_add(apr_pool_t *pool, relay_trie_node_t *n,
                                        unsigned char c)
{
    int at = child_index(n, c);
    relay_trie_node_t *k;

    if (at < n->nkids && n->bytes[at] == c) {
        return n->kids[at];
    }
    if (n->nkids == n->cap) {
        int cap = n->cap ? n->cap * 2 : 2;
        unsigned char *bytes = apr_palloc(pool, (apr_size_t)cap);
        relay_trie_node_t **kids =
            apr_palloc(pool, (apr_size_t)cap * sizeof(*kids));
        if (n->nkids) {
            memcpy(bytes, n->bytes, (apr_size_t)n->nkids);
            memcpy(kids, n->kids, (apr_size_t)n->nkids * sizeof(*kids));
        }
        n->bytes = bytes;
        n->kids = kids;
        n->cap = cap;
    }
    memmove(n->bytes + at + 1, n->bytes + at, (apr_size_t)(n->nkids - at));
    memmove(n->kids + at + 1, n->kids + at,
            (apr_size_t)(n->nkids - at) * sizeof(*n->kids));
    k = relay_trie_node_make(pool);
    n->bytes[at] = c;
    n->kids[at] = k;
    n->nkids++;
    return k;
}
