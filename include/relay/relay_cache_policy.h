/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The decisions of an HTTP cache (RFC 9111) with stock mod_cache's
 * configuration switches: may a request use the cache, may a response be
 * stored, how long it is fresh, how old it is, whether a stored response
 * may answer a request now, how to revalidate it, how to answer a client's
 * own conditional request, how a 304 refreshes it, and which URLs an
 * unsafe request invalidates.
 *
 * Everything here is a pure function of its arguments: the glue first reads
 * the facts of a request and a response once (relay_cache_request_read(),
 * relay_cache_response_read()), then asks. Times are apr_time_t
 * (microseconds since the epoch), durations are whole seconds. Strings in
 * the fact structs point into the header tables given or into the pool;
 * they live as long as both. Reason strings are static.
 */
#ifndef RELAY_CACHE_POLICY_H
#define RELAY_CACHE_POLICY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "relay/relay_cache_control.h"

/*
 * The configuration the decisions depend on; relay_cache_settings_default()
 * gives stock mod_cache's defaults (in brackets).
 */
typedef struct relay_cache_settings_t {
    apr_int64_t default_expire;  /* CacheDefaultExpire, s [3600] */
    apr_int64_t max_expire;      /* CacheMaxExpire, s [86400] */
    apr_int64_t min_expire;      /* CacheMinExpire, s [0] */
    double last_modified_factor; /* CacheLastModifiedFactor [0.1] */
    int ignore_no_last_mod;      /* CacheIgnoreNoLastMod [off] */
    int ignore_cache_control;    /* CacheIgnoreCacheControl [off] */
    int ignore_query_string;     /* CacheIgnoreQueryString [off] */
    int store_expired;           /* CacheStoreExpired [off] */
    int store_private;           /* CacheStorePrivate [off] */
    int store_no_store;          /* CacheStoreNoStore [off] */
    int stale_on_error;          /* CacheStaleOnError [on] */
    /*
     * Relay's own switches. rfc_heuristic_statuses widens the statuses
     * stored without explicit freshness from stock's 200, 203, 300, 301 to
     * RFC 9110 §15.1's list (adding 204, 308, 404, 405, 410, 414, 501)
     * [off]. stale_while_revalidate and stale_if_error honour RFC 5861's
     * directives, which stock ignores [on].
     */
    int rfc_heuristic_statuses;
    int stale_while_revalidate;
    int stale_if_error;
} relay_cache_settings_t;

void relay_cache_settings_default(relay_cache_settings_t *s);

/* The facts of a request that the decisions use. */
typedef struct relay_cache_request_t {
    const char *method;
    int has_query;         /* a non-empty query string */
    int has_authorization; /* an Authorization field */
    relay_cache_control_t cc;
} relay_cache_request_t;

/* Reads the facts of a request; `query` may be NULL. */
void relay_cache_request_read(relay_cache_request_t *req, apr_pool_t *pool,
                              const char *method, const char *query,
                              const apr_table_t *headers);

/* A field that may be absent, present and valid, or present and invalid. */
typedef enum relay_cache_field_e {
    RELAY_CACHE_FIELD_ABSENT = 0,
    RELAY_CACHE_FIELD_VALID = 1,
    RELAY_CACHE_FIELD_INVALID = 2
} relay_cache_field_t;

/* The facts of a response (fresh from the origin or stored). */
typedef struct relay_cache_response_t {
    int status;
    relay_cache_control_t cc;
    relay_cache_field_t date_state; /* Date (first line) */
    apr_time_t date;
    relay_cache_field_t expires_state; /* Expires (first line) */
    apr_time_t expires;
    relay_cache_field_t last_modified_state;
    apr_time_t last_modified;
    const char *last_modified_value; /* as received, or NULL */
    const char *etag;                /* first ETag line, or NULL */
    apr_int64_t age;  /* Age (§5.1: first member; invalid ignored), s */
    const char *vary; /* all Vary lines joined; NULL when none or empty */
    int vary_star;    /* Vary contains "*" */
    int vary_invalid; /* Vary has a member that is not a field name */
} relay_cache_response_t;

