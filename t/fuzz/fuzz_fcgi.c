/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_fcgi.c and relay_cgi_head.c: the records a
 * hostile FastCGI application sends, read whole and again in two pieces
 * split where the fuzzer says, each piece in a heap block of its exact
 * size; the STDOUT content of the request goes through the CGI head parser
 * run by run, as the glue will feed it.
 *
 * Input: byte 0 picks the request id (1..3, so records of other ids come
 * up), byte 1 max_stderr (0: the default), byte 2 the CGI head limits (0:
 * the defaults, else a line of that many bytes, a head of four times as
 * many, 1..16 fields), bytes 3 and 4 the split position (15 bits,
 * big-endian, modulo the length); the rest is the record stream. With
 * the top bit of byte 3 set, the stream is reframed first (reframe()):
 * every record header gets version 1 and content and padding lengths
 * that fit what follows, so that mutations inside records are read as
 * records instead of ending the stream at a broken header. Inputs without
 * that bit are read as they came, so the header checks stay fuzzed.
 *
 * Besides crashes, the driver checks that every call makes progress and
 * consumes no more than its input, that content runs lie inside what was
 * consumed, that what is reported (header fields, content, END_REQUEST,
 * the CGI head and where the body starts) does not depend on the split,
 * and that the pairs of management records encode and read back alike.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_cgi_head.h"
#include "relay/relay_fcgi.h"
#include "relay_fuzz.h"

typedef struct run_t {
    relay_fcgi_reader_t rd;
    relay_status_t rv;
    apr_size_t consumed;
    char *text; /* transcript of the events, content included */
    apr_size_t text_len;
    relay_cgi_head_parser_t *head;
    relay_status_t head_rv;
    apr_size_t stdout_len; /* STDOUT bytes seen */
    apr_size_t body_at;    /* STDOUT offset of the body, once known */
    char *mgmt;            /* content of the current management record */
    apr_size_t mgmt_len;
    int check_pairs; /* read management pairs (one run is enough) */
} run_t;

static void text_add(run_t *run, const void *p, apr_size_t n)
{
    memcpy(run->text + run->text_len, p, n);
    run->text_len += n;
}

/* Every pair of a management record's content encodes and reads back to
 * the same name and value (§3.4). */
static void check_pairs(apr_pool_t *pool, const char *buf, apr_size_t len)
{
    apr_size_t off = 0, used;

    while (off < len) {
        const char *n, *v, *n2, *v2;
        apr_size_t nl, vl, nl2, vl2, size, at = 0;
        char *enc;

        if (relay_fcgi_pair_read(buf + off, len - off, &used, &n, &nl, &v,
                                 &vl) != RELAY_OK) {
            return;
        }
        relay_fuzz_check(used > 0 && used <= len - off, "pair within input");
        size = relay_fcgi_pair_size(nl, vl);
        relay_fuzz_check(size > 0 && size <= used, "pair size");
        enc = relay_fuzz_dup(pool, buf + off, size);
        relay_fuzz_check(relay_fcgi_pair_append(enc, size, &at, n, nl, v, vl) ==
                                 RELAY_OK &&
                             at == size,
                         "pair appended");
        relay_fuzz_check(relay_fcgi_pair_read(enc, size, &at, &n2, &nl2, &v2,
                                              &vl2) == RELAY_OK &&
                             at == size && nl2 == nl && vl2 == vl &&
                             memcmp(n, n2, nl) == 0 && memcmp(v, v2, vl) == 0,
                         "pair read back");
        off += used;
    }
}

/* A STDOUT run of the request: the head parser takes it until the head
 * is complete; what follows is body. */
static void stdout_run(run_t *run, const char *p, apr_size_t n)
{
    apr_size_t used = 0;

    if (run->head_rv == RELAY_AGAIN) {
        run->head_rv = relay_cgi_head_parse(run->head, p, n, &used);
        relay_fuzz_check(used <= n, "head consumed within the run");
        relay_fuzz_check(run->head_rv != RELAY_AGAIN || used == n,
                         "head takes all of a run until it ends");
        if (run->head_rv == RELAY_OK) {
            run->body_at = run->stdout_len + used;
        }
    }
    run->stdout_len += n;
}

/* Writes a header event into the transcript; a header written back with
 * relay_fcgi_header_write() must be the same header. */
