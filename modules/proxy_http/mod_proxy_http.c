/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy_http: HTTP/1.1 to origins over connections pooled by
 * mod_proxy, for http:// and ws:// URLs (https:// and wss:// once a TLS
 * transport is loaded). One exchange: take a connection, send the head and
 * the body, read the response and relay it. A request that finds a reused
 * connection dead before any response byte, and whose body (if any) has
 * not been touched, is sent once more on a fresh connection, so the
 * keep-alive race never reaches the client.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"

#include "relay/relay_headers.h"
#include "relay_family.h"
#include "http_private.h"

extern module AP_MODULE_DECLARE_DATA proxy_http_module;

/* The protocol this request may upgrade to, or NULL. */
static const char *allowed_upgrade(relay_proxy_req_t *pr)
{
    request_rec *r = pr->r;
    const char *allowed = pr->worker->params.upgrade;
    const char *upgrade = apr_table_get(r->headers_in, "Upgrade");
    const char *connection = apr_table_get(r->headers_in, "Connection");

    if (!upgrade || !connection ||
        !relay_header_has_token(connection, "upgrade") ||
        r->proto_num < HTTP_VERSION(1, 1)) {
        return NULL;
    }
    if (!allowed && pr->provider->tunnel) {
        allowed = "websocket";
    }
    if (!allowed) {
        return NULL;
    }
    if (!strcmp(allowed, "*") || relay_header_has_token(upgrade, allowed)) {
        return upgrade;
    }
    return NULL;
}

static int is_idempotent(request_rec *r)
{
    switch (r->method_number) {
    case M_GET:
    case M_PUT:
    case M_DELETE:
    case M_OPTIONS:
    case M_TRACE:
        return 1;
    default:
        return r->header_only; /* HEAD */
    }
}

static int env_set(request_rec *r, const char *name)
{
    return apr_table_get(r->subprocess_env, name) != NULL;
}

/*
 * How the body goes upstream, as stock decides it. A body of known length
 * streams with it, unless an input filter (mod_deflate's inflation, say)
 * may change the bytes and proxy-sendunchangedcl does not vouch for them.
 * An unknown length is sent chunked, or with proxy-sendcl, and always to
 * an HTTP/1.0 origin (which has no chunked coding), read whole first to
 * learn it. proxy-sendchunked asks for chunks in every case HTTP/1.1
 * allows.
 */
static relay_http_body_t body_mode(request_rec *r, int http10)
{
    const char *te = apr_table_get(r->headers_in, "Transfer-Encoding");
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    int length_known = !te && cl &&
                       (r->input_filters == r->proto_input_filters ||
                        env_set(r, "proxy-sendunchangedcl"));

    if (!te && (!cl || !strcmp(cl, "0"))) {
        return RELAY_HTTP_BODY_NONE;
    }
    if (http10) {
        return length_known ? RELAY_HTTP_BODY_LENGTH : RELAY_HTTP_BODY_SPOOLED;
    }
    if (env_set(r, "proxy-sendchunked") || env_set(r, "proxy-sendchunks")) {
        return RELAY_HTTP_BODY_CHUNKED;
    }
    if (length_known) {
        return RELAY_HTTP_BODY_LENGTH;
    }
    return env_set(r, "proxy-sendcl") ? RELAY_HTTP_BODY_SPOOLED
                                      : RELAY_HTTP_BODY_CHUNKED;
}

