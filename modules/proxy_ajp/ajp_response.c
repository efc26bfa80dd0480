/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The response side of an AJP/1.3 exchange ("Response Packet Structure"):
 * SEND_HEADERS becomes the client's status and fields (ProxyPassReverse
 * applied), SEND_BODY_CHUNK runs are passed on a connection buffer at a
 * time (an empty chunk is the container's flush), GET_BODY_CHUNK is
 * answered with the next piece of the client's body, and END_RESPONSE
 * ends the exchange, its reuse flag deciding whether the connection goes
 * back to the pool. A malformed packet or an oversized head before the
 * head went out is a 502; after it, or when the container stops early,
 * the client's response is cut off.
 */
#include "apr_strings.h"
#include "http_protocol.h"

#include "relay/relay_headers.h"
#include "ajp_private.h"

/* Every field name a token and every value free of CR, LF and NUL
 * (RFC 9110 §5): the container's fields become the client's. */
static int valid_fields(const relay_ajp_event_t *ev)
{
    int i;

    for (i = 0; i < ev->nfields; i++) {
        /* A coded name is one of the protocol's table, a token. */
        if ((!ev->fields[i].coded &&
             !relay_header_name_is_token(ev->fields[i].name)) ||
            !relay_header_value_is_safe(ev->fields[i].value)) {
            return 0;
        }
    }
    return 1;
}

/* RFC 9110 §7.6.1: the hop-by-hop fields a container's head may carry
 * that no Connection field names (Connection itself, when present, sends
 * the head through relay_headers_strip_hop_by_hop). */
static int is_hop_by_hop(const char *name)
{
    switch (strlen(name)) {
    case 2:
        return !strcasecmp(name, "TE");
    case 7:
        return !strcasecmp(name, "Trailer") || !strcasecmp(name, "Upgrade");
    case 10:
        return !strcasecmp(name, "Keep-Alive");
    case 16:
        return !strcasecmp(name, "Proxy-Connection");
    case 17:
        return !strcasecmp(name, "Transfer-Encoding");
    default:
        return 0;
    }
}

typedef struct ajp_reading_t {
    relay_ajp_reader_t rd;
    int head_sent; /* SEND_HEADERS applied */
    int flush;     /* the container asked for a flush */
} ajp_reading_t;

/* A field's name for a table: a coded name is a static string. */
static const char *field_name(request_rec *r, const relay_ajp_field_t *f)
{
    return f->coded ? f->name : apr_pstrdup(r->pool, f->name);
}

/* Every field of the head, in order. */
static apr_table_t *all_fields(request_rec *r, const relay_ajp_event_t *ev)
{
    apr_table_t *h = apr_table_make(r->pool, ev->nfields);
    int i;

    for (i = 0; i < ev->nfields; i++) {
        apr_table_addn(h, field_name(r, &ev->fields[i]),
                       apr_pstrdup(r->pool, ev->fields[i].value));
    }
    return h;
}

/*
 * The container's fields for the client, copied out of the packet in one
 * pass: the hop-by-hop ones left out and the first Content-Type given
 * through *type (every one left out). A head with a Connection field
 * goes through relay_headers_strip_hop_by_hop(), which also drops the
 * fields it names, Content-Type among them.
 */
static apr_table_t *client_fields(request_rec *r, const relay_ajp_event_t *ev,
                                  const char **type)
{
    apr_table_t *h = apr_table_make(r->pool, ev->nfields);
    int i;

    *type = NULL;
    for (i = 0; i < ev->nfields; i++) {
        const char *name = ev->fields[i].name;
        if (!strcasecmp(name, "Content-Type")) {
            if (!*type) {
                *type = apr_pstrdup(r->pool, ev->fields[i].value);
            }
            continue;
        }
        if (!strcasecmp(name, "Connection")) {
            h = all_fields(r, ev);
            relay_headers_strip_hop_by_hop(h, 0);
            *type = apr_table_get(h, "Content-Type");
            apr_table_unset(h, "Content-Type");
            return h;
        }
        if (is_hop_by_hop(name)) {
            continue;
        }
        apr_table_addn(h, field_name(r, &ev->fields[i]),
                       apr_pstrdup(r->pool, ev->fields[i].value));
    }
    return h;
}

/* "NNN reason": the status line httpd sends, without a format call. */
static const char *status_line(apr_pool_t *p, int status, const char *reason)
{
    apr_size_t n = strlen(reason);
    char *line = apr_palloc(p, 4 + n + 1);

    line[0] = (char)('0' + status / 100);
    line[1] = (char)('0' + status / 10 % 10);
    line[2] = (char)('0' + status % 10);
    line[3] = ' ';
    memcpy(line + 4, reason, n + 1);
    return line;
}

/* SEND_HEADERS: the client's status and fields. Returns OK, or the
 * status to answer with instead (a bad status, ProxyErrorOverride). */
static int apply_head(ajp_exchange_t *ex, ajp_reading_t *st,
                      const relay_ajp_event_t *ev)
{
    request_rec *r = ex->r;
    apr_table_t *h;
    const char *type;

    if (ev->status < 100 || ev->status > 599 || !valid_fields(ev)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(08010) "worker %s: the container sent a "
                                         "bad status (%d) or field for %s",
                      ex->pr->worker->name, ev->status, ex->pr->target);
        relay_error_note_set(r, RELAY_PROXY_ERROR_MALFORMED);
        return HTTP_BAD_GATEWAY;
    }
    st->head_sent = 1;
    if (relay_exchange_error_override(ex->pr, ev->status)) {
        return ev->status;
    }
    h = client_fields(r, ev, &type);
    ex->api->map_response_headers(ex->pr, h);
    if (type) {
        ap_set_content_type(r, type);
    }
    r->headers_out = apr_is_empty_table(r->headers_out)
                         ? h
                         : apr_table_overlay(r->pool, r->headers_out, h);
    r->status = ev->status;
    r->status_line = ev->reason && *ev->reason
                         ? status_line(r->pool, ev->status, ev->reason)
                         : NULL;
    return OK;
}

