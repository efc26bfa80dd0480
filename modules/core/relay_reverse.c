/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ProxyPassReverse and ProxyPassReverseCookieDomain/Path: the origin's own
 * names in Location, Content-Location, URI and Set-Cookie are put back into
 * the names the client used.
 *
 * Unlike the stock module, which compares the start of the header text,
 * absolute URLs are compared by their parts: scheme and host without case
 * (RFC 3986 §6.2.2.1), the port with the scheme's default filled in
 * (RFC 3986 §6.2.3; the caller's function knows the defaults), the path
 * byte for byte. So "http://origin" does not
 * match "http://origin.example", and "http://origin/" does match
 * "http://origin:80/". A cookie's Domain is matched on a label boundary for
 * the same reason.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_reverse.h"

/* The parts of an absolute URL that decide whether a rule matches it. */
typedef struct url_parts_t {
    const char *scheme;
    apr_size_t scheme_len;
    const char *host; /* brackets included for an IPv6 literal */
    apr_size_t host_len;
    long port;        /* explicit or the scheme's default; -1 if neither */
    const char *rest; /* path, query and fragment: "/", "?", "#" or "" */
} url_parts_t;

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Splits "scheme://host[:port][rest]" (RFC 3986 §3). Returns 0 for
 * anything else, and for a URL with userinfo, which Relay never rewrites.
 */
static int split_url(const char *s, relay_reverse_port_fn default_port,
                     url_parts_t *u)
{
    const char *p = s, *auth, *auth_end, *host_end;

    if (!is_alpha(*p)) {
        return 0;
    }
    while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' ||
           *p == '.') {
        p++;
    }
    if (strncmp(p, "://", 3) != 0) {
        return 0;
    }
    u->scheme = s;
    u->scheme_len = (apr_size_t)(p - s);
    auth = p + 3;
    auth_end = auth + strcspn(auth, "/?#");
    if (memchr(auth, '@', (apr_size_t)(auth_end - auth)) != NULL) {
        return 0;
    }
    if (*auth == '[') {
        host_end = memchr(auth, ']', (apr_size_t)(auth_end - auth));
        if (host_end == NULL) {
            return 0;
        }
        host_end++;
    }
    else {
        host_end = memchr(auth, ':', (apr_size_t)(auth_end - auth));
        if (host_end == NULL) {
            host_end = auth_end;
        }
    }
    if (host_end == auth) {
        return 0;
    }
    u->host = auth;
    u->host_len = (apr_size_t)(host_end - auth);
    u->port = default_port ? default_port(u->scheme, u->scheme_len) : -1;
    if (host_end < auth_end) {
        /* RFC 3986 §3.2.3: an empty port means the default one. */
        const char *q;
        long port = 0;

        if (*host_end != ':') {
            return 0;
        }
        for (q = host_end + 1; q < auth_end; q++) {
            if (!is_digit(*q)) {
                return 0;
            }
            port = port * 10 + (*q - '0');
            if (port > 65535) {
                return 0;
            }
        }
        if (q > host_end + 1) {
            u->port = port;
        }
    }
    u->rest = auth_end;
    return 1;
}

/*
 * Matches `value` against one rule's origin_url; on a match returns the
 * part of `value` after the matched prefix, otherwise NULL.
 */
static const char *match_rule(const char *value, const char *origin,
                              relay_reverse_port_fn default_port)
{
    url_parts_t r, v;
    apr_size_t n;

    if (origin[0] == '/') {
        /* A path rule applies to paths only; "//host/..." is not one. */
        n = strlen(origin);
        if (value[0] == '/' && value[1] != '/' &&
            strncmp(value, origin, n) == 0) {
            return value + n;
        }
        return NULL;
    }
    if (!split_url(origin, default_port, &r) ||
        !split_url(value, default_port, &v)) {
        return NULL;
    }
    if (r.scheme_len != v.scheme_len ||
        strncasecmp(r.scheme, v.scheme, r.scheme_len) != 0 ||
        r.host_len != v.host_len ||
        strncasecmp(r.host, v.host, r.host_len) != 0 || r.port != v.port) {
        return NULL;
    }
    n = strlen(r.rest);
    if (v.rest[0] != '/' && strcmp(r.rest, "/") == 0) {
        /* "http://origin" and "http://origin?q" have the path "/". */
        return v.rest;
    }
    if (strncmp(v.rest, r.rest, n) == 0) {
        return v.rest + n;
    }
    return NULL;
}

const char *relay_reverse_map_url(apr_pool_t *pool, const char *value,
                                  const relay_reverse_rule_t *rules, int nrules,
                                  const char *front_base,
                                  relay_reverse_port_fn default_port)
{
    int i;

    if (value == NULL) {
        return NULL;
    }
    for (i = 0; i < nrules; i++) {
        const relay_reverse_rule_t *rule = &rules[i];
        const char *rest;

        if (rule->origin_url == NULL || rule->origin_url[0] == '\0' ||
            rule->public_path == NULL) {
            continue;
        }
        rest = match_rule(value, rule->origin_url, default_port);
        if (rest == NULL) {
            continue;
        }
        if (rule->public_path[0] == '/' && front_base != NULL) {
            return apr_pstrcat(pool, front_base, rule->public_path, rest, NULL);
        }
        return apr_pstrcat(pool, rule->public_path, rest, NULL);
    }
    return value;
}

