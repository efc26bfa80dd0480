/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ProxyPass routing in time independent of the number of prefix rules.
 *
 * relay_url_prefix_match() lets any run of slashes in the prefix match any
 * run in the path, and asks a prefix that does not end in a slash to end
 * on a segment boundary of the path. So each prefix is stored in a prefix
 * tree under its canonical form, its slash runs collapsed to one '/', and
 * the path is walked through the tree the same way: a run of slashes in
 * the path follows one '/' edge. A node keeps the first rule (lowest
 * number) whose canonical prefix ends there, and the lowest number found
 * anywhere below it, so that a walk stops as soon as nothing deeper can
 * come before the best match found so far.
 *
 * At a node reached by a '/', the prefix ends in a slash and matches with
 * no further condition; it covers the whole slash run of the path. At a
 * node reached by any other byte, the path must end there or go on with a
 * '/'. The root is the empty prefix, which matches any path and covers
 * nothing. These are exactly the cases of relay_url_prefix_match(), which
 * t/unit/test_route.c checks on random rule sets.
 */
#include <limits.h>

#include <apr_tables.h>

#include "relay/relay_route.h"
#include "relay/relay_trie.h"

typedef relay_trie_node_t node_t; /* value: first rule ending here */

struct relay_route_t {
    apr_pool_t *pool;
    int count; /* rules added */
    node_t *root[RELAY_ROUTE_SUBJECTS];
    apr_array_header_t *opaque; /* int: opaque rule numbers, in order */
};

relay_route_t *relay_route_make(apr_pool_t *pool)
{
    relay_route_t *rt = apr_pcalloc(pool, sizeof(*rt));

    rt->pool = pool;
    rt->opaque = apr_array_make(pool, 4, sizeof(int));
    return rt;
}

int relay_route_add(relay_route_t *rt, int subject, const char *prefix)
{
    int rule = rt->count++;
    const unsigned char *a = (const unsigned char *)prefix;
    node_t *n;

    if (prefix == NULL) {
        APR_ARRAY_PUSH(rt->opaque, int) = rule;
        return rule;
    }
    if (rt->root[subject] == NULL) {
        rt->root[subject] = relay_trie_node_make(rt->pool);
    }
    /* Rules come in increasing order: the first to reach a node keeps it,
     * and every node on the way already has a lower `below` or gets this
     * rule's number. */
    n = rt->root[subject];
    if (n->below == INT_MAX) {
        n->below = rule;
    }
    while (*a != '\0') {
        unsigned char c = *a;
        if (c == '/') {
            while (*a == '/') {
                a++;
            }
        }
        else {
            a++;
        }
        n = relay_trie_child_add(rt->pool, n, c);
        if (n->below == INT_MAX) {
            n->below = rule;
        }
    }
    if (n->value == INT_MAX) {
        n->value = rule;
    }
    return rule;
}

int relay_route_uses_subject(const relay_route_t *rt, int subject)
{
    return rt->root[subject] != NULL;
}

/* The first rule under `root` matching `path` if it comes before `bound`,
 * else `bound`; *covered is set when a rule is found. */
static int lookup(const node_t *root, const char *path, int bound,
                  long *covered)
{
    const node_t *n = root;
    const unsigned char *u = (const unsigned char *)path;
    int best = bound;

    if (n == NULL || path == NULL) {
        return best;
    }
    if (n->value < best) {
        best = n->value;
        *covered = 0;
    }
    while (*u != '\0') {
        unsigned char c = *u;
        if (c == '/') {
            while (*u == '/') {
                u++;
            }
        }
        else {
            u++;
        }
        n = relay_trie_child(n, c);
        if (n == NULL || n->below >= best) {
            break;
        }
        if (n->value < best && (c == '/' || *u == '\0' || *u == '/')) {
            best = n->value;
            *covered = (long)((const char *)u - path);
        }
    }
    return best;
}

int relay_route_lookup(const relay_route_t *rt, int subject, const char *path,
                       long *covered)
{
    int rule = lookup(rt->root[subject], path, INT_MAX, covered);

    return rule == INT_MAX ? -1 : rule;
}

int relay_route_first(const relay_route_t *rt, const char *const *paths,
                      relay_route_try_t try, void *baton, long *covered)
{
    int best = INT_MAX, s, i;
    long cov = -1;

    for (s = 0; s < RELAY_ROUTE_SUBJECTS; s++) {
        best = lookup(rt->root[s], paths[s], best, &cov);
    }
    /* Opaque rules before the first prefix match, in order. */
    for (i = 0; i < rt->opaque->nelts; i++) {
        int rule = APR_ARRAY_IDX(rt->opaque, i, int);
        if (rule > best) {
            break;
        }
        if (try(baton, rule)) {
            *covered = -1;
            return rule;
        }
    }
    if (best == INT_MAX) {
        return -1;
    }
    *covered = cov;
    return best;
}
