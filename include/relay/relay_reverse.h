/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ProxyPassReverse and its cookie forms: the rewriting of origin URLs in
 * response headers (Location, Content-Location, URI) and of Domain= and
 * Path= attributes in Set-Cookie, back into the names clients use.
 */
#ifndef RELAY_REVERSE_H
#define RELAY_REVERSE_H

#include <apr_pools.h>

/* One ProxyPassReverse line: `origin_url` maps back to `public_path`. */
typedef struct relay_reverse_rule_t {
    const char *public_path; /* e.g. "/app/" */
    const char *origin_url;  /* e.g. "http://origin:8080/" or a path */
    int interpolate; /* for the glue: "${var}" in both strings is replaced
                      * per request before they get here */
} relay_reverse_rule_t;

/* The default port of the URL scheme scheme[0..len) (any case), or -1
 * when it has none. */
typedef long (*relay_reverse_port_fn)(const char *scheme, apr_size_t len);

/*
 * Maps a header value through the rules, first match wins. A value that
 * starts with a rule's origin_url has that prefix replaced by public_path;
 * the result is made absolute with `front_base` ("scheme://host[:port]" of
 * the front end, no trailing slash) when public_path is a path. An
 * origin_url with its scheme's default port (as `default_port` tells; NULL
 * for none) also matches a value without it, and the other way round.
 * Returns `value` itself when nothing matches.
 */
const char *relay_reverse_map_url(apr_pool_t *pool, const char *value,
                                  const relay_reverse_rule_t *rules, int nrules,
                                  const char *front_base,
                                  relay_reverse_port_fn default_port);

/* One ProxyPassReverseCookieDomain or ProxyPassReverseCookiePath line. */
typedef struct relay_cookie_rule_t {
    const char *origin; /* value the origin sends */
    const char *public; /* value clients should see */
    int interpolate;    /* as relay_reverse_rule_t's */
} relay_cookie_rule_t;

/*
 * Rewrites the Path= attribute (origin prefix replaced by public) and the
 * Domain= attribute (origin suffix, compared without case, replaced by
 * public) of one Set-Cookie value; attribute names are matched without
 * case and everything else is kept byte for byte. First match wins per
 * attribute. Returns `value` itself when nothing changes.
 */
const char *relay_reverse_map_cookie(apr_pool_t *pool, const char *value,
                                     const relay_cookie_rule_t *paths,
                                     int npaths,
                                     const relay_cookie_rule_t *domains,
                                     int ndomains);

#endif
