/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The validation side of the cache's policy (declared in
 * relay_cache_policy.h): validators for revalidating a stored response
 * (RFC 9111 §4.3.1), entity-tag comparison and the client's preconditions
 * answered from a stored response (RFC 9110 §8.8.3, §13.2.2), the merge of
 * a 304 into the stored fields (RFC 9111 §4.3.4) and the URLs an unsafe
 * request invalidates (§4.4).
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "relay/relay_cache_policy.h"
#include "relay/relay_headers.h"

int relay_cache_validators_add(apr_table_t *req_headers,
                               const apr_table_t *stored_headers)
{
    const char *etag = apr_table_get(stored_headers, "ETag");
    const char *lm = apr_table_get(stored_headers, "Last-Modified");
    apr_time_t t;
    int n = 0;

    apr_table_unset(req_headers, "If-None-Match");
    apr_table_unset(req_headers, "If-Modified-Since");
    if (etag != NULL && *etag != '\0') {
        apr_table_set(req_headers, "If-None-Match", etag);
        n++;
    }
    if (lm != NULL && relay_http_date_parse(lm, strlen(lm), &t)) {
        apr_table_set(req_headers, "If-Modified-Since", lm);
        n++;
    }
    return n;
}

/*
 * Reads one entity-tag (RFC 9110 §8.8.3) at *p: [W/] DQUOTE *etagc DQUOTE,
 * etagc = %x21 / %x23-7E / obs-text. Sets the opaque tag (quotes
 * included) and weakness and moves *p past it; 0 when malformed.
 */
static int read_etag(const char **p, const char **tag, apr_size_t *n, int *weak)
{
    const char *s = *p;

    *weak = 0;
    if (s[0] == 'W' && s[1] == '/') {
        *weak = 1;
        s += 2;
    }
    if (*s != '"') {
        return 0;
    }
    *tag = s++;
    while (*s != '"') {
        unsigned char c = (unsigned char)*s;

        if (c < 0x21 || c == 0x7f) {
            return 0;
        }
        s++;
    }
    s++;
    *n = (apr_size_t)(s - *tag);
    *p = s;
    return 1;
}

/* True when only OWS separates p from the next comma or the end. */
static int at_element_end(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return *p == '\0' || *p == ',';
}

int relay_cache_etag_match(const char *list, const char *etag, int weak)
{
    const char *p, *stag, *tag;
    apr_size_t sn, n;
    int sweak, w;

    if (list == NULL) {
        return 0;
    }
    p = etag != NULL ? etag : "";
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!read_etag(&p, &stag, &sn, &sweak) || !at_element_end(p) || *p == ',') {
        stag = NULL;
    }
    p = list;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '\0') {
            return 0;
        }
        if (*p == '*') {
            /* "*" matches any current representation. */
            return 1;
        }
        if (!read_etag(&p, &tag, &n, &w) || !at_element_end(p)) {
            /* Skip the malformed element: it matches nothing. */
            while (*p != '\0' && *p != ',') {
                p++;
            }
            continue;
        }
        if (stag != NULL && n == sn && memcmp(tag, stag, n) == 0 &&
            (weak || (!w && !sweak))) {
            return 1;
        }
    }
}

static int date_field(const apr_table_t *t, const char *name, apr_time_t *out)
{
    const char *v = apr_table_get(t, name);

    return v != NULL && relay_http_date_parse(v, strlen(v), out);
}

