/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The reader of what an AJP/1.3 servlet container sends (relay_ajp.h): a
 * state machine over packet headers. A SEND_BODY_CHUNK's chunk is passed
 * over in runs that point into the caller's input, and any other packet is
 * gathered into the caller's buffer (at most one packet) and decoded when
 * its last byte arrives, so a stream may be split anywhere. A header is
 * judged byte by byte (the magic as soon as it arrives, the length with
 * its second byte), a prefix code as soon as it arrives, and a failure is
 * sticky: once the stream is known to be bad, every later call returns the
 * same error.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_ajp.h"

enum {
    ST_HEAD = 0,  /* the 4 bytes of a packet header */
    ST_PREFIX,    /* the prefix code, the payload's first byte */
    ST_CHUNK_LEN, /* the 2-byte chunk_length of a SEND_BODY_CHUNK */
    ST_CHUNK,     /* the chunk, reported in runs */
    ST_SKIP,      /* what follows the chunk in its packet */
    ST_PAYLOAD,   /* the rest of any other packet, gathered */
    ST_DONE       /* the END_RESPONSE has been read */
};

void relay_ajp_reader_init(relay_ajp_reader_t *rd, char *buf,
                           apr_size_t max_packet)
{
    memset(rd, 0, sizeof(*rd));
    rd->state = ST_HEAD;
    rd->buf = buf;
    if (max_packet == 0) {
        max_packet = RELAY_AJP_PACKET_DEFAULT;
    }
    rd->max_packet =
        max_packet > RELAY_AJP_PACKET_MAX ? RELAY_AJP_PACKET_MAX : max_packet;
}

static relay_status_t fail(relay_ajp_reader_t *rd, relay_status_t rv)
{
    rd->state = (int)rv;
    return rv;
}

/* A packet's payload being decoded: p[at, n). */
typedef struct cursor_t {
    const unsigned char *p;
    apr_size_t n;
    apr_size_t at;
} cursor_t;

/* An integer ("Basic Packet Structure"); 0 when the payload ends first. */
static int get_int(cursor_t *c, apr_size_t *v)
{
    if (c->n - c->at < 2) {
        return 0;
    }
    *v = ((apr_size_t)c->p[c->at] << 8) | c->p[c->at + 1];
    c->at += 2;
    return 1;
}

/*
 * A string ("Basic Packet Structure"): *s points at its bytes in the
 * payload, NULL for the null string when `nullable`; elsewhere a length of
 * 0xFFFF is taken as a length, which no packet can hold.
 */
static relay_status_t get_string(cursor_t *c, int nullable, const char **s,
                                 apr_size_t *len)
{
    apr_size_t n;

    if (!get_int(c, &n)) {
        return RELAY_EAJPOVERRUN;
    }
    if (n == RELAY_AJP_NULL_STRING && nullable) {
        *s = NULL;
        *len = 0;
        return RELAY_OK;
    }
    if (n >= c->n - c->at) {
        return RELAY_EAJPOVERRUN;
    }
    if (c->p[c->at + n] != '\0') {
        return RELAY_EAJPNUL;
    }
    *s = (const char *)c->p + c->at;
    *len = n;
    c->at += n + 1;
    return RELAY_OK;
}

/* One header of a SEND_HEADERS: a code or a string, then a string ("Send
 * Headers"). */
static relay_status_t get_header(cursor_t *c, relay_ajp_field_t *f)
{
    apr_size_t nlen, vlen;
    relay_status_t rv;

    if (c->n - c->at < 2) {
        return RELAY_EAJPOVERRUN;
    }
    if (c->p[c->at] == RELAY_AJP_CODED_HEADER) {
        f->name = relay_ajp_response_header_name(((unsigned)c->p[c->at] << 8) |
                                                 c->p[c->at + 1]);
        if (f->name == NULL) {
            return RELAY_EAJPCODE;
        }
        f->coded = 1;
        c->at += 2;
    }
    else {
        f->coded = 0;
        rv = get_string(c, 0, &f->name, &nlen);
        if (rv != RELAY_OK) {
            return rv;
        }
    }
    return get_string(c, 0, &f->value, &vlen);
}

/* The smallest header: a coded name and an empty value. */
#define HEADER_MIN 5

/*
 * Decodes a SEND_HEADERS payload after its prefix code ("Response Packet
 * Structure": http_status_code, http_status_msg, num_headers, then the
 * headers), which must hold exactly num_headers headers, in one walk:
 * the fields point into the payload.
 */
