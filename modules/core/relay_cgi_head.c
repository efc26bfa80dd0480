/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The CGI response header block (RFC 3875 §6), as a FastCGI Responder
 * sends it on STDOUT.
 *
 * A byte-at-a-time state machine over field lines. The field being read
 * waits in a buffer of max_line bytes until the first byte of the next line
 * shows it is not continued by obs-fold (RFC 9112 §5.2); it is then checked
 * and copied into the pool, so the work is linear in the bytes received and
 * the memory bounded by the limits, however the input is split. The Status
 * field (RFC 3875 §6.3.3) is taken out of the table and parsed; Location
 * (RFC 3875 §6.3.2) is classified for the glue's redirect rules.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_cgi_head.h"
#include "relay/relay_headers.h"

/* Limits used for a zero field of relay_cgi_head_limits_t. */
#define DEFAULT_MAX_HEAD 65536
#define DEFAULT_MAX_LINE 8192
#define DEFAULT_MAX_FIELDS 100

enum {
    ST_LINE_START = 0, /* first byte of a line */
    ST_NAME,           /* field name, up to the colon */
    ST_VALUE_OWS,      /* whitespace before a value or continuation */
    ST_VALUE,          /* field value */
    ST_VALUE_CR,       /* CR at the end of a field line */
    ST_END_CR,         /* CR at the start of a line: the empty line */
    ST_DONE            /* the empty line has been read */
};

struct relay_cgi_head_parser_t {
    int state;                   /* negative: the sticky error */
    relay_cgi_head_limits_t lim; /* with the defaults filled in */
    apr_pool_t *pool;
    char *buf;           /* the pending field: its name, then its value */
    apr_size_t name_len; /* bytes of buf holding the name */
    apr_size_t buf_len;  /* bytes of buf in use */
    apr_size_t line_len; /* bytes of the current line, line end excluded */
    apr_size_t total;    /* bytes of the block so far */
    int fields;          /* field lines started */
    int pending;         /* buf holds a field not stored yet */
    relay_cgi_head_t head;
};

static int is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* A control character other than HTAB: not allowed in a field value
 * (RFC 9110 §5.5). Covers NUL and CR. */
static int is_bad_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

relay_cgi_head_parser_t *
relay_cgi_head_parser_make(apr_pool_t *pool,
                           const relay_cgi_head_limits_t *limits)
{
    relay_cgi_head_parser_t *p = apr_pcalloc(pool, sizeof(*p));

    p->lim.max_head = DEFAULT_MAX_HEAD;
    p->lim.max_line = DEFAULT_MAX_LINE;
    p->lim.max_fields = DEFAULT_MAX_FIELDS;
    if (limits != NULL) {
        if (limits->max_head > 0) {
            p->lim.max_head = limits->max_head;
        }
        if (limits->max_line > 0) {
            p->lim.max_line = limits->max_line;
        }
        if (limits->max_fields > 0) {
            p->lim.max_fields = limits->max_fields;
        }
    }
    p->pool = pool;
    p->buf = apr_palloc(pool, p->lim.max_line);
    p->state = ST_LINE_START;
    p->head.headers = apr_table_make(pool, 16);
    return p;
}

const relay_cgi_head_t *relay_cgi_head_result(const relay_cgi_head_parser_t *p)
{
    return &p->head;
}

/* Adds one byte to the pending field; it must fit in max_line. */
static relay_status_t buf_add(relay_cgi_head_parser_t *p, char c)
{
    if (p->buf_len >= p->lim.max_line) {
        return RELAY_ETOOLARGE;
    }
    p->buf[p->buf_len++] = c;
    return RELAY_AGAIN;
}

/* Counts one byte of the current line against max_line. */
static relay_status_t line_add(relay_cgi_head_parser_t *p)
{
    return ++p->line_len > p->lim.max_line ? RELAY_ETOOLARGE : RELAY_AGAIN;
}

/*
 * RFC 3875 §6.3.3: Status = "Status:" status-code SP reason-phrase. The
 * code must be three digits in 100..599 (RFC 9110 §15); the reason may be
 * missing, as many applications send "Status: 404" alone.
 */
