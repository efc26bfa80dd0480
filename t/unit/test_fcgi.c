/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_fcgi.c: the bytes of record headers and of the
 * BEGIN_REQUEST record, name-value pairs encoded and read back around the
 * one-byte/four-byte length boundary, and the record reader. Every reader
 * case is fed whole, in two pieces split at every byte position, and one
 * byte at a time, each piece in a heap block of its exact size; what the
 * reader reports, written out as a transcript, the bytes consumed and the
 * final status must be the same every way.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_fcgi.h"
#include "relay_test.h"

/* A string literal and its length, NULs inside included. */
#define IN(s) .in = (s), .len = sizeof(s) - 1
#define BYTES(s) .bytes = (s), .nbytes = sizeof(s) - 1
#define TR(s) .transcript = (s), .tlen = sizeof(s) - 1

/* Record headers (version 1) used by the reader cases, each its own
 * literal so that no hex escape runs into the content after it. */
#define STDOUT_5_PAD3 "\x01\x06\x00\x01\x00\x05\x03\x00"
#define STDOUT_5 "\x01\x06\x00\x01\x00\x05\x00\x00"
#define STDOUT_EMPTY "\x01\x06\x00\x01\x00\x00\x00\x00"
#define STDERR_4 "\x01\x07\x00\x01\x00\x04\x00\x00"
#define STDERR_5 "\x01\x07\x00\x01\x00\x05\x00\x00"
#define END_HDR "\x01\x03\x00\x01\x00\x08\x00\x00"
#define END_HDR_PAD8 "\x01\x03\x00\x01\x00\x08\x08\x00"
#define END_BODY_OK "\x00\x00\x00\x00\x00\x00\x00\x00"
#define END_OK END_HDR END_BODY_OK

/* ---- Writers ---------------------------------------------------------- */

typedef struct header_case_t {
    const char *desc;
    apr_byte_t type;
    apr_uint16_t request_id;
    apr_uint16_t content_length;
    apr_byte_t padding;
    const char *bytes;
    apr_size_t nbytes;
} header_case_t;

/* §3.3: version, type, requestId and contentLength big-endian, padding,
 * reserved. */
static const header_case_t header_cases[] = {
    {"STDOUT id 1, 5 bytes, padding 3", RELAY_FCGI_STDOUT, 1, 5, 3,
     BYTES("\x01\x06\x00\x01\x00\x05\x03\x00")},
    {"PARAMS id 0x1234, 0xabcd bytes", RELAY_FCGI_PARAMS, 0x1234, 0xabcd, 3,
     BYTES("\x01\x04\x12\x34\xab\xcd\x03\x00")},
    {"STDIN, the largest content", RELAY_FCGI_STDIN, 65535, 65535, 1,
     BYTES("\x01\x05\xff\xff\xff\xff\x01\x00")},
    {"empty PARAMS ends the stream", RELAY_FCGI_PARAMS, 1, 0, 0,
     BYTES("\x01\x04\x00\x01\x00\x00\x00\x00")},
    {"GET_VALUES on the null request id", RELAY_FCGI_GET_VALUES, 0, 256, 0,
     BYTES("\x01\x09\x00\x00\x01\x00\x00\x00")},
    {"ABORT_REQUEST, padding 255", RELAY_FCGI_ABORT_REQUEST, 7, 0, 255,
     BYTES("\x01\x02\x00\x07\x00\x00\xff\x00")},
};

static int run_header_case(const header_case_t *c, apr_pool_t *pool)
{
    char out[RELAY_FCGI_HEADER_LEN + 1];

    out[RELAY_FCGI_HEADER_LEN] = 'X';
    relay_fcgi_header_write(out, c->type, c->request_id, c->content_length,
                            c->padding);
    if (memcmp(out, c->bytes, c->nbytes) != 0 ||
        out[RELAY_FCGI_HEADER_LEN] != 'X') {
        relay_test_diag("wrote %s",
                        relay_test_quote(pool, out, RELAY_FCGI_HEADER_LEN + 1));
        return 0;
    }
    return 1;
}

typedef struct begin_case_t {
    const char *desc;
    apr_uint16_t request_id;
    apr_uint16_t role;
    int keep_conn;
    const char *bytes;
    apr_size_t nbytes;
} begin_case_t;

