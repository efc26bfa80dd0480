/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_cache_socache: the "socache" store of mod_cache
 * (CacheEnable socache) on httpd's small-object cache providers, with
 * stock's CacheSocache* directives. With memcache or redis, several
 * gateways share one cache. Each CacheSocache line is a cache of its own,
 * initialised for each configuration generation (post_config); providers
 * that are not safe across processes and threads (shmcb) are used under
 * one global mutex.
 */
#include "ap_provider.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_main.h"
#include "util_mutex.h"

#include "relay/relay_cache_item.h"
#include "relay_family.h"
#include "socache_private.h"

#define MUTEX_TYPE "relay-cache-socache"

static apr_global_mutex_t *mutex;

static int socache_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp)
{
    mutex = NULL;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static int socache_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;

    if (relay_family_check(plog, s, &cache_socache_module) != OK) {
        return !OK;
    }
    for (v = s; v; v = v->next) {
        socache_config_t *c =
            ap_get_module_config(v->module_config, &cache_socache_module);
        if ((v == s || c->own) && socache_config_check(v, c) != OK) {
            return !OK;
        }
    }
    return OK;
}

static apr_status_t destroy_store(void *data)
{
    socache_store_t *st = data;

    st->provider->destroy(st->instance, ap_server_conf);
    st->ready = 0;
    return APR_SUCCESS;
}

static int init_store(apr_pool_t *pconf, server_rec *s, socache_store_t *st,
                      int n)
{
    struct ap_socache_hints hints = {RELAY_CACHE_ITEM_ID_LEN, 4096,
                                     apr_time_from_sec(30)};
    /* One name per cache (shmcb names its segment after it). */
    const char *cname = apr_psprintf(pconf, "relay-sc-%d", n);
    apr_status_t rv;

    if ((st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) && !mutex &&
        ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0) !=
            APR_SUCCESS) {
        return !OK;
    }
    st->mutex =
        (st->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) ? &mutex : NULL;
    rv = st->provider->init(st->instance, cname, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, rv, s,
                     RELAY_LOGNO(06508) "cannot initialise the cache store "
                                        "%s (CacheSocache)",
                     st->spec);
        return !OK;
    }
    apr_pool_cleanup_register(pconf, st, destroy_store, apr_pool_cleanup_null);
    if ((rv = socache_breaker_create(pconf, &st->breaker)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, rv, s,
                     RELAY_LOGNO(06509) "cannot create the shared state of "
                                        "the cache store %s",
                     st->spec);
        return !OK;
    }
    st->ready = 1;
    return OK;
}

static int socache_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;
    int n = 0;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (v = s; v; v = v->next) {
        socache_config_t *c =
            ap_get_module_config(v->module_config, &cache_socache_module);
        if ((v == s || c->own) && c->store && !c->store->ready &&
            init_store(pconf, v, c->store, n++) != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static void socache_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (!mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex),
                                     pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     RELAY_LOGNO(06510) "cannot attach to the socache store's "
                                        "lock in this child");
    }
}

static void socache_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_cache_socache.c");
    ap_register_provider(p, RELAY_CACHE_STORE_GROUP, "socache",
                         RELAY_CACHE_STORE_VERSION, &socache_store);
    ap_hook_pre_config(socache_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(socache_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(socache_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(socache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
cache_socache_module = {
    STANDARD20_MODULE_STUFF,     socache_create_dir_config,
    socache_merge_dir_config,    socache_create_server_config,
    socache_merge_server_config, socache_cmds,
    socache_register_hooks,      AP_MODULE_FLAG_NONE};
