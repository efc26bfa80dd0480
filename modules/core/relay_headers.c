/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Header rules a gateway applies between the two connections it joins
 * (RFC 9110 §7.6): the hop-by-hop fields end at Relay, the tokens of
 * list-valued fields are compared without case or whitespace, forwarding
 * fields grow as comma-separated lists, and nothing that could end a line
 * early reaches a message Relay writes.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_headers.h"

/* RFC 9110 §7.6.1: the fields that belong to one connection, removed by a
 * proxy whether or not Connection names them. Upgrade is handled apart. */
static const char *const hop_by_hop[] = {
    "Connection",        "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
    "Transfer-Encoding", NULL};

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int relay_header_list_next(const char **cursor, const char **elt, apr_size_t *n)
{
    const char *p = *cursor, *end;

    if (p == NULL) {
        return 0;
    }
    while (is_ows(*p)) {
        p++;
    }
    end = strchr(p, ',');
    *cursor = end != NULL ? end + 1 : NULL;
    if (end == NULL) {
        end = p + strlen(p);
    }
    while (end > p && is_ows(end[-1])) {
        end--;
    }
    *elt = p;
    *n = (apr_size_t)(end - p);
    return 1;
}

/*
 * All the values of the field `name` joined by ", " (RFC 9110 §5.3), or
 * NULL when it is absent. apr_table_getm() joins with a bare comma, which
 * is valid but not what forwarding fields conventionally look like.
 */
const unsigned char relay_header_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
    ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
    ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
    ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
    ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static const char *merged_value(apr_pool_t *pool, const apr_table_t *t,
                                const char *name)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key == NULL || !relay_header_name_is(e[i].key, name)) {
            continue;
        }
        out = out == NULL ? e[i].val
                          : apr_pstrcat(pool, out, ", ", e[i].val, NULL);
    }
    return out;
}

int relay_header_has_token(const char *value, const char *token)
{
    const char *cursor = value, *elt;
    apr_size_t n, tlen;

    if (value == NULL || token == NULL) {
        return 0;
    }
    tlen = strlen(token);
    while (relay_header_list_next(&cursor, &elt, &n)) {
        if (n == tlen && n > 0 && strncasecmp(elt, token, n) == 0) {
            return 1;
        }
    }
    return 0;
}

void relay_headers_strip_hop_by_hop(apr_table_t *headers, int keep_upgrade)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    apr_pool_t *pool = arr->pool;
    const char *conn, *cursor, *elt;
    apr_size_t n;
    int i;

    /* RFC 9110 §7.6.1: every field named in Connection is hop-by-hop too.
     * The lines are merged first, so removing fields cannot disturb the
     * list being walked. */
    conn = merged_value(pool, headers, "Connection");
    cursor = conn;
    while (conn != NULL && relay_header_list_next(&cursor, &elt, &n)) {
        if (n == 0) {
            continue;
        }
        if (keep_upgrade && n == 7 && strncasecmp(elt, "Upgrade", 7) == 0) {
            continue;
        }
        apr_table_unset(headers, apr_pstrmemdup(pool, elt, n));
    }
    for (i = 0; hop_by_hop[i] != NULL; i++) {
        apr_table_unset(headers, hop_by_hop[i]);
    }
    if (!keep_upgrade) {
        apr_table_unset(headers, "Upgrade");
    }
}

int relay_header_value_is_safe(const char *value)
{
    if (value == NULL) {
        return 0;
    }
    return strpbrk(value, "\r\n") == NULL;
}

int relay_header_name_is_token(const char *name)
{
    const char *p;

    if (name == NULL || *name == '\0') {
        return 0;
    }
    for (p = name; *p != '\0'; p++) {
        if (!relay_header_is_tchar((unsigned char)*p)) {
            return 0;
        }
    }
    return 1;
}

void relay_header_append(apr_table_t *headers, const char *name,
                         const char *value)
{
    apr_pool_t *pool = apr_table_elts(headers)->pool;
    const char *old = merged_value(pool, headers, name);
    const char *p;

    if (old != NULL) {
        for (p = old; is_ows(*p) || *p == ','; p++) {
        }
        if (*p != '\0') {
            /* RFC 9110 §5.3: field lines of one name combine into one
             * comma-separated value; setting it replaces them all. */
            apr_table_setn(headers, apr_pstrdup(pool, name),
                           apr_pstrcat(pool, old, ", ", value, NULL));
            return;
        }
    }
    apr_table_set(headers, name, value);
}
