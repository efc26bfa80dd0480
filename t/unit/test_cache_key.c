/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_key.c: primary keys from parts and from URLs
 * under every option, base URL checks, and Vary secondary keys: field
 * normalisation, sorting, absent versus empty, Vary: *, escaping, and
 * matching a stored variant.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_cache_key.h"
#include "relay_test.h"

typedef struct key_case_t {
    const char *desc;
    const char *base_url;
    int ignore_query;
    const char *ids; /* comma-separated session identifiers, or NULL */
    int use_base;
    const char *scheme, *host;
    int port;
    const char *path, *query;
    const char *expect; /* NULL: no key */
} key_case_t;

static const key_case_t key_cases[] = {
    {"plain", NULL, 0, NULL, 0, "http", "example.com", 80, "/a", NULL,
     "http://example.com:80/a"},
    {"default port spelled out", NULL, 0, NULL, 0, "http", "example.com", 0,
     "/a", NULL, "http://example.com:80/a"},
    {"https default port", NULL, 0, NULL, 0, "https", "example.com", 0, "/",
     NULL, "https://example.com:443/"},
    {"other port", NULL, 0, NULL, 0, "http", "example.com", 8080, "/", NULL,
     "http://example.com:8080/"},
    {"case of scheme and host", NULL, 0, NULL, 0, "HTTP", "ExAmple.COM", 80,
     "/A", NULL, "http://example.com:80/A"},
    {"empty path", NULL, 0, NULL, 0, "http", "h", 80, "", NULL, "http://h:80/"},
    {"NULL path", NULL, 0, NULL, 0, "http", "h", 80, NULL, NULL,
     "http://h:80/"},
    {"query", NULL, 0, NULL, 0, "http", "h", 80, "/p", "b=2&a=1",
     "http://h:80/p?b=2&a=1"},
    {"empty query", NULL, 0, NULL, 0, "http", "h", 80, "/p", "",
     "http://h:80/p"},
    {"query ignored", NULL, 1, NULL, 0, "http", "h", 80, "/p", "a=1",
     "http://h:80/p"},
    {"escapes upper-cased, unreserved decoded", NULL, 0, NULL, 0, "http", "h",
     80, "/a%2fb%7Ec%41%zz%", "x=%3d%2D", "http://h:80/a%2Fb~cA%zz%?x=%3D-"},
    {"IPv6 literal", NULL, 0, NULL, 0, "http", "::1", 80, "/", NULL,
     "http://[::1]:80/"},
    {"IPv6 literal in brackets", NULL, 0, NULL, 0, "http", "[::1]", 80, "/",
     NULL, "http://[::1]:80/"},
    {"unknown scheme without port", NULL, 0, NULL, 0, "x-foo", "h", 0, "/",
     NULL, "x-foo://h/"},
    {"no host", NULL, 0, NULL, 0, "http", "", 80, "/", NULL, NULL},
    {"no scheme", NULL, 0, NULL, 0, NULL, "h", 80, "/", NULL, NULL},
    {"bad port", NULL, 0, NULL, 0, "http", "h", 70000, "/", NULL, NULL},
    /* CacheKeyBaseURL. */
    {"base URL", "https://www.example.com", 0, NULL, 1, "http", "backend", 8080,
     "/p", "q", "https://www.example.com:443/p?q"},
    {"base URL with port and path", "http://Cache.Example:81/ignored", 0, NULL,
     1, "http", "other", 80, "/p", NULL, "http://cache.example:81/p"},
    {"base URL not for forward proxy", "http://base", 0, NULL, 0, "http",
     "fwd.example", 80, "/p", NULL, "http://fwd.example:80/p"},
    {"invalid base URL", "not a url", 0, NULL, 1, "http", "h", 80, "/p", NULL,
     NULL},
    /* CacheIgnoreURLSessionIdentifiers. */
    {"jsessionid path parameter", NULL, 0, "jsessionid", 0, "http", "h", 80,
     "/app/page;jsessionid=ABC123", NULL, "http://h:80/app/page"},
    {"jsessionid followed by another parameter", NULL, 0, "jsessionid", 0,
     "http", "h", 80, "/page;jsessionid=ABC;v=2", NULL, "http://h:80/page;v=2"},
    {"jsessionid in a middle segment", NULL, 0, "jsessionid", 0, "http", "h",
     80, "/a;jsessionid=1/b", NULL, "http://h:80/a/b"},
    {"session id in the query", NULL, 0, "sid", 0, "http", "h", 80, "/p",
     "a=1&sid=XYZ&b=2", "http://h:80/p?a=1&b=2"},
    {"session id only argument", NULL, 0, "sid", 0, "http", "h", 80, "/p",
     "sid=XYZ", "http://h:80/p"},
    {"session id prefix of another name", NULL, 0, "sid", 0, "http", "h", 80,
     "/p", "sidx=1&xsid=2", "http://h:80/p?sidx=1&xsid=2"},
    {"several identifiers, several places", NULL, 0, "jsessionid,sid", 0,
     "http", "h", 80, "/p;jsessionid=1", "sid=2&k=v&sid=3",
     "http://h:80/p?k=v"},
    {"identifiers match with case", NULL, 0, "jsessionid", 0, "http", "h", 80,
     "/p;JSESSIONID=1", NULL, "http://h:80/p;JSESSIONID=1"},
};

