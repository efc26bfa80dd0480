/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * URL handling between the client's request and the origin's: ProxyPass
 * prefix matching, done as the stock mod_proxy does it so existing
 * configurations keep their meaning, and the re-encoding of a decoded path
 * into a request target that nothing the client sent can break out of.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_headers.h"
#include "relay/relay_url.h"

long relay_url_prefix_match(const char *prefix, const char *path)
{
    const char *a = prefix, *u = path;

    if (prefix == NULL || path == NULL) {
        return -1;
    }
    while (*a != '\0' && *u != '\0') {
        if (*a == '/') {
            /* Any run of slashes matches any run, but one is needed. */
            if (*u != '/') {
                return -1;
            }
            while (*a == '/') {
                a++;
            }
            while (*u == '/') {
                u++;
            }
        }
        else if (*a++ != *u++) {
            return -1;
        }
    }
    /* The path ran out before the prefix did: "/" against "/app". */
    if (*a != '\0') {
        return -1;
    }
    /* The prefix's last segment must cover a whole segment of the path:
     * "/app" maps "/app" and "/app/x" but not "/apple". */
    if (a != prefix && a[-1] != '/' && *u != '\0' && *u != '/') {
        return -1;
    }
    return (long)(u - path);
}

/* The length of an encoded byte `c` ("%2e" for '.') at `p`, or 0. */
static int encoded_as(const char *p, char c)
{
    static const char hex[] = "0123456789abcdef";

    return p[0] == '%' && p[1] == hex[(unsigned char)c >> 4] &&
                   (p[2] | 0x20) == hex[c & 0xf]
               ? 3
               : 0;
}

/* The length of a dot at `p` ('.' or "%2e"), or 0. */
static int dot_at(const char *p)
{
    return *p == '.' ? 1 : encoded_as(p, '.');
}

/* The length of a segment separator at `p` ('/' or "%2f"), or 0. */
static int slash_at(const char *p)
{
    return *p == '/' ? 1 : encoded_as(p, '/');
}

int relay_url_has_dot_segment(const char *path)
{
    const char *p = path;

    while (p != NULL && *p != '\0') {
        int dots = 0, n;

        while ((n = dot_at(p)) > 0) {
            dots++;
            p += n;
        }
        if ((dots == 1 || dots == 2) &&
            (*p == '\0' || *p == ';' || slash_at(p) > 0)) {
            return 1;
        }
        while (*p != '\0' && slash_at(p) == 0) {
            p++;
        }
        p += slash_at(p);
    }
    return 0;
}

/* Appends raw[0, len) decoded to out at *n; 0 on a bad, NUL or '/'
 * escape. */
static int decode_segment(const char *raw, apr_size_t len, char *out,
                          apr_size_t *n)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        int hi, lo;
        if (raw[i] != '%') {
            out[(*n)++] = raw[i];
            continue;
        }
        if (i + 2 >= len) {
            return 0;
        }
        hi = relay_hex_digit(raw[i + 1]);
        lo = relay_hex_digit(raw[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0) || (hi == 2 && lo == 15)) {
            return 0; /* bad, NUL or '/' */
        }
        out[(*n)++] = (char)(hi * 16 + lo);
        i += 2;
    }
    return 1;
}

const char *relay_url_servlet_path(apr_pool_t *pool, const char *raw)
{
    apr_size_t len = strlen(raw), n = 0;
    char *out = apr_palloc(pool, len + 2);
    const char *p = raw;

    if (*p != '/') {
        return NULL;
    }
    while (*p == '/') {
        const char *seg = p + 1, *end = seg + strcspn(seg, "/");
        apr_size_t keep = strcspn(seg, ";/"), start = n;

        out[n++] = '/';
        if (!decode_segment(seg, keep, out, &n)) {
            return NULL;
        }
        if (n - start == 2 && out[start + 1] == '.') {
            n = start; /* "." */
            if (!*end) {
                out[n++] = '/';
            }
        }
        else if (n - start == 3 && out[start + 1] == '.' &&
                 out[start + 2] == '.') {
            if (start == 0) {
                return NULL; /* above the root */
            }
            n = start;
            while (n > 0 && out[n - 1] != '/') {
                n--;
            }
            n = n > 0 ? n - 1 : 0;
            if (!*end) {
                out[n++] = '/';
            }
        }
        p = end;
    }
    if (n == 0) {
        out[n++] = '/';
    }
    out[n] = '\0';
    return out;
}

