/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_ajp_reader.c: the packets a hostile servlet
 * container sends, read whole and again in two pieces split where the
 * fuzzer says, each piece in a heap block of its exact size, with the
 * reader's packet buffer in one too.
 *
 * Input: byte 0 picks max_packet (0: the default 8 KiB, 1: 64 KiB, else
 * that value plus 4, so that the size limit is easy to reach), bytes 1 and
 * 2 the split position (15 bits, big-endian, modulo the length); the rest
 * is the packet stream. With the top bit of byte 1 set, the stream is
 * reframed first (reframe()): every packet gets the container's magic and
 * a length that fits what follows and the packet size, and a body chunk a
 * chunk length that fits its packet, so that mutations inside packets are
 * read as packets instead of ending the stream at a broken frame. Inputs
 * without that bit are read as they came, so the frame checks themselves
 * stay fuzzed.
 *
 * Besides crashes, the driver checks that every call makes progress and
 * consumes no more than its input, that body runs lie inside what was
 * consumed and within their chunk, that what is reported (headers, body,
 * GET_BODY_CHUNK, END_RESPONSE, CPONG, the final status and where the
 * reader stands) does not depend on the split, that decoded headers
 * written back with the packet writer read back the same, that a
 * FORWARD_REQUEST carrying them and a request body packet carrying each
 * body run are framed right and refused one byte short of their size,
 * and that the code lookups answer from their tables.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_ajp.h"
#include "relay_fuzz.h"

typedef struct run_t {
    relay_ajp_reader_t rd;
    relay_status_t rv;
    apr_size_t consumed;
    char *text; /* transcript of the events, body included */
    apr_size_t text_len;
    apr_size_t text_cap;
    apr_size_t chunk_seen; /* bytes of the current chunk reported */
    int check_writer;      /* write decoded headers back (one run does) */
} run_t;

static const char zeros[RELAY_AJP_PACKET_MAX];

static void text_add(run_t *run, const void *p, apr_size_t n)
{
    relay_fuzz_check(n <= run->text_cap - run->text_len,
                     "transcript within its bound");
    memcpy(run->text + run->text_len, p, n);
    run->text_len += n;
}

static void text_str(run_t *run, const char *s)
{
    text_add(run, s, strlen(s));
}

