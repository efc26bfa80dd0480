/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_ajp.c and relay_ajp_reader.c: the code tables, the packet
 * writer's data types and its refusals at the capacity, whole FORWARD_REQUEST,
 * body and CPING packets against hand-written bytes (and every capacity short
 * of them refused), and the reader of container packets. Every reader case is
 * fed whole, in two pieces split at every byte position, and one byte at
 * a time, each piece in a heap block of its exact size, as is the reader's
 * packet buffer; what the reader reports, written out as a transcript,
 * the bytes consumed and the final status must be the same every way.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_ajp.h"
#include "relay_test.h"

/* A string literal and its length, NULs inside included. */
#define IN(s) .in = (s), .len = sizeof(s) - 1
#define BYTES(s) .bytes = (s), .nbytes = sizeof(s) - 1
#define TR(s) .transcript = (s), .tlen = sizeof(s) - 1

/* ---- Tables ----------------------------------------------------------- */

typedef struct method_case_t {
    const char *desc;
    const char *name;
    int code;
} method_case_t;

/* "method": the whole table, and names that are not in it. */
static const method_case_t method_cases[] = {
    {"OPTIONS", "OPTIONS", 1},
    {"GET", "GET", 2},
    {"HEAD", "HEAD", 3},
    {"POST", "POST", 4},
    {"PUT", "PUT", 5},
    {"DELETE", "DELETE", 6},
    {"TRACE", "TRACE", 7},
    {"PROPFIND", "PROPFIND", 8},
    {"PROPPATCH", "PROPPATCH", 9},
    {"MKCOL", "MKCOL", 10},
    {"COPY", "COPY", 11},
    {"MOVE", "MOVE", 12},
    {"LOCK", "LOCK", 13},
    {"UNLOCK", "UNLOCK", 14},
    {"ACL", "ACL", 15},
    {"REPORT", "REPORT", 16},
    {"VERSION-CONTROL", "VERSION-CONTROL", 17},
    {"CHECKIN", "CHECKIN", 18},
    {"CHECKOUT", "CHECKOUT", 19},
    {"UNCHECKOUT", "UNCHECKOUT", 20},
    {"SEARCH", "SEARCH", 21},
    {"MKWORKSPACE", "MKWORKSPACE", 22},
    {"UPDATE", "UPDATE", 23},
    {"LABEL", "LABEL", 24},
    {"MERGE", "MERGE", 25},
    {"BASELINE-CONTROL", "BASELINE-CONTROL", 26},
    {"MKACTIVITY", "MKACTIVITY", 27},
    {"PATCH has no code", "PATCH", 0},
    {"method names are case-sensitive", "get", 0},
    {"the table's spelling with an underscore", "BASELINE_CONTROL", 0},
    {"a prefix of a name", "GE", 0},
    {"a name with more after it", "GETS", 0},
    {"a trailing space", "MKACTIVITY ", 0},
    {"empty", "", 0},
};

static int run_method_case(const method_case_t *c, apr_pool_t *pool)
{
    int got = relay_ajp_method_code(c->name);

    if (got != c->code) {
        relay_test_diag("got %d", got);
        return 0;
    }
    return 1;
}

typedef struct req_header_case_t {
    const char *desc;
    const char *name;
    unsigned code;
} req_header_case_t;

/* "Headers": each name in some case; names near them have no code. */
static const req_header_case_t req_header_cases[] = {
    {"accept", "accept", 0xA001},
    {"Accept-Charset", "Accept-Charset", 0xA002},
    {"ACCEPT-ENCODING", "ACCEPT-ENCODING", 0xA003},
    {"accept-language", "accept-language", 0xA004},
    {"Authorization", "Authorization", 0xA005},
    {"Connection", "Connection", 0xA006},
    {"Content-Type", "Content-Type", 0xA007},
    {"content-length", "content-length", 0xA008},
    {"Cookie", "Cookie", 0xA009},
    {"COOKIE2", "COOKIE2", 0xA00A},
    {"Host", "Host", 0xA00B},
    {"Pragma", "Pragma", 0xA00C},
    {"Referer", "Referer", 0xA00D},
    {"User-Agent", "User-Agent", 0xA00E},
    {"a prefix of a name", "Accep", 0},
    {"a name with more after it", "accept-", 0},
    {"host with a letter more", "hostx", 0},
    {"the other spelling of Referer", "Referrer", 0},
    {"a header of its own", "X-Forwarded-For", 0},
    {"empty", "", 0},
};

static int run_req_header_case(const req_header_case_t *c, apr_pool_t *pool)
{
    unsigned got = relay_ajp_request_header_code(c->name);

    if (got != c->code) {
        relay_test_diag("got 0x%X", got);
        return 0;
    }
    return 1;
}

typedef struct res_header_case_t {
    const char *desc;
    unsigned code;
    const char *name; /* NULL: no such code */
} res_header_case_t;

/* "Send Headers": the table, and codes around it. */
static const res_header_case_t res_header_cases[] = {
    {"0xA001", 0xA001, "Content-Type"},
    {"0xA002", 0xA002, "Content-Language"},
    {"0xA003", 0xA003, "Content-Length"},
    {"0xA004", 0xA004, "Date"},
    {"0xA005", 0xA005, "Last-Modified"},
    {"0xA006", 0xA006, "Location"},
    {"0xA007", 0xA007, "Set-Cookie"},
    {"0xA008", 0xA008, "Set-Cookie2"},
    {"0xA009", 0xA009, "Servlet-Engine"},
    {"0xA00A", 0xA00A, "Status"},
    {"0xA00B", 0xA00B, "WWW-Authenticate"},
    {"0xA000 is not a code", 0xA000, NULL},
    {"0xA00C is past the table", 0xA00C, NULL},
    {"0xA0FF", 0xA0FF, NULL},
    {"0xB001 is not coded", 0xB001, NULL},
    {"0x0001 is not coded", 0x0001, NULL},
};

static int run_res_header_case(const res_header_case_t *c, apr_pool_t *pool)
{
    const char *got = relay_ajp_response_header_name(c->code);

    if ((got == NULL) != (c->name == NULL) ||
        (got != NULL && strcmp(got, c->name) != 0)) {
        relay_test_diag("got %s", got ? got : "NULL");
        return 0;
    }
    return 1;
}

typedef struct size_case_t {
    const char *desc;
    apr_size_t configured;
    apr_size_t size;
} size_case_t;

/* "Packet Size": 8 KiB unless more is configured, 64 KiB at most. */
static const size_case_t size_cases[] = {
    {"unset", 0, 8192},        {"below 8 KiB", 100, 8192},
    {"8191", 8191, 8192},      {"8 KiB", 8192, 8192},
    {"16 KiB", 16384, 16384},  {"an odd size", 10000, 10000},
    {"64 KiB", 65536, 65536},  {"one over 64 KiB", 65537, 65536},
    {"1 MiB", 1048576, 65536},
};

static int run_size_case(const size_case_t *c, apr_pool_t *pool)
{
    apr_size_t got = relay_ajp_packet_size(c->configured);

    if (got != c->size) {
        relay_test_diag("got %lu", (unsigned long)got);
        return 0;
    }
    return 1;
}

/* ---- Packet writer ---------------------------------------------------- */

typedef struct put_t {
    char op; /* 'b' byte, 'i' integer, 's' string (s NULL: null string) */
    unsigned v;
    const char *s;
    apr_size_t n;
} put_t;

#define PB(v)                                                                  \
    {                                                                          \
        'b', (v), NULL, 0                                                      \
    }
