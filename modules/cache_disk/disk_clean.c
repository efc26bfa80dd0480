/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Tidying and bounding the disk store inside httpd: temporary files of
 * processes that died are removed at startup, and, for a root with a
 * CacheDiskLimit, a cleaner runs in one child process (a singleton
 * watchdog of mod_watchdog, ticking every second). It scans the root when
 * what was stored since its last scan may have taken the store over its
 * limits, and every minute anyway; each scan removes leftovers and
 * bad files and, when the store is over a limit, expired entries and the
 * least recently used ones until it is down to 90% of its limits
 * (relay/relay_disk_clean.h).
 */
#include "apr_atomic.h"
#include "apr_optional.h"
#include "mod_watchdog.h"

#include "relay/relay_disk_clean.h"
#include "disk_private.h"

APLOG_USE_MODULE(cache_disk);

#define CLEAN_TICK apr_time_from_sec(1)
#define RESCAN_EVERY apr_time_from_sec(60)
#define WATCHDOG_NAME "relay-cache-disk"

static server_rec *main_server;

void disk_remove_leftovers(apr_pool_t *ptemp, server_rec *s,
                           const disk_root_t *root)
{
    int n = relay_disk_remove_leftovers(ptemp, root->path, apr_time_now());

    if (n > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     RELAY_LOGNO(06007) "removed %d unfinished file(s) left "
                                        "in the disk cache %s",
                     n, root->path);
    }
}

/* Whether what was stored since the last scan may exceed a limit. */
static int maybe_over(disk_root_t *root)
{
    apr_off_t bytes =
        root->scanned_bytes +
        (apr_off_t)apr_atomic_read32(&root->shared->added_kib) * 1024;
    apr_int64_t entries =
        root->scanned_entries + apr_atomic_read32(&root->shared->added_entries);

    return (root->limit_bytes && bytes > root->limit_bytes) ||
           (root->limit_entries && entries > root->limit_entries);
}

static void clean(disk_root_t *root, apr_pool_t *pool, apr_time_t now)
{
    relay_disk_scan_t scan;
    apr_status_t rv;
    apr_off_t freed = 0;
    int removed = 0;

    apr_atomic_set32(&root->shared->added_kib, 0);
    apr_atomic_set32(&root->shared->added_entries, 0);
    root->next_scan = now + RESCAN_EVERY;
    rv = relay_disk_scan(pool, root->path, 0, now, NULL, NULL, &scan);
    if (rv != APR_SUCCESS) {
        root->scanned_bytes = root->scanned_entries = 0;
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, main_server,
                     RELAY_LOGNO(06010) "the disk cache cleaner cannot read "
                                        "%s; next try in %d s",
                     root->path, (int)apr_time_sec(RESCAN_EVERY));
        return;
    }
    if (relay_disk_plan_with_headroom((relay_disk_item_t *)scan.items->elts,
                                      scan.items->nelts, root->limit_bytes,
                                      root->limit_entries, now) > 0) {
        freed = relay_disk_remove_marked(pool, &scan, &removed);
    }
    root->scanned_bytes = scan.bytes;
    root->scanned_entries = scan.items->nelts - removed;
    apr_atomic_set32(&root->shared->scanned_kib,
                     (apr_uint32_t)(root->scanned_bytes / 1024));
    apr_atomic_set32(&root->shared->scanned_entries,
                     (apr_uint32_t)root->scanned_entries);
    apr_atomic_add32(&root->shared->evictions, (apr_uint32_t)removed);
    if (removed || scan.leftovers || scan.bad) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, main_server,
                     RELAY_LOGNO(06008) "disk cache %s: removed %d entries "
                                        "(%" APR_OFF_T_FMT " bytes), %d "
                                        "unfinished and %d bad file(s); "
                                        "%" APR_OFF_T_FMT
                                        " bytes in %" APR_INT64_T_FMT
                                        " entries remain",
                     root->path, removed, freed, scan.leftovers, scan.bad,
                     root->scanned_bytes, root->scanned_entries);
    }
}

static apr_status_t clean_tick(int state, void *data, apr_pool_t *pool)
{
    disk_root_t *root = data;
    apr_time_t now = apr_time_now();

    if (state == AP_WATCHDOG_STATE_RUNNING &&
        (now >= root->next_scan || maybe_over(root))) {
        clean(root, pool, now);
    }
    return APR_SUCCESS;
}

apr_status_t disk_cleaner_start(apr_pool_t *pconf, server_rec *s,
                                apr_array_header_t *roots)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) * get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) * register_callback;
    ap_watchdog_t *wd = NULL;
    apr_status_t rv;
    int i;

    main_server = s;
    get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    for (i = 0; i < roots->nelts; i++) {
        disk_root_t *root = APR_ARRAY_IDX(roots, i, disk_root_t *);
        if (!root->limit_bytes && !root->limit_entries) {
            continue;
        }
        if (!get_instance || !register_callback) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         RELAY_LOGNO(06009) "CacheDiskLimit of %s is not "
                                            "enforced: mod_watchdog is not "
                                            "loaded",
                         root->path);
            return APR_ENOTIMPL;
        }
        if (!wd) {
            rv = get_instance(&wd, WATCHDOG_NAME, 0, 1, pconf);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                             RELAY_LOGNO(06011) "cannot start the disk "
                                                "cache cleaner");
                return rv;
            }
        }
        rv = register_callback(wd, CLEAN_TICK, root, clean_tick);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         RELAY_LOGNO(06012) "cannot schedule the disk cache "
                                            "cleaner of %s",
                         root->path);
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* The root of server v, NULL when none or when a server before it in the
 * list from s has the same root (it is counted there). */
static disk_root_t *first_use_of_root(server_rec *s, server_rec *v)
{
    disk_server_conf_t *c =
        ap_get_module_config(v->module_config, &cache_disk_module);
    server_rec *w;

    for (w = s; c->state && w != v; w = w->next) {
        disk_server_conf_t *wc =
            ap_get_module_config(w->module_config, &cache_disk_module);
        if (wc->state == c->state) {
            return NULL;
        }
    }
    return c->state;
}

void disk_stats(server_rec *s, relay_cache_store_stats_t *st)
{
    server_rec *v;

    st->entries = st->bytes = st->evictions = -1;
    for (v = s; v; v = v->next) {
        disk_root_t *root = first_use_of_root(s, v);
        disk_shared_t *sh;

        if (!root || (!root->limit_bytes && !root->limit_entries)) {
            continue; /* a root without a cleaner is never walked */
        }
        if (st->entries < 0) {
            st->entries = st->bytes = st->evictions = 0;
        }
        sh = root->shared;
        st->entries += (apr_int64_t)apr_atomic_read32(&sh->scanned_entries) +
                       apr_atomic_read32(&sh->added_entries);
        st->bytes += ((apr_int64_t)apr_atomic_read32(&sh->scanned_kib) +
                      apr_atomic_read32(&sh->added_kib)) *
                     1024;
        st->evictions += apr_atomic_read32(&sh->evictions);
    }
}
