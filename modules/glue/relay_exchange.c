/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The scheme handlers' shared steps (see relay_exchange.h).
 */
#include "http_protocol.h"
#include "util_filter.h"

#include "relay_exchange.h"

apr_status_t relay_exchange_send_all(relay_conn_t *conn, const char *buf,
                                     apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        apr_status_t rv = conn->transport->send(conn, buf, &n);
        conn->bytes_out += n;
        if (rv != APR_SUCCESS) {
            return rv;
        }
        buf += n;
        len -= n;
    }
    return APR_SUCCESS;
}

apr_status_t relay_exchange_fill(relay_conn_t *conn)
{
    apr_size_t n = conn->buf_size;
    apr_status_t rv;

    conn->buf_pos = conn->buf_len = 0;
    rv = conn->transport->recv(conn, conn->buf, &n);
    conn->buf_len = n;
    conn->bytes_in += n;
    return n > 0 ? APR_SUCCESS : rv == APR_SUCCESS ? APR_EOF : rv;
}

apr_status_t relay_exchange_pass(relay_proxy_req_t *pr, apr_bucket_brigade *bb,
                                 int flush)
{
    request_rec *r = pr->r;
    apr_status_t rv;

    if (APR_BRIGADE_EMPTY(bb) && !flush) {
        return APR_SUCCESS;
    }
    if (flush || pr->worker->params.flushpackets == RELAY_FLUSH_ON) {
        APR_BRIGADE_INSERT_TAIL(
            bb, apr_bucket_flush_create(r->connection->bucket_alloc));
    }
    rv = ap_pass_brigade(r->output_filters, bb);
    apr_brigade_cleanup(bb);
    return rv != APR_SUCCESS || r->connection->aborted ? APR_ECONNABORTED
                                                       : APR_SUCCESS;
}

void relay_exchange_cut_off(relay_proxy_req_t *pr, relay_conn_t *conn,
                            apr_bucket_brigade *bb)
{
    request_rec *r = pr->r;
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;

    conn->reusable = 0;
    r->connection->keepalive = AP_CONN_CLOSE;
    APR_BRIGADE_INSERT_TAIL(
        bb, ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL, r->pool, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    ap_pass_brigade(r->output_filters, bb);
    apr_brigade_cleanup(bb);
}

int relay_exchange_error_override(const relay_proxy_req_t *pr, int status)
{
    const apr_array_header_t *codes = pr->error_override_codes;
    int i;

    if (!pr->error_override || status < 400) {
        return 0;
    }
    if (!codes || codes->nelts == 0) {
        return 1;
    }
    for (i = 0; i < codes->nelts; i++) {
        if (APR_ARRAY_IDX(codes, i, int) == status) {
            return 1;
        }
    }
    return 0;
}
