/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The response side of a FastCGI exchange: the backend's records are read
 * as they arrive (relay_fcgi_read), STDOUT is a CGI response (RFC 3875
 * §6: a header block with Status and Location, then the body), STDERR
 * goes to the error log a line at a time, END_REQUEST ends it. The body
 * is passed on one connection buffer at a time, so a slow client holds
 * the backend back and nothing is kept whole. A malformed record or
 * header block before the head went out is a 502; after it, and when the
 * backend stops before END_REQUEST, the client's response is cut off.
 */
#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"

#include "relay/relay_cgi_head.h"
#include "relay/relay_fcgi.h"
#include "relay/relay_headers.h"
#include "fcgi_private.h"

/* Longest STDERR line logged whole; longer ones are logged in pieces. */
#define FCGI_STDERR_LINE 4096

typedef struct fcgi_reading_t {
    relay_fcgi_reader_t rd;
    relay_cgi_head_parser_t *head;
    int type;      /* the record whose content is coming, or -1 */
    int head_done; /* the CGI head was read and applied */
    int redirect;  /* a local Location: redirect once the body is read */
    int discard;   /* the body is not sent (redirect, error override) */
    int status;    /* the response's status */
    char *err;     /* STDERR line being gathered */
    apr_size_t err_len;
} fcgi_reading_t;

static void log_stderr_line(fcgi_exchange_t *ex, fcgi_reading_t *st)
{
    if (st->err_len) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, ex->r,
                      RELAY_LOGNO(07020) "worker %s: FastCGI stderr for %s: "
                                         "%.*s",
                      ex->pr->worker->name, ex->r->filename, (int)st->err_len,
                      st->err);
    }
    st->err_len = 0;
}

/* STDERR content: logged a line at a time, never mixed into the body. */
static void take_stderr(fcgi_exchange_t *ex, fcgi_reading_t *st,
                        const char *data, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            log_stderr_line(ex, st);
            continue;
        }
        if (st->err_len == FCGI_STDERR_LINE) {
            log_stderr_line(ex, st);
        }
        st->err[st->err_len++] = data[i];
    }
}

/*
 * Makes the client's response head from the CGI head (RFC 3875 §6.2): the
 * Status field, else 302 for a client-Location (an absolute URL), else
 * 200; a local-Location without Status is an internal redirect, served
 * once the backend is done (§6.2.2).
 */
static void apply_head(fcgi_exchange_t *ex, fcgi_reading_t *st,
                       const relay_cgi_head_t *head)
{
    request_rec *r = ex->r;
    apr_table_t *h = head->headers;
    const char *type;

    st->head_done = 1;
    if (!head->status && head->location == RELAY_CGI_LOCATION_LOCAL) {
        st->redirect = st->discard = 1;
        return;
    }
    st->status = head->status ? head->status
                 : head->location == RELAY_CGI_LOCATION_ABSOLUTE
                     ? HTTP_MOVED_TEMPORARILY
                     : HTTP_OK;
    if (relay_exchange_error_override(ex->pr, st->status)) {
        st->discard = 1;
        return;
    }
    relay_headers_strip_hop_by_hop(h, 0);
    apr_table_unset(h, "Transfer-Encoding");
    type = apr_table_get(h, "Content-Type");
    if (type) {
        ap_set_content_type(r, apr_pstrdup(r->pool, type));
        apr_table_unset(h, "Content-Type");
    }
    r->headers_out = apr_table_overlay(r->pool, r->headers_out, h);
    r->status = st->status;
    r->status_line =
        head->status && head->reason && *head->reason
            ? apr_psprintf(r->pool, "%d %s", head->status, head->reason)
            : NULL;
}

/* STDOUT content: the CGI head first, then body bytes into ex->bb. */
static relay_status_t take_stdout(fcgi_exchange_t *ex, fcgi_reading_t *st,
                                  const char *data, apr_size_t len)
{
    apr_bucket_alloc_t *ba = ex->r->connection->bucket_alloc;
    apr_size_t body_at = 0;

    if (!st->head_done) {
        relay_status_t rs = relay_cgi_head_parse(st->head, data, len, &body_at);
        if (rs != RELAY_OK) {
            return rs; /* RELAY_AGAIN: the head goes on */
        }
        apply_head(ex, st, relay_cgi_head_result(st->head));
    }
    if (body_at < len && !st->discard && !ex->r->header_only) {
        APR_BRIGADE_INSERT_TAIL(ex->bb, apr_bucket_transient_create(
                                            data + body_at, len - body_at, ba));
    }
    return RELAY_OK;
}

/* Feeds the bytes now in the connection buffer to the reader. Returns
 * RELAY_AGAIN (all used), RELAY_OK (END_REQUEST read) or an error. */
static relay_status_t take_records(fcgi_exchange_t *ex, fcgi_reading_t *st,
                                   relay_fcgi_event_t *ev)
{
    relay_conn_t *c = ex->conn;

    while (c->buf_pos < c->buf_len) {
        const char *in = c->buf + c->buf_pos;
        apr_size_t used = 0;
        relay_status_t rs =
            relay_fcgi_read(&st->rd, in, c->buf_len - c->buf_pos, &used, ev);

        c->buf_pos += used;
        if (rs < 0) {
            return rs;
        }
        if (ev->kind == RELAY_FCGI_EV_RECORD) {
            st->type = ev->type;
        }
        else if (ev->kind == RELAY_FCGI_EV_MANAGEMENT ||
                 ev->kind == RELAY_FCGI_EV_UNKNOWN) {
            st->type = -1; /* its content is skipped */
        }
        else if (ev->kind == RELAY_FCGI_EV_CONTENT &&
                 st->type == RELAY_FCGI_STDERR) {
            take_stderr(ex, st, in + ev->data_off, ev->data_len);
        }
        else if (ev->kind == RELAY_FCGI_EV_CONTENT &&
                 st->type == RELAY_FCGI_STDOUT) {
            relay_status_t hs =
                take_stdout(ex, st, in + ev->data_off, ev->data_len);
            if (hs < 0) {
                return hs;
            }
        }
        if (rs == RELAY_OK) {
            return RELAY_OK;
        }
    }
    return RELAY_AGAIN;
}