void relay_cache_response_read(relay_cache_response_t *resp, apr_pool_t *pool,
                               int status, const apr_table_t *headers);

/* May a request be answered from the cache at all? */
typedef enum relay_cache_lookup_e {
    RELAY_CACHE_LOOKUP_OK = 0,
    RELAY_CACHE_LOOKUP_METHOD,        /* neither GET nor HEAD */
    RELAY_CACHE_LOOKUP_AUTHORIZATION, /* quick handler runs before auth */
    RELAY_CACHE_LOOKUP_NO_STORE       /* client sent no-store */
} relay_cache_lookup_t;

/*
 * GET and HEAD (a HEAD is answered from a stored GET) may look up the
 * cache. As stock: a request with Authorization is declined when the
 * lookup runs in the quick handler (before authentication), and a client's
 * no-store declines the cache altogether (unless CacheIgnoreCacheControl).
 */
relay_cache_lookup_t
relay_cache_lookup_allowed(const relay_cache_settings_t *s,
                           const relay_cache_request_t *req, int quick_handler,
                           const char **reason);

/* May a response be stored? The reasons are stock's, in stock's order. */
typedef enum relay_cache_store_e {
    RELAY_CACHE_STORE_OK = 0,
    RELAY_CACHE_STORE_METHOD,                  /* request was not GET */
    RELAY_CACHE_STORE_REQUEST_NO_STORE,        /* client sent no-store */
    RELAY_CACHE_STORE_STATUS,                  /* status not storable here */
    RELAY_CACHE_STORE_PARTIAL,                 /* 206: ranges are not stored */
    RELAY_CACHE_STORE_BROKEN_EXPIRES,          /* Expires is not a date */
    RELAY_CACHE_STORE_EXPIRED,                 /* already expired */
    RELAY_CACHE_STORE_NO_VALIDATOR_REVALIDATE, /* stale at once, no way to
                                                  revalidate */
    RELAY_CACHE_STORE_QUERY,         /* query without explicit expiry */
    RELAY_CACHE_STORE_NOT_MODIFIED,  /* 304: refreshes, never stored */
    RELAY_CACHE_STORE_NO_LAST_MOD,   /* 200 with nothing to go by */
    RELAY_CACHE_STORE_NO_STORE,      /* response no-store */
    RELAY_CACHE_STORE_PRIVATE,       /* response private */
    RELAY_CACHE_STORE_AUTHORIZATION, /* request had Authorization */
    RELAY_CACHE_STORE_VARY_STAR,     /* Vary: * */
    RELAY_CACHE_STORE_VARY_INVALID,  /* Vary: "Accept Encoding" */
    RELAY_CACHE_STORE_OLDER,         /* older than the stored one */
    RELAY_CACHE_STORE_ENV_NO_CACHE   /* for the glue: env "no-cache" */
} relay_cache_store_t;

/* The X-Cache-Detail text of a storability answer (stock's wording). */
const char *relay_cache_store_reason(relay_cache_store_t why);

/*
 * Decides whether `resp`, the answer to `req` sent at request_time, may be
 * stored (RFC 9111 §3 with stock mod_cache's extra rules). `stored` is the
 * entry being revalidated, or NULL. Statuses stored without explicit
 * freshness: 200, 203, 300, 301 (see rfc_heuristic_statuses); any other,
 * except 206 and 304, needs Expires, max-age, s-maxage or public (RFC
 * 9111 §3). A qualified no-cache or private does not prevent storing:
 * the fields it names are left out (relay_cache_entry_store_headers()).
 */
