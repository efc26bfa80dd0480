/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The request half of an exchange: the head Relay writes to the origin
 * (hop-by-hop fields removed first, forwarding fields added after, so a
 * client cannot strip them through Connection) and the client's body,
 * streamed upstream with its Content-Length or re-chunked, one bounded
 * piece at a time.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_core.h"

#include "relay/relay_headers.h"
#include "http_private.h"

/* Bytes gathered before a send, so small pieces share a packet. */
#define RELAY_WRITE_BUFFER 16384

typedef struct writer_t {
    relay_conn_t *conn;
    char buf[RELAY_WRITE_BUFFER];
    apr_size_t len;
} writer_t;

int relay_http_send_failure(relay_http_exchange_t *ex, apr_status_t rv)
{
    if (APR_STATUS_IS_TIMEUP(rv)) {
        relay_error_note_set(ex->r, RELAY_PROXY_ERROR_SEND_TIMEOUT);
        return HTTP_GATEWAY_TIME_OUT;
    }
    relay_error_note_set(ex->r, RELAY_PROXY_ERROR_SEND_FAILED);
    return HTTP_BAD_GATEWAY;
}

static apr_status_t writer_flush(writer_t *w)
{
    apr_status_t rv = relay_exchange_send_all(w->conn, w->buf, w->len);

    w->len = 0;
    return rv;
}

static apr_status_t writer_put(writer_t *w, const char *data, apr_size_t len)
{
    apr_status_t rv;

    if (w->len + len <= sizeof(w->buf)) {
        memcpy(w->buf + w->len, data, len);
        w->len += len;
        return APR_SUCCESS;
    }
    if ((rv = writer_flush(w)) != APR_SUCCESS) {
        return rv;
    }
    if (len <= sizeof(w->buf)) {
        memcpy(w->buf, data, len);
        w->len = len;
        return APR_SUCCESS;
    }
    return relay_exchange_send_all(w->conn, data, len);
}

/* The Host field for the origin: the client's with ProxyPreserveHost,
 * else the origin URL's host, with its port when not the default. */
static const char *origin_host(relay_http_exchange_t *ex)
{
    relay_proxy_req_t *pr = ex->pr;
    const char *client_host = apr_table_get(ex->r->headers_in, "Host");
    int ipv6 = ap_strchr_c(pr->hostname, ':') != NULL;
    apr_port_t dflt = pr->provider->default_port;

    if (pr->preserve_host && client_host) {
        return client_host;
    }
    if (pr->port == dflt) {
        return ipv6 ? apr_psprintf(ex->r->pool, "[%s]", pr->hostname)
                    : pr->hostname;
    }
    return apr_psprintf(ex->r->pool, ipv6 ? "[%s]:%u" : "%s:%u", pr->hostname,
                        (unsigned)pr->port);
}

/* Max-Forwards: decremented when present, added when configured. */
static void set_max_forwards(relay_http_exchange_t *ex, apr_table_t *h)
{
    const char *v = apr_table_get(h, "Max-Forwards");

    if (v) {
        char *end;
        apr_int64_t n = apr_strtoi64(v, &end, 10);
        if (*end || n < 0) {
            apr_table_unset(h, "Max-Forwards");
        }
        else if (n > 0) {
            apr_table_set(
                h, "Max-Forwards",
                apr_psprintf(ex->r->pool, "%" APR_INT64_T_FMT, n - 1));
        }
    }
    else if (ex->pr->max_forwards >= 0) {
        apr_table_set(h, "Max-Forwards",
                      apr_itoa(ex->r->pool, ex->pr->max_forwards));
    }
}

/*
 * RFC 9110 §7.6.2: a request whose Max-Forwards has reached zero goes no
 * further. Relay answers OPTIONS and TRACE itself, as their final
 * recipient, and refuses any other method: a zero there means the request
 * went round a forwarding loop that ProxyMaxForwards was set to break (the
 * stock module does the same). Returns DECLINED when the request may go on,
 * else what the handler returns.
 */
