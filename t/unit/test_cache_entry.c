/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_entry.c: entries that round-trip; every prefix
 * of a block refused as truncated, a longer block refused, every single
 * bit flipped refused; blocks with a valid checksum around invalid content
 * ("forged") refused field by field; forged heads that no origin response
 * stored by mod_cache could give (interim status, hop-by-hop and framing
 * fields, a Content-Length that is not the body's) refused with and
 * without the CRC compared, and normal heads accepted; encoding refusing
 * what decoding would; pseudo-random mutations decoded without a fault
 * (run under AddressSanitizer to mean something); the headers a store
 * keeps, which must all decode again.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_key.h"
#include "relay_test.h"

#define EN(x) RELAY_CACHE_ENTRY_##x

/* Vary fields from "name=value|name|..." (no "=": absent). */
static apr_array_header_t *vary_of(apr_pool_t *pool, const char *spec)
{
    apr_array_header_t *a =
        apr_array_make(pool, 2, sizeof(relay_cache_vary_field_t));
    char *copy, *tok, *state;

    if (spec == NULL) {
        return NULL;
    }
    copy = apr_pstrdup(pool, spec);
    for (tok = apr_strtok(copy, "|", &state); tok != NULL;
         tok = apr_strtok(NULL, "|", &state)) {
        relay_cache_vary_field_t *f =
            &APR_ARRAY_PUSH(a, relay_cache_vary_field_t);
        char *eq = strchr(tok, '=');

        if (eq != NULL) {
            *eq = '\0';
        }
        f->name = tok;
        f->value = eq != NULL ? eq + 1 : NULL;
    }
    return a;
}

static const char *vary_text(apr_pool_t *pool, const apr_array_header_t *a)
{
    const char *out = "";
    int i;

    for (i = 0; a != NULL && i < a->nelts; i++) {
        const relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(a, i, relay_cache_vary_field_t);

        out = apr_pstrcat(pool, out, i > 0 ? "|" : "", f->name,
                          f->value != NULL ? "=" : "",
                          f->value != NULL ? f->value : "", NULL);
    }
    return out;
}

typedef struct trip_case_t {
    const char *desc;
    int status;
    apr_int64_t request_time, response_time;
    apr_off_t body_length;
    const char *fields;
    const char *vary;
} trip_case_t;

static const trip_case_t trip_cases[] = {
    {"bare 200", 200, 1, 2, 0, "", NULL},
    {"typical", 200, APR_INT64_C(784111777000000), APR_INT64_C(784111777250000),
     12345,
     "Date: Sun, 06 Nov 1994 08:49:37 GMT|Content-Type: text/html; "
     "charset=utf-8|ETag: \"abc\"|Cache-Control: max-age=60|Vary: "
     "Accept-Encoding, Accept-Language",
     "accept-encoding=gzip, br|accept-language"},
    {"repeated fields keep their order", 301, 0, 0, 0,
     "Link: <a>|Set-Cookie: a=1|Link: <b>", NULL},
    {"empty values", 404, 5, 6, 7, "X-Empty: |Y: y", "a=|b"},
    {"obs-text and tabs in values", 200, 0, 0, 1, "X: caf\xc3\xa9\tok",
     "x=\xff\x80"},
    {"extremes", 599, APR_INT64_MAX, APR_INT64_MIN, APR_INT64_MAX, "A: b",
     NULL},
    {"status 200, negative times", 200, -1, -1, 0, "", ""},
    {"Content-Length of the body", 200, 0, 0, 5,
     "Content-Type: text/plain|Content-Length: 5", NULL},
    {"Content-Length 0 of an empty body", 204, 0, 0, 0, "Content-Length: 0",
     NULL},
    {"Content-Length as a list of the same value", 200, 0, 0, 42,
     "content-length: 42, 42", NULL},
};

static relay_cache_entry_t make_entry(apr_pool_t *pool, const trip_case_t *c)
{
    relay_cache_entry_t e;

    e.status = c->status;
    e.request_time = c->request_time;
    e.response_time = c->response_time;
    e.body_length = c->body_length;
    e.headers = relay_test_fields(pool, c->fields);
    e.vary = vary_of(pool, c->vary);
    return e;
}

/* Decodes buf[0, n) from an exact-size copy. */
static relay_cache_entry_status_t decode_copy(apr_pool_t *pool, const char *buf,
                                              apr_size_t n,
                                              relay_cache_entry_t *e)
{
    char *copy = relay_test_dup(buf, n);
    relay_cache_entry_status_t rv = relay_cache_entry_decode(pool, copy, n, e);

    /* Decoding copies everything: scribbling over the block is harmless. */
    memset(copy, 'x', n);
    free(copy);
    return rv;
}

static int run_trip_case(const trip_case_t *c, apr_pool_t *pool)
{
    relay_cache_entry_t e = make_entry(pool, c), d;
    relay_cache_entry_status_t rv;
    char *buf, *longer;
    apr_size_t len, n, bit;
    const char *want, *got;

    rv = relay_cache_entry_encode(pool, &e, &buf, &len);
    if (rv != EN(OK)) {
        relay_test_diag("encode: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    rv = decode_copy(pool, buf, len, &d);
    if (rv != EN(OK)) {
        relay_test_diag("decode: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    want = apr_psprintf(pool,
                        "%d %" APR_TIME_T_FMT " %" APR_TIME_T_FMT
                        " %" APR_OFF_T_FMT " [%s] [%s]",
                        e.status, e.request_time, e.response_time,
                        e.body_length, relay_test_fields_text(pool, e.headers),
                        vary_text(pool, e.vary));
    got = apr_psprintf(pool,
                       "%d %" APR_TIME_T_FMT " %" APR_TIME_T_FMT
                       " %" APR_OFF_T_FMT " [%s] [%s]",
                       d.status, d.request_time, d.response_time, d.body_length,
                       relay_test_fields_text(pool, d.headers),
                       vary_text(pool, d.vary));
    if (strcmp(want, got) != 0) {
        relay_test_diag("got  %s", relay_test_quote(pool, got, strlen(got)));
        relay_test_diag("want %s", relay_test_quote(pool, want, strlen(want)));
        return 0;
    }
    for (n = 0; n < len; n++) {
        rv = decode_copy(pool, buf, n, &d);
        if (rv != EN(TRUNCATED)) {
            relay_test_diag("prefix of %lu bytes: %s", (unsigned long)n,
                            relay_cache_entry_describe(rv));
            return 0;
        }
    }
    longer = apr_palloc(pool, len + 1);
    memcpy(longer, buf, len);
    longer[len] = '\0';
    rv = decode_copy(pool, longer, len + 1, &d);
    if (rv != EN(MALFORMED)) {
        relay_test_diag("one byte more: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    /* A block whose bytes the caller checked itself: the CRC is not
     * compared, all else is. */
    {
        char *no_crc = apr_pmemdup(pool, buf, len);

        no_crc[len - 1] ^= 1;
        if (relay_cache_entry_decode_checked(pool, no_crc, len, &d) != EN(OK) ||
            relay_cache_entry_decode_checked(pool, no_crc, len - 1, &d) !=
                EN(TRUNCATED)) {
            relay_test_diag("decode_checked refused a block without its CRC");
            return 0;
        }
    }
    for (bit = 0; bit < len * 8; bit++) {
        char *flipped = apr_pmemdup(pool, buf, len);

        flipped[bit / 8] ^= (char)(1 << (bit % 8));
        rv = decode_copy(pool, flipped, len, &d);
        if (rv == EN(OK)) {
            relay_test_diag("bit %lu flipped still decodes",
                            (unsigned long)bit);
            return 0;
        }
    }
    return 1;
}

/*
 * The block of the forged cases: 200, one field "A: b", Vary fields
 * a="v" and b absent. Byte offsets: status 12-13, reserved 6-7 and 14-15,
 * body_length 32-39, nfields 40-43, nvary 44-47; field name length 48-49,
 * name 50, value length 51-54, value 55; Vary a at 56 (name 58, flag 59,
 * length 60-63, value 64), Vary b at 65 (name 67, flag 68, length 69-72);
 * CRC 73-76.
 */
typedef struct forge_case_t {
    const char *desc;
    int offset;
    unsigned char byte;
    relay_cache_entry_status_t expect;
} forge_case_t;

static const forge_case_t forge_cases[] = {
    {"status 99", 13, 99, EN(NOT_SERVABLE)},
    {"status 712", 12, 0x02, EN(NOT_SERVABLE)},
    {"status 100", 13, 100, EN(NOT_SERVABLE)},
    {"status 199", 13, 199, EN(NOT_SERVABLE)},
    {"status 0", 13, 0, EN(NOT_SERVABLE)},
    {"status 65480", 12, 0xff, EN(NOT_SERVABLE)},
    {"status 201", 13, 201, EN(OK)},
    {"reserved after version", 7, 1, EN(MALFORMED)},
    {"reserved after status", 15, 1, EN(MALFORMED)},
    {"negative body length", 32, 0x80, EN(MALFORMED)},
    {"field count beyond the block", 40, 0x7f, EN(MALFORMED)},
    {"field count too high", 43, 2, EN(MALFORMED)},
    {"field count too low", 43, 0, EN(MALFORMED)},
    {"Vary count too high", 47, 3, EN(MALFORMED)},
    {"Vary count too low", 47, 1, EN(MALFORMED)},
    {"name length past the end", 48, 0xff, EN(MALFORMED)},
    {"empty name", 49, 0, EN(MALFORMED)},
    {"space in name", 50, ' ', EN(MALFORMED)},
    {"colon in name", 50, ':', EN(MALFORMED)},
    {"value length past the end", 51, 0x7f, EN(MALFORMED)},
    {"value length short", 54, 0, EN(MALFORMED)},
    {"( in name", 50, '(', EN(MALFORMED)},
    {"DEL in name", 50, 0x7f, EN(MALFORMED)},
    {"obs-text in name", 50, 0x80, EN(MALFORMED)},
    {"CR in value", 55, '\r', EN(MALFORMED)},
    {"LF in value", 55, '\n', EN(MALFORMED)},
    {"NUL in value", 55, '\0', EN(MALFORMED)},
    {"SOH in value", 55, 0x01, EN(MALFORMED)},
    {"VT in value", 55, 0x0b, EN(MALFORMED)},
    {"ESC in value", 55, 0x1b, EN(MALFORMED)},
    {"US in value", 55, 0x1f, EN(MALFORMED)},
    {"DEL in value", 55, 0x7f, EN(MALFORMED)},
    {"HTAB in value", 55, '\t', EN(OK)},
    {"SP in value", 55, ' ', EN(OK)},
    {"obs-text in value", 55, 0xff, EN(OK)},
    {"upper-case Vary name", 58, 'A', EN(MALFORMED)},
    {"Vary names out of order", 58, 'c', EN(MALFORMED)},
    {"Vary name repeated", 67, 'a', EN(MALFORMED)},
    {"Vary flag 2", 59, 2, EN(MALFORMED)},
    {"absent Vary field with a value", 59, 0, EN(MALFORMED)},
    {"LF in Vary value", 64, '\n', EN(MALFORMED)},
    {"length field larger than the block", 11, 78, EN(TRUNCATED)},
    {"length field smaller than the block", 11, 76, EN(MALFORMED)},
    {"version 2", 5, 2, EN(BAD_VERSION)},
    {"version 0", 5, 0, EN(BAD_VERSION)},
    {"magic", 0, 'X', EN(BAD_MAGIC)},
    {"unchanged", 50, 'A', EN(OK)},
};

static int run_forge_case(const forge_case_t *c, apr_pool_t *pool)
{
    static const trip_case_t base = {"", 200, 0, 0, 0, "A: b", "a=v|b"};
    relay_cache_entry_t e = make_entry(pool, &base), d;
    relay_cache_entry_status_t rv;
    apr_uint32_t crc;
    char *buf;
    apr_size_t len;

    if (relay_cache_entry_encode(pool, &e, &buf, &len) != EN(OK) || len != 77) {
        relay_test_diag("base block of %lu bytes", (unsigned long)len);
        return 0;
    }
    buf[c->offset] = (char)c->byte;
    crc = relay_cache_entry_checksum(buf, len - 4);
    buf[len - 4] = (char)(crc >> 24);
    buf[len - 3] = (char)(crc >> 16);
    buf[len - 2] = (char)(crc >> 8);
    buf[len - 1] = (char)crc;
    rv = decode_copy(pool, buf, len, &d);
    if (rv != c->expect) {
        relay_test_diag("got %s", relay_cache_entry_describe(rv));
        return 0;
    }
    return 1;
}

/*
 * Heads that decode as blocks but that no response stored by mod_cache
 * could give, or that it could: the status must be final, no hop-by-hop
 * or framing field may be there (a store never keeps one, in any case of
 * its name), and a Content-Length, which the store keeps from the
 * origin, must say the body length stored. Each row is decoded with the
 * CRC compared (memory and socache stores), without (disk store), and
 * encoded (the encoder refuses what decoding refuses).
 */
typedef struct served_case_t {
    const char *desc;
    int status;
    apr_off_t body_length;
    const char *fields;
    relay_cache_entry_status_t expect;
} served_case_t;

static const served_case_t served_cases[] = {
    {"100 Continue", 100, 0, "Date: d", EN(NOT_SERVABLE)},
    {"103 Early Hints", 103, 0, "Link: </a.css>; rel=preload",
     EN(NOT_SERVABLE)},
    {"199", 199, 0, "", EN(NOT_SERVABLE)},
    {"600", 600, 0, "", EN(NOT_SERVABLE)},
    {"999", 999, 0, "", EN(NOT_SERVABLE)},
    {"Transfer-Encoding", 200, 5, "Transfer-Encoding: chunked",
     EN(NOT_SERVABLE)},
    {"transfer-encoding in lower case", 200, 5, "transfer-encoding: chunked",
     EN(NOT_SERVABLE)},
    {"Transfer-Encoding: identity", 200, 5, "Transfer-Encoding: identity",
     EN(NOT_SERVABLE)},
    {"Connection", 200, 0, "Connection: close", EN(NOT_SERVABLE)},
    {"CONNECTION in upper case", 200, 0, "Date: d|CONNECTION: keep-alive",
     EN(NOT_SERVABLE)},
    {"Keep-Alive", 200, 0, "Keep-Alive: timeout=5", EN(NOT_SERVABLE)},
    {"Upgrade", 200, 0, "Upgrade: h2c", EN(NOT_SERVABLE)},
    {"Proxy-Connection", 200, 0, "Proxy-Connection: keep-alive",
     EN(NOT_SERVABLE)},
    {"TE", 200, 0, "TE: trailers", EN(NOT_SERVABLE)},
    {"te in lower case", 200, 0, "te: trailers", EN(NOT_SERVABLE)},
    {"Trailer", 200, 0, "Trailer: X-Checksum", EN(NOT_SERVABLE)},
    {"Content-Length larger than the body", 200, 5, "Content-Length: 6",
     EN(NOT_SERVABLE)},
    {"Content-Length smaller than the body", 200, 5, "Content-Length: 4",
     EN(NOT_SERVABLE)},
    {"Content-Length with an empty body", 200, 0, "Content-Length: 100",
     EN(NOT_SERVABLE)},
    {"Content-Length empty", 200, 0, "Content-Length: ", EN(NOT_SERVABLE)},
    {"Content-Length signed", 200, 5, "Content-Length: +5", EN(NOT_SERVABLE)},
    {"Content-Length negative", 200, 5, "Content-Length: -5", EN(NOT_SERVABLE)},
    {"Content-Length in hex", 200, 16, "Content-Length: 0x10",
     EN(NOT_SERVABLE)},
    {"Content-Length with trailing junk", 200, 5, "Content-Length: 5 5",
     EN(NOT_SERVABLE)},
    {"Content-Length list of two values", 200, 5, "Content-Length: 5, 6",
     EN(NOT_SERVABLE)},
    {"Content-Length list with an empty element", 200, 5, "Content-Length: 5,",
     EN(NOT_SERVABLE)},
    {"Content-Length beyond 64 bits", 200, 5,
     "Content-Length: 99999999999999999999", EN(NOT_SERVABLE)},
    {"two Content-Length lines, one wrong", 200, 5,
     "Content-Length: 5|Content-Length: 7", EN(NOT_SERVABLE)},
    {"two Content-Length lines, the first wrong", 200, 5,
     "Content-Length: 7|Content-Length: 5", EN(NOT_SERVABLE)},
    {"a smuggling pair", 200, 5, "Content-Length: 5|Transfer-Encoding: chunked",
     EN(NOT_SERVABLE)},
    {"a name that merely starts like one", 200, 0,
     "Connectionx: 1|Content-Lengthy: 9|TEE: 1|X-Upgrade: h2c", EN(OK)},
    {"200, typical fields", 200, 12,
     "Date: Sun, 06 Nov 1994 08:49:37 GMT|Content-Type: text/html|ETag: "
     "\"x\"|Cache-Control: max-age=60|Content-Length: 12",
     EN(OK)},
    {"200 without Content-Length", 200, 12, "Content-Type: text/html", EN(OK)},
    {"Content-Length with leading zeros", 200, 5, "Content-Length: 005",
     EN(OK)},
    {"two Content-Length lines of the body length", 200, 5,
     "Content-Length: 5|content-length: 5", EN(OK)},
    {"301 with Location", 301, 0, "Location: http://h/b|Content-Length: 0",
     EN(OK)},
    {"404", 404, 3, "Content-Length: 3", EN(OK)},
    {"599", 599, 0, "", EN(OK)},
};

static int run_served_case(const served_case_t *c, apr_pool_t *pool)
{
    relay_cache_entry_t d, e;
    relay_cache_entry_status_t rv, want_enc;
    apr_size_t len, elen;
    char *buf = relay_test_entry_block(pool, c->status, c->body_length,
                                       c->fields, &len);
    char *ebuf;

    rv = decode_copy(pool, buf, len, &d);
    if (rv != c->expect) {
        relay_test_diag("decode: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    rv = relay_cache_entry_decode_checked(pool, buf, len, &d);
    if (rv != c->expect) {
        relay_test_diag("decode_checked: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    e.status = c->status;
    e.request_time = e.response_time = 0;
    e.body_length = c->body_length;
    e.headers = relay_test_fields(pool, c->fields);
    e.vary = NULL;
    rv = relay_cache_entry_encode(pool, &e, &ebuf, &elen);
    want_enc = c->expect;
    if (rv != want_enc ||
        (rv == EN(OK) && (elen != len || memcmp(ebuf, buf, len) != 0))) {
        relay_test_diag("encode: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    return 1;
}

typedef struct refuse_case_t {
    const char *desc;
    int status;
    apr_off_t body_length;
    const char *fields;
    const char *vary;
    relay_cache_entry_status_t expect;
} refuse_case_t;

static const refuse_case_t refuse_cases[] = {
    {"status 99", 99, 0, "", NULL, EN(NOT_SERVABLE)},
    {"status 100", 100, 0, "", NULL, EN(NOT_SERVABLE)},
    {"status 600", 600, 0, "", NULL, EN(NOT_SERVABLE)},
    {"status 70000", 70000, 0, "", NULL, EN(NOT_SERVABLE)},
    {"negative body length", 200, -1, "", NULL, EN(MALFORMED)},
    {"name with a space", 200, 0, "A b: c", NULL, EN(MALFORMED)},
    {"empty name", 200, 0, ": c", NULL, EN(MALFORMED)},
    {"CR in a value", 200, 0, "A: b\rc", NULL, EN(MALFORMED)},
    {"LF in a value", 200, 0, "A: b\nc", NULL, EN(MALFORMED)},
    {"BS in a value", 200, 0, "A: b\bc", NULL, EN(MALFORMED)},
    {"DEL in a value", 200, 0, "A: b\177c", NULL, EN(MALFORMED)},
    {"Transfer-Encoding", 200, 0, "Transfer-Encoding: chunked", NULL,
     EN(NOT_SERVABLE)},
    {"Content-Length not the body's", 200, 4, "Content-Length: 5", NULL,
     EN(NOT_SERVABLE)},
    {"Vary name upper-case", 200, 0, "", "Accept=x", EN(MALFORMED)},
    {"Vary names unsorted", 200, 0, "", "b|a", EN(MALFORMED)},
    {"Vary name repeated", 200, 0, "", "a|a", EN(MALFORMED)},
    {"LF in a Vary value", 200, 0, "", "a=x\ny", EN(MALFORMED)},
    {"SOH in a Vary value", 200, 0, "", "a=x\001y", EN(MALFORMED)},
    {"Vary name not a token", 200, 0, "", "a b", EN(MALFORMED)},
};

static int run_refuse_case(const refuse_case_t *c, apr_pool_t *pool)
{
    relay_cache_entry_t e;
    char *buf;
    apr_size_t len;
    relay_cache_entry_status_t rv;

    e.status = c->status;
    e.request_time = e.response_time = 0;
    e.body_length = c->body_length;
    e.headers = relay_test_fields(pool, c->fields);
    e.vary = vary_of(pool, c->vary);
    rv = relay_cache_entry_encode(pool, &e, &buf, &len);
    if (rv != c->expect) {
        relay_test_diag("got %s", relay_cache_entry_describe(rv));
        return 0;
    }
    return 1;
}

/* Random single and multi-byte damage to a valid block, resealed or not,
 * and random bytes: none may fault, none may decode to a bad entry. */
static int run_mutations(apr_pool_t *pool)
{
    relay_cache_entry_t e = make_entry(pool, &trip_cases[1]), d;
    apr_uint32_t seed = 12345;
    char *buf;
    apr_size_t len;
    int i, k;

    if (relay_cache_entry_encode(pool, &e, &buf, &len) != EN(OK)) {
        return 0;
    }
    for (i = 0; i < 20000; i++) {
        apr_pool_t *sub;
        char *m = relay_test_dup(buf, len);
        apr_size_t n = len;
        int changes;

        seed = seed * 1103515245u + 12345u;
        changes = 1 + (int)((seed >> 16) % 4);
        for (k = 0; k < changes; k++) {
            seed = seed * 1103515245u + 12345u;
            m[(seed >> 8) % len] = (char)(seed >> 24);
        }
        seed = seed * 1103515245u + 12345u;
        if ((seed >> 16) % 2 == 0) {
            apr_uint32_t crc = relay_cache_entry_checksum(m, len - 4);

            m[len - 4] = (char)(crc >> 24);
            m[len - 3] = (char)(crc >> 16);
            m[len - 2] = (char)(crc >> 8);
            m[len - 1] = (char)crc;
        }
        if ((seed >> 20) % 3 == 0) {
            n = (seed >> 4) % (len + 1);
        }
        apr_pool_create(&sub, pool);
        if (relay_cache_entry_decode(sub, m, n, &d) == EN(OK)) {
            /* Whatever decodes must encode again, to the same bytes. */
            char *again;
            apr_size_t again_len;

            if (relay_cache_entry_encode(sub, &d, &again, &again_len) !=
                    EN(OK) ||
                again_len != n || memcmp(again, m, n) != 0) {
                relay_test_diag("mutation %d decodes but does not re-encode",
                                i);
                free(m);
                return 0;
            }
        }
        apr_pool_destroy(sub);
        free(m);
    }
    return 1;
}

typedef struct store_case_t {
    const char *desc;
    const char *fields;
    const char *ignore; /* one name, or NULL */
    const char *cc;     /* a Cache-Control value to read, or NULL */
    const char *expect;
} store_case_t;

static const store_case_t store_cases[] = {
    {"hop-by-hop fields dropped",
     "Connection: close, X-Hop|X-Hop: 1|Keep-Alive: 5|Transfer-Encoding: "
     "chunked|TE: trailers|Trailer: X|Upgrade: h2c|Proxy-Connection: x|Date: d",
     NULL, NULL, "Date: d"},
    {"CacheIgnoreHeaders", "Set-Cookie: a=1|set-cookie: b=2|Date: d",
     "Set-Cookie", NULL, "Date: d"},
    {"qualified no-cache and private fields",
     "Set-Cookie: a|X-User: u|Date: d|X-Other: o", NULL,
     "no-cache=\"Set-Cookie\", private=\"x-user\"", "Date: d|X-Other: o"},
    {"order and repeats kept", "B: 1|A: 2|B: 3", NULL, NULL, "B: 1|A: 2|B: 3"},
    {"nothing", "", NULL, NULL, ""},
};

static int run_store_case(const store_case_t *c, apr_pool_t *pool)
{
    apr_array_header_t *ignore = NULL;
    relay_cache_control_t cc;
    apr_table_t *out;
    const char *got;

    if (c->ignore != NULL) {
        ignore = apr_array_make(pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(ignore, const char *) = c->ignore;
    }
    relay_cache_control_init(&cc);
    if (c->cc != NULL) {
        relay_cache_control_parse(&cc, pool, c->cc, strlen(c->cc));
    }
    out = relay_cache_entry_store_headers(pool,
                                          relay_test_fields(pool, c->fields),
                                          ignore, c->cc != NULL ? &cc : NULL);
    got = relay_test_fields_text(pool, out);
    if (strcmp(got, c->expect) != 0) {
        relay_test_diag("got [%s]", got);
        return 0;
    }
    /* What the store keeps of a response passes the checks of a read. */
    {
        relay_cache_entry_t e = {200, 0, 0, 0, NULL, NULL};
        char *buf;
        apr_size_t len;

        e.headers = out;
        if (relay_cache_entry_encode(pool, &e, &buf, &len) != EN(OK)) {
            relay_test_diag("the fields kept do not encode");
            return 0;
        }
    }
    return 1;
}

/*
 * Every byte value at every offset of values of 1 to 19 bytes (the check
 * reads eight bytes at a time, then the rest one by one): refused exactly
 * when it is a control character other than HTAB, or DEL, by the encoder
 * and by decoding alike.
 */
static int every_byte_in_values(apr_pool_t *pool)
{
    char value[20];
    apr_size_t n, at;
    int c;

    for (n = 1; n < sizeof(value); n++) {
        for (at = 0; at < n; at++) {
            for (c = 0; c < 256; c++) {
                int bad = (c < 0x20 && c != '\t') || c == 0x7f;
                relay_cache_entry_t e = {200, 0, 0, 0, NULL, NULL}, d;
                relay_cache_entry_status_t rv;
                apr_pool_t *sub;
                apr_size_t len;
                char *buf;

                if (c == 0) {
                    continue; /* a C string cannot hold it: a forged row */
                }
                apr_pool_create(&sub, pool);
                memset(value, 'v', n);
                value[at] = (char)c;
                value[n] = '\0';
                e.headers = apr_table_make(sub, 1);
                apr_table_setn(e.headers, "X", value);
                rv = relay_cache_entry_encode(sub, &e, &buf, &len);
                if ((rv == EN(OK)) == bad) {
                    relay_test_diag("byte %d at %lu of %lu: encode %s", c,
                                    (unsigned long)at, (unsigned long)n,
                                    relay_cache_entry_describe(rv));
                    return 0;
                }
                if (bad) {
                    buf = relay_test_entry_block(
                        sub, 200, 0, apr_pstrcat(sub, "X: ", value, NULL),
                        &len);
                }
                rv = decode_copy(sub, buf, len, &d);
                if ((rv == EN(OK)) == bad) {
                    relay_test_diag("byte %d at %lu of %lu: decode %s", c,
                                    (unsigned long)at, (unsigned long)n,
                                    relay_cache_entry_describe(rv));
                    return 0;
                }
                apr_pool_destroy(sub);
            }
        }
    }
    return 1;
}

/* The CRC-32 computed one bit at a time, the definition the table-driven
 * checksum must agree with, over every byte value at every offset. */
static apr_uint32_t crc_bitwise(const unsigned char *p, apr_size_t len)
{
    apr_uint32_t crc = 0xFFFFFFFFu;
    apr_size_t i;
    int k;

    for (i = 0; i < len; i++) {
        crc ^= p[i];
        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc ^ 0xFFFFFFFFu;
}

static int checksum_matches_bitwise(void)
{
    unsigned char buf[1024];
    apr_size_t n;

    for (n = 0; n < sizeof(buf); n++) {
        buf[n] = (unsigned char)(n * 131u + 7u);
    }
    for (n = 0; n <= sizeof(buf); n += 37) {
        if (relay_cache_entry_checksum((const char *)buf, n) !=
            crc_bitwise(buf, n)) {
            return 0;
        }
    }
    return 1;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    relay_cache_entry_t d;
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(trip_cases); i++) {
        relay_test_ok(run_trip_case(&trip_cases[i], pool), "round trip: %s",
                      trip_cases[i].desc);
    }
    for (i = 0; i < RELAY_TEST_COUNT(forge_cases); i++) {
        relay_test_ok(run_forge_case(&forge_cases[i], pool), "forged: %s",
                      forge_cases[i].desc);
    }
    RELAY_TEST_TABLE(served_cases, run_served_case, "served", pool);
    for (i = 0; i < RELAY_TEST_COUNT(refuse_cases); i++) {
        relay_test_ok(run_refuse_case(&refuse_cases[i], pool),
                      "encode refuses: %s", refuse_cases[i].desc);
    }
    for (i = 0; i < RELAY_TEST_COUNT(store_cases); i++) {
        relay_test_ok(run_store_case(&store_cases[i], pool), "store: %s",
                      store_cases[i].desc);
    }
    relay_test_ok(every_byte_in_values(pool),
                  "every byte value at every offset of a value");
    relay_test_ok(run_mutations(pool), "20000 random mutations");
    relay_test_ok(relay_cache_entry_checksum("123456789", 9) == 0xCBF43926u,
                  "checksum: CRC-32 check value");
    relay_test_ok(relay_cache_entry_checksum("", 0) == 0, "checksum: empty");
    relay_test_ok(checksum_matches_bitwise(), "checksum: the table gives "
                                              "the bit-by-bit CRC-32");
    relay_test_ok(relay_cache_entry_decode(pool, NULL, 0, &d) == EN(TRUNCATED),
                  "decode: NULL");
    relay_test_ok(decode_copy(pool, "HTTP/1.1 200 OK\r\n", 17, &d) ==
                      EN(BAD_MAGIC),
                  "decode: not an entry");
    relay_test_ok(decode_copy(pool, "RL", 2, &d) == EN(TRUNCATED),
                  "decode: two bytes of magic");
    relay_test_ok(decode_copy(pool, "RX", 2, &d) == EN(BAD_MAGIC),
                  "decode: two bytes, wrong");
    for (i = EN(OK); i <= EN(NOT_SERVABLE); i++) {
        relay_test_ok(
            strcmp(relay_cache_entry_describe((relay_cache_entry_status_t)i),
                   "unknown entry status") != 0,
            "describe %d", i);
    }
    return relay_test_done();
}