relay_cache_store_t relay_cache_storable(const relay_cache_settings_t *s,
                                         const relay_cache_request_t *req,
                                         const relay_cache_response_t *resp,
                                         const relay_cache_response_t *stored,
                                         apr_time_t request_time);

/* Where a freshness lifetime came from. */
typedef enum relay_cache_freshness_e {
    RELAY_CACHE_FRESHNESS_S_MAXAGE,
    RELAY_CACHE_FRESHNESS_MAX_AGE,
    RELAY_CACHE_FRESHNESS_EXPIRES,
    RELAY_CACHE_FRESHNESS_HEURISTIC, /* from Last-Modified */
    RELAY_CACHE_FRESHNESS_DEFAULT    /* CacheDefaultExpire */
} relay_cache_freshness_t;

/*
 * Freshness lifetime in seconds (RFC 9111 §4.2.1) for a shared cache:
 * s-maxage, else max-age, else Expires - Date (an invalid Expires gives 0:
 * stale), each capped by CacheMaxExpire as stock does; else the heuristic
 * factor × (Date - Last-Modified) clamped to [CacheMinExpire,
 * CacheMaxExpire] (§4.2.2); else CacheDefaultExpire, not capped. A missing
 * or invalid Date counts as response_time. `source` may be NULL.
 */
apr_int64_t relay_cache_freshness_lifetime(const relay_cache_settings_t *s,
                                           const relay_cache_response_t *resp,
                                           apr_time_t response_time,
                                           relay_cache_freshness_t *source);

/*
 * Current age in seconds (RFC 9111 §4.2.3) of a response requested at
 * request_time and received at response_time, at `now`; never negative,
 * at most RELAY_CC_DELTA_MAX.
 */
apr_int64_t relay_cache_current_age(const relay_cache_response_t *resp,
                                    apr_time_t request_time,
                                    apr_time_t response_time, apr_time_t now);

/* What to do with a stored response for a request. */
typedef enum relay_cache_serve_e {
    RELAY_CACHE_SERVE_FRESH = 0,      /* serve it */
    RELAY_CACHE_SERVE_STALE,          /* serve it stale: client's max-stale */
    RELAY_CACHE_SERVE_STALE_REFRESH,  /* serve it stale, refresh in the
                                         background (stale-while-revalidate) */
    RELAY_CACHE_SERVE_REVALIDATE,     /* ask the origin first (conditional) */
    RELAY_CACHE_SERVE_GATEWAY_TIMEOUT /* only-if-cached, unusable: 504 */
} relay_cache_serve_e;

typedef struct relay_cache_serve_t {
    relay_cache_serve_e decision;
    apr_int64_t age;      /* current age, for the Age field */
    apr_int64_t lifetime; /* freshness lifetime */
    /*
     * When revalidation fails or answers with an error, the stored
     * response may be served instead: by CacheStaleOnError for any 5xx
     * (stale_on_error), or within the stale-if-error window of the stored
     * response or of the request (RFC 5861 §4) for 500, 502, 503 and 504
     * (stale_if_error), each whatever the other says; never under
     * no-cache, must-revalidate, proxy-revalidate or s-maxage (RFC 9111
     * §4.2.4). See relay_cache_serve_stale_on_error().
     */
    int stale_on_error;
    int stale_if_error;
    /*
     * Whether the stored response may be served stale at all while
     * another request refreshes it (CacheLock, stale-while-revalidate):
     * never under no-cache, must-revalidate, proxy-revalidate or s-maxage.
     */
    int may_serve_stale;
    const char *reason; /* for X-Cache-Detail */
} relay_cache_serve_t;

/*
 * Decides how a stored response may answer `req` at `now` (RFC 9111 §4.2
 * and §5.2.1). The client's no-cache, Pragma: no-cache, max-age and
 * min-fresh force revalidation unless CacheIgnoreCacheControl; its
 * max-stale and only-if-cached are always honoured. A response's
 * unqualified no-cache forces revalidation; must-revalidate,
 * proxy-revalidate and s-maxage forbid any stale use.
 */
