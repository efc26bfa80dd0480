/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_policy.c, one table per decision: lookup,
 * storability (every stock reason and the switches that lift it),
 * freshness lifetime, current age (RFC 9111 §4.2.3), serving a stored
 * response and stale-on-error (validation is test_cache_validate.c).
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

/*
 * Applies "name,name=value,..." to default settings: the flag names are
 * the struct members; numbers for the *_expire members and factor.
 */
static void settings(relay_cache_settings_t *s, const char *opts)
{
    char *copy, *opt, *state;

    relay_cache_settings_default(s);
    if (opts == NULL) {
        return;
    }
    copy = strdup(opts);
    for (opt = apr_strtok(copy, ",", &state); opt != NULL;
         opt = apr_strtok(NULL, ",", &state)) {
        char *eq = strchr(opt, '=');
        apr_int64_t v = eq != NULL ? apr_atoi64(eq + 1) : 1;

        if (eq != NULL) {
            *eq = '\0';
        }
#define OPT(name)                                                              \
    if (strcmp(opt, #name) == 0) {                                             \
        s->name = (int)v;                                                      \
        continue;                                                              \
    }
        OPT(ignore_no_last_mod);
        OPT(ignore_cache_control);
        OPT(ignore_query_string);
        OPT(store_expired);
        OPT(store_private);
        OPT(store_no_store);
        OPT(stale_on_error);
        OPT(rfc_heuristic_statuses);
        OPT(stale_while_revalidate);
        OPT(stale_if_error);
#undef OPT
        if (strcmp(opt, "default_expire") == 0) {
            s->default_expire = v;
        }
        else if (strcmp(opt, "max_expire") == 0) {
            s->max_expire = v;
        }
        else if (strcmp(opt, "min_expire") == 0) {
            s->min_expire = v;
        }
        else if (strcmp(opt, "factor") == 0) {
            s->last_modified_factor = atof(eq + 1);
        }
        else {
            printf("Bail out! unknown option %s\n", opt);
            exit(2);
        }
    }
    free(copy);
}

/* Lookup. */

typedef struct lookup_case_t {
    const char *desc;
    const char *opts;
    const char *method;
    const char *req;
    int quick;
    relay_cache_lookup_t expect;
} lookup_case_t;

static const lookup_case_t lookup_cases[] = {
    {"GET", NULL, "GET", "", 1, RELAY_CACHE_LOOKUP_OK},
    {"HEAD", NULL, "HEAD", "", 1, RELAY_CACHE_LOOKUP_OK},
    {"POST", NULL, "POST", "", 1, RELAY_CACHE_LOOKUP_METHOD},
    {"lower-case get is another method", NULL, "get", "", 1,
     RELAY_CACHE_LOOKUP_METHOD},
    {"Authorization, quick handler", NULL, "GET", "Authorization: Basic x", 1,
     RELAY_CACHE_LOOKUP_AUTHORIZATION},
    {"Authorization, normal handler", NULL, "GET", "Authorization: Basic x", 0,
     RELAY_CACHE_LOOKUP_OK},
    {"client no-store", NULL, "GET", "Cache-Control: no-store", 1,
     RELAY_CACHE_LOOKUP_NO_STORE},
    {"client no-store, CacheIgnoreCacheControl", "ignore_cache_control", "GET",
     "Cache-Control: no-store", 1, RELAY_CACHE_LOOKUP_OK},
    {"client no-cache may still look up", NULL, "GET",
     "Cache-Control: no-cache", 1, RELAY_CACHE_LOOKUP_OK},
};

static int run_lookup_case(const lookup_case_t *c, apr_pool_t *pool)
{
    relay_cache_settings_t s;
    relay_cache_request_t req;
    const char *reason = NULL;
    relay_cache_lookup_t got;

    settings(&s, c->opts);
    relay_cache_request_read(&req, pool, c->method, NULL,
                             relay_test_fields(pool, c->req));
    got = relay_cache_lookup_allowed(&s, &req, c->quick, &reason);
    if (got != c->expect || reason == NULL) {
        relay_test_diag("got %d (%s)", (int)got, reason ? reason : "NULL");
        return 0;
    }
    return 1;
}

/* Storability. */

typedef struct store_case_t {
    const char *desc;
    const char *opts;
    const char *method;
    const char *query;
    const char *req;
    int status;
    const char *resp;
    relay_cache_store_t expect;
    const char *stored; /* fields of an entry being revalidated, or NULL */
} store_case_t;

#define LM "Last-Modified: " D_M1D
#define ST(x) RELAY_CACHE_STORE_##x, NULL
#define STS(x, stored) RELAY_CACHE_STORE_##x, stored

static const store_case_t store_cases[] = {
    {"200 with Last-Modified", NULL, "GET", NULL, "", 200, "Date: " D0 "|" LM,
     ST(OK)},
    {"200 with ETag only", NULL, "GET", NULL, "", 200, "ETag: \"a\"", ST(OK)},
    {"200 with max-age only", NULL, "GET", NULL, "", 200,
     "Cache-Control: max-age=60", ST(OK)},
    {"200 with s-maxage only", NULL, "GET", NULL, "", 200,
     "Cache-Control: s-maxage=60", ST(OK)},
    {"200 with Expires only", NULL, "GET", NULL, "", 200, "Expires: " D_P1H,
     ST(OK)},
    {"HEAD is not stored", NULL, "HEAD", NULL, "", 200, LM, ST(METHOD)},
    {"POST is not stored", NULL, "POST", NULL, "", 200,
     "Cache-Control: max-age=60", ST(METHOD)},
    {"client no-store", NULL, "GET", NULL, "Cache-Control: no-store", 200, LM,
     ST(REQUEST_NO_STORE)},
    {"client no-store, CacheIgnoreCacheControl", "ignore_cache_control", "GET",
     NULL, "Cache-Control: no-store", 200, LM, ST(OK)},
    /* Statuses. */
    {"203 heuristic", NULL, "GET", NULL, "", 203, LM, ST(OK)},
    {"300 heuristic", NULL, "GET", NULL, "", 300, LM, ST(OK)},
    {"301 heuristic", NULL, "GET", NULL, "", 301, LM, ST(OK)},
    {"301 without anything: default expiry", NULL, "GET", NULL, "", 301, "",
     ST(OK)},
    {"206 never", NULL, "GET", NULL, "", 206, "Cache-Control: max-age=60",
     ST(PARTIAL)},
    {"404 without explicit freshness", NULL, "GET", NULL, "", 404, LM,
     ST(STATUS)},
    {"404 with max-age", NULL, "GET", NULL, "", 404,
     "Cache-Control: max-age=60", ST(OK)},
    {"404 with Expires", NULL, "GET", NULL, "", 404,
     "Date: " D0 "|Expires: " D_P1H, ST(OK)},
    {"404 with public", NULL, "GET", NULL, "", 404, "Cache-Control: public",
     ST(OK)},
    {"404 with no-transform only (stock would store)", NULL, "GET", NULL, "",
     404, "Cache-Control: no-transform", ST(STATUS)},
    {"404, RFC heuristic statuses", "rfc_heuristic_statuses", "GET", NULL, "",
     404, LM, ST(OK)},
    {"410, RFC heuristic statuses", "rfc_heuristic_statuses", "GET", NULL, "",
     410, LM, ST(OK)},
    {"302 even with RFC statuses", "rfc_heuristic_statuses", "GET", NULL, "",
     302, LM, ST(STATUS)},
    {"302 with max-age", NULL, "GET", NULL, "", 302,
     "Cache-Control: max-age=60", ST(OK)},
    {"500 with invalid Expires", NULL, "GET", NULL, "", 500, "Expires: 0",
     ST(STATUS)},
    {"304 refreshes, not stored", NULL, "GET", NULL, "", 304, "ETag: \"a\"",
     ST(NOT_MODIFIED)},
    /* Expires. */
    {"broken Expires", NULL, "GET", NULL, "", 200, LM "|Expires: 0",
     ST(BROKEN_EXPIRES)},
    {"broken Expires with max-age", NULL, "GET", NULL, "", 200,
     LM "|Expires: 0|Cache-Control: max-age=9", ST(OK)},
    {"Expires in the past", NULL, "GET", NULL, "", 200, LM "|Expires: " D_M1H,
     ST(EXPIRED)},
    {"Expires in the past, CacheStoreExpired", "store_expired", "GET", NULL, "",
     200, LM "|Expires: " D_M1H, ST(OK)},
    {"Expires in the past with max-age", NULL, "GET", NULL, "", 200,
     LM "|Expires: " D_M1H "|Cache-Control: max-age=60", ST(OK)},
    {"Expires equal to the request time", NULL, "GET", NULL, "", 200,
     LM "|Expires: " D0, ST(OK)},
    /* must-revalidate with nothing to revalidate with. */
    {"must-revalidate, max-age=0, no validator", NULL, "GET", NULL, "", 200,
     "Cache-Control: max-age=0, must-revalidate", ST(NO_VALIDATOR_REVALIDATE)},
    {"proxy-revalidate, s-maxage=0, no validator", NULL, "GET", NULL, "", 200,
     "Cache-Control: s-maxage=0, proxy-revalidate",
     ST(NO_VALIDATOR_REVALIDATE)},
    {"must-revalidate, max-age=0, ETag", NULL, "GET", NULL, "", 200,
     "Cache-Control: max-age=0, must-revalidate|ETag: \"x\"", ST(OK)},
    {"must-revalidate, s-maxage=5 overrides max-age=0", NULL, "GET", NULL, "",
     200, "Cache-Control: max-age=0, s-maxage=5, must-revalidate", ST(OK)},
    {"must-revalidate, max-age=0, CacheStoreExpired", "store_expired", "GET",
     NULL, "", 200, "Cache-Control: max-age=0, must-revalidate", ST(OK)},
    /* Query strings. */
    {"query without expiry", NULL, "GET", "a=1", "", 200, LM, ST(QUERY)},
    {"empty query is no query", NULL, "GET", "", "", 200, LM, ST(OK)},
    {"query with max-age", NULL, "GET", "a=1", "", 200,
     LM "|Cache-Control: max-age=5", ST(OK)},
    {"query with Expires", NULL, "GET", "a=1", "", 200, LM "|Expires: " D_P1H,
     ST(OK)},
    {"query, CacheIgnoreQueryString", "ignore_query_string", "GET", "a=1", "",
     200, LM, ST(OK)},
    /* No Last-Modified. */
    {"200 with nothing", NULL, "GET", NULL, "", 200, "Date: " D0,
     ST(NO_LAST_MOD)},
    {"200 with nothing, CacheIgnoreNoLastMod", "ignore_no_last_mod", "GET",
     NULL, "", 200, "Date: " D0, ST(OK)},
    {"200 with invalid Last-Modified counts as one (stock)", NULL, "GET", NULL,
     "", 200, "Last-Modified: yesterday", ST(OK)},
    /* no-store, private. */
    {"no-store", NULL, "GET", NULL, "", 200, LM "|Cache-Control: no-store",
     ST(NO_STORE)},
    {"no-store, CacheStoreNoStore", "store_no_store", "GET", NULL, "", 200,
     LM "|Cache-Control: no-store", ST(OK)},
    {"no-store wins over max-age", NULL, "GET", NULL, "", 200,
     "Cache-Control: max-age=60, no-store", ST(NO_STORE)},
    {"private", NULL, "GET", NULL, "", 200, LM "|Cache-Control: private",
     ST(PRIVATE)},
    {"private, CacheStorePrivate", "store_private", "GET", NULL, "", 200,
     LM "|Cache-Control: private", ST(OK)},
    {"qualified private is stored", NULL, "GET", NULL, "", 200,
     LM "|Cache-Control: private=\"Set-Cookie\"", ST(OK)},
    {"no-cache is stored (revalidated on use)", NULL, "GET", NULL, "", 200,
     LM "|Cache-Control: no-cache", ST(OK)},
    /* Authorization (RFC 9111 §3.5). */
    {"Authorization", NULL, "GET", NULL, "Authorization: Basic x", 200,
     LM "|Cache-Control: max-age=60", ST(AUTHORIZATION)},
    {"Authorization, public", NULL, "GET", NULL, "Authorization: Basic x", 200,
     LM "|Cache-Control: public", ST(OK)},
    {"Authorization, s-maxage", NULL, "GET", NULL, "Authorization: Basic x",
     200, "Cache-Control: s-maxage=60", ST(OK)},
    {"Authorization, must-revalidate", NULL, "GET", NULL,
     "Authorization: Basic x", 200, LM "|Cache-Control: must-revalidate",
     ST(OK)},
    {"Authorization, proxy-revalidate", NULL, "GET", NULL,
     "Authorization: Basic x", 200, LM "|Cache-Control: proxy-revalidate",
     ST(OK)},
    /* Vary. */
    {"Vary: *", NULL, "GET", NULL, "", 200, LM "|Vary: *", ST(VARY_STAR)},
    {"Vary: Accept, *", NULL, "GET", NULL, "", 200, LM "|Vary: Accept|Vary: *",
     ST(VARY_STAR)},
    {"Vary: Accept", NULL, "GET", NULL, "", 200, LM "|Vary: Accept", ST(OK)},
    {"Vary: with a space in a name", NULL, "GET", NULL, "", 200,
     LM "|Vary: Accept Encoding", ST(VARY_INVALID)},
    {"Vary: a name with a parameter", NULL, "GET", NULL, "", 200,
     LM "|Vary: Accept-Encoding;", ST(VARY_INVALID)},
    {"Vary: one good name, one bad", NULL, "GET", NULL, "", 200,
     LM "|Vary: Accept, Acc/ept", ST(VARY_INVALID)},
    {"Vary: empty", NULL, "GET", NULL, "", 200, LM "|Vary: ", ST(OK)},
    {"Vary: commas only", NULL, "GET", NULL, "", 200, LM "|Vary: , ,", ST(OK)},
    /* Replacing a stored entry. */
    {"newer than the stored entry", NULL, "GET", NULL, "", 200, LM "|Date: " D0,
     STS(OK, "Date: " D_M1H)},
    {"older than the stored entry", NULL, "GET", NULL, "", 200,
     LM "|Date: " D_M1H, STS(OLDER, "Date: " D0)},
    {"stored entry without a Date", NULL, "GET", NULL, "", 200,
     LM "|Date: " D_M1H, STS(OK, "")},
};

static int run_store_case(const store_case_t *c, apr_pool_t *pool)
{
    relay_cache_settings_t s;
    relay_cache_request_t req;
    relay_cache_response_t resp, stored;
    relay_cache_store_t got;

    settings(&s, c->opts);
    relay_cache_request_read(&req, pool, c->method, c->query,
                             relay_test_fields(pool, c->req));
    relay_cache_response_read(&resp, pool, c->status,
                              relay_test_fields(pool, c->resp));
    if (c->stored != NULL) {
        relay_cache_response_read(&stored, pool, 200,
                                  relay_test_fields(pool, c->stored));
    }
    got = relay_cache_storable(&s, &req, &resp,
                               c->stored != NULL ? &stored : NULL, AT(0));
    if (got != c->expect) {
        relay_test_diag("got %d (%s), want %d (%s)", (int)got,
                        relay_cache_store_reason(got), (int)c->expect,
                        relay_cache_store_reason(c->expect));
        return 0;
    }
    return 1;
}

/* Freshness lifetime. */

typedef struct fresh_case_t {
    const char *desc;
    const char *opts;
    const char *resp;
    apr_int64_t expect;
    relay_cache_freshness_t source;
} fresh_case_t;

#define FR(x) RELAY_CACHE_FRESHNESS_##x

static const fresh_case_t fresh_cases[] = {
    {"s-maxage over max-age and Expires", NULL,
     "Cache-Control: max-age=60, s-maxage=30|Expires: " D_P1H "|Date: " D0, 30,
     FR(S_MAXAGE)},
    {"max-age over Expires", NULL,
     "Cache-Control: max-age=60|Expires: " D_P1H "|Date: " D0, 60, FR(MAX_AGE)},
    {"Expires - Date", NULL, "Expires: " D_P1H "|Date: " D0, 3600, FR(EXPIRES)},
    {"Expires - Date, Date in the past", NULL, "Expires: " D0 "|Date: " D_M1H,
     3600, FR(EXPIRES)},
    {"Expires without Date: response time", NULL, "Expires: " D_P1H, 3600,
     FR(EXPIRES)},
    {"Expires before Date", NULL, "Expires: " D_M1H "|Date: " D0, 0,
     FR(EXPIRES)},
    {"invalid Expires is stale", NULL, "Expires: 0|Date: " D0 "|" LM, 0,
     FR(EXPIRES)},
    {"invalid Date: response time", NULL, "Expires: " D_P1H "|Date: x", 3600,
     FR(EXPIRES)},
    {"max-age capped by CacheMaxExpire", NULL, "Cache-Control: max-age=999999",
     86400, FR(MAX_AGE)},
    {"s-maxage capped by CacheMaxExpire", "max_expire=100",
     "Cache-Control: s-maxage=101", 100, FR(S_MAXAGE)},
    {"Expires capped by CacheMaxExpire", "max_expire=600",
     "Expires: " D_P1H "|Date: " D0, 600, FR(EXPIRES)},
    {"max-age 2^31 capped", "max_expire=2147483647",
     "Cache-Control: max-age=99999999999", 2147483647, FR(MAX_AGE)},
    {"max-age=0", NULL, "Cache-Control: max-age=0|Expires: " D_P1H, 0,
     FR(MAX_AGE)},
    {"invalid max-age is stale", NULL,
     "Cache-Control: max-age=soon|Expires: " D_P1H, 0, FR(MAX_AGE)},
    {"duplicate max-age: the smaller", NULL,
     "Cache-Control: max-age=60|Cache-Control: max-age=30", 30, FR(MAX_AGE)},
    /* Heuristic (§4.2.2): 10% of the time since Last-Modified. */
    {"heuristic, one day", NULL, "Date: " D0 "|Last-Modified: " D_M1D, 8640,
     FR(HEURISTIC)},
    {"heuristic, factor 0.5", "factor=0.5",
     "Date: " D0 "|Last-Modified: " D_M1D, 43200, FR(HEURISTIC)},
    {"heuristic, ten days: at CacheMaxExpire", NULL,
     "Date: " D0 "|Last-Modified: " D_M10D, 86400, FR(HEURISTIC)},
    {"heuristic, 100 days: capped", NULL,
     "Date: " D0 "|Last-Modified: " D_M100D, 86400, FR(HEURISTIC)},
    {"heuristic, CacheMinExpire floor", "min_expire=600",
     "Date: " D0 "|Last-Modified: " D_M1H, 600, FR(HEURISTIC)},
    {"heuristic, above the floor", "min_expire=300",
     "Date: " D0 "|Last-Modified: " D_M1H, 360, FR(HEURISTIC)},
    {"heuristic, one second: rounds to 0", NULL,
     "Date: " D0 "|Last-Modified: " D_M1S, 0, FR(HEURISTIC)},
    {"heuristic without Date: response time", NULL, "Last-Modified: " D_M1D,
     8640, FR(HEURISTIC)},
    {"Last-Modified after Date: default", NULL,
     "Date: " D0 "|Last-Modified: " D_P1H, 3600, FR(DEFAULT)},
    {"Last-Modified equal to Date: default", NULL,
     "Date: " D0 "|Last-Modified: " D0, 3600, FR(DEFAULT)},
    {"invalid Last-Modified: default", NULL, "Date: " D0 "|Last-Modified: x",
     3600, FR(DEFAULT)},
    {"nothing: CacheDefaultExpire", NULL, "Date: " D0, 3600, FR(DEFAULT)},
    {"CacheDefaultExpire is not capped", "default_expire=100000", "", 100000,
     FR(DEFAULT)},
};

static int run_fresh_case(const fresh_case_t *c, apr_pool_t *pool)
{
    relay_cache_settings_t s;
    relay_cache_response_t resp;
    relay_cache_freshness_t src;
    apr_int64_t got;

    settings(&s, c->opts);
    relay_cache_response_read(&resp, pool, 200,
                              relay_test_fields(pool, c->resp));
    got = relay_cache_freshness_lifetime(&s, &resp, AT(0), &src);
    if (got != c->expect || src != c->source) {
        relay_test_diag("got %" APR_INT64_T_FMT " from %d", got, (int)src);
        return 0;
    }
    return 1;
}

/* Current age. */

typedef struct age_case_t {
    const char *desc;
    const char *resp;
    apr_int64_t request, response, now; /* offsets from T0 */
    apr_int64_t expect;
} age_case_t;

static const age_case_t age_cases[] = {
    {"just received", "Date: " D0, 0, 0, 0, 0},
    {"resident time", "Date: " D0, 0, 0, 100, 100},
    {"Age field", "Date: " D0 "|Age: 50", 0, 0, 10, 60},
    {"response delay added to Age", "Date: " D0 "|Age: 50", -5, 0, 0, 55},
    {"response delay without Age", "Date: " D0, -5, 0, 0, 5},
    {"apparent age from Date", "Date: " D_M1M, 0, 0, 0, 60},
    {"apparent age beats smaller Age", "Date: " D_M1M "|Age: 10", 0, 0, 0, 60},
    {"Age beats smaller apparent age", "Date: " D_M1M "|Age: 100", 0, 0, 0,
     100},
    {"Date in the future: apparent age 0", "Date: " D_P1H, 0, 0, 30, 30},
    {"no Date", "", 0, 0, 30, 30},
    {"invalid Age ignored", "Date: " D0 "|Age: -5", 0, 0, 0, 0},
    {"Age list: the first", "Date: " D0 "|Age: 7, 9", 0, 0, 0, 7},
    {"Age overflow: 2^31", "Date: " D0 "|Age: 99999999999999999999", 0, 0, 0,
     2147483648LL},
    {"Age 2^31 plus residence saturates", "Date: " D0 "|Age: 2147483648", 0, 0,
     1000, 2147483648LL},
    {"clock went back", "Date: " D0, 0, 0, -100, 0},
    {"request after response (clock skew)", "Date: " D0, 10, 0, 0, 0},
};

static int run_age_case(const age_case_t *c, apr_pool_t *pool)
{
    relay_cache_response_t resp;
    apr_int64_t got;

    relay_cache_response_read(&resp, pool, 200,
                              relay_test_fields(pool, c->resp));
    got = relay_cache_current_age(&resp, AT(c->request), AT(c->response),
                                  AT(c->now));
    if (got != c->expect) {
        relay_test_diag("got %" APR_INT64_T_FMT, got);
        return 0;
    }
    return 1;
}

/* Serving a stored response. */

typedef struct serve_case_t {
    const char *desc;
    const char *opts;
    const char *req;
    const char *stored; /* received at T0, requested at T0 */
    apr_int64_t now;
    relay_cache_serve_e expect;
    int stale_on_error; /* 1: CacheStaleOnError, 2: stale-if-error, 3: both */
} serve_case_t;

#define SV(x) RELAY_CACHE_SERVE_##x
#define MA60 "Date: " D0 "|Cache-Control: max-age=60"

static const serve_case_t serve_cases[] = {
    {"fresh", NULL, "", MA60, 10, SV(FRESH), 1},
    {"fresh until the lifetime", NULL, "", MA60, 59, SV(FRESH), 1},
    {"stale at the lifetime (§4.2)", NULL, "", MA60, 60, SV(REVALIDATE), 1},
    {"stale", NULL, "", MA60, 100, SV(REVALIDATE), 1},
    {"stale, CacheStaleOnError off", "stale_on_error=0", "", MA60, 100,
     SV(REVALIDATE), 0},
    {"invalid Expires is stale", NULL, "", "Date: " D0 "|Expires: never", 0,
     SV(REVALIDATE), 1},
    {"heuristic freshness", NULL, "", "Date: " D0 "|Last-Modified: " D_M1D,
     8639, SV(FRESH), 1},
    /* Client directives. */
    {"client no-cache", NULL, "Cache-Control: no-cache", MA60, 0,
     SV(REVALIDATE), 1},
    {"client max-age=0", NULL, "Cache-Control: max-age=0", MA60, 0,
     SV(REVALIDATE), 1},
    {"client Pragma: no-cache", NULL, "Pragma: no-cache", MA60, 0,
     SV(REVALIDATE), 1},
    {"client Pragma ignored next to Cache-Control", NULL,
     "Pragma: no-cache|Cache-Control: max-stale=5", MA60, 0, SV(FRESH), 1},
    {"client no-cache, CacheIgnoreCacheControl", "ignore_cache_control",
     "Cache-Control: no-cache", MA60, 0, SV(FRESH), 1},
    {"client max-age=0, CacheIgnoreCacheControl", "ignore_cache_control",
     "Cache-Control: max-age=0", MA60, 10, SV(FRESH), 1},
    {"client max-age not reached", NULL, "Cache-Control: max-age=30", MA60, 30,
     SV(FRESH), 1},
    {"client max-age exceeded", NULL, "Cache-Control: max-age=30", MA60, 31,
     SV(REVALIDATE), 1},
    {"client min-fresh met", NULL, "Cache-Control: min-fresh=20", MA60, 40,
     SV(FRESH), 1},
    {"client min-fresh not met", NULL, "Cache-Control: min-fresh=20", MA60, 41,
     SV(REVALIDATE), 1},
    {"client max-stale within", NULL, "Cache-Control: max-stale=30", MA60, 90,
     SV(STALE), 1},
    {"client max-stale beyond", NULL, "Cache-Control: max-stale=30", MA60, 91,
     SV(REVALIDATE), 1},
    {"client max-stale without value", NULL, "Cache-Control: max-stale", MA60,
     999999, SV(STALE), 1},
    {"client max-stale but must-revalidate", NULL, "Cache-Control: max-stale",
     MA60 ", must-revalidate", 61, SV(REVALIDATE), 0},
    {"client max-stale but s-maxage (§5.2.2.10)", NULL,
     "Cache-Control: max-stale", "Date: " D0 "|Cache-Control: s-maxage=60", 61,
     SV(REVALIDATE), 0},
    {"client max-stale but proxy-revalidate", NULL, "Cache-Control: max-stale",
     MA60 ", proxy-revalidate", 61, SV(REVALIDATE), 0},
    {"client no-cache beats max-stale", NULL,
     "Cache-Control: max-stale, no-cache", MA60, 61, SV(REVALIDATE), 1},
    /* only-if-cached. */
    {"only-if-cached, fresh", NULL, "Cache-Control: only-if-cached", MA60, 1,
     SV(FRESH), 1},
    {"only-if-cached, stale: 504", NULL, "Cache-Control: only-if-cached", MA60,
     61, SV(GATEWAY_TIMEOUT), 1},
    {"only-if-cached with max-stale", NULL,
     "Cache-Control: only-if-cached, max-stale=10", MA60, 65, SV(STALE), 1},
    {"only-if-cached and no-cache: 504", NULL,
     "Cache-Control: only-if-cached, no-cache", MA60, 1, SV(GATEWAY_TIMEOUT),
     1},
    /* Response directives. */
    {"stored no-cache: always revalidate", NULL, "",
     MA60 "|Cache-Control: no-cache", 0, SV(REVALIDATE), 0},
    {"stored qualified no-cache: served", NULL, "",
     MA60 "|Cache-Control: no-cache=\"Set-Cookie\"", 0, SV(FRESH), 1},
    {"must-revalidate, fresh", NULL, "", MA60 ", must-revalidate", 10,
     SV(FRESH), 0},
    /* stale-while-revalidate (RFC 5861 §3). */
    {"stale-while-revalidate window", NULL, "",
     MA60 ", stale-while-revalidate=30", 90, SV(STALE_REFRESH), 1},
    {"past stale-while-revalidate", NULL, "",
     MA60 ", stale-while-revalidate=30", 91, SV(REVALIDATE), 1},
    {"stale-while-revalidate switched off", "stale_while_revalidate=0", "",
     MA60 ", stale-while-revalidate=30", 61, SV(REVALIDATE), 1},
    {"stale-while-revalidate, client no-cache", NULL, "Cache-Control: no-cache",
     MA60 ", stale-while-revalidate=30", 61, SV(REVALIDATE), 1},
    {"stale-while-revalidate, must-revalidate", NULL, "",
     MA60 ", stale-while-revalidate=30, must-revalidate", 61, SV(REVALIDATE),
     0},
    /* stale-if-error (RFC 5861 §4) without CacheStaleOnError. */
    {"stale-if-error window", "stale_on_error=0", "",
     MA60 ", stale-if-error=100", 160, SV(REVALIDATE), 2},
    {"stale-if-error window and CacheStaleOnError", NULL, "",
     MA60 ", stale-if-error=100", 160, SV(REVALIDATE), 3},
    {"past stale-if-error", "stale_on_error=0", "", MA60 ", stale-if-error=100",
     161, SV(REVALIDATE), 0},
    {"client stale-if-error", "stale_on_error=0",
     "Cache-Control: stale-if-error=200", MA60, 250, SV(REVALIDATE), 2},
    {"client stale-if-error passed", "stale_on_error=0",
     "Cache-Control: stale-if-error=200", MA60, 261, SV(REVALIDATE), 0},
    {"the longer of two stale-if-error windows", "stale_on_error=0",
     "Cache-Control: stale-if-error=10", MA60 ", stale-if-error=100", 150,
     SV(REVALIDATE), 2},
    {"stale-if-error switched off", "stale_on_error=0,stale_if_error=0", "",
     MA60 ", stale-if-error=100", 70, SV(REVALIDATE), 0},
    {"stale-if-error but must-revalidate", NULL, "",
     MA60 ", stale-if-error=100, must-revalidate", 70, SV(REVALIDATE), 0},
};

static int run_serve_case(const serve_case_t *c, apr_pool_t *pool)
{
    relay_cache_settings_t s;
    relay_cache_request_t req;
    relay_cache_response_t stored;
    relay_cache_serve_t d;

    settings(&s, c->opts);
    relay_cache_request_read(&req, pool, "GET", NULL,
                             relay_test_fields(pool, c->req));
    relay_cache_response_read(&stored, pool, 200,
                              relay_test_fields(pool, c->stored));
    relay_cache_serve_decide(&s, &req, &stored, AT(0), AT(0), AT(c->now), &d);
    if (d.decision != c->expect ||
        (d.stale_on_error | d.stale_if_error << 1) != c->stale_on_error ||
        d.reason == NULL || (c->now >= 0 && d.age != c->now)) {
        relay_test_diag("got %d stale_on_error %d stale_if_error %d age "
                        "%" APR_INT64_T_FMT " (%s)",
                        (int)d.decision, d.stale_on_error, d.stale_if_error,
                        d.age, d.reason ? d.reason : "NULL");
        return 0;
    }
    return 1;
}

/* may_serve_stale: a stored response that forbids stale use says so. */
static void test_may_serve_stale(apr_pool_t *pool)
{
    static const struct {
        const char *stored;
        int expect;
    } cases[] = {
        {MA60, 1},
        {MA60 ", must-revalidate", 0},
        {MA60 ", proxy-revalidate", 0},
        {MA60 ", s-maxage=60", 0},
        {MA60 ", no-cache", 0},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        relay_cache_settings_t s;
        relay_cache_request_t req;
        relay_cache_response_t stored;
        relay_cache_serve_t d;

        relay_cache_settings_default(&s);
        relay_cache_request_read(&req, pool, "GET", NULL,
                                 relay_test_fields(pool, ""));
        relay_cache_response_read(&stored, pool, 200,
                                  relay_test_fields(pool, cases[i].stored));
        relay_cache_serve_decide(&s, &req, &stored, AT(0), AT(0), AT(100), &d);
        relay_test_ok(d.may_serve_stale == cases[i].expect,
                      "may serve stale: %s", cases[i].stored);
    }
}

static void test_stale_on_error(void)
{
    relay_cache_serve_t d;

    memset(&d, 0, sizeof(d));
    d.stale_on_error = 1;
    relay_test_ok(relay_cache_serve_stale_on_error(&d, 0),
                  "stale on error: origin unreachable");
    relay_test_ok(relay_cache_serve_stale_on_error(&d, 500),
                  "stale on error: 500");
    relay_test_ok(relay_cache_serve_stale_on_error(&d, 503),
                  "stale on error: 503");
    relay_test_ok(!relay_cache_serve_stale_on_error(&d, 404),
                  "stale on error: not for 404");
    relay_test_ok(!relay_cache_serve_stale_on_error(&d, 304),
                  "stale on error: not for 304");
    relay_test_ok(relay_cache_serve_stale_on_error(&d, 501),
                  "stale on error: any 5xx under CacheStaleOnError");
    d.stale_on_error = 0;
    relay_test_ok(!relay_cache_serve_stale_on_error(&d, 502),
                  "stale on error: not allowed");
    /* RFC 5861 §4 alone: 500, 502, 503, 504 and no answer. */
    d.stale_if_error = 1;
    relay_test_ok(relay_cache_serve_stale_on_error(&d, 0),
                  "stale-if-error: origin unreachable");
    relay_test_ok(relay_cache_serve_stale_on_error(&d, 500) &&
                      relay_cache_serve_stale_on_error(&d, 502) &&
                      relay_cache_serve_stale_on_error(&d, 503) &&
                      relay_cache_serve_stale_on_error(&d, 504),
                  "stale-if-error: 500, 502, 503, 504");
    relay_test_ok(!relay_cache_serve_stale_on_error(&d, 501) &&
                      !relay_cache_serve_stale_on_error(&d, 505),
                  "stale-if-error: not 501 or 505");
    relay_test_ok(!relay_cache_serve_stale_on_error(&d, 404),
                  "stale-if-error: not 404");
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    RELAY_TEST_TABLE(lookup_cases, run_lookup_case, "lookup", pool);
    RELAY_TEST_TABLE(store_cases, run_store_case, "store", pool);
    RELAY_TEST_TABLE(fresh_cases, run_fresh_case, "freshness", pool);
    RELAY_TEST_TABLE(age_cases, run_age_case, "age", pool);
    RELAY_TEST_TABLE(serve_cases, run_serve_case, "serve", pool);
    test_stale_on_error();
    test_may_serve_stale(pool);
    for (i = RELAY_CACHE_STORE_OK; i <= RELAY_CACHE_STORE_ENV_NO_CACHE; i++) {
        const char *r = relay_cache_store_reason((relay_cache_store_t)i);

        relay_test_ok(r != NULL && strcmp(r, "unknown") != 0, "reason %d: %s",
                      i, r);
    }
    return relay_test_done();
}
