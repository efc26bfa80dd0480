/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_url.c: ProxyPass prefix matching as the stock module
 * does it, path escaping, and the request-target check.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_uri.h>

#include "relay/relay_url.h"
#include "relay_test.h"

typedef struct prefix_case_t {
    const char *prefix;
    const char *path;
    long expect;
} prefix_case_t;

static const prefix_case_t prefix_cases[] = {
    {"/app", "/app/x", 4},   {"/app", "/apple", -1},
    {"/app", "/app;x", -1},  {"/a/b", "/a/bc/d", -1},
    {"/app/", "/apple", -1}, {"/app", "/app.html", -1},
    {"/app", "/app", 4},     {"/app/", "/app/x", 5},
    {"/app/", "/app", -1},   {"/app/", "/app//x", 6},
    {"/app//", "/app/x", 5}, {"//app", "/app/x", 4},
    {"/app", "//app/x", 5},  {"/a/b", "/a///b/c", 6},
    {"/", "/", 1},           {"/", "/anything", 1},
    {"/", "///x", 3},        {"/", "", -1},
    {"", "/x", 0},           {"", "", 0},
    {"/app", "/App/x", -1},  {"/app", "/ap", -1},
    {"/app", "/", -1},       {"/a/b", "/ab", -1},
    {"/app", "x/app", -1},   {NULL, "/x", -1},
    {"/x", NULL, -1},
};

typedef struct escape_case_t {
    const char *desc;
    const char *in;
    const char *expect;
} escape_case_t;

static const escape_case_t escape_cases[] = {
    {"plain path", "/a/b.c", "/a/b.c"},
    {"unreserved and sub-delims kept", "/-._~!$&'()*+,;=:@",
     "/-._~!$&'()*+,;=:@"},
    {"percent", "/100%", "/100%25"},
    {"question mark", "/a?b=c", "/a%3Fb=c"},
    {"hash", "/a#frag", "/a%23frag"},
    {"space", "/a b", "/a%20b"},
    {"CR LF", "/a\r\nX-Injected: 1", "/a%0D%0AX-Injected:%201"},
    {"tab and other controls", "/\t\x01\x7f", "/%09%01%7F"},
    {"non-ASCII bytes", "/caf\xc3\xa9", "/caf%C3%A9"},
    {"high byte", "/\xff", "/%FF"},
    {"quote, angle brackets, backslash", "/\"<>\\^`{|}[]",
     "/%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D"},
    {"empty", "", ""},
};

/* relay_url_escape_path_keep2f: encoded slashes stay, the rest as above. */
static const escape_case_t keep2f_cases[] = {
    {"encoded slash kept", "/a%2Fb", "/a%2Fb"},
    {"lower-case encoded slash kept", "/a%2fb", "/a%2fb"},
    {"other escapes encoded", "/a%2Eb%25", "/a%252Eb%2525"},
    {"cut escape at the end", "/a%2", "/a%252"},
    {"lone percent at the end", "/a%", "/a%25"},
    {"encoded slash at the start and end", "%2F/x%2F", "%2F/x%2F"},
    {"controls still encoded", "/%2F\r\n", "/%2F%0D%0A"},
    {"question mark and hash still encoded", "/%2F?#", "/%2F%3F%23"},
    {"plain path", "/a/b", "/a/b"},
};

typedef struct safe_case_t {
    const char *in;
    int expect;
} safe_case_t;

static const safe_case_t safe_cases[] = {
    {"/a/b?c=d&e=%20", 1},
    {"http://origin/x", 1},
    {"*", 1},
    {"/~!$&'()*+,;=:@[]", 1},
    {"", 0},
    {"/a b", 0},
    {"/a\tb", 0},
    {"/a\r\n", 0},
    {"/a\nGET / HTTP/1.1", 0},
    {"/\x7f", 0},
    {"/caf\xc3\xa9", 0},
    {NULL, 0},
};

/* relay_url_servlet_path: a raw path and its servlet mapping (NULL: none). */
typedef struct servlet_case_t {
    const char *raw;
    const char *expect;
} servlet_case_t;

static const servlet_case_t servlet_cases[] = {
    {"/app/x", "/app/x"},
    {"/app/x/..;/admin/y", "/app/admin/y"},
    {"/a;jsessionid=1/b;x=2", "/a/b"},
    {"/a/b/../c", "/a/c"},
    {"/a/./b", "/a/b"},
    {"/a/b/..", "/a/"},
    {"/a/.", "/a/"},
    {"/a/%2e%2e/b", "/b"},
    {"/a/%41", "/a/A"},
    {"/a%3Bb/c", "/a;b/c"},
    {"//a", "//a"},
    {"/", "/"},
    {"/..", NULL},
    {"/a/../..", NULL},
    {"/a/%2Fb", NULL},
    {"/a/%2fb", NULL},
    {"/a/%00", NULL},
    {"/a/%zz", NULL},
    {"/a/%4", NULL},
    {"relative", NULL},
};

