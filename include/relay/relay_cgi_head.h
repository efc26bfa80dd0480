/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Parsing of the CGI response header block (RFC 3875 §6) that a FastCGI
 * Responder writes at the start of its STDOUT stream: header field lines up
 * to an empty line, no status line, the status given by a Status field.
 *
 * The parser is incremental: the caller feeds each run of STDOUT content as
 * it arrives, in pieces of any size, and every byte is looked at once. It
 * keeps one line buffer of its own (max_line bytes), so the caller need not
 * keep anything between calls. Ownership: the parser, its result and every
 * name and value in it are allocated in the pool given to
 * relay_cgi_head_parser_make() and live as long as that pool; the input is
 * not referenced once a call returns.
 */
#ifndef RELAY_CGI_HEAD_H
#define RELAY_CGI_HEAD_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "relay/relay_status.h"

/*
 * Limits on a header block. A zero field, or a NULL limits pointer, takes
 * the default: 64 KiB head, 8 KiB line, 100 fields. max_line bounds each
 * line without its line end, and also the name and value of a field (the
 * colon and the whitespace around the value not counted) once obs-fold
 * continuation lines are joined to it.
 */
typedef struct relay_cgi_head_limits_t {
    apr_size_t max_head; /* largest block in bytes, the empty line included */
    apr_size_t max_line; /* longest line */
    int max_fields;      /* most field lines, Status included */
} relay_cgi_head_limits_t;

/* What the Location field holds (RFC 3875 §6.3.2), for the redirect rules
 * of RFC 3875 §6.2.2 to §6.2.4, which the glue applies. */
typedef enum relay_cgi_location_e {
    RELAY_CGI_LOCATION_NONE = 0, /* no Location field */
    RELAY_CGI_LOCATION_LOCAL,    /* local-Location: starts with "/" */
    RELAY_CGI_LOCATION_ABSOLUTE, /* client-Location: starts with a scheme */
    RELAY_CGI_LOCATION_OTHER     /* neither: a relative reference */
} relay_cgi_location_t;

typedef struct relay_cgi_head_t {
    apr_table_t *headers;          /* every field but Status, in order */
    int status;                    /* 100..599 from Status, or 0 */
    const char *reason;            /* Status's reason phrase, or NULL */
    relay_cgi_location_t location; /* the kind of the Location field */
    const char *location_value;    /* its value (also in headers), or NULL */
} relay_cgi_head_t;

typedef struct relay_cgi_head_parser_t relay_cgi_head_parser_t;

/* A parser for one header block, allocated in `pool` with its line buffer
 * and result. */
relay_cgi_head_parser_t *
relay_cgi_head_parser_make(apr_pool_t *pool,
                           const relay_cgi_head_limits_t *limits);

/*
 * Parses in[0, len). Returns:
 *   RELAY_AGAIN      - all of the input was used, the block goes on
 *   RELAY_OK         - the empty line ending the block was read; *consumed
 *                      is the offset in `in` of the first body byte (len
 *                      when the body has not started yet)
 *   RELAY_EBADHEADER - a field name that is not a token (RFC 9110 §5.1), a
 *                      line without a colon, a NUL, bare CR or other
 *                      control character in a value (RFC 9110 §5.5), a
 *                      continuation line before any field, or more than
 *                      one Location field
 *   RELAY_EBADSTATUS - a Status field that is not a 3-digit code in
 *                      100..599 with an optional reason, or more than one
 *   RELAY_ETOOLARGE  - the block, a line, or the field count over a limit
 * A bare LF ends a line as CRLF does (the CGI newline is the system's,
 * LF on UNIX, and servers accept CRLF too: RFC 3875 §7). Errors are
 * sticky; once RELAY_OK is returned, later calls return it again and
 * consume nothing.
 */
relay_status_t relay_cgi_head_parse(relay_cgi_head_parser_t *p, const char *in,
                                    apr_size_t len, apr_size_t *consumed);

/*
 * To be called when STDOUT ends: RELAY_OK when the block was complete,
 * RELAY_ETRUNCATED when the stream ended before its empty line, or the
 * error the parser already returned.
 */
relay_status_t relay_cgi_head_finish(relay_cgi_head_parser_t *p);

/* The result, complete once relay_cgi_head_parse() returned RELAY_OK. */
const relay_cgi_head_t *relay_cgi_head_result(const relay_cgi_head_parser_t *p);

#endif