/* The pieces of a rewritten Set-Cookie value, joined once at the end so
 * that a value with many attributes costs time linear in its length. */
static void add_piece(apr_array_header_t *pieces, const char *p, apr_size_t n)
{
    struct iovec *v = &APR_ARRAY_PUSH(pieces, struct iovec);

    v->iov_base = (void *)p;
    v->iov_len = n;
}

/* Path: the first rule whose origin is a prefix of the value (RFC 6265
 * §5.2.4 gives the attribute; the matching is the stock module's). Adds
 * the new value's pieces and returns 1, or returns 0. */
static int map_path(apr_array_header_t *pieces, const char *v, apr_size_t n,
                    const relay_cookie_rule_t *rules, int nrules)
{
    int i;

    for (i = 0; i < nrules; i++) {
        apr_size_t olen;

        if (rules[i].origin == NULL || rules[i].public == NULL) {
            continue;
        }
        olen = strlen(rules[i].origin);
        if (olen > 0 && olen <= n && memcmp(v, rules[i].origin, olen) == 0) {
            add_piece(pieces, rules[i].public, strlen(rules[i].public));
            add_piece(pieces, v + olen, n - olen);
            return 1;
        }
    }
    return 0;
}

/* Domain: the first rule whose origin ends the value without regard to
 * case (RFC 6265 §5.2.3) and starts at a label, so "example.com" matches
 * ".example.com" and "www.example.com" but not "badexample.com". As
 * map_path. */
static int map_domain(apr_array_header_t *pieces, const char *v, apr_size_t n,
                      const relay_cookie_rule_t *rules, int nrules)
{
    int i;

    for (i = 0; i < nrules; i++) {
        const char *origin = rules[i].origin;
        apr_size_t olen, at;

        if (origin == NULL || rules[i].public == NULL) {
            continue;
        }
        olen = strlen(origin);
        if (olen == 0 || olen > n) {
            continue;
        }
        at = n - olen;
        if (strncasecmp(v + at, origin, olen) != 0) {
            continue;
        }
        if (at > 0 && v[at - 1] != '.' && origin[0] != '.') {
            continue;
        }
        add_piece(pieces, v, at);
        add_piece(pieces, rules[i].public, strlen(rules[i].public));
        return 1;
    }
    return 0;
}

const char *relay_reverse_map_cookie(apr_pool_t *pool, const char *value,
                                     const relay_cookie_rule_t *paths,
                                     int npaths,
                                     const relay_cookie_rule_t *domains,
                                     int ndomains)
{
    const char *seg, *copied;
    apr_array_header_t *pieces;

    if (value == NULL || (npaths == 0 && ndomains == 0)) {
        return value;
    }
    pieces = apr_array_make(pool, 8, sizeof(struct iovec));
    /* RFC 6265 §4.1.1: the cookie-pair comes first and is never an
     * attribute, even when the cookie is named "path". */
    seg = strchr(value, ';');
    copied = value;
    while (seg != NULL) {
        const char *name, *name_end, *eq, *v, *v_end, *end;
        int at = pieces->nelts, mapped = 0;

        name = seg + 1;
        end = strchr(name, ';');
        if (end == NULL) {
            end = name + strlen(name);
        }
        seg = *end == ';' ? end : NULL;

        /* RFC 6265 §5.2: name and value of an attribute lose their
         * surrounding whitespace; the name is compared without case. */
        while (name < end && is_ows(*name)) {
            name++;
        }
        eq = memchr(name, '=', (apr_size_t)(end - name));
        if (eq == NULL) {
            continue;
        }
        for (name_end = eq; name_end > name && is_ows(name_end[-1]);
             name_end--) {
        }
        for (v = eq + 1; v < end && is_ows(*v); v++) {
        }
        for (v_end = end; v_end > v && is_ows(v_end[-1]); v_end--) {
        }
        /* Everything between the rewritten values is kept byte for byte. */
        add_piece(pieces, copied, (apr_size_t)(v - copied));
        if (name_end - name == 4 && strncasecmp(name, "path", 4) == 0) {
            mapped =
                map_path(pieces, v, (apr_size_t)(v_end - v), paths, npaths);
        }
        else if (name_end - name == 6 && strncasecmp(name, "domain", 6) == 0) {
            mapped = map_domain(pieces, v, (apr_size_t)(v_end - v), domains,
                                ndomains);
        }
        if (!mapped) {
            pieces->nelts = at; /* this attribute stays as it is */
            continue;
        }
        copied = v_end;
    }
    if (pieces->nelts == 0) {
        return value;
    }
    add_piece(pieces, copied, strlen(copied));
    return apr_pstrcatv(pool, (const struct iovec *)pieces->elts,
                        (apr_size_t)pieces->nelts, NULL);
}
