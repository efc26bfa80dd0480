/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy_ajp: AJP/1.3 to Tomcat and other servlet containers,
 * for ajp:// URLs wherever mod_proxy takes an origin URL (ProxyPass,
 * ProxyPassMatch, BalancerMember, SetHandler "proxy:ajp://..."), with the
 * worker parameters secret= (the shared secret Tomcat's secretRequired
 * asks for) and ping= (CPing/CPong before a request on a pooled
 * connection). It registers the "ajp" scheme with mod_proxy
 * (include/relay_proxy.h) and touches no other module. Identifier
 * proxy_ajp_module, name mod_proxy_ajp.c, as the stock module.
 */
#include "apr_strings.h"
#include "ap_provider.h"
#include "http_protocol.h"

#include "relay_family.h"
#include "ajp_private.h"

extern module AP_MODULE_DECLARE_DATA proxy_ajp_module;

static void exchange_init(ajp_exchange_t *ex, relay_proxy_req_t *pr,
                          const relay_proxy_api_t *api)
{
    request_rec *r = pr->r;

    memset(ex, 0, sizeof(*ex));
    ex->pr = pr;
    ex->api = api;
    ex->r = r;
    ex->max_packet = relay_ajp_packet_size(pr->io_buffer_size);
    ex->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    ex->has_body = ap_request_has_body(r);
}

#define AJP_BUFFERS_MAGIC 0x52414a50 /* "RAJP" */

/* The two packet buffers, kept with the connection. */
typedef struct ajp_buffers_t {
    unsigned int magic;
    apr_size_t size;
    char *out;
    char *in;
} ajp_buffers_t;

/* Points the exchange at the packet buffers of its connection, made the
 * first time a request uses the connection. */
static void attach_buffers(ajp_exchange_t *ex)
{
    relay_conn_t *c = ex->conn;
    ajp_buffers_t *b = c->scheme_data;

    if (!b || b->magic != AJP_BUFFERS_MAGIC || b->size < ex->max_packet) {
        b = apr_palloc(c->pool, sizeof(*b));
        b->magic = AJP_BUFFERS_MAGIC;
        b->size = ex->max_packet;
        b->out = apr_palloc(c->pool, ex->max_packet);
        b->in = apr_palloc(c->pool, ex->max_packet);
        c->scheme_data = b;
    }
    ex->out = b->out;
    ex->in = b->in;
}

/* A connection for the request: a pooled one answers CPing first when
 * ping= is set; one that fails it (or that the container closed) is
 * dropped for a fresh one. */
static apr_status_t take_connection(ajp_exchange_t *ex)
{
    relay_proxy_req_t *pr = ex->pr;
    apr_status_t rv = ex->api->acquire(pr, 0, &ex->conn, &ex->reused);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    attach_buffers(ex);
    if (!ex->reused || pr->worker->params.ping_ms <= 0) {
        return rv;
    }
    if (ajp_cping(ex) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, ex->r,
                  RELAY_LOGNO(08020) "worker %s: a pooled connection did not "
                                     "answer CPing; taking a fresh one",
                  pr->worker->name);
    ex->conn->reusable = 0;
    ex->api->release(ex->conn);
    ex->conn = NULL;
    rv = ex->api->acquire(pr, 1, &ex->conn, &ex->reused);
    if (rv == APR_SUCCESS) {
        attach_buffers(ex);
    }
    return rv;
}

static int ajp_handle(relay_proxy_req_t *pr, const relay_proxy_api_t *api)
{
    ajp_exchange_t ex;
    apr_status_t rv;
    int rc = HTTP_BAD_GATEWAY, tries;

    AP_DEBUG_ASSERT(pr->magic == RELAY_REQ_MAGIC);
    exchange_init(&ex, pr, api);
    for (tries = 0; tries < 2; tries++) {
        rv = tries ? api->acquire(pr, 1, &ex.conn, &ex.reused)
                   : take_connection(&ex);
        if (rv != APR_SUCCESS) {
            return rv == APR_ENOTIMPL ? HTTP_INTERNAL_SERVER_ERROR
                                      : HTTP_SERVICE_UNAVAILABLE;
        }
        if (tries) {
            attach_buffers(&ex);
        }
        rv = ajp_send_request(&ex, &rc);
        if (rv == APR_SUCCESS) {
            break;
        }
        ex.conn->reusable = 0;
        api->release(ex.conn);
        ex.conn = NULL;
        if (rv == APR_EINVAL) {
            return rc; /* the request does not fit a packet */
        }
        if (!ex.reused || ex.body_started) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, pr->r,
                          RELAY_LOGNO(08021) "worker %s: sending the request "
                                             "to the container failed",
                          pr->worker->name);
            relay_error_note_set(pr->r, APR_STATUS_IS_TIMEUP(rv)
                                            ? RELAY_PROXY_ERROR_SEND_TIMEOUT
                                            : RELAY_PROXY_ERROR_SEND_FAILED);
            return APR_STATUS_IS_TIMEUP(rv) ? HTTP_GATEWAY_TIME_OUT
                                            : HTTP_BAD_GATEWAY;
        }
    }
    if (!ex.conn) {
        return HTTP_BAD_GATEWAY;
    }
    rc = ajp_relay_response(&ex);
    api->release(ex.conn);
    return rc;
}

static const relay_scheme_t scheme_ajp = {
    .name = "ajp",
    .default_port = 8009,
    .handle = ajp_handle,
};

static int ajp_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    return relay_family_check(plog, s, &proxy_ajp_module);
}

static void ajp_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_proxy_ajp.c");
    ap_register_provider(p, RELAY_SCHEME_GROUP, scheme_ajp.name,
                         RELAY_SCHEME_VERSION, &scheme_ajp);
    ap_hook_check_config(ajp_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_ajp_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, ajp_register_hooks,
    AP_MODULE_FLAG_NONE};