/* §5.1: the header, then roleB1, roleB0, flags and five reserved bytes. */
static const begin_case_t begin_cases[] = {
    {"Responder, keep the connection", 1, RELAY_FCGI_RESPONDER, 1,
     BYTES("\x01\x01\x00\x01\x00\x08\x00\x00"
           "\x00\x01\x01\x00\x00\x00\x00\x00")},
    {"Responder, close the connection", 0x0203, RELAY_FCGI_RESPONDER, 0,
     BYTES("\x01\x01\x02\x03\x00\x08\x00\x00"
           "\x00\x01\x00\x00\x00\x00\x00\x00")},
    {"any non-zero keep_conn is the flag", 9, 0x0102, 42,
     BYTES("\x01\x01\x00\x09\x00\x08\x00\x00"
           "\x01\x02\x01\x00\x00\x00\x00\x00")},
};

static int run_begin_case(const begin_case_t *c, apr_pool_t *pool)
{
    char out[RELAY_FCGI_BEGIN_REQUEST_LEN + 1];

    memset(out, 'X', sizeof(out));
    relay_fcgi_begin_request_write(out, c->request_id, c->role, c->keep_conn);
    if (memcmp(out, c->bytes, c->nbytes) != 0 ||
        out[RELAY_FCGI_BEGIN_REQUEST_LEN] != 'X') {
        relay_test_diag("wrote %s", relay_test_quote(pool, out, sizeof(out)));
        return 0;
    }
    return 1;
}

typedef struct padding_case_t {
    const char *desc;
    apr_size_t content_length;
    apr_byte_t padding;
} padding_case_t;

/* §3.3 recommends records on 8-byte boundaries. */
static const padding_case_t padding_cases[] = {
    {"0 bytes", 0, 0},         {"1 byte", 1, 7},  {"7 bytes", 7, 1},
    {"8 bytes", 8, 0},         {"9 bytes", 9, 7}, {"65535 bytes", 65535, 1},
    {"65528 bytes", 65528, 0},
};

static int run_padding_case(const padding_case_t *c, apr_pool_t *pool)
{
    apr_byte_t got = relay_fcgi_padding(c->content_length);

    if (got != c->padding) {
        relay_test_diag("got %u", (unsigned)got);
        return 0;
    }
    return 1;
}

typedef struct lengths_case_t {
    const char *desc;
    apr_size_t name_len;
    apr_size_t value_len;
    const char *bytes; /* NULL: refused */
    apr_size_t nbytes;
} lengths_case_t;

/* §3.4: up to 127 in one byte, above that four with the top bit set. */
static const lengths_case_t lengths_cases[] = {
    {"0 and 0", 0, 0, BYTES("\x00\x00")},
    {"127 and 1", 127, 1, BYTES("\x7f\x01")},
    {"128 and 127", 128, 127, BYTES("\x80\x00\x00\x80\x7f")},
    {"1 and 128", 1, 128, BYTES("\x01\x80\x00\x00\x80")},
    {"65536 and 300", 65536, 300, BYTES("\x80\x01\x00\x00\x80\x00\x01\x2c")},
    {"2^31-1 both", 0x7fffffff, 0x7fffffff,
     BYTES("\xff\xff\xff\xff\xff\xff\xff\xff")},
    {"a name of 2^31 is refused", 0x80000000UL, 0, NULL, 0},
    {"a value of 2^31 is refused", 0, 0x80000000UL, NULL, 0},
};

static int run_lengths_case(const lengths_case_t *c, apr_pool_t *pool)
{
    char out[9];
    apr_size_t n;

    memset(out, 'X', sizeof(out));
    n = relay_fcgi_pair_lengths_write(out, c->name_len, c->value_len);
    if (c->bytes == NULL) {
        return n == 0 && out[0] == 'X';
    }
    if (n != c->nbytes || memcmp(out, c->bytes, n) != 0 || out[n] != 'X') {
        relay_test_diag("wrote %s", relay_test_quote(pool, out, n));
        return 0;
    }
    return 1;
}

typedef struct pair_case_t {
    const char *desc;
    apr_size_t name_len;
    apr_size_t value_len;
    apr_size_t size; /* the encoded size */
} pair_case_t;

/* Names and values are made of bytes from a pattern that runs through all
 * 256 values, so NUL and high bytes are carried too. */
static const pair_case_t pair_cases[] = {
    {"empty name and value", 0, 0, 2},
    {"empty value", 14, 0, 16},
    {"short name and value", 11, 9, 22},
    {"127-byte name and value", 127, 127, 256},
    {"128-byte name", 128, 1, 134},
    {"128-byte value", 4, 128, 137},
    {"127-byte name, 128-byte value", 127, 128, 260},
    {"128-byte name and value", 128, 128, 264},
    {"long value (a cookie)", 15, 8190, 8210},
    {"value filling a record", 9, 65535 - 14, 65535},
    {"value over a record", 9, 70000, 70014},
};