static relay_status_t walk_headers(cursor_t *c, apr_pool_t *pool,
                                   relay_ajp_event_t *ev)
{
    apr_size_t status, i, rlen, count, room;
    relay_ajp_field_t *fields = NULL;
    const char *reason;
    relay_status_t rv;

    if (!get_int(c, &status)) {
        return RELAY_EAJPOVERRUN;
    }
    rv = get_string(c, 1, &reason, &rlen);
    if (rv != RELAY_OK) {
        return rv;
    }
    if (!get_int(c, &count)) {
        return RELAY_EAJPOVERRUN;
    }
    /* No more headers fit than the rest of the payload can hold: the
     * array is never larger than the packet warrants. */
    room = (c->n - c->at) / HEADER_MIN;
    if (room > count) {
        room = count;
    }
    if (room > 0) {
        fields = apr_palloc(pool, room * sizeof(*fields));
    }
    for (i = 0; i < count; i++) {
        relay_ajp_field_t past; /* a header beyond the room fails to read */
        if (c->at == c->n) {
            return RELAY_EAJPCOUNT;
        }
        rv = get_header(c, i < room ? &fields[i] : &past);
        if (rv != RELAY_OK) {
            return rv;
        }
        if (i >= room) {
            return RELAY_EAJPCOUNT; /* cannot happen: HEADER_MIN holds */
        }
    }
    if (c->at != c->n) {
        return RELAY_EAJPCOUNT;
    }
    ev->kind = RELAY_AJP_EV_HEADERS;
    ev->status = (int)status;
    ev->reason = reason ? apr_pstrmemdup(pool, reason, rlen) : NULL;
    ev->fields = fields;
    ev->nfields = (int)count;
    return RELAY_OK;
}

/* The fields copied into a table of their own. */
static apr_table_t *fields_table(apr_pool_t *pool, const relay_ajp_event_t *ev)
{
    apr_table_t *t = apr_table_make(pool, ev->nfields);
    int i;

    for (i = 0; i < ev->nfields; i++) {
        apr_table_addn(t, apr_pstrdup(pool, ev->fields[i].name),
                       apr_pstrdup(pool, ev->fields[i].value));
    }
    return t;
}

/* Decodes the SEND_HEADERS gathered in the buffer. */
static relay_status_t send_headers(relay_ajp_reader_t *rd, apr_pool_t *pool,
                                   relay_ajp_event_t *ev)
{
    cursor_t c = {(const unsigned char *)rd->buf, rd->got, 0};
    relay_status_t rv;

    if (!pool) {
        /* No head was expected (a CPing exchange): not a CPong. */
        return fail(rd, RELAY_EAJPCODE);
    }
    rv = walk_headers(&c, pool, ev);
    if (rv != RELAY_OK) {
        ev->kind = RELAY_AJP_EV_NONE;
        return fail(rd, rv);
    }
    if (!rd->fields_only) {
        ev->headers = fields_table(pool, ev);
    }
    return RELAY_AGAIN;
}

/* The packet gathered in the buffer is complete: decodes it. */
static relay_status_t end_payload(relay_ajp_reader_t *rd, apr_pool_t *pool,
                                  relay_ajp_event_t *ev)
{
    const unsigned char *p = (const unsigned char *)rd->buf;

    rd->state = ST_HEAD;
    rd->pos = 0;
    switch (rd->prefix) {
    case RELAY_AJP_SEND_HEADERS:
        return send_headers(rd, pool, ev);
    case RELAY_AJP_END_RESPONSE:
        /* "End Response": reuse is a boolean, true only as 1. */
        if (rd->got < 1) {
            return fail(rd, RELAY_EAJPOVERRUN);
        }
        rd->state = ST_DONE;
        ev->kind = RELAY_AJP_EV_END;
        ev->reuse = p[0] == 1;
        return RELAY_OK;
    case RELAY_AJP_GET_BODY_CHUNK:
        /* "Get Body Chunk": requested_length. */
        if (rd->got < 2) {
            return fail(rd, RELAY_EAJPOVERRUN);
        }
        ev->kind = RELAY_AJP_EV_GET_BODY;
        ev->requested = ((apr_size_t)p[0] << 8) | p[1];
        return RELAY_AGAIN;
    default:
        ev->kind = RELAY_AJP_EV_CPONG;
        return RELAY_AGAIN;
    }
}

/* One byte of a packet header ("Packet Headers"): 'A', 'B', then the
 * payload length, which must leave the packet within max_packet. */
