/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * FastCGI 1.0 records (FastCGI spec §3): the writers of what a web server
 * sends and a reader of what a Responder sends back.
 *
 * The writers put big-endian fields into buffers the caller provides. The
 * reader is a byte-at-a-time state machine over record headers and the
 * END_REQUEST body, with content passed over in runs that point into the
 * caller's input, so a stream may be split anywhere and nothing is copied.
 * A header is judged when its eighth byte arrives (its version as soon as
 * the first does), and a failure is sticky: once the stream is known to be
 * bad, every later call returns the same error.
 */
#include <string.h>

#include "relay/relay_fcgi.h"

/* §3.4: a length over 127 takes four bytes, the first with its top bit
 * set; the other 31 bits carry the length. */
#define LONG_LENGTH_FLAG 0x80
#define SHORT_LENGTH_MAX 127

enum {
    ST_HEADER = 0,  /* the 8 bytes of a record header */
    ST_CONTENT,     /* content of a STDOUT, STDERR, management or unknown
                       record, reported in runs */
    ST_PADDING,     /* padding, skipped */
    ST_END_BODY,    /* the 8-byte body of the END_REQUEST */
    ST_END_PADDING, /* padding after the END_REQUEST body */
    ST_DONE         /* the END_REQUEST has been read */
};

/* The big-endian byte `shift` bits up of a value, as one char. */
static char byte_of(apr_uint32_t v, int shift)
{
    return (char)(unsigned char)((v >> shift) & 0xff);
}

void relay_fcgi_header_write(char *out, apr_byte_t type,
                             apr_uint16_t request_id,
                             apr_uint16_t content_length,
                             apr_byte_t padding_length)
{
    /* §3.3: version, type, requestIdB1, requestIdB0, contentLengthB1,
     * contentLengthB0, paddingLength, reserved. */
    out[0] = RELAY_FCGI_VERSION;
    out[1] = (char)type;
    out[2] = byte_of(request_id, 8);
    out[3] = byte_of(request_id, 0);
    out[4] = byte_of(content_length, 8);
    out[5] = byte_of(content_length, 0);
    out[6] = (char)padding_length;
    out[7] = 0;
}

apr_byte_t relay_fcgi_padding(apr_size_t content_length)
{
    /* §3.3 recommends that records start on 8-byte boundaries; padding
     * is how a sender gets there. */
    return (apr_byte_t)((8 - (content_length & 7)) & 7);
}

void relay_fcgi_begin_request_write(char *out, apr_uint16_t request_id,
                                    apr_uint16_t role, int keep_conn)
{
    char *body = out + RELAY_FCGI_HEADER_LEN;

    /* §5.1: FCGI_BeginRequestBody is roleB1, roleB0, flags, reserved[5]. */
    relay_fcgi_header_write(
        out, RELAY_FCGI_BEGIN_REQUEST, request_id,
        RELAY_FCGI_BEGIN_REQUEST_LEN - RELAY_FCGI_HEADER_LEN, 0);
    memset(body, 0, RELAY_FCGI_BEGIN_REQUEST_LEN - RELAY_FCGI_HEADER_LEN);
    body[0] = byte_of(role, 8);
    body[1] = byte_of(role, 0);
    body[2] = keep_conn ? RELAY_FCGI_KEEP_CONN : 0;
}

/* §3.4: the bytes the length n takes in a pair. */
static apr_size_t length_size(apr_size_t n)
{
    return n > SHORT_LENGTH_MAX ? 4 : 1;
}

/* Writes one length of a pair (§3.4) and returns its size. */
static apr_size_t length_write(char *out, apr_size_t n)
{
    apr_uint32_t v = (apr_uint32_t)n;

    if (n <= SHORT_LENGTH_MAX) {
        out[0] = (char)v;
        return 1;
    }
    out[0] = (char)(unsigned char)(LONG_LENGTH_FLAG | (v >> 24));
    out[1] = byte_of(v, 16);
    out[2] = byte_of(v, 8);
    out[3] = byte_of(v, 0);
    return 4;
}