static void fill_pattern(char *buf, apr_size_t n, unsigned seed)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        buf[i] = (char)(unsigned char)((i * 7 + seed) & 0xff);
    }
}

/* Every proper prefix of an encoded pair is incomplete. */
static int prefixes_incomplete(const char *enc, apr_size_t size)
{
    apr_size_t k, used, nl, vl;
    const char *n, *v;

    for (k = 0; k < size; k++) {
        char *piece = relay_test_dup(enc, k);
        relay_status_t rv =
            relay_fcgi_pair_read(piece, k, &used, &n, &nl, &v, &vl);

        free(piece);
        if (rv != RELAY_AGAIN) {
            relay_test_diag("prefix of %lu bytes: %d", (unsigned long)k,
                            (int)rv);
            return 0;
        }
    }
    return 1;
}

static int run_pair_case(const pair_case_t *c, apr_pool_t *pool)
{
    char *name = apr_palloc(pool, c->name_len + 1);
    char *value = apr_palloc(pool, c->value_len + 1);
    char *enc = apr_palloc(pool, c->size + 1);
    apr_size_t used = 0, nl, vl;
    const char *n, *v;
    char *whole;
    int ok;

    fill_pattern(name, c->name_len, 1);
    fill_pattern(value, c->value_len, 100);
    if (relay_fcgi_pair_size(c->name_len, c->value_len) != c->size) {
        relay_test_diag("size %lu", (unsigned long)relay_fcgi_pair_size(
                                        c->name_len, c->value_len));
        return 0;
    }
    /* One byte short: refused, and nothing written. */
    enc[c->size - 1] = 'X';
    if (relay_fcgi_pair_append(enc, c->size - 1, &used, name, c->name_len,
                               value, c->value_len) != RELAY_ENOSPACE ||
        used != 0 || enc[c->size - 1] != 'X') {
        relay_test_diag("a buffer one byte short is not refused");
        return 0;
    }
    if (relay_fcgi_pair_append(enc, c->size, &used, name, c->name_len, value,
                               c->value_len) != RELAY_OK ||
        used != c->size) {
        relay_test_diag("append failed, used %lu", (unsigned long)used);
        return 0;
    }
    whole = relay_test_dup(enc, c->size);
    ok = relay_fcgi_pair_read(whole, c->size, &used, &n, &nl, &v, &vl) ==
             RELAY_OK &&
         used == c->size && nl == c->name_len && vl == c->value_len &&
         memcmp(n, name, nl) == 0 && memcmp(v, value, vl) == 0;
    free(whole);
    if (!ok) {
        relay_test_diag("read back differs");
        return 0;
    }
    /* Prefixes of the long cases take long; the boundary cases cover it. */
    return c->size > 1024 || prefixes_incomplete(enc, c->size);
}

/* The glue's loop: pairs appended to records of at most `cap` content
 * bytes, a new record started whenever one does not fit; reading every
 * record's content back gives the pairs in order. */
static int run_record_filling(apr_pool_t *pool, apr_size_t cap)
{
    static const char *const pairs[][2] = {
        {"SCRIPT_NAME", "/app"}, {"QUERY_STRING", ""},
        {"HTTP_HOST", "a.test"}, {"REQUEST_METHOD", "GET"},
        {"SERVER_PORT", "8080"}, {"HTTP_X_LONG", NULL},
        {"REMOTE_ADDR", "::1"},  {"CONTENT_LENGTH", "0"},
    };
    char *long_value = apr_palloc(pool, 200);
    char *rec[16];
    apr_size_t rec_len[16], used;
    int nrec = 0, i, j;

    memset(long_value, 'v', 199);
    long_value[199] = '\0';
    rec[0] = apr_palloc(pool, cap);
    rec_len[0] = 0;
    for (i = 0; i < RELAY_TEST_COUNT(pairs); i++) {
        const char *val = pairs[i][1] ? pairs[i][1] : long_value;
        relay_status_t rv;

        rv = relay_fcgi_pair_append(rec[nrec], cap, &rec_len[nrec], pairs[i][0],
                                    strlen(pairs[i][0]), val, strlen(val));
        if (rv == RELAY_ENOSPACE && nrec < 15) {
            rec[++nrec] = apr_palloc(pool, cap);
            rec_len[nrec] = 0;
            rv = relay_fcgi_pair_append(rec[nrec], cap, &rec_len[nrec],
                                        pairs[i][0], strlen(pairs[i][0]), val,
                                        strlen(val));
        }
        if (rv != RELAY_OK) {
            return 0;
        }
    }
    for (i = 0, j = 0; i <= nrec; i++) {
        apr_size_t off = 0, nl, vl;
        const char *n, *v;

        while (off < rec_len[i]) {
            const char *want = pairs[j][1] ? pairs[j][1] : long_value;

            if (relay_fcgi_pair_read(rec[i] + off, rec_len[i] - off, &used, &n,
                                     &nl, &v, &vl) != RELAY_OK ||
                nl != strlen(pairs[j][0]) || memcmp(n, pairs[j][0], nl) ||
                vl != strlen(want) || memcmp(v, want, vl)) {
                return 0;
            }
            off += used;
            j++;
        }
    }
    return j == RELAY_TEST_COUNT(pairs) && (cap > 1000 || nrec > 0);
}

