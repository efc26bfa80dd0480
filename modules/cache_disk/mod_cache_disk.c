/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_cache_disk: the "disk" store of mod_cache (CacheEnable
 * disk), with stock mod_cache_disk's directives and layout rules, entries
 * written to a temporary file and renamed into place, and an optional
 * size bound (CacheDiskLimit) kept by a cleaner inside httpd.
 *
 * post_config gives every distinct CacheRoot a disk_root_t with a small
 * anonymous shared memory block that all children inherit (the outage
 * flag, so a failing disk is logged once, and what was stored since the
 * cleaner's last scan), removes temporary files left by processes that
 * died, and starts the cleaner.
 */
#include "ap_provider.h"
#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_main.h"

#include "relay_family.h"
#include "disk_private.h"

void disk_outage(request_rec *r, disk_root_t *root, apr_status_t rv,
                 const char *what)
{
    if (rv == APR_SUCCESS) {
        if (apr_atomic_cas32(&root->shared->outage, 0, 1) == 1) {
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                          RELAY_LOGNO(06003) "the disk cache in %s stores "
                                             "entries again",
                          root->path);
        }
        return;
    }
    if (apr_atomic_cas32(&root->shared->outage, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      RELAY_LOGNO(06002) "%s the disk cache in %s: responses "
                                         "are served without being stored "
                                         "until it works again",
                      what, root->path);
    }
}

static int disk_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;

    if (relay_family_check(plog, s, &cache_disk_module) != OK) {
        return !OK;
    }
    for (v = s; v; v = v->next) {
        disk_server_conf_t *c =
            ap_get_module_config(v->module_config, &cache_disk_module);
        if (disk_config_check(v, c) != OK) {
            return !OK;
        }
    }
    return OK;
}

/* The root state of a server: shared with any server of the same root. */
static disk_root_t *root_for(apr_pool_t *pconf, apr_array_header_t *roots,
                             const disk_server_conf_t *c)
{
    disk_root_t *root;
    int i;

    for (i = 0; i < roots->nelts; i++) {
        root = APR_ARRAY_IDX(roots, i, disk_root_t *);
        if (!strcmp(root->path, c->root)) {
            return root;
        }
    }
    root = apr_pcalloc(pconf, sizeof(*root));
    root->path = c->root;
    root->levels = disk_levels(c);
    root->length = disk_length(c);
    root->limit_bytes = c->limit_bytes > 0 ? c->limit_bytes : 0;
    root->limit_entries = c->limit_entries > 0 ? c->limit_entries : 0;
    APR_ARRAY_PUSH(roots, disk_root_t *) = root;
    return root;
}

static int disk_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *roots = apr_array_make(pconf, 2, sizeof(void *));
    apr_shm_t *shm;
    apr_status_t rv;
    server_rec *v;
    int i;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (v = s; v; v = v->next) {
        disk_server_conf_t *c =
            ap_get_module_config(v->module_config, &cache_disk_module);
        c->state = c->root ? root_for(pconf, roots, c) : NULL;
    }
    if (roots->nelts == 0) {
        return OK;
    }
    rv =
        apr_shm_create(&shm, roots->nelts * sizeof(disk_shared_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     RELAY_LOGNO(06001) "cannot create the disk cache's "
                                        "shared state");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (i = 0; i < roots->nelts; i++) {
        disk_root_t *root = APR_ARRAY_IDX(roots, i, disk_root_t *);
        root->shared = (disk_shared_t *)apr_shm_baseaddr_get(shm) + i;
        memset(root->shared, 0, sizeof(*root->shared));
        disk_remove_leftovers(ptemp, s, root);
    }
    rv = disk_cleaner_start(pconf, s, roots);
    return rv == APR_SUCCESS || rv == APR_ENOTIMPL ? OK
                                                   : HTTP_INTERNAL_SERVER_ERROR;
}

static void disk_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_cache_disk.c");
    ap_register_provider(p, RELAY_CACHE_STORE_GROUP, "disk",
                         RELAY_CACHE_STORE_VERSION, &disk_store);
    ap_hook_check_config(disk_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(disk_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
cache_disk_module = {STANDARD20_MODULE_STUFF, disk_create_dir_conf,
                     disk_merge_dir_conf,     disk_create_server_conf,
                     disk_merge_server_conf,  disk_cmds,
                     disk_register_hooks,     AP_MODULE_FLAG_NONE};