/* A failure while reading: before the head went out, the status to
 * answer with; after it, the response is cut off (OK). */
static int read_failure(fcgi_exchange_t *ex, fcgi_reading_t *st,
                        relay_proxy_error_t cause, int status)
{
    ex->conn->reusable = 0;
    relay_error_note_set(ex->r, cause);
    if (!st->head_done || st->discard) {
        apr_brigade_cleanup(ex->bb);
        return status;
    }
    relay_exchange_cut_off(ex->pr, ex->conn, ex->bb);
    return OK;
}

/* What the END_REQUEST record says: a request the application could not
 * take (§5.5) is a 502 (503 when it is overloaded). */
static int end_request(fcgi_exchange_t *ex, fcgi_reading_t *st,
                       const relay_fcgi_event_t *ev)
{
    request_rec *r = ex->r;

    log_stderr_line(ex, st);
    if (ev->protocol_status != RELAY_FCGI_REQUEST_COMPLETE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(07021) "worker %s: the FastCGI application "
                                         "refused %s (protocol status %d)",
                      ex->pr->worker->name, r->filename, ev->protocol_status);
        return read_failure(ex, st, RELAY_PROXY_ERROR_MALFORMED,
                            ev->protocol_status == RELAY_FCGI_OVERLOADED
                                ? HTTP_SERVICE_UNAVAILABLE
                                : HTTP_BAD_GATEWAY);
    }
    if (relay_cgi_head_finish(st->head) != RELAY_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(07022) "worker %s: the FastCGI application "
                                         "ended %s without a complete header "
                                         "block",
                      ex->pr->worker->name, r->filename);
        return read_failure(ex, st, RELAY_PROXY_ERROR_INCOMPLETE,
                            HTTP_BAD_GATEWAY);
    }
    if (st->redirect || st->discard) {
        return OK;
    }
    APR_BRIGADE_INSERT_TAIL(ex->bb,
                            apr_bucket_eos_create(r->connection->bucket_alloc));
    if (ap_pass_brigade(r->output_filters, ex->bb) != APR_SUCCESS) {
        ex->conn->reusable = 0;
    }
    apr_brigade_cleanup(ex->bb);
    return OK;
}

int fcgi_relay_response(fcgi_exchange_t *ex)
{
    request_rec *r = ex->r;
    fcgi_reading_t *st = apr_pcalloc(r->pool, sizeof(*st));
    relay_fcgi_event_t ev;
    int status = HTTP_BAD_GATEWAY;

    relay_fcgi_reader_init(&st->rd, FCGI_REQUEST_ID, 0);
    st->head = relay_cgi_head_parser_make(r->pool, NULL);
    st->type = -1;
    st->err = apr_palloc(r->pool, FCGI_STDERR_LINE);
    ex->conn->buf_pos = ex->conn->buf_len = 0;
    for (;;) {
        relay_status_t rs;
        apr_status_t rv = relay_exchange_fill(ex->conn);

        if (rv != APR_SUCCESS) {
            int timeout = APR_STATUS_IS_TIMEUP(rv);
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                          RELAY_LOGNO(07023) "worker %s: %s before the end "
                                             "of the response to %s",
                          ex->pr->worker->name,
                          timeout ? "timed out"
                                  : "the FastCGI application "
                                    "closed the connection",
                          r->filename);
            log_stderr_line(ex, st);
            return read_failure(ex, st,
                                timeout ? RELAY_PROXY_ERROR_RESPONSE_TIMEOUT
                                        : RELAY_PROXY_ERROR_INCOMPLETE,
                                timeout ? HTTP_GATEWAY_TIME_OUT
                                        : HTTP_BAD_GATEWAY);
        }
        rs = take_records(ex, st, &ev);
        if (rs < 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(07024) "worker %s: malformed FastCGI "
                                             "response to %s: %s",
                          ex->pr->worker->name, r->filename,
                          relay_status_describe(rs));
            return read_failure(ex, st, RELAY_PROXY_ERROR_MALFORMED,
                                HTTP_BAD_GATEWAY);
        }
        /* Nothing goes down the chain before the head: a flush there
         * would send the default head (the head may come in pieces). */
        if (st->head_done &&
            relay_exchange_pass(ex->pr, ex->bb,
                                rs != RELAY_OK &&
                                    ex->conn->buf_len < ex->conn->buf_size) !=
                APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          RELAY_LOGNO(07025) "client went away during the "
                                             "response body");
            ex->conn->reusable = 0;
            return OK;
        }
        if (rs == RELAY_OK) {
            break;
        }
    }
    if (ex->conn->buf_pos < ex->conn->buf_len) {
        ex->conn->reusable = 0; /* bytes after END_REQUEST: not trusted */
    }
    status = end_request(ex, st, &ev);
    if (status != OK || !st->discard) {
        return status;
    }
    if (st->redirect) {
        ex->redirect_to = relay_cgi_head_result(st->head)->location_value;
        return OK;
    }
    return st->status;
}