#define PI(v)                                                                  \
    {                                                                          \
        'i', (v), NULL, 0                                                      \
    }
#define PS(s)                                                                  \
    {                                                                          \
        's', 0, (s), sizeof(s) - 1                                             \
    }
#define PNULL                                                                  \
    {                                                                          \
        's', 0, NULL, 0                                                        \
    }

typedef struct put_case_t {
    const char *desc;
    apr_size_t cap;
    put_t puts[4];
    int nputs;
    unsigned refused;  /* bit i: puts[i] is refused */
    const char *bytes; /* the finished packet; NULL: begin is refused */
    apr_size_t nbytes;
} put_case_t;

/* "Basic Packet Structure": the data types, and the capacity. */
static const put_case_t put_cases[] = {
    {"byte, integer, string",
     64,
     {PB(2), PI(0x1234), PS("abc")},
     3,
     0,
     BYTES("\x12\x34\x00\x09\x02\x12\x34\x00\x03"
           "abc\0")},
    {"nothing put", 64, {PB(0)}, 0, 0, BYTES("\x12\x34\x00\x00")},
    {"the empty string",
     64,
     {PS("")},
     1,
     0,
     BYTES("\x12\x34\x00\x03\x00\x00\x00")},
    {"the null string is its length alone",
     64,
     {PNULL},
     1,
     0,
     BYTES("\x12\x34\x00\x02\xff\xff")},
    {"a string with a NUL inside",
     64,
     {PS("a\0b")},
     1,
     0,
     BYTES("\x12\x34\x00\x06\x00\x03"
           "a\0b\0")},
    {"integers are big-endian",
     64,
     {PI(0), PI(0xff00), PI(0xffff)},
     3,
     0,
     BYTES("\x12\x34\x00\x06\x00\x00\xff\x00\xff\xff")},
    {"a byte filling the packet",
     5,
     {PB(1)},
     1,
     0,
     BYTES("\x12\x34\x00\x01\x01")},
    {"a byte past the capacity",
     5,
     {PB(1), PB(2)},
     2,
     0x2,
     BYTES("\x12\x34\x00\x01\x01")},
    {"an integer with one byte left",
     5,
     {PI(7), PB(8)},
     2,
     0x1,
     BYTES("\x12\x34\x00\x01\x08")},
    {"a string that fits with its NUL",
     10,
     {PS("abc")},
     1,
     0,
     BYTES("\x12\x34\x00\x06\x00\x03"
           "abc\0")},
    {"a string short of room for its NUL",
     9,
     {PS("abc"), PS("ab")},
     2,
     0x1,
     BYTES("\x12\x34\x00\x05\x00\x02"
           "ab\0")},
    {"the null string in two bytes left",
     6,
     {PNULL, PB(0)},
     2,
     0x2,
     BYTES("\x12\x34\x00\x02\xff\xff")},
    {"a refused put leaves the packet as it was",
     7,
     {PS("ab"), PI(0x0102), PB(9), PB(10)},
     4,
     0x9,
     BYTES("\x12\x34\x00\x03\x01\x02\x09")},
    {"a capacity of the header alone",
     4,
     {PB(1), PNULL},
     2,
     0x3,
     BYTES("\x12\x34\x00\x00")},
    {"a capacity under the header", 3, {PB(1)}, 1, 0x1, NULL, 0},
    {"no capacity", 0, {PNULL}, 1, 0x1, NULL, 0},
};

static relay_status_t do_put(relay_ajp_packet_t *pk, const put_t *p)
{
    switch (p->op) {
    case 'b':
        return relay_ajp_put_byte(pk, (apr_byte_t)p->v);
    case 'i':
        return relay_ajp_put_int(pk, (apr_uint16_t)p->v);
    default:
        return relay_ajp_put_string(pk, p->s, p->n);
    }
}

/* Each put is refused or not as the case says, a refused one writes
 * nothing (the buffer past the packet keeps its filler), and the packet
 * finishes as the bytes say. */
static int run_put_case(const put_case_t *c, apr_pool_t *pool)
{
    char *buf = malloc(c->cap + 1);
    relay_ajp_packet_t pk;
    relay_status_t rv;
    apr_size_t i, n = 0;
    int ok = 1;

    memset(buf, 'X', c->cap + 1);
    rv = relay_ajp_packet_begin(&pk, buf, c->cap);
    if (rv != (c->bytes ? RELAY_OK : RELAY_ETOOLARGE)) {
        relay_test_diag("begin: %d", (int)rv);
        ok = 0;
    }
    for (i = 0; ok && i < (apr_size_t)c->nputs; i++) {
        relay_status_t want =
            (c->refused & (1u << i)) ? RELAY_ETOOLARGE : RELAY_OK;

        rv = do_put(&pk, &c->puts[i]);
        if (rv != want) {
            relay_test_diag("put %lu: %d", (unsigned long)i, (int)rv);
            ok = 0;
        }
        for (n = pk.len; ok && n <= c->cap; n++) {
            if (buf[n] != 'X' && n >= RELAY_AJP_HEADER_LEN) {
                relay_test_diag("put %lu wrote past the packet",
                                (unsigned long)i);
                ok = 0;
            }
        }
    }
    if (ok && c->bytes != NULL) {
        n = relay_ajp_packet_finish(&pk);
        if (n != c->nbytes || memcmp(buf, c->bytes, n) != 0 ||
            buf[c->cap] != 'X') {
            relay_test_diag("wrote %s", relay_test_quote(pool, buf, n));
            ok = 0;
        }
    }
    free(buf);
    return ok;
}

/* The longest string a packet can hold (2 + 65529 + 1 bytes after the
 * header is 65536 in all), and one byte more; a capacity over 64 KiB is
 * taken as 64 KiB, and a length of 0xFFFF is never sent. */
static int run_longest_string(apr_pool_t *pool)
{
    apr_size_t big = RELAY_AJP_PACKET_MAX + 16;
    char *buf = apr_palloc(pool, big), *s = apr_pcalloc(pool, 0x10000);
    relay_ajp_packet_t pk;

    memset(s, 's', 0x10000);
    if (relay_ajp_packet_begin(&pk, buf, big) != RELAY_OK ||
        relay_ajp_put_string(&pk, s, 65530) != RELAY_ETOOLARGE ||
        relay_ajp_put_string(&pk, s, 0xFFFF) != RELAY_ETOOLARGE ||
        relay_ajp_put_string(&pk, s, 65529) != RELAY_OK ||
        relay_ajp_packet_finish(&pk) != RELAY_AJP_PACKET_MAX) {
        return 0;
    }
    return memcmp(buf, "\x12\x34\xff\xfc\xff\xf9", 6) == 0 && buf[6] == 's' &&
           buf[RELAY_AJP_PACKET_MAX - 2] == 's' &&
           buf[RELAY_AJP_PACKET_MAX - 1] == '\0';
}

/* ---- FORWARD_REQUEST -------------------------------------------------- */

static const relay_ajp_header_t headers_a[] = {
    {"Host", "www.test"},
    {"User-Agent", "t/1"},
    {"X-Id", "7"},
    {"ACCEPT", ""},
};

static const relay_ajp_attribute_t attrs_a[] = {
    {RELAY_AJP_A_QUERY_STRING, NULL, "a=1"},
    {RELAY_AJP_A_REQ_ATTRIBUTE, "AJP_REMOTE_PORT", "5555"},
    {RELAY_AJP_A_SECRET, NULL, "s3"},
    {RELAY_AJP_A_SSL_KEY_SIZE, NULL, "256"},
    {RELAY_AJP_A_ROUTE, NULL, "w1"},
};

