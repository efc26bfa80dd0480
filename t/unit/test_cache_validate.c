/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_validate.c, one table per decision:
 * validators, client preconditions, entity-tag comparison (RFC 9110
 * §8.8.3.2's table), the 304 merge and invalidation.
 *
 * All times are offsets in seconds from T0, Sun, 06 Nov 1994 08:49:37 GMT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_cache_policy.h"
#include "cache_test_times.h"
#include "relay_test.h"

typedef struct validators_case_t {
    const char *desc;
    const char *req;
    const char *stored;
    int expect;
    const char *result;
} validators_case_t;

static const validators_case_t validators_cases[] = {
    {"ETag and Last-Modified", "Host: a", "ETag: \"x\"|Last-Modified: " D_M1D,
     2, "Host: a|If-None-Match: \"x\"|If-Modified-Since: " D_M1D},
    {"weak ETag kept as is", "", "ETag: W/\"x\"", 1, "If-None-Match: W/\"x\""},
    {"invalid Last-Modified not sent", "", "Last-Modified: never", 0, ""},
    {"client's validators replaced",
     "If-None-Match: \"c\"|If-Modified-Since: x", "ETag: \"s\"", 1,
     "If-None-Match: \"s\""},
    {"nothing to revalidate with", "Host: a", "Date: " D0, 0, "Host: a"},
};

static int run_validators_case(const validators_case_t *c, apr_pool_t *pool)
{
    apr_table_t *req = relay_test_fields(pool, c->req);
    int n = relay_cache_validators_add(req, relay_test_fields(pool, c->stored));
    const char *got = relay_test_fields_text(pool, req);

    if (n != c->expect || strcmp(got, c->result) != 0) {
        relay_test_diag("got %d [%s]", n, got);
        return 0;
    }
    return 1;
}

/* Client preconditions. */

typedef struct cond_case_t {
    const char *desc;
    const char *method;
    const char *req;
    const char *stored;
    relay_cache_cond_t expect;
} cond_case_t;

#define CO(x) RELAY_CACHE_COND_##x
#define STORED "ETag: \"v1\"|Last-Modified: " D_M1D

static const cond_case_t cond_cases[] = {
    {"no preconditions", "GET", "Accept: */*", STORED, CO(NONE)},
    {"If-None-Match matches", "GET", "If-None-Match: \"v1\"", STORED,
     CO(NOT_MODIFIED)},
    {"If-None-Match matches, HEAD", "HEAD", "If-None-Match: \"v1\"", STORED,
     CO(NOT_MODIFIED)},
    {"If-None-Match in a list", "GET", "If-None-Match: \"a\", \"v1\"", STORED,
     CO(NOT_MODIFIED)},
    {"If-None-Match weak comparison", "GET", "If-None-Match: W/\"v1\"", STORED,
     CO(NOT_MODIFIED)},
    {"If-None-Match *", "GET", "If-None-Match: *", STORED, CO(NOT_MODIFIED)},
    {"If-None-Match * without a stored ETag", "GET", "If-None-Match: *",
     "Last-Modified: " D_M1D, CO(NOT_MODIFIED)},
    {"If-None-Match differs", "GET", "If-None-Match: \"v2\"", STORED, CO(FULL)},
    {"If-None-Match differs, If-Modified-Since ignored", "GET",
     "If-None-Match: \"v2\"|If-Modified-Since: " D0, STORED, CO(FULL)},
    {"If-None-Match without a stored ETag", "GET", "If-None-Match: \"v1\"",
     "Last-Modified: " D_M1D, CO(FULL)},
    {"If-None-Match malformed", "GET", "If-None-Match: v1", STORED, CO(FULL)},
    {"If-None-Match, POST: 412", "POST", "If-None-Match: \"v1\"", STORED,
     CO(PRECONDITION_FAILED)},
    {"If-Modified-Since later", "GET", "If-Modified-Since: " D0, STORED,
     CO(NOT_MODIFIED)},
    {"If-Modified-Since equal", "GET", "If-Modified-Since: " D_M1D, STORED,
     CO(NOT_MODIFIED)},
    {"If-Modified-Since earlier", "GET", "If-Modified-Since: " D_M10D, STORED,
     CO(FULL)},
    {"If-Modified-Since RFC 850 form", "GET",
     "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT", STORED,
     CO(NOT_MODIFIED)},
    {"If-Modified-Since invalid", "GET", "If-Modified-Since: yesterday", STORED,
     CO(FULL)},
    {"If-Modified-Since without Last-Modified", "GET", "If-Modified-Since: " D0,
     "ETag: \"v1\"", CO(FULL)},
    {"If-Modified-Since on POST ignored", "POST", "If-Modified-Since: " D0,
     STORED, CO(NONE)},
    {"If-Match matches", "GET", "If-Match: \"v1\"", STORED, CO(FULL)},
    {"If-Match *", "GET", "If-Match: *", STORED, CO(FULL)},
    {"If-Match differs: 412", "GET", "If-Match: \"v2\"", STORED,
     CO(PRECONDITION_FAILED)},
    {"If-Match strong comparison fails on weak", "GET", "If-Match: W/\"v1\"",
     STORED, CO(PRECONDITION_FAILED)},
    {"If-Match, then If-None-Match", "GET",
     "If-Match: \"v1\"|If-None-Match: \"v1\"", STORED, CO(NOT_MODIFIED)},
    {"If-Unmodified-Since holds", "GET", "If-Unmodified-Since: " D0, STORED,
     CO(FULL)},
    {"If-Unmodified-Since fails: 412", "GET", "If-Unmodified-Since: " D_M10D,
     STORED, CO(PRECONDITION_FAILED)},
    {"If-Unmodified-Since ignored under If-Match", "GET",
     "If-Match: \"v1\"|If-Unmodified-Since: " D_M10D, STORED, CO(FULL)},
    {"If-Unmodified-Since invalid: ignored", "GET",
     "If-Unmodified-Since: x|If-Modified-Since: " D0, STORED, CO(NOT_MODIFIED)},
};

static int run_cond_case(const cond_case_t *c, apr_pool_t *pool)
{
    relay_cache_cond_t got =
        relay_cache_conditional(c->method, relay_test_fields(pool, c->req),
                                relay_test_fields(pool, c->stored));

    if (got != c->expect) {
        relay_test_diag("got %d", (int)got);
        return 0;
    }
    return 1;
}

/* Entity-tag comparison: RFC 9110 §8.8.3.2's table and malformed tags. */

typedef struct etag_case_t {
    const char *list;
    const char *etag;
    int strong, weak; /* expected results */
} etag_case_t;

static const etag_case_t etag_cases[] = {
    {"W/\"1\"", "W/\"1\"", 0, 1},
    {"W/\"1\"", "W/\"2\"", 0, 0},
    {"W/\"1\"", "\"1\"", 0, 1},
    {"\"1\"", "\"1\"", 1, 1},
    {"\"1\"", "\"2\"", 0, 0},
    {"*", "\"1\"", 1, 1},
    {"*", NULL, 1, 1},
    {"\"1\"", NULL, 0, 0},
    {"\"a\",\"b\" ,  \"c\"", "\"c\"", 1, 1},
    {"\"a,b\"", "\"a,b\"", 1, 1},
    {"\"a,b\"", "\"a\"", 0, 0},
    {"\"\"", "\"\"", 1, 1},
    {"\"1\"x, \"2\"", "\"1\"", 0, 0},
    {"\"1\"x, \"2\"", "\"2\"", 1, 1},
    {"1", "1", 0, 0},
    {"\"1", "\"1", 0, 0},
    {"w/\"1\"", "\"1\"", 0, 0},
    {"\"a b\"", "\"a b\"", 0, 0},
    {"", "\"1\"", 0, 0},
    {"\"1\"", "\"1\" junk", 0, 0},
    {"\"1\"", "  \"1\"  ", 1, 1},
};

/* The 304 merge. */

typedef struct merge_case_t {
    const char *desc;
    const char *stored;
    const char *fresh;
    const char *ignore; /* comma-separated, or NULL */
    const char *expect;
} merge_case_t;

static const merge_case_t merge_cases[] = {
    {"new fields added, old replaced",
     "Date: " D_M1H "|ETag: \"1\"|Content-Type: text/html",
     "Date: " D0 "|Cache-Control: max-age=5", NULL,
     "ETag: \"1\"|Content-Type: text/html|Date: " D0
     "|Cache-Control: max-age=5"},
    {"Content-Length and framing kept",
     "Content-Length: 100|Content-Encoding: gzip|Vary: Accept",
     "Content-Length: 0|Content-Encoding: br|Vary: *|Transfer-Encoding: "
     "chunked|Content-Range: bytes 0-1/2",
     NULL, "Content-Length: 100|Content-Encoding: gzip|Vary: Accept"},
    {"hop-by-hop and Connection-named fields dropped", "X: 1",
     "Connection: close, X|X: 2|Keep-Alive: 5|Y: 3", NULL, "X: 1|Y: 3"},
    {"all lines of a field replaced, several kept", "Link: <a>|Link: <b>|Z: z",
     "Link: <c>|link: <d>", NULL, "Z: z|Link: <c>|link: <d>"},
    {"CacheIgnoreHeaders", "A: 1", "Set-Cookie: s=1|A: 2", "Set-Cookie",
     "A: 2"},
    {"empty 304", "A: 1", "", NULL, "A: 1"},
};

static int run_merge_case(const merge_case_t *c, apr_pool_t *pool)
{
    apr_table_t *stored = relay_test_fields(pool, c->stored);
    apr_array_header_t *ignore = NULL;
    const char *got;

    if (c->ignore != NULL) {
        ignore = apr_array_make(pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(ignore, const char *) = c->ignore;
    }
    relay_cache_merge_304(stored, relay_test_fields(pool, c->fresh), ignore);
    got = relay_test_fields_text(pool, stored);
    if (strcmp(got, c->expect) != 0) {
        relay_test_diag("got [%s]", got);
        return 0;
    }
    return 1;
}

/* Invalidation (RFC 9111 §4.4). */

typedef struct inval_case_t {
    const char *desc;
    const char *method;
    int status;
    const char *uri;
    const char *resp;
    const char *expect; /* URLs joined with " " */
} inval_case_t;

#define U "http://example.com/a/b?q=1"

static const inval_case_t inval_cases[] = {
    {"GET invalidates nothing", "GET", 200, U, "", ""},
    {"HEAD, OPTIONS, TRACE neither", "OPTIONS", 200, U, "", ""},
    {"POST invalidates the URI", "POST", 200, U, "", U},
    {"PUT", "PUT", 201, U, "", U},
    {"DELETE", "DELETE", 204, U, "", U},
    {"PATCH", "PATCH", 200, U, "", U},
    {"unknown method counts as unsafe", "PURGE", 200, U, "", U},
    {"redirect is not an error", "POST", 303, U, "", U},
    {"error status invalidates nothing", "POST", 404, U, "", ""},
    {"server error", "DELETE", 500, U, "", ""},
    {"1xx", "POST", 100, U, "", ""},
    {"Location same origin, absolute", "POST", 201, U,
     "Location: http://EXAMPLE.com:80/new", U " http://EXAMPLE.com:80/new"},
    {"Location other origin", "POST", 201, U,
     "Location: http://other.example/new", U},
    {"Location other port", "POST", 201, U,
     "Location: http://example.com:8080/new", U},
    {"Location other scheme", "POST", 201, U,
     "Location: https://example.com/new", U},
    {"Location absolute path", "POST", 201, U, "Location: /c/d?x",
     U " http://example.com/c/d?x"},
    {"Location relative path with dots", "POST", 201, U, "Location: ../c/./d",
     U " http://example.com/c/d"},
    {"Location network-path", "POST", 201, U, "Location: //example.com/e",
     U " http://example.com/e"},
    {"Location network-path elsewhere", "POST", 201, U,
     "Location: //evil.example/e", U},
    {"Location fragment dropped", "POST", 201, U, "Location: /f#frag",
     U " http://example.com/f"},
    {"Location query only", "POST", 201, U, "Location: ?z",
     U " http://example.com/a/b?z"},
    {"Location and Content-Location", "PUT", 200, U,
     "Location: /x|Content-Location: /y",
     U " http://example.com/x http://example.com/y"},
    {"duplicates dropped", "PUT", 200, U,
     "Location: /x|Content-Location: http://example.com/x",
     U " http://example.com/x"},
    {"Content-Location equal to the URI", "PUT", 200, U, "Content-Location: " U,
     U},
    {"garbage Location", "POST", 201, U, "Location: http://[::1", U},
};

static int run_inval_case(const inval_case_t *c, apr_pool_t *pool)
{
    apr_array_header_t *urls = relay_cache_invalidations(
        pool, c->method, c->status, c->uri, relay_test_fields(pool, c->resp));
    const char *got = "";
    int i;

    for (i = 0; i < urls->nelts; i++) {
        got = apr_pstrcat(pool, got, i > 0 ? " " : "",
                          APR_ARRAY_IDX(urls, i, const char *), NULL);
    }
    if (strcmp(got, c->expect) != 0) {
        relay_test_diag("got [%s]", got);
        return 0;
    }
    return 1;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    RELAY_TEST_TABLE(validators_cases, run_validators_case, "validators", pool);
    RELAY_TEST_TABLE(cond_cases, run_cond_case, "conditional", pool);
    RELAY_TEST_TABLE(merge_cases, run_merge_case, "merge 304", pool);
    RELAY_TEST_TABLE(inval_cases, run_inval_case, "invalidate", pool);
    for (i = 0; i < RELAY_TEST_COUNT(etag_cases); i++) {
        const etag_case_t *c = &etag_cases[i];
        int strong = relay_cache_etag_match(c->list, c->etag, 0);
        int weak = relay_cache_etag_match(c->list, c->etag, 1);

        relay_test_ok(strong == c->strong && weak == c->weak,
                      "etag: [%s] vs [%s]", c->list,
                      c->etag ? c->etag : "NULL");
    }
    return relay_test_done();
}
