/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * AJP/1.3 packets (the Apache Tomcat "AJPv13" protocol reference): the
 * writers of what a web server sends and a reader of what a servlet
 * container sends back.
 *
 * The writers append the data types of "Basic Packet Structure" to a
 * caller's buffer and refuse, without writing, whatever would not fit. The
 * reader is a state machine over packet headers: a SEND_BODY_CHUNK's chunk
 * is passed over in runs that point into the caller's input, and any other
 * packet is gathered into the caller's buffer (at most one packet) and
 * decoded when its last byte arrives, so a stream may be split anywhere.
 * A header is judged byte by byte (the magic as soon as it arrives, the
 * length with its second byte), a prefix code as soon as it arrives, and a
 * failure is sticky: once the stream is known to be bad, every later call
 * returns the same error.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_ajp.h"

/* "Basic Packet Structure": the string length that means the null string,
 * with no bytes after it. */
#define NULL_STRING 0xFFFF

enum {
    ST_HEAD = 0,  /* the 4 bytes of a packet header */
    ST_PREFIX,    /* the prefix code, the payload's first byte */
    ST_CHUNK_LEN, /* the 2-byte chunk_length of a SEND_BODY_CHUNK */
    ST_CHUNK,     /* the chunk, reported in runs */
    ST_SKIP,      /* what follows the chunk in its packet */
    ST_PAYLOAD,   /* the rest of any other packet, gathered */
    ST_DONE       /* the END_RESPONSE has been read */
};

/* The big-endian byte `shift` bits up of a value, as one char. */
static char byte_of(apr_size_t v, int shift)
{
    return (char)(unsigned char)((v >> shift) & 0xff);
}

apr_size_t relay_ajp_packet_size(apr_size_t configured)
{
    if (configured < RELAY_AJP_PACKET_DEFAULT) {
        return RELAY_AJP_PACKET_DEFAULT;
    }
    return configured > RELAY_AJP_PACKET_MAX ? RELAY_AJP_PACKET_MAX
                                             : configured;
}

/* "method": the table, in code order from 1. */
static const char *const method_names[] = {
    "OPTIONS",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "TRACE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "ACL",
    "REPORT",
    "VERSION-CONTROL",
    "CHECKIN",
    "CHECKOUT",
    "UNCHECKOUT",
    "SEARCH",
    "MKWORKSPACE",
    "UPDATE",
    "LABEL",
    "MERGE",
    "BASELINE-CONTROL",
    "MKACTIVITY",
};

