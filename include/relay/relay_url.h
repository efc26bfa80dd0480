/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * URL handling for the mapping from client requests to origin requests:
 * ProxyPass prefix matching and the re-encoding of a decoded path, so that
 * nothing a client sends can alter the origin request line.
 */
#ifndef RELAY_URL_H
#define RELAY_URL_H

#include <apr_pools.h>

/*
 * Matches `path` against a ProxyPass prefix textually, where a run of
 * slashes in either matches a run of slashes in the other. Returns the
 * number of bytes of `path` the prefix covered, or -1 when it does not
 * match. As stock, the prefix ends on a segment boundary of the path:
 * "/app" covers 4 bytes of "/app" and "/app/x" and does not match
 * "/apple" or "/app;x".
 */
long relay_url_prefix_match(const char *prefix, const char *path);

/*
 * True when a raw (undecoded) path has a segment that is "." or "..":
 * each dot written as '.' or "%2e", segments split by '/' or "%2f", and a
 * segment's ";parameters" not counted (servlet containers read "..;x"
 * as ".."). An origin that normalises such a path can land outside the
 * prefix the normalised path matched.
 */
int relay_url_has_dot_segment(const char *path);

/*
 * The path a servlet container maps a raw (undecoded) path to, for
 * ProxyPass mapping=servlet: each segment's ";parameters" removed, then
 * %XX decoded, then "." and ".." segments resolved ("/x/..;/y" is "/y",
 * "/a;jsessionid=1/b" is "/a/b"). NULL when it cannot be one: a bad or
 * NUL %-escape, an encoded '/', or ".." above the root.
 */
const char *relay_url_servlet_path(apr_pool_t *pool, const char *raw);

/*
 * Percent-encodes a decoded path for use in a request target: every byte
 * outside RFC 3986's pchar set and '/' is written as %XX (CTLs, space,
 * '%', '?', '#', non-ASCII ...). The result never contains CR, LF or NUL.
 */
const char *relay_url_escape_path(apr_pool_t *pool, const char *path);

/*
 * The same for a path httpd decoded with AllowEncodedSlashes NoDecode:
 * every "%2F" (or "%2f") in it is an encoded slash httpd kept and stays
 * as it is, as stock does; any other '%' is still written as %25.
 */
const char *relay_url_escape_path_keep2f(apr_pool_t *pool, const char *path);

/*
 * Percent-encodes, in an already encoded request target, every byte that
 * may not appear on a request line: CTLs, space, DEL and non-ASCII bytes.
 * Everything else, '%' and '?' included, is kept.
 */
const char *relay_url_escape_target(apr_pool_t *pool, const char *target);

/*
 * True when `target` may go on a request line as is: no CTL, no space, no
 * byte outside visible ASCII (RFC 9112 §3.2).
 */
int relay_url_target_is_safe(const char *target);

/*
 * The parts of an origin URL, pointing into it (not NUL-terminated).
 */
typedef struct relay_url_origin_t {
    const char *scheme; /* as written */
    apr_size_t scheme_len;
    const char *host;
    apr_size_t host_len;
    int port;              /* -1 when the URL names none */
    const char *target;    /* path and query, the fragment left out: empty, */
    apr_size_t target_len; /* or starting with '/' or '?' */
} relay_url_origin_t;

/*
 * Splits an origin URL of the common form scheme://host[:port][/path]
 * [?query][#fragment] without copying it: the parts are those
 * apr_uri_parse() finds in it. Returns 0, leaving the URL to
 * apr_uri_parse(), for any other form: no "://", userinfo, an IP literal
 * in brackets, an empty host, or a port that is not 1 to 5 digits of at
 * most 65535.
 */
int relay_url_split_origin(const char *url, relay_url_origin_t *o);

#endif