/* A failure: before the head went out, the status to answer with; after
 * it, the response is cut off (OK). */
static int failure(ajp_exchange_t *ex, ajp_reading_t *st,
                   relay_proxy_error_t cause, int status)
{
    ex->conn->reusable = 0;
    relay_error_note_set(ex->r, cause);
    if (!st->head_sent) {
        apr_brigade_cleanup(ex->bb);
        return status;
    }
    relay_exchange_cut_off(ex->pr, ex->conn, ex->bb);
    return OK;
}

/* Handles one event; returns OK to go on, or a status / OK-with-abort
 * through *done. */
static int take_event(ajp_exchange_t *ex, ajp_reading_t *st,
                      const relay_ajp_event_t *ev, const char *in, int *done)
{
    request_rec *r = ex->r;
    apr_status_t rv;
    int rc;

    switch (ev->kind) {
    case RELAY_AJP_EV_HEADERS:
        if (st->head_sent) {
            /* A second head: the container is confused; the response
             * is cut off and the connection not reused, as stock. */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(08016) "worker %s: the container sent "
                                             "a second head for %s",
                          ex->pr->worker->name, ex->pr->target);
            *done = 1;
            return failure(ex, st, RELAY_PROXY_ERROR_MALFORMED,
                           HTTP_BAD_GATEWAY);
        }
        if ((rc = apply_head(ex, st, ev)) != OK) {
            *done = 1;
            ex->conn->reusable = 0;
            return rc;
        }
        break;
    case RELAY_AJP_EV_BODY:
        if (!st->head_sent) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(08015) "worker %s: the container sent "
                                             "body before the head of %s",
                          ex->pr->worker->name, ex->pr->target);
            *done = 1;
            return failure(ex, st, RELAY_PROXY_ERROR_MALFORMED,
                           HTTP_BAD_GATEWAY);
        }
        if (ev->data_len && !r->header_only) {
            APR_BRIGADE_INSERT_TAIL(ex->bb, apr_bucket_transient_create(
                                                in + ev->data_off, ev->data_len,
                                                r->connection->bucket_alloc));
        }
        st->flush |= ev->chunk_len == 0;
        break;
    case RELAY_AJP_EV_GET_BODY:
        rv = ajp_send_body_chunk(ex, ev->requested);
        if (rv != APR_SUCCESS) {
            *done = 1;
            return failure(ex, st, RELAY_PROXY_ERROR_SEND_FAILED,
                           ex->body_started && !ex->body_done
                               ? ap_map_http_request_error(rv, HTTP_BAD_REQUEST)
                               : HTTP_BAD_GATEWAY);
        }
        break;
    case RELAY_AJP_EV_END:
        if (!ev->reuse) {
            ex->conn->reusable = 0;
        }
        break;
    default:
        break;
    }
    return OK;
}