static relay_status_t header_byte(relay_ajp_reader_t *rd, unsigned char c)
{
    switch (rd->pos++) {
    case 0:
        if (c != RELAY_AJP_MAGIC_CONTAINER_0) {
            return fail(rd, RELAY_EAJPMAGIC);
        }
        break;
    case 1:
        if (c != RELAY_AJP_MAGIC_CONTAINER_1) {
            return fail(rd, RELAY_EAJPMAGIC);
        }
        break;
    case 2:
        rd->length = c;
        break;
    default:
        rd->length = (rd->length << 8) | c;
        if (rd->max_packet < RELAY_AJP_HEADER_LEN ||
            rd->length > rd->max_packet - RELAY_AJP_HEADER_LEN) {
            return fail(rd, RELAY_EAJPSIZE);
        }
        if (rd->length == 0) {
            return fail(rd, RELAY_EAJPOVERRUN);
        }
        rd->state = ST_PREFIX;
        break;
    }
    return RELAY_AGAIN;
}

/* The prefix code ("Packet Headers"): a chunk is read as it comes; the
 * other packets a container sends are gathered whole. */
static relay_status_t prefix_byte(relay_ajp_reader_t *rd, unsigned char c,
                                  apr_pool_t *pool, relay_ajp_event_t *ev)
{
    rd->prefix = c;
    rd->pos = 0;
    rd->got = 0;
    switch (c) {
    case RELAY_AJP_SEND_BODY_CHUNK:
        if (rd->length < 3) {
            return fail(rd, RELAY_EAJPOVERRUN);
        }
        rd->chunk_len = 0;
        rd->state = ST_CHUNK_LEN;
        return RELAY_AGAIN;
    case RELAY_AJP_SEND_HEADERS:
    case RELAY_AJP_END_RESPONSE:
    case RELAY_AJP_GET_BODY_CHUNK:
    case RELAY_AJP_CPONG_REPLY:
        if (rd->length == 1) {
            return end_payload(rd, pool, ev);
        }
        rd->state = ST_PAYLOAD;
        return RELAY_AGAIN;
    default:
        return fail(rd, RELAY_EAJPCODE);
    }
}

/* After a chunk: the rest of its packet, then the next header. */
static void end_chunk(relay_ajp_reader_t *rd)
{
    rd->pos = 0;
    rd->remaining = rd->after_chunk;
    rd->state = rd->remaining > 0 ? ST_SKIP : ST_HEAD;
}

/* One byte of a SEND_BODY_CHUNK's chunk_length ("Response Packet
 * Structure"), which the packet must hold after the prefix code and the
 * length itself. An empty chunk is reported here. */
static relay_status_t chunk_len_byte(relay_ajp_reader_t *rd, unsigned char c,
                                     apr_size_t at, relay_ajp_event_t *ev)
{
    rd->chunk_len = (rd->chunk_len << 8) | c;
    if (rd->pos++ == 0) {
        return RELAY_AGAIN;
    }
    if (rd->chunk_len > rd->length - 3) {
        return fail(rd, RELAY_EAJPCHUNK);
    }
    rd->after_chunk = rd->length - 3 - rd->chunk_len;
    rd->remaining = rd->chunk_len;
    if (rd->chunk_len == 0) {
        ev->kind = RELAY_AJP_EV_BODY;
        ev->data_off = at;
        end_chunk(rd);
        return RELAY_AGAIN;
    }
    rd->state = ST_CHUNK;
    return RELAY_AGAIN;
}

/* Reports the next run of the chunk, in[pos, ...). */
static void chunk_run(relay_ajp_reader_t *rd, apr_size_t len, apr_size_t pos,
                      relay_ajp_event_t *ev)
{
    apr_size_t n = len - pos;

    if (n > rd->remaining) {
        n = rd->remaining;
    }
    ev->kind = RELAY_AJP_EV_BODY;
    ev->data_off = pos;
    ev->data_len = n;
    ev->chunk_len = rd->chunk_len;
    rd->remaining -= n;
    if (rd->remaining == 0) {
        end_chunk(rd);
    }
}

/* Gathers payload bytes from in[*pos, len) into the buffer. */
static relay_status_t gather(relay_ajp_reader_t *rd, const char *in,
                             apr_size_t len, apr_size_t *pos, apr_pool_t *pool,
                             relay_ajp_event_t *ev)
{
    apr_size_t want = rd->length - 1 - rd->got, n = len - *pos;

    if (n > want) {
        n = want;
    }
    memcpy(rd->buf + rd->got, in + *pos, n);
    rd->got += n;
    *pos += n;
    if (rd->got < rd->length - 1) {
        return RELAY_AGAIN;
    }
    return end_payload(rd, pool, ev);
}

/*
 * The common case of a packet start: a whole SEND_BODY_CHUNK header,
 * prefix code and chunk_length in in[*pos, len), all good. Takes the 7
 * bytes as header_byte, prefix_byte and chunk_len_byte would one by one
 * and returns 1; returns 0, taking nothing, for anything else (those then
 * judge it).
 */