/* relay_url_has_dot_segment: a raw path and whether it has one. */
typedef struct dot_case_t {
    const char *path;
    int expect;
} dot_case_t;

static const dot_case_t dot_cases[] = {
    {"/public/x", 0},
    {"/public/../admin", 1},
    {"/public/..", 1},
    {"/public/./x", 1},
    {"/public/.", 1},
    {"/public/%2e%2e/admin", 1},
    {"/public/%2E%2E/admin", 1},
    {"/public/.%2e/admin", 1},
    {"/public/%2e./admin", 1},
    {"/public/..%2fadmin", 1},
    {"/public/..%2Fadmin", 1},
    {"/public/%2e%2e%2fadmin", 1},
    {"/public/..;jsessionid=1/admin", 1},
    {"/public/%2e%2e;x/admin", 1},
    {"..", 1},
    {"/...", 0},
    {"/..x/y", 0},
    {"/x../y", 0},
    {"/a.b/c", 0},
    {"/%2e%2e%2e/x", 0},
    {"/%2g/..x", 0},
    {"/.hidden", 0},
    {"/x;..", 0},
    {"", 0},
    {"/%2", 0},
    {"/%", 0},
};

/* relay_url_split_origin: NULL where the full parser is left the URL. */
typedef struct origin_case_t {
    const char *url;
    int split;
} origin_case_t;

static const origin_case_t origin_cases[] = {
    {"ajp://127.0.0.1:8009/hello.jsp", 1},
    {"http://host", 1},
    {"http://host/", 1},
    {"http://host?q", 1},
    {"http://host#f", 1},
    {"http://host:80/a/b?x=1&y#frag", 1},
    {"HTTP://Host:65535/", 1},
    {"fcgi://localhost/var/www/x.php", 1},
    {"balancer://cluster/app/", 1},
    {"h.t+t-p://host/", 1},
    {"http://host:/", 0},
    {"http://host:65536/", 0},
    {"http://host:123456/", 0},
    {"http://host:8a/", 0},
    {"http://host:+80/", 0},
    {"http://user@host/", 0},
    {"http://[::1]:80/", 0},
    {"http:///path", 0},
    {"http://:80/", 0},
    {"http:/host/", 0},
    {"http:host", 0},
    {"1http://host/", 0},
    {"://host/", 0},
    {"/just/a/path", 0},
    {"", 0},
};

/* Whether the split agrees with apr_uri_parse() on the URL. */
static int same_as_apr(apr_pool_t *pool, const char *url,
                       const relay_url_origin_t *o)
{
    apr_uri_t uri;
    const char *target;

    if (apr_uri_parse(pool, url, &uri) != APR_SUCCESS || !uri.scheme ||
        !uri.hostname) {
        return 0;
    }
    target = apr_pstrcat(pool, uri.path ? uri.path : "", uri.query ? "?" : "",
                         uri.query ? uri.query : "", NULL);
    return strlen(uri.scheme) == o->scheme_len &&
           !strncmp(uri.scheme, o->scheme, o->scheme_len) &&
           strlen(uri.hostname) == o->host_len &&
           !strncmp(uri.hostname, o->host, o->host_len) &&
           (o->port < 0 ? uri.port_str == NULL
                        : uri.port_str != NULL && uri.port == o->port) &&
           strlen(target) == o->target_len &&
           !strncmp(target, o->target, o->target_len);
}