static void note_header(run_t *run, const relay_fcgi_event_t *ev)
{
    char line[64], hdr[RELAY_FCGI_HEADER_LEN];
    relay_fcgi_reader_t again;
    relay_fcgi_event_t ev2;
    apr_size_t used;
    int n;

    n = apr_snprintf(line, sizeof(line), "|%d:%d:%u:%lu", (int)ev->kind,
                     ev->type, (unsigned)ev->request_id,
                     (unsigned long)ev->content_length);
    text_add(run, line, (apr_size_t)n);
    run->mgmt_len = 0;
    relay_fcgi_header_write(hdr, (apr_byte_t)ev->type, ev->request_id,
                            (apr_uint16_t)ev->content_length, 0);
    relay_fcgi_reader_init(&again, run->rd.request_id, run->rd.max_stderr);
    relay_fuzz_check(
        relay_fcgi_read(&again, hdr, sizeof(hdr), &used, &ev2) == RELAY_AGAIN &&
            used == sizeof(hdr) && ev2.kind == ev->kind &&
            ev2.type == ev->type && ev2.content_length == ev->content_length,
        "header written back reads the same");
}

static void note_event(apr_pool_t *pool, run_t *run, const char *in,
                       const relay_fcgi_event_t *ev)
{
    char line[64];
    int n;

    switch (ev->kind) {
    case RELAY_FCGI_EV_NONE:
        break;
    case RELAY_FCGI_EV_CONTENT:
        text_add(run, in + ev->data_off, ev->data_len);
        if (ev->request_id != 0 && ev->type == RELAY_FCGI_STDOUT) {
            stdout_run(run, in + ev->data_off, ev->data_len);
        }
        if (ev->request_id == 0 && run->check_pairs) {
            memcpy(run->mgmt + run->mgmt_len, in + ev->data_off, ev->data_len);
            run->mgmt_len += ev->data_len;
            if (run->mgmt_len == ev->content_length) {
                check_pairs(pool, run->mgmt, run->mgmt_len);
            }
        }
        break;
    case RELAY_FCGI_EV_END_REQUEST:
        n = apr_snprintf(line, sizeof(line), "|E%lu:%d",
                         (unsigned long)ev->app_status, ev->protocol_status);
        text_add(run, line, (apr_size_t)n);
        break;
    default:
        note_header(run, ev);
        break;
    }
}

/* Feeds one piece; returns 0 once the reader has stopped asking for more. */
static int feed(apr_pool_t *pool, run_t *run, const char *in, apr_size_t len)
{
    apr_size_t pos = 0;

    while (pos < len) {
        relay_fcgi_event_t ev;
        apr_size_t used;

        run->rv = relay_fcgi_read(&run->rd, in + pos, len - pos, &used, &ev);
        if (run->rv < 0) {
            relay_fuzz_check(!relay_fcgi_reader_between_records(&run->rd),
                             "a failed reader is not between records");
            return 0;
        }
        relay_fuzz_check(used <= len - pos, "consumed within the input");
        relay_fuzz_check(run->rv != RELAY_AGAIN || used > 0, "progress");
        relay_fuzz_check(
            ev.kind != RELAY_FCGI_EV_CONTENT ||
                (ev.data_len > 0 && ev.data_off + ev.data_len <= used),
            "content within consumed");
        relay_fuzz_check((run->rv == RELAY_OK) ==
                             (ev.kind == RELAY_FCGI_EV_END_REQUEST),
                         "RELAY_OK comes with END_REQUEST");
        note_event(pool, run, in + pos, &ev);
        pos += used;
        run->consumed += used;
        if (run->rv == RELAY_OK) {
            relay_fuzz_check(relay_fcgi_reader_done(&run->rd), "done");
            return 0;
        }
    }
    return 1;
}

static void run_init(apr_pool_t *pool, run_t *run, apr_size_t len,
                     apr_uint16_t id, apr_size_t max_stderr,
                     const relay_cgi_head_limits_t *limits, int pairs)
{
    memset(run, 0, sizeof(*run));
    relay_fcgi_reader_init(&run->rd, id, max_stderr);
    run->rv = RELAY_AGAIN;
    run->text = apr_palloc(pool, len * 5 + 64);
    run->head = relay_cgi_head_parser_make(pool, limits);
    run->head_rv = RELAY_AGAIN;
    run->check_pairs = pairs;
    run->mgmt = pairs ? apr_palloc(pool, RELAY_FCGI_MAX_CONTENT + 1) : NULL;
}

