/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The vocabulary of HTTP caching: Cache-Control directives of requests and
 * responses (RFC 9111 §5.2) and Pragma: no-cache (§5.4), parsed without
 * trusting the input; HTTP-date is relay/relay_http_date.h, included here
 * for the callers that read both.
 *
 * Parsers take a pointer and a length and never read past it, so a value
 * need not be NUL-terminated. Bad input never fails a parse as a whole:
 * a malformed directive is skipped (and counted), an invalid delta-seconds
 * value is recorded in the way RFC 9111 §4.2.1 advises (see below), so the
 * caller always gets a usable, conservative result.
 */
#ifndef RELAY_CACHE_CONTROL_H
#define RELAY_CACHE_CONTROL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "relay/relay_http_date.h"

/* A delta-seconds directive that is absent. */
#define RELAY_CC_UNSET ((apr_int64_t)-1)

/*
 * The largest delta-seconds value kept: RFC 9111 §1.2.2 says a value too
 * large to represent, or a calculation that overflows, counts as 2^31.
 * max-stale without a value ("any staleness") is recorded as this too.
 */
#define RELAY_CC_DELTA_MAX ((apr_int64_t)2147483648LL)

/*
 * Directives seen in the Cache-Control field lines of one message, and
 * Pragma. Delta-seconds members hold seconds in [0, RELAY_CC_DELTA_MAX] or
 * RELAY_CC_UNSET.
 *
 * Duplicates keep the most restrictive value (RFC 9111 §4.2.1): the
 * smallest max-age, s-maxage, max-stale, stale-while-revalidate and
 * stale-if-error, the largest min-fresh. An invalid value (not digits,
 * negative, empty) makes max-age and s-maxage 0, so the response is stale
 * as §4.2.1 encourages; on the other directives it is ignored, which is
 * the conservative reading for each (no extra staleness allowed). Every
 * such value, and every directive that does not parse, counts in `invalid`.
 */
typedef struct relay_cache_control_t {
    int present; /* a Cache-Control field was seen, even an empty one */
    apr_int64_t max_age;
    apr_int64_t s_maxage;
    apr_int64_t max_stale; /* RELAY_CC_DELTA_MAX for "max-stale" alone */
    apr_int64_t min_fresh;
    apr_int64_t stale_while_revalidate; /* RFC 5861 */
    apr_int64_t stale_if_error;         /* RFC 5861 */
    unsigned int no_cache : 1;          /* unqualified no-cache */
    unsigned int no_store : 1;
    unsigned int private_ : 1; /* unqualified private */
    unsigned int public_ : 1;
    unsigned int must_revalidate : 1;
    unsigned int proxy_revalidate : 1;
    unsigned int only_if_cached : 1;
    unsigned int no_transform : 1;
    unsigned int immutable : 1;
    unsigned int must_understand : 1;
    unsigned int pragma_no_cache : 1; /* Pragma: no-cache */
    /*
     * Field names of the qualified forms no-cache="a, b" and private="c",
     * lower-cased and joined with ", " over all occurrences; NULL when
     * there was none. Allocated from the pool given to the parser.
     */
    const char *no_cache_fields;
    const char *private_fields;
    int invalid; /* malformed directives or values skipped */
} relay_cache_control_t;

/* Marks every directive absent. */
void relay_cache_control_init(relay_cache_control_t *cc);

/*
 * Adds the directives of one Cache-Control field value, value[0, len), to
 * `cc` (call once per field line, after relay_cache_control_init()).
 * Directive names are matched without regard to case; arguments may be
 * tokens or quoted strings (§5.2: recipients accept both forms). Unknown
 * directives are ignored (§5.2.3). Strings kept in `cc` come from `pool`.
 */
void relay_cache_control_parse(relay_cache_control_t *cc, apr_pool_t *pool,
                               const char *value, apr_size_t len);

/*
 * Initialises `cc` from every Cache-Control line of `headers`, and sets
 * pragma_no_cache when a Pragma line holds the no-cache token.
 */
void relay_cache_control_read(relay_cache_control_t *cc, apr_pool_t *pool,
                              const apr_table_t *headers);

/*
 * True when a request's directives ask for revalidation: no-cache, or
 * Pragma: no-cache when no Cache-Control field is present (RFC 9111 §5.4:
 * Pragma is ignored next to Cache-Control), or max-age=0.
 */
int relay_cache_control_request_no_cache(const relay_cache_control_t *cc);

#endif