relay_cache_cond_t relay_cache_conditional(const char *method,
                                           const apr_table_t *req_headers,
                                           const apr_table_t *stored_headers)
{
    const char *etag = apr_table_get(stored_headers, "ETag");
    const char *im = apr_table_get(req_headers, "If-Match");
    const char *inm = apr_table_get(req_headers, "If-None-Match");
    int get_or_head = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int any = 0;
    apr_time_t lm, when;

    /* §13.2.2 steps 1 and 2. */
    if (im != NULL) {
        any = 1;
        if (!relay_cache_etag_match(im, etag, 0)) {
            return RELAY_CACHE_COND_PRECONDITION_FAILED;
        }
    }
    else if (apr_table_get(req_headers, "If-Unmodified-Since") != NULL) {
        any = 1;
        if (date_field(stored_headers, "Last-Modified", &lm) &&
            date_field(req_headers, "If-Unmodified-Since", &when) &&
            apr_time_sec(lm) > apr_time_sec(when)) {
            return RELAY_CACHE_COND_PRECONDITION_FAILED;
        }
    }
    /* Steps 3 and 4. */
    if (inm != NULL) {
        if (relay_cache_etag_match(inm, etag, 1)) {
            return get_or_head ? RELAY_CACHE_COND_NOT_MODIFIED
                               : RELAY_CACHE_COND_PRECONDITION_FAILED;
        }
        return RELAY_CACHE_COND_FULL;
    }
    if (get_or_head &&
        apr_table_get(req_headers, "If-Modified-Since") != NULL) {
        any = 1;
        if (date_field(stored_headers, "Last-Modified", &lm) &&
            date_field(req_headers, "If-Modified-Since", &when) &&
            apr_time_sec(lm) <= apr_time_sec(when)) {
            return RELAY_CACHE_COND_NOT_MODIFIED;
        }
    }
    return any ? RELAY_CACHE_COND_FULL : RELAY_CACHE_COND_NONE;
}

/* Fields of a 304 that never replace stored ones (§4.3.4). */
static const char *const kept_fields[] = {"Connection",
                                          "Keep-Alive",
                                          "Proxy-Connection",
                                          "TE",
                                          "Trailer",
                                          "Transfer-Encoding",
                                          "Upgrade",
                                          "Content-Length",
                                          "Content-Encoding",
                                          "Content-Range",
                                          "Vary",
                                          NULL};

static int merge_skips(const char *name, const apr_table_t *fresh,
                       const apr_array_header_t *ignore)
{
    const char *conn = apr_table_get(fresh, "Connection");
    int i;

    for (i = 0; kept_fields[i] != NULL; i++) {
        if (strcasecmp(name, kept_fields[i]) == 0) {
            return 1;
        }
    }
    if (conn != NULL && relay_header_has_token(conn, name)) {
        return 1;
    }
    for (i = 0; ignore != NULL && i < ignore->nelts; i++) {
        if (strcasecmp(name, APR_ARRAY_IDX(ignore, i, const char *)) == 0) {
            return 1;
        }
    }
    return 0;
}

void relay_cache_merge_304(apr_table_t *stored, const apr_table_t *fresh,
                           const apr_array_header_t *ignore)
{
    const apr_array_header_t *arr = apr_table_elts(fresh);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    /* First drop every stored line a 304 field replaces, then add the 304's
     * lines, so a field sent on several lines keeps all of them. */
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key != NULL && !merge_skips(e[i].key, fresh, ignore)) {
            apr_table_unset(stored, e[i].key);
        }
    }
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key != NULL && e[i].val != NULL &&
            !merge_skips(e[i].key, fresh, ignore)) {
            apr_table_add(stored, e[i].key, e[i].val);
        }
    }
}

/* RFC 3986 §5.2.4: removes "." and ".." segments from an absolute path. */
static char *remove_dot_segments(apr_pool_t *pool, const char *in)
{
    apr_size_t len = strlen(in);
    char *out = apr_palloc(pool, len + 2);
    apr_size_t o = 0;
    const char *p = in;

    while (*p != '\0') {
        if (strncmp(p, "../", 3) == 0) {
            p += 3;
        }
        else if (strncmp(p, "./", 2) == 0) {
            p += 2;
        }
        else if (strncmp(p, "/./", 3) == 0) {
            p += 2;
        }
        else if (strcmp(p, "/.") == 0) {
            p = "/";
        }
        else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
            p = p[3] == '\0' ? "/" : p + 3;
            while (o > 0 && out[o - 1] != '/') {
                o--;
            }
            if (o > 0) {
                o--;
            }
        }
        else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
            break;
        }
        else {
            do {
                out[o++] = *p++;
            } while (*p != '\0' && *p != '/');
        }
    }
    out[o] = '\0';
    return out;
}

