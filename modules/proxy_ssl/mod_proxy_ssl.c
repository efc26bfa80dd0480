/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy_ssl: TLS to origins (https:// and wss://) with
 * OpenSSL, verified by default. It registers the "tls" transport that
 * mod_proxy puts under connections to such origins, and reads stock
 * mod_ssl's SSLProxy* directives, so it runs with or without stock
 * mod_ssl (which may terminate the clients' TLS in the same server), in
 * either LoadModule order. Identifier proxy_ssl_module, name
 * mod_proxy_ssl.c.
 */
#include "ap_provider.h"

#include "relay_family.h"
#include "ssl_private.h"

static int ssl_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    return relay_family_check(plog, s, &proxy_ssl_module);
}

static void ssl_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = relay_ssl_child_init(pchild);

    if (rv == APR_SUCCESS) {
        rv = relay_ssl_transport_init(pchild);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     RELAY_LOGNO(03000) "cannot set up TLS to origins in "
                                        "this child process");
    }
}

static void ssl_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_proxy_ssl.c");
    ap_register_provider(p, RELAY_TRANSPORT_GROUP, "tls",
                         RELAY_TRANSPORT_VERSION, &relay_ssl_transport);
    ap_hook_check_config(ssl_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ssl_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_ssl_module = {STANDARD20_MODULE_STUFF,
                    relay_ssl_create_dir_conf,
                    relay_ssl_merge_dir_conf,
                    NULL,
                    NULL,
                    relay_ssl_cmds,
                    ssl_register_hooks,
                    AP_MODULE_FLAG_NONE};