static const relay_ajp_header_t headers_b[] = {
    {"Content-Length", "0"},
    {"content-type", "text/plain"},
};

static const relay_ajp_attribute_t attrs_b[] = {
    {RELAY_AJP_A_STORED_METHOD, NULL, "PATCH"},
};

static const relay_ajp_header_t headers_d[] = {
    {"cookie", "a=b"},
    {"Cookie2", "$Version=1"},
    {"accept-charset", "utf-8"},
    {"accept-encodingx", "gzip"},
    {"X-Null", NULL},
};

static const relay_ajp_attribute_t attrs_d[] = {
    {RELAY_AJP_A_REMOTE_USER, NULL, "alice"},
    {RELAY_AJP_A_AUTH_TYPE, NULL, "Basic"},
    {RELAY_AJP_A_SSL_CERT, NULL, "-----"},
    {RELAY_AJP_A_SSL_CIPHER, NULL, "AES"},
    {RELAY_AJP_A_SSL_SESSION, NULL, "ab"},
    {RELAY_AJP_A_SSL_KEY_SIZE, NULL, "12x"},
    {RELAY_AJP_A_SSL_KEY_SIZE, NULL, "65536"},
    {RELAY_AJP_A_SSL_KEY_SIZE, NULL, ""},
    {RELAY_AJP_A_SSL_KEY_SIZE, NULL, NULL},
    {RELAY_AJP_A_SSL_KEY_SIZE, NULL, "65535"},
    {RELAY_AJP_A_SECRET, NULL, NULL},
    {RELAY_AJP_A_REQ_ATTRIBUTE, NULL, "v"},
    {RELAY_AJP_A_CONTEXT, NULL, "/c"},
};

typedef struct forward_case_t {
    const char *desc;
    relay_ajp_request_t req;
    const char *bytes;
    apr_size_t nbytes;
} forward_case_t;

/* "Request Packet Structure": prefix code, method, protocol, req_uri,
 * remote_addr, remote_host, server_name, server_port, is_ssl,
 * num_headers, the headers, the attributes, are_done. */
static const forward_case_t forward_cases[] = {
    {"GET over TLS: coded and uncoded headers, attributes, secret",
     {RELAY_AJP_M_GET, "HTTP/1.1", "/app/x", "10.0.0.1", NULL, "www.test", 443,
      1, headers_a, 4, attrs_a, 5},
     BYTES("\x12\x34\x00\x89"
           "\x02\x02"
           "\x00\x08"
           "HTTP/1.1\0"
           "\x00\x06"
           "/app/x\0"
           "\x00\x08"
           "10.0.0.1\0"
           "\xff\xff"
           "\x00\x08"
           "www.test\0"
           "\x01\xbb\x01\x00\x04"
           "\xa0\x0b\x00\x08"
           "www.test\0"
           "\xa0\x0e\x00\x03"
           "t/1\0"
           "\x00\x04"
           "X-Id\0"
           "\x00\x01"
           "7\0"
           "\xa0\x01\x00\x00\x00"
           "\x05\x00\x03"
           "a=1\0"
           "\x0a\x00\x0f"
           "AJP_REMOTE_PORT\0"
           "\x00\x04"
           "5555\0"
           "\x0c\x00\x02"
           "s3\0"
           "\x0b\x01\x00"
           "\x06\x00\x02"
           "w1\0"
           "\xff")},
    {"a stored method",
     {RELAY_AJP_M_STORED, "HTTP/1.1", "/", "::1", "localhost", "a.test", 80, 0,
      headers_b, 2, attrs_b, 1},
     BYTES("\x12\x34\x00\x50"
           "\x02\xff"
           "\x00\x08"
           "HTTP/1.1\0"
           "\x00\x01"
           "/\0"
           "\x00\x03"
           "::1\0"
           "\x00\x09"
           "localhost\0"
           "\x00\x06"
           "a.test\0"
           "\x00\x50\x00\x00\x02"
           "\xa0\x08\x00\x01"
           "0\0"
           "\xa0\x07\x00\x0a"
           "text/plain\0"
           "\x0d\x00\x05"
           "PATCH\0"
           "\xff")},
    {"null strings, no headers, no attributes",
     {RELAY_AJP_M_POST, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, NULL, 0},
     BYTES("\x12\x34\x00\x12"
           "\x02\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
           "\x00\x00\x00\x00\x00\xff")},
    {"every attribute kind; bad key sizes left out",
     {RELAY_AJP_M_OPTIONS, "HTTP/1.0", "*", "192.0.2.1", "client.test", "s",
      8009, 7, headers_d, 5, attrs_d, 13},
     BYTES("\x12\x34\x00\xb6"
           "\x02\x01"
           "\x00\x08"
           "HTTP/1.0\0"
           "\x00\x01"
           "*\0"
           "\x00\x09"
           "192.0.2.1\0"
           "\x00\x0b"
           "client.test\0"
           "\x00\x01"
           "s\0"
           "\x1f\x49\x01\x00\x05"
           "\xa0\x09\x00\x03"
           "a=b\0"
           "\xa0\x0a\x00\x0a"
           "$Version=1\0"
           "\xa0\x02\x00\x05"
           "utf-8\0"
           "\x00\x10"
           "accept-encodingx\0"
           "\x00\x04"
           "gzip\0"
           "\x00\x06"
           "X-Null\0"
           "\xff\xff"
           "\x03\x00\x05"
           "alice\0"
           "\x04\x00\x05"
           "Basic\0"
           "\x07\x00\x05"
           "-----\0"
           "\x08\x00\x03"
           "AES\0"
           "\x09\x00\x02"
           "ab\0"
           "\x0b\xff\xff"
           "\x0c\xff\xff"
           "\x0a\xff\xff\x00\x01"
           "v\0"
           "\x01\x00\x02"
           "/c\0"
           "\xff")},
};

/* The packet is the bytes; every capacity short of it is refused, and
 * nothing is written past the capacity given. */
static int run_forward_case(const forward_case_t *c, apr_pool_t *pool)
{
    apr_size_t size = c->nbytes + 64, cap, len = 0;
    char *buf = malloc(size);
    int ok = 1;

    memset(buf, 'X', size);
    if (relay_ajp_forward_request_write(buf, size, &c->req, &len) != RELAY_OK ||
        len != c->nbytes || memcmp(buf, c->bytes, len) != 0 ||
        buf[len] != 'X') {
        relay_test_diag("wrote %s", relay_test_quote(pool, buf, len));
        ok = 0;
    }
    for (cap = 0; ok && cap < c->nbytes; cap++) {
        apr_size_t i;

        memset(buf, 'X', size);
        len = 99;
        if (relay_ajp_forward_request_write(buf, cap, &c->req, &len) !=
                RELAY_ETOOLARGE ||
            len != 99) {
            relay_test_diag("capacity %lu is not refused", (unsigned long)cap);
            ok = 0;
        }
        for (i = cap; ok && i < size; i++) {
            if (buf[i] != 'X') {
                relay_test_diag("capacity %lu: wrote at %lu",
                                (unsigned long)cap, (unsigned long)i);
                ok = 0;
            }
        }
    }
    free(buf);
    return ok;
}

/* A head that cannot fit the packet size is refused: a cookie of 8 KiB in
 * a packet of 8 KiB; and over 65535 headers are refused outright. */
