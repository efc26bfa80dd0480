/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cgi_head.c. Every case is fed whole, in two pieces
 * split at every byte position, and one byte at a time, each piece in a
 * heap block of its exact size; the fields, the Status and Location found,
 * where the body starts and the final status must be the same every way,
 * and relay_cgi_head_finish() must agree with the last status.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_cgi_head.h"
#include "relay_test.h"

/* A string literal and its length, NULs inside included. */
#define IN(s) .in = (s), .len = sizeof(s) - 1

typedef struct head_case_t {
    const char *desc;
    const char *in;
    apr_size_t len;
    relay_cgi_head_limits_t limits; /* zeros: the defaults */
    relay_status_t expect;
    const char *fields; /* RELAY_OK: the table, as "Name: value|..." */
    int status;         /* RELAY_OK: from Status, or 0 */
    const char *reason; /* RELAY_OK: Status's reason, or NULL */
    relay_cgi_location_t location;
    apr_size_t body; /* RELAY_OK: where the body starts (0: len) */
} head_case_t;

#define LIMITS(head, line, fields) .limits = {(head), (line), (fields)}

static const head_case_t head_cases[] = {
    /* Complete blocks. */
    {"Content-Type only", IN("Content-Type: text/html\r\n\r\n"),
     .expect = RELAY_OK, .fields = "Content-Type: text/html"},
    {"Status with a reason",
     IN("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n"),
     .expect = RELAY_OK, .fields = "Content-Type: text/plain", .status = 404,
     .reason = "Not Found"},
    {"Status without a reason", IN("Status: 204\r\n\r\n"), .expect = RELAY_OK,
     .fields = "", .status = 204},
    {"Status in lower case, with whitespace",
     IN("status:   302 \t Found it  \r\n\r\n"), .expect = RELAY_OK,
     .fields = "", .status = 302, .reason = "Found it"},
    {"Status 100, the lowest", IN("Status: 100 Continue\r\n\r\n"),
     .expect = RELAY_OK, .fields = "", .status = 100, .reason = "Continue"},
    {"Status 599, the highest", IN("Status: 599\r\n\r\n"), .expect = RELAY_OK,
     .fields = "", .status = 599},
    {"Status after other fields", IN("X-A: 1\nStatus: 500 Oops\nX-B: 2\n\n"),
     .expect = RELAY_OK, .fields = "X-A: 1|X-B: 2", .status = 500,
     .reason = "Oops"},
    {"local Location", IN("Location: /other/page?x=1\r\n\r\n"),
     .expect = RELAY_OK, .fields = "Location: /other/page?x=1",
     .location = RELAY_CGI_LOCATION_LOCAL},
    {"absolute Location with Status",
     IN("Status: 302 Found\r\nLocation: https://a.test/x\r\n\r\n"),
     .expect = RELAY_OK, .fields = "Location: https://a.test/x", .status = 302,
     .reason = "Found", .location = RELAY_CGI_LOCATION_ABSOLUTE},
    {"absolute Location, other scheme",
     IN("location: x-my.app+1:thing\r\n\r\n"), .expect = RELAY_OK,
     .fields = "location: x-my.app+1:thing",
     .location = RELAY_CGI_LOCATION_ABSOLUTE},
    {"network-path Location is not local", IN("Location: //a.test/x\r\n\r\n"),
     .expect = RELAY_OK, .fields = "Location: //a.test/x",
     .location = RELAY_CGI_LOCATION_OTHER},
    {"relative Location", IN("Location: other/page\r\n\r\n"),
     .expect = RELAY_OK, .fields = "Location: other/page",
     .location = RELAY_CGI_LOCATION_OTHER},
    {"Location with a digit first is no scheme",
     IN("Location: 1http://a.test/\r\n\r\n"), .expect = RELAY_OK,
     .fields = "Location: 1http://a.test/",
     .location = RELAY_CGI_LOCATION_OTHER},
    {"empty Location", IN("Location:\r\n\r\n"), .expect = RELAY_OK,
     .fields = "Location: ", .location = RELAY_CGI_LOCATION_OTHER},
    {"repeated Set-Cookie kept apart",
     IN("Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\n"
        "Content-Type: text/html\r\n\r\n"),
     .expect = RELAY_OK,
     .fields = "Set-Cookie: a=1; Path=/|Set-Cookie: b=2|"
               "Content-Type: text/html"},
    {"LF only", IN("Content-Type: text/plain\nX-A: b\n\nbody"),
     .expect = RELAY_OK, .fields = "Content-Type: text/plain|X-A: b",
     .body = 33},
    {"LF and CRLF mixed", IN("X-A: 1\r\nX-B: 2\n\r\n"), .expect = RELAY_OK,
     .fields = "X-A: 1|X-B: 2"},
    {"obs-fold becomes one space",
     IN("X-Long: a\r\n  b\r\n\tc\r\nContent-Type: t\r\n\r\n"),
     .expect = RELAY_OK, .fields = "X-Long: a b c|Content-Type: t"},
    {"obs-fold swallows the whitespace around it",
     IN("X-A: a \t\r\n \t b \r\n\r\n"), .expect = RELAY_OK,
     .fields = "X-A: a b"},
    {"obs-fold of an empty value", IN("X-A:\r\n b\r\n\r\n"), .expect = RELAY_OK,
     .fields = "X-A: b"},
    {"obs-fold by a blank line of spaces", IN("X-A: a\r\n   \r\nX-B: b\n\n"),
     .expect = RELAY_OK, .fields = "X-A: a|X-B: b"},
    {"obs-fold inside Status", IN("Status: 200\r\n OK\r\n\r\n"),
     .expect = RELAY_OK, .fields = "", .status = 200, .reason = "OK"},
    {"obs-fold of the last field, LF only", IN("X-A: a\n b\n\n"),
     .expect = RELAY_OK, .fields = "X-A: a b"},
    {"body in the same input",
     IN("Content-Type: t\r\n\r\nhello\r\n\r\nX-Not: a field\r\n"),
     .expect = RELAY_OK, .fields = "Content-Type: t", .body = 19},
    {"empty block", IN("\r\n"), .expect = RELAY_OK, .fields = ""},
    {"empty block, LF only, then a body", IN("\nbody"), .expect = RELAY_OK,
     .fields = "", .body = 1},
    {"empty block, then a body looking like fields",
     IN("\r\nStatus: 500\r\n\r\n"), .expect = RELAY_OK, .fields = "",
     .body = 2},
    {"empty value", IN("X-Empty:\r\nX-B:   \r\n\r\n"), .expect = RELAY_OK,
     .fields = "X-Empty: |X-B: "},
    {"no space after the colon", IN("X-A:b\r\n\r\n"), .expect = RELAY_OK,
     .fields = "X-A: b"},
    {"HTAB and obs-text in a value", IN("X-A: a\tb \xe9\xff\r\n\r\n"),
     .expect = RELAY_OK, .fields = "X-A: a\tb \xe9\xff"},
    {"every tchar in a name", IN("!#$%&'*+-.^_`|~09aZ: v\r\n\r\n"),
     .expect = RELAY_OK, .fields = "!#$%&'*+-.^_`|~09aZ: v"},
    {"a colon inside a value", IN("X-A: b: c\r\n\r\n"), .expect = RELAY_OK,
     .fields = "X-A: b: c"},
    {"line of max_line bytes", IN("X-A: 123\r\n\r\n"), LIMITS(0, 8, 0),
     .expect = RELAY_OK, .fields = "X-A: 123"},
    {"block of max_head bytes", IN("X-A: 1\r\n\r\n"), LIMITS(10, 0, 0),
     .expect = RELAY_OK, .fields = "X-A: 1"},
    {"block of max_head bytes, then a body", IN("X-A: 1\r\n\r\nmore"),
     LIMITS(10, 0, 0), .expect = RELAY_OK, .fields = "X-A: 1", .body = 10},
    {"max_fields fields, Status counted",
     IN("Status: 200\r\nX-A: 1\r\nX-B: 2\r\n\r\n"), LIMITS(0, 0, 3),
     .expect = RELAY_OK, .fields = "X-A: 1|X-B: 2", .status = 200},
    {"folded name and value of max_line bytes", IN("X-A: 12\r\n 45\r\n\r\n"),
     LIMITS(0, 8, 0), .expect = RELAY_OK, .fields = "X-A: 12 45"},

    /* Incomplete blocks: RELAY_AGAIN, and RELAY_ETRUNCATED at the end. */
    {"nothing yet", IN(""), .expect = RELAY_AGAIN},
    {"no empty line yet", IN("Content-Type: t\r\n"), .expect = RELAY_AGAIN},
    {"inside a name", IN("Content-Ty"), .expect = RELAY_AGAIN},
    {"CR ending a line", IN("X-A: 1\r"), .expect = RELAY_AGAIN},
    {"CR of the empty line", IN("X-A: 1\r\n\r"), .expect = RELAY_AGAIN},

    /* Malformed Status. */
    {"Status of two digits", IN("Status: 99\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"Status 099", IN("Status: 099 Low\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"Status 600", IN("Status: 600 High\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"Status of four digits", IN("Status: 2000\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"Status with a letter", IN("Status: 20x\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"Status with a sign", IN("Status: +200\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"Status without a code", IN("Status: OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"empty Status", IN("Status:\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"Status code glued to its reason", IN("Status: 200OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"two Status fields", IN("Status: 200\r\nStatus: 201\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},

    /* Malformed lines. */
    {"a status line", IN("HTTP/1.1 200 OK\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"space before the colon", IN("Content-Type : t\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"no colon", IN("Content-Type\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"empty name", IN(": x\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"separator in a name", IN("X(A): x\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"high byte in a name", IN("X-\xc3\xa9: x\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"NUL in a name", IN("X\0A: x\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"NUL in a value", IN("X-A: a\0b\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"bare CR in a value", IN("X-A: a\rb\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"bare CR ending a value", IN("X-A: a\rX-B: b\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"CR then a byte on an empty line", IN("X-A: a\r\n\rX"),
     .expect = RELAY_EBADHEADER},
    {"control byte in a value", IN("X-A: a\x01 b\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"DEL in a value", IN("X-A: a\x7f\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"ESC in a value", IN("X-A: \x1b[31m\r\n\r\n"), .expect = RELAY_EBADHEADER},
    {"continuation before any field", IN(" X-A: a\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"two Location fields",
     IN("Location: /a\r\nLocation: http://b.test/\r\n\r\n"),
     .expect = RELAY_EBADHEADER},

    /* Limits. */
    {"line over max_line", IN("X-A: 1234\r\n\r\n"), LIMITS(0, 8, 0),
     .expect = RELAY_ETOOLARGE},
    {"name over max_line", IN("X-Abcdefgh: 1\r\n\r\n"), LIMITS(0, 8, 0),
     .expect = RELAY_ETOOLARGE},
    {"line over max_line, never ended", IN("X-A: 123456789"), LIMITS(0, 8, 0),
     .expect = RELAY_ETOOLARGE},
    {"folded name and value over max_line", IN("X-A: 12\r\n 456\r\n\r\n"),
     LIMITS(0, 8, 0), .expect = RELAY_ETOOLARGE},
    {"block over max_head", IN("X-A: 1\r\nX-B: 2\r\n\r\n"), LIMITS(17, 0, 0),
     .expect = RELAY_ETOOLARGE},
    {"block over max_head, CR of the empty line in", IN("X-A: 1\r\n\r\n"),
     LIMITS(9, 0, 0), .expect = RELAY_ETOOLARGE},
    {"fields over max_fields", IN("X-A: 1\r\nX-B: 2\r\nX-C: 3\r\n\r\n"),
     LIMITS(0, 0, 2), .expect = RELAY_ETOOLARGE},
    {"Status counted in max_fields", IN("X-A: 1\r\nStatus: 200\r\n\r\n"),
     LIMITS(0, 0, 1), .expect = RELAY_ETOOLARGE},
};

typedef struct head_result_t {
    relay_status_t rv;
    apr_size_t used;
    const char *broken;
} head_result_t;

/* Feeds one piece, copied to a block of its own size. */
static void head_feed(relay_cgi_head_parser_t *p, const char *in,
                      apr_size_t len, head_result_t *r)
{
    char *buf = relay_test_dup(in, len);
    apr_size_t consumed = 99;

    if (r->rv == RELAY_AGAIN) {
        r->rv = relay_cgi_head_parse(p, buf, len, &consumed);
        if (r->rv >= 0 && consumed > len) {
            r->broken = "consumed more than the input";
        }
        else if (r->rv == RELAY_AGAIN && consumed != len) {
            r->broken = "RELAY_AGAIN without using all of the input";
        }
        else if (r->rv == RELAY_OK && consumed == 0 && len > 0) {
            r->broken = "RELAY_OK before the first byte";
        }
        else if (r->rv >= 0) {
            r->used += consumed;
        }
    }
    free(buf);
}

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The result of a complete block against the case. */
static int check_head(const head_case_t *c, apr_pool_t *pool,
                      const relay_cgi_head_t *h, const char *how)
{
    const char *fields = relay_test_fields_text(pool, h->headers);

    if (strcmp(fields, c->fields) != 0) {
        relay_test_diag("%s: fields %s", how,
                        relay_test_quote(pool, fields, strlen(fields)));
        return 0;
    }
    if (h->status != c->status || !same_string(h->reason, c->reason)) {
        relay_test_diag("%s: status %d reason %s", how, h->status,
                        h->reason ? h->reason : "(none)");
        return 0;
    }
    if (h->location != c->location ||
        (h->location_value != NULL) != (c->location != 0) ||
        (h->location_value != NULL &&
         !same_string(h->location_value,
                      apr_table_get(h->headers, "Location")))) {
        relay_test_diag("%s: location %d", how, (int)h->location);
        return 0;
    }
    return 1;
}

static int head_check(const head_case_t *c, apr_pool_t *pool,
                      relay_cgi_head_parser_t *p, const head_result_t *r,
                      const char *how)
{
    apr_size_t body = c->body ? c->body : c->len;
    relay_status_t fin = relay_cgi_head_finish(p);

    if (r->broken != NULL) {
        relay_test_diag("%s: %s", how, r->broken);
        return 0;
    }
    if (r->rv != c->expect) {
        relay_test_diag("%s: got %d (%s), want %d", how, (int)r->rv,
                        relay_status_describe(r->rv), (int)c->expect);
        return 0;
    }
    if (fin != (c->expect == RELAY_AGAIN ? RELAY_ETRUNCATED : c->expect)) {
        relay_test_diag("%s: finish says %d", how, (int)fin);
        return 0;
    }
    if (c->expect != RELAY_OK) {
        return 1;
    }
    if (r->used != body) {
        relay_test_diag("%s: body at %lu, want %lu", how,
                        (unsigned long)r->used, (unsigned long)body);
        return 0;
    }
    return check_head(c, pool, relay_cgi_head_result(p), how);
}

/* A finished or failed parser stays that way and takes no more bytes. */
static int head_sticky(const head_case_t *c, relay_cgi_head_parser_t *p)
{
    apr_size_t consumed = 99;

    if (c->expect == RELAY_AGAIN) {
        return 1;
    }
    return relay_cgi_head_parse(p, "X: y\r\n\r\n", 8, &consumed) == c->expect &&
           consumed == 0;
}

static int run_head_case(const head_case_t *c, apr_pool_t *pool)
{
    apr_pool_t *sub;
    relay_cgi_head_parser_t *p;
    head_result_t r = {RELAY_AGAIN, 0, NULL};
    apr_size_t k;
    int ok;

    apr_pool_create(&sub, pool);
    p = relay_cgi_head_parser_make(sub, &c->limits);
    head_feed(p, c->in, c->len, &r);
    ok = head_check(c, sub, p, &r, "whole") && head_sticky(c, p);

    for (k = 0; ok && k <= c->len; k++) {
        head_result_t s = {RELAY_AGAIN, 0, NULL};
        char how[64];

        apr_pool_clear(sub);
        p = relay_cgi_head_parser_make(sub, &c->limits);
        head_feed(p, c->in, k, &s);
        head_feed(p, c->in + k, c->len - k, &s);
        apr_snprintf(how, sizeof(how), "split at %lu", (unsigned long)k);
        ok = head_check(c, sub, p, &s, how);
    }

    if (ok) {
        head_result_t s = {RELAY_AGAIN, 0, NULL};

        apr_pool_clear(sub);
        p = relay_cgi_head_parser_make(sub, &c->limits);
        for (k = 0; k < c->len; k++) {
            head_feed(p, c->in + k, 1, &s);
        }
        ok = head_check(c, sub, p, &s, "byte by byte");
    }
    apr_pool_destroy(sub);
    return ok;
}

/* Appends a field line of `n` bytes, its CRLF not counted. */
static void add_line(char *in, apr_size_t *len, apr_size_t n)
{
    memcpy(in + *len, "X-A: ", 5);
    memset(in + *len + 5, 'v', n - 5);
    memcpy(in + *len + n, "\r\n", 2);
    *len += n + 2;
}

/*
 * The default limits (64 KiB, 8 KiB, 100 fields), at and one past each,
 * fed whole and byte by byte. `kind` picks the limit: 'f' fields, 'l' a
 * line, 'h' the block.
 */
static int run_default_limit(apr_pool_t *pool, int kind, int over)
{
    apr_size_t len = 0, i, k, used, rest;
    char *in = apr_palloc(pool, 70000);
    relay_status_t want = over ? RELAY_ETOOLARGE : RELAY_OK, rv;
    relay_cgi_head_parser_t *p;

    if (kind == 'f') {
        for (i = 0; i < 100 + (apr_size_t)over; i++) {
            len += (apr_size_t)apr_snprintf(in + len, 32, "X-%lu: v\r\n",
                                            (unsigned long)i);
        }
    }
    else if (kind == 'l') {
        add_line(in, &len, 8192 + (apr_size_t)over);
    }
    else {
        /* Lines filling the block to 65536 bytes with its empty line. */
        for (rest = 65534 + (apr_size_t)over; rest > 8002; rest -= 8002) {
            add_line(in, &len, 8000);
        }
        add_line(in, &len, rest - 2);
    }
    memcpy(in + len, "\r\n", 2);
    len += 2;

    p = relay_cgi_head_parser_make(pool, NULL);
    rv = relay_cgi_head_parse(p, in, len, &used);
    if (rv != want || (rv == RELAY_OK && used != len)) {
        relay_test_diag("whole: got %d", (int)rv);
        return 0;
    }
    p = relay_cgi_head_parser_make(pool, NULL);
    for (k = 0, rv = RELAY_AGAIN; k < len && rv == RELAY_AGAIN; k++) {
        rv = relay_cgi_head_parse(p, in + k, 1, &used);
    }
    return rv == want && (kind != 'h' || len == 65536 + (apr_size_t)over);
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    RELAY_TEST_TABLE(head_cases, run_head_case, "cgi head", pool);
    relay_test_ok(run_default_limit(pool, 'f', 0),
                  "cgi head: 100 fields by default");
    relay_test_ok(run_default_limit(pool, 'f', 1),
                  "cgi head: not 101 fields by default");
    relay_test_ok(run_default_limit(pool, 'l', 0),
                  "cgi head: a line of 8192 bytes by default");
    relay_test_ok(run_default_limit(pool, 'l', 1),
                  "cgi head: not a line of 8193 bytes by default");
    relay_test_ok(run_default_limit(pool, 'h', 0),
                  "cgi head: a block of 65536 bytes by default");
    relay_test_ok(run_default_limit(pool, 'h', 1),
                  "cgi head: not a block of 65537 bytes by default");
    return relay_test_done();
}