/* The headers of an event as text: status, reason and fields. */
static const char *headers_text(apr_pool_t *pool, const relay_ajp_event_t *ev)
{
    const apr_array_header_t *arr = apr_table_elts(ev->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out;
    int i;

    out = apr_psprintf(pool, "|H%d %s", ev->status,
                       ev->reason ? ev->reason : "(null)");
    for (i = 0; i < arr->nelts; i++) {
        out = apr_pstrcat(pool, out, "|", e[i].key, ": ", e[i].val, NULL);
    }
    return out;
}

/* The headers written back as a SEND_HEADERS (names all as strings) read
 * back the same, when they fit in 64 KiB. */
static void check_rewrite(apr_pool_t *pool, const relay_ajp_event_t *ev,
                          const char *text)
{
    const apr_array_header_t *arr = apr_table_elts(ev->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    char *buf = relay_fuzz_dup(pool, zeros, RELAY_AJP_PACKET_MAX);
    char *rbuf = relay_fuzz_dup(pool, zeros, RELAY_AJP_PACKET_MAX);
    relay_ajp_packet_t pk;
    relay_ajp_reader_t rd;
    relay_ajp_event_t ev2;
    relay_status_t rv;
    apr_size_t len, used;
    int i;

    relay_ajp_packet_begin(&pk, buf, RELAY_AJP_PACKET_MAX);
    rv = relay_ajp_put_byte(&pk, RELAY_AJP_SEND_HEADERS);
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_int(&pk, (apr_uint16_t)ev->status);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_string(&pk, ev->reason,
                                  ev->reason ? strlen(ev->reason) : 0);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_int(&pk, (apr_uint16_t)arr->nelts);
    }
    for (i = 0; rv == RELAY_OK && i < arr->nelts; i++) {
        rv = relay_ajp_put_string(&pk, e[i].key, strlen(e[i].key));
        if (rv == RELAY_OK) {
            rv = relay_ajp_put_string(&pk, e[i].val, strlen(e[i].val));
        }
    }
    if (rv != RELAY_OK) {
        relay_fuzz_check(rv == RELAY_ETOOLARGE, "a refused put is too large");
        return;
    }
    len = relay_ajp_packet_finish(&pk);
    buf[0] = RELAY_AJP_MAGIC_CONTAINER_0;
    buf[1] = RELAY_AJP_MAGIC_CONTAINER_1;
    relay_ajp_reader_init(&rd, rbuf, RELAY_AJP_PACKET_MAX);
    rv = relay_ajp_read(&rd, pool, buf, len, &used, &ev2);
    relay_fuzz_check(rv == RELAY_AGAIN && used == len &&
                         ev2.kind == RELAY_AJP_EV_HEADERS &&
                         strcmp(headers_text(pool, &ev2), text) == 0,
                     "headers written back read the same");
}

/* A FORWARD_REQUEST with the decoded headers as request headers: its
 * length field is right, it ends with are_done, and a byte less of room
 * is refused. */
static void check_forward(apr_pool_t *pool, const relay_ajp_event_t *ev)
{
    const apr_array_header_t *arr = apr_table_elts(ev->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    relay_ajp_header_t *h = apr_palloc(pool, sizeof(*h) * (arr->nelts + 1));
    relay_ajp_attribute_t a[2] = {
        {RELAY_AJP_A_REQ_ATTRIBUTE, "reason", ev->reason},
        {RELAY_AJP_A_STORED_METHOD, NULL, "X"}};
    relay_ajp_request_t req = {
        RELAY_AJP_M_STORED,       "HTTP/1.1", "/", "::1",      NULL, ev->reason,
        (apr_uint16_t)ev->status, 1,          h,   arr->nelts, a,    2};
    char *buf = relay_fuzz_dup(pool, zeros, RELAY_AJP_PACKET_MAX);
    apr_size_t len, len2;
    relay_status_t rv;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        h[i].name = e[i].key;
        h[i].value = e[i].val;
    }
    rv = relay_ajp_forward_request_write(buf, RELAY_AJP_PACKET_MAX, &req, &len);
    if (rv != RELAY_OK) {
        relay_fuzz_check(rv == RELAY_ETOOLARGE, "a refused request is large");
        return;
    }
    relay_fuzz_check(len > RELAY_AJP_HEADER_LEN && len <= RELAY_AJP_PACKET_MAX,
                     "request within the packet");
    relay_fuzz_check(
        (unsigned char)buf[0] == 0x12 && (unsigned char)buf[1] == 0x34 &&
            (((apr_size_t)(unsigned char)buf[2] << 8) |
             (unsigned char)buf[3]) == len - RELAY_AJP_HEADER_LEN &&
            buf[4] == RELAY_AJP_FORWARD_REQUEST &&
            (unsigned char)buf[len - 1] == RELAY_AJP_A_ARE_DONE,
        "request framing");
    relay_fuzz_check(relay_ajp_forward_request_write(buf, len - 1, &req,
                                                     &len2) == RELAY_ETOOLARGE,
                     "a byte short is refused");
}

/* A body run written back as a request body packet is framed right; an
 * empty one gives the empty packet. */
static void check_body(apr_pool_t *pool, const char *p, apr_size_t n)
{
    char *buf = relay_fuzz_dup(pool, zeros, n + RELAY_AJP_BODY_HEADER_LEN);
    apr_size_t len, want = n ? n + RELAY_AJP_BODY_HEADER_LEN : 4;

    relay_fuzz_check(relay_ajp_body_write(buf, n + RELAY_AJP_BODY_HEADER_LEN, p,
                                          n, &len) == RELAY_OK &&
                         len == want &&
                         (((apr_size_t)(unsigned char)buf[2] << 8) |
                          (unsigned char)buf[3]) == len - 4 &&
                         (n == 0 || memcmp(buf + 6, p, n) == 0),
                     "body packet framing");
    relay_fuzz_check(n == 0 || relay_ajp_body_write(buf, len - 1, p, n, &len) ==
                                   RELAY_ETOOLARGE,
                     "a body packet a byte short is refused");
}

/* The code lookups, run on the names a container sent, give codes from
 * their tables or none. */
static void check_codes(const relay_ajp_event_t *ev)
{
    const apr_array_header_t *arr = apr_table_elts(ev->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i, m;

    for (i = 0; i < arr->nelts; i++) {
        unsigned code = relay_ajp_request_header_code(e[i].key);

        relay_fuzz_check(code == 0 || (code >= RELAY_AJP_REQ_ACCEPT &&
                                       code <= RELAY_AJP_REQ_USER_AGENT),
                         "request header code in the table");
    }
    if (ev->reason != NULL) {
        m = relay_ajp_method_code(ev->reason);
        relay_fuzz_check(m >= 0 && m <= RELAY_AJP_M_MKACTIVITY,
                         "method code in the table");
    }
}

static void note_event(apr_pool_t *pool, run_t *run, const char *in,
                       const relay_ajp_event_t *ev)
{
    const char *text;

    switch (ev->kind) {
    case RELAY_AJP_EV_NONE:
        break;
    case RELAY_AJP_EV_HEADERS:
        text = headers_text(pool, ev);
        text_str(run, text);
        if (run->check_writer) {
            check_rewrite(pool, ev, text);
            check_forward(pool, ev);
            check_codes(ev);
        }
        break;
    case RELAY_AJP_EV_BODY:
        if (run->chunk_seen == 0) {
            text_str(run, apr_psprintf(pool,
                                       "|B%lu:", (unsigned long)ev->chunk_len));
        }
        text_add(run, in + ev->data_off, ev->data_len);
        if (run->check_writer) {
            check_body(pool, in + ev->data_off, ev->data_len);
        }
        run->chunk_seen += ev->data_len;
        if (run->chunk_seen == ev->chunk_len) {
            run->chunk_seen = 0;
        }
        break;
    case RELAY_AJP_EV_GET_BODY:
        text_str(run,
                 apr_psprintf(pool, "|G%lu", (unsigned long)ev->requested));
        break;
    case RELAY_AJP_EV_END:
        text_str(run, apr_psprintf(pool, "|E%d", ev->reuse));
        break;
    case RELAY_AJP_EV_CPONG:
        text_str(run, "|C");
        break;
    }
}

/* Feeds one piece; returns 0 once the reader has stopped asking for more. */
static int feed(apr_pool_t *pool, run_t *run, const char *in, apr_size_t len)
{
    apr_size_t pos = 0;

    while (pos < len) {
        relay_ajp_event_t ev;
        apr_size_t used;

        run->rv =
            relay_ajp_read(&run->rd, pool, in + pos, len - pos, &used, &ev);
        if (run->rv < 0) {
            relay_fuzz_check(!relay_ajp_reader_between_packets(&run->rd),
                             "a failed reader is not between packets");
            return 0;
        }
        relay_fuzz_check(used <= len - pos, "consumed within the input");
        relay_fuzz_check(run->rv != RELAY_AGAIN || used > 0, "progress");
        relay_fuzz_check(ev.kind != RELAY_AJP_EV_BODY ||
                             ((ev.data_len == 0) == (ev.chunk_len == 0) &&
                              ev.data_len <= ev.chunk_len &&
                              ev.data_off + ev.data_len <= used),
                         "body run within consumed and its chunk");
        relay_fuzz_check(ev.kind == RELAY_AJP_EV_BODY || ev.data_len == 0,
                         "a run only in a body event");
        relay_fuzz_check((ev.kind == RELAY_AJP_EV_HEADERS) ==
                             (ev.headers != NULL),
                         "a table only in a headers event");
        relay_fuzz_check((run->rv == RELAY_OK) == (ev.kind == RELAY_AJP_EV_END),
                         "RELAY_OK comes with END_RESPONSE");
        note_event(pool, run, in + pos, &ev);
        pos += used;
        run->consumed += used;
        if (run->rv == RELAY_OK) {
            relay_fuzz_check(relay_ajp_reader_done(&run->rd), "done");
            return 0;
        }
    }
    return 1;
}

static void run_init(apr_pool_t *pool, run_t *run, apr_size_t len,
                     apr_size_t max, apr_size_t bufsize, int writer)
{
    memset(run, 0, sizeof(*run));
    relay_ajp_reader_init(&run->rd, relay_fuzz_dup(pool, zeros, bufsize), max);
    run->rv = RELAY_AGAIN;
    run->text_cap = len * 8 + 64;
    run->text = apr_palloc(pool, run->text_cap);
    run->check_writer = writer;
}

static void compare(const run_t *a, const run_t *b)
{
    relay_fuzz_check(a->rv == b->rv, "same status however split");
    relay_fuzz_check(a->text_len == b->text_len &&
                         memcmp(a->text, b->text, a->text_len) == 0,
                     "same events however split");
    relay_fuzz_check(relay_ajp_reader_between_packets(&a->rd) ==
                         relay_ajp_reader_between_packets(&b->rd),
                     "same place however split");
    if (a->rv == RELAY_OK) {
        relay_fuzz_check(a->consumed == b->consumed,
                         "same length however split");
    }
}

/*
 * Puts the frame of every packet of buf[0, len) right, in place: magic,
 * a length within what is left and within max_packet, and for a
 * SEND_BODY_CHUNK a chunk length within its packet.
 */
static void reframe(unsigned char *buf, apr_size_t len, apr_size_t max_packet)
{
    apr_size_t p = 0;

    while (len - p >= RELAY_AJP_HEADER_LEN) {
        apr_size_t room = len - p - RELAY_AJP_HEADER_LEN;
        apr_size_t n = ((apr_size_t)buf[p + 2] << 8) | buf[p + 3];

        if (n > room) {
            n = room;
        }
        if (n > max_packet - RELAY_AJP_HEADER_LEN) {
            n = max_packet - RELAY_AJP_HEADER_LEN;
        }
        buf[p] = RELAY_AJP_MAGIC_CONTAINER_0;
        buf[p + 1] = RELAY_AJP_MAGIC_CONTAINER_1;
        buf[p + 2] = (unsigned char)(n >> 8);
        buf[p + 3] = (unsigned char)n;
        p += RELAY_AJP_HEADER_LEN;
        if (n >= 3 && buf[p] == RELAY_AJP_SEND_BODY_CHUNK) {
            apr_size_t chunk = ((apr_size_t)buf[p + 1] << 8) | buf[p + 2];

            if (chunk > n - 3) {
                chunk = n - 3;
            }
            buf[p + 1] = (unsigned char)(chunk >> 8);
            buf[p + 2] = (unsigned char)chunk;
        }
        p += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    unsigned pick = relay_fuzz_byte(&in);
    apr_size_t max = pick == 0   ? 0
                     : pick == 1 ? RELAY_AJP_PACKET_MAX
                                 : (apr_size_t)pick + 4;
    apr_size_t bufsize = max ? max : RELAY_AJP_PACKET_DEFAULT;
    apr_size_t split = relay_fuzz_byte(&in) << 8;
    int reframed = (split & 0x8000) != 0;
    apr_size_t len;
    char *body;
    run_t whole, parts;

    split = (split & 0x7fff) | relay_fuzz_byte(&in);
    len = in.n;
    split %= len + 1;
    body = relay_fuzz_dup(pool, in.p, len);
    if (reframed) {
        reframe((unsigned char *)body, len, bufsize);
    }

    run_init(pool, &whole, len, max, bufsize, 1);
    feed(pool, &whole, body, len);

    run_init(pool, &parts, len, max, bufsize, 0);
    if (feed(pool, &parts, relay_fuzz_dup(pool, body, split), split)) {
        feed(pool, &parts, relay_fuzz_dup(pool, body + split, len - split),
             len - split);
    }

    compare(&whole, &parts);
    return relay_fuzz_done();
}
