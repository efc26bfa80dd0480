/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_control.c: Cache-Control values of requests
 * and responses (RFC 9111 §5.2), each parsed whole, as every prefix (into
 * an exact-size buffer, so a read past the end is caught), and split into
 * two field lines at every top-level comma, which must not change the
 * result; Pragma; HTTP-dates in all three forms and their formatting.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_cache_control.h"
#include "relay_test.h"

/* Renders the directives as one canonical line, the form cases expect. */
static const char *describe(apr_pool_t *pool, const relay_cache_control_t *cc)
{
    const char *out = "";

#define DELTA(name, v)                                                         \
    if ((v) != RELAY_CC_UNSET) {                                               \
        out = apr_psprintf(pool, "%s %s=%" APR_INT64_T_FMT, out, name, (v));   \
    }
#define FLAG(name, v)                                                          \
    if (v) {                                                                   \
        out = apr_pstrcat(pool, out, " ", name, NULL);                         \
    }
    DELTA("max-age", cc->max_age);
    DELTA("s-maxage", cc->s_maxage);
    DELTA("max-stale", cc->max_stale);
    DELTA("min-fresh", cc->min_fresh);
    DELTA("swr", cc->stale_while_revalidate);
    DELTA("sie", cc->stale_if_error);
    FLAG("no-cache", cc->no_cache);
    FLAG("no-store", cc->no_store);
    FLAG("private", cc->private_);
    FLAG("public", cc->public_);
    FLAG("must-revalidate", cc->must_revalidate);
    FLAG("proxy-revalidate", cc->proxy_revalidate);
    FLAG("only-if-cached", cc->only_if_cached);
    FLAG("no-transform", cc->no_transform);
    FLAG("immutable", cc->immutable);
    FLAG("must-understand", cc->must_understand);
    FLAG("pragma", cc->pragma_no_cache);
#undef DELTA
#undef FLAG
    if (cc->no_cache_fields != NULL) {
        out = apr_pstrcat(pool, out, " no-cache=[", cc->no_cache_fields, "]",
                          NULL);
    }
    if (cc->private_fields != NULL) {
        out =
            apr_pstrcat(pool, out, " private=[", cc->private_fields, "]", NULL);
    }
    if (cc->invalid > 0) {
        out = apr_psprintf(pool, "%s invalid=%d", out, cc->invalid);
    }
    return *out == ' ' ? out + 1 : out;
}

typedef struct cc_case_t {
    const char *in;
    const char *expect;
} cc_case_t;

