/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_url.c: the re-encoding of a path the client
 * sent (decoded by httpd, so it may hold CR, LF, '?', '#' or any byte)
 * into the origin's request line, and ProxyPass prefix matching.
 *
 * Input: NUL-separated strings: a path, a ProxyPass prefix.
 * Besides crashes, the driver checks the promises of relay/relay_url.h:
 * every escaped form is safe on a request line; escaping a decoded path
 * and decoding it again gives the path back; the %2F-keeping form differs
 * only where the path held an encoded slash; the target form changes
 * nothing visible; a prefix match never runs past the path; a servlet
 * path (mapping=servlet) starts with '/', holds no "." or ".." segment and
 * is its own servlet path.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_url.h"
#include "relay_fuzz.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes every %XX (upper-case hex, as Relay writes it) of `s`; NULL when
 * a '%' is not followed by two such digits. */
static char *decode(apr_pool_t *pool, const char *s)
{
    char *out = apr_palloc(pool, strlen(s) + 1), *q = out;

    while (*s != '\0') {
        if (*s == '%') {
            int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);

            if (lo < 0) {
                return NULL;
            }
            *q++ = (char)(hi * 16 + lo);
            s += 3;
        }
        else {
            *q++ = *s++;
        }
    }
    *q = '\0';
    return out;
}

/* The visible-ASCII bytes of `s` in order: what escaping a target keeps. */
static char *visible(apr_pool_t *pool, const char *s)
{
    char *out = apr_palloc(pool, strlen(s) + 1), *q = out;

    for (; *s != '\0'; s++) {
        if ((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f) {
            *q++ = *s;
        }
    }
    *q = '\0';
    return out;
}

/* The %2F-keeping escape built from the plain one: the path cut at every
 * encoded slash, each piece escaped, the slashes put back as they were. */
static const char *keep_2f_reference(apr_pool_t *pool, const char *path)
{
    const char *out = "", *p = path;

    for (;;) {
        const char *at = p;

        while (*at != '\0' && !(at[0] == '%' && at[1] == '2' &&
                                (at[2] == 'F' || at[2] == 'f'))) {
            at++;
        }
        out = apr_pstrcat(
            pool, out,
            relay_url_escape_path(
                pool, apr_pstrmemdup(pool, p, (apr_size_t)(at - p))),
            NULL);
        if (*at == '\0') {
            return out;
        }
        out = apr_pstrcat(pool, out, apr_pstrmemdup(pool, at, 3), NULL);
        p = at + 3;
    }
}

static void check_path(apr_pool_t *pool, const char *path)
{
    const char *esc = relay_url_escape_path(pool, path);
    const char *keep = relay_url_escape_path_keep2f(pool, path);
    const char *back;

    relay_fuzz_check(esc != NULL && keep != NULL, "escaped");
    if (*path != '\0') {
        relay_fuzz_check(relay_url_target_is_safe(esc), "escaped path safe");
        relay_fuzz_check(relay_url_target_is_safe(keep), "keep2f path safe");
    }
    back = decode(pool, esc);
    relay_fuzz_check(back != NULL && strcmp(back, path) == 0,
                     "escaped path decodes to the path");
    relay_fuzz_check(strcmp(keep, keep_2f_reference(pool, path)) == 0,
                     "keep2f differs only at encoded slashes");
}

static void check_target(apr_pool_t *pool, const char *target)
{
    const char *esc = relay_url_escape_target(pool, target);

    relay_fuzz_check(esc != NULL, "escaped target");
    if (*target != '\0') {
        relay_fuzz_check(relay_url_target_is_safe(esc), "escaped target safe");
    }
    relay_fuzz_check(strcmp(visible(pool, esc), esc) == 0,
                     "escaped target all visible");
    relay_fuzz_check(relay_url_target_is_safe(target) == (esc == target) ||
                         *target == '\0',
                     "a safe target is left alone");
    relay_fuzz_check(
        strlen(esc) == strlen(target) +
                           2 * (strlen(target) - strlen(visible(pool, target))),
        "three bytes per escaped byte");
}

static void check_prefix(const char *prefix, const char *path)
{
    long n = relay_url_prefix_match(prefix, path);

    relay_fuzz_check(n >= -1 && n <= (long)strlen(path), "match in range");
    if (*prefix != '\0' && strcmp(prefix, path) == 0) {
        relay_fuzz_check(n == (long)strlen(path), "a path matches itself");
    }
    if (n >= 0 && *prefix != '\0' && prefix[strlen(prefix) - 1] != '/') {
        relay_fuzz_check(path[n] == '\0' || path[n] == '/',
                         "match ends on a segment boundary");
    }
}

static void check_servlet(apr_pool_t *pool, const char *raw)
{
    const char *path = relay_url_servlet_path(pool, raw);
    const char *p;

    if (path == NULL) {
        return;
    }
    relay_fuzz_check(path[0] == '/', "servlet path from the root");
    for (p = path; *p != '\0'; p++) {
        if (*p == '/') {
            size_t n = strcspn(p + 1, "/");
            relay_fuzz_check(!((n == 1 && p[1] == '.') ||
                               (n == 2 && p[1] == '.' && p[2] == '.')),
                             "no dot segment in a servlet path");
        }
    }
    /* Decoded bytes may spell ';' or '%' anew: stable only without them. */
    if (!strpbrk(path, ";%")) {
        const char *again = relay_url_servlet_path(pool, path);
        relay_fuzz_check(again != NULL && strcmp(again, path) == 0,
                         "a servlet path is its own servlet path");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    const char *path = relay_fuzz_string(&in, pool);
    const char *prefix = relay_fuzz_string(&in, pool);

    check_path(pool, path);
    check_target(pool, path);
    check_prefix(prefix, path);
    check_servlet(pool, path);
    return relay_fuzz_done();
}
