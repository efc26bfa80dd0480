/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_chunked.c. Every case is fed whole, in two pieces
 * split at every byte position, and one byte at a time, each piece in a
 * heap block of its exact size; the payload put back together, the bytes
 * consumed and the final status must be the same every way.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_chunked.h"
#include "relay_test.h"

/* A string literal and its length, NULs inside included. */
#define IN(s) .in = (s), .len = sizeof(s) - 1
#define OUT(s) .payload = (s), .payload_len = sizeof(s) - 1

typedef struct chunk_case_t {
    const char *desc;
    const char *in;
    apr_size_t len;
    apr_size_t max_line; /* 0: the default */
    relay_status_t expect;
    const char *payload; /* all the payload, for RELAY_OK and RELAY_AGAIN */
    apr_size_t payload_len;
    apr_size_t used; /* RELAY_OK: where the body ends (0: len) */
} chunk_case_t;

static const chunk_case_t chunk_cases[] = {
    /* Complete bodies. */
    {"one chunk", IN("5\r\nhello\r\n0\r\n\r\n"), .expect = RELAY_OK,
     OUT("hello")},
    {"two chunks", IN("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("hello world")},
    {"empty body", IN("0\r\n\r\n"), .expect = RELAY_OK, OUT("")},
    {"lower-case hex", IN("a\r\n0123456789\r\n0\r\n\r\n"), .expect = RELAY_OK,
     OUT("0123456789")},
    {"upper-case hex", IN("A\r\n0123456789\r\n0\r\n\r\n"), .expect = RELAY_OK,
     OUT("0123456789")},
    {"two-digit hex", IN("1F\r\n0123456789abcdefghijklmnopqrstu\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("0123456789abcdefghijklmnopqrstu")},
    {"leading zeros", IN("0005\r\nhello\r\n000\r\n\r\n"), .expect = RELAY_OK,
     OUT("hello")},
    {"sixteen hex digits", IN("000000000000000a\r\n0123456789\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("0123456789")},
    {"extensions", IN("5;name=value\r\nhello\r\n0;last;x=\"y\"\r\n\r\n"),
     .expect = RELAY_OK, OUT("hello")},
    {"quoted extension with ; and CRLF-free bytes",
     IN("5;a=\"x;y z\"\r\nhello\r\n0\r\n\r\n"), .expect = RELAY_OK,
     OUT("hello")},
    {"BWS before extension", IN("5 \t;a\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("hello")},
    {"whitespace after size", IN("5 \r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("hello")},
    {"trailers", IN("5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n"),
     .expect = RELAY_OK, OUT("hello")},
    {"bare LF everywhere", IN("5\nhello\n0\nA: b\n\n"), .expect = RELAY_OK,
     OUT("hello")},
    {"payload holding CRLFs", IN("4\r\n\r\n\r\n\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("\r\n\r\n")},
    {"payload holding NUL and high bytes", IN("4\r\na\0\xff\x80\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("a\0\xff\x80")},
    {"payload looking like a last chunk", IN("5\r\n0\r\n\r\n\r\n0\r\n\r\n"),
     .expect = RELAY_OK, OUT("0\r\n\r\n")},
    {"bytes after the body are not consumed",
     IN("5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"), .expect = RELAY_OK,
     OUT("hello"), .used = 15},
    {"size line exactly max_line", IN("5;abcdef\r\nhello\r\n0\r\n\r\n"),
     .max_line = 8, .expect = RELAY_OK, OUT("hello")},
    {"trailer exactly max_line", IN("0\r\nA: 12345\r\n\r\n"), .max_line = 8,
     .expect = RELAY_OK, OUT("")},

    /* Incomplete bodies. */
    {"nothing yet", IN(""), .expect = RELAY_AGAIN, OUT("")},
    {"no last chunk yet", IN("5\r\nhello\r\n"), .expect = RELAY_AGAIN,
     OUT("hello")},
    {"chunk cut short", IN("5\r\nhel"), .expect = RELAY_AGAIN, OUT("hel")},
    {"final CRLF cut short", IN("0\r\n\r"), .expect = RELAY_AGAIN, OUT("")},
    {"inside the trailers", IN("0\r\nA: b\r\n"), .expect = RELAY_AGAIN,
     OUT("")},

    /* Malformed sizes. */
    {"0x10", IN("0x10\r\n0123456789abcdef\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"empty size line", IN("\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"extension without size", IN(";a\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"negative size", IN("-5\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"signed size", IN("+5\r\nhello\r\n0\r\n\r\n"), .expect = RELAY_EBADCHUNK},
    {"space before size", IN(" 5\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"letter after size", IN("5g\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"space inside size", IN("1 0\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"size overflow", IN("8000000000000000\r\n"), .expect = RELAY_EBADCHUNK},
    {"seventeen hex digits", IN("00000000000000001\r\nx\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"huge size", IN("ffffffffffffffffffffffff\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"CR without LF after size", IN("5\rhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"NUL in extension", IN("5;a\0b\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"bare CR in extension", IN("5;a\rb\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"size line over max_line", IN("5;abcdefg\r\nhello\r\n0\r\n\r\n"),
     .max_line = 8, .expect = RELAY_ETOOLARGE},
    {"digits over max_line", IN("000000005\r\nhello\r\n0\r\n\r\n"),
     .max_line = 8, .expect = RELAY_ETOOLARGE},

    /* Malformed chunk ends. */
    {"missing CRLF after data", IN("5\r\nhelloX\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"data longer than its size", IN("3\r\nhello\r\n0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"CR without LF after data", IN("5\r\nhello\r0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"next size right after data", IN("5\r\nhello0\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},

    /* Malformed trailers. */
    {"trailer over max_line", IN("0\r\nA: 123456\r\n\r\n"), .max_line = 8,
     .expect = RELAY_ETOOLARGE},
    {"NUL in trailer", IN("0\r\nA: \0\r\n\r\n"), .expect = RELAY_EBADCHUNK},
    {"bare CR in trailer", IN("0\r\nA: b\rc\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
    {"CR without LF at the end", IN("0\r\n\rX"), .expect = RELAY_EBADCHUNK},
    {"control byte starting a trailer", IN("0\r\n\x01\r\n\r\n"),
     .expect = RELAY_EBADCHUNK},
};

typedef struct result_t {
    relay_status_t rv;
    char payload[256];
    apr_size_t payload_len;
    apr_size_t used;
    const char *broken; /* an inconsistency in what the decoder reported */
} result_t;

static void result_init(result_t *r)
{
    r->rv = RELAY_AGAIN;
    r->payload_len = 0;
    r->used = 0;
    r->broken = NULL;
}

/* Feeds one piece, copied to a block of its own size, until it is used up
 * or the decoder finishes or fails. */
static void feed(relay_chunked_t *dec, const char *in, apr_size_t len,
                 result_t *r)
{
    char *buf = relay_test_dup(in, len);
    apr_size_t off = 0;

    while (r->rv == RELAY_AGAIN && off < len && r->broken == NULL) {
        apr_size_t consumed = 99, doff = 99, dlen = 99;
        relay_status_t rv;

        rv = relay_chunked_decode(dec, buf + off, len - off, &consumed, &doff,
                                  &dlen);
        if (consumed > len - off || doff + dlen > consumed) {
            r->broken = "payload or consumed outside the input";
        }
        else if (rv == RELAY_AGAIN && consumed == 0) {
            r->broken = "no progress";
        }
        else if (r->payload_len + dlen > sizeof(r->payload)) {
            r->broken = "payload overflows the test buffer";
        }
        else {
            memcpy(r->payload + r->payload_len, buf + off + doff, dlen);
            r->payload_len += dlen;
            r->used += consumed;
            r->rv = rv;
            off += consumed;
        }
    }
    free(buf);
}

static int check(const chunk_case_t *c, apr_pool_t *pool, const result_t *r,
                 const char *how)
{
    apr_size_t used = c->used ? c->used : c->len;

    if (r->broken != NULL) {
        relay_test_diag("%s: %s", how, r->broken);
        return 0;
    }
    if (r->rv != c->expect) {
        relay_test_diag("%s: got %d (%s), want %d", how, (int)r->rv,
                        relay_status_describe(r->rv), (int)c->expect);
        return 0;
    }
    if (c->expect < 0) {
        return 1;
    }
    if (r->payload_len != c->payload_len ||
        memcmp(r->payload, c->payload, c->payload_len) != 0) {
        relay_test_diag("%s: payload %s", how,
                        relay_test_quote(pool, r->payload, r->payload_len));
        return 0;
    }
    if (c->expect == RELAY_OK && r->used != used) {
        relay_test_diag("%s: consumed %lu, want %lu", how,
                        (unsigned long)r->used, (unsigned long)used);
        return 0;
    }
    return 1;
}

static int run_chunk_case(const chunk_case_t *c, apr_pool_t *pool)
{
    relay_chunked_t dec;
    result_t r;
    apr_size_t k, consumed, doff, dlen;

    relay_chunked_init(&dec, c->max_line);
    result_init(&r);
    feed(&dec, c->in, c->len, &r);
    if (!check(c, pool, &r, "whole")) {
        return 0;
    }
    /* Finished and failed decoders stay that way. */
    if (relay_chunked_done(&dec) != (c->expect == RELAY_OK) ||
        (c->expect != RELAY_AGAIN &&
         relay_chunked_decode(&dec, "0\r\n\r\n", 5, &consumed, &doff, &dlen) !=
             c->expect)) {
        relay_test_diag("whole: state after the end is not kept");
        return 0;
    }

    for (k = 0; k <= c->len; k++) {
        char how[64];

        relay_chunked_init(&dec, c->max_line);
        result_init(&r);
        feed(&dec, c->in, k, &r);
        feed(&dec, c->in + k, c->len - k, &r);
        apr_snprintf(how, sizeof(how), "split at %lu", (unsigned long)k);
        if (!check(c, pool, &r, how)) {
            return 0;
        }
    }

    relay_chunked_init(&dec, c->max_line);
    result_init(&r);
    for (k = 0; k < c->len; k++) {
        feed(&dec, c->in + k, 1, &r);
    }
    return check(c, pool, &r, "byte by byte");
}

/* The default max_line (4096) bounds a size line with a long extension. */
static int run_default_limit(apr_pool_t *pool, apr_size_t ext_len,
                             relay_status_t expect)
{
    apr_size_t len = ext_len + 2 + 16;
    char *in = apr_palloc(pool, len);
    relay_chunked_t dec;
    result_t r;

    in[0] = '0';
    in[1] = ';';
    memset(in + 2, 'x', ext_len - 2);
    memcpy(in + ext_len, "\r\n\r\n", 4);
    relay_chunked_init(&dec, 0);
    result_init(&r);
    feed(&dec, in, ext_len + 4, &r);
    return r.broken == NULL && r.rv == expect;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(chunk_cases); i++) {
        relay_test_ok(run_chunk_case(&chunk_cases[i], pool), "chunked: %s",
                      chunk_cases[i].desc);
    }
    relay_test_ok(run_default_limit(pool, 4096, RELAY_OK),
                  "chunked: default max_line admits a 4096-byte size line");
    relay_test_ok(run_default_limit(pool, 4097, RELAY_ETOOLARGE),
                  "chunked: default max_line refuses a 4097-byte size line");
    return relay_test_done();
}