static const cc_case_t cc_cases[] = {
    /* Each directive alone (RFC 9111 §5.2.1 and §5.2.2, RFC 5861, 8246). */
    {"", ""},
    {"max-age=60", "max-age=60"},
    {"s-maxage=30", "s-maxage=30"},
    {"max-stale", "max-stale=2147483648"},
    {"max-stale=10", "max-stale=10"},
    {"min-fresh=5", "min-fresh=5"},
    {"stale-while-revalidate=20", "swr=20"},
    {"stale-if-error=600", "sie=600"},
    {"no-cache", "no-cache"},
    {"no-store", "no-store"},
    {"private", "private"},
    {"public", "public"},
    {"must-revalidate", "must-revalidate"},
    {"proxy-revalidate", "proxy-revalidate"},
    {"only-if-cached", "only-if-cached"},
    {"no-transform", "no-transform"},
    {"immutable", "immutable"},
    {"must-understand, no-store", "no-store must-understand"},
    /* Case, whitespace, empty list elements. */
    {"MAX-AGE=7, No-Cache", "max-age=7 no-cache"},
    {"  public ,\tmax-age=3600  ", "max-age=3600 public"},
    {",,max-age=1,,", "max-age=1"},
    {"max-age = 9", "max-age=9"},
    /* The example of RFC 9111 §5.2.2.4 and quoted arguments (§5.2). */
    {"no-cache=\"Set-Cookie, X-Foo\", max-age=100",
     "max-age=100 no-cache=[set-cookie, x-foo]"},
    {"private=\"Authorization\"", "private=[authorization]"},
    {"private=\"a\", private=b", "private=[a, b]"},
    {"no-cache=\"\"", "no-cache"},
    {"no-cache=\" , \"", "no-cache"},
    {"no-cache=x, no-cache", "no-cache no-cache=[x]"},
    {"max-age=\"60\"", "max-age=60"},
    {"max-age=\"6\\0\"", "max-age=60"},
    {"no-cache=\"a\\\"b\", public", "public no-cache=[a\"b]"},
    /* Duplicates: the most restrictive value (§4.2.1). */
    {"max-age=60, max-age=10", "max-age=10"},
    {"max-age=10, max-age=60", "max-age=10"},
    {"s-maxage=5, s-maxage=50", "s-maxage=5"},
    {"max-stale, max-stale=5", "max-stale=5"},
    {"min-fresh=5, min-fresh=50", "min-fresh=50"},
    {"stale-if-error=9, stale-if-error=3", "sie=3"},
    /* Invalid delta-seconds: stale for max-age, ignored elsewhere. */
    {"max-age=abc", "max-age=0 invalid=1"},
    {"max-age=-1", "max-age=0 invalid=1"},
    {"max-age=+5", "max-age=0 invalid=1"},
    {"max-age=", "max-age=0 invalid=1"},
    {"max-age", "max-age=0 invalid=1"},
    {"max-age=1.5", "max-age=0 invalid=1"},
    {"max-age=60, max-age=x", "max-age=0 invalid=1"},
    {"s-maxage=\"\"", "s-maxage=0 invalid=1"},
    {"max-stale=x", "invalid=1"},
    {"min-fresh", "invalid=1"},
    {"stale-while-revalidate=-3", "invalid=1"},
    /* Overflow: 2^31 (§1.2.2). */
    {"max-age=2147483648", "max-age=2147483648"},
    {"max-age=2147483649", "max-age=2147483648"},
    {"max-age=99999999999999999999999999", "max-age=2147483648"},
    {"max-age=000000000000000000000000007", "max-age=7"},
    {"max-age=2147483647", "max-age=2147483647"},
    /* Unknown directives are ignored (§5.2.3), with or without args. */
    {"community=\"UCI\", max-age=5", "max-age=5"},
    {"foo, bar=baz, max-age=5", "max-age=5"},
    {"public=yes", "public"},
    /* Garbage: skipped to the next top-level comma. */
    {"max-age=5 junk, public", "public invalid=1"},
    {"=5, public", "public invalid=1"},
    {"\"q, r\", no-store", "no-store invalid=1"},
    {"(x), max-age=3", "max-age=3 invalid=1"},
    {"max-age=5;x, s-maxage=1", "s-maxage=1 invalid=1"},
    {"no-cache=\"unterminated, max-age=5", "invalid=1"},
    {"max-age=\"5", "invalid=1"},
    {"no-cache=\"a,b\"junk, public", "public invalid=1"},
    {"\x01\xff, private", "private invalid=1"},
};

static relay_cache_control_t parse_copy(apr_pool_t *pool, const char *in,
                                        apr_size_t n)
{
    relay_cache_control_t cc;
    char *buf = relay_test_dup(in, n);

    relay_cache_control_init(&cc);
    relay_cache_control_parse(&cc, pool, buf, n);
    free(buf);
    return cc;
}

