/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ProxyPass routing: an ordered list of rules, built once at startup,
 * that finds the first rule in configuration order matching a request
 * path. Prefix rules are found through a prefix tree over the path with
 * slash runs collapsed, so the cost of a lookup depends on the length of
 * the path and not on the number of prefix rules. A prefix rule matches
 * exactly when relay_url_prefix_match() says it does, and covers as many
 * bytes of the path.
 *
 * Prefix rules are matched against one of two subjects (the decoded path
 * and the raw path of the request line, for ProxyPass ... nocanon).
 * Opaque rules (regular expressions) are left to the caller, which tries
 * them in order through a callback; only those numbered before the first
 * matching prefix rule are ever tried.
 *
 * The router and everything it holds live in the pool given to
 * relay_route_make(); once built it is only read, so any number of threads
 * may look up at once.
 */
#ifndef RELAY_ROUTE_H
#define RELAY_ROUTE_H

#include <apr_pools.h>

/* Subjects a prefix rule can be matched against. */
#define RELAY_ROUTE_SUBJECTS 2

typedef struct relay_route_t relay_route_t;

/*
 * Tries opaque rule `rule` on the caller's side: returns non-zero when it
 * matches (the search ends there), 0 to go on with the next rule.
 */
typedef int (*relay_route_try_t)(void *baton, int rule);

/* An empty router, allocated from `pool`. */
relay_route_t *relay_route_make(apr_pool_t *pool);

/*
 * Appends the next rule and returns its number (0, 1, 2 ... in the order
 * of the calls). With `prefix` NULL the rule is opaque; otherwise it is a
 * prefix matched against subject `subject` (0 .. RELAY_ROUTE_SUBJECTS-1).
 * The router keeps no pointer to `prefix`.
 */
int relay_route_add(relay_route_t *rt, int subject, const char *prefix);

/* True when some prefix rule is matched against `subject`. */
int relay_route_uses_subject(const relay_route_t *rt, int subject);

/*
 * The first prefix rule of `subject` that matches `path`, or -1; when one
 * does, *covered is the number of bytes of `path` its prefix covered.
 */
int relay_route_lookup(const relay_route_t *rt, int subject, const char *path,
                       long *covered);

/*
 * The first rule in order that matches: a prefix rule of subject s when
 * paths[s] matches it (paths[s] may be NULL when no rule uses subject s),
 * or an opaque rule for which `try` returns non-zero. Returns its number,
 * or -1 when none matches; *covered is set as relay_route_lookup() sets
 * it, and to -1 for an opaque rule.
 */
int relay_route_first(const relay_route_t *rt, const char *const *paths,
                      relay_route_try_t try, void *baton, long *covered);

#endif