static relay_cache_key_options_t options(apr_pool_t *pool, const char *base,
                                         int ignore_query, const char *ids)
{
    relay_cache_key_options_t o;

    o.base_url = base;
    o.ignore_query = ignore_query;
    o.session_ids = NULL;
    if (ids != NULL) {
        apr_array_header_t *a = apr_array_make(pool, 2, sizeof(const char *));
        char *copy = apr_pstrdup(pool, ids), *tok, *state;

        for (tok = apr_strtok(copy, ",", &state); tok != NULL;
             tok = apr_strtok(NULL, ",", &state)) {
            APR_ARRAY_PUSH(a, const char *) = tok;
        }
        o.session_ids = a;
    }
    return o;
}

static int same(const char *got, const char *want)
{
    if (got == NULL || want == NULL) {
        return got == want;
    }
    return strcmp(got, want) == 0;
}

static int run_key_case(const key_case_t *c, apr_pool_t *pool)
{
    relay_cache_key_options_t o =
        options(pool, c->base_url, c->ignore_query, c->ids);
    const char *got = relay_cache_key_make(pool, &o, c->use_base, c->scheme,
                                           c->host, c->port, c->path, c->query);

    if (!same(got, c->expect)) {
        relay_test_diag("got %s", got ? got : "NULL");
        return 0;
    }
    return 1;
}

typedef struct url_case_t {
    const char *url;
    const char *expect;
} url_case_t;

static const url_case_t url_cases[] = {
    {"http://Example.com/a?b", "http://example.com:80/a?b"},
    {"http://example.com:80/a", "http://example.com:80/a"},
    {"https://example.com:8443", "https://example.com:8443/"},
    {"http://example.com/a#frag", "http://example.com:80/a"},
    {"http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"},
    {"/relative", NULL},
    {"http:///nohost", NULL},
    {"", NULL},
};

typedef struct vary_case_t {
    const char *desc;
    const char *vary;
    const char *req;
    const char *expect; /* the key with "\n" shown as "|"; NULL for "*" */
} vary_case_t;

static const vary_case_t vary_cases[] = {
    {"no Vary", NULL, "Accept: x", ""},
    {"empty Vary", "", "Accept: x", ""},
    {"one field", "Accept-Encoding", "Accept-Encoding: gzip",
     "accept-encoding=gzip"},
    {"names sorted and lower-cased", "User-Agent, Accept",
     "Accept: a|User-Agent: u", "accept=a|user-agent=u"},
    {"repeated names once", "Accept, accept,ACCEPT", "Accept: a", "accept=a"},
    {"absent field", "Accept-Language", "", "accept-language"},
    {"empty field", "Accept-Language", "Accept-Language: ", "accept-language="},
    {"list values normalised", "Accept-Encoding",
     "Accept-Encoding: gzip ,br,,\tdeflate ",
     "accept-encoding=gzip, br, deflate"},
    {"several lines combined", "Accept-Encoding",
     "Accept-Encoding: gzip|accept-encoding: br", "accept-encoding=gzip, br"},
    {"Vary: *", "*", "", NULL},
    {"Vary: * among names", "Accept, *", "", NULL},
    {"invalid names skipped", "Acc ept, (x), Accept", "Accept: a", "accept=a"},
    {"escaping keeps variants apart", "X", "X: a%0Ab", "x=a%250Ab"},
    {"control bytes escaped", "X", "X: a\tb", "x=a%09b"},
};

static const char *show(apr_pool_t *pool, const char *key)
{
    char *s = apr_pstrdup(pool, key), *p;

    for (p = s; *p != '\0'; p++) {
        if (*p == '\n') {
            *p = '|';
        }
    }
    return s;
}

static int run_vary_case(const vary_case_t *c, apr_pool_t *pool)
{
    apr_table_t *req = relay_test_fields(pool, c->req);
    apr_array_header_t *fields = relay_cache_vary_fields(pool, c->vary, req);
    const char *got;

    if (fields == NULL || c->expect == NULL) {
        if (fields != NULL || c->expect != NULL) {
            relay_test_diag("got %s", fields ? "fields" : "NULL");
            return 0;
        }
        return !relay_cache_vary_match(pool, NULL, req);
    }
    got = show(pool, relay_cache_vary_key(pool, fields));
    if (strcmp(got, c->expect) != 0) {
        relay_test_diag("got \"%s\"", got);
        return 0;
    }
    if (!relay_cache_vary_match(pool, fields, req)) {
        relay_test_diag("does not match its own request");
        return 0;
    }
    return 1;
}

typedef struct match_case_t {
    const char *desc;
    const char *vary;
    const char *stored_req; /* the request the variant was stored for */
    const char *req;
    int expect;
} match_case_t;