static int run_forward_too_large(apr_pool_t *pool)
{
    char *cookie = apr_palloc(pool, 8192), *buf = apr_palloc(pool, 65536);
    relay_ajp_header_t h[1] = {{"Cookie", cookie}};
    relay_ajp_request_t req = {RELAY_AJP_M_GET,
                               "HTTP/1.1",
                               "/",
                               "::1",
                               NULL,
                               "a",
                               80,
                               0,
                               h,
                               1,
                               NULL,
                               0};
    apr_size_t len;

    memset(cookie, 'c', 8191);
    cookie[8191] = '\0';
    if (relay_ajp_forward_request_write(buf, RELAY_AJP_PACKET_DEFAULT, &req,
                                        &len) != RELAY_ETOOLARGE ||
        relay_ajp_forward_request_write(buf, 65536, &req, &len) != RELAY_OK) {
        return 0;
    }
    req.nheaders = 65536;
    return relay_ajp_forward_request_write(buf, 65536, &req, &len) ==
           RELAY_ETOOLARGE;
}

/* ---- Body and CPING --------------------------------------------------- */

typedef struct body_case_t {
    const char *desc;
    apr_size_t cap;
    const char *data;
    apr_size_t n;
    const char *bytes; /* NULL: refused */
    apr_size_t nbytes;
} body_case_t;

#define DATA(s) .data = (s), .n = sizeof(s) - 1

/* "Request Packet Structure" (Data) and "Get Body Chunk". */
static const body_case_t body_cases[] = {
    {"five bytes", 8192, DATA("hello"),
     BYTES("\x12\x34\x00\x07\x00\x05"
           "hello")},
    {"no more body: the empty packet", 8192, DATA(""),
     BYTES("\x12\x34\x00\x00")},
    {"NULs and high bytes", 8192, DATA("\0\xff\x12\x34"),
     BYTES("\x12\x34\x00\x06\x00\x04\0\xff\x12\x34")},
    {"filling the capacity", 11, DATA("hello"),
     BYTES("\x12\x34\x00\x07\x00\x05"
           "hello")},
    {"a byte over the capacity", 10, DATA("hello"), NULL, 0},
    {"one byte where only the header fits", 6, DATA("h"), NULL, 0},
    {"the empty packet in the header's room", 4, DATA(""),
     BYTES("\x12\x34\x00\x00")},
    {"the empty packet without room", 3, DATA(""), NULL, 0},
};

static int run_body_case(const body_case_t *c, apr_pool_t *pool)
{
    char *buf = malloc(c->cap + 1);
    apr_size_t len = 99;
    relay_status_t rv;
    int ok;

    memset(buf, 'X', c->cap + 1);
    rv = relay_ajp_body_write(buf, c->cap, c->data, c->n, &len);
    if (c->bytes == NULL) {
        ok = rv == RELAY_ETOOLARGE && len == 99 && buf[c->cap] == 'X';
    }
    else {
        ok = rv == RELAY_OK && len == c->nbytes &&
             memcmp(buf, c->bytes, len) == 0 && buf[c->cap] == 'X';
        if (!ok) {
            relay_test_diag("wrote %s", relay_test_quote(pool, buf, len));
        }
    }
    free(buf);
    return ok;
}

/* The most a packet of `cap` takes is cap - 6 bytes; data already in
 * place after the 6 header bytes stays there. */
static int run_body_largest(apr_pool_t *pool, apr_size_t cap, apr_size_t most)
{
    char *buf = apr_palloc(pool, cap + 16), *data = apr_palloc(pool, most + 1);
    apr_size_t len, i;

    for (i = 0; i <= most; i++) {
        data[i] = (char)(i * 7);
    }
    if (relay_ajp_body_write(buf, cap, data, most + 1, &len) !=
            RELAY_ETOOLARGE ||
        relay_ajp_body_write(buf, cap, data, most, &len) != RELAY_OK ||
        len != most + 6 || memcmp(buf + 6, data, most) != 0 ||
        (unsigned char)buf[2] != ((most + 2) >> 8) ||
        (unsigned char)buf[3] != ((most + 2) & 0xff) ||
        (unsigned char)buf[4] != (most >> 8) ||
        (unsigned char)buf[5] != (most & 0xff)) {
        return 0;
    }
    /* In place: the data read straight into the packet. */
    memcpy(buf + RELAY_AJP_BODY_HEADER_LEN, data, most);
    return relay_ajp_body_write(buf, cap, buf + RELAY_AJP_BODY_HEADER_LEN, most,
                                &len) == RELAY_OK &&
           len == most + 6 && memcmp(buf + 6, data, most) == 0;
}

static int run_cping(apr_pool_t *pool)
{
    char out[RELAY_AJP_CPING_LEN + 1];

    out[RELAY_AJP_CPING_LEN] = 'X';
    relay_ajp_cping_write(out);
    return memcmp(out, "\x12\x34\x00\x01\x0a", 5) == 0 && out[5] == 'X';
}

/* ---- Reader ----------------------------------------------------------- */

/* Container packets used by the reader cases, each its own literal so
 * that no hex escape runs into the text after it. */
#define CPONG "AB\x00\x01\x09"
#define END_REUSE "AB\x00\x02\x05\x01"
#define END_CLOSE "AB\x00\x02\x05\x00"
#define GET_8186 "AB\x00\x03\x06\x1f\xfa"
#define HELLO                                                                  \
    "AB\x00\x09\x03\x00\x05"                                                   \
    "hello\0"
/* 200 OK, Content-Type and Content-Length coded, X-Powered-By a string. */
#define HEADERS_200                                                            \
    "AB\x00\x31\x04\x00\xc8\x00\x02"                                           \
    "OK\0"                                                                     \
    "\x00\x03\xa0\x01\x00\x09"                                                 \
    "text/html\0"                                                              \
    "\xa0\x03\x00\x01"                                                         \
    "5\0"                                                                      \
    "\x00\x0c"                                                                 \
    "X-Powered-By\0"                                                           \
    "\x00\x01"                                                                 \
    "t\0"
#define HEADERS_200_TR                                                         \
    "|H200 OK|Content-Type: text/html|Content-Length: 5|X-Powered-By: t"

typedef struct read_case_t {
    const char *desc;
    const char *in;
    apr_size_t len;
    apr_size_t max_packet; /* 0: the default */
    relay_status_t expect;
    /*
     * For RELAY_OK and RELAY_AGAIN, what was reported: "|H<status>
     * <reason>" and "|<name>: <value>" per header for SEND_HEADERS,
     * "|B<chunk_len>:" before the bytes of a chunk, "|G<requested>",
     * "|E<reuse>" and "|C" for CPONG_REPLY.
     */
    const char *transcript;
    apr_size_t tlen;
    int between;     /* RELAY_AGAIN: the reader stands between packets */
    apr_size_t used; /* RELAY_OK: where the END_RESPONSE ends (0: len) */
} read_case_t;

