/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The names of the stock modules whose work Relay's mod_proxy_balancer
 * does itself: mod_lbmethod_byrequests, mod_lbmethod_bybusyness and
 * mod_lbmethod_bytraffic. Each is built from this file under its stock
 * identifier and name (RELAY_IDENTITY: "lbmethod_byrequests" makes
 * lbmethod_byrequests_module named mod_lbmethod_byrequests.c), so
 * that `<IfModule mod_lbmethod_byrequests.c>` and
 * `<IfModule lbmethod_byrequests_module>` blocks of an existing
 * configuration apply instead of being skipped. Such a module serves
 * nothing itself: it only refuses to start when Relay's
 * mod_proxy_balancer, which does the work its name promises, is not
 * loaded.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_provider.h"

#include "relay_log.h"
#include "relay_proxy.h"

#ifndef RELAY_IDENTITY
#error "build with RELAY_IDENTITY defined (lbmethod_byrequests ...)"
#endif

#define IDENTITY_GLUE(a, b) a##b
#define IDENTITY_MODULE_OF(x) IDENTITY_GLUE(x, _module)
#define IDENTITY_MODULE IDENTITY_MODULE_OF(RELAY_IDENTITY)
#define IDENTITY_TEXT(x) #x
#define IDENTITY_NAME_OF(x) "mod_" IDENTITY_TEXT(x) ".c"
#define IDENTITY_NAME IDENTITY_NAME_OF(RELAY_IDENTITY)

#define IDENTITY_USE_LOG(x) APLOG_USE_MODULE(x) /* x expanded first */
IDENTITY_USE_LOG(RELAY_IDENTITY);

/* Relay's balancer registers its stock name as one of the family's. */
static int identity_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)ptemp;
    if (ap_lookup_provider(RELAY_MODULE_GROUP, "mod_proxy_balancer.c",
                           RELAY_MODULE_VERSION)) {
        return OK;
    }
    ap_log_error(
        APLOG_MARK, APLOG_EMERG, 0, s,
        RELAY_LOGNO(05025) "Relay's %s stands for the load-balancing "
                           "method Relay's mod_proxy_balancer has "
                           "built in, and that module is not loaded: "
                           "load Relay's mod_proxy_balancer.so (a2enmod "
                           "relay-proxy-balancer)",
        IDENTITY_NAME);
    (void)plog;
    return !OK;
}

static void identity_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(identity_check_config, NULL, NULL,
                         APR_HOOK_REALLY_LAST);
}

/* STANDARD20_MODULE_STUFF would name the module after this file. */
module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
IDENTITY_MODULE = {MODULE_MAGIC_NUMBER_MAJOR,
                   MODULE_MAGIC_NUMBER_MINOR,
                   -1,
                   IDENTITY_NAME,
                   NULL,
                   NULL,
                   MODULE_MAGIC_COOKIE,
                   NULL,
                   NULL,
                   NULL,
                   NULL,
                   NULL,
                   NULL,
                   identity_register_hooks,
                   AP_MODULE_FLAG_NONE};