/* The CGI head of a run, as text: status, location and fields. */
static const char *head_text(apr_pool_t *pool, const run_t *run)
{
    const relay_cgi_head_t *h = relay_cgi_head_result(run->head);
    const apr_array_header_t *arr = apr_table_elts(h->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out;
    int i;

    out = apr_psprintf(pool, "%d %s %d %lu", h->status,
                       h->reason ? h->reason : "-", (int)h->location,
                       (unsigned long)run->body_at);
    for (i = 0; i < arr->nelts; i++) {
        out = apr_pstrcat(pool, out, "|", e[i].key, ": ", e[i].val, NULL);
    }
    return out;
}

static void compare(apr_pool_t *pool, const run_t *a, const run_t *b)
{
    relay_fuzz_check(a->rv == b->rv, "same status however split");
    relay_fuzz_check(a->head_rv == b->head_rv,
                     "same head status however split");
    relay_fuzz_check(a->text_len == b->text_len &&
                         memcmp(a->text, b->text, a->text_len) == 0,
                     "same events however split");
    relay_fuzz_check(relay_fcgi_reader_between_records(&a->rd) ==
                         relay_fcgi_reader_between_records(&b->rd),
                     "same place however split");
    if (a->rv == RELAY_OK) {
        relay_fuzz_check(a->consumed == b->consumed,
                         "same length however split");
    }
    if (a->head_rv == RELAY_OK) {
        relay_fuzz_check(strcmp(head_text(pool, a), head_text(pool, b)) == 0,
                         "same head however split");
    }
}

/*
 * Puts every record header of buf[0, len) right, in place: version 1,
 * content and padding lengths within what is left.
 */
static void reframe(unsigned char *buf, apr_size_t len)
{
    apr_size_t p = 0;

    while (len - p >= RELAY_FCGI_HEADER_LEN) {
        apr_size_t room = len - p - RELAY_FCGI_HEADER_LEN;
        apr_size_t n = ((apr_size_t)buf[p + 4] << 8) | buf[p + 5];
        apr_size_t pad = buf[p + 6];

        if (n > room) {
            n = room;
        }
        if (pad > room - n) {
            pad = room - n;
        }
        buf[p] = RELAY_FCGI_VERSION;
        buf[p + 4] = (unsigned char)(n >> 8);
        buf[p + 5] = (unsigned char)n;
        buf[p + 6] = (unsigned char)pad;
        p += RELAY_FCGI_HEADER_LEN + n + pad;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    apr_uint16_t id = (apr_uint16_t)(1 + relay_fuzz_byte(&in) % 3);
    apr_size_t max_stderr = relay_fuzz_byte(&in);
    unsigned lim = relay_fuzz_byte(&in);
    apr_size_t split = relay_fuzz_byte(&in) << 8;
    int reframed = (split & 0x8000) != 0;
    relay_cgi_head_limits_t limits = {4 * lim, lim, (int)(1 + lim % 16)};
    const relay_cgi_head_limits_t *lp = lim ? &limits : NULL;
    apr_size_t len;
    char *body;
    run_t whole, parts;

    split = (split & 0x7fff) | relay_fuzz_byte(&in);
    len = in.n;
    split %= len + 1;
    body = relay_fuzz_dup(pool, in.p, len);
    if (reframed) {
        reframe((unsigned char *)body, len);
    }

    run_init(pool, &whole, len, id, max_stderr, lp, 1);
    feed(pool, &whole, body, len);

    run_init(pool, &parts, len, id, max_stderr, lp, 0);
    if (feed(pool, &parts, relay_fuzz_dup(pool, body, split), split)) {
        feed(pool, &parts, relay_fuzz_dup(pool, body + split, len - split),
             len - split);
    }

    compare(pool, &whole, &parts);
    if (whole.head_rv == RELAY_AGAIN) {
        relay_fuzz_check(relay_cgi_head_finish(whole.head) == RELAY_ETRUNCATED,
                         "an unfinished head is truncated");
    }
    return relay_fuzz_done();
}