static const read_case_t read_cases[] = {
    /* Complete responses. */
    {"headers, a chunk, END_RESPONSE", IN(HEADERS_200 HELLO END_REUSE),
     .expect = RELAY_OK, TR(HEADERS_200_TR "|B5:hello|E1")},
    {"END_RESPONSE alone, reuse", IN(END_REUSE), .expect = RELAY_OK, TR("|E1")},
    {"END_RESPONSE, close", IN(END_CLOSE), .expect = RELAY_OK, TR("|E0")},
    {"a reuse byte of 2 is not reuse", IN("AB\x00\x02\x05\x02"),
     .expect = RELAY_OK, TR("|E0")},
    {"bytes after END_RESPONSE are not consumed", IN(END_REUSE CPONG),
     .expect = RELAY_OK, TR("|E1"), .used = 6},
    {"bytes after the reuse byte are ignored", IN("AB\x00\x04\x05\x01\xff\xff"),
     .expect = RELAY_OK, TR("|E1")},
    {"GET_BODY_CHUNK before the response",
     IN(GET_8186 HEADERS_200 HELLO END_CLOSE), .expect = RELAY_OK,
     TR("|G8186" HEADERS_200_TR "|B5:hello|E0")},
    {"GET_BODY_CHUNK of 0 and of 65535",
     IN("AB\x00\x03\x06\x00\x00"
        "AB\x00\x03\x06\xff\xff" END_REUSE),
     .expect = RELAY_OK, TR("|G0|G65535|E1")},
    {"GET_BODY_CHUNK with a byte more, ignored",
     IN("AB\x00\x04\x06\x01\x00\x07" END_REUSE), .expect = RELAY_OK,
     TR("|G256|E1")},
    {"an empty chunk asks for a flush",
     IN("AB\x00\x04\x03\x00\x00\x00" END_REUSE), .expect = RELAY_OK,
     TR("|B0:|E1")},
    {"an empty chunk without its trailing byte",
     IN("AB\x00\x03\x03\x00\x00" END_REUSE), .expect = RELAY_OK, TR("|B0:|E1")},
    {"a chunk without its trailing byte",
     IN("AB\x00\x08\x03\x00\x05"
        "hello" END_REUSE),
     .expect = RELAY_OK, TR("|B5:hello|E1")},
    {"bytes after a chunk in its packet are skipped",
     IN("AB\x00\x0b\x03\x00\x05"
        "helloxyz" END_REUSE),
     .expect = RELAY_OK, TR("|B5:hello|E1")},
    {"a chunk of NULs, high bytes and packet headers",
     IN("AB\x00\x0e\x03\x00\x0a\0\xff" END_REUSE "\x00\x00"
        "\0" END_CLOSE),
     .expect = RELAY_OK, TR("|B10:\0\xff" END_REUSE "\x00\x00|E0")},
    {"two chunks", IN(HELLO HELLO END_REUSE), .expect = RELAY_OK,
     TR("|B5:hello|B5:hello|E1")},
    {"every coded response header",
     IN("AB\x00\x4a\x04\x00\xc8\x00\x00\x00\x00\x0b"
        "\xa0\x01\x00\x01"
        "a\0"
        "\xa0\x02\x00\x01"
        "b\0"
        "\xa0\x03\x00\x01"
        "c\0"
        "\xa0\x04\x00\x01"
        "d\0"
        "\xa0\x05\x00\x01"
        "e\0"
        "\xa0\x06\x00\x01"
        "f\0"
        "\xa0\x07\x00\x01"
        "g\0"
        "\xa0\x08\x00\x01"
        "h\0"
        "\xa0\x09\x00\x01"
        "i\0"
        "\xa0\x0a\x00\x01"
        "j\0"
        "\xa0\x0b\x00\x01"
        "k\0" END_REUSE),
     .expect = RELAY_OK,
     TR("|H200 |Content-Type: a|Content-Language: b|Content-Length: c"
        "|Date: d|Last-Modified: e|Location: f|Set-Cookie: g"
        "|Set-Cookie2: h|Servlet-Engine: i|Status: j|WWW-Authenticate: k"
        "|E1")},
    {"repeated headers are all kept",
     IN("AB\x00\x2d\x04\x01\x2e\x00\x05"
        "Found\0"
        "\x00\x03\xa0\x07\x00\x03"
        "a=1\0"
        "\xa0\x07\x00\x03"
        "b=2\0"
        "\x00\x0a"
        "set-cookie\0"
        "\x00\x00\0" END_REUSE),
     .expect = RELAY_OK,
     TR("|H302 Found|Set-Cookie: a=1|Set-Cookie: b=2|set-cookie: |E1")},
    {"no headers, empty reason",
     IN("AB\x00\x08\x04\x01\xf4\x00\x00\0\x00\x00" END_CLOSE),
     .expect = RELAY_OK, TR("|H500 |E0")},
    {"a null reason", IN("AB\x00\x07\x04\x00\xc8\xff\xff\x00\x00" END_CLOSE),
     .expect = RELAY_OK, TR("|H200 (null)|E0")},
    {"statuses 0 and 65535 as sent",
     IN("AB\x00\x08\x04\x00\x00\x00\x00\0\x00\x00"
        "AB\x00\x08\x04\xff\xff\x00\x00\0\x00\x00" END_CLOSE),
     .expect = RELAY_OK, TR("|H0 |H65535 |E0")},
    {"a value of high bytes and spaces",
     IN("AB\x00\x15\x04\x00\xc8\x00\x00\0\x00\x01\x00\x01"
        "X\0"
        "\x00\x06"
        " \xe9t\xc3\xa9 \0" END_CLOSE),
     .expect = RELAY_OK, TR("|H200 |X:  \xe9t\xc3\xa9 |E0")},
    {"a packet of exactly max_packet",
     IN("AB\x00\x0c\x03\x00\x08"
        "12345678\0" END_REUSE),
     .max_packet = 16, .expect = RELAY_OK, TR("|B8:12345678|E1")},

    /* More input needed; between packets or not. */
    {"nothing yet", IN(""), .expect = RELAY_AGAIN, TR(""), .between = 1},
    {"a CPONG", IN(CPONG), .expect = RELAY_AGAIN, TR("|C"), .between = 1},
    {"a CPONG with a byte more, ignored", IN("AB\x00\x02\x09\x00"),
     .expect = RELAY_AGAIN, TR("|C"), .between = 1},
    {"whole packets, no END_RESPONSE", IN(HEADERS_200 HELLO GET_8186),
     .expect = RELAY_AGAIN, TR(HEADERS_200_TR "|B5:hello|G8186"), .between = 1},
    {"the first magic byte", IN("A"), .expect = RELAY_AGAIN, TR("")},
    {"three header bytes", IN("AB\x00"), .expect = RELAY_AGAIN, TR("")},
    {"a header without its payload", IN("AB\x00\x09"), .expect = RELAY_AGAIN,
     TR("")},
    {"inside SEND_HEADERS", IN("AB\x00\x31\x04\x00\xc8\x00\x02OK"),
     .expect = RELAY_AGAIN, TR("")},
    {"inside a chunk's length", IN("AB\x00\x09\x03\x00"), .expect = RELAY_AGAIN,
     TR("")},
    {"inside a chunk", IN("AB\x00\x09\x03\x00\x05hel"), .expect = RELAY_AGAIN,
     TR("|B5:hel")},
    {"before a chunk's trailing byte",
     IN("AB\x00\x09\x03\x00\x05"
        "hello"),
     .expect = RELAY_AGAIN, TR("|B5:hello")},
    {"the largest chunk of a default packet, its length read",
     IN("AB\x1f\xfc\x03\x1f\xf9"), .expect = RELAY_AGAIN, TR("")},
    {"a packet of 64 KiB, its header read", IN("AB\xff\xfc"),
     .max_packet = 65536, .expect = RELAY_AGAIN, TR("")},

    /* Errors. */
    {"HTTP instead of AJP", IN("HTTP/1.1 200 OK\r\n"),
     .expect = RELAY_EAJPMAGIC},
    {"the server's magic", IN("\x12\x34\x00\x01\x09"),
     .expect = RELAY_EAJPMAGIC},
    {"A then C", IN("AC\x00\x01\x09"), .expect = RELAY_EAJPMAGIC},
    {"lowercase ab", IN("ab\x00\x01\x09"), .expect = RELAY_EAJPMAGIC},
    {"a bad magic after a good packet", IN(CPONG "BA"),
     .expect = RELAY_EAJPMAGIC},
    {"a bad magic judged on its first byte", IN("X"),
     .expect = RELAY_EAJPMAGIC},
    {"a packet one byte over 8 KiB", IN("AB\x1f\xfd"),
     .expect = RELAY_EAJPSIZE},
    {"a packet one byte over max_packet",
     IN("AB\x00\x0d\x03\x00\x09"
        "123456789\0"),
     .max_packet = 16, .expect = RELAY_EAJPSIZE},
    {"a length of 65535 over 64 KiB", IN("AB\xff\xff"), .max_packet = 65536,
     .expect = RELAY_EAJPSIZE},
    {"a max_packet over 64 KiB is 64 KiB", IN("AB\xff\xfd"),
     .max_packet = 1000000, .expect = RELAY_EAJPSIZE},
    {"an empty packet", IN("AB\x00\x00"), .expect = RELAY_EAJPOVERRUN},
    {"prefix code 0", IN("AB\x00\x01\x00"), .expect = RELAY_EAJPCODE},
    {"prefix code 1", IN("AB\x00\x01\x01"), .expect = RELAY_EAJPCODE},
    {"FORWARD_REQUEST from the container", IN("AB\x00\x02\x02\x02"),
     .expect = RELAY_EAJPCODE},
    {"SHUTDOWN from the container", IN("AB\x00\x01\x07"),
     .expect = RELAY_EAJPCODE},
    {"PING from the container", IN("AB\x00\x01\x08"), .expect = RELAY_EAJPCODE},
    {"CPING from the container", IN("AB\x00\x01\x0a"),
     .expect = RELAY_EAJPCODE},
    {"prefix code 11", IN("AB\x00\x01\x0b"), .expect = RELAY_EAJPCODE},
    {"prefix code 255", IN("AB\x00\x01\xff"), .expect = RELAY_EAJPCODE},
    {"a prefix code judged before the payload arrives", IN("AB\x01\x00\x07"),
     .expect = RELAY_EAJPCODE},
    {"SEND_HEADERS of the prefix code alone", IN("AB\x00\x01\x04"),
     .expect = RELAY_EAJPOVERRUN},
    {"SEND_HEADERS with half a status", IN("AB\x00\x02\x04\x00"),
     .expect = RELAY_EAJPOVERRUN},
    {"a reason length past the packet", IN("AB\x00\x07\x04\x00\xc8\x00\x05OK"),
     .expect = RELAY_EAJPOVERRUN},
    {"a reason whose NUL is past the packet",
     IN("AB\x00\x07\x04\x00\xc8\x00\x02OK"), .expect = RELAY_EAJPOVERRUN},
    {"half a header count", IN("AB\x00\x07\x04\x00\xc8\x00\x00\0\x00"),
     .expect = RELAY_EAJPOVERRUN},
    {"half a header name", IN("AB\x00\x09\x04\x00\xc8\x00\x00\0\x00\x01\xa0"),
     .expect = RELAY_EAJPOVERRUN},
    {"a header name past the packet",
     IN("AB\x00\x0d\x04\x00\xc8\x00\x00\0\x00\x01\x00\x09X-A"),
     .expect = RELAY_EAJPOVERRUN},
    {"a header value past the packet",
     IN("AB\x00\x0f\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x01\x00\x09"
        "a/b"),
     .expect = RELAY_EAJPOVERRUN},
    {"a header without its value",
     IN("AB\x00\x0a\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x01"),
     .expect = RELAY_EAJPOVERRUN},
    {"a null header name",
     IN("AB\x00\x0e\x04\x00\xc8\x00\x00\0\x00\x01\xff\xff\x00\x01v\0"),
     .expect = RELAY_EAJPOVERRUN},
    {"a null header value",
     IN("AB\x00\x0c\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x01\xff\xff"),
     .expect = RELAY_EAJPOVERRUN},
    {"END_RESPONSE without its reuse byte", IN("AB\x00\x01\x05"),
     .expect = RELAY_EAJPOVERRUN},
    {"GET_BODY_CHUNK with half its length", IN("AB\x00\x02\x06\x01"),
     .expect = RELAY_EAJPOVERRUN},
    {"SEND_BODY_CHUNK without room for its length", IN("AB\x00\x02\x03\x00"),
     .expect = RELAY_EAJPOVERRUN},
    {"a reason not ended by NUL",
     IN("AB\x00\x0a\x04\x00\xc8\x00\x02OKx\x00\x00"), .expect = RELAY_EAJPNUL},
    {"a header name not ended by NUL",
     IN("AB\x00\x12\x04\x00\xc8\x00\x00\0\x00\x01\x00\x03X-Ax\x00\x01v\0"),
     .expect = RELAY_EAJPNUL},
    {"a header value not ended by NUL",
     IN("AB\x00\x0e\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x01\x00\x01vv"),
     .expect = RELAY_EAJPNUL},
    {"header count 2, one header",
     IN("AB\x00\x0e\x04\x00\xc8\x00\x00\0\x00\x02\xa0\x01\x00\x01v\0"),
     .expect = RELAY_EAJPCOUNT},
    {"header count 1, two headers",
     IN("AB\x00\x14\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x01\x00\x01v\0"
        "\xa0\x02\x00\x01w\0"),
     .expect = RELAY_EAJPCOUNT},
    {"header count 0, a byte more",
     IN("AB\x00\x09\x04\x00\xc8\x00\x00\0\x00\x00\0"),
     .expect = RELAY_EAJPCOUNT},
    {"header count 65535, none there",
     IN("AB\x00\x08\x04\x00\xc8\x00\x00\0\xff\xff"), .expect = RELAY_EAJPCOUNT},
    {"coded header 0xA000",
     IN("AB\x00\x0e\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x00\x00\x01v\0"),
     .expect = RELAY_EAJPCODE},
    {"coded header 0xA00C",
     IN("AB\x00\x0e\x04\x00\xc8\x00\x00\0\x00\x01\xa0\x0c\x00\x01v\0"),
     .expect = RELAY_EAJPCODE},
    {"coded header 0xA0FF",
     IN("AB\x00\x0e\x04\x00\xc8\x00\x00\0\x00\x01\xa0\xff\x00\x01v\0"),
     .expect = RELAY_EAJPCODE},
    {"a chunk longer than its packet",
     IN("AB\x00\x05\x03\x00\x03"
        "ab"),
     .expect = RELAY_EAJPCHUNK},
    {"a chunk length judged before the chunk arrives",
     IN("AB\x00\x05\x03\x00\x03"), .expect = RELAY_EAJPCHUNK},
    {"a chunk of 65535 in a packet of 3", IN("AB\x00\x03\x03\xff\xff"),
     .expect = RELAY_EAJPCHUNK},
    {"an error after good packets",
     IN(HEADERS_200 HELLO "AB\x00\x05\x03\x00\x03"), .expect = RELAY_EAJPCHUNK},
};