/* A four-byte length may hold a short value: readers accept it (§3.4
 * only says the one-byte form is for lengths up to 127). */
static int run_long_form_short_length(apr_pool_t *pool)
{
    static const char enc[] = "\x80\x00\x00\x01"
                              "\x80\x00\x00\x02"
                              "abc";
    apr_size_t used, nl, vl;
    const char *n, *v;

    return relay_fcgi_pair_read(enc, sizeof(enc) - 1, &used, &n, &nl, &v,
                                &vl) == RELAY_OK &&
           used == 11 && nl == 1 && vl == 2 && memcmp(n, "abc", 3) == 0;
}

/* A pair over 2^31-1 is refused before any byte is touched. */
static int run_pair_refused(apr_pool_t *pool)
{
    char buf[4] = "XXX";
    apr_size_t used = 0;

    return relay_fcgi_pair_size(0x80000000UL, 0) == 0 &&
           relay_fcgi_pair_size(0, 0x80000000UL) == 0 &&
           relay_fcgi_pair_append(buf, sizeof(buf), &used, "a", 0x80000000UL,
                                  "b", 1) == RELAY_ETOOLARGE &&
           relay_fcgi_pair_append(buf, sizeof(buf), &used, "a", 1, "b",
                                  0x80000000UL) == RELAY_ETOOLARGE &&
           used == 0 && strcmp(buf, "XXX") == 0;
}

/* ---- Reader ----------------------------------------------------------- */

typedef struct read_case_t {
    const char *desc;
    const char *in;
    apr_size_t len;
    apr_uint16_t request_id; /* 0: 1 */
    apr_size_t max_stderr;   /* 0: the default */
    relay_status_t expect;
    /*
     * For RELAY_OK and RELAY_AGAIN, what was reported: "|R<type>:<id>:<len>"
     * for a RECORD header (M for MANAGEMENT, U for UNKNOWN), the content
     * bytes as they are, and "|E<appStatus>:<protocolStatus>" at the end.
     */
    const char *transcript;
    apr_size_t tlen;
    int between;     /* RELAY_AGAIN: the reader stands between records */
    apr_size_t used; /* RELAY_OK: where the END_REQUEST ends (0: len) */
} read_case_t;

