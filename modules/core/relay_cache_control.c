/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Cache-Control and Pragma: the fields every cache decision starts from
 * (HTTP-date is relay_http_date.c). The parser walks a value once,
 * honouring quoted strings (a comma inside no-cache="a, b" does not end
 * the directive), and turns whatever it cannot read into the conservative
 * reading RFC 9111 §4.2.1 suggests instead of failing.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "relay/relay_cache_control.h"
#include "relay/relay_headers.h"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

void relay_cache_control_init(relay_cache_control_t *cc)
{
    memset(cc, 0, sizeof(*cc));
    cc->max_age = RELAY_CC_UNSET;
    cc->s_maxage = RELAY_CC_UNSET;
    cc->max_stale = RELAY_CC_UNSET;
    cc->min_fresh = RELAY_CC_UNSET;
    cc->stale_while_revalidate = RELAY_CC_UNSET;
    cc->stale_if_error = RELAY_CC_UNSET;
}

/*
 * delta-seconds = 1*DIGIT (RFC 9111 §1.2.2). Returns the value, clamped
 * to 2^31, or -1 when arg[0, n) is not a non-empty run of digits.
 */
static apr_int64_t parse_delta(const char *arg, apr_size_t n)
{
    apr_int64_t v = 0;
    apr_size_t i;

    if (n == 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (arg[i] < '0' || arg[i] > '9') {
            return -1;
        }
        if (v < RELAY_CC_DELTA_MAX) {
            v = v * 10 + (arg[i] - '0');
        }
    }
    return v > RELAY_CC_DELTA_MAX ? RELAY_CC_DELTA_MAX : v;
}

/* Keeps the smaller of two values, either of which may be unset. */
static void keep_min(apr_int64_t *slot, apr_int64_t v)
{
    if (*slot == RELAY_CC_UNSET || v < *slot) {
        *slot = v;
    }
}

/*
 * Adds the field names of a qualified no-cache or private, arg[0, n)
 * already unquoted, lower-cased, to the ", "-joined list *list. The new
 * list is built in one allocation, so many directives cost linear space.
 */
static void add_fields(apr_pool_t *pool, const char **list, const char *arg,
                       apr_size_t n)
{
    apr_size_t old = *list != NULL ? strlen(*list) : 0, len, i;
    char *out = apr_palloc(pool, old + 2 * n + 3), *o = out;
    const char *cursor = apr_pstrmemdup(pool, arg, n), *elt;

    if (old > 0) {
        memcpy(o, *list, old);
        o += old;
    }
    while (relay_header_list_next(&cursor, &elt, &len)) {
        if (len == 0) {
            continue;
        }
        if (o > out) {
            *o++ = ',';
            *o++ = ' ';
        }
        for (i = 0; i < len; i++) {
            *o++ = (char)apr_tolower((unsigned char)elt[i]);
        }
    }
    *o = '\0';
    if (o > out + old) {
        *list = out;
    }
}

/* Records one directive; `arg` is NULL when it had no "=". */
static void apply(relay_cache_control_t *cc, apr_pool_t *pool, const char *name,
                  apr_size_t nlen, const char *arg, apr_size_t alen)
{
    apr_int64_t v = arg != NULL ? parse_delta(arg, alen) : -1;

#define IS(s) (nlen == sizeof(s) - 1 && strncasecmp(name, s, nlen) == 0)
    if (IS("max-age") || IS("s-maxage")) {
        apr_int64_t *slot = IS("max-age") ? &cc->max_age : &cc->s_maxage;

        if (v < 0) {
            /* §4.2.1: invalid freshness information means stale. */
            cc->invalid++;
            v = 0;
        }
        keep_min(slot, v);
    }
    else if (IS("max-stale")) {
        if (arg == NULL) {
            keep_min(&cc->max_stale, RELAY_CC_DELTA_MAX);
        }
        else if (v < 0) {
            cc->invalid++;
        }
        else {
            keep_min(&cc->max_stale, v);
        }
    }
    else if (IS("min-fresh")) {
        if (v < 0) {
            cc->invalid++;
        }
        else if (cc->min_fresh == RELAY_CC_UNSET || v > cc->min_fresh) {
            cc->min_fresh = v;
        }
    }
    else if (IS("stale-while-revalidate") || IS("stale-if-error")) {
        if (v < 0) {
            cc->invalid++;
        }
        else {
            keep_min(IS("stale-if-error") ? &cc->stale_if_error
                                          : &cc->stale_while_revalidate,
                     v);
        }
    }
    else if (IS("no-cache") || IS("private")) {
        int is_private = IS("private");
        const char *before =
            is_private ? cc->private_fields : cc->no_cache_fields;
        const char *after = before;

        if (arg != NULL) {
            add_fields(pool, &after, arg, alen);
        }
        if (after == before) {
            /* Unqualified, or a qualified form naming nothing: the whole
             * response is meant, which is the safe reading. */
            if (is_private) {
                cc->private_ = 1;
            }
            else {
                cc->no_cache = 1;
            }
        }
        else if (is_private) {
            cc->private_fields = after;
        }
        else {
            cc->no_cache_fields = after;
        }
    }
    else if (IS("no-store")) {
        cc->no_store = 1;
    }
    else if (IS("public")) {
        cc->public_ = 1;
    }
    else if (IS("must-revalidate")) {
        cc->must_revalidate = 1;
    }
    else if (IS("proxy-revalidate")) {
        cc->proxy_revalidate = 1;
    }
    else if (IS("only-if-cached")) {
        cc->only_if_cached = 1;
    }
    else if (IS("no-transform")) {
        cc->no_transform = 1;
    }
    else if (IS("immutable")) {
        cc->immutable = 1;
    }
    else if (IS("must-understand")) {
        cc->must_understand = 1;
    }
#undef IS
}