static relay_status_t store_status(relay_cgi_head_parser_t *p, const char *v,
                                   apr_size_t len)
{
    apr_size_t i;
    int code = 0;

    if (p->head.status != 0 || len < 3) {
        return RELAY_EBADSTATUS;
    }
    for (i = 0; i < 3; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return RELAY_EBADSTATUS;
        }
        code = code * 10 + (v[i] - '0');
    }
    if (code < 100 || code > 599 || (len > 3 && !is_ows((unsigned char)v[3]))) {
        return RELAY_EBADSTATUS;
    }
    while (i < len && is_ows((unsigned char)v[i])) {
        i++;
    }
    p->head.status = code;
    p->head.reason = i < len ? apr_pstrmemdup(p->pool, v + i, len - i) : NULL;
    return RELAY_AGAIN;
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
 * followed by ":". */
static int has_scheme(const char *v)
{
    const char *s = v;

    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
        return 0;
    }
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
           (*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.') {
        s++;
    }
    return *s == ':';
}

/*
 * RFC 3875 §6.3.2: Location is a local-Location (an abs-path the server
 * resolves itself) or a client-Location (an absolute URI sent on to the
 * client). Two Location fields would make the redirect ambiguous.
 */
static relay_status_t note_location(relay_cgi_head_parser_t *p,
                                    const char *value)
{
    if (p->head.location != RELAY_CGI_LOCATION_NONE) {
        return RELAY_EBADHEADER;
    }
    p->head.location_value = value;
    if (value[0] == '/' && value[1] != '/') {
        /* An abs-path; "//host/..." is a network-path reference, another
         * server's, never served locally. */
        p->head.location = RELAY_CGI_LOCATION_LOCAL;
    }
    else if (has_scheme(value)) {
        p->head.location = RELAY_CGI_LOCATION_ABSOLUTE;
    }
    else {
        p->head.location = RELAY_CGI_LOCATION_OTHER;
    }
    return RELAY_AGAIN;
}

/* The pending field is complete: Status is parsed, anything else goes into
 * the table (apr_table_addn, so repeated fields such as Set-Cookie stay
 * apart, RFC 9110 §5.3). Trailing whitespace is not part of the value
 * (RFC 9112 §5). */
static relay_status_t store_field(relay_cgi_head_parser_t *p)
{
    const char *name, *value;
    apr_size_t vlen = p->buf_len - p->name_len;

    p->pending = 0;
    while (vlen > 0 && is_ows((unsigned char)p->buf[p->name_len + vlen - 1])) {
        vlen--;
    }
    name = apr_pstrmemdup(p->pool, p->buf, p->name_len);
    if (relay_header_name_is(name, "Status")) {
        return store_status(p, p->buf + p->name_len, vlen);
    }
    value = apr_pstrmemdup(p->pool, p->buf + p->name_len, vlen);
    apr_table_addn(p->head.headers, name, value);
    if (relay_header_name_is(name, "Location")) {
        return note_location(p, value);
    }
    return RELAY_AGAIN;
}

/*
 * RFC 9112 §5.2: obs-fold = OWS CRLF RWS; a recipient may replace each
 * one with SP before interpreting the value. The whitespace ending the
 * pending value is dropped here and that of the new line skipped next, so
 * the fold becomes one space (none when the value is still empty).
 */
static relay_status_t start_fold(relay_cgi_head_parser_t *p)
{
    if (!p->pending) {
        return RELAY_EBADHEADER;
    }
    while (p->buf_len > p->name_len &&
           is_ows((unsigned char)p->buf[p->buf_len - 1])) {
        p->buf_len--;
    }
    p->state = ST_VALUE_OWS;
    if (p->buf_len > p->name_len) {
        return buf_add(p, ' ');
    }
    return RELAY_AGAIN;
}

/* The empty line ends the block (RFC 3875 §6.2). */
static relay_status_t end_block(relay_cgi_head_parser_t *p)
{
    relay_status_t rv = p->pending ? store_field(p) : RELAY_AGAIN;

    if (rv < 0) {
        return rv;
    }
    p->state = ST_DONE;
    return RELAY_OK;
}

/* The first byte of a line: the empty line, a continuation, or the name
 * of the next field, which means the pending one is complete. */