apr_size_t relay_fcgi_pair_size(apr_size_t name_len, apr_size_t value_len)
{
    apr_uint64_t total;

    if (name_len > RELAY_FCGI_MAX_PAIR_LEN ||
        value_len > RELAY_FCGI_MAX_PAIR_LEN) {
        return 0;
    }
    total = (apr_uint64_t)length_size(name_len) + length_size(value_len) +
            name_len + value_len;
    if (total > (apr_uint64_t)APR_SIZE_MAX) {
        return 0;
    }
    return (apr_size_t)total;
}

apr_size_t relay_fcgi_pair_lengths_write(char *out, apr_size_t name_len,
                                         apr_size_t value_len)
{
    apr_size_t n;

    if (name_len > RELAY_FCGI_MAX_PAIR_LEN ||
        value_len > RELAY_FCGI_MAX_PAIR_LEN) {
        return 0;
    }
    n = length_write(out, name_len);
    return n + length_write(out + n, value_len);
}

relay_status_t relay_fcgi_pair_append(char *buf, apr_size_t cap,
                                      apr_size_t *used, const char *name,
                                      apr_size_t name_len, const char *value,
                                      apr_size_t value_len)
{
    apr_size_t size = relay_fcgi_pair_size(name_len, value_len);
    char *p;

    if (size == 0) {
        return RELAY_ETOOLARGE;
    }
    if (*used > cap || size > cap - *used) {
        return RELAY_ENOSPACE;
    }
    p = buf + *used;
    p += relay_fcgi_pair_lengths_write(p, name_len, value_len);
    if (name_len > 0) {
        memcpy(p, name, name_len);
    }
    if (value_len > 0) {
        memcpy(p + name_len, value, value_len);
    }
    *used += size;
    return RELAY_OK;
}

/* Reads one length of a pair at buf[*off, len) (§3.4); 0 when buf ends
 * inside it. */
static int length_read(const unsigned char *buf, apr_size_t len,
                       apr_size_t *off, apr_size_t *n)
{
    const unsigned char *p = buf + *off;

    if (*off >= len) {
        return 0;
    }
    if (!(p[0] & LONG_LENGTH_FLAG)) {
        *n = p[0];
        *off += 1;
        return 1;
    }
    if (len - *off < 4) {
        return 0;
    }
    *n = ((apr_size_t)(p[0] & 0x7f) << 24) | ((apr_size_t)p[1] << 16) |
         ((apr_size_t)p[2] << 8) | p[3];
    *off += 4;
    return 1;
}

relay_status_t relay_fcgi_pair_read(const char *buf, apr_size_t len,
                                    apr_size_t *used, const char **name,
                                    apr_size_t *name_len, const char **value,
                                    apr_size_t *value_len)
{
    const unsigned char *u = (const unsigned char *)buf;
    apr_size_t off = 0, nl, vl;

    if (!length_read(u, len, &off, &nl) || !length_read(u, len, &off, &vl)) {
        return RELAY_AGAIN;
    }
    if (nl > len - off || vl > len - off - nl) {
        return RELAY_AGAIN;
    }
    *name = buf + off;
    *name_len = nl;
    *value = buf + off + nl;
    *value_len = vl;
    *used = off + nl + vl;
    return RELAY_OK;
}

void relay_fcgi_reader_init(relay_fcgi_reader_t *rd, apr_uint16_t request_id,
                            apr_size_t max_stderr)
{
    memset(rd, 0, sizeof(*rd));
    rd->state = ST_HEADER;
    rd->request_id = request_id;
    rd->max_stderr = max_stderr > 0 && max_stderr < RELAY_FCGI_MAX_CONTENT
                         ? max_stderr
                         : RELAY_FCGI_MAX_CONTENT;
}

