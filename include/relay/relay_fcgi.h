/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * FastCGI 1.0 framing, for a web server talking to a Responder: the record
 * layout and constants (FastCGI spec §3.3 and §8), the writers of the
 * records a web server sends (BEGIN_REQUEST, and the name-value pairs of
 * PARAMS, §3.4 and §5.2), and an incremental reader of the records an
 * application sends back (STDOUT, STDERR, END_REQUEST, management records).
 *
 * Ownership: the writers fill buffers the caller owns and allocate nothing.
 * The reader is a few integers in a struct the caller owns; it never copies
 * the input, so the content runs it reports point into the caller's input
 * and live as long as that input does. Nothing here knows about sockets,
 * pools or httpd: the glue moves the bytes.
 */
#ifndef RELAY_FCGI_H
#define RELAY_FCGI_H

#include <apr.h>

#include "relay/relay_status.h"

/* §3.3: the version in every record header; the header's size. */
#define RELAY_FCGI_VERSION 1
#define RELAY_FCGI_HEADER_LEN 8

/* §3.3: contentLength is 16 bits, so a record carries at most this much. */
#define RELAY_FCGI_MAX_CONTENT 65535

/* §3.3: request id 0 (the null request id) marks a management record. */
#define RELAY_FCGI_NULL_REQUEST_ID 0

/* §8: record types. */
#define RELAY_FCGI_BEGIN_REQUEST 1
#define RELAY_FCGI_ABORT_REQUEST 2
#define RELAY_FCGI_END_REQUEST 3
#define RELAY_FCGI_PARAMS 4
#define RELAY_FCGI_STDIN 5
#define RELAY_FCGI_STDOUT 6
#define RELAY_FCGI_STDERR 7
#define RELAY_FCGI_DATA 8
#define RELAY_FCGI_GET_VALUES 9
#define RELAY_FCGI_GET_VALUES_RESULT 10
#define RELAY_FCGI_UNKNOWN_TYPE 11
#define RELAY_FCGI_MAXTYPE RELAY_FCGI_UNKNOWN_TYPE

/* §5.1: the role of a BEGIN_REQUEST (only Responder is used by Relay), its
 * flag asking the application to keep the connection open, and the size of
 * the whole record (header and 8-byte body). */
#define RELAY_FCGI_RESPONDER 1
#define RELAY_FCGI_KEEP_CONN 1
#define RELAY_FCGI_BEGIN_REQUEST_LEN 16

/* §5.5: protocolStatus of an END_REQUEST, whose body is always 8 bytes. */
#define RELAY_FCGI_REQUEST_COMPLETE 0
#define RELAY_FCGI_CANT_MPX_CONN 1
#define RELAY_FCGI_OVERLOADED 2
#define RELAY_FCGI_UNKNOWN_ROLE 3
#define RELAY_FCGI_END_REQUEST_BODY_LEN 8

/* §3.4: a name or value length is at most 31 bits. */
#define RELAY_FCGI_MAX_PAIR_LEN 0x7fffffffUL

/*
 * Writes a record header (§3.3) into out[0, RELAY_FCGI_HEADER_LEN): version
 * 1, the type, the request id, the content length and the padding length,
 * all big-endian. The caller sends the content and padding after it.
 */
void relay_fcgi_header_write(char *out, apr_byte_t type,
                             apr_uint16_t request_id,
                             apr_uint16_t content_length,
                             apr_byte_t padding_length);

/*
 * The padding that brings a record of `content_length` bytes to a multiple
 * of 8, as §3.3 recommends (0..7). Padding bytes may hold anything.
 */
apr_byte_t relay_fcgi_padding(apr_size_t content_length);

/*
 * Writes a whole BEGIN_REQUEST record (§5.1) into
 * out[0, RELAY_FCGI_BEGIN_REQUEST_LEN): the header, the role and the flags
 * byte (RELAY_FCGI_KEEP_CONN when keep_conn is non-zero).
 */
void relay_fcgi_begin_request_write(char *out, apr_uint16_t request_id,
                                    apr_uint16_t role, int keep_conn);

/*
 * The bytes a name-value pair takes in a PARAMS stream (§3.4): one length
 * byte for a length up to 127, four above that, then the name and the
 * value. 0 when a length is over RELAY_FCGI_MAX_PAIR_LEN (or the sum does
 * not fit in an apr_size_t): such a pair cannot be sent.
 */
apr_size_t relay_fcgi_pair_size(apr_size_t name_len, apr_size_t value_len);

/*
 * Writes the two lengths of a pair (§3.4) into out, which has room for 8
 * bytes, and returns how many were written (2 to 8), or 0 for a length
 * over RELAY_FCGI_MAX_PAIR_LEN. PARAMS is a stream (§5.2), so a pair too
 * big for one record may be sent as these bytes followed by the name and
 * value cut across as many records as needed.
 */
apr_size_t relay_fcgi_pair_lengths_write(char *out, apr_size_t name_len,
                                         apr_size_t value_len);

