/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_mem_cache: the "mem" store of mod_cache (CacheEnable mem),
 * with httpd 2.2's MCache* directives, in shared memory so every child
 * process serves from one cache. The segment and its lock are made anew
 * for each configuration generation (post_config), so a graceful restart
 * empties the cache cleanly; children of the old generation keep their
 * own mapping until they exit.
 */
#include "ap_provider.h"
#include "apr_global_mutex.h"
#include "http_core.h"
#include "http_main.h"
#include "util_mutex.h"

#include "relay_family.h"
#include "mem_private.h"

#define MUTEX_TYPE "relay-mem-cache"

static apr_global_mutex_t *mutex;

static int mem_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static int mem_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;

    if (relay_family_check(plog, s, &mem_cache_module) != OK) {
        return !OK;
    }
    for (v = s; v; v = v->next) {
        mem_config_t *c =
            ap_get_module_config(v->module_config, &mem_cache_module);
        if ((v == s || c->own) && mem_config_check(v, c) != OK) {
            return !OK;
        }
    }
    return OK;
}

static int mem_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    mem_config_t *main_conf =
        ap_get_module_config(s->module_config, &mem_cache_module);
    server_rec *v;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0) !=
        APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (v = s; v; v = v->next) {
        mem_config_t *c =
            ap_get_module_config(v->module_config, &mem_cache_module);
        if (v == s || c->own) {
            if (mem_cache_create(pconf, v, c, mutex, &c->cache) !=
                APR_SUCCESS) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        else {
            c->cache = main_conf->cache;
        }
    }
    return OK;
}

static void mem_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;
    server_rec *v;

    if (!mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex),
                                     pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     RELAY_LOGNO(04506) "cannot attach to the memory cache's "
                                        "lock in this child");
        return;
    }
    for (v = s; v; v = v->next) {
        mem_config_t *c =
            ap_get_module_config(v->module_config, &mem_cache_module);
        if (c->cache) {
            mem_cache_child_init(c->cache, mutex);
        }
    }
}

void mem_stats(server_rec *s, relay_cache_store_stats_t *st)
{
    server_rec *v;

    st->entries = st->bytes = st->evictions = 0;
    for (v = s; v; v = v->next) {
        mem_config_t *c =
            ap_get_module_config(v->module_config, &mem_cache_module);
        /* Servers without a cache of their own share the main one. */
        if (c->cache && (v == s || c->own)) {
            mem_cache_stats_add(c->cache, st);
        }
    }
}

static void mem_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_mem_cache.c");
    ap_register_provider(p, RELAY_CACHE_STORE_GROUP, "mem",
                         RELAY_CACHE_STORE_VERSION, &mem_store);
    ap_hook_pre_config(mem_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(mem_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(mem_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(mem_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
mem_cache_module = {STANDARD20_MODULE_STUFF,
                    NULL,
                    NULL,
                    mem_create_server_config,
                    mem_merge_server_config,
                    mem_cmds,
                    mem_register_hooks,
                    AP_MODULE_FLAG_NONE};