static relay_status_t fail(relay_fcgi_reader_t *rd, relay_status_t rv)
{
    rd->state = (int)rv;
    return rv;
}

/* Describes the current record in *ev. */
static void report(const relay_fcgi_reader_t *rd, relay_fcgi_event_t *ev,
                   relay_fcgi_event_kind_t kind)
{
    ev->kind = kind;
    ev->type = rd->type;
    ev->request_id = rd->rec_id;
    ev->content_length = rd->content_len;
}

/* After a record's content: its padding, then the next header. */
static void end_content(relay_fcgi_reader_t *rd)
{
    rd->pos = 0;
    rd->state = rd->padding > 0 ? ST_PADDING : ST_HEADER;
}

/*
 * The header is complete: decides what the record is (§3.3) and reports
 * it. For a request, an application sends STDOUT, STDERR and END_REQUEST
 * (§5.3, §5.5); records for the null request id are management records
 * (§4), which the caller may read or skip; a type outside the eleven of
 * §8 (0, or above 11) may come from a later version of the protocol and is
 * left to the caller.
 */
static relay_status_t end_header(relay_fcgi_reader_t *rd,
                                 relay_fcgi_event_t *ev)
{
    relay_fcgi_event_kind_t kind = RELAY_FCGI_EV_RECORD;

    rd->remaining = rd->content_len;
    if (rd->rec_id == RELAY_FCGI_NULL_REQUEST_ID) {
        kind = RELAY_FCGI_EV_MANAGEMENT;
    }
    else if (rd->rec_id != rd->request_id) {
        return fail(rd, RELAY_EBADRECORD);
    }
    else if (rd->type == RELAY_FCGI_END_REQUEST) {
        /* §5.5: FCGI_EndRequestBody is exactly 8 bytes. */
        if (rd->content_len != RELAY_FCGI_END_REQUEST_BODY_LEN) {
            return fail(rd, RELAY_EBADRECORD);
        }
        rd->pos = 0;
        rd->state = ST_END_BODY;
        report(rd, ev, kind);
        return RELAY_AGAIN;
    }
    else if (rd->type == RELAY_FCGI_STDERR) {
        if (rd->content_len > rd->max_stderr) {
            return fail(rd, RELAY_ETOOLARGE);
        }
    }
    else if (rd->type != RELAY_FCGI_STDOUT) {
        if (rd->type >= 1 && rd->type <= RELAY_FCGI_MAXTYPE) {
            return fail(rd, RELAY_EBADRECORD);
        }
        kind = RELAY_FCGI_EV_UNKNOWN;
    }
    if (rd->remaining > 0) {
        rd->state = ST_CONTENT;
    }
    else {
        end_content(rd);
    }
    report(rd, ev, kind);
    return RELAY_AGAIN;
}

/* One byte of a record header (§3.3): version, type, requestIdB1,
 * requestIdB0, contentLengthB1, contentLengthB0, paddingLength, reserved. */
static relay_status_t header_byte(relay_fcgi_reader_t *rd, unsigned char c,
                                  relay_fcgi_event_t *ev)
{
    switch (rd->pos++) {
    case 0:
        if (c != RELAY_FCGI_VERSION) {
            return fail(rd, RELAY_EBADRECORD);
        }
        break;
    case 1:
        rd->type = c;
        break;
    case 2:
        rd->rec_id = c;
        break;
    case 3:
        rd->rec_id = (apr_uint16_t)((rd->rec_id << 8) | c);
        break;
    case 4:
        rd->content_len = c;
        break;
    case 5:
        rd->content_len = (rd->content_len << 8) | c;
        break;
    case 6:
        rd->padding = c;
        break;
    default:
        return end_header(rd, ev);
    }
    return RELAY_AGAIN;
}

