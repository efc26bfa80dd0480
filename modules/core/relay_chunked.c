/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Decoder for the chunked transfer coding (RFC 9112 §7.1).
 *
 * A byte-at-a-time state machine over the framing, with the payload passed
 * over in runs: the decoder points at payload inside the caller's input and
 * never copies it. The state fits in relay_chunked_t, so input may be split
 * anywhere, and a failure is sticky: once the framing is known to be bad,
 * every later call returns the same error.
 */
#include "relay/relay_chunked.h"
#include "relay/relay_headers.h"

#define DEFAULT_MAX_LINE 4096

/* 16 hex digits fill 64 bits; more can only overflow (or be padding). */
#define MAX_SIZE_DIGITS 16

/* The largest value an apr_off_t can hold. */
#define OFF_MAX                                                                \
    ((apr_off_t)((((apr_uint64_t)1) << (sizeof(apr_off_t) * 8 - 1)) - 1))

enum {
    ST_SIZE = 0,     /* chunk-size digits */
    ST_SIZE_WS,      /* BWS after the size */
    ST_EXT,          /* chunk extensions, skipped */
    ST_SIZE_LF,      /* CR seen at the end of the size line */
    ST_DATA,         /* chunk-data */
    ST_DATA_CR,      /* the CRLF that must follow chunk-data */
    ST_DATA_LF,      /* CR seen after chunk-data */
    ST_TRAILER,      /* start of a trailer line, or of the final CRLF */
    ST_TRAILER_LINE, /* inside a trailer field line, skipped */
    ST_TRAILER_LF,   /* CR seen at the end of a trailer line */
    ST_END_LF,       /* CR seen on the final empty line */
    ST_DONE          /* the whole chunked body has been read */
};

/* A control character other than HTAB: not allowed in a chunk extension
 * (RFC 9112 §7.1.1) or a trailer field (RFC 9110 §5.5). */
static int is_bad_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static relay_status_t fail(relay_chunked_t *dec, relay_status_t rv)
{
    dec->state = (int)rv;
    return rv;
}

/* The size line is complete: a zero size is the last-chunk (RFC 9112
 * §7.1), followed by the trailer section. */
static void end_size_line(relay_chunked_t *dec)
{
    dec->line_len = 0;
    dec->digits = 0;
    dec->state = dec->remaining > 0 ? ST_DATA : ST_TRAILER;
}

void relay_chunked_init(relay_chunked_t *dec, apr_size_t max_line)
{
    dec->state = ST_SIZE;
    dec->remaining = 0;
    dec->line_len = 0;
    dec->digits = 0;
    dec->max_line = max_line > 0 ? max_line : DEFAULT_MAX_LINE;
}

