/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * CacheLock: one request per key goes to the origin at a time.
 *
 * The lock is a file under CacheLockPath named by the MD5 of the primary
 * key, created with O_EXCL, so it holds across threads and child
 * processes. The request that creates it fetches or revalidates; the
 * file is removed when that request's pool is cleaned up, whether the
 * fetch succeeded or not, so a failed fetch never leaves the key locked.
 * A lock file older than CacheLockMaxAge belongs to a request that died
 * or hangs: it is ignored and replaced.
 */
#include "apr_file_io.h"
#include "apr_md5.h"
#include "apr_strings.h"

#include "cache_private.h"

APLOG_USE_MODULE(cache);

#define CACHE_LOCK_PATH_DEFAULT "/tmp/mod_cache-lock"
#define CACHE_LOCK_MAX_AGE_DEFAULT 5

apr_interval_time_t cache_lock_max_age(request_rec *r)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);

    return apr_time_from_sec(sc->lock_max_age != CACHE_UNSET
                                 ? sc->lock_max_age
                                 : CACHE_LOCK_MAX_AGE_DEFAULT);
}

int cache_lock_enabled(request_rec *r)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);

    return sc->lock == 1;
}

static const char *lock_file(request_rec *r, cache_req_t *cr)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);
    unsigned char digest[APR_MD5_DIGESTSIZE];
    char hex[2 * APR_MD5_DIGESTSIZE + 1];
    int i;

    apr_md5(digest, cr->key, strlen(cr->key));
    for (i = 0; i < APR_MD5_DIGESTSIZE; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return apr_pstrcat(r->pool,
                       sc->lock_path ? sc->lock_path : CACHE_LOCK_PATH_DEFAULT,
                       "/", hex, NULL);
}

static apr_status_t unlock(void *data)
{
    cache_req_t *cr = data;

    apr_file_remove(cr->lock_file, cr->lock_pool);
    cr->lock_file = NULL;
    return APR_SUCCESS;
}

/* Whether a lock file exists and is younger than CacheLockMaxAge. */
static int held(request_rec *r, const char *path)
{
    apr_finfo_t fi;

    if (apr_stat(&fi, path, APR_FINFO_MTIME, r->pool) != APR_SUCCESS) {
        return 0;
    }
    return apr_time_now() - fi.mtime <= cache_lock_max_age(r);
}

int cache_lock_held(request_rec *r, cache_req_t *cr)
{
    return held(r, lock_file(r, cr));
}

apr_status_t cache_lock_take(request_rec *r, cache_req_t *cr)
{
    const char *path = lock_file(r, cr);
    const apr_int32_t flags =
        APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_EXCL;
    apr_file_t *f;
    apr_status_t rv;
    int attempt;

    for (attempt = 0; attempt < 3; attempt++) {
        rv = apr_file_open(&f, path, flags, APR_FPROT_OS_DEFAULT, r->pool);
        if (rv == APR_SUCCESS) {
            apr_file_close(f);
            cr->lock_file = path;
            cr->lock_pool = r->pool;
            apr_pool_cleanup_register(r->pool, cr, unlock,
                                      apr_pool_cleanup_null);
            return APR_SUCCESS;
        }
        if (APR_STATUS_IS_ENOENT(rv)) {
            /* The lock directory is missing (first use, /tmp cleaned). */
            rv = apr_dir_make_recursive(
                apr_pstrndup(r->pool, path, strrchr(path, '/') - path),
                APR_FPROT_OS_DEFAULT, r->pool);
            if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
                break;
            }
            continue;
        }
        if (!APR_STATUS_IS_EEXIST(rv)) {
            break;
        }
        if (held(r, path)) {
            return APR_EEXIST;
        }
        /* Too old: the request that took it is gone or stuck. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(04100) "cache lock of %s is older than "
                                         "CacheLockMaxAge: broken",
                      cr->key);
        apr_file_remove(path, r->pool);
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                  RELAY_LOGNO(04101) "cannot create the cache lock %s for %s; "
                                     "going on without it",
                  path, cr->key);
    return rv;
}