static const read_case_t read_cases[] = {
    /* Complete requests. */
    {"STDOUT, end of STDOUT, END_REQUEST",
     IN(STDOUT_5 "hello" STDOUT_EMPTY END_OK), .expect = RELAY_OK,
     TR("|R6:1:5hello|R6:1:0|R3:1:8|E0:0")},
    {"END_REQUEST alone", IN(END_OK), .expect = RELAY_OK, TR("|R3:1:8|E0:0")},
    {"padding skipped",
     IN(STDOUT_5_PAD3 "hello"
                      "\0\0\0" STDOUT_EMPTY END_OK),
     .expect = RELAY_OK, TR("|R6:1:5hello|R6:1:0|R3:1:8|E0:0")},
    {"padding that looks like a header",
     IN("\x01\x06\x00\x01\x00\x01\x08\x00"
        "x"
        "\x01\x06\x00\x01\x00\x05\x00\x00" END_OK),
     .expect = RELAY_OK, TR("|R6:1:1x|R3:1:8|E0:0")},
    {"padding on an empty record",
     IN("\x01\x06\x00\x01\x00\x00\x02\x00"
        "\0\0" END_OK),
     .expect = RELAY_OK, TR("|R6:1:0|R3:1:8|E0:0")},
    {"padding after END_REQUEST is read before OK",
     IN(END_HDR_PAD8 END_BODY_OK "PPPPPPPP"), .expect = RELAY_OK,
     TR("|R3:1:8|E0:0")},
    {"STDERR and STDOUT interleaved",
     IN(STDERR_4 "oops" STDOUT_5 "hello" STDERR_4 "more" END_OK),
     .expect = RELAY_OK, TR("|R7:1:4oops|R6:1:5hello|R7:1:4more|R3:1:8|E0:0")},
    {"content holding NULs, high bytes and headers",
     IN("\x01\x06\x00\x01\x00\x0a\x00\x00"
        "\0\xff" END_HDR END_OK),
     .expect = RELAY_OK, TR("|R6:1:10\0\xff" END_HDR "|R3:1:8|E0:0")},
    {"appStatus big-endian, OVERLOADED",
     IN(END_HDR "\x01\x02\x03\x04\x02\x00\x00\x00"), .expect = RELAY_OK,
     TR("|R3:1:8|E16909060:2")},
    {"appStatus 2^32-1, CANT_MPX_CONN",
     IN(END_HDR "\xff\xff\xff\xff\x01\x00\x00\x00"), .expect = RELAY_OK,
     TR("|R3:1:8|E4294967295:1")},
    {"UNKNOWN_ROLE, reserved bytes ignored",
     IN(END_HDR "\x00\x00\x00\x00\x03\xff\xff\xff"), .expect = RELAY_OK,
     TR("|R3:1:8|E0:3")},
    {"bytes after END_REQUEST are not consumed", IN(END_OK "\x01\x06\x00\x02"),
     .expect = RELAY_OK, TR("|R3:1:8|E0:0"), .used = 16},
    {"request id 0x1234 read big-endian",
     IN("\x01\x06\x12\x34\x00\x01\x00\x00"
        "z"
        "\x01\x03\x12\x34\x00\x08\x00\x00" END_BODY_OK),
     .request_id = 0x1234, .expect = RELAY_OK,
     TR("|R6:4660:1z|R3:4660:8|E0:0")},
    {"STDERR at max_stderr", IN(STDERR_4 "oops" END_OK), .max_stderr = 4,
     .expect = RELAY_OK, TR("|R7:1:4oops|R3:1:8|E0:0")},
    {"max_stderr leaves STDOUT alone", IN(STDOUT_5 "hello" END_OK),
     .max_stderr = 4, .expect = RELAY_OK, TR("|R6:1:5hello|R3:1:8|E0:0")},

    /* Management records and unknown types are reported, not refused. */
    {"GET_VALUES_RESULT on id 0",
     IN("\x01\x0a\x00\x00\x00\x12\x06\x00"
        "\x0f\x01"
        "FCGI_MPXS_CONNS0"
        "\0\0\0\0\0\0" END_OK),
     .expect = RELAY_OK,
     TR("|M10:0:18\x0f\x01"
        "FCGI_MPXS_CONNS0|R3:1:8|E0:0")},
    {"UNKNOWN_TYPE on id 0 between STDOUT records",
     IN(STDOUT_5 "hello"
                 "\x01\x0b\x00\x00\x00\x08\x00\x00"
                 "\x2a\0\0\0\0\0\0\0" STDOUT_5 "world" END_OK),
     .expect = RELAY_OK,
     TR("|R6:1:5hello|M11:0:8\x2a\0\0\0\0\0\0\0"
        "|R6:1:5world|R3:1:8|E0:0")},
    {"an END_REQUEST on id 0 is only management",
     IN("\x01\x03\x00\x00\x00\x01\x00\x00"
        "e" END_OK),
     .expect = RELAY_OK, TR("|M3:0:1e|R3:1:8|E0:0")},
    {"unknown type 42 on the request",
     IN("\x01\x2a\x00\x01\x00\x02\x00\x00"
        "hi" END_OK),
     .expect = RELAY_OK, TR("|U42:1:2hi|R3:1:8|E0:0")},
    {"unknown type 0, empty", IN("\x01\x00\x00\x01\x00\x00\x00\x00" END_OK),
     .expect = RELAY_OK, TR("|U0:1:0|R3:1:8|E0:0")},
    {"unknown type 255, padded",
     IN("\x01\xff\x00\x01\x00\x01\x07\x00"
        "!"
        "1234567" END_OK),
     .expect = RELAY_OK, TR("|U255:1:1!|R3:1:8|E0:0")},

    /* A stream that stops: more input needed; between records or not. */
    {"nothing yet", IN(""), .expect = RELAY_AGAIN, TR(""), .between = 1},
    {"whole records, no END_REQUEST", IN(STDOUT_5 "hello" STDOUT_EMPTY),
     .expect = RELAY_AGAIN, TR("|R6:1:5hello|R6:1:0"), .between = 1},
    {"inside a header", IN("\x01\x06\x00"), .expect = RELAY_AGAIN, TR("")},
    {"seven header bytes", IN("\x01\x06\x00\x01\x00\x05\x00"),
     .expect = RELAY_AGAIN, TR("")},
    {"inside content", IN(STDOUT_5 "hel"), .expect = RELAY_AGAIN,
     TR("|R6:1:5hel")},
    {"inside padding",
     IN(STDOUT_5_PAD3 "hello"
                      "\0"),
     .expect = RELAY_AGAIN, TR("|R6:1:5hello")},
    {"inside the END_REQUEST body", IN(END_HDR "\0\0\0\0\0"),
     .expect = RELAY_AGAIN, TR("|R3:1:8")},
    {"inside the END_REQUEST padding", IN(END_HDR_PAD8 END_BODY_OK "PPPP"),
     .expect = RELAY_AGAIN, TR("|R3:1:8")},

    /* Malformed streams. */
    {"version 0", IN("\x00\x06\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"version 2", IN("\x02\x06\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"bad version after a good record",
     IN(STDOUT_5 "hello"
                 "H"),
     .expect = RELAY_EBADRECORD},
    {"HTTP instead of FastCGI", IN("HTTP/1.1 200 OK\r\n"),
     .expect = RELAY_EBADRECORD},
    {"another request id", IN("\x01\x06\x00\x02\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"request id with its bytes swapped",
     IN("\x01\x06\x01\x00\x00\x00\x00\x00"), .expect = RELAY_EBADRECORD},
    {"END_REQUEST of another request", IN("\x01\x03\x00\x02\x00\x08\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"END_REQUEST without a body", IN("\x01\x03\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"END_REQUEST of 9 bytes",
     IN("\x01\x03\x00\x01\x00\x09\x00\x00" END_BODY_OK "\0"),
     .expect = RELAY_EBADRECORD},
    {"END_REQUEST of 256+8 bytes", IN("\x01\x03\x00\x01\x01\x08\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"BEGIN_REQUEST from the application",
     IN("\x01\x01\x00\x01\x00\x08\x00\x00"), .expect = RELAY_EBADRECORD},
    {"ABORT_REQUEST from the application",
     IN("\x01\x02\x00\x01\x00\x00\x00\x00"), .expect = RELAY_EBADRECORD},
    {"PARAMS from the application", IN("\x01\x04\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"STDIN from the application", IN("\x01\x05\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"DATA from the application", IN("\x01\x08\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"GET_VALUES on the request id", IN("\x01\x09\x00\x01\x00\x00\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"GET_VALUES_RESULT on the request id",
     IN("\x01\x0a\x00\x01\x00\x00\x00\x00"), .expect = RELAY_EBADRECORD},
    {"UNKNOWN_TYPE on the request id", IN("\x01\x0b\x00\x01\x00\x08\x00\x00"),
     .expect = RELAY_EBADRECORD},
    {"STDERR over max_stderr", IN(STDERR_5 "oops!" END_OK), .max_stderr = 4,
     .expect = RELAY_ETOOLARGE},
    {"STDERR over max_stderr, reported before its content", IN(STDERR_5),
     .max_stderr = 4, .expect = RELAY_ETOOLARGE},
};

typedef struct read_result_t {
    relay_status_t rv;
    char text[512];
    apr_size_t text_len;
    apr_size_t used;
    const char *broken; /* an inconsistency in what the reader reported */
} read_result_t;

static void read_result_init(read_result_t *r)
{
    r->rv = RELAY_AGAIN;
    r->text_len = 0;
    r->used = 0;
    r->broken = NULL;
}

static void text_add(read_result_t *r, const char *p, apr_size_t n)
{
    if (r->text_len + n > sizeof(r->text)) {
        r->broken = "transcript overflows the test buffer";
        return;
    }
    memcpy(r->text + r->text_len, p, n);
    r->text_len += n;
}

/* Writes one event into the transcript. */
static void note_event(read_result_t *r, const relay_fcgi_event_t *ev,
                       const char *in)
{
    char line[64];
    static const char letters[] = " RMUCE";

    switch (ev->kind) {
    case RELAY_FCGI_EV_NONE:
        return;
    case RELAY_FCGI_EV_CONTENT:
        text_add(r, in + ev->data_off, ev->data_len);
        return;
    case RELAY_FCGI_EV_END_REQUEST:
        apr_snprintf(line, sizeof(line), "|E%lu:%d",
                     (unsigned long)ev->app_status, ev->protocol_status);
        break;
    default:
        apr_snprintf(line, sizeof(line), "|%c%d:%u:%lu", letters[ev->kind],
                     ev->type, (unsigned)ev->request_id,
                     (unsigned long)ev->content_length);
        break;
    }
    text_add(r, line, strlen(line));
}

/* Checks what one call reported against the input it was given. */
static const char *check_call(relay_status_t rv, const relay_fcgi_event_t *ev,
                              apr_size_t consumed, apr_size_t len)
{
    if (consumed > len) {
        return "consumed more than the input";
    }
    if (ev->kind == RELAY_FCGI_EV_CONTENT &&
        (ev->data_len == 0 || ev->data_off + ev->data_len > consumed)) {
        return "content run outside what was consumed";
    }
    if (ev->kind != RELAY_FCGI_EV_CONTENT && ev->data_len != 0) {
        return "a run outside a content event";
    }
    if (rv == RELAY_AGAIN && consumed == 0 && len > 0) {
        return "no progress";
    }
    if ((rv == RELAY_OK) != (ev->kind == RELAY_FCGI_EV_END_REQUEST)) {
        return "RELAY_OK without END_REQUEST, or the reverse";
    }
    return NULL;
}

/* Feeds one piece, copied to a block of its own size, until it is used up
 * or the reader finishes or fails. */
static void read_feed(relay_fcgi_reader_t *rd, const char *in, apr_size_t len,
                      read_result_t *r)
{
    char *buf = relay_test_dup(in, len);
    apr_size_t off = 0;

    while (r->rv == RELAY_AGAIN && off < len && r->broken == NULL) {
        relay_fcgi_event_t ev;
        apr_size_t consumed = 99;
        relay_status_t rv;

        rv = relay_fcgi_read(rd, buf + off, len - off, &consumed, &ev);
        r->rv = rv;
        if (rv < 0) {
            break;
        }
        r->broken = check_call(rv, &ev, consumed, len - off);
        if (r->broken == NULL) {
            note_event(r, &ev, buf + off);
            r->used += consumed;
            off += consumed;
        }
    }
    free(buf);
}

static int read_check(const read_case_t *c, apr_pool_t *pool,
                      const relay_fcgi_reader_t *rd, const read_result_t *r,
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
    if (r->text_len != c->tlen ||
        memcmp(r->text, c->transcript, c->tlen) != 0) {
        relay_test_diag("%s: transcript %s", how,
                        relay_test_quote(pool, r->text, r->text_len));
        return 0;
    }
    if (c->expect == RELAY_OK && r->used != used) {
        relay_test_diag("%s: consumed %lu, want %lu", how,
                        (unsigned long)r->used, (unsigned long)used);
        return 0;
    }
    if (c->expect == RELAY_AGAIN &&
        relay_fcgi_reader_between_records(rd) != c->between) {
        relay_test_diag("%s: between records is %d", how,
                        relay_fcgi_reader_between_records(rd));
        return 0;
    }
    return 1;
}

static void read_start(const read_case_t *c, relay_fcgi_reader_t *rd,
                       read_result_t *r)
{
    relay_fcgi_reader_init(rd, c->request_id ? c->request_id : 1,
                           c->max_stderr);
    read_result_init(r);
}

/* A finished or failed reader stays that way. */
static int read_sticky(const read_case_t *c, relay_fcgi_reader_t *rd)
{
    relay_fcgi_event_t ev;
    apr_size_t consumed;

    if (relay_fcgi_reader_done(rd) != (c->expect == RELAY_OK)) {
        return 0;
    }
    if (c->expect == RELAY_AGAIN) {
        return 1;
    }
    return relay_fcgi_read(rd, END_OK, 16, &consumed, &ev) == c->expect &&
           consumed == 0 && ev.kind == RELAY_FCGI_EV_NONE &&
           relay_fcgi_reader_between_records(rd) == (c->expect == RELAY_OK);
}

static int run_read_case(const read_case_t *c, apr_pool_t *pool)
{
    relay_fcgi_reader_t rd;
    read_result_t r;
    apr_size_t k;

    read_start(c, &rd, &r);
    read_feed(&rd, c->in, c->len, &r);
    if (!read_check(c, pool, &rd, &r, "whole")) {
        return 0;
    }
    if (!read_sticky(c, &rd)) {
        relay_test_diag("whole: state after the end is not kept");
        return 0;
    }

    for (k = 0; k <= c->len; k++) {
        char how[64];

        read_start(c, &rd, &r);
        read_feed(&rd, c->in, k, &r);
        read_feed(&rd, c->in + k, c->len - k, &r);
        apr_snprintf(how, sizeof(how), "split at %lu", (unsigned long)k);
        if (!read_check(c, pool, &rd, &r, how)) {
            return 0;
        }
    }

    read_start(c, &rd, &r);
    for (k = 0; k < c->len; k++) {
        read_feed(&rd, c->in + k, 1, &r);
    }
    return read_check(c, pool, &rd, &r, "byte by byte");
}

/*
 * A record of the largest size, written with relay_fcgi_header_write and
 * read back whole and in pieces of a few sizes: one content event per
 * piece at most, all 65535 bytes accounted for.
 */
static int run_largest_record(apr_pool_t *pool, apr_size_t piece)
{
    apr_size_t len = RELAY_FCGI_HEADER_LEN * 2 + RELAY_FCGI_MAX_CONTENT + 1 +
                     RELAY_FCGI_END_REQUEST_BODY_LEN;
    char *in = apr_pcalloc(pool, len);
    apr_size_t off = 0, content = 0, consumed;
    relay_fcgi_reader_t rd;
    relay_fcgi_event_t ev;
    relay_status_t rv = RELAY_AGAIN;

    relay_fcgi_header_write(in, RELAY_FCGI_STDOUT, 1, RELAY_FCGI_MAX_CONTENT,
                            relay_fcgi_padding(RELAY_FCGI_MAX_CONTENT));
    relay_fcgi_header_write(in + len - 16, RELAY_FCGI_END_REQUEST, 1, 8, 0);
    relay_fcgi_reader_init(&rd, 1, 0);
    while (rv == RELAY_AGAIN && off < len) {
        apr_size_t n = len - off < piece ? len - off : piece;

        rv = relay_fcgi_read(&rd, in + off, n, &consumed, &ev);
        if (ev.kind == RELAY_FCGI_EV_CONTENT) {
            content += ev.data_len;
        }
        off += consumed;
    }
    return rv == RELAY_OK && off == len && content == RELAY_FCGI_MAX_CONTENT;
}

/* STDERR records are bounded by the 65535 of §3.3 unless asked. */
static int run_stderr_default(apr_pool_t *pool)
{
    char hdr[RELAY_FCGI_HEADER_LEN];
    relay_fcgi_reader_t rd;
    relay_fcgi_event_t ev;
    apr_size_t consumed;

    relay_fcgi_header_write(hdr, RELAY_FCGI_STDERR, 1, 65535, 0);
    relay_fcgi_reader_init(&rd, 1, 0);
    return relay_fcgi_read(&rd, hdr, sizeof(hdr), &consumed, &ev) ==
               RELAY_AGAIN &&
           ev.kind == RELAY_FCGI_EV_RECORD && ev.content_length == 65535;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    RELAY_TEST_TABLE(header_cases, run_header_case, "header", pool);
    RELAY_TEST_TABLE(begin_cases, run_begin_case, "begin request", pool);
    RELAY_TEST_TABLE(padding_cases, run_padding_case, "padding", pool);
    RELAY_TEST_TABLE(lengths_cases, run_lengths_case, "pair lengths", pool);
    RELAY_TEST_TABLE(pair_cases, run_pair_case, "pair", pool);
    relay_test_ok(run_pair_refused(pool), "pair: over 2^31-1 is refused");
    relay_test_ok(run_long_form_short_length(pool),
                  "pair: a four-byte length under 128 is read");
    relay_test_ok(run_record_filling(pool, RELAY_FCGI_MAX_CONTENT),
                  "pair: every pair in one record of 65535");
    relay_test_ok(run_record_filling(pool, 256),
                  "pair: a new record when a pair does not fit");
    RELAY_TEST_TABLE(read_cases, run_read_case, "read", pool);
    relay_test_ok(run_largest_record(pool, (apr_size_t)-1),
                  "read: a 65535-byte record in one piece");
    relay_test_ok(run_largest_record(pool, 4096),
                  "read: a 65535-byte record in 4 KiB pieces");
    relay_test_ok(run_largest_record(pool, 1),
                  "read: a 65535-byte record byte by byte");
    relay_test_ok(run_stderr_default(pool),
                  "read: STDERR of 65535 bytes by default");
    return relay_test_done();
}