static relay_status_t line_start(relay_cgi_head_parser_t *p, unsigned char c)
{
    relay_status_t rv;

    p->line_len = 0;
    if (c == '\n') {
        return end_block(p);
    }
    if (c == '\r') {
        p->state = ST_END_CR;
        return RELAY_AGAIN;
    }
    if (line_add(p) < 0) {
        return RELAY_ETOOLARGE;
    }
    if (is_ows(c)) {
        return start_fold(p);
    }
    if (p->pending && (rv = store_field(p)) < 0) {
        return rv;
    }
    if (++p->fields > p->lim.max_fields) {
        return RELAY_ETOOLARGE;
    }
    if (!relay_header_is_tchar(c)) {
        return RELAY_EBADHEADER;
    }
    p->buf_len = 0;
    p->state = ST_NAME;
    return buf_add(p, (char)c);
}

/* RFC 9110 §5.1: field-name = token, ended by ":" with no whitespace
 * before it (RFC 9112 §5.1). */
static relay_status_t name_byte(relay_cgi_head_parser_t *p, unsigned char c)
{
    if (c == ':') {
        p->name_len = p->buf_len;
        p->state = ST_VALUE_OWS;
        return line_add(p);
    }
    if (!relay_header_is_tchar(c)) {
        return RELAY_EBADHEADER;
    }
    if (line_add(p) < 0) {
        return RELAY_ETOOLARGE;
    }
    return buf_add(p, (char)c);
}

/* A byte of a field value, or of the whitespace before it. */
static relay_status_t value_byte(relay_cgi_head_parser_t *p, unsigned char c)
{
    if (c == '\r') {
        p->state = ST_VALUE_CR;
        return RELAY_AGAIN;
    }
    if (c == '\n') {
        p->pending = 1;
        p->state = ST_LINE_START;
        return RELAY_AGAIN;
    }
    if (is_bad_ctl(c)) {
        return RELAY_EBADHEADER;
    }
    if (line_add(p) < 0) {
        return RELAY_ETOOLARGE;
    }
    if (p->state == ST_VALUE_OWS && is_ows(c)) {
        return RELAY_AGAIN;
    }
    p->state = ST_VALUE;
    return buf_add(p, (char)c);
}

/* One byte of the block: RELAY_AGAIN to go on, RELAY_OK at its end. */
static relay_status_t step(relay_cgi_head_parser_t *p, unsigned char c)
{
    if (++p->total > p->lim.max_head) {
        return RELAY_ETOOLARGE;
    }
    switch (p->state) {
    case ST_LINE_START:
        return line_start(p, c);
    case ST_NAME:
        return name_byte(p, c);
    case ST_VALUE_CR:
        /* A CR not followed by LF is a bare CR (RFC 9112 §2.2). */
        if (c != '\n') {
            return RELAY_EBADHEADER;
        }
        p->pending = 1;
        p->state = ST_LINE_START;
        return RELAY_AGAIN;
    case ST_END_CR:
        return c == '\n' ? end_block(p) : RELAY_EBADHEADER;
    default:
        return value_byte(p, c);
    }
}

relay_status_t relay_cgi_head_parse(relay_cgi_head_parser_t *p, const char *in,
                                    apr_size_t len, apr_size_t *consumed)
{
    apr_size_t pos;

    *consumed = 0;
    if (p->state < 0) {
        return (relay_status_t)p->state;
    }
    if (p->state == ST_DONE) {
        return RELAY_OK;
    }
    for (pos = 0; pos < len; pos++) {
        relay_status_t rv = step(p, (unsigned char)in[pos]);

        if (rv < 0) {
            p->state = (int)rv;
            return rv;
        }
        if (rv == RELAY_OK) {
            *consumed = pos + 1;
            return RELAY_OK;
        }
    }
    *consumed = len;
    return RELAY_AGAIN;
}

relay_status_t relay_cgi_head_finish(relay_cgi_head_parser_t *p)
{
    if (p->state < 0) {
        return (relay_status_t)p->state;
    }
    return p->state == ST_DONE ? RELAY_OK : RELAY_ETRUNCATED;
}