static int run_cc_case(const cc_case_t *c, apr_pool_t *pool)
{
    apr_size_t len = strlen(c->in), n;
    relay_cache_control_t cc = parse_copy(pool, c->in, len);
    const char *got = describe(pool, &cc);
    int quoted = 0;

    if (strcmp(got, c->expect) != 0) {
        relay_test_diag("got \"%s\", want \"%s\"", got, c->expect);
        return 0;
    }
    /* Every prefix: bounded, never crashes, always some result. */
    for (n = 0; n < len; n++) {
        (void)parse_copy(pool, c->in, n);
    }
    /* Two field lines, split at a top-level comma, mean the same. */
    for (n = 0; n < len; n++) {
        relay_cache_control_t two;
        char *a, *b;

        if (c->in[n] == '"') {
            quoted = !quoted;
        }
        if (quoted && c->in[n] == '\\') {
            n++;
            continue;
        }
        if (quoted || c->in[n] != ',') {
            continue;
        }
        a = relay_test_dup(c->in, n);
        b = relay_test_dup(c->in + n + 1, len - n - 1);
        relay_cache_control_init(&two);
        relay_cache_control_parse(&two, pool, a, n);
        relay_cache_control_parse(&two, pool, b, len - n - 1);
        free(a);
        free(b);
        got = describe(pool, &two);
        if (strcmp(got, c->expect) != 0) {
            relay_test_diag("split at %lu: got \"%s\"", (unsigned long)n, got);
            return 0;
        }
    }
    return 1;
}

typedef struct read_case_t {
    const char *desc;
    const char *fields; /* "Name: value|..." */
    const char *expect;
    int request_no_cache;
} read_case_t;

static const read_case_t read_cases[] = {
    {"no fields", "", "", 0},
    {"two Cache-Control lines",
     "Cache-Control: max-age=5|X: y|cache-control: no-store",
     "max-age=5 no-store", 0},
    {"Pragma alone", "Pragma: no-cache", "pragma", 1},
    {"Pragma among other tokens", "Pragma: x, No-Cache", "pragma", 1},
    {"Pragma ignored next to Cache-Control",
     "Pragma: no-cache|Cache-Control: max-stale", "max-stale=2147483648 pragma",
     0},
    {"Pragma other token", "Pragma: nocache", "", 0},
    {"request max-age=0", "Cache-Control: max-age=0", "max-age=0", 1},
    {"request max-age=1", "Cache-Control: max-age=1", "max-age=1", 0},
    {"request no-cache", "Cache-Control: no-cache", "no-cache", 1},
    {"invalid request max-age", "Cache-Control: max-age=x",
     "max-age=0 invalid=1", 1},
    {"empty Cache-Control", "Cache-Control: |Pragma: no-cache", "pragma", 0},
};

static int run_read_case(const read_case_t *c, apr_pool_t *pool)
{
    relay_cache_control_t cc;
    const char *got;

    relay_cache_control_read(&cc, pool, relay_test_fields(pool, c->fields));
    got = describe(pool, &cc);
    if (strcmp(got, c->expect) != 0 ||
        relay_cache_control_request_no_cache(&cc) != c->request_no_cache) {
        relay_test_diag("got \"%s\" no-cache %d", got,
                        relay_cache_control_request_no_cache(&cc));
        return 0;
    }
    return 1;
}

typedef struct date_case_t {
    const char *in;
    int ok;
    apr_int64_t secs; /* since the epoch */
} date_case_t;