static const match_case_t match_cases[] = {
    {"same value", "Accept", "Accept: a", "Accept: a", 1},
    {"different value", "Accept", "Accept: a", "Accept: b", 0},
    {"whitespace and lines do not matter", "Accept", "Accept: a, b",
     "Accept: a|Accept:  b ", 1},
    {"order of elements matters", "Accept", "Accept: a, b", "Accept: b, a", 0},
    {"value case matters", "Accept", "Accept: a", "Accept: A", 0},
    {"field name case does not", "accept", "ACCEPT: a", "Accept: a", 1},
    {"absent in both", "Accept", "", "", 1},
    {"absent versus empty", "Accept", "", "Accept: ", 0},
    {"absent versus present", "Accept", "", "Accept: a", 0},
    {"unrelated fields ignored", "Accept", "Accept: a|X: 1", "Accept: a|X: 2",
     1},
    {"two fields, one differs", "Accept, X", "Accept: a|X: 1", "Accept: a|X: 2",
     0},
};

static int run_match_case(const match_case_t *c, apr_pool_t *pool)
{
    apr_array_header_t *stored = relay_cache_vary_fields(
        pool, c->vary, relay_test_fields(pool, c->stored_req));
    int got =
        relay_cache_vary_match(pool, stored, relay_test_fields(pool, c->req));

    if (got != c->expect) {
        relay_test_diag("got %d", got);
        return 0;
    }
    return 1;
}

/* relay_cache_path_normalise: one form for every spelling of a path. */
static const struct {
    const char *in, *expect;
} path_cases[] = {
    {"/", "/"},
    {"", ""},
    {"*", "*"},
    {"/account", "/account"},
    {"/%61ccount", "/account"},
    {"//account", "/account"},
    {"///account//x", "/account/x"},
    {"/x/../account", "/account"},
    {"/x/%2e%2e/account", "/account"},
    {"/./account", "/account"},
    {"/a/b/", "/a/b/"},
    {"/a/b//", "/a/b/"},
    {"/a/.", "/a/"},
    {"/a/./", "/a/"},
    {"/a/..", "/"},
    {"/a/b/..", "/a/"},
    {"/..", "/"},
    {"/../../a", "/a"},
    {"/a/...", "/a/..."},
    {"/a/..b", "/a/..b"},
    {"/a%2Fb/../c", "/c"},
    {"/a%2fb", "/a%2Fb"},
    {"/a;x=1/../b", "/b"},
    {"/a/.b/..c/", "/a/.b/..c/"},
    {"/a/b.", "/a/b."},
    {"/.", "/"},
};

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(key_cases); i++) {
        relay_test_ok(run_key_case(&key_cases[i], pool), "key: %s",
                      key_cases[i].desc);
    }
    {
        /* A path with nothing to normalise comes back as it is. */
        static const char plain[] = "/images/logo.png";

        relay_test_ok(relay_cache_path_normalise(pool, plain) == plain,
                      "path: a normal path is not copied");
    }
    for (i = 0; i < RELAY_TEST_COUNT(path_cases); i++) {
        const char *got = relay_cache_path_normalise(pool, path_cases[i].in);

        if (!relay_test_ok(strcmp(got, path_cases[i].expect) == 0,
                           "path: \"%s\"", path_cases[i].in)) {
            relay_test_diag("got \"%s\", want \"%s\"", got,
                            path_cases[i].expect);
        }
    }
    for (i = 0; i < RELAY_TEST_COUNT(url_cases); i++) {
        const char *got =
            relay_cache_key_from_url(pool, NULL, 0, url_cases[i].url);

        if (!same(got, url_cases[i].expect)) {
            relay_test_diag("got %s", got ? got : "NULL");
        }
        relay_test_ok(same(got, url_cases[i].expect), "url: %s",
                      url_cases[i].url);
    }
    {
        relay_cache_key_options_t o = options(pool, "http://base:8", 1, NULL);

        relay_test_ok(
            same(relay_cache_key_from_url(pool, &o, 1, "http://x/p?q"),
                 "http://base:8/p"),
            "url: with base URL and ignored query");
        relay_test_ok(relay_cache_key_from_url(pool, NULL, 0, NULL) == NULL,
                      "url: NULL");
    }
    relay_test_ok(relay_cache_key_base_url_valid("http://a.example"),
                  "base url: http");
    relay_test_ok(relay_cache_key_base_url_valid("https://a.example:8443/"),
                  "base url: https with port");
    relay_test_ok(!relay_cache_key_base_url_valid("a.example"),
                  "base url: no scheme");
    relay_test_ok(!relay_cache_key_base_url_valid("/path"), "base url: a path");
    relay_test_ok(!relay_cache_key_base_url_valid(NULL), "base url: NULL");
    for (i = 0; i < RELAY_TEST_COUNT(vary_cases); i++) {
        relay_test_ok(run_vary_case(&vary_cases[i], pool), "vary: %s",
                      vary_cases[i].desc);
    }
    for (i = 0; i < RELAY_TEST_COUNT(match_cases); i++) {
        relay_test_ok(run_match_case(&match_cases[i], pool), "match: %s",
                      match_cases[i].desc);
    }
    return relay_test_done();
}