int relay_http_check_max_forwards(request_rec *r)
{
    const char *v = apr_table_get(r->headers_in, "Max-Forwards");

    if (!v || strspn(v, "0") == 0 || v[strspn(v, "0")] != '\0') {
        return DECLINED;
    }
    switch (r->method_number) {
    case M_TRACE:
        r->proxyreq = PROXYREQ_NONE;
        return ap_send_http_trace(r);
    case M_OPTIONS:
        r->proxyreq = PROXYREQ_NONE;
        return ap_send_http_options(r);
    default:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(02100) "not forwarding %s %s: Max-Forwards "
                                         "has reached zero (a proxy loop?)",
                      r->method, r->uri);
        return HTTP_BAD_REQUEST;
    }
}

/* The fields sent upstream, in order of the rules of RFC 9110 §7.6. */
static apr_table_t *request_fields(relay_http_exchange_t *ex)
{
    request_rec *r = ex->r;
    relay_proxy_req_t *pr = ex->pr;
    apr_table_t *h = apr_table_copy(r->pool, r->headers_in);
    const char *client_host = apr_table_get(r->headers_in, "Host");

    /* 1. Hop-by-hop fields go first, including those named in Connection. */
    relay_headers_strip_hop_by_hop(h, ex->upgrade != NULL);
    apr_table_unset(h, "Content-Length");
    apr_table_unset(h, "Expect");
    if (pr->remote_auth) {
        /* ProxyRemote's credentials, for the upstream proxy. */
        apr_table_set(h, "Proxy-Authorization", pr->remote_auth);
    }
    else if (!apr_table_get(r->subprocess_env, "proxy-chain-auth")) {
        apr_table_unset(h, "Proxy-Authorization");
    }

    /* 2. Then Relay's own fields, which nothing above can remove. */
    apr_table_set(h, "Host", origin_host(ex));
    if (pr->add_headers && !pr->is_forward) {
        relay_header_append(h, "X-Forwarded-For", r->useragent_ip);
        if (client_host) {
            relay_header_append(h, "X-Forwarded-Host", client_host);
        }
        relay_header_append(h, "X-Forwarded-Server",
                            r->server->server_hostname);
    }
    if (pr->via == RELAY_VIA_BLOCK) {
        apr_table_unset(h, "Via");
    }
    else if (pr->via != RELAY_VIA_OFF) {
        relay_header_append(h, "Via",
                            ex->api->via_value(pr, r->proto_num % 1000));
    }
    set_max_forwards(ex, h);
    if (ex->upgrade) {
        apr_table_set(h, "Connection", "Upgrade");
    }
    else if (!ex->keepalive) {
        apr_table_set(h, "Connection", "close");
    }
    if (ex->expect_100) {
        apr_table_set(h, "Expect", "100-continue");
    }
    switch (ex->body) {
    case RELAY_HTTP_BODY_CHUNKED:
        apr_table_set(h, "Transfer-Encoding", "chunked");
        break;
    case RELAY_HTTP_BODY_LENGTH:
        apr_table_set(h, "Content-Length",
                      apr_table_get(r->headers_in, "Content-Length"));
        break;
    case RELAY_HTTP_BODY_SPOOLED:
        apr_table_set(
            h, "Content-Length",
            apr_off_t_toa(r->pool, relay_body_spool_length(ex->spool)));
        break;
    default:
        break;
    }
    return h;
}

typedef struct head_builder_t {
    writer_t *w;
    request_rec *r;
    apr_status_t rv;
} head_builder_t;

static int put_field(void *data, const char *key, const char *val)
{
    head_builder_t *hb = data;

    if (!relay_header_name_is_token(key) || !relay_header_value_is_safe(val)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, hb->r,
                      RELAY_LOGNO(02001) "not forwarding the request field "
                                         "'%s': invalid name or value",
                      key);
        return 1;
    }
    if ((hb->rv = writer_put(hb->w, key, strlen(key))) != APR_SUCCESS ||
        (hb->rv = writer_put(hb->w, ": ", 2)) != APR_SUCCESS ||
        (hb->rv = writer_put(hb->w, val, strlen(val))) != APR_SUCCESS ||
        (hb->rv = writer_put(hb->w, "\r\n", 2)) != APR_SUCCESS) {
        return 0;
    }
    return 1;
}