/* The END_REQUEST has been read, padding included. */
static relay_status_t end_request(relay_fcgi_reader_t *rd,
                                  relay_fcgi_event_t *ev)
{
    rd->state = ST_DONE;
    report(rd, ev, RELAY_FCGI_EV_END_REQUEST);
    ev->app_status = rd->app_status;
    ev->protocol_status = rd->protocol_status;
    return RELAY_OK;
}

/* One byte of the END_REQUEST body (§5.5): appStatusB3..B0 (big-endian),
 * protocolStatus, reserved[3]. The record ends after its padding. */
static relay_status_t end_body_byte(relay_fcgi_reader_t *rd, unsigned char c,
                                    relay_fcgi_event_t *ev)
{
    int at = rd->pos++;

    if (at < 4) {
        rd->app_status = (rd->app_status << 8) | c;
    }
    else if (at == 4) {
        rd->protocol_status = c;
    }
    if (rd->pos < RELAY_FCGI_END_REQUEST_BODY_LEN) {
        return RELAY_AGAIN;
    }
    if (rd->padding > 0) {
        rd->state = ST_END_PADDING;
        return RELAY_AGAIN;
    }
    return end_request(rd, ev);
}

/* Skips padding in[*pos, len); returns RELAY_OK when that ended the
 * END_REQUEST record, else RELAY_AGAIN. */
static relay_status_t skip_padding(relay_fcgi_reader_t *rd, apr_size_t len,
                                   apr_size_t *pos, relay_fcgi_event_t *ev)
{
    apr_size_t n = len - *pos;

    if (n > rd->padding) {
        n = rd->padding;
    }
    rd->padding -= n;
    *pos += n;
    if (rd->padding > 0) {
        return RELAY_AGAIN;
    }
    if (rd->state == ST_END_PADDING) {
        return end_request(rd, ev);
    }
    rd->state = ST_HEADER;
    return RELAY_AGAIN;
}

/* Reports the next run of content, in[pos, ...). */
static void content_run(relay_fcgi_reader_t *rd, apr_size_t len, apr_size_t pos,
                        relay_fcgi_event_t *ev)
{
    apr_size_t n = len - pos;

    if (n > rd->remaining) {
        n = rd->remaining;
    }
    report(rd, ev, RELAY_FCGI_EV_CONTENT);
    ev->data_off = pos;
    ev->data_len = n;
    rd->remaining -= n;
    if (rd->remaining == 0) {
        end_content(rd);
    }
}

relay_status_t relay_fcgi_read(relay_fcgi_reader_t *rd, const char *in,
                               apr_size_t len, apr_size_t *consumed,
                               relay_fcgi_event_t *ev)
{
    apr_size_t pos = 0;
    relay_status_t rv = RELAY_AGAIN;

    memset(ev, 0, sizeof(*ev));
    *consumed = 0;
    if (rd->state < 0) {
        return (relay_status_t)rd->state;
    }

    while (pos < len && rd->state != ST_DONE &&
           ev->kind == RELAY_FCGI_EV_NONE) {
        switch (rd->state) {
        case ST_CONTENT:
            content_run(rd, len, pos, ev);
            pos += ev->data_len;
            break;
        case ST_PADDING:
        case ST_END_PADDING:
            rv = skip_padding(rd, len, &pos, ev);
            break;
        case ST_END_BODY:
            rv = end_body_byte(rd, (unsigned char)in[pos++], ev);
            break;
        default:
            rv = header_byte(rd, (unsigned char)in[pos++], ev);
            if (rv < 0) {
                return rv;
            }
            break;
        }
    }
    *consumed = pos;
    if (rd->state == ST_DONE) {
        return RELAY_OK;
    }
    return rv;
}

int relay_fcgi_reader_between_records(const relay_fcgi_reader_t *rd)
{
    return rd->state == ST_DONE || (rd->state == ST_HEADER && rd->pos == 0);
}

int relay_fcgi_reader_done(const relay_fcgi_reader_t *rd)
{
    return rd->state == ST_DONE;
}