static void exchange_init(relay_http_exchange_t *ex, relay_proxy_req_t *pr,
                          const relay_proxy_api_t *api)
{
    request_rec *r = pr->r;
    const char *expect = apr_table_get(r->headers_in, "Expect");

    memset(ex, 0, sizeof(*ex));
    ex->pr = pr;
    ex->api = api;
    ex->r = r;
    ex->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    ex->upgrade = allowed_upgrade(pr);
    ex->http10 = env_set(r, "force-proxy-request-1.0");
    ex->body = body_mode(r, ex->http10);
    ex->extra_crlf = env_set(r, "proxy-sendextracrlf");
    ex->keepalive = !ex->http10 && !env_set(r, "proxy-nokeepalive");
    /* A spooled body has been read (and 100 Continue sent by httpd)
     * before the origin is asked. */
    ex->expect_100 = (ex->body == RELAY_HTTP_BODY_LENGTH ||
                      ex->body == RELAY_HTTP_BODY_CHUNKED) &&
                     pr->proxy100 && !ex->http10 && expect &&
                     !strcasecmp(expect, "100-continue") && r->expecting_100;
    /* ping=: a body waits for the origin's 100 (asked for whether the
     * client did or not), as stock's probe of hung origins. */
    ex->ping = (ex->body == RELAY_HTTP_BODY_LENGTH ||
                ex->body == RELAY_HTTP_BODY_CHUNKED) &&
               !ex->http10 && pr->worker->params.ping_ms > 0;
    ex->expect_100 |= ex->ping;
}

/* The request notes stock's mod_proxy_http leaves for %{...}n in log
 * formats: the local port of the origin connection (proxy-source-port) and
 * the status the origin answered (proxy-status). */
static void note_source_port(request_rec *r, relay_conn_t *conn)
{
    apr_sockaddr_t *local = NULL;

    if (conn->sock &&
        apr_socket_addr_get(&local, APR_LOCAL, conn->sock) == APR_SUCCESS &&
        local->port) {
        apr_table_setn(r->notes, "proxy-source-port",
                       apr_itoa(r->pool, local->port));
    }
}

/* Reads the body whole before the origin is asked (RELAY_HTTP_BODY_SPOOLED).
 * Returns OK or the status to answer with. */
static int spool_body(relay_http_exchange_t *ex)
{
    int client_failed;
    apr_status_t rv = relay_body_spool_read(
        ex->r, ex->bb, ex->pr->io_buffer_size, &ex->spool, &client_failed);

    if (rv == APR_SUCCESS) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, client_failed ? APLOG_INFO : APLOG_ERR, rv, ex->r,
                  RELAY_LOGNO(02016) "%s the request body to learn its length "
                                     "failed",
                  client_failed ? "reading" : "spooling");
    return client_failed ? ap_map_http_request_error(rv, HTTP_BAD_REQUEST)
                         : HTTP_INTERNAL_SERVER_ERROR;
}

/*
 * One attempt on one connection: head, body, response head. Returns OK,
 * RELAY_HTTP_RETRY or an HTTP status. *final tells whether ex->head holds
 * the final response already (the origin answered before the body).
 */
static int attempt(relay_http_exchange_t *ex)
{
    request_rec *r = ex->r;
    apr_status_t rv;
    int rc, got_final = 0;

    rv = relay_http_send_head(ex);
    if (rv != APR_SUCCESS) {
        ex->conn->reusable = 0;
        if (ex->reused) {
            return RELAY_HTTP_RETRY;
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      RELAY_LOGNO(02040) "worker %s: sending the request to "
                                         "the origin failed",
                      ex->pr->worker->name);
        return relay_http_send_failure(ex, rv);
    }
    if (ex->body != RELAY_HTTP_BODY_NONE) {
        if (ex->expect_100) {
            rc = relay_http_wait_continue(ex, &got_final);
            if (rc != OK) {
                return rc;
            }
        }
        if (got_final) {
            /* The origin answered without wanting the body: it stays
             * unread, so neither connection can carry another request. */
            ex->conn->reusable = 0;
            r->connection->keepalive = AP_CONN_CLOSE;
            return OK;
        }
        rc = relay_http_send_body(ex);
        if (rc != OK) {
            return rc;
        }
    }
    return relay_http_read_response(ex);
}