typedef struct read_result_t {
    relay_status_t rv;
    char text[1024];
    apr_size_t text_len;
    apr_size_t used;
    apr_size_t chunk_seen; /* bytes of the current chunk reported */
    const char *broken;    /* an inconsistency in what the reader reported */
} read_result_t;

static void read_result_init(read_result_t *r)
{
    r->rv = RELAY_AGAIN;
    r->text_len = 0;
    r->used = 0;
    r->chunk_seen = 0;
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

static void text_str(read_result_t *r, const char *s)
{
    text_add(r, s, strlen(s));
}

/* Writes one event into the transcript. */
static void note_event(read_result_t *r, const relay_ajp_event_t *ev,
                       const char *in, apr_pool_t *pool)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    int i;

    switch (ev->kind) {
    case RELAY_AJP_EV_NONE:
        return;
    case RELAY_AJP_EV_HEADERS:
        text_str(r, apr_psprintf(pool, "|H%d %s", ev->status,
                                 ev->reason ? ev->reason : "(null)"));
        arr = apr_table_elts(ev->headers);
        e = (const apr_table_entry_t *)arr->elts;
        for (i = 0; i < arr->nelts; i++) {
            text_str(r, apr_pstrcat(pool, "|", e[i].key, ": ", e[i].val, NULL));
        }
        return;
    case RELAY_AJP_EV_BODY:
        if (r->chunk_seen == 0) {
            text_str(
                r, apr_psprintf(pool, "|B%lu:", (unsigned long)ev->chunk_len));
        }
        text_add(r, in + ev->data_off, ev->data_len);
        r->chunk_seen += ev->data_len;
        if (r->chunk_seen == ev->chunk_len) {
            r->chunk_seen = 0;
        }
        return;
    case RELAY_AJP_EV_GET_BODY:
        text_str(r, apr_psprintf(pool, "|G%lu", (unsigned long)ev->requested));
        return;
    case RELAY_AJP_EV_END:
        text_str(r, apr_psprintf(pool, "|E%d", ev->reuse));
        return;
    case RELAY_AJP_EV_CPONG:
        text_str(r, "|C");
        return;
    }
}