/*
 * Appends one pair to buf[*used, cap) and advances *used. Returns RELAY_OK;
 * RELAY_ENOSPACE when the pair does not fit in what is left (nothing is
 * written: the caller sends the record it has and starts a new one, with
 * cap at most RELAY_FCGI_MAX_CONTENT); RELAY_ETOOLARGE when a length is over
 * RELAY_FCGI_MAX_PAIR_LEN. Names and values may hold any bytes.
 */
relay_status_t relay_fcgi_pair_append(char *buf, apr_size_t cap,
                                      apr_size_t *used, const char *name,
                                      apr_size_t name_len, const char *value,
                                      apr_size_t value_len);

/*
 * Reads the pair at the front of buf[0, len), the content of a PARAMS
 * stream or of a GET_VALUES_RESULT record (§3.4, §4.1). On RELAY_OK the
 * name and value point into buf and *used is the pair's size; RELAY_AGAIN
 * when buf ends inside the pair.
 */
relay_status_t relay_fcgi_pair_read(const char *buf, apr_size_t len,
                                    apr_size_t *used, const char **name,
                                    apr_size_t *name_len, const char **value,
                                    apr_size_t *value_len);

/* What one call of relay_fcgi_read() found. */
typedef enum relay_fcgi_event_kind_e {
    RELAY_FCGI_EV_NONE = 0,   /* nothing yet: the input was used up */
    RELAY_FCGI_EV_RECORD,     /* header of a STDOUT, STDERR or END_REQUEST
                                 record for the expected request id */
    RELAY_FCGI_EV_MANAGEMENT, /* header of a record for request id 0 */
    RELAY_FCGI_EV_UNKNOWN,    /* header of a record of a type FastCGI 1.0
                                 does not define, for the expected id */
    RELAY_FCGI_EV_CONTENT,    /* content bytes of the current record */
    RELAY_FCGI_EV_END_REQUEST /* the END_REQUEST record was read whole */
} relay_fcgi_event_kind_t;

typedef struct relay_fcgi_event_t {
    relay_fcgi_event_kind_t kind;
    /* The current record, for every kind but RELAY_FCGI_EV_NONE. */
    int type;
    apr_uint16_t request_id;
    apr_size_t content_length;
    /* RELAY_FCGI_EV_CONTENT: the run is in[data_off, data_off + data_len),
     * inside the bytes the call consumed. */
    apr_size_t data_off;
    apr_size_t data_len;
    /* RELAY_FCGI_EV_END_REQUEST: the body's two fields (§5.5). */
    apr_uint32_t app_status;
    int protocol_status;
} relay_fcgi_event_t;

typedef struct relay_fcgi_reader_t {
    int state;               /* private; negative: the sticky error */
    apr_uint16_t request_id; /* the id the caller's request uses */
    apr_size_t max_stderr;   /* largest STDERR record content accepted */
    int pos;                 /* private: byte of the header or body */
    int type;                /* private: the current record */
    apr_uint16_t rec_id;     /* private */
    apr_size_t content_len;  /* private */
    apr_size_t remaining;    /* private: content bytes still to come */
    apr_size_t padding;      /* private: padding bytes still to come */
    apr_uint32_t app_status; /* private: END_REQUEST body */
    int protocol_status;     /* private */
} relay_fcgi_reader_t;

/*
 * Readies a reader for the records of one request. request_id is the
 * non-zero id the caller gave in its BEGIN_REQUEST; max_stderr bounds the
 * content of a STDERR record (0: only the 65535 of §3.3).
 */
void relay_fcgi_reader_init(relay_fcgi_reader_t *rd, apr_uint16_t request_id,
                            apr_size_t max_stderr);

/*
 * Reads records from in[0, len). Sets *consumed to the input bytes used and
 * *ev to what was found; one call reports at most one thing, so the caller
 * loops until the input is consumed. Padding is skipped without a report.
 * Every record's header is reported (RECORD, MANAGEMENT or UNKNOWN); the
 * content of STDOUT, STDERR, management and unknown records follows as
 * CONTENT runs (a caller skips the runs it does not want); the body of an
 * END_REQUEST is decoded instead. Returns:
 *   RELAY_AGAIN      - input used up, or something found; call again with
 *                      the rest
 *   RELAY_OK         - the END_REQUEST record (padding included) has been
 *                      read; *ev holds its fields and the bytes after
 *                      *consumed belong to whatever follows on the
 *                      connection
 *   RELAY_EBADRECORD - a version other than 1, a request id neither the
 *                      expected one nor 0, an END_REQUEST body that is not
 *                      8 bytes, or a record type only a web server sends
 *   RELAY_ETOOLARGE  - a STDERR record longer than max_stderr
 * Errors are sticky.
 */
relay_status_t relay_fcgi_read(relay_fcgi_reader_t *rd, const char *in,
                               apr_size_t len, apr_size_t *consumed,
                               relay_fcgi_event_t *ev);

/*
 * True when the reader stands between two records (or has read the
 * END_REQUEST): a stream that ends anywhere else ends mid-record, and the
 * request failed (RELAY_ETRUNCATED for the log).
 */
int relay_fcgi_reader_between_records(const relay_fcgi_reader_t *rd);

/* True once the END_REQUEST of the request has been read whole. */
int relay_fcgi_reader_done(const relay_fcgi_reader_t *rd);

#endif
