/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_chunked.c: a chunked body from a hostile
 * origin (or client), decoded whole and again in pieces the fuzzer chooses,
 * each piece in a heap block of its exact size.
 *
 * Input: byte 0 picks max_line (0: the default, else 1..255), byte 1 the
 * number of piece lengths that follow (0..15), each one byte (0 counts as
 * 1); the rest is the body, whose last piece takes what is left.
 * Besides crashes, the driver checks that the decoder always makes
 * progress, that payload runs lie inside what it consumed, and that the
 * payload, the status and the bytes consumed do not depend on how the
 * body was split.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_chunked.h"
#include "relay_fuzz.h"

typedef struct result_t {
    relay_status_t rv;
    apr_size_t consumed; /* total, up to the end of the body on RELAY_OK */
    char *payload;
    apr_size_t payload_len;
} result_t;

/* Feeds one piece; returns 0 once the decoder has stopped asking for more. */
static int feed(relay_chunked_t *dec, const char *in, apr_size_t len,
                result_t *res)
{
    apr_size_t pos = 0;

    while (pos < len) {
        apr_size_t used, off, n;

        res->rv =
            relay_chunked_decode(dec, in + pos, len - pos, &used, &off, &n);
        relay_fuzz_check(used <= len - pos, "consumed within the input");
        relay_fuzz_check(n == 0 || off + n <= used, "payload within consumed");
        relay_fuzz_check(res->rv != RELAY_AGAIN || used > 0, "progress");
        if (n > 0) {
            memcpy(res->payload + res->payload_len, in + pos + off, n);
            res->payload_len += n;
        }
        pos += used;
        res->consumed += used;
        if (res->rv != RELAY_AGAIN) {
            relay_fuzz_check(res->rv == RELAY_OK || res->rv < 0, "status");
            relay_fuzz_check((res->rv == RELAY_OK) == relay_chunked_done(dec),
                             "done agrees with RELAY_OK");
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    apr_size_t max_line = relay_fuzz_byte(&in);
    unsigned npieces = relay_fuzz_byte(&in) % 16, i;
    apr_size_t pieces[16], len, pos;
    relay_chunked_t dec;
    result_t whole, split;
    const char *body;

    for (i = 0; i < npieces; i++) {
        pieces[i] = relay_fuzz_byte(&in);
        if (pieces[i] == 0) {
            pieces[i] = 1;
        }
    }
    len = in.n;
    body = relay_fuzz_dup(pool, in.p, len);

    memset(&whole, 0, sizeof(whole));
    whole.rv = RELAY_AGAIN;
    whole.payload = apr_palloc(pool, len + 1);
    relay_chunked_init(&dec, max_line);
    feed(&dec, body, len, &whole);

    memset(&split, 0, sizeof(split));
    split.rv = RELAY_AGAIN;
    split.payload = apr_palloc(pool, len + 1);
    relay_chunked_init(&dec, max_line);
    for (pos = 0, i = 0; pos < len; i++) {
        apr_size_t n = i < npieces ? pieces[i] : len - pos;

        if (n > len - pos) {
            n = len - pos;
        }
        if (!feed(&dec, relay_fuzz_dup(pool, body + pos, n), n, &split)) {
            break;
        }
        pos += n;
    }

    relay_fuzz_check(whole.rv == split.rv, "same status however split");
    if (whole.rv >= 0) {
        relay_fuzz_check(whole.consumed == split.consumed,
                         "same length however split");
        relay_fuzz_check(
            whole.payload_len == split.payload_len &&
                memcmp(whole.payload, split.payload, whole.payload_len) == 0,
            "same payload however split");
    }
    /* A failure is sticky. */
    if (whole.rv < 0) {
        apr_size_t used, off, n;

        relay_fuzz_check(relay_chunked_decode(&dec, "0\r\n\r\n", 5, &used, &off,
                                              &n) == whole.rv,
                         "error is sticky");
    }
    return relay_fuzz_done();
}