/* Moves *i past the next comma that is outside a quoted string. */
static void skip_element(const char *s, apr_size_t len, apr_size_t *i)
{
    int quoted = 0;

    while (*i < len) {
        char c = s[*i];

        (*i)++;
        if (quoted && c == '\\' && *i < len) {
            (*i)++;
        }
        else if (c == '"') {
            quoted = !quoted;
        }
        else if (c == ',' && !quoted) {
            return;
        }
    }
}

void relay_cache_control_parse(relay_cache_control_t *cc, apr_pool_t *pool,
                               const char *s, apr_size_t len)
{
    apr_size_t i = 0;

    cc->present = 1;
    while (i < len) {
        apr_size_t name_off, name_len, arg_len = 0;
        const char *arg = NULL;

        while (i < len && (is_ows(s[i]) || s[i] == ',')) {
            i++;
        }
        if (i == len) {
            break;
        }
        name_off = i;
        while (i < len && relay_header_is_tchar((unsigned char)s[i])) {
            i++;
        }
        name_len = i - name_off;
        while (i < len && is_ows(s[i])) {
            i++;
        }
        if (name_len > 0 && i < len && s[i] == '=') {
            i++;
            while (i < len && is_ows(s[i])) {
                i++;
            }
            if (i < len && s[i] == '"') {
                /* quoted-string: find its end, then copy it without the
                 * quotes and escapes into a buffer of just that size. */
                apr_size_t j = i + 1;
                char *buf;

                while (j < len && s[j] != '"') {
                    j += s[j] == '\\' && j + 1 < len ? 2 : 1;
                }
                if (j >= len) {
                    cc->invalid++;
                    return;
                }
                buf = apr_palloc(pool, j - i);
                for (i++; i < j; i++) {
                    if (s[i] == '\\') {
                        i++;
                    }
                    buf[arg_len++] = s[i];
                }
                i = j + 1;
                arg = buf;
            }
            else {
                arg = s + i;
                while (i < len && relay_header_is_tchar((unsigned char)s[i])) {
                    i++;
                }
                arg_len = (apr_size_t)(s + i - arg);
            }
            while (i < len && is_ows(s[i])) {
                i++;
            }
        }
        if (name_len == 0 || (i < len && s[i] != ',')) {
            cc->invalid++;
            skip_element(s, len, &i);
            continue;
        }
        apply(cc, pool, s + name_off, name_len, arg, arg_len);
    }
}

void relay_cache_control_read(relay_cache_control_t *cc, apr_pool_t *pool,
                              const apr_table_t *headers)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    relay_cache_control_init(cc);
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key == NULL || e[i].val == NULL) {
            continue;
        }
        if (relay_header_name_is(e[i].key, "Cache-Control")) {
            relay_cache_control_parse(cc, pool, e[i].val, strlen(e[i].val));
        }
        else if (relay_header_name_is(e[i].key, "Pragma") &&
                 relay_header_has_token(e[i].val, "no-cache")) {
            cc->pragma_no_cache = 1;
        }
    }
}

int relay_cache_control_request_no_cache(const relay_cache_control_t *cc)
{
    return cc->no_cache || cc->max_age == 0 ||
           (cc->pragma_no_cache && !cc->present);
}
