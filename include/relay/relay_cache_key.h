/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Cache keys. The primary key names a resource: a normalised
 * "scheme://host:port/path?query" (RFC 9111 §2), shaped by
 * CacheKeyBaseURL, CacheIgnoreQueryString and
 * CacheIgnoreURLSessionIdentifiers. The secondary key names a variant of
 * it (RFC 9111 §4.1): the request's values of the fields its Vary names.
 *
 * Everything returned is allocated from the pool given and lives as long
 * as it; inputs are not kept.
 */
#ifndef RELAY_CACHE_KEY_H
#define RELAY_CACHE_KEY_H

#include <apr_pools.h>
#include <apr_tables.h>

/* The configuration that shapes primary keys. */
typedef struct relay_cache_key_options_t {
    /*
     * CacheKeyBaseURL: "scheme://host[:port]" (any path is ignored) that
     * replaces the request's own scheme, host and port; NULL for none.
     * Check it at startup with relay_cache_key_base_url_valid().
     */
    const char *base_url;
    int ignore_query; /* CacheIgnoreQueryString: leave the query out */
    /*
     * CacheIgnoreURLSessionIdentifiers: names (const char *) removed as
     * ";name=value" path parameters and "name=value" query arguments,
     * matched with case, as stock does; NULL or empty for none.
     */
    const apr_array_header_t *session_ids;
} relay_cache_key_options_t;

/* True when `url` may be used as CacheKeyBaseURL. */
int relay_cache_key_base_url_valid(const char *url);

/*
 * A request path as the cache sees it: escapes normalised as below, runs
 * of slashes merged and "." and ".." segments resolved (RFC 3986
 * §5.2.4), so that every spelling of a path ("/%61ccount", "//account",
 * "/x/../account") is one. CacheEnable and CacheDisable match this form,
 * and primary keys are built from it. A path not starting with '/' only
 * gets its escapes normalised.
 */
const char *relay_cache_path_normalise(apr_pool_t *pool, const char *path);

/*
 * The primary key of a request for scheme://host:port path?query.
 * Scheme and host are lower-cased; the port is always written, the
 * scheme's default when `port` is 0 (left out only for a scheme with no
 * known default); an empty path is "/"; the path is normalised as
 * relay_cache_path_normalise() does; in the query, percent-escapes get
 * upper-case hex digits and escaped unreserved characters (RFC 3986
 * §6.2.2) are decoded, nothing else changes; an empty query is no query. With
 * use_base_url (a request that is not forward-proxied) and o->base_url set, the
 * base URL's scheme, host and port are used. `o` may be NULL. Returns NULL when
 * scheme or host is missing or empty, or the base URL is invalid.
 */
const char *relay_cache_key_make(apr_pool_t *pool,
                                 const relay_cache_key_options_t *o,
                                 int use_base_url, const char *scheme,
                                 const char *host, int port, const char *path,
                                 const char *query);

/*
 * The primary key of an absolute URL ("http://Host:80/p?q#frag", the
 * fragment dropped), e.g. one from relay_cache_invalidations(). Returns
 * NULL when it is not an absolute URL with a host.
 */
const char *relay_cache_key_from_url(apr_pool_t *pool,
                                     const relay_cache_key_options_t *o,
                                     int use_base_url, const char *url);

/* One field a variant depends on, and the request's value of it. */
typedef struct relay_cache_vary_field_t {
    const char *name;  /* lower-cased field name */
    const char *value; /* normalised value, NULL when absent */
} relay_cache_vary_field_t;

/*
 * The fields a response's Vary value names (all Vary lines joined), with
 * their values in `req_headers` (NULL: no request values, every value
 * absent): an array of relay_cache_vary_field_t sorted by name, each name
 * once, invalid names skipped. Values are all lines of the field joined,
 * split at commas, each element trimmed of whitespace, empty ones dropped,
 * and joined again with ", " (RFC 9111 §4.1), so "a,b" and "a, b" on one
 * or two lines are one variant. Returns NULL when Vary contains "*": such
 * a response never matches (§4.1).
 */
apr_array_header_t *relay_cache_vary_fields(apr_pool_t *pool, const char *vary,
                                            const apr_table_t *req_headers);

/*
 * The secondary key of a variant from its fields (as returned above, or
 * read back from a stored entry, in which case they must be sorted the
 * same way): "name=value" per field, absent ones as "name" alone, joined
 * with "\n", with '%', control bytes and DEL in values written as %XX so
 * that distinct variants never share a key. "" for no fields.
 */
const char *relay_cache_vary_key(apr_pool_t *pool,
                                 const apr_array_header_t *fields);

/*
 * True when a request selects the stored variant (§4.1): every stored
 * field has the same normalised value (or is absent in both).
 */
int relay_cache_vary_match(apr_pool_t *pool, const apr_array_header_t *stored,
                           const apr_table_t *req_headers);

#endif
