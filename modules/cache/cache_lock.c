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
 *
 * Each lock file holds a token naming the request that took it (process,
 * thread, request and time). A request removes the file only while it
 * still holds its own token: when its lock was broken and taken by
 * another request in the meantime, the other's lock stays. Breaking
 * removes a stale file only when it still holds the token read when it
 * was judged stale.
 */
#include <fcntl.h>
#include <unistd.h>

#include "apr_file_io.h"
#include "apr_md5.h"
#include "apr_strings.h"
#include "apr_atomic.h"
#include "apr_portable.h"

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

/* The longest token: four numbers and a pointer. */
#define TOKEN_MAX 128

/*
 * Reads the token of the lock file at `path` into buf (NUL-terminated,
 * empty for an empty file); 0 when the file cannot be read. Plain system
 * calls: it runs in a cleanup of the pool it would otherwise allocate
 * from.
 */
static int read_token(const char *path, char *buf)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0) {
        return 0;
    }
    n = read(fd, buf, TOKEN_MAX - 1);
    close(fd);
    if (n < 0) {
        return 0;
    }
    buf[n] = '\0';
    return 1;
}

/* Removes the lock file at `path` if it still holds `token`. */
static int remove_if_token(const char *path, const char *token)
{
    char now[TOKEN_MAX];

    if (!read_token(path, now) || strcmp(now, token)) {
        return 0;
    }
    return unlink(path) == 0;
}

static apr_status_t unlock(void *data)
{
    cache_req_t *cr = data;

    if (!remove_if_token(cr->lock_file, cr->lock_token)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, cr->lock_request,
                      RELAY_LOGNO(04102) "cache lock of %s was broken and "
                                         "is another request's now: left "
                                         "in place",
                      cr->key);
    }
    cr->lock_file = NULL;
    return APR_SUCCESS;
}

static const char *make_token(request_rec *r)
{
    static apr_uint32_t serial;

    return apr_psprintf(
        r->pool, "%" APR_PID_T_FMT " %lu %pp %" APR_TIME_T_FMT " %u", getpid(),
        (unsigned long)apr_os_thread_current(), (void *)r, apr_time_now(),
        (unsigned)apr_atomic_inc32(&serial));
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
    const char *token = make_token(r);
    char stale[TOKEN_MAX];
    apr_file_t *f;
    apr_status_t rv;
    int attempt;

    for (attempt = 0; attempt < 3; attempt++) {
        rv = apr_file_open(&f, path, flags, APR_FPROT_OS_DEFAULT, r->pool);
        if (rv == APR_SUCCESS) {
            apr_size_t len = strlen(token);
            rv = apr_file_write_full(f, token, len, NULL);
            apr_file_close(f);
            if (rv != APR_SUCCESS) {
                apr_file_remove(path, r->pool);
                break;
            }
            cr->lock_file = path;
            cr->lock_token = token;
            cr->lock_request = r;
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
        /* Too old: the request that took it is gone or stuck. Its token
         * is read before the age is checked again, so that a lock taken
         * anew in between is not removed. */
        if (!read_token(path, stale)) {
            continue; /* gone meanwhile */
        }
        if (held(r, path)) {
            return APR_EEXIST;
        }
        if (remove_if_token(path, stale)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          RELAY_LOGNO(04100) "cache lock of %s is older "
                                             "than CacheLockMaxAge: broken",
                          cr->key);
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                  RELAY_LOGNO(04101) "cannot create the cache lock %s for %s; "
                                     "going on without it",
                  path, cr->key);
    return rv;
}