void relay_cache_serve_decide(const relay_cache_settings_t *s,
                              const relay_cache_request_t *req,
                              const relay_cache_response_t *stored,
                              apr_time_t request_time, apr_time_t response_time,
                              apr_time_t now, relay_cache_serve_t *out);

/*
 * After a revalidation decided by `d`: true when the stored response
 * should be served (stale) in place of the origin's answer `status`, 0 for
 * an origin that could not be reached, 5xx for an error response: any 5xx
 * under CacheStaleOnError, 500, 502, 503 and 504 within a stale-if-error
 * window.
 */
int relay_cache_serve_stale_on_error(const relay_cache_serve_t *d, int status);

/*
 * Adds the validators of a stored response to a revalidation request
 * (RFC 9111 §4.3.1): If-None-Match from its ETag, If-Modified-Since from
 * its Last-Modified (sent as received, when it is a valid date). Replaces
 * any the request had; returns how many were set (0: cannot revalidate).
 */
int relay_cache_validators_add(apr_table_t *req_headers,
                               const apr_table_t *stored_headers);

/* The answer to a client's conditional request from a stored response. */
typedef enum relay_cache_cond_e {
    RELAY_CACHE_COND_NONE = 0,           /* no precondition: answer in full */
    RELAY_CACHE_COND_FULL,               /* preconditions hold: in full */
    RELAY_CACHE_COND_NOT_MODIFIED,       /* 304 */
    RELAY_CACHE_COND_PRECONDITION_FAILED /* 412 */
} relay_cache_cond_t;

/*
 * Evaluates the preconditions of a request against a stored response in
 * RFC 9110 §13.2.2's order: If-Match (strong comparison), else
 * If-Unmodified-Since; then If-None-Match (weak comparison) giving 304 for
 * GET and HEAD, 412 otherwise; else, for GET and HEAD, If-Modified-Since
 * against Last-Modified. Invalid dates and a missing Last-Modified make the
 * date preconditions ignored (§13.1.3, §13.1.4).
 */
relay_cache_cond_t relay_cache_conditional(const char *method,
                                           const apr_table_t *req_headers,
                                           const apr_table_t *stored_headers);

/*
 * True when the entity-tag lists match (RFC 9110 §8.8.3.2): `list` is a
 * field value ("*" or comma-separated tags), `etag` one stored tag. Weak
 * comparison ignores W/; strong comparison requires both strong. A
 * malformed element never matches.
 */
int relay_cache_etag_match(const char *list, const char *etag, int weak);

/*
 * Refreshes stored header fields with those of a 304 (RFC 9111 §4.3.4):
 * every field of the 304 replaces all lines of that name, except the
 * hop-by-hop ones, Content-Length, Content-Encoding, Content-Range and
 * Transfer-Encoding (they describe the stored body), Vary (the variant the
 * entry is), and the names in `ignore` (CacheIgnoreHeaders, an array of
 * const char *, may be NULL). Values are copied into the table's pool.
 * The caller also gives the entry the request and response times of the
 * revalidation, so its age starts again from the 304.
 */
void relay_cache_merge_304(apr_table_t *stored, const apr_table_t *fresh,
                           const apr_array_header_t *ignore);

/*
 * The URLs an unsafe request invalidates (RFC 9111 §4.4): for any method
 * other than GET, HEAD, OPTIONS and TRACE answered with a 2xx or 3xx, the
 * effective request URI (absolute), plus Location and Content-Location
 * resolved against it when same-origin (scheme, host and port). Returns an
 * array of absolute URL strings (const char *), empty when nothing is to be
 * invalidated, allocated from `pool`.
 */
apr_array_header_t *relay_cache_invalidations(apr_pool_t *pool,
                                              const char *method, int status,
                                              const char *effective_uri,
                                              const apr_table_t *resp_headers);

#endif