static void test_split_origin(apr_pool_t *pool)
{
    static const char base[] = "ajp://h:80/a?b#c";
    char url[sizeof(base)];
    relay_url_origin_t o;
    int i, c, ok = 1;

    for (i = 0; i < RELAY_TEST_COUNT(origin_cases); i++) {
        const origin_case_t *t = &origin_cases[i];
        int split = relay_url_split_origin(t->url, &o);
        relay_test_ok(split == t->split &&
                          (!split || same_as_apr(pool, t->url, &o)),
                      "split_origin: \"%s\"", t->url);
    }
    /* Every byte at every place of a URL: whatever is split is split as
     * apr_uri_parse() does it. */
    for (i = 0; i < (int)sizeof(base) - 1; i++) {
        for (c = 1; c < 256; c++) {
            memcpy(url, base, sizeof(base));
            url[i] = (char)c;
            if (relay_url_split_origin(url, &o) &&
                !same_as_apr(pool, url, &o)) {
                relay_test_diag("differs from apr_uri_parse: \"%s\"",
                                relay_test_quote(pool, url, strlen(url)));
                ok = 0;
            }
        }
    }
    relay_test_ok(ok, "split_origin: every byte at every place");
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(prefix_cases); i++) {
        const prefix_case_t *c = &prefix_cases[i];
        long got = relay_url_prefix_match(c->prefix, c->path);

        if (!relay_test_ok(got == c->expect, "prefix_match: \"%s\" on \"%s\"",
                           c->prefix != NULL ? c->prefix : "(null)",
                           c->path != NULL ? c->path : "(null)")) {
            relay_test_diag("got %ld, want %ld", got, c->expect);
        }
    }
    for (i = 0; i < RELAY_TEST_COUNT(dot_cases); i++) {
        const dot_case_t *c = &dot_cases[i];

        relay_test_ok(relay_url_has_dot_segment(c->path) == c->expect,
                      "has_dot_segment: \"%s\" is %d", c->path, c->expect);
    }
    for (i = 0; i < RELAY_TEST_COUNT(servlet_cases); i++) {
        const servlet_case_t *c = &servlet_cases[i];
        const char *got = relay_url_servlet_path(pool, c->raw);
        int ok = c->expect ? got && !strcmp(got, c->expect) : got == NULL;

        if (!relay_test_ok(ok, "servlet_path: \"%s\"", c->raw)) {
            relay_test_diag("got \"%s\"", got ? got : "(null)");
        }
    }
    for (i = 0; i < RELAY_TEST_COUNT(escape_cases); i++) {
        const escape_case_t *c = &escape_cases[i];
        const char *got = relay_url_escape_path(pool, c->in);
        int ok = got != NULL && strcmp(got, c->expect) == 0 &&
                 relay_url_target_is_safe(*got != '\0' ? got : "/");

        if (!relay_test_ok(ok, "escape_path: %s", c->desc)) {
            relay_test_diag("got \"%s\"", got != NULL ? got : "(null)");
        }
    }
    {
        /* Every byte value: the output is always a safe target. */
        char in[256];
        const char *got;
        int b;

        for (b = 1; b < 256; b++) {
            in[b - 1] = (char)b;
        }
        in[255] = '\0';
        got = relay_url_escape_path(pool, in);
        relay_test_ok(got != NULL && relay_url_target_is_safe(got) &&
                          strpbrk(got, "\r\n ") == NULL &&
                          strlen(got) == 255 + 2 * (255 - 80),
                      "escape_path: every byte value comes out safe");
    }
    relay_test_ok(relay_url_escape_path(pool, NULL) == NULL,
                  "escape_path: NULL");
    for (i = 0; i < RELAY_TEST_COUNT(keep2f_cases); i++) {
        const escape_case_t *c = &keep2f_cases[i];
        const char *got = relay_url_escape_path_keep2f(pool, c->in);
        int ok = got != NULL && strcmp(got, c->expect) == 0 &&
                 relay_url_target_is_safe(*got != '\0' ? got : "/");

        if (!relay_test_ok(ok, "escape_path_keep2f: %s", c->desc)) {
            relay_test_diag("got \"%s\"", got != NULL ? got : "(null)");
        }
    }
    {
        /* Split at every byte: a cut "%2F" is never kept whole, and the
         * two halves encode as the whole does when no escape is cut. */
        const char *in = "/a%2Fb%2fc";
        char head[16];
        apr_size_t k, len = strlen(in);
        int ok = 1;

        for (k = 0; k <= len; k++) {
            /* Splits at 3, 4, 7 and 8 cut an escape in two. */
            int cuts = k == 3 || k == 4 || k == 7 || k == 8;
            const char *a, *b, *whole;
            memcpy(head, in, k);
            head[k] = '\0';
            a = relay_url_escape_path_keep2f(pool, head);
            b = relay_url_escape_path_keep2f(pool, in + k);
            whole = relay_url_escape_path_keep2f(pool, in);
            if (!relay_url_target_is_safe(*a ? a : "/") ||
                !relay_url_target_is_safe(*b ? b : "/") ||
                (!cuts && strcmp(apr_pstrcat(pool, a, b, NULL), whole))) {
                ok = 0;
                relay_test_diag("split at %lu: \"%s\" + \"%s\"",
                                (unsigned long)k, a, b);
            }
        }
        relay_test_ok(ok, "escape_path_keep2f: split at every byte");
    }
    relay_test_ok(relay_url_escape_path_keep2f(pool, NULL) == NULL,
                  "escape_path_keep2f: NULL");
    for (i = 0; i < RELAY_TEST_COUNT(safe_cases); i++) {
        const safe_case_t *c = &safe_cases[i];

        relay_test_ok(
            relay_url_target_is_safe(c->in) == c->expect, "target_is_safe: %s",
            c->in != NULL ? relay_test_quote(pool, c->in, strlen(c->in))
                          : "NULL");
    }
    test_split_origin(pool);
    return relay_test_done();
}
