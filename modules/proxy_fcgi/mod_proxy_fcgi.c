/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy_fcgi: FastCGI (FastCGI 1.0, the Responder role) to
 * PHP-FPM and other FastCGI applications, for fcgi:// URLs wherever
 * mod_proxy takes an origin URL (ProxyPass, ProxyPassMatch,
 * BalancerMember, SetHandler "proxy:fcgi://..." and its unix: socket
 * forms), with stock's directives ProxyFCGIBackendType and
 * ProxyFCGISetEnvIf. It registers the "fcgi" scheme with mod_proxy
 * (include/relay_proxy.h) and touches no other module. Identifier
 * proxy_fcgi_module, name mod_proxy_fcgi.c, as the stock module.
 */
#include "apr_strings.h"
#include "ap_provider.h"
#include "http_request.h"

#include "relay_family.h"
#include "fcgi_private.h"

static void exchange_init(fcgi_exchange_t *ex, relay_proxy_req_t *pr,
                          const relay_proxy_api_t *api)
{
    request_rec *r = pr->r;

    memset(ex, 0, sizeof(*ex));
    ex->pr = pr;
    ex->api = api;
    ex->r = r;
    ex->dc = ap_get_module_config(r->per_dir_config, &proxy_fcgi_module);
    ex->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
}

/* The application asked for a local Location (RFC 3875 §6.2.2): it is
 * served as a GET without the client's body, as mod_cgi does. */
static int internal_redirect(request_rec *r, const char *location)
{
    r->method = "GET";
    r->method_number = M_GET;
    apr_table_unset(r->headers_in, "Content-Length");
    ap_internal_redirect_handler(location, r);
    return OK;
}

static int fcgi_handle(relay_proxy_req_t *pr, const relay_proxy_api_t *api)
{
    fcgi_exchange_t ex;
    apr_status_t rv;
    int reused, rc;

    AP_DEBUG_ASSERT(pr->magic == RELAY_REQ_MAGIC);
    exchange_init(&ex, pr, api);
    if ((rc = fcgi_spool_body(&ex)) != OK) {
        return rc;
    }
    rv = api->acquire(pr, 0, &ex.conn, &reused);
    if (rv != APR_SUCCESS) {
        return rv == APR_ENOTIMPL ? HTTP_INTERNAL_SERVER_ERROR
                                  : HTTP_SERVICE_UNAVAILABLE;
    }
    /* The application keeps the connection open only when asked to
     * (FCGI_KEEP_CONN, §5.1); it is asked when the worker pools them. */
    ex.keep_conn = ex.conn->reusable;
    fcgi_env_build(&ex);
    rc = fcgi_send_request(&ex);
    if (rc == OK) {
        rc = fcgi_relay_response(&ex);
    }
    if (!ex.keep_conn) {
        ex.conn->reusable = 0;
    }
    api->release(ex.conn);
    if (rc == OK && ex.redirect_to) {
        return internal_redirect(pr->r, ex.redirect_to);
    }
    return rc;
}

static const relay_scheme_t scheme_fcgi = {
    .name = "fcgi",
    .default_port = 8000,
    .close_by_default = 1,
    .handle = fcgi_handle,
};

static int fcgi_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    return relay_family_check(plog, s, &proxy_fcgi_module);
}

static void fcgi_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_proxy_fcgi.c");
    ap_register_provider(p, RELAY_SCHEME_GROUP, scheme_fcgi.name,
                         RELAY_SCHEME_VERSION, &scheme_fcgi);
    ap_hook_check_config(fcgi_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_fcgi_module = {STANDARD20_MODULE_STUFF,
                     fcgi_create_dir_conf,
                     fcgi_merge_dir_conf,
                     NULL,
                     NULL,
                     fcgi_cmds,
                     fcgi_register_hooks,
                     AP_MODULE_FLAG_NONE};
