/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_cache: an HTTP cache (RFC 9111) in front of any content,
 * proxied or local, with stock mod_cache's directives. Lookups run in the
 * quick handler (CacheQuickHandler on, the default) or, with it off or
 * for a <Location>'s CacheEnable, first thing in the handler phase, after
 * access control, where a CACHE filter placed in the chain says where
 * responses are stored and hits enter; the stores (mod_mem_cache's "mem"
 * ...) plug in through relay_cache.h.
 */
#include "ap_provider.h"
#include "http_protocol.h"
#include "http_request.h"

#include "relay_family.h"
#include "cache_private.h"

static int quick_handler(request_rec *r, int lookup_only)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);

    if (lookup_only || sc->quick == 0) {
        return DECLINED;
    }
    return cache_lookup(r, 1);
}

static int handler(request_rec *r)
{
    return cache_lookup(r, 0);
}

/* An error response (an origin that could not be reached) replaces the
 * output filters: a stale entry may still answer it (CacheStaleOnError,
 * stale-if-error). */
static void insert_error_filter(request_rec *r)
{
    cache_req_t *cr = ap_get_module_config(r->request_config, &cache_module);

    if (cr) {
        cr->place = NULL; /* the chain it was in is gone */
    }
    if (cr && cr->stale &&
        relay_cache_serve_stale_on_error(&cr->decision, r->status)) {
        ap_add_output_filter_handle(cache_save_filter_handle, cr, r,
                                    r->connection);
    }
}

static int check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    return relay_family_check(plog, s, &cache_module);
}

/* Attaches the shared counters; names the CacheEnable types that no
 * loaded module provides. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    server_rec *v;
    int i;

    cache_stats_attach(pconf, ptemp, s);
    for (v = s; v; v = v->next) {
        const cache_server_conf_t *sc =
            ap_get_module_config(v->module_config, &cache_module);
        for (i = 0; i < sc->enable->nelts; i++) {
            const char *type = APR_ARRAY_IDX(sc->enable, i, cache_url_t).type;
            if (!ap_lookup_provider(RELAY_CACHE_STORE_GROUP, type,
                                    RELAY_CACHE_STORE_VERSION)) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                             RELAY_LOGNO(04004) "CacheEnable %s: no module "
                                                "provides the '%s' cache "
                                                "type; it is not used",
                             type, type);
            }
        }
    }
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_cache.c");
    ap_hook_quick_handler(quick_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    cache_stats_register();
    cache_save_filter_handle = ap_register_output_filter(
        "CACHE_SAVE", cache_save_filter, NULL, AP_FTYPE_CONTENT_SET + 1);
    cache_invalidate_filter_handle =
        ap_register_output_filter("CACHE_INVALIDATE", cache_invalidate_filter,
                                  NULL, AP_FTYPE_CONTENT_SET + 1);
    cache_place_filter_handle = ap_register_output_filter(
        "CACHE", cache_place_filter, NULL, AP_FTYPE_RESOURCE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
cache_module = {STANDARD20_MODULE_STUFF, cache_create_dir_conf,
                cache_merge_dir_conf,    cache_create_server_conf,
                cache_merge_server_conf, cache_cmds,
                register_hooks,          AP_MODULE_FLAG_NONE};