static apr_port_t port_of(const apr_uri_t *u)
{
    return u->port_str != NULL ? u->port : apr_uri_port_of_scheme(u->scheme);
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static int has_scheme(const char *ref)
{
    const char *p = ref;

    if (!apr_isalpha(*p)) {
        return 0;
    }
    while (apr_isalnum(*p) || *p == '+' || *p == '-' || *p == '.') {
        p++;
    }
    return *p == ':';
}

/*
 * Resolves `ref` (a Location or Content-Location value) against the
 * absolute `base` (RFC 3986 §5.2), and returns it when it has the same
 * origin, NULL otherwise.
 */
static const char *same_origin(apr_pool_t *pool, const apr_uri_t *base,
                               const char *ref)
{
    const char *hash = strchr(ref, '#');
    const char *origin, *path, *query, *abs;
    apr_uri_t u;

    if (hash != NULL) {
        ref = apr_pstrmemdup(pool, ref, (apr_size_t)(hash - ref));
    }
    origin = apr_pstrcat(pool, base->scheme, "://", base->hostinfo, NULL);
    if (strncmp(ref, "//", 2) == 0) {
        abs = apr_pstrcat(pool, base->scheme, ":", ref, NULL);
    }
    else if (has_scheme(ref)) {
        abs = ref;
    }
    else {
        const char *q = strchr(ref, '?');

        path =
            q != NULL ? apr_pstrmemdup(pool, ref, (apr_size_t)(q - ref)) : ref;
        query = q;
        if (*path == '\0') {
            path = base->path != NULL ? base->path : "/";
            if (query == NULL && base->query != NULL) {
                query = apr_pstrcat(pool, "?", base->query, NULL);
            }
        }
        else if (*path != '/') {
            const char *bp = base->path != NULL ? base->path : "/";
            const char *slash = strrchr(bp, '/');

            path = apr_pstrcat(
                pool, apr_pstrmemdup(pool, bp, (apr_size_t)(slash - bp + 1)),
                path, NULL);
        }
        abs = apr_pstrcat(pool, origin, remove_dot_segments(pool, path), query,
                          NULL);
    }
    if (apr_uri_parse(pool, abs, &u) != APR_SUCCESS || u.scheme == NULL ||
        u.hostname == NULL || strcasecmp(u.scheme, base->scheme) != 0 ||
        strcasecmp(u.hostname, base->hostname) != 0 ||
        port_of(&u) != port_of(base)) {
        return NULL;
    }
    return abs;
}

apr_array_header_t *relay_cache_invalidations(apr_pool_t *pool,
                                              const char *method, int status,
                                              const char *effective_uri,
                                              const apr_table_t *resp_headers)
{
    static const char *const safe[] = {"GET", "HEAD", "OPTIONS", "TRACE", NULL};
    static const char *const fields[] = {"Location", "Content-Location", NULL};
    apr_array_header_t *out = apr_array_make(pool, 3, sizeof(const char *));
    apr_uri_t base;
    int i;

    for (i = 0; safe[i] != NULL; i++) {
        if (strcmp(method, safe[i]) == 0) {
            return out;
        }
    }
    if (status < 200 || status > 399 || effective_uri == NULL) {
        return out;
    }
    APR_ARRAY_PUSH(out, const char *) = effective_uri;
    if (apr_uri_parse(pool, effective_uri, &base) != APR_SUCCESS ||
        base.scheme == NULL || base.hostname == NULL) {
        return out;
    }
    for (i = 0; fields[i] != NULL; i++) {
        const char *v = apr_table_get(resp_headers, fields[i]);
        const char *abs;
        int j, dup = 0;

        if (v == NULL || *v == '\0' ||
            (abs = same_origin(pool, &base, v)) == NULL) {
            continue;
        }
        for (j = 0; j < out->nelts && !dup; j++) {
            dup = strcmp(APR_ARRAY_IDX(out, j, const char *), abs) == 0;
        }
        if (!dup) {
            APR_ARRAY_PUSH(out, const char *) = abs;
        }
    }
    return out;
}