static int chunk_start(relay_ajp_reader_t *rd, const char *in, apr_size_t len,
                       apr_size_t *pos, relay_ajp_event_t *ev)
{
    const unsigned char *p = (const unsigned char *)in + *pos;
    apr_size_t length, chunk_len;

    if (rd->pos != 0 || len - *pos < 7 || p[0] != RELAY_AJP_MAGIC_CONTAINER_0 ||
        p[1] != RELAY_AJP_MAGIC_CONTAINER_1 ||
        p[4] != RELAY_AJP_SEND_BODY_CHUNK) {
        return 0;
    }
    length = ((apr_size_t)p[2] << 8) | p[3];
    chunk_len = ((apr_size_t)p[5] << 8) | p[6];
    if (rd->max_packet < RELAY_AJP_HEADER_LEN ||
        length > rd->max_packet - RELAY_AJP_HEADER_LEN || length < 3 ||
        chunk_len > length - 3) {
        return 0;
    }
    rd->length = length;
    rd->prefix = RELAY_AJP_SEND_BODY_CHUNK;
    rd->got = 0;
    rd->pos = 2;
    rd->chunk_len = chunk_len;
    rd->after_chunk = length - 3 - chunk_len;
    rd->remaining = chunk_len;
    *pos += 7;
    if (chunk_len == 0) {
        ev->kind = RELAY_AJP_EV_BODY;
        ev->data_off = *pos;
        end_chunk(rd);
    }
    else {
        rd->state = ST_CHUNK;
    }
    return 1;
}

/* A whole packet header in in[*pos, len), good: taken as header_byte
 * would take its 4 bytes, returning 1; 0 (nothing taken) for anything
 * else. */
static int whole_header(relay_ajp_reader_t *rd, const char *in, apr_size_t len,
                        apr_size_t *pos)
{
    const unsigned char *p = (const unsigned char *)in + *pos;
    apr_size_t length;

    if (rd->pos != 0 || len - *pos < RELAY_AJP_HEADER_LEN ||
        p[0] != RELAY_AJP_MAGIC_CONTAINER_0 ||
        p[1] != RELAY_AJP_MAGIC_CONTAINER_1) {
        return 0;
    }
    length = ((apr_size_t)p[2] << 8) | p[3];
    if (rd->max_packet < RELAY_AJP_HEADER_LEN ||
        length > rd->max_packet - RELAY_AJP_HEADER_LEN || length == 0) {
        return 0;
    }
    rd->length = length;
    rd->pos = RELAY_AJP_HEADER_LEN;
    rd->state = ST_PREFIX;
    *pos += RELAY_AJP_HEADER_LEN;
    return 1;
}

relay_status_t relay_ajp_read(relay_ajp_reader_t *rd, apr_pool_t *pool,
                              const char *in, apr_size_t len,
                              apr_size_t *consumed, relay_ajp_event_t *ev)
{
    apr_size_t pos = 0, n;
    relay_status_t rv = RELAY_AGAIN;

    memset(ev, 0, sizeof(*ev));
    *consumed = 0;
    if (rd->state < 0) {
        return (relay_status_t)rd->state;
    }
    if (rd->state == ST_DONE) {
        return RELAY_OK;
    }

    while (rv == RELAY_AGAIN && pos < len && ev->kind == RELAY_AJP_EV_NONE) {
        switch (rd->state) {
        case ST_CHUNK:
            chunk_run(rd, len, pos, ev);
            pos += ev->data_len;
            break;
        case ST_SKIP:
            n = len - pos < rd->remaining ? len - pos : rd->remaining;
            rd->remaining -= n;
            pos += n;
            if (rd->remaining == 0) {
                rd->state = ST_HEAD;
            }
            break;
        case ST_PAYLOAD:
            rv = gather(rd, in, len, &pos, pool, ev);
            break;
        case ST_CHUNK_LEN:
            pos++;
            rv = chunk_len_byte(rd, (unsigned char)in[pos - 1], pos, ev);
            break;
        case ST_PREFIX:
            rv = prefix_byte(rd, (unsigned char)in[pos++], pool, ev);
            break;
        default:
            if (!chunk_start(rd, in, len, &pos, ev) &&
                !whole_header(rd, in, len, &pos)) {
                rv = header_byte(rd, (unsigned char)in[pos++]);
            }
            break;
        }
    }
    *consumed = pos;
    return rv;
}

void relay_ajp_reader_fields_only(relay_ajp_reader_t *rd)
{
    rd->fields_only = 1;
}

int relay_ajp_reader_between_packets(const relay_ajp_reader_t *rd)
{
    return rd->state == ST_DONE || (rd->state == ST_HEAD && rd->pos == 0);
}

int relay_ajp_reader_done(const relay_ajp_reader_t *rd)
{
    return rd->state == ST_DONE;
}