/* Checks what one call reported against the input it was given. */
static const char *check_call(relay_status_t rv, const relay_ajp_event_t *ev,
                              apr_size_t consumed, apr_size_t len)
{
    if (consumed > len) {
        return "consumed more than the input";
    }
    if (ev->kind == RELAY_AJP_EV_BODY &&
        ((ev->data_len == 0) != (ev->chunk_len == 0) ||
         ev->data_len > ev->chunk_len ||
         ev->data_off + ev->data_len > consumed)) {
        return "body run outside what was consumed";
    }
    if (ev->kind != RELAY_AJP_EV_BODY && ev->data_len != 0) {
        return "a run outside a body event";
    }
    if ((ev->kind == RELAY_AJP_EV_HEADERS) != (ev->headers != NULL)) {
        return "a header table outside a headers event, or none in one";
    }
    if (rv == RELAY_AGAIN && consumed == 0 && len > 0) {
        return "no progress";
    }
    if ((rv == RELAY_OK) != (ev->kind == RELAY_AJP_EV_END)) {
        return "RELAY_OK without END_RESPONSE, or the reverse";
    }
    return NULL;
}

/* Feeds one piece, copied to a block of its own size, until it is used up
 * or the reader finishes or fails. */
static void read_feed(relay_ajp_reader_t *rd, apr_pool_t *pool, const char *in,
                      apr_size_t len, read_result_t *r)
{
    char *buf = relay_test_dup(in, len);
    apr_size_t off = 0;

    while (r->rv == RELAY_AGAIN && off < len && r->broken == NULL) {
        relay_ajp_event_t ev;
        apr_size_t consumed = 99;
        relay_status_t rv;

        rv = relay_ajp_read(rd, pool, buf + off, len - off, &consumed, &ev);
        r->rv = rv;
        if (rv < 0) {
            break;
        }
        r->broken = check_call(rv, &ev, consumed, len - off);
        if (r->broken == NULL) {
            note_event(r, &ev, buf + off, pool);
            r->used += consumed;
            off += consumed;
        }
    }
    free(buf);
}

static int read_check(const read_case_t *c, apr_pool_t *pool,
                      const relay_ajp_reader_t *rd, const read_result_t *r,
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
        if (relay_ajp_reader_between_packets(rd)) {
            relay_test_diag("%s: a failed reader is between packets", how);
            return 0;
        }
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
        relay_ajp_reader_between_packets(rd) != c->between) {
        relay_test_diag("%s: between packets is %d", how,
                        relay_ajp_reader_between_packets(rd));
        return 0;
    }
    return 1;
}

/* The reader's buffer: a heap block of exactly the packet size, so that
 * AddressSanitizer sees a write past it. */
static char *read_start(const read_case_t *c, relay_ajp_reader_t *rd,
                        read_result_t *r)
{
    apr_size_t max = c->max_packet ? c->max_packet : RELAY_AJP_PACKET_DEFAULT;
    char *buf;

    if (max > RELAY_AJP_PACKET_MAX) {
        max = RELAY_AJP_PACKET_MAX;
    }
    buf = malloc(max);
    relay_ajp_reader_init(rd, buf, c->max_packet);
    read_result_init(r);
    return buf;
}

/* A finished or failed reader stays that way. */
static int read_sticky(const read_case_t *c, relay_ajp_reader_t *rd,
                       apr_pool_t *pool)
{
    relay_ajp_event_t ev;
    apr_size_t consumed;

    if (relay_ajp_reader_done(rd) != (c->expect == RELAY_OK)) {
        return 0;
    }
    if (c->expect == RELAY_AGAIN) {
        return 1;
    }
    return relay_ajp_read(rd, pool, END_REUSE, 6, &consumed, &ev) ==
               c->expect &&
           consumed == 0 && ev.kind == RELAY_AJP_EV_NONE &&
           relay_ajp_reader_between_packets(rd) == (c->expect == RELAY_OK);
}

static int run_read_case(const read_case_t *c, apr_pool_t *pool)
{
    relay_ajp_reader_t rd;
    read_result_t r;
    apr_size_t k;
    char *buf;
    int ok;

    buf = read_start(c, &rd, &r);
    read_feed(&rd, pool, c->in, c->len, &r);
    ok = read_check(c, pool, &rd, &r, "whole");
    if (ok && !read_sticky(c, &rd, pool)) {
        relay_test_diag("whole: state after the end is not kept");
        ok = 0;
    }
    free(buf);

    for (k = 0; ok && k <= c->len; k++) {
        char how[64];

        buf = read_start(c, &rd, &r);
        read_feed(&rd, pool, c->in, k, &r);
        read_feed(&rd, pool, c->in + k, c->len - k, &r);
        apr_snprintf(how, sizeof(how), "split at %lu", (unsigned long)k);
        ok = read_check(c, pool, &rd, &r, how);
        free(buf);
    }

    if (ok) {
        buf = read_start(c, &rd, &r);
        for (k = 0; k < c->len; k++) {
            read_feed(&rd, pool, c->in + k, 1, &r);
        }
        ok = read_check(c, pool, &rd, &r, "byte by byte");
        free(buf);
    }
    return ok;
}

/* Reads in[0, len) in pieces of `piece` bytes; returns the status and
 * fills *ev with the last event of interest. */
static relay_status_t read_pieces(relay_ajp_reader_t *rd, apr_pool_t *pool,
                                  const char *in, apr_size_t len,
                                  apr_size_t piece, relay_ajp_event_t *headers,
                                  apr_size_t *body, int *in_order)
{
    apr_size_t off = 0, consumed;
    relay_status_t rv = RELAY_AGAIN;
    relay_ajp_event_t ev;

    *body = 0;
    *in_order = 1;
    while (rv == RELAY_AGAIN && off < len) {
        apr_size_t n = len - off < piece ? len - off : piece;
        char *block = relay_test_dup(in + off, n);

        rv = relay_ajp_read(rd, pool, block, n, &consumed, &ev);
        if (ev.kind == RELAY_AJP_EV_HEADERS) {
            *headers = ev;
        }
        if (ev.kind == RELAY_AJP_EV_BODY) {
            apr_size_t i;

            for (i = 0; i < ev.data_len; i++) {
                if (block[ev.data_off + i] != (char)((*body + i) * 7)) {
                    *in_order = 0;
                }
            }
            *body += ev.data_len;
        }
        free(block);
        off += consumed;
    }
    return rv;
}

