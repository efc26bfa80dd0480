/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Cache keys: the primary key of a resource and the secondary key of a
 * variant. Both are normalised just enough that equivalent requests meet
 * (case of scheme and host, default ports, percent-escape spelling, the
 * layout of list-valued fields) and never so much that different
 * resources or variants collide: nothing is decoded that could change a
 * URL's meaning, and variant values are escaped before they are joined.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "relay/relay_cache_key.h"
#include "relay/relay_headers.h"

/* unreserved of RFC 3986 §2.3. */
static int is_unreserved(int c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 §6.2.2.1 and §6.2.2.2: "%7e" becomes "~", "%2f" "%2F". */
static const char *normalise_escapes(apr_pool_t *pool, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out, *o;

    if (strchr(s, '%') == NULL) {
        return s; /* the common case: nothing to rewrite */
    }
    out = o = apr_palloc(pool, strlen(s) + 1);
    while (*s != '\0') {
        int hi, lo;

        if (s[0] == '%' && (hi = relay_hex_digit(s[1])) >= 0 &&
            (lo = relay_hex_digit(s[2])) >= 0) {
            int c = hi * 16 + lo;

            if (is_unreserved(c)) {
                *o++ = (char)c;
            }
            else {
                *o++ = '%';
                *o++ = hex[hi];
                *o++ = hex[lo];
            }
            s += 3;
        }
        else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

/* True when a path has nothing to normalise: no escape, no slash run and
 * no "." or ".." segment (the common case, checked in one pass). */
static int is_normal(const char *p)
{
    for (; *p != '\0'; p++) {
        if (*p == '%') {
            return 0;
        }
        if (*p == '/' && p[1] == '/') {
            return 0;
        }
        if (*p == '/' && p[1] == '.') {
            const char *e = p[2] == '.' ? p + 3 : p + 2;
            if (*e == '/' || *e == '\0') {
                return 0;
            }
        }
    }
    return 1;
}

const char *relay_cache_path_normalise(apr_pool_t *pool, const char *path)
{
    const char *s;
    char *out, *o;
    int dir = 0; /* the result ends with a slash */

    if (*path == '/' && is_normal(path)) {
        return path;
    }
    s = normalise_escapes(pool, path);
    if (*s != '/') {
        return s;
    }
    out = o = apr_palloc(pool, strlen(s) + 2);
    while (*s != '\0') {
        const char *seg;
        apr_size_t n;

        while (*s == '/') {
            s++;
        }
        seg = s;
        while (*s != '\0' && *s != '/') {
            s++;
        }
        n = (apr_size_t)(s - seg);
        /* A trailing slash or dot-segment leaves a directory. */
        dir = n == 0 || (n <= 2 && memcmp(seg, "..", n) == 0);
        if (n == 0 || (n == 1 && seg[0] == '.')) {
            continue;
        }
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (o > out && *--o != '/') {
            }
            continue;
        }
        *o++ = '/';
        memcpy(o, seg, n);
        o += n;
    }
    if (o == out || dir) {
        *o++ = '/';
    }
    *o = '\0';
    return out;
}

/* The identifier of ids that `p` starts with followed by '=', or 0. */
static apr_size_t id_at(const char *p, const apr_array_header_t *ids)
{
    int i;

    for (i = 0; ids != NULL && i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        apr_size_t n = strlen(id);

        if (n > 0 && strncmp(p, id, n) == 0 && p[n] == '=') {
            return n + 1;
        }
    }
    return 0;
}

/* Removes every ";id=value" path parameter; the value ends at ';' or '/'. */
static const char *strip_path_ids(apr_pool_t *pool, const char *path,
                                  const apr_array_header_t *ids)
{
    char *out, *o;

    if (ids == NULL || ids->nelts == 0) {
        return path;
    }
    out = o = apr_palloc(pool, strlen(path) + 1);
    while (*path != '\0') {
        if (*path == ';' && id_at(path + 1, ids) > 0) {
            path += 1 + strcspn(path + 1, ";/");
            continue;
        }
        *o++ = *path++;
    }
    *o = '\0';
    return out;
}

/* Removes every "id=value" query argument. */
static const char *strip_query_ids(apr_pool_t *pool, const char *query,
                                   const apr_array_header_t *ids)
{
    char *out, *o;
    const char *p = query;

    if (ids == NULL || ids->nelts == 0) {
        return query;
    }
    out = o = apr_palloc(pool, strlen(query) + 1);
    while (p != NULL) {
        const char *amp = strchr(p, '&');
        apr_size_t n = amp != NULL ? (apr_size_t)(amp - p) : strlen(p);

        if (id_at(p, ids) == 0) {
            if (o > out) {
                *o++ = '&';
            }
            memcpy(o, p, n);
            o += n;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    *o = '\0';
    return out;
}

/* s[0, len) lower-cased to out; returns the end of what was written. */
static char *put_lower(char *out, const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = s[i];

        *out++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    return out;
}

static char *lower(apr_pool_t *pool, const char *s)
{
    apr_size_t len = strlen(s);
    char *out = apr_palloc(pool, len + 1);

    *put_lower(out, s, len) = '\0';
    return out;
}

/* The origin part of a key: "scheme://host:port", NULL if incomplete. */
static const char *origin(apr_pool_t *pool, const char *scheme,
                          const char *host, int port)
{
    apr_size_t slen, hlen;
    int brackets;
    char *out, *o;

    if (scheme == NULL || *scheme == '\0' || host == NULL || *host == '\0' ||
        port < 0 || port > 65535) {
        return NULL;
    }
    slen = strlen(scheme);
    hlen = strlen(host);
    /* apr_uri_parse() gives IPv6 literals without their brackets. */
    brackets = host[0] != '[' && memchr(host, ':', hlen) != NULL;
    if (port == 0) {
        port = apr_uri_port_of_scheme(scheme); /* compares ignoring case */
    }
    /* scheme "://" ["["] host ["]"] [":" five digits] NUL */
    o = out = apr_palloc(pool, slen + 3 + hlen + 2 + 6 + 1);
    o = put_lower(o, scheme, slen);
    memcpy(o, "://", 3);
    o += 3;
    if (brackets) {
        *o++ = '[';
    }
    o = put_lower(o, host, hlen);
    if (brackets) {
        *o++ = ']';
    }
    if (port != 0) {
        char digits[5];
        int n = 0;

        *o++ = ':';
        do {
            digits[n++] = (char)('0' + port % 10);
            port /= 10;
        } while (port != 0);
        while (n > 0) {
            *o++ = digits[--n];
        }
    }
    *o = '\0';
    return out;
}

static const char *base_origin(apr_pool_t *pool, const char *url)
{
    apr_uri_t u;

    if (url == NULL || apr_uri_parse(pool, url, &u) != APR_SUCCESS ||
        u.scheme == NULL || u.hostname == NULL) {
        return NULL;
    }
    return origin(pool, u.scheme, u.hostname, u.port_str != NULL ? u.port : 0);
}

int relay_cache_key_base_url_valid(const char *url)
{
    apr_pool_t *pool;
    int ok;

    if (apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        return 0;
    }
    ok = base_origin(pool, url) != NULL;
    apr_pool_destroy(pool);
    return ok;
}

/* head then path, then "?" and query when there is one. */
static const char *join(apr_pool_t *pool, const char *head, const char *path,
                        const char *query)
{
    apr_size_t hlen = strlen(head), plen = strlen(path);
    apr_size_t qlen = query != NULL ? strlen(query) : 0;
    char *out = apr_palloc(pool, hlen + plen + 1 + qlen + 1), *o = out;

    memcpy(o, head, hlen);
    o += hlen;
    memcpy(o, path, plen);
    o += plen;
    if (query != NULL) {
        *o++ = '?';
        memcpy(o, query, qlen);
        o += qlen;
    }
    *o = '\0';
    return out;
}

const char *relay_cache_key_make(apr_pool_t *pool,
                                 const relay_cache_key_options_t *o,
                                 int use_base_url, const char *scheme,
                                 const char *host, int port, const char *path,
                                 const char *query)
{
    const apr_array_header_t *ids = o != NULL ? o->session_ids : NULL;
    const char *head;

    if (o != NULL && use_base_url && o->base_url != NULL) {
        head = base_origin(pool, o->base_url);
    }
    else {
        head = origin(pool, scheme, host, port);
    }
    if (head == NULL) {
        return NULL;
    }
    if (path == NULL || *path == '\0') {
        path = "/";
    }
    path = relay_cache_path_normalise(pool, strip_path_ids(pool, path, ids));
    if (query != NULL && *query != '\0' && !(o != NULL && o->ignore_query)) {
        query = strip_query_ids(pool, query, ids);
        if (*query != '\0') {
            return join(pool, head, path, normalise_escapes(pool, query));
        }
    }
    return join(pool, head, path, NULL);
}

const char *relay_cache_key_from_url(apr_pool_t *pool,
                                     const relay_cache_key_options_t *o,
                                     int use_base_url, const char *url)
{
    apr_uri_t u;

    if (url == NULL || apr_uri_parse(pool, url, &u) != APR_SUCCESS ||
        u.scheme == NULL || u.hostname == NULL) {
        return NULL;
    }
    return relay_cache_key_make(pool, o, use_base_url, u.scheme, u.hostname,
                                u.port_str != NULL ? u.port : 0, u.path,
                                u.query);
}

/* The normalised value of a request field, NULL when absent. */
static const char *vary_value(apr_pool_t *pool, const apr_table_t *headers,
                              const char *name)
{
    const char *all, *cursor, *elt;
    char *out, *o;
    apr_size_t n;

    if (headers == NULL ||
        (all = apr_table_getm(pool, headers, name)) == NULL) {
        return NULL;
    }
    /* Each separator may grow from "," to ", ": twice the input at most. */
    out = o = apr_palloc(pool, 2 * strlen(all) + 1);
    cursor = all;
    while (relay_header_list_next(&cursor, &elt, &n)) {
        if (n == 0) {
            continue;
        }
        if (o > out) {
            *o++ = ',';
            *o++ = ' ';
        }
        memcpy(o, elt, n);
        o += n;
    }
    *o = '\0';
    return out;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const relay_cache_vary_field_t *)a)->name,
                  ((const relay_cache_vary_field_t *)b)->name);
}

apr_array_header_t *relay_cache_vary_fields(apr_pool_t *pool, const char *vary,
                                            const apr_table_t *req_headers)
{
    apr_array_header_t *out =
        apr_array_make(pool, 4, sizeof(relay_cache_vary_field_t));
    const char *cursor = vary, *elt;
    apr_size_t n;
    int i, j;

    while (vary != NULL && relay_header_list_next(&cursor, &elt, &n)) {
        relay_cache_vary_field_t *f;
        char *name;

        if (n == 0) {
            continue;
        }
        name = apr_pstrmemdup(pool, elt, n);
        if (strcmp(name, "*") == 0) {
            return NULL;
        }
        if (!relay_header_name_is_token(name)) {
            continue;
        }
        f = &APR_ARRAY_PUSH(out, relay_cache_vary_field_t);
        f->name = lower(pool, name);
        f->value = vary_value(pool, req_headers, name);
    }
    if (out->nelts > 1) {
        qsort(out->elts, (size_t)out->nelts, sizeof(relay_cache_vary_field_t),
              by_name);
    }
    /* Drop repeated names, keeping the first of each. */
    for (i = 0, j = 0; i < out->nelts; i++) {
        relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(out, i, relay_cache_vary_field_t);

        if (j > 0 &&
            strcmp(APR_ARRAY_IDX(out, j - 1, relay_cache_vary_field_t).name,
                   f->name) == 0) {
            continue;
        }
        APR_ARRAY_IDX(out, j, relay_cache_vary_field_t) = *f;
        j++;
    }
    out->nelts = j;
    return out;
}

/* A value with '%', CTLs and DEL written as %XX. */
static const char *escape_value(apr_pool_t *pool, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(pool, strlen(v) * 3 + 1), *o = out;

    for (; *v != '\0'; v++) {
        unsigned char c = (unsigned char)*v;

        if (c == '%' || c < 0x20 || c == 0x7f) {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

const char *relay_cache_vary_key(apr_pool_t *pool,
                                 const apr_array_header_t *fields)
{
    apr_array_header_t *parts;
    int i;

    if (fields == NULL || fields->nelts == 0) {
        return "";
    }
    parts = apr_array_make(pool, fields->nelts, sizeof(const char *));
    for (i = 0; i < fields->nelts; i++) {
        const relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(fields, i, relay_cache_vary_field_t);

        APR_ARRAY_PUSH(parts, const char *) =
            f->value != NULL ? apr_pstrcat(pool, f->name, "=",
                                           escape_value(pool, f->value), NULL)
                             : f->name;
    }
    return apr_array_pstrcat(pool, parts, '\n');
}

int relay_cache_vary_match(apr_pool_t *pool, const apr_array_header_t *stored,
                           const apr_table_t *req_headers)
{
    int i;

    if (stored == NULL) {
        return 0;
    }
    for (i = 0; i < stored->nelts; i++) {
        const relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(stored, i, relay_cache_vary_field_t);
        const char *v = vary_value(pool, req_headers, f->name);

        if ((v == NULL) != (f->value == NULL) ||
            (v != NULL && strcmp(v, f->value) != 0)) {
            return 0;
        }
    }
    return 1;
}