static int http_handle(relay_proxy_req_t *pr, const relay_proxy_api_t *api)
{
    relay_http_exchange_t ex;
    request_rec *r = pr->r;
    int tries, initial_fresh, rc = HTTP_BAD_GATEWAY;

    AP_DEBUG_ASSERT(pr->magic == RELAY_REQ_MAGIC);
    if ((rc = relay_http_check_max_forwards(r)) != DECLINED) {
        return rc;
    }
    if (!relay_header_name_is_token(r->method)) {
        /* RFC 9110 §9.1: a method is a token. httpd lets others through
         * under HttpProtocolOptions Unsafe; they would break the origin's
         * request line. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(02017) "a method that is not a token is "
                                         "not forwarded: 400");
        return HTTP_BAD_REQUEST;
    }
    exchange_init(&ex, pr, api);
    if (ex.body == RELAY_HTTP_BODY_SPOOLED && (rc = spool_body(&ex)) != OK) {
        return rc;
    }
    /* proxy-initial-not-pooled: a client's first request may be one the
     * client cannot repeat, so it never meets a pooled connection the
     * origin may be closing. */
    initial_fresh = r->connection->keepalives == 0 &&
                    env_set(r, "proxy-initial-not-pooled");
    for (tries = 0; tries < 2; tries++) {
        apr_status_t rv =
            api->acquire(pr, tries > 0 || initial_fresh, &ex.conn, &ex.reused);
        if (rv == RELAY_ETLS) {
            return HTTP_BAD_GATEWAY; /* the origin's TLS failed */
        }
        if (rv != APR_SUCCESS) {
            return rv == APR_ENOTIMPL ? HTTP_INTERNAL_SERVER_ERROR
                                      : HTTP_SERVICE_UNAVAILABLE;
        }
        note_source_port(r, ex.conn);
        rc = attempt(&ex);
        if (rc != RELAY_HTTP_RETRY) {
            break;
        }
        api->release(ex.conn);
        ex.conn = NULL;
        if (ex.body_started || !is_idempotent(r)) {
            ap_log_rerror(
                APLOG_MARK, APLOG_ERR, 0, r,
                RELAY_LOGNO(
                    02041) "worker %s: reused connection "
                           "closed before a response, and %s %s cannot be "
                           "sent again",
                pr->worker->name, r->method, pr->target);
            relay_error_note_set(r, RELAY_PROXY_ERROR_CLOSED);
            return HTTP_BAD_GATEWAY;
        }
        ap_log_rerror(
            APLOG_MARK, APLOG_DEBUG, 0, r,
            RELAY_LOGNO(02042) "worker %s: reused connection was "
                               "closed by the origin; retrying on a fresh one",
            pr->worker->name);
    }
    if (rc == RELAY_HTTP_RETRY) {
        rc = HTTP_BAD_GATEWAY;
    }
    if (ex.head.status) {
        apr_table_setn(r->notes, "proxy-status",
                       apr_itoa(r->pool, ex.head.status));
    }
    if (rc == OK) {
        rc = ex.head.status == HTTP_SWITCHING_PROTOCOLS
                 ? relay_http_tunnel(&ex)
                 : relay_http_relay_response(&ex);
    }
    if (ex.conn) {
        api->release(ex.conn);
    }
    return rc;
}

static const relay_scheme_t scheme_http = {
    .name = "http",
    .default_port = 80,
    .http = 1,
    .forward = 1,
    .handle = http_handle,
};
static const relay_scheme_t scheme_https = {
    .name = "https",
    .default_port = 443,
    .tls = 1,
    .http = 1,
    .forward = 1,
    .handle = http_handle,
};
static const relay_scheme_t scheme_ws = {
    .name = "ws",
    .default_port = 80,
    .tunnel = 1,
    .http = 1,
    .handle = http_handle,
};
static const relay_scheme_t scheme_wss = {
    .name = "wss",
    .default_port = 443,
    .tls = 1,
    .tunnel = 1,
    .http = 1,
    .handle = http_handle,
};
static const relay_scheme_t *const schemes[] = {&scheme_http, &scheme_https,
                                                &scheme_ws, &scheme_wss};

static int http_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    return relay_family_check(plog, s, &proxy_http_module);
}

static void http_register_hooks(apr_pool_t *p)
{
    apr_size_t i;

    relay_family_register(p, "mod_proxy_http.c");
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        ap_register_provider(p, RELAY_SCHEME_GROUP, schemes[i]->name,
                             RELAY_SCHEME_VERSION, schemes[i]);
    }
    ap_hook_check_config(http_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_http_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, http_register_hooks,
    AP_MODULE_FLAG_NONE};
