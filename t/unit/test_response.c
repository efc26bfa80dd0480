/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_response.c: the response head parser, fed every
 * valid head whole, as every growing prefix and with body bytes after it,
 * and many malformed ones; the framing decision; Content-Length values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_response.h"
#include "relay_test.h"

/* A string literal and its length, NULs inside included. */
#define IN(s) .in = (s), .len = sizeof(s) - 1

typedef struct parse_case_t {
    const char *desc;
    const char *in;
    apr_size_t len;
    apr_size_t max_head; /* 0: the default */
    apr_size_t max_line; /* 0: the default */
    int max_fields;      /* 0: the default */
    int ignore;          /* RELAY_BAD_HEADER_IGNORE */
    relay_status_t expect;
    /* What a RELAY_OK result holds. */
    int version;
    int status;
    const char *reason;
    const char *fields; /* "name=value|..." in order */
    int bad_lines;
    apr_size_t head_len; /* 0: the whole input */
} parse_case_t;

static const parse_case_t parse_cases[] = {
    /* Valid heads. */
    {"simple 200", IN("HTTP/1.1 200 OK\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 200, .reason = "OK", .fields = ""},
    {"fields in order, OWS stripped",
     IN("HTTP/1.1 200 OK\r\nContent-Type:  text/html \r\n"
        "X-A:\tb c\t\r\nx-a: d\r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "Content-Type=text/html|X-A=b c|x-a=d"},
    {"HTTP/1.0", IN("HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n"),
     .expect = RELAY_OK, .version = 10, .status = 404, .reason = "Not Found",
     .fields = "Server=x"},
    {"reason missing", IN("HTTP/1.1 200\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 200, .reason = "", .fields = ""},
    {"reason empty after SP", IN("HTTP/1.1 204 \r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 204, .reason = "", .fields = ""},
    {"reason with spaces, tab and obs-text",
     IN("HTTP/1.1 500 Bad \tthing \xe9\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 500, .reason = "Bad \tthing \xe9", .fields = ""},
    {"status 100", IN("HTTP/1.1 100 Continue\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 100, .reason = "Continue", .fields = ""},
    {"status 599", IN("HTTP/1.1 599 x\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 599, .reason = "x", .fields = ""},
    {"bare LF line ends", IN("HTTP/1.1 200 OK\nA: 1\nB: 2\n\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=1|B=2"},
    {"mixed CRLF and LF", IN("HTTP/1.1 200 OK\r\nA: 1\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=1"},
    {"empty field value", IN("HTTP/1.1 200 OK\r\nX-Empty:\r\nY:   \r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "X-Empty=|Y="},
    {"colon inside value",
     IN("HTTP/1.1 302 Found\r\nLocation: http://a:1/\r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 302, .reason = "Found",
     .fields = "Location=http://a:1/"},
    {"token punctuation in name",
     IN("HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~0aZ: v\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 200, .reason = "OK",
     .fields = "!#$%&'*+-.^_`|~0aZ=v"},
    {"obs-text in value", IN("HTTP/1.1 200 OK\r\nX: caf\xc3\xa9\r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "X=caf\xc3\xa9"},
    {"body bytes after head are not consumed",
     IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "Content-Length=5", .head_len = 38},
    {"next response after head is not consumed",
     IN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 100, .reason = "Continue",
     .fields = "", .head_len = 25},
    {"exactly max_fields fields", IN("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"),
     .max_fields = 2, .expect = RELAY_OK, .version = 11, .status = 200,
     .reason = "OK", .fields = "A=1|B=2"},
    {"line exactly max_line", IN("HTTP/1.1 200 OK\r\nA: 123456789012\r\n\r\n"),
     .max_line = 15, .expect = RELAY_OK, .version = 11, .status = 200,
     .reason = "OK", .fields = "A=123456789012"},
    {"head exactly max_head", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"),
     .max_head = 25, .expect = RELAY_OK, .version = 11, .status = 200,
     .reason = "OK", .fields = "A=1"},
    {"ignore: obs-fold unfolded as without it",
     IN("HTTP/1.1 200 OK\r\nA: 1\r\n  folded\r\nB: 2\r\n\r\n"), .ignore = 1,
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=1 folded|B=2"},
    {"ignore: the fold of a dropped line goes with it",
     IN("HTTP/1.1 200 OK\r\nbad line\r\n more\r\nB: 2\r\n\r\n"), .ignore = 1,
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "B=2", .bad_lines = 1},
    {"ignore: a fold of Content-Length is still refused",
     IN("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\n"), .ignore = 1,
     .expect = RELAY_EOBSFOLD},
    {"ignore: malformed lines dropped and counted",
     IN("HTTP/1.1 200 OK\r\nA : 1\r\nnocolon\r\n: v\r\nB: x\0y\r\n"
        "C: ok\r\n\tfold\r\n\r\n"),
     .ignore = 1, .expect = RELAY_OK, .version = 11, .status = 200,
     .reason = "OK", .fields = "C=ok fold", .bad_lines = 4},
    {"ignore: dropped lines are not fields for max_fields",
     IN("HTTP/1.1 200 OK\r\nbad\r\nbad\r\nA: 1\r\n\r\n"), .ignore = 1,
     .max_fields = 1, .expect = RELAY_OK, .version = 11, .status = 200,
     .reason = "OK", .fields = "A=1", .bad_lines = 2},

    /* Malformed status lines: always errors. */
    {"HTTP/0.9 body", IN("hello world\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"HTTP/0.9 body, ignore mode", IN("hello world\r\n\r\n"), .ignore = 1,
     .expect = RELAY_EBADSTATUS},
    {"two-digit status", IN("HTTP/1.1 20 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"four-digit status", IN("HTTP/1.1 2000 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"HTTP/2", IN("HTTP/2 200\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"HTTP/2.0", IN("HTTP/2.0 200 OK\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"HTTP/1.2", IN("HTTP/1.2 200 OK\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"HTTP/1.10", IN("HTTP/1.10 200 OK\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"lower-case http", IN("http/1.1 200 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"status 099", IN("HTTP/1.1 099 x\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"status 600", IN("HTTP/1.1 600 x\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"status with letter", IN("HTTP/1.1 2a0 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"signed status", IN("HTTP/1.1 +20 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"two spaces before status", IN("HTTP/1.1  200 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"tab before status", IN("HTTP/1.1\t200 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"no space before reason", IN("HTTP/1.1 200OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"NUL in reason", IN("HTTP/1.1 200 O\0K\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"CR in reason", IN("HTTP/1.1 200 O\rK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"empty first line", IN("\r\nHTTP/1.1 200 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},
    {"status line cut short", IN("HTTP/1\r\n\r\n"), .expect = RELAY_EBADSTATUS},
    {"leading space", IN(" HTTP/1.1 200 OK\r\n\r\n"),
     .expect = RELAY_EBADSTATUS},

    /* Malformed field lines. */
    {"space before colon", IN("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"tab before colon", IN("HTTP/1.1 200 OK\r\nA\t: 5\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"no colon", IN("HTTP/1.1 200 OK\r\nnocolon\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"empty name", IN("HTTP/1.1 200 OK\r\n: v\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"non-token name", IN("HTTP/1.1 200 OK\r\nA(b): v\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"NUL in value", IN("HTTP/1.1 200 OK\r\nA: x\0y\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"NUL at end of value", IN("HTTP/1.1 200 OK\r\nA: x\0\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"NUL in name", IN("HTTP/1.1 200 OK\r\nA\0B: x\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"bare CR in value", IN("HTTP/1.1 200 OK\r\nA: x\ry\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"CR CR LF", IN("HTTP/1.1 200 OK\r\nA: x\r\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"control byte in value", IN("HTTP/1.1 200 OK\r\nA: x\x01y\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"DEL in value", IN("HTTP/1.1 200 OK\r\nA: x\x7fy\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"obs-fold: joined with one SP",
     IN("HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\r\n"), .expect = RELAY_OK,
     .version = 11, .status = 200, .reason = "OK", .fields = "A=1 2"},
    {"obs-fold with tab", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\t2\r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=1 2"},
    {"obs-fold: several, whitespace around each",
     IN("HTTP/1.1 200 OK\r\nA: 1 \r\n \t 2\t\r\n   3  \r\nB: x\r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=1 2 3|B=x"},
    {"obs-fold: of an empty value, and an empty fold",
     IN("HTTP/1.1 200 OK\r\nA:\r\n x\r\nB: y\r\n   \r\n\r\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=x|B=y"},
    {"obs-fold: bare LF line ends", IN("HTTP/1.1 200 OK\nA: 1\n 2\n\n"),
     .expect = RELAY_OK, .version = 11, .status = 200, .reason = "OK",
     .fields = "A=1 2"},
    {"obs-fold of Content-Length",
     IN("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 0\r\n\r\n"),
     .expect = RELAY_EOBSFOLD},
    {"obs-fold of Transfer-Encoding, any case",
     IN("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip,\r\n chunked\r\n\r\n"),
     .expect = RELAY_EOBSFOLD},
    {"obs-fold with a control byte",
     IN("HTTP/1.1 200 OK\r\nA: 1\r\n 2\x01\r\n\r\n"),
     .expect = RELAY_EBADHEADER},
    {"whitespace line after status line",
     IN("HTTP/1.1 200 OK\r\n A: 1\r\n\r\n"), .expect = RELAY_EOBSFOLD},
    {"line of spaces", IN("HTTP/1.1 200 OK\r\n   \r\n\r\n"),
     .expect = RELAY_EOBSFOLD},

    /* Limits. */
    {"max_fields exceeded",
     IN("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), .max_fields = 2,
     .expect = RELAY_ETOOLARGE},
    {"max_fields exceeded, ignore mode",
     IN("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), .max_fields = 2,
     .ignore = 1, .expect = RELAY_ETOOLARGE},
    {"field line over max_line",
     IN("HTTP/1.1 200 OK\r\nA: 1234567890123\r\n\r\n"), .max_line = 15,
     .expect = RELAY_ETOOLARGE},
    {"status line over max_line", IN("HTTP/1.1 200 OK long reason\r\n\r\n"),
     .max_line = 15, .expect = RELAY_ETOOLARGE},
    {"max_line holds in ignore mode",
     IN("HTTP/1.1 200 OK\r\n   1234567890123456\r\n\r\n"), .max_line = 16,
     .ignore = 1, .expect = RELAY_ETOOLARGE},
    {"unterminated line over max_line",
     IN("HTTP/1.1 200 OK\r\nA: 12345678901234567890"), .max_line = 15,
     .expect = RELAY_ETOOLARGE},
    {"head over max_head", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n"),
     .max_head = 24, .expect = RELAY_ETOOLARGE},
    {"incomplete head filling max_head", IN("HTTP/1.1 200 OK\r\nA: 1\r\n"),
     .max_head = 23, .expect = RELAY_ETOOLARGE},
    {"incomplete head beyond max_head", IN("HTTP/1.1 200 OK\r\nA: 1\r\nB"),
     .max_head = 20, .expect = RELAY_ETOOLARGE},

    /* Incomplete heads. */
    {"nothing yet", IN(""), .expect = RELAY_AGAIN},
    {"status line only", IN("HTTP/1.1 200 OK\r\n"), .expect = RELAY_AGAIN},
    {"final CR without LF", IN("HTTP/1.1 200 OK\r\nA: 1\r\n\r"),
     .expect = RELAY_AGAIN},
};

/* Serialises a table as "name=value|...", the form the cases expect. */
static const char *table_text(apr_pool_t *pool, const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out = "";
    int i;

    for (i = 0; i < arr->nelts; i++) {
        out = apr_pstrcat(pool, out, i > 0 ? "|" : "", e[i].key, "=", e[i].val,
                          NULL);
    }
    return out;
}

/* Parses the first n bytes of a case in a buffer of their own; with `pg`,
 * as one more piece of a head read so far (relay_response_parse_more). */
static relay_status_t parse_copy(const parse_case_t *c, apr_size_t n,
                                 relay_response_progress_t *pg,
                                 apr_pool_t *pool, relay_response_head_t *out,
                                 apr_size_t *head_len)
{
    relay_response_limits_t lim;
    char *buf = relay_test_dup(c->in, n);
    relay_status_t rv;

    lim.max_head = c->max_head;
    lim.max_line = c->max_line;
    lim.max_fields = c->max_fields;
    lim.bad_header =
        c->ignore ? RELAY_BAD_HEADER_IGNORE : RELAY_BAD_HEADER_ERROR;
    rv = pg != NULL
             ? relay_response_parse_more(pg, buf, n, &lim, pool, out, head_len)
             : relay_response_parse(buf, n, &lim, pool, out, head_len);
    free(buf);
    return rv;
}

/* Checks a RELAY_OK result against the case. */
static int check_head(const parse_case_t *c, apr_pool_t *pool,
                      const relay_response_head_t *h, apr_size_t head_len)
{
    apr_size_t want_len = c->head_len ? c->head_len : c->len;
    const char *fields = table_text(pool, h->headers);

    if (h->version != c->version || h->status != c->status ||
        strcmp(h->reason, c->reason) != 0 || strcmp(fields, c->fields) != 0 ||
        h->bad_lines != c->bad_lines || head_len != want_len) {
        relay_test_diag("got %d %d %s [%s] bad=%d len=%lu", h->version,
                        h->status,
                        relay_test_quote(pool, h->reason, strlen(h->reason)),
                        fields, h->bad_lines, (unsigned long)head_len);
        return 0;
    }
    return 1;
}

/*
 * Every prefix of the input must give RELAY_AGAIN until the head is
 * complete, then the final answer, and that answer must not change as more
 * bytes arrive: a caller that parses after each read sees the same result
 * as one that had the whole buffer.
 */
static int run_parse_case(const parse_case_t *c, apr_pool_t *pool)
{
    relay_response_head_t head;
    relay_response_progress_t pg = {0, 0, 0, 0, 0};
    apr_size_t n, head_len = 0;
    relay_status_t rv, piecewise = RELAY_AGAIN;
    int settled = 0;

    rv = parse_copy(c, c->len, NULL, pool, &head, &head_len);
    if (rv != c->expect) {
        relay_test_diag("whole input: got %d (%s), want %d", (int)rv,
                        relay_status_describe(rv), (int)c->expect);
        return 0;
    }
    if (rv == RELAY_OK && !check_head(c, pool, &head, head_len)) {
        return 0;
    }
    for (n = 0; n <= c->len; n++) {
        /* Read a byte at a time, resuming: the same answers. */
        if (piecewise == RELAY_AGAIN) {
            piecewise = parse_copy(c, n, &pg, pool, &head, &head_len);
            rv = parse_copy(c, n, NULL, pool, &head, &head_len);
            if (piecewise != rv) {
                relay_test_diag("resumed at %lu bytes: got %d, whole %d",
                                (unsigned long)n, (int)piecewise, (int)rv);
                return 0;
            }
        }
        rv = parse_copy(c, n, NULL, pool, &head, &head_len);
        if (rv == RELAY_AGAIN && !settled) {
            continue;
        }
        if (rv != c->expect) {
            relay_test_diag("prefix of %lu bytes: got %d (%s), want %d",
                            (unsigned long)n, (int)rv,
                            relay_status_describe(rv), (int)c->expect);
            return 0;
        }
        if (rv == RELAY_OK && !check_head(c, pool, &head, head_len)) {
            relay_test_diag("prefix of %lu bytes", (unsigned long)n);
            return 0;
        }
        settled = 1;
    }
    return 1;
}

typedef struct framing_case_t {
    const char *desc;
    const char *head; /* parsed first; must be valid */
    int request_was_head;
    relay_status_t expect;
    relay_framing_kind_t kind;
    apr_off_t length;
} framing_case_t;

#define H11 "HTTP/1.1 200 OK\r\n"

static const framing_case_t framing_cases[] = {
    {"HEAD request", H11 "Content-Length: 10\r\n\r\n", 1, RELAY_OK,
     RELAY_FRAMING_NONE, 0},
    {"HEAD request ignores bad framing", H11 "Content-Length: x\r\n\r\n", 1,
     RELAY_OK, RELAY_FRAMING_NONE, 0},
    {"100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_NONE, 0},
    {"101 Switching Protocols",
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 0,
     RELAY_OK, RELAY_FRAMING_NONE, 0},
    {"204 with Content-Length",
     "HTTP/1.1 204 No Content\r\n"
     "Content-Length: 7\r\n\r\n",
     0, RELAY_OK, RELAY_FRAMING_NONE, 0},
    {"304 with Transfer-Encoding",
     "HTTP/1.1 304 Not Modified\r\n"
     "Transfer-Encoding: chunked\r\n\r\n",
     0, RELAY_OK, RELAY_FRAMING_NONE, 0},
    {"Content-Length", H11 "Content-Length: 42\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_LENGTH, 42},
    {"Content-Length 0", H11 "Content-Length: 0\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_LENGTH, 0},
    {"Content-Length with leading zeros", H11 "Content-Length: 007\r\n\r\n", 0,
     RELAY_OK, RELAY_FRAMING_LENGTH, 7},
    {"Content-Length INT64_MAX",
     H11 "Content-Length: 9223372036854775807\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_LENGTH, APR_INT64_MAX},
    {"duplicate identical Content-Length",
     H11 "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_LENGTH, 5},
    {"Content-Length 1,1", H11 "Content-Length: 1,1\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_LENGTH, 1},
    {"Content-Length list with OWS",
     H11 "Content-Length: 3 ,\t3, 3\r\nContent-Length: 3\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_LENGTH, 3},
    {"differing Content-Length lines",
     H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 0, RELAY_EDUPLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"differing Content-Length list", H11 "Content-Length: 5, 6\r\n\r\n", 0,
     RELAY_EDUPLENGTH, RELAY_FRAMING_CLOSE, 0},
    {"Content-Length +5", H11 "Content-Length: +5\r\n\r\n", 0, RELAY_EBADLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"Content-Length -1", H11 "Content-Length: -1\r\n\r\n", 0, RELAY_EBADLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"Content-Length 5a", H11 "Content-Length: 5a\r\n\r\n", 0, RELAY_EBADLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"Content-Length empty", H11 "Content-Length:\r\n\r\n", 0, RELAY_EBADLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"Content-Length overflow",
     H11 "Content-Length: 9223372036854775808\r\n\r\n", 0, RELAY_EBADLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"Content-Length huge overflow",
     H11 "Content-Length: 99999999999999999999999999999999\r\n\r\n", 0,
     RELAY_EBADLENGTH, RELAY_FRAMING_CLOSE, 0},
    {"bad Content-Length among good ones",
     H11 "Content-Length: 5\r\nContent-Length: 5x\r\n\r\n", 0, RELAY_EBADLENGTH,
     RELAY_FRAMING_CLOSE, 0},
    {"chunked", H11 "Transfer-Encoding: chunked\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_CHUNKED, 0},
    {"CHUNKED, any case", H11 "transfer-encoding: ChUnKeD\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_CHUNKED, 0},
    {"gzip, chunked", H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 0,
     RELAY_OK, RELAY_FRAMING_CHUNKED, 0},
    {"codings over two lines",
     H11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     RELAY_OK, RELAY_FRAMING_CHUNKED, 0},
    {"Content-Length with Transfer-Encoding",
     H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     RELAY_ELENGTHTE, RELAY_FRAMING_CLOSE, 0},
    {"Transfer-Encoding before Content-Length",
     H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 0,
     RELAY_ELENGTHTE, RELAY_FRAMING_CLOSE, 0},
    {"TE gzip", H11 "Transfer-Encoding: gzip\r\n\r\n", 0, RELAY_EBADTE,
     RELAY_FRAMING_CLOSE, 0},
    {"TE chunked, gzip", H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", 0,
     RELAY_EBADTE, RELAY_FRAMING_CLOSE, 0},
    {"TE chunked twice in a list",
     H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 0, RELAY_EBADTE,
     RELAY_FRAMING_CLOSE, 0},
    {"TE chunked on two lines",
     H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
     RELAY_EBADTE, RELAY_FRAMING_CLOSE, 0},
    {"TE chunked with a parameter",
     H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", 0, RELAY_EBADTE,
     RELAY_FRAMING_CLOSE, 0},
    {"TE chunkedx", H11 "Transfer-Encoding: chunkedx\r\n\r\n", 0, RELAY_EBADTE,
     RELAY_FRAMING_CLOSE, 0},
    {"TE empty", H11 "Transfer-Encoding:\r\n\r\n", 0, RELAY_EBADTE,
     RELAY_FRAMING_CLOSE, 0},
    {"TE in an HTTP/1.0 response",
     "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, RELAY_EBADTE,
     RELAY_FRAMING_CLOSE, 0},
    {"no framing fields", H11 "Server: x\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_CLOSE, 0},
    {"HTTP/1.0 without length", "HTTP/1.0 200 OK\r\n\r\n", 0, RELAY_OK,
     RELAY_FRAMING_CLOSE, 0},
};

static int run_framing_case(const framing_case_t *c, apr_pool_t *pool)
{
    relay_response_head_t head;
    relay_framing_t fr;
    apr_size_t head_len;
    relay_status_t rv;

    rv = relay_response_parse(c->head, strlen(c->head), NULL, pool, &head,
                              &head_len);
    if (rv != RELAY_OK) {
        relay_test_diag("head does not parse: %d", (int)rv);
        return 0;
    }
    rv = relay_response_framing(&head, c->request_was_head, &fr);
    if (rv != c->expect) {
        relay_test_diag("got %d (%s), want %d", (int)rv,
                        relay_status_describe(rv), (int)c->expect);
        return 0;
    }
    if (rv == RELAY_OK && (fr.kind != c->kind || fr.length != c->length)) {
        relay_test_diag("got kind %d length %" APR_OFF_T_FMT, (int)fr.kind,
                        fr.length);
        return 0;
    }
    return 1;
}

typedef struct length_case_t {
    const char *value;
    relay_status_t expect;
    apr_off_t length;
} length_case_t;

static const length_case_t length_cases[] = {
    {"0", RELAY_OK, 0},
    {"12345", RELAY_OK, 12345},
    {" 7 ", RELAY_OK, 7},
    {"42, 42", RELAY_OK, 42},
    {"42,042", RELAY_OK, 42},
    {"9223372036854775807", RELAY_OK, APR_INT64_MAX},
    {"", RELAY_EBADLENGTH, 0},
    {" ", RELAY_EBADLENGTH, 0},
    {"+5", RELAY_EBADLENGTH, 0},
    {"-1", RELAY_EBADLENGTH, 0},
    {"5a", RELAY_EBADLENGTH, 0},
    {"0x10", RELAY_EBADLENGTH, 0},
    {"5 5", RELAY_EBADLENGTH, 0},
    {"5,", RELAY_EBADLENGTH, 0},
    {",5", RELAY_EBADLENGTH, 0},
    {"5,,5", RELAY_EBADLENGTH, 0},
    {"1.0", RELAY_EBADLENGTH, 0},
    {"9223372036854775808", RELAY_EBADLENGTH, 0},
    {"18446744073709551616", RELAY_EBADLENGTH, 0},
    {"5, 6", RELAY_EDUPLENGTH, 0},
    {"5, 6, x", RELAY_EBADLENGTH, 0},
};

/*
 * `test_response --trickle N`: a head of about N bytes (100-byte lines)
 * fed one byte at a time to relay_response_parse_more(), as a slow origin
 * sends it; no TAP output. t/unit/work_ratio.pl counts its instructions
 * at two sizes to show the work is linear in N.
 */
static int trickle(apr_size_t size)
{
    apr_pool_t *pool = relay_test_init();
    relay_response_progress_t pg = {0, 0, 0, 0, 0};
    relay_response_limits_t lim = {1 << 20, 0, 1 << 20, RELAY_BAD_HEADER_ERROR};
    relay_response_head_t head;
    char *buf = malloc(size + 128);
    apr_size_t len = 0, n, head_len = 0;
    relay_status_t rv = RELAY_AGAIN;

    len += (apr_size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
    while (len + 100 <= size) {
        len += (apr_size_t)sprintf(buf + len, "X-Field-%06lu: %084d\r\n",
                                   (unsigned long)len, 0);
    }
    len += (apr_size_t)sprintf(buf + len, "\r\n");
    for (n = 1; n <= len && rv == RELAY_AGAIN; n++) {
        rv = relay_response_parse_more(&pg, buf, n, &lim, pool, &head,
                                       &head_len);
    }
    free(buf);
    return rv == RELAY_OK && head_len == len ? 0 : 1;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    int i;

    if (argc == 3 && strcmp(argv[1], "--trickle") == 0) {
        return trickle((apr_size_t)atol(argv[2]));
    }
    pool = relay_test_init();

    for (i = 0; i < RELAY_TEST_COUNT(parse_cases); i++) {
        relay_test_ok(run_parse_case(&parse_cases[i], pool), "parse: %s",
                      parse_cases[i].desc);
    }
    for (i = 0; i < RELAY_TEST_COUNT(framing_cases); i++) {
        relay_test_ok(run_framing_case(&framing_cases[i], pool), "framing: %s",
                      framing_cases[i].desc);
    }
    for (i = 0; i < RELAY_TEST_COUNT(length_cases); i++) {
        const length_case_t *c = &length_cases[i];
        apr_off_t v = -1;
        relay_status_t rv = relay_content_length_parse(c->value, &v);

        relay_test_ok(rv == c->expect && (rv != RELAY_OK || v == c->length),
                      "content-length: \"%s\"", c->value);
    }
    {
        apr_off_t v = -1;

        relay_test_ok(relay_content_length_parse(NULL, &v) == RELAY_EBADLENGTH,
                      "content-length: NULL");
    }
    return relay_test_done();
}