/*
 * A SEND_HEADERS of exactly max_packet bytes (one header whose value
 * fills it), written with the packet writer and given the container's
 * magic, then a SEND_BODY_CHUNK of the largest chunk and END_RESPONSE:
 * read whole, in 4 KiB pieces and byte by byte. The same SEND_HEADERS
 * with its length one more is refused from its header alone.
 */
static int run_largest_packets(apr_pool_t *pool, apr_size_t max)
{
    apr_size_t vlen = max - 25, chunk = max - 8, len, body, i, off = 0;
    char *value = apr_palloc(pool, vlen), *in, *rbuf = malloc(max);
    relay_ajp_packet_t pk;
    relay_ajp_reader_t rd;
    relay_ajp_event_t ev;
    static const apr_size_t pieces[] = {(apr_size_t)-1, 4096, 1};
    int p, ok = 1, in_order;

    len = max + max + 6;
    in = apr_palloc(pool, len);
    memset(value, 'v', vlen);
    relay_ajp_packet_begin(&pk, in, max);
    relay_ajp_put_byte(&pk, RELAY_AJP_SEND_HEADERS);
    relay_ajp_put_int(&pk, 200);
    relay_ajp_put_string(&pk, "OK", 2);
    relay_ajp_put_int(&pk, 1);
    relay_ajp_put_string(&pk, "X-Big", 5);
    if (relay_ajp_put_string(&pk, value, vlen) != RELAY_OK ||
        relay_ajp_put_byte(&pk, 0) != RELAY_ETOOLARGE ||
        relay_ajp_packet_finish(&pk) != max) {
        free(rbuf);
        return 0;
    }
    off = max;
    in[off++] = 'A';
    in[off++] = 'B';
    in[off++] = (char)((chunk + 4) >> 8);
    in[off++] = (char)((chunk + 4) & 0xff);
    in[off++] = RELAY_AJP_SEND_BODY_CHUNK;
    in[off++] = (char)(chunk >> 8);
    in[off++] = (char)(chunk & 0xff);
    for (i = 0; i < chunk; i++) {
        in[off++] = (char)(i * 7);
    }
    in[off++] = '\0';
    memcpy(in + off, END_REUSE, 6);
    in[0] = 'A';
    in[1] = 'B';

    for (p = 0; ok && p < RELAY_TEST_COUNT(pieces); p++) {
        memset(&ev, 0, sizeof(ev));
        relay_ajp_reader_init(&rd, rbuf, max);
        ok = read_pieces(&rd, pool, in, len, pieces[p], &ev, &body,
                         &in_order) == RELAY_OK &&
             ev.kind == RELAY_AJP_EV_HEADERS && ev.status == 200 &&
             apr_table_get(ev.headers, "X-Big") != NULL &&
             strlen(apr_table_get(ev.headers, "X-Big")) == vlen &&
             body == chunk && in_order;
    }

    /* One byte more than max_packet. */
    in[2] = (char)((max - 3) >> 8);
    in[3] = (char)((max - 3) & 0xff);
    relay_ajp_reader_init(&rd, rbuf, max);
    ok = ok && relay_ajp_read(&rd, pool, in, 4, &off, &ev) == RELAY_EAJPSIZE;
    free(rbuf);
    return ok;
}

/* The reader allocates from the pool only for a SEND_HEADERS: every
 * other packet reads with no pool at all. */
static int run_no_pool(apr_pool_t *pool)
{
    static const char in[] =
        GET_8186 HELLO CPONG "AB\x00\x04\x03\x00\x00\x00" END_REUSE;
    char *buf = malloc(RELAY_AJP_PACKET_DEFAULT);
    relay_ajp_reader_t rd;
    relay_ajp_event_t ev;
    apr_size_t off = 0, consumed;
    relay_status_t rv = RELAY_AGAIN;

    relay_ajp_reader_init(&rd, buf, 0);
    while (rv == RELAY_AGAIN && off < sizeof(in) - 1) {
        rv = relay_ajp_read(&rd, NULL, in + off, 1, &consumed, &ev);
        off += consumed;
    }
    free(buf);
    return rv == RELAY_OK && off == sizeof(in) - 1;
}

/* A SEND_HEADERS where no head may come (a CPing exchange, no pool): an
 * error, never a crash. Seen when a pooled connection held bytes of an
 * earlier exchange. */
static int run_head_without_pool(apr_pool_t *pool)
{
    static const char in[] = "AB\x00\x0a\x04\x00\xc8\x00\x02OK\x00\x00\x00";
    char *buf = malloc(RELAY_AJP_PACKET_DEFAULT);
    relay_ajp_reader_t rd;
    relay_ajp_event_t ev;
    apr_size_t off = 0, consumed;
    relay_status_t rv = RELAY_AGAIN;

    (void)pool;
    relay_ajp_reader_init(&rd, buf, 0);
    while (rv == RELAY_AGAIN && off < sizeof(in) - 1) {
        rv = relay_ajp_read(&rd, NULL, in + off, sizeof(in) - 1 - off,
                            &consumed, &ev);
        off += consumed;
    }
    free(buf);
    return rv == RELAY_EAJPCODE;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    RELAY_TEST_TABLE(method_cases, run_method_case, "method", pool);
    RELAY_TEST_TABLE(req_header_cases, run_req_header_case, "request header",
                     pool);
    RELAY_TEST_TABLE(res_header_cases, run_res_header_case, "response header",
                     pool);
    RELAY_TEST_TABLE(size_cases, run_size_case, "packet size", pool);
    RELAY_TEST_TABLE(put_cases, run_put_case, "put", pool);
    relay_test_ok(run_longest_string(pool),
                  "put: the longest string a 64 KiB packet holds");
    RELAY_TEST_TABLE(forward_cases, run_forward_case, "forward request", pool);
    relay_test_ok(run_forward_too_large(pool),
                  "forward request: a head over the packet size is refused");
    RELAY_TEST_TABLE(body_cases, run_body_case, "body", pool);
    relay_test_ok(run_body_largest(pool, RELAY_AJP_PACKET_DEFAULT, 8186),
                  "body: 8186 bytes in a packet of 8 KiB");
    relay_test_ok(run_body_largest(pool, 100000, 65530),
                  "body: 65530 bytes in a packet of 64 KiB");
    relay_test_ok(run_cping(pool), "cping: 12 34 00 01 0A");
    RELAY_TEST_TABLE(read_cases, run_read_case, "read", pool);
    relay_test_ok(run_largest_packets(pool, RELAY_AJP_PACKET_DEFAULT),
                  "read: packets of exactly 8 KiB");
    relay_test_ok(run_largest_packets(pool, RELAY_AJP_PACKET_MAX),
                  "read: packets of exactly 64 KiB");
    relay_test_ok(run_no_pool(pool),
                  "read: no pool needed but for SEND_HEADERS");
    relay_test_ok(run_head_without_pool(pool),
                  "read: a SEND_HEADERS with no pool is an error");
    return relay_test_done();
}
