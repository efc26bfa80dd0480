/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The Upgrade tunnel (WebSocket and other protocols a worker allows with
 * upgrade=): after the origin's 101, its head goes to the client as is
 * (less hop-by-hop fields) and bytes are copied both ways until one side
 * closes or stays idle past the worker's timeout.
 */
#include "apr_strings.h"
#include "apr_poll.h"
#include "http_core.h"
#include "http_connection.h"
#include "http_protocol.h"
#include "util_filter.h"

#include "relay/relay_headers.h"
#include "http_private.h"

static int put_field(void *data, const char *key, const char *val)
{
    apr_bucket_brigade *bb = data;

    if (relay_header_name_is_token(key) && relay_header_value_is_safe(val)) {
        apr_brigade_printf(bb, NULL, NULL, "%s: %s\r\n", key, val);
    }
    return 1;
}

/* Writes the 101 head straight to the client connection. */
static apr_status_t send_switching(relay_http_exchange_t *ex,
                                   apr_bucket_brigade *bb)
{
    conn_rec *c = ex->r->connection;
    apr_table_t *h = ex->head.headers;
    const char *upgrade = apr_table_get(h, "Upgrade");

    relay_headers_strip_hop_by_hop(h, 1);
    ex->api->map_response_headers(ex->pr, h);
    apr_brigade_puts(bb, NULL, NULL, "HTTP/1.1 101 Switching Protocols\r\n");
    apr_table_do(put_field, bb, h, NULL);
    if (!upgrade) {
        apr_brigade_printf(bb, NULL, NULL, "Upgrade: %s\r\n", ex->upgrade);
    }
    apr_brigade_puts(bb, NULL, NULL, "Connection: Upgrade\r\n\r\n");
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    return ap_pass_brigade(c->output_filters, bb);
}

/*
 * Client to origin: whatever the client's input filters have now, up to
 * one buffer. A non-blocking read with nothing to give succeeds with an
 * empty brigade; the client's close comes as APR_EOF (after a zero-length
 * bucket). *more tells that the read filled the buffer: the filters may
 * hold more bytes, which no poll of the socket would announce.
 */
static apr_status_t client_to_origin(relay_http_exchange_t *ex,
                                     apr_bucket_brigade *bb, int *more)
{
    conn_rec *c = ex->r->connection;
    apr_size_t got = 0;
    apr_status_t rv;
    apr_bucket *b;

    *more = 0;
    rv = ap_get_brigade(c->input_filters, bb, AP_MODE_READBYTES,
                        APR_NONBLOCK_READ, ex->conn->buf_size);
    if (APR_STATUS_IS_EAGAIN(rv)) {
        return APR_SUCCESS;
    }
    for (b = APR_BRIGADE_FIRST(bb);
         rv == APR_SUCCESS && b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t len;

        if (APR_BUCKET_IS_EOS(b)) {
            rv = APR_EOF;
            break;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        if (rv == APR_SUCCESS && len) {
            got += len;
            rv = relay_exchange_send_all(ex->conn, data, len);
        }
    }
    apr_brigade_cleanup(bb);
    *more = rv == APR_SUCCESS && got >= ex->conn->buf_size;
    return rv;
}

/* Origin to client: what is in the connection buffer, then one read. */
static apr_status_t origin_to_client(relay_http_exchange_t *ex,
                                     apr_bucket_brigade *bb, int read_more)
{
    conn_rec *c = ex->r->connection;
    relay_conn_t *oc = ex->conn;
    apr_status_t rv;

    if (read_more) {
        apr_size_t n = oc->buf_size;
        oc->buf_pos = 0;
        rv = oc->transport->recv(oc, oc->buf, &n);
        oc->buf_len = n;
        oc->bytes_in += n;
        if (n == 0) {
            return rv == APR_SUCCESS ? APR_EOF : rv;
        }
    }
    if (oc->buf_len == oc->buf_pos) {
        return APR_SUCCESS;
    }
    APR_BRIGADE_INSERT_TAIL(
        bb, apr_bucket_transient_create(oc->buf + oc->buf_pos,
                                        oc->buf_len - oc->buf_pos,
                                        c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
    oc->buf_pos = oc->buf_len = 0;
    rv = ap_pass_brigade(c->output_filters, bb);
    apr_brigade_cleanup(bb);
    return rv;
}

int relay_http_tunnel(relay_http_exchange_t *ex)
{
    request_rec *r = ex->r;
    conn_rec *c = r->connection;
    apr_socket_t *client = ap_get_conn_socket(c);
    apr_interval_time_t timeout = ex->pr->worker->params.timeout;
    apr_bucket_brigade *bb = ex->bb;
    apr_pollset_t *ps;
    apr_pollfd_t pfd_client = {0}, pfd_origin = {0};
    apr_status_t rv;
    int client_more = 0;

    ex->conn->reusable = 0;
    if (apr_pollset_create(&ps, 2, r->pool, 0) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    pfd_client.p = pfd_origin.p = r->pool;
    pfd_client.desc_type = pfd_origin.desc_type = APR_POLL_SOCKET;
    pfd_client.reqevents = pfd_origin.reqevents = APR_POLLIN;
    pfd_client.desc.s = client;
    pfd_client.client_data = &pfd_client;
    pfd_origin.desc.s = ex->conn->sock;
    pfd_origin.client_data = &pfd_origin;
    apr_pollset_add(ps, &pfd_client);
    apr_pollset_add(ps, &pfd_origin);

    r->status = HTTP_SWITCHING_PROTOCOLS;
    rv = send_switching(ex, bb);
    apr_brigade_cleanup(bb);
    if (rv == APR_SUCCESS) {
        rv = origin_to_client(ex, bb, 0); /* bytes that came with the 101 */
    }
    if (rv == APR_SUCCESS) {
        /* bytes the client sent early */
        rv = client_to_origin(ex, bb, &client_more);
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "tunnel to %s open",
                  ex->pr->worker->name);
    while (rv == APR_SUCCESS) {
        const apr_pollfd_t *ready;
        apr_int32_t n = 0, i;
        int client_ready = client_more;

        rv = apr_pollset_poll(ps, client_more ? 0 : timeout, &n, &ready);
        if (APR_STATUS_IS_EINTR(rv)) {
            rv = APR_SUCCESS;
            continue;
        }
        if (APR_STATUS_IS_TIMEUP(rv) && client_more) {
            rv = APR_SUCCESS;
            n = 0;
        }
        if (rv != APR_SUCCESS) {
            break;
        }
        for (i = 0; i < n && rv == APR_SUCCESS; i++) {
            if (ready[i].client_data == &pfd_client) {
                client_ready = 1;
            }
            else {
                rv = origin_to_client(ex, bb, 1);
                while (rv == APR_SUCCESS && ex->conn->transport->has_pending &&
                       ex->conn->transport->has_pending(ex->conn)) {
                    rv = origin_to_client(ex, bb, 1);
                }
            }
        }
        if (rv == APR_SUCCESS && client_ready) {
            rv = client_to_origin(ex, bb, &client_more);
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv == RELAY_ETLSEOF ? 0 : rv, r,
                  RELAY_LOGNO(02030) "tunnel to %s closed%s",
                  ex->pr->worker->name,
                  APR_STATUS_IS_TIMEUP(rv) ? " after its idle timeout"
                  : rv == RELAY_ETLSEOF    ? " (TLS without close_notify)"
                                           : "");
    /* The client connection carried the tunnel; nothing else may be
     * written on it. */
    c->keepalive = AP_CONN_CLOSE;
    c->aborted = 1;
    return OK;
}