/* Writes the request line and fields to the origin. */
apr_status_t relay_http_send_head(relay_http_exchange_t *ex)
{
    request_rec *r = ex->r;
    writer_t *w = apr_palloc(r->pool, sizeof(*w));
    head_builder_t hb;
    const char *line;

    w->conn = ex->conn;
    w->len = 0;
    line = apr_pstrcat(r->pool, r->method, " ", ex->pr->target,
                       ex->http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", NULL);
    hb.w = w;
    hb.r = r;
    hb.rv = writer_put(w, line, strlen(line));
    if (hb.rv == APR_SUCCESS) {
        apr_table_do(put_field, &hb, request_fields(ex), NULL);
    }
    if (hb.rv == APR_SUCCESS) {
        hb.rv = writer_put(w, "\r\n", 2);
    }
    if (hb.rv == APR_SUCCESS) {
        hb.rv = writer_flush(w);
    }
    ex->conn->requests++;
    return hb.rv;
}

/* One piece of the body, in a chunk of its own when sent chunked. */
static apr_status_t put_piece(relay_http_exchange_t *ex, writer_t *w,
                              const char *data, apr_size_t len)
{
    char size[32];
    apr_size_t n;
    apr_status_t rv;

    if (ex->body != RELAY_HTTP_BODY_CHUNKED) {
        return writer_put(w, data, len);
    }
    n = (apr_size_t)apr_snprintf(
        size, sizeof(size), "%" APR_UINT64_T_HEX_FMT "\r\n", (apr_uint64_t)len);
    rv = writer_put(w, size, n);
    if (rv == APR_SUCCESS) {
        rv = writer_put(w, data, len);
    }
    return rv == APR_SUCCESS ? writer_put(w, "\r\n", 2) : rv;
}

typedef struct body_writer_t {
    relay_http_exchange_t *ex;
    writer_t *w;
} body_writer_t;

static apr_status_t put_body(void *baton, const char *data, apr_size_t len)
{
    body_writer_t *bw = baton;

    return put_piece(bw->ex, bw->w, data, len);
}

/*
 * Sends the request body: streamed from the client (re-chunked or with
 * its length), or from the spool. Returns OK, or an HTTP status: the
 * client's read error mapped by httpd, 504 for an origin timeout, 502 for
 * any other origin write failure.
 */
int relay_http_send_body(relay_http_exchange_t *ex)
{
    request_rec *r = ex->r;
    writer_t *w = apr_palloc(r->pool, sizeof(*w));
    body_writer_t bw;
    apr_status_t rv;
    int client_failed = 0;

    w->conn = ex->conn;
    w->len = 0;
    bw.ex = ex;
    bw.w = w;
    ex->body_started = 1;
    rv = ex->body == RELAY_HTTP_BODY_SPOOLED
             ? relay_body_spool_replay(ex->spool, put_body, &bw)
             : relay_body_read(r, ex->bb, ex->pr->io_buffer_size, put_body, &bw,
                               &client_failed);
    if (client_failed) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                      RELAY_LOGNO(02002) "reading the request body from "
                                         "the client failed");
        ex->conn->reusable = 0;
        return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
    }
    if (rv == APR_SUCCESS && ex->body == RELAY_HTTP_BODY_CHUNKED) {
        rv = writer_put(w, "0\r\n\r\n", 5);
    }
    else if (rv == APR_SUCCESS && ex->extra_crlf) {
        rv = writer_put(w, "\r\n", 2); /* proxy-sendextracrlf */
    }
    if (rv == APR_SUCCESS) {
        rv = writer_flush(w);
    }
    if (rv != APR_SUCCESS) {
        ex->conn->reusable = 0;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      RELAY_LOGNO(02003) "worker %s: sending the request "
                                         "body to the origin failed",
                      ex->pr->worker->name);
        return relay_http_send_failure(ex, rv);
    }
    return OK;
}
