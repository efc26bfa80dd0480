/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The request side of a FastCGI exchange (FastCGI 1.0 §5.1, §6.2):
 * BEGIN_REQUEST in the Responder role, the environment as a PARAMS
 * stream, then the client's body as a STDIN stream, each stream ended by
 * an empty record. Streams are cut into records of at most one write
 * buffer; the body is read from the client and written on piece by
 * piece, never held whole.
 */
#include "apr_strings.h"
#include "http_protocol.h"

#include "relay/relay_fcgi.h"
#include "fcgi_private.h"

/* Content bytes of one record Relay writes. */
#define FCGI_WRITE_CONTENT 16384

/* A stream of records of one type, with the current record's content. */
typedef struct fcgi_stream_t {
    relay_conn_t *conn;
    int type;
    apr_size_t len; /* content bytes in buf after the header */
    char buf[RELAY_FCGI_HEADER_LEN + FCGI_WRITE_CONTENT];
} fcgi_stream_t;

/* Writes the current record, if it has content (an empty record ends a
 * stream: see stream_end). */
static apr_status_t stream_flush(fcgi_stream_t *s)
{
    apr_status_t rv;

    if (!s->len) {
        return APR_SUCCESS;
    }
    relay_fcgi_header_write(s->buf, (apr_byte_t)s->type, FCGI_REQUEST_ID,
                            (apr_uint16_t)s->len, 0);
    rv = relay_exchange_send_all(s->conn, s->buf,
                                 RELAY_FCGI_HEADER_LEN + s->len);
    s->len = 0;
    return rv;
}

static apr_status_t stream_put(fcgi_stream_t *s, const char *data,
                               apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = FCGI_WRITE_CONTENT - s->len;
        apr_status_t rv;

        if (n > len) {
            n = len;
        }
        memcpy(s->buf + RELAY_FCGI_HEADER_LEN + s->len, data, n);
        s->len += n;
        data += n;
        len -= n;
        if (s->len == FCGI_WRITE_CONTENT &&
            (rv = stream_flush(s)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* Writes what is left and the empty record that ends the stream. */
static apr_status_t stream_end(fcgi_stream_t *s)
{
    char end[RELAY_FCGI_HEADER_LEN];
    apr_status_t rv = stream_flush(s);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    relay_fcgi_header_write(end, (apr_byte_t)s->type, FCGI_REQUEST_ID, 0, 0);
    return relay_exchange_send_all(s->conn, end, sizeof(end));
}

static void stream_init(fcgi_stream_t *s, relay_conn_t *conn, int type)
{
    s->conn = conn;
    s->type = type;
    s->len = 0;
}

/* One name-value pair of the PARAMS stream (§3.4); a pair may run over
 * several records. */
static apr_status_t put_pair(fcgi_stream_t *s, const char *name,
                             const char *value)
{
    char lengths[8];
    apr_size_t nlen = strlen(name), vlen = strlen(value), n;
    apr_status_t rv;

    n = relay_fcgi_pair_lengths_write(lengths, nlen, vlen);
    if ((rv = stream_put(s, lengths, n)) == APR_SUCCESS &&
        (rv = stream_put(s, name, nlen)) == APR_SUCCESS) {
        rv = stream_put(s, value, vlen);
    }
    return rv;
}

static apr_status_t send_params(fcgi_exchange_t *ex, fcgi_stream_t *s)
{
    const apr_array_header_t *env = apr_table_elts(ex->r->subprocess_env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)env->elts;
    apr_status_t rv = APR_SUCCESS;
    int i;

    stream_init(s, ex->conn, RELAY_FCGI_PARAMS);
    for (i = 0; i < env->nelts && rv == APR_SUCCESS; i++) {
        if (e[i].key && *e[i].key) {
            rv = put_pair(s, e[i].key, e[i].val ? e[i].val : "");
        }
    }
    return rv == APR_SUCCESS ? stream_end(s) : rv;
}

static apr_status_t to_stream(void *baton, const char *data, apr_size_t len)
{
    return stream_put(baton, data, len);
}

/* The client's body (or the spooled one) into the STDIN stream. */
static apr_status_t send_stdin(fcgi_exchange_t *ex, fcgi_stream_t *s,
                               int *client_failed)
{
    apr_status_t rv;

    stream_init(s, ex->conn, RELAY_FCGI_STDIN);
    *client_failed = 0;
    rv = ex->spool ? relay_body_spool_replay(ex->spool, to_stream, s)
                   : relay_body_read(ex->r, ex->bb, ex->pr->io_buffer_size,
                                     to_stream, s, client_failed);
    return rv == APR_SUCCESS ? stream_end(s) : rv;
}

/*
 * proxy-sendcl with a chunked body, as stock: the body is read whole
 * (relay_body_spool.h) before anything is sent, so that CONTENT_LENGTH can
 * tell its length; PHP-FPM reads no body without it. Returns OK or the
 * status to answer with.
 */
int fcgi_spool_body(fcgi_exchange_t *ex)
{
    request_rec *r = ex->r;
    apr_status_t rv;
    int client_failed;

    if (!apr_table_get(r->subprocess_env, "proxy-sendcl") ||
        !apr_table_get(r->headers_in, "Transfer-Encoding")) {
        return OK;
    }
    rv = relay_body_spool_read(r, ex->bb, ex->pr->io_buffer_size, &ex->spool,
                               &client_failed);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, client_failed ? APLOG_INFO : APLOG_ERR, rv, r,
                      RELAY_LOGNO(07013) "proxy-sendcl: %s the request body "
                                         "failed",
                      client_failed ? "reading" : "spooling");
        ex->spool = NULL;
        return client_failed ? ap_map_http_request_error(rv, HTTP_BAD_REQUEST)
                             : HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

int fcgi_send_request(fcgi_exchange_t *ex)
{
    request_rec *r = ex->r;
    fcgi_stream_t *s = apr_palloc(r->pool, sizeof(*s));
    char begin[RELAY_FCGI_BEGIN_REQUEST_LEN];
    int client_failed = 0;
    apr_status_t rv;

    relay_fcgi_begin_request_write(begin, FCGI_REQUEST_ID, RELAY_FCGI_RESPONDER,
                                   ex->keep_conn);
    rv = relay_exchange_send_all(ex->conn, begin, sizeof(begin));
    if (rv == APR_SUCCESS) {
        rv = send_params(ex, s);
    }
    if (rv == APR_SUCCESS) {
        rv = send_stdin(ex, s, &client_failed);
    }
    if (rv == APR_SUCCESS) {
        return OK;
    }
    ex->conn->reusable = 0;
    if (client_failed) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                      RELAY_LOGNO(07010) "reading the request body from the "
                                         "client failed");
        return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  RELAY_LOGNO(07011) "worker %s: sending the request to the "
                                     "FastCGI application failed",
                  ex->pr->worker->name);
    if (APR_STATUS_IS_TIMEUP(rv)) {
        relay_error_note_set(r, RELAY_PROXY_ERROR_SEND_TIMEOUT);
        return HTTP_GATEWAY_TIME_OUT;
    }
    relay_error_note_set(r, RELAY_PROXY_ERROR_SEND_FAILED);
    return HTTP_BAD_GATEWAY;
}
