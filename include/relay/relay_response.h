/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Parsing of an origin's HTTP/1.x response head (RFC 9112 §4 and §5) and
 * the decision of how its body is framed (RFC 9112 §6.3).
 *
 * The caller keeps the bytes received so far in a buffer of its own and
 * calls relay_response_parse_more() again after each read, with a progress
 * record that lets each call resume where the last one stopped.
 * It answers RELAY_AGAIN until the empty line that ends the head has
 * arrived, then RELAY_OK with the head's length, so the bytes after it are
 * the start of the body. Strings in the result are copied into the pool
 * given, so the buffer may be reused once the call returns.
 */
#ifndef RELAY_RESPONSE_H
#define RELAY_RESPONSE_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "relay/relay_status.h"

/* What to do with a header line that is not a valid field line. */
typedef enum relay_bad_header_e {
    RELAY_BAD_HEADER_ERROR = 0, /* fail the parse (ProxyBadHeader IsError) */
    RELAY_BAD_HEADER_IGNORE = 1 /* drop the line (ProxyBadHeader Ignore) */
} relay_bad_header_t;

typedef struct relay_response_head_t {
    int version;          /* 10 for HTTP/1.0, 11 for HTTP/1.1 */
    int status;           /* 100..599 */
    const char *reason;   /* reason phrase, possibly empty */
    apr_table_t *headers; /* field lines in arrival order */
    int bad_lines;        /* lines dropped under RELAY_BAD_HEADER_IGNORE */
} relay_response_head_t;

/*
 * Limits on a head. Line lengths exclude the CRLF; a zero field, or a NULL
 * limits pointer, takes the default (64 KiB head, 8 KiB line, 100 fields).
 */
typedef struct relay_response_limits_t {
    apr_size_t max_head; /* largest head in bytes, status line included */
    apr_size_t max_line; /* longest single line (ProxyIOBufferSize-ish) */
    int max_fields;      /* most field lines accepted */
    relay_bad_header_t bad_header;
} relay_response_limits_t;

/*
 * Parses buf[0..len) as a response head. On RELAY_OK *head_len is the
 * number of bytes the head took (through its final CRLF) and *out is
 * filled; on RELAY_AGAIN more bytes are needed; a negative status tells
 * what is malformed. A bare LF is accepted as a line end (RFC 9112 §2.2).
 * Obsolete line folding (a line starting with SP or HTAB, RFC 9112 §5.2)
 * is replaced by one SP joining the line to the field it continues,
 * except where it could change how the body is delimited: a fold of
 * Content-Length or Transfer-Encoding, or one right after the status line,
 * is RELAY_EOBSFOLD.
 */
relay_status_t relay_response_parse(const char *buf, apr_size_t len,
                                    const relay_response_limits_t *limits,
                                    apr_pool_t *pool,
                                    relay_response_head_t *out,
                                    apr_size_t *head_len);

/*
 * How far the calls on one growing buffer got: zeroed before the first
 * call; the bytes before `checked` are complete, valid lines.
 */
typedef struct relay_response_progress_t {
    apr_size_t checked; /* start of the line still arriving */
    apr_size_t seen;    /* no LF in [checked, seen) */
    int fields;         /* field lines before `checked` */
    int bad_lines;      /* lines dropped before `checked` */
    int fold;           /* what a folded line before `checked` continues */
} relay_response_progress_t;

/*
 * relay_response_parse() for a head read in pieces: each call looks only
 * at what earlier calls with the same `pg` did not, so a head trickling
 * in a byte at a time costs time linear in its length (the complete head
 * is read once more). The buffer may grow between calls but its first
 * bytes must not change.
 */
relay_status_t relay_response_parse_more(relay_response_progress_t *pg,
                                         const char *buf, apr_size_t len,
                                         const relay_response_limits_t *limits,
                                         apr_pool_t *pool,
                                         relay_response_head_t *out,
                                         apr_size_t *head_len);

typedef enum relay_framing_kind_e {
    RELAY_FRAMING_NONE,    /* no body: HEAD, 1xx, 204, 304 */
    RELAY_FRAMING_LENGTH,  /* exactly `length` bytes */
    RELAY_FRAMING_CHUNKED, /* chunked transfer coding */
    RELAY_FRAMING_CLOSE    /* everything until the origin closes */
} relay_framing_kind_t;

typedef struct relay_framing_t {
    relay_framing_kind_t kind;
    apr_off_t length; /* for RELAY_FRAMING_LENGTH */
} relay_framing_t;

/*
 * Decides how the body of a response to a request with the given method is
 * delimited (RFC 9112 §6.3). Conflicting or invalid Content-Length values,
 * Content-Length together with Transfer-Encoding, and a Transfer-Encoding
 * whose last coding is not chunked on an HTTP/1.1 response with a length are
 * errors: the response is not trusted and the connection is not reused.
 */
relay_status_t relay_response_framing(const relay_response_head_t *head,
                                      int request_was_head,
                                      relay_framing_t *out);

/*
 * Parses a Content-Length field value: digits only, no sign, no overflow.
 * A list of identical values ("42, 42") is accepted as one value.
 */
relay_status_t relay_content_length_parse(const char *value, apr_off_t *out);

#endif
