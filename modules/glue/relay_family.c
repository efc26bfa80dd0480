/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay and the stock modules share names, so that configurations written
 * for the stock family (IfModule, LogLevel proxy:debug, mod_rewrite's [P])
 * find Relay. Each Relay module registers a marker provider under its stock
 * name; a linked module of a family name without that marker is the stock
 * one, and mixing the two is refused at startup with the name of the
 * LoadModule line to change.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_provider.h"

#include "relay_log.h"
#include "relay_proxy.h"
#include "relay_family.h"

static const char *const family[] = {
    "mod_proxy.c",          "mod_proxy_http.c",
    "mod_proxy_balancer.c", "mod_proxy_ssl.c",
    "mod_cache.c",          "mod_cache_disk.c",
    "mod_mem_cache.c",      "mod_cache_socache.c",
    "mod_proxy_fcgi.c",     NULL};

static const int marker = 1;

void relay_family_register(apr_pool_t *p, const char *name)
{
    ap_register_provider(p, RELAY_MODULE_GROUP, name, RELAY_MODULE_VERSION,
                         &marker);
}

int relay_family_check(apr_pool_t *plog, server_rec *s, module *self)
{
    int i;

    for (i = 0; family[i]; i++) {
        module *m = ap_find_linked_module(family[i]);
        if (m && !ap_lookup_provider(RELAY_MODULE_GROUP, family[i],
                                     RELAY_MODULE_VERSION)) {
            ap_log_error(
                __FILE__, __LINE__, self->module_index, APLOG_EMERG, 0, s,
                RELAY_LOGNO(
                    00001) "Relay's %s cannot run with "
                           "httpd's own %s loaded: remove the LoadModule line "
                           "of the stock %s (or a2dismod it) and load Relay's "
                           "instead",
                self->name, family[i], m->name);
            return !OK;
        }
    }
    return OK;
}
