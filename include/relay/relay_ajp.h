/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * AJP/1.3 framing, for a web server talking to a servlet container: the
 * constants of the Apache Tomcat "AJPv13" protocol reference, a writer of
 * the packets a web server sends (FORWARD_REQUEST, request body data,
 * CPING; "Request Packet Structure"), and an incremental reader of the
 * packets a container sends back (SEND_HEADERS, SEND_BODY_CHUNK,
 * GET_BODY_CHUNK, END_RESPONSE, CPONG_REPLY; "Response Packet Structure").
 *
 * Ownership: the writers fill buffers the caller owns and allocate
 * nothing; the strings they are given are copied into the packet, so they
 * need only live for the call. The reader is a few integers plus a buffer
 * the caller owns (one packet's worth, for the life of the reader); it
 * never copies body bytes, so the runs of body it reports point into the
 * caller's input and live as long as that input does. A SEND_HEADERS
 * packet is decoded into a table allocated, with its strings, from the
 * pool passed to the call that completes it. Nothing here knows about
 * sockets or httpd: the glue moves the bytes.
 */
#ifndef RELAY_AJP_H
#define RELAY_AJP_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "relay/relay_status.h"

/* "Packet Headers": the two bytes that open a packet from the web server
 * to the container, and from the container to the web server ("AB"), then
 * a 2-byte payload length; the header is 4 bytes in all. */
#define RELAY_AJP_MAGIC_SERVER 0x1234
#define RELAY_AJP_MAGIC_CONTAINER_0 'A'
#define RELAY_AJP_MAGIC_CONTAINER_1 'B'
#define RELAY_AJP_HEADER_LEN 4

/* "Basic Packet Structure": the string length that means the null string,
 * with no bytes after it. */
#define RELAY_AJP_NULL_STRING 0xFFFF

/* "Packet Size": 8 KiB, header included, is what every container takes;
 * containers can be configured for larger packets, up to 64 KiB. */
#define RELAY_AJP_PACKET_DEFAULT 8192
#define RELAY_AJP_PACKET_MAX 65536

/* "Packet Headers": prefix codes of the packets a web server sends... */
#define RELAY_AJP_FORWARD_REQUEST 2
#define RELAY_AJP_SHUTDOWN 7
#define RELAY_AJP_PING 8
#define RELAY_AJP_CPING 10
/* ...and of those a container sends. */
#define RELAY_AJP_SEND_BODY_CHUNK 3
#define RELAY_AJP_SEND_HEADERS 4
#define RELAY_AJP_END_RESPONSE 5
#define RELAY_AJP_GET_BODY_CHUNK 6
#define RELAY_AJP_CPONG_REPLY 9

/* "method": the HTTP method as one byte. A method outside the table goes
 * as RELAY_AJP_M_STORED, its name in a RELAY_AJP_A_STORED_METHOD
 * attribute. */
#define RELAY_AJP_M_OPTIONS 1
#define RELAY_AJP_M_GET 2
#define RELAY_AJP_M_HEAD 3
#define RELAY_AJP_M_POST 4
#define RELAY_AJP_M_PUT 5
#define RELAY_AJP_M_DELETE 6
#define RELAY_AJP_M_TRACE 7
#define RELAY_AJP_M_PROPFIND 8
#define RELAY_AJP_M_PROPPATCH 9
#define RELAY_AJP_M_MKCOL 10
#define RELAY_AJP_M_COPY 11
#define RELAY_AJP_M_MOVE 12
#define RELAY_AJP_M_LOCK 13
#define RELAY_AJP_M_UNLOCK 14
#define RELAY_AJP_M_ACL 15
#define RELAY_AJP_M_REPORT 16
#define RELAY_AJP_M_VERSION_CONTROL 17
#define RELAY_AJP_M_CHECKIN 18
#define RELAY_AJP_M_CHECKOUT 19
#define RELAY_AJP_M_UNCHECKOUT 20
#define RELAY_AJP_M_SEARCH 21
#define RELAY_AJP_M_MKWORKSPACE 22
#define RELAY_AJP_M_UPDATE 23
#define RELAY_AJP_M_LABEL 24
#define RELAY_AJP_M_MERGE 25
#define RELAY_AJP_M_BASELINE_CONTROL 26
#define RELAY_AJP_M_MKACTIVITY 27
#define RELAY_AJP_M_STORED 0xFF

/* "Headers" (of "Request Packet Structure"): request header names sent
 * as a 2-byte code instead of a string. */
#define RELAY_AJP_REQ_ACCEPT 0xA001
#define RELAY_AJP_REQ_ACCEPT_CHARSET 0xA002
#define RELAY_AJP_REQ_ACCEPT_ENCODING 0xA003
#define RELAY_AJP_REQ_ACCEPT_LANGUAGE 0xA004
#define RELAY_AJP_REQ_AUTHORIZATION 0xA005
#define RELAY_AJP_REQ_CONNECTION 0xA006
#define RELAY_AJP_REQ_CONTENT_TYPE 0xA007
#define RELAY_AJP_REQ_CONTENT_LENGTH 0xA008
#define RELAY_AJP_REQ_COOKIE 0xA009
#define RELAY_AJP_REQ_COOKIE2 0xA00A
#define RELAY_AJP_REQ_HOST 0xA00B
#define RELAY_AJP_REQ_PRAGMA 0xA00C
#define RELAY_AJP_REQ_REFERER 0xA00D
#define RELAY_AJP_REQ_USER_AGENT 0xA00E

/* "Send Headers": response header names a container may send as a code.
 * A name whose first byte is 0xA0 is a code, never a string length. */
#define RELAY_AJP_RES_CONTENT_TYPE 0xA001
#define RELAY_AJP_RES_CONTENT_LANGUAGE 0xA002
#define RELAY_AJP_RES_CONTENT_LENGTH 0xA003
#define RELAY_AJP_RES_DATE 0xA004
#define RELAY_AJP_RES_LAST_MODIFIED 0xA005
#define RELAY_AJP_RES_LOCATION 0xA006
#define RELAY_AJP_RES_SET_COOKIE 0xA007
#define RELAY_AJP_RES_SET_COOKIE2 0xA008
#define RELAY_AJP_RES_SERVLET_ENGINE 0xA009
#define RELAY_AJP_RES_STATUS 0xA00A
#define RELAY_AJP_RES_WWW_AUTHENTICATE 0xA00B
#define RELAY_AJP_CODED_HEADER 0xA0

/* "Attributes": the byte that opens each optional attribute of a
 * FORWARD_REQUEST, and the one that ends the list (and the packet). */
#define RELAY_AJP_A_CONTEXT 0x01
#define RELAY_AJP_A_SERVLET_PATH 0x02
#define RELAY_AJP_A_REMOTE_USER 0x03
#define RELAY_AJP_A_AUTH_TYPE 0x04
#define RELAY_AJP_A_QUERY_STRING 0x05
#define RELAY_AJP_A_ROUTE 0x06
#define RELAY_AJP_A_SSL_CERT 0x07
#define RELAY_AJP_A_SSL_CIPHER 0x08
#define RELAY_AJP_A_SSL_SESSION 0x09
#define RELAY_AJP_A_REQ_ATTRIBUTE 0x0A
#define RELAY_AJP_A_SSL_KEY_SIZE 0x0B
#define RELAY_AJP_A_SECRET 0x0C
#define RELAY_AJP_A_STORED_METHOD 0x0D
#define RELAY_AJP_A_ARE_DONE 0xFF

/* "Get Body Chunk": a request body packet is the header, a 2-byte data
 * length and the data (8186 bytes in a packet of 8 KiB). */
#define RELAY_AJP_BODY_HEADER_LEN 6

/* "Packet Headers": a CPING is the header and its prefix code. */
#define RELAY_AJP_CPING_LEN 5

/*
 * The packet size to use for a configured one: RELAY_AJP_PACKET_DEFAULT
 * for 0 or anything below it (what every container takes), at most
 * RELAY_AJP_PACKET_MAX.
 */
apr_size_t relay_ajp_packet_size(apr_size_t configured);

/*
 * "method": the code of an HTTP method name (compared exactly, as method
 * names are case-sensitive), 0 for a method without one, which the caller
 * sends as RELAY_AJP_M_STORED with a RELAY_AJP_A_STORED_METHOD attribute
 * holding the name. Code 26 is the method BASELINE-CONTROL, which the
 * reference's table spells with an underscore.
 */
int relay_ajp_method_code(const char *method);

/*
 * "Headers": the code of a request header name (compared without regard
 * to case, as header names are), 0 for a name sent as a string.
 */
unsigned relay_ajp_request_header_code(const char *name);

/* "Send Headers": the name of a response header code, NULL for a code
 * outside the table. */
const char *relay_ajp_response_header_name(unsigned code);

/*
 * A packet being written into buf[0, cap) (cap taken as at most
 * RELAY_AJP_PACKET_MAX). The fields are the writer's; the caller reads
 * `len` only after relay_ajp_packet_finish().
 */
typedef struct relay_ajp_packet_t {
    char *buf;
    apr_size_t cap;
    apr_size_t len; /* bytes written, header included */
} relay_ajp_packet_t;

/*
 * Starts a packet from the web server: reserves the 4-byte header (its
 * length is written by relay_ajp_packet_finish). RELAY_ETOOLARGE when cap
 * cannot hold even the header.
 *
 * Every put below (the data types of "Basic Packet Structure") appends to
 * the packet and returns RELAY_OK, or RELAY_ETOOLARGE when the value would
 * take the packet past its capacity; then nothing is written and the
 * packet stays as it was, so a caller may stop there and refuse the
 * request, or finish what fits.
 */
relay_status_t relay_ajp_packet_begin(relay_ajp_packet_t *pk, char *buf,
                                      apr_size_t cap);

/* A byte (or a boolean: 1 or 0). */
relay_status_t relay_ajp_put_byte(relay_ajp_packet_t *pk, apr_byte_t b);

/* An integer: 2 bytes, big-endian. */
relay_status_t relay_ajp_put_int(relay_ajp_packet_t *pk, apr_uint16_t v);

/*
 * A string: its 2-byte length, s[0, len) and a NUL. s NULL writes the null
 * string (the length 0xFFFF alone). A length of 0xFFFF or more cannot be
 * sent: RELAY_ETOOLARGE.
 */
relay_status_t relay_ajp_put_string(relay_ajp_packet_t *pk, const char *s,
                                    apr_size_t len);

/* Writes the magic and the payload length into the header; returns the
 * size of the whole packet (pk->len), 0 (writing nothing) when
 * relay_ajp_packet_begin() refused the buffer. */
apr_size_t relay_ajp_packet_finish(relay_ajp_packet_t *pk);

/* One request header: NUL-terminated name and value; a NULL value (or
 * name) goes as the null string. */
typedef struct relay_ajp_header_t {
    const char *name;
    const char *value;
} relay_ajp_header_t;

/*
 * One optional attribute ("Attributes"): its code, and its value as a
 * NUL-terminated string (NULL: the null string). RELAY_AJP_A_REQ_ATTRIBUTE
 * also carries a name, sent before the value. RELAY_AJP_A_SSL_KEY_SIZE is
 * given as decimal digits and sent as an integer, which is how containers
 * read it; a value that is not a decimal number of at most 65535 leaves
 * the attribute out.
 */
typedef struct relay_ajp_attribute_t {
    apr_byte_t code;
    const char *name;
    const char *value;
} relay_ajp_attribute_t;

/*
 * The fields of a FORWARD_REQUEST ("Request Packet Structure"), filled by
 * the caller; strings are NUL-terminated, NULL for the null string. The
 * arrays are the caller's and are only read.
 */
typedef struct relay_ajp_request_t {
    int method;           /* RELAY_AJP_M_*, RELAY_AJP_M_STORED for any other */
    const char *protocol; /* "HTTP/1.1" */
    const char *req_uri;  /* the path, without the query string */
    const char *remote_addr; /* the client's address */
    const char *remote_host; /* its name, or NULL */
    const char *server_name;
    apr_uint16_t server_port;
    int is_ssl; /* non-zero: sent as 1 */
    const relay_ajp_header_t *headers;
    int nheaders;
    const relay_ajp_attribute_t *attributes;
    int nattributes;
} relay_ajp_request_t;

/*
 * Writes a whole FORWARD_REQUEST packet into buf[0, cap): prefix code,
 * method, the seven fixed fields, the headers (a name with a code goes as
 * that code, any other as a string), the attributes in the order given,
 * and the terminating RELAY_AJP_A_ARE_DONE. On RELAY_OK *len is the size
 * of the packet; RELAY_ETOOLARGE when it does not fit in cap (at most
 * RELAY_AJP_PACKET_MAX; the caller passes the packet size the container
 * takes) or has over 65535 headers: a request head cannot span packets,
 * so the caller refuses the request.
 */
relay_status_t relay_ajp_forward_request_write(char *buf, apr_size_t cap,
                                               const relay_ajp_request_t *req,
                                               apr_size_t *len);

/*
 * Writes a request body packet into buf[0, cap): the header, the 2-byte
 * data length and data[0, n). data may already sit at buf +
 * RELAY_AJP_BODY_HEADER_LEN (the bytes are moved, not copied). For n == 0
 * this is the empty packet of "Get Body Chunk" (12 34 00 00, no data
 * length), which ends the body. *len is the packet's size; RELAY_ETOOLARGE
 * when n + RELAY_AJP_BODY_HEADER_LEN is over cap (or over
 * RELAY_AJP_PACKET_MAX).
 */
relay_status_t relay_ajp_body_write(char *buf, apr_size_t cap, const char *data,
                                    apr_size_t n, apr_size_t *len);

/* Writes a CPING packet into out[0, RELAY_AJP_CPING_LEN). */
void relay_ajp_cping_write(char *out);

/* What one call of relay_ajp_read() found. */
typedef enum relay_ajp_event_kind_e {
    RELAY_AJP_EV_NONE = 0, /* nothing yet: the input was used up */
    RELAY_AJP_EV_HEADERS,  /* a SEND_HEADERS packet, decoded */
    RELAY_AJP_EV_BODY,     /* a run of a SEND_BODY_CHUNK's chunk */
    RELAY_AJP_EV_GET_BODY, /* a GET_BODY_CHUNK */
    RELAY_AJP_EV_END,      /* the END_RESPONSE */
    RELAY_AJP_EV_CPONG     /* a CPONG_REPLY */
} relay_ajp_event_kind_t;

/* A response header as the reader found it: NUL-terminated name and
 * value, pointing into the reader's buffer (a coded name: a static
 * string), valid until the next relay_ajp_read() call on the reader. */
typedef struct relay_ajp_field_t {
    const char *name;
    const char *value;
    int coded; /* the name came as a code */
} relay_ajp_field_t;

typedef struct relay_ajp_event_t {
    relay_ajp_event_kind_t kind;
    /* RELAY_AJP_EV_HEADERS: the status as sent (0..65535, unchecked), the
     * message (NULL when the container sent the null string), and the
     * headers in order, coded names given as in the table of "Send
     * Headers", repeated names kept; reason, table and the fields array
     * are allocated from the pool of the call. A value holding a NUL reads
     * as ending there; the caller checks values for what HTTP forbids. */
    int status;
    const char *reason;
    apr_table_t *headers; /* NULL after relay_ajp_reader_fields_only() */
    /* The same headers, in order, as found in the packet (see
     * relay_ajp_field_t for how long they last). */
    const relay_ajp_field_t *fields;
    int nfields;
    /* RELAY_AJP_EV_BODY: the run is in[data_off, data_off + data_len),
     * inside the bytes the call consumed, and chunk_len is the length of
     * the whole chunk. A chunk comes in one or more runs of at least one
     * byte; an empty chunk (what a container sends to have the response
     * flushed) is reported once, with data_len 0. */
    apr_size_t data_off;
    apr_size_t data_len;
    apr_size_t chunk_len;
    /* RELAY_AJP_EV_GET_BODY: how much body the container asks for. */
    apr_size_t requested;
    /* RELAY_AJP_EV_END: 1 when the container keeps the connection (the
     * reuse byte is exactly 1), else 0. */
    int reuse;
} relay_ajp_event_t;

typedef struct relay_ajp_reader_t {
    int state;              /* private; negative: the sticky error */
    apr_size_t max_packet;  /* largest packet accepted, header included */
    char *buf;              /* the caller's, max_packet bytes */
    int pos;                /* private: byte of the header or length */
    int prefix;             /* private: the current packet's code */
    apr_size_t length;      /* private: its payload length */
    apr_size_t got;         /* private: payload bytes in buf */
    apr_size_t chunk_len;   /* private */
    apr_size_t remaining;   /* private: chunk bytes still to come */
    apr_size_t after_chunk; /* private: bytes after the chunk */
    int fields_only;        /* private: no header table */
} relay_ajp_reader_t;

/*
 * Readies a reader for the packets of one exchange (a response, or a
 * CPONG). max_packet is the packet size agreed with the container (0: the
 * default, above RELAY_AJP_PACKET_MAX: that); buf, owned by the caller for
 * the life of the reader, has room for max_packet bytes.
 */
void relay_ajp_reader_init(relay_ajp_reader_t *rd, char *buf,
                           apr_size_t max_packet);

/*
 * Has the reader report a SEND_HEADERS by its fields alone, without
 * copying them into a table (for a caller that takes them at once).
 */
void relay_ajp_reader_fields_only(relay_ajp_reader_t *rd);

/*
 * Reads packets from in[0, len). Sets *consumed to the input bytes used
 * and *ev to what was found; one call reports at most one thing, so the
 * caller loops until the input is consumed. A SEND_HEADERS,
 * GET_BODY_CHUNK or CPONG_REPLY is reported once its last byte has been
 * read (SEND_HEADERS decoded into the pool), a chunk as it arrives; the
 * byte that ends a chunk in its packet is skipped. Bytes after the fields
 * of END_RESPONSE, GET_BODY_CHUNK and CPONG_REPLY are ignored. Which
 * packet may follow which is the caller's to judge. pool is used only
 * for a SEND_HEADERS (NULL will do when none can come, as in a CPING
 * exchange). Returns:
 *   RELAY_AGAIN       - input used up, or something found; call again
 *                       with the rest
 *   RELAY_OK          - the END_RESPONSE has been read; *ev holds it and
 *                       the bytes after *consumed are not the response's
 *   RELAY_EAJPMAGIC   - a packet that does not begin with "AB"
 *   RELAY_EAJPSIZE    - a packet longer than max_packet
 *   RELAY_EAJPCODE    - a prefix code a container does not send, or a
 *                       coded response header name outside the table
 *   RELAY_EAJPOVERRUN - a field or string that runs past the end of its
 *                       packet (a null string where a header name or
 *                       value must be counts as one, as does an empty
 *                       packet)
 *   RELAY_EAJPNUL     - a string not followed by its NUL
 *   RELAY_EAJPCOUNT   - a SEND_HEADERS whose header count does not match
 *                       the headers in the packet
 *   RELAY_EAJPCHUNK   - a SEND_BODY_CHUNK whose chunk length is more than
 *                       the packet holds
 * Errors are sticky.
 */
relay_status_t relay_ajp_read(relay_ajp_reader_t *rd, apr_pool_t *pool,
                              const char *in, apr_size_t len,
                              apr_size_t *consumed, relay_ajp_event_t *ev);

/*
 * True when the reader stands between two packets (or has read the
 * END_RESPONSE): a stream that ends anywhere else ends mid-packet, and
 * the exchange failed (RELAY_ETRUNCATED for the log).
 */
int relay_ajp_reader_between_packets(const relay_ajp_reader_t *rd);

/* True once the END_RESPONSE has been read. */
int relay_ajp_reader_done(const relay_ajp_reader_t *rd);

#endif