/* The bytes kept as they are, one table per escaping: RFC 3986 §3.3
 * pchar = unreserved / pct-encoded / sub-delims / ":" / "@", plus "/"
 * between segments (KEEP_PATH; '%' is not among them: the input is
 * decoded, so a '%' in it is a literal percent sign), and RFC 9112 §3.2's
 * visible ASCII of a request target (KEEP_TARGET). */
#define KEEP_PATH 1
#define KEEP_TARGET 2

/* For each byte, the escapings that keep it. */
static const unsigned char keep_table[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    0, 3, 2, 2, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x20 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 2, 2, /* 0x30 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x40 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 3, /* 0x50 */
    2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x60 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 3, 0, /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xA0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xB0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xC0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xD0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xE0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xF0 */
};

/* "%2F" or "%2f": an encoded slash that httpd left encoded. */
static int is_encoded_slash(const unsigned char *p)
{
    return p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f');
}

/* Copies `s` with every byte without the `keep` bit of keep_table written
 * as %XX; with `keep_2f`, an encoded slash is copied as it stands. */
static const char *escape(apr_pool_t *pool, const char *s, unsigned char keep,
                          int keep_2f)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *bits = keep_table;
    const unsigned char *p;
    apr_size_t n = 0;
    char *out, *q;

    if (s == NULL) {
        return NULL;
    }
    /* The common case: nothing to encode, found in one pass. */
    for (p = (const unsigned char *)s; bits[*p] & keep; p++) {
    }
    if (*p == '\0') {
        return s;
    }
    n = (apr_size_t)(p - (const unsigned char *)s);
    for (; *p != '\0'; p++) {
        if (keep_2f && is_encoded_slash(p)) {
            n += 3;
            p += 2;
        }
        else {
            n += (bits[*p] & keep) ? 1 : 3;
        }
    }
    if (n == (apr_size_t)(p - (const unsigned char *)s)) {
        return s; /* nothing to encode */
    }
    out = apr_palloc(pool, n + 1);
    q = out;
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (keep_2f && is_encoded_slash(p)) {
            *q++ = (char)*p++;
            *q++ = (char)*p++;
            *q++ = (char)*p;
        }
        else if (bits[*p] & keep) {
            *q++ = (char)*p;
        }
        else {
            *q++ = '%';
            *q++ = hex[*p >> 4];
            *q++ = hex[*p & 0x0f];
        }
    }
    *q = '\0';
    return out;
}

const char *relay_url_escape_path(apr_pool_t *pool, const char *path)
{
    return escape(pool, path, KEEP_PATH, 0);
}

const char *relay_url_escape_path_keep2f(apr_pool_t *pool, const char *path)
{
    return escape(pool, path, KEEP_PATH, 1);
}

const char *relay_url_escape_target(apr_pool_t *pool, const char *target)
{
    return escape(pool, target, KEEP_TARGET, 0);
}

int relay_url_target_is_safe(const char *target)
{
    const unsigned char *p;

    if (target == NULL || *target == '\0') {
        return 0;
    }
    /* RFC 9112 §3.2: the request target is visible ASCII only; anything
     * else could split or smuggle a request line. */
    for (p = (const unsigned char *)target; *p != '\0'; p++) {
        if (!(keep_table[*p] & KEEP_TARGET)) {
            return 0;
        }
    }
    return 1;
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static int is_scheme_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

int relay_url_split_origin(const char *url, relay_url_origin_t *o)
{
    const char *p = url, *host, *colon, *end;
    long port = -1;

    if (url == NULL ||
        !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
        return 0;
    }
    while (is_scheme_char((unsigned char)*p)) {
        p++;
    }
    if (p[0] != ':' || p[1] != '/' || p[2] != '/') {
        return 0;
    }
    o->scheme = url;
    o->scheme_len = (apr_size_t)(p - url);
    host = p + 3;
    end = host + strcspn(host, "/?#@[");
    if (*end == '@' || *end == '[') {
        return 0; /* userinfo or an IP literal: the full parser's */
    }
    colon = memchr(host, ':', (apr_size_t)(end - host));
    if (colon != NULL) {
        const char *d = colon + 1;
        if (d == end || end - d > 5) {
            return 0;
        }
        for (port = 0; d < end; d++) {
            if (*d < '0' || *d > '9') {
                return 0;
            }
            port = port * 10 + (*d - '0');
        }
        if (port > 65535) {
            return 0;
        }
    }
    o->host = host;
    o->host_len = (apr_size_t)((colon != NULL ? colon : end) - host);
    if (o->host_len == 0) {
        return 0;
    }
    o->port = (int)port;
    o->target = end;
    o->target_len = strcspn(end, "#");
    return 1;
}