int relay_ajp_method_code(const char *method)
{
    int i;

    for (i = 0; i < (int)(sizeof(method_names) / sizeof(method_names[0]));
         i++) {
        if (strcmp(method, method_names[i]) == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* "Headers": request header names with a code, from 0xA001. */
static const char *const request_names[] = {
    "accept",          "accept-charset", "accept-encoding",
    "accept-language", "authorization",  "connection",
    "content-type",    "content-length", "cookie",
    "cookie2",         "host",           "pragma",
    "referer",         "user-agent",
};

/* True when name is `lower` in any case; only ASCII letters fold, as in
 * header names, whatever the locale. */
static int same_name(const char *name, const char *lower)
{
    for (; *name != '\0' && *lower != '\0'; name++, lower++) {
        char c = *name >= 'A' && *name <= 'Z' ? (char)(*name + 32) : *name;

        if (c != *lower) {
            return 0;
        }
    }
    return *name == *lower;
}

/* The code of request_names[i] if name is it. */
static unsigned code_if(const char *name, unsigned i)
{
    return same_name(name, request_names[i])
               ? (RELAY_AJP_CODED_HEADER << 8) | (i + 1)
               : 0;
}

unsigned relay_ajp_request_header_code(const char *name)
{
    /* Told apart by length first: one name or two to compare. */
    switch (strlen(name)) {
    case 4:
        return code_if(name, 10); /* host */
    case 6:
        return code_if(name, 0) | code_if(name, 8) | code_if(name, 11);
    case 7:
        return code_if(name, 9) | code_if(name, 12);
    case 10:
        return code_if(name, 5) | code_if(name, 13);
    case 12:
        return code_if(name, 6); /* content-type */
    case 13:
        return code_if(name, 4); /* authorization */
    case 14:
        return code_if(name, 1) | code_if(name, 7);
    case 15:
        return code_if(name, 2) | code_if(name, 3);
    default:
        return 0;
    }
}

/* "Send Headers": response header names with a code, from 0xA001. */
static const char *const response_names[] = {
    "Content-Type",   "Content-Language", "Content-Length",   "Date",
    "Last-Modified",  "Location",         "Set-Cookie",       "Set-Cookie2",
    "Servlet-Engine", "Status",           "WWW-Authenticate",
};

const char *relay_ajp_response_header_name(unsigned code)
{
    unsigned low = code & 0xff;

    if ((code >> 8) != RELAY_AJP_CODED_HEADER || low < 1 ||
        low > sizeof(response_names) / sizeof(response_names[0])) {
        return NULL;
    }
    return response_names[low - 1];
}

/* ---- Writer ----------------------------------------------------------- */

relay_status_t relay_ajp_packet_begin(relay_ajp_packet_t *pk, char *buf,
                                      apr_size_t cap)
{
    pk->buf = buf;
    pk->cap = cap > RELAY_AJP_PACKET_MAX ? RELAY_AJP_PACKET_MAX : cap;
    pk->len = 0;
    if (pk->cap < RELAY_AJP_HEADER_LEN) {
        return RELAY_ETOOLARGE;
    }
    pk->len = RELAY_AJP_HEADER_LEN;
    return RELAY_OK;
}

/* True when n more bytes fit in the packet. */
static APR_INLINE int room(const relay_ajp_packet_t *pk, apr_size_t n)
{
    return pk->len >= RELAY_AJP_HEADER_LEN && pk->len <= pk->cap &&
           n <= pk->cap - pk->len;
}

relay_status_t relay_ajp_put_byte(relay_ajp_packet_t *pk, apr_byte_t b)
{
    if (!room(pk, 1)) {
        return RELAY_ETOOLARGE;
    }
    pk->buf[pk->len++] = (char)b;
    return RELAY_OK;
}

relay_status_t relay_ajp_put_int(relay_ajp_packet_t *pk, apr_uint16_t v)
{
    if (!room(pk, 2)) {
        return RELAY_ETOOLARGE;
    }
    pk->buf[pk->len++] = byte_of(v, 8);
    pk->buf[pk->len++] = byte_of(v, 0);
    return RELAY_OK;
}

relay_status_t relay_ajp_put_string(relay_ajp_packet_t *pk, const char *s,
                                    apr_size_t len)
{
    /* "Basic Packet Structure": the length does not count the NUL that
     * follows the bytes; 0xFFFF alone is the null string. */
    if (s == NULL) {
        return relay_ajp_put_int(pk, NULL_STRING);
    }
    if (len >= NULL_STRING || !room(pk, len + 3)) {
        return RELAY_ETOOLARGE;
    }
    relay_ajp_put_int(pk, (apr_uint16_t)len);
    if (len > 0) {
        memcpy(pk->buf + pk->len, s, len);
    }
    pk->len += len;
    pk->buf[pk->len++] = '\0';
    return RELAY_OK;
}

apr_size_t relay_ajp_packet_finish(relay_ajp_packet_t *pk)
{
    apr_size_t payload = pk->len - RELAY_AJP_HEADER_LEN;

    if (pk->len < RELAY_AJP_HEADER_LEN) {
        return 0;
    }
    /* "Packet Headers": 0x1234, then the payload length. */
    pk->buf[0] = byte_of(RELAY_AJP_MAGIC_SERVER, 8);
    pk->buf[1] = byte_of(RELAY_AJP_MAGIC_SERVER, 0);
    pk->buf[2] = byte_of(payload, 8);
    pk->buf[3] = byte_of(payload, 0);
    return pk->len;
}

/* A NUL-terminated string, or the null string for NULL: what
 * relay_ajp_put_string() writes, inline for the request's many strings. */
static APR_INLINE relay_status_t put_cstring(relay_ajp_packet_t *pk,
                                             const char *s)
{
    apr_size_t len;

    if (s == NULL) {
        return relay_ajp_put_int(pk, NULL_STRING);
    }
    len = strlen(s);
    if (len >= NULL_STRING || !room(pk, len + 3)) {
        return RELAY_ETOOLARGE;
    }
    pk->buf[pk->len] = byte_of(len, 8);
    pk->buf[pk->len + 1] = byte_of(len, 0);
    memcpy(pk->buf + pk->len + 2, s, len + 1); /* and its NUL */
    pk->len += len + 3;
    return RELAY_OK;
}

/* A header name: its code when it has one ("Headers"), else a string. */
static relay_status_t put_header_name(relay_ajp_packet_t *pk, const char *name)
{
    unsigned code = name != NULL ? relay_ajp_request_header_code(name) : 0;

    if (code != 0) {
        return relay_ajp_put_int(pk, (apr_uint16_t)code);
    }
    return put_cstring(pk, name);
}

/* The decimal number in s, or -1 when s is not one of at most 65535. */
static long key_size(const char *s)
{
    long n = 0;

    if (s == NULL || *s == '\0') {
        return -1;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        n = n * 10 + (*s - '0');
        if (n > 0xFFFF) {
            return -1;
        }
    }
    return n;
}

/* One optional attribute ("Attributes"). */
static relay_status_t put_attribute(relay_ajp_packet_t *pk,
                                    const relay_ajp_attribute_t *a)
{
    relay_status_t rv;
    long n = 0;

    if (a->code == RELAY_AJP_A_SSL_KEY_SIZE) {
        n = key_size(a->value);
        if (n < 0) {
            return RELAY_OK;
        }
    }
    rv = relay_ajp_put_byte(pk, a->code);
    if (rv == RELAY_OK && a->code == RELAY_AJP_A_REQ_ATTRIBUTE) {
        rv = put_cstring(pk, a->name);
    }
    if (rv != RELAY_OK) {
        return rv;
    }
    if (a->code == RELAY_AJP_A_SSL_KEY_SIZE) {
        return relay_ajp_put_int(pk, (apr_uint16_t)n);
    }
    return put_cstring(pk, a->value);
}

relay_status_t relay_ajp_forward_request_write(char *buf, apr_size_t cap,
                                               const relay_ajp_request_t *req,
                                               apr_size_t *len)
{
    relay_ajp_packet_t pk;
    relay_status_t rv;
    int i;

    /* "Request Packet Structure": AJP13_FORWARD_REQUEST. */
    if (req->nheaders < 0 || req->nheaders > 0xFFFF) {
        return RELAY_ETOOLARGE;
    }
    rv = relay_ajp_packet_begin(&pk, buf, cap);
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_byte(&pk, RELAY_AJP_FORWARD_REQUEST);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_byte(&pk, (apr_byte_t)req->method);
    }
    if (rv == RELAY_OK) {
        rv = put_cstring(&pk, req->protocol);
    }
    if (rv == RELAY_OK) {
        rv = put_cstring(&pk, req->req_uri);
    }
    if (rv == RELAY_OK) {
        rv = put_cstring(&pk, req->remote_addr);
    }
    if (rv == RELAY_OK) {
        rv = put_cstring(&pk, req->remote_host);
    }
    if (rv == RELAY_OK) {
        rv = put_cstring(&pk, req->server_name);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_int(&pk, req->server_port);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_byte(&pk, req->is_ssl ? 1 : 0);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_int(&pk, (apr_uint16_t)req->nheaders);
    }
    for (i = 0; rv == RELAY_OK && i < req->nheaders; i++) {
        rv = put_header_name(&pk, req->headers[i].name);
        if (rv == RELAY_OK) {
            rv = put_cstring(&pk, req->headers[i].value);
        }
    }
    for (i = 0; rv == RELAY_OK && i < req->nattributes; i++) {
        rv = put_attribute(&pk, &req->attributes[i]);
    }
    if (rv == RELAY_OK) {
        rv = relay_ajp_put_byte(&pk, RELAY_AJP_A_ARE_DONE);
    }
    if (rv != RELAY_OK) {
        return rv;
    }
    *len = relay_ajp_packet_finish(&pk);
    return RELAY_OK;
}

relay_status_t relay_ajp_body_write(char *buf, apr_size_t cap, const char *data,
                                    apr_size_t n, apr_size_t *len)
{
    relay_ajp_packet_t pk;

    /* "Get Body Chunk": no more body is the empty packet, 12 34 00 00. */
    if (relay_ajp_packet_begin(&pk, buf, cap) != RELAY_OK) {
        return RELAY_ETOOLARGE;
    }
    if (n > 0) {
        if (pk.cap < RELAY_AJP_BODY_HEADER_LEN ||
            n > pk.cap - RELAY_AJP_BODY_HEADER_LEN) {
            return RELAY_ETOOLARGE;
        }
        relay_ajp_put_int(&pk, (apr_uint16_t)n);
        memmove(pk.buf + pk.len, data, n);
        pk.len += n;
    }
    *len = relay_ajp_packet_finish(&pk);
    return RELAY_OK;
}

void relay_ajp_cping_write(char *out)
{
    relay_ajp_packet_t pk;

    relay_ajp_packet_begin(&pk, out, RELAY_AJP_CPING_LEN);
    relay_ajp_put_byte(&pk, RELAY_AJP_CPING);
    relay_ajp_packet_finish(&pk);
}

/* ---- Reader ----------------------------------------------------------- */

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
    if (n == NULL_STRING && nullable) {
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