static const date_case_t date_cases[] = {
    /* The three forms of RFC 9110 §5.6.7, all the same instant. */
    {"Sun, 06 Nov 1994 08:49:37 GMT", 1, 784111777},
    {"Sunday, 06-Nov-94 08:49:37 GMT", 1, 784111777},
    {"Sun Nov  6 08:49:37 1994", 1, 784111777},
    {"Sun Nov 06 08:49:37 1994", 1, 784111777},
    {"  Sun, 06 Nov 1994 08:49:37 GMT\t", 1, 784111777},
    {"sun, 06 nov 1994 08:49:37 gmt", 1, 784111777},
    {"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0},
    {"Wed, 31 Dec 1969 23:59:59 GMT", 1, -1},
    {"Tue, 19 Jan 2038 03:14:08 GMT", 1, 2147483648LL},
    {"Fri, 31 Dec 9999 23:59:59 GMT", 1, 253402300799LL},
    {"Mon, 01 Jan 0001 00:00:00 GMT", 1, -62135596800LL},
    {"Tue, 29 Feb 2000 12:00:00 GMT", 1, 951825600},
    {"Sat, 30 Jun 2012 23:59:60 GMT", 1, 1341100799},
    {"Thursday, 01-Jan-70 00:00:00 GMT", 1, 0},
    {"Friday, 31-Dec-69 00:00:00 GMT", 1, 3155673600LL},
    {"Mon, 06 Nov 1994 08:49:37 GMT", 1, 784111777}, /* day not checked */
    {"Thu Jan  1 00:00:00 1970", 1, 0},
    {"sun, 06 nov 1994 08:49:37 gmt", 1, 784111777}, /* any case */
    {"SUNDAY, 06-NOV-94 08:49:37 GMT", 1, 784111777},
    /* Malformed. */
    {"Su, 06 Nov 1994 08:49:37 GMT", 0, 0},
    /* Bytes above 0x7f where letters go (found by fuzz_cache_control). */
    {"Sun, 06 Nov 1994 08:49:37 G\xa9\xab", 0, 0},
    {"\xd3un, 06 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 06 N\xefv 1994 08:49:37 GMT", 0, 0},
    {"Sund, 06 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sundays, 06-Nov-94 08:49:37 GMT", 0, 0},
    {"Sun, 06 Novem 1994 08:49:37 GMT", 0, 0},
    {"Sun, 06 No 1994 08:49:37 GMT", 0, 0},
    {"", 0, 0},
    {"Sun, 06 Nov 1994 08:49:37", 0, 0},
    {"Sun, 06 Nov 1994 08:49:37 UTC", 0, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT+1", 0, 0},
    {"Sun, 6 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 06 Nov 94 08:49:37 GMT", 0, 0},
    {"Sun,06 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 06 Foo 1994 08:49:37 GMT", 0, 0},
    {"Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 31 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 29 Feb 1900 08:49:37 GMT", 0, 0},
    {"Sun, 00 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 06 Nov 1994 24:00:00 GMT", 0, 0},
    {"Sun, 06 Nov 1994 08:60:00 GMT", 0, 0},
    {"Sun, 06 Nov 1994 08:49:61 GMT", 0, 0},
    {"Sun, 06 Nov 0000 08:49:37 GMT", 0, 0},
    {"Sun, 06 Nov 1994 8:49:37 GMT", 0, 0},
    {"Sunday, 06 Nov 1994 08:49:37 GMT", 0, 0},
    {"Sun, 06-Nov-94 08:49:37 GMT", 0, 0},
    {"Sunday, 06-Nov-1994 08:49:37 GMT", 0, 0},
    {"Sun Nov 6 08:49:37 1994", 0, 0},
    {"Sun Nov  6 08:49:37 94", 0, 0},
    {"Sunday Nov  6 08:49:37 1994", 0, 0},
    {"0", 0, 0},
    {"-1", 0, 0},
    {"Sun, 06 Nov 1994 08:49:37 GMT\0", 0, 0},
};

static int run_date_case(const date_case_t *c, apr_size_t len)
{
    apr_time_t t = 0;
    char *buf = relay_test_dup(c->in, len);
    int ok = relay_http_date_parse(buf, len, &t);
    apr_size_t n;

    free(buf);
    if (ok != c->ok || (ok && t != apr_time_from_sec(c->secs))) {
        relay_test_diag("got %d %" APR_TIME_T_FMT, ok, t);
        return 0;
    }
    /* A truncated date is never a date (trailing whitespace aside). */
    for (n = 0; ok && n < len; n++) {
        if (len - n <= 1 && c->in[len - 1] == '\t') {
            continue;
        }
        buf = relay_test_dup(c->in, n);
        if (relay_http_date_parse(buf, n, &t)) {
            relay_test_diag("prefix of %lu bytes parsed", (unsigned long)n);
            free(buf);
            return 0;
        }
        free(buf);
    }
    return 1;
}

typedef struct format_case_t {
    apr_int64_t secs;
    const char *expect;
} format_case_t;

static const format_case_t format_cases[] = {
    {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
    {951825600, "Tue, 29 Feb 2000 12:00:00 GMT"},
    {2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT"},
    {253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {-62135596800LL, "Mon, 01 Jan 0001 00:00:00 GMT"},
    {-62135596801LL, "Mon, 01 Jan 0001 00:00:00 GMT"},
};

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(cc_cases); i++) {
        relay_test_ok(
            run_cc_case(&cc_cases[i], pool), "cache-control: %s",
            relay_test_quote(pool, cc_cases[i].in, strlen(cc_cases[i].in)));
    }
    for (i = 0; i < RELAY_TEST_COUNT(read_cases); i++) {
        relay_test_ok(run_read_case(&read_cases[i], pool), "read: %s",
                      read_cases[i].desc);
    }
    for (i = 0; i < RELAY_TEST_COUNT(date_cases); i++) {
        apr_size_t len = strlen(date_cases[i].in);

        if (i == RELAY_TEST_COUNT(date_cases) - 1) {
            len++; /* the case with a NUL inside the length */
        }
        relay_test_ok(run_date_case(&date_cases[i], len), "date: %s",
                      relay_test_quote(pool, date_cases[i].in, len));
    }
    for (i = 0; i < RELAY_TEST_COUNT(format_cases); i++) {
        char buf[RELAY_HTTP_DATE_LEN + 1];
        apr_time_t back = 0;
        int ok;

        relay_http_date_format(buf, apr_time_from_sec(format_cases[i].secs));
        ok = strcmp(buf, format_cases[i].expect) == 0 &&
             relay_http_date_parse(buf, strlen(buf), &back);
        if (!ok) {
            relay_test_diag("got \"%s\"", buf);
        }
        relay_test_ok(ok, "format: %" APR_INT64_T_FMT, format_cases[i].secs);
    }
    {
        char buf[RELAY_HTTP_DATE_LEN + 1];

        /* Sub-second times round down, before the epoch too. */
        relay_http_date_format(buf, -1);
        relay_test_ok(strcmp(buf, "Wed, 31 Dec 1969 23:59:59 GMT") == 0,
                      "format: one microsecond before the epoch");
        relay_http_date_format(buf, apr_time_from_sec(5) + 999999);
        relay_test_ok(strcmp(buf, "Thu, 01 Jan 1970 00:00:05 GMT") == 0,
                      "format: fraction dropped");
        relay_test_ok(!relay_http_date_parse(NULL, 0, NULL), "date: NULL");
    }
    {
        /* Every day of a leap year and the next, so each month and day
         * name: formatted, then parsed back to the same second. */
        apr_int64_t day, bad = -1;

        for (day = 0; day < 731 && bad < 0; day++) {
            apr_int64_t secs = 946684800LL + day * 86400 + 3723;
            char buf[RELAY_HTTP_DATE_LEN + 1];
            apr_time_t back = 0;

            relay_http_date_format(buf, apr_time_from_sec(secs));
            if (!relay_http_date_parse(buf, strlen(buf), &back) ||
                back != apr_time_from_sec(secs)) {
                relay_test_diag("\"%s\" did not come back", buf);
                bad = day;
            }
        }
        relay_test_ok(bad < 0, "date: every day of 2000 and 2001 round trips");
    }
    {
        /* A hostile value: thousands of quoted arguments, each element
         * ending up in the list once. */
        apr_array_header_t *parts = apr_array_make(pool, 3000, sizeof(char *));
        relay_cache_control_t cc;
        const char *v, *list;
        int n = 0;

        for (i = 0; i < 3000; i++) {
            APR_ARRAY_PUSH(parts, const char *) = "no-cache=\"x-a, x-b\"";
        }
        v = apr_array_pstrcat(pool, parts, ',');
        relay_cache_control_init(&cc);
        relay_cache_control_parse(&cc, pool, v, strlen(v));
        for (list = cc.no_cache_fields; list != NULL && *list != '\0'; list++) {
            n += *list == ',';
        }
        relay_test_ok(!cc.no_cache && cc.invalid == 0 && n == 5999,
                      "cache-control: 3000 qualified no-cache directives");
    }
    return relay_test_done();
}