/* Feeds the connection buffer to the reader. Returns RELAY_AGAIN (all
 * used), RELAY_OK (END_RESPONSE) or an error; *rc and *done as for
 * take_event. */
static relay_status_t take_packets(ajp_exchange_t *ex, ajp_reading_t *st,
                                   int *rc, int *done)
{
    relay_conn_t *c = ex->conn;
    relay_ajp_event_t ev;

    while (c->buf_pos < c->buf_len && !*done) {
        const char *in = c->buf + c->buf_pos;
        apr_size_t used = 0;
        relay_status_t rs = relay_ajp_read(&st->rd, ex->r->pool, in,
                                           c->buf_len - c->buf_pos, &used, &ev);
        c->buf_pos += used;
        if (rs < 0) {
            return rs;
        }
        if (ev.kind != RELAY_AJP_EV_NONE) {
            *rc = take_event(ex, st, &ev, in, done);
        }
        if (rs == RELAY_OK) {
            return RELAY_OK;
        }
    }
    return RELAY_AGAIN;
}

int ajp_relay_response(ajp_exchange_t *ex)
{
    request_rec *r = ex->r;
    ajp_reading_t *st = apr_pcalloc(r->pool, sizeof(*st));
    int rc = OK, done = 0, last = 0;

    relay_ajp_reader_init(&st->rd, ex->in, ex->max_packet);
    relay_ajp_reader_fields_only(&st->rd);
    ex->conn->buf_pos = ex->conn->buf_len = 0;
    for (;;) {
        relay_status_t rs;
        apr_status_t rv = relay_exchange_fill(ex->conn);

        if (rv != APR_SUCCESS) {
            int timeout = APR_STATUS_IS_TIMEUP(rv);
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                          RELAY_LOGNO(08011) "worker %s: %s before the end "
                                             "of the response to %s",
                          ex->pr->worker->name,
                          timeout ? "timed out"
                                  : "the container closed the connection",
                          ex->pr->target);
            return failure(ex, st,
                           timeout ? RELAY_PROXY_ERROR_RESPONSE_TIMEOUT
                                   : RELAY_PROXY_ERROR_INCOMPLETE,
                           timeout ? HTTP_GATEWAY_TIME_OUT : HTTP_BAD_GATEWAY);
        }
        rs = take_packets(ex, st, &rc, &done);
        if (done) {
            return rc;
        }
        if (rs < 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(08012) "worker %s: malformed AJP "
                                             "packet in the response to %s: %s",
                          ex->pr->worker->name, ex->pr->target,
                          relay_status_describe(rs));
            return failure(ex, st, RELAY_PROXY_ERROR_MALFORMED,
                           HTTP_BAD_GATEWAY);
        }
        /* The body read with the END_RESPONSE goes with the EOS, unless
         * a flush is asked for. */
        last = rs == RELAY_OK && !st->flush &&
               ex->pr->worker->params.flushpackets != RELAY_FLUSH_ON;
        /* Nothing goes down the chain before the head: a flush there
         * would send the default head (a container asks for the body
         * before it answers). */
        if (st->head_sent && !last &&
            relay_exchange_pass(ex->pr, ex->bb,
                                st->flush ||
                                    (rs != RELAY_OK &&
                                     ex->conn->buf_len < ex->conn->buf_size)) !=
                APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          RELAY_LOGNO(08013) "client went away during the "
                                             "response body");
            ex->conn->reusable = 0;
            return OK;
        }
        st->flush = 0;
        if (rs == RELAY_OK) {
            break;
        }
    }
    if (!st->head_sent) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(08014) "worker %s: the container ended the "
                                         "response to %s without its head",
                      ex->pr->worker->name, ex->pr->target);
        return failure(ex, st, RELAY_PROXY_ERROR_MALFORMED, HTTP_BAD_GATEWAY);
    }
    if (ex->conn->buf_pos < ex->conn->buf_len) {
        ex->conn->reusable = 0; /* bytes after END_RESPONSE: not trusted */
    }
    APR_BRIGADE_INSERT_TAIL(ex->bb,
                            apr_bucket_eos_create(r->connection->bucket_alloc));
    if (ap_pass_brigade(r->output_filters, ex->bb) != APR_SUCCESS ||
        (last && r->connection->aborted)) {
        ex->conn->reusable = 0;
    }
    apr_brigade_cleanup(ex->bb);
    return OK;
}
