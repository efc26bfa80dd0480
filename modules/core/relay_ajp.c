/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * AJP/1.3 packets (the Apache Tomcat "AJPv13" protocol reference): the
 * code tables and the writers of what a web server sends. The reader of
 * what a servlet container sends back is relay_ajp_reader.c.
 *
 * The writers append the data types of "Basic Packet Structure" to a
 * caller's buffer and refuse, without writing, whatever would not fit.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_ajp.h"

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
        return relay_ajp_put_int(pk, RELAY_AJP_NULL_STRING);
    }
    if (len >= RELAY_AJP_NULL_STRING || !room(pk, len + 3)) {
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
        return relay_ajp_put_int(pk, RELAY_AJP_NULL_STRING);
    }
    len = strlen(s);
    if (len >= RELAY_AJP_NULL_STRING || !room(pk, len + 3)) {
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