relay_status_t relay_chunked_decode(relay_chunked_t *dec, const char *in,
                                    apr_size_t len, apr_size_t *consumed,
                                    apr_size_t *data_off, apr_size_t *data_len)
{
    apr_size_t pos = 0;
    apr_size_t max_line = dec->max_line > 0 ? dec->max_line : DEFAULT_MAX_LINE;

    *consumed = 0;
    *data_off = 0;
    *data_len = 0;
    if (dec->state < 0) {
        return (relay_status_t)dec->state;
    }

    while (pos < len && dec->state != ST_DONE) {
        char c = in[pos];
        int h;

        if (dec->state == ST_DATA) {
            apr_size_t n = len - pos;

            if ((apr_uint64_t)n > (apr_uint64_t)dec->remaining) {
                n = (apr_size_t)dec->remaining;
            }
            *data_off = pos;
            *data_len = n;
            dec->remaining -= (apr_off_t)n;
            if (dec->remaining == 0) {
                dec->state = ST_DATA_CR;
            }
            *consumed = pos + n;
            return RELAY_AGAIN;
        }
        pos++;

        switch (dec->state) {
        case ST_SIZE:
            /* chunk-size = 1*HEXDIG; "0x10" and the like are malformed. */
            h = relay_hex_digit(c);
            if (h >= 0) {
                if (++dec->digits > MAX_SIZE_DIGITS ||
                    dec->remaining > (OFF_MAX - h) / 16) {
                    return fail(dec, RELAY_EBADCHUNK);
                }
                dec->remaining = dec->remaining * 16 + h;
            }
            else if (dec->digits == 0) {
                return fail(dec, RELAY_EBADCHUNK);
            }
            else if (c == ';') {
                dec->state = ST_EXT;
            }
            else if (c == ' ' || c == '\t') {
                dec->state = ST_SIZE_WS;
            }
            else if (c == '\r') {
                dec->state = ST_SIZE_LF;
            }
            else if (c == '\n') {
                end_size_line(dec);
            }
            else {
                return fail(dec, RELAY_EBADCHUNK);
            }
            break;

        case ST_SIZE_WS:
            /* RFC 9112 §7.1.1: BWS may precede the ';' of an extension;
             * trailing whitespace is tolerated as httpd does. */
            if (c == ';') {
                dec->state = ST_EXT;
            }
            else if (c == '\r') {
                dec->state = ST_SIZE_LF;
            }
            else if (c == '\n') {
                end_size_line(dec);
            }
            else if (c != ' ' && c != '\t') {
                return fail(dec, RELAY_EBADCHUNK);
            }
            break;

        case ST_EXT:
            /* RFC 9112 §7.1.1: a recipient ignores extensions it does not
             * understand; Relay understands none. */
            if (c == '\r') {
                dec->state = ST_SIZE_LF;
            }
            else if (c == '\n') {
                end_size_line(dec);
            }
            else if (is_bad_ctl((unsigned char)c)) {
                return fail(dec, RELAY_EBADCHUNK);
            }
            break;

        case ST_SIZE_LF:
        case ST_DATA_LF:
            if (c != '\n') {
                return fail(dec, RELAY_EBADCHUNK);
            }
            if (dec->state == ST_SIZE_LF) {
                end_size_line(dec);
            }
            else {
                dec->state = ST_SIZE;
            }
            break;

        case ST_DATA_CR:
            /* RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF
             * chunk-data CRLF. Anything but the line end here means the
             * size was a lie; a bare LF is accepted (RFC 9112 §2.2). */
            if (c == '\r') {
                dec->state = ST_DATA_LF;
            }
            else if (c == '\n') {
                dec->state = ST_SIZE;
            }
            else {
                return fail(dec, RELAY_EBADCHUNK);
            }
            break;

        case ST_TRAILER:
            /* RFC 9112 §7.1.2: trailer fields may be discarded. */
            if (c == '\r') {
                dec->state = ST_END_LF;
            }
            else if (c == '\n') {
                dec->state = ST_DONE;
            }
            else if (is_bad_ctl((unsigned char)c)) {
                return fail(dec, RELAY_EBADCHUNK);
            }
            else {
                dec->state = ST_TRAILER_LINE;
                dec->line_len = 1;
            }
            break;

        case ST_TRAILER_LINE:
            if (c == '\r') {
                dec->state = ST_TRAILER_LF;
            }
            else if (c == '\n') {
                dec->state = ST_TRAILER;
                dec->line_len = 0;
            }
            else if (is_bad_ctl((unsigned char)c)) {
                return fail(dec, RELAY_EBADCHUNK);
            }
            else {
                dec->line_len++;
            }
            break;

        case ST_TRAILER_LF:
            if (c != '\n') {
                return fail(dec, RELAY_EBADCHUNK);
            }
            dec->state = ST_TRAILER;
            dec->line_len = 0;
            break;

        case ST_END_LF:
            if (c != '\n') {
                return fail(dec, RELAY_EBADCHUNK);
            }
            dec->state = ST_DONE;
            break;

        default:
            return fail(dec, RELAY_EBADCHUNK);
        }

        /* Size, extension and trailer bytes all count against max_line. */
        if (dec->state == ST_SIZE || dec->state == ST_SIZE_WS ||
            dec->state == ST_EXT) {
            if (c != '\n' && ++dec->line_len > max_line) {
                return fail(dec, RELAY_ETOOLARGE);
            }
        }
        else if (dec->state == ST_TRAILER_LINE && dec->line_len > max_line) {
            return fail(dec, RELAY_ETOOLARGE);
        }
    }

    *consumed = pos;
    return dec->state == ST_DONE ? RELAY_OK : RELAY_AGAIN;
}

int relay_chunked_done(const relay_chunked_t *dec)
{
    return dec->state == ST_DONE;
}
