/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The disk store: one file per entry under CacheRoot (layout and format
 * in relay/relay_disk.h).
 *
 * Writers stream the body into a temporary file at the top of CacheRoot
 * (named after the writing process, so the cleaner can tell leftovers of
 * a dead process), append key, head block and the checked trailer on
 * commit and rename the file into place: a reader sees the old entry or
 * the new one, and a crash leaves only a temporary file. Abandoning, or
 * the request's pool going away first, removes the temporary file.
 *
 * Readers open the entry, check it whole (trailer, lengths against the
 * file size, checksum, key) and keep the descriptor until r->pool is
 * cleaned up; the body goes out as a file bucket, so httpd may sendfile
 * or mmap it, and a replacement renamed over the name meanwhile does not
 * touch what they read. A file that fails the checks is removed and is a
 * miss.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "apr_atomic.h"
#include "apr_portable.h"
#include "apr_strings.h"
#include "http_core.h"

#include "relay/relay_disk.h"
#include "disk_private.h"

APLOG_USE_MODULE(cache_disk);

#define WRITER_MAGIC 0x52444357 /* "RDCW" */
#define COPY_CHUNK (64 * 1024)

struct relay_cache_writer_t {
    apr_uint32_t magic;
    request_rec *r;
    disk_root_t *root;
    const char *key;
    const char *path;
    char *tmp;
    apr_file_t *fd;
    apr_off_t len, min, max;
    int head_only;
    int done;
};

/* What lookup() keeps for body() and replace_head(). */
typedef struct disk_found_t {
    apr_file_t *fd;
    apr_off_t body_len;
    const char *body;       /* a small entry's body, read with its head */
    relay_disk_file_t file; /* the entry file, which names it */
} disk_found_t;

static apr_uint32_t no_root_logged;

/* The root of r's server; NULL, logged once per process, without one. */
static disk_root_t *root_of(request_rec *r)
{
    disk_server_conf_t *c =
        ap_get_module_config(r->server->module_config, &cache_disk_module);

    if (!c->state && apr_atomic_cas32(&no_root_logged, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(06013) "CacheEnable disk without a "
                                         "CacheRoot for %s: nothing is "
                                         "stored",
                      r->server->server_hostname);
    }
    return c->state;
}

static const char *path_of(request_rec *r, disk_root_t *root, const char *key)
{
    return relay_disk_path(r->pool, root->path, root->levels, root->length,
                           key);
}

/*
 * Marks a hit as the entry's last use for the cleaner's least recently
 * used order: the file's modification time, which reading never changes
 * (its access time may move with every read, the cleaner's included).
 */
static void touch(apr_file_t *fd, apr_time_t mtime, apr_time_t now)
{
    struct timespec times[2];
    apr_os_file_t os;

    if (now - mtime < apr_time_from_msec(10) ||
        apr_os_file_get(&os, fd) != APR_SUCCESS) {
        return;
    }
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = 0;
    times[1].tv_nsec = UTIME_NOW;
    futimens(os, times);
}

/* The flag that lets the entry file go out through sendfile, when
 * EnableSendfile is On where r is (httpd's default is Off). */
static apr_int32_t sendfile_flag(request_rec *r)
{
    core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);

    return cd->enable_sendfile == ENABLE_SENDFILE_ON
               ? APR_FOPEN_SENDFILE_ENABLED
               : 0;
}

static apr_status_t disk_lookup(request_rec *r, const char *key,
                                relay_cache_found_t **found)
{
    disk_root_t *root = root_of(r);
    relay_disk_file_t f;
    relay_disk_status_t st;
    relay_cache_found_t *out;
    disk_found_t *h;
    const char *path;
    apr_status_t rv;
    apr_time_t now = apr_time_now();

    if (!root) {
        return APR_NOTFOUND;
    }
    path = path_of(r, root, key);
    rv = relay_disk_open(r->pool, path, sendfile_flag(r), key, &f, &st);
    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_ENOENT(rv) && !APR_STATUS_IS_ENOTDIR(rv)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                          RELAY_LOGNO(06006) "cannot read the disk cache "
                                             "entry %s",
                          path);
        }
        return APR_NOTFOUND;
    }
    if (st != RELAY_DISK_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      RELAY_LOGNO(06004) "removing the disk cache file %s "
                                         "of %s: %s",
                      path, key, relay_disk_describe(st));
        apr_file_remove(path, r->pool);
        return APR_NOTFOUND;
    }
    touch(f.fd, f.finfo.mtime, now);
    h = apr_palloc(r->pool, sizeof(*h));
    h->fd = f.fd;
    h->body_len = f.body_len;
    h->body = f.body;
    h->file = f;
    out = apr_palloc(r->pool, sizeof(*out));
    out->head = f.head;
    out->head_len = f.head_len;
    out->body_len = f.body_len;
    out->handle = h;
    out->head_checked = 1; /* relay_disk_open() checked the entry file's
                              checksum, which covers the head */
    *found = out;
    return APR_SUCCESS;
}

static apr_status_t disk_body(request_rec *r, relay_cache_found_t *found,
                              apr_bucket_brigade *bb)
{
    disk_found_t *h = found->handle;

    if (h->body_len > 0 && h->body) {
        /* in memory already: one write with the head, no sendfile */
        APR_BRIGADE_INSERT_TAIL(
            bb, apr_bucket_pool_create(h->body, (apr_size_t)h->body_len,
                                       r->pool, bb->bucket_alloc));
    }
    else if (h->body_len > 0) {
        apr_brigade_insert_file(bb, h->fd, 0, h->body_len, r->pool);
    }
    return APR_SUCCESS;
}

/* Closes and removes the temporary file of an unfinished write. */
static void drop(relay_cache_writer_t *w)
{
    if (w->fd) {
        apr_file_close(w->fd);
        w->fd = NULL;
        apr_file_remove(w->tmp, w->r->pool);
    }
    w->done = 1;
}

static apr_status_t writer_cleanup(void *data)
{
    drop(data);
    return APR_SUCCESS;
}

/* A new temporary file at the top of the root, named after this process. */
static apr_status_t make_temp(request_rec *r, disk_root_t *root,
                              apr_file_t **fd, char **name)
{
    *name = apr_psprintf(
        r->pool, "%s/" RELAY_DISK_TMP_PREFIX "%" APR_PID_T_FMT ".XXXXXX",
        root->path, getpid());
    return apr_file_mktemp(fd, *name,
                           APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_READ |
                               APR_FOPEN_EXCL | APR_FOPEN_BINARY |
                               APR_FOPEN_BUFFERED,
                           r->pool);
}

static apr_status_t disk_begin(request_rec *r, const char *key,
                               apr_off_t length_hint,
                               relay_cache_writer_t **out)
{
    disk_root_t *root = root_of(r);
    disk_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &cache_disk_module);
    relay_cache_writer_t *w;
    apr_status_t rv;

    if (!root) {
        return RELAY_CACHE_DECLINED;
    }
    w = apr_pcalloc(r->pool, sizeof(*w));
    w->magic = WRITER_MAGIC;
    w->r = r;
    w->root = root;
    w->head_only = length_hint == RELAY_CACHE_HEAD_ONLY;
    w->min = dc->min_size != DISK_UNSET ? dc->min_size : DISK_DEFAULT_MIN_SIZE;
    w->max = dc->max_size != DISK_UNSET ? dc->max_size : DISK_DEFAULT_MAX_SIZE;
    if (!w->head_only && length_hint >= 0 &&
        (length_hint < w->min || length_hint > w->max)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      RELAY_LOGNO(06005) "not storing %s: %" APR_OFF_T_FMT
                                         " bytes is outside CacheMinFileSize "
                                         ".. CacheMaxFileSize",
                      key, length_hint);
        return RELAY_CACHE_DECLINED;
    }
    rv = make_temp(r, root, &w->fd, &w->tmp);
    if (rv != APR_SUCCESS) {
        w->fd = NULL;
        disk_outage(r, root, rv, "cannot create a file in");
        return RELAY_CACHE_DECLINED;
    }
    w->key = apr_pstrdup(r->pool, key);
    w->path = path_of(r, root, key);
    apr_pool_cleanup_register(r->pool, w, writer_cleanup,
                              apr_pool_cleanup_null);
    *out = w;
    return APR_SUCCESS;
}

static apr_status_t disk_write(relay_cache_writer_t *w, const char *data,
                               apr_size_t len)
{
    apr_status_t rv;

    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    if (w->done || w->head_only || (apr_off_t)len > w->max - w->len) {
        return APR_ENOSPC;
    }
    rv = apr_file_write_full(w->fd, data, len, NULL);
    if (rv != APR_SUCCESS) {
        disk_outage(w->r, w->root, rv, "cannot write to");
        return rv;
    }
    w->len += len;
    return APR_SUCCESS;
}

static void disk_abandon(relay_cache_writer_t *w)
{
    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    drop(w);
}

/* Renames a finished file into place, making its directories first when
 * they are missing (a cleaner may prune them meanwhile: one retry). */
static apr_status_t publish(apr_pool_t *p, const char *from, const char *to)
{
    apr_status_t rv = apr_file_rename(from, to, p);
    int tries;

    for (tries = 0; tries < 2 && APR_STATUS_IS_ENOENT(rv); tries++) {
        const char *dir = apr_pstrmemdup(p, to, strrchr(to, '/') - to);
        rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, p);
        if (rv == APR_SUCCESS || APR_STATUS_IS_EEXIST(rv)) {
            rv = apr_file_rename(from, to, p);
        }
    }
    return rv;
}

/*
 * Whether the entry `was` still has its name: APR_SUCCESS, APR_NOTFOUND
 * when the name is gone, RELAY_CACHE_CHANGED when another entry has it.
 */
static apr_status_t still_named(request_rec *r, const char *path,
                                const disk_found_t *was)
{
    apr_status_t rv = relay_disk_is_current(r->pool, path, &was->file);

    if (rv == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (APR_STATUS_IS_ENOENT(rv) || APR_STATUS_IS_ENOTDIR(rv)) {
        return APR_NOTFOUND;
    }
    return RELAY_CACHE_CHANGED;
}

/* Appends the key, head and trailer to w's file, closes and publishes
 * it; with `was`, only while the entry `was` still has the name. */
static apr_status_t finish(relay_cache_writer_t *w, const char *head,
                           apr_size_t head_len, const disk_found_t *was)
{
    apr_size_t n;
    char *meta = relay_disk_meta_encode(w->r->pool, w->key, strlen(w->key),
                                        head, head_len, w->len, &n);
    apr_status_t rv = apr_file_write_full(w->fd, meta, n, NULL);
    apr_status_t crv;

    crv = apr_file_close(w->fd);
    w->fd = NULL;
    if (rv == APR_SUCCESS) {
        rv = crv;
    }
    if (rv == APR_SUCCESS && was) {
        rv = still_named(w->r, w->path, was);
    }
    if (rv == APR_SUCCESS) {
        rv = publish(w->r->pool, w->tmp, w->path);
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(w->tmp, w->r->pool);
        return rv;
    }
    apr_atomic_add32(&w->root->shared->added_kib,
                     (apr_uint32_t)((w->len + n) / 1024 + 1));
    apr_atomic_inc32(&w->root->shared->added_entries);
    return APR_SUCCESS;
}

static apr_status_t disk_commit(relay_cache_writer_t *w, const char *head,
                                apr_size_t head_len)
{
    apr_status_t rv;

    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    if (w->done || (!w->head_only && w->len < w->min)) {
        drop(w);
        return RELAY_CACHE_DECLINED;
    }
    w->done = 1;
    rv = finish(w, head, head_len, NULL);
    disk_outage(w->r, w->root, rv, "cannot store an entry in");
    return rv;
}

/* Copies the body of an open entry into a new file. */
static apr_status_t copy_body(apr_file_t *from, apr_file_t *to, apr_off_t len,
                              char *buf)
{
    apr_off_t off = 0;
    apr_status_t rv = apr_file_seek(from, APR_SET, &off);

    while (rv == APR_SUCCESS && len > 0) {
        apr_size_t n = len < COPY_CHUNK ? (apr_size_t)len : COPY_CHUNK;
        rv = apr_file_read_full(from, buf, n, NULL);
        if (rv == APR_SUCCESS) {
            rv = apr_file_write_full(to, buf, n, NULL);
        }
        len -= n;
    }
    return rv == APR_EOF ? APR_INCOMPLETE : rv;
}

/*
 * A 304 refreshed `was`: the entry is written anew, with the body of the
 * file `was` has open (a copy of at most CacheMaxFileSize bytes), and
 * renamed over its name only while that name is still `was`'s file (its
 * device and inode). An entry stored under the key meanwhile is left
 * alone, and readers never see a head of one response with the body of
 * another. The look at the name and the rename are two steps: a commit
 * between them (microseconds) is replaced by the refreshed entry, which
 * is whole and just confirmed by the origin.
 */
static apr_status_t disk_replace_head(request_rec *r, const char *key,
                                      const relay_cache_found_t *was,
                                      const char *head, apr_size_t head_len)
{
    disk_root_t *root = root_of(r);
    const disk_found_t *h = was->handle;
    relay_cache_writer_t w;
    apr_status_t rv;

    if (!root) {
        return APR_NOTFOUND;
    }
    memset(&w, 0, sizeof(w));
    w.magic = WRITER_MAGIC;
    w.r = r;
    w.root = root;
    w.key = key;
    w.path = path_of(r, root, key);
    if ((rv = still_named(r, w.path, h)) != APR_SUCCESS) {
        return rv; /* no copy for an entry that is gone or replaced */
    }
    rv = make_temp(r, root, &w.fd, &w.tmp);
    if (rv != APR_SUCCESS) {
        disk_outage(r, root, rv, "cannot create a file in");
        return rv;
    }
    if (h->body_len > 0 && h->body) {
        rv = apr_file_write_full(w.fd, h->body, (apr_size_t)h->body_len, NULL);
    }
    else {
        rv = copy_body(h->fd, w.fd, h->body_len,
                       apr_palloc(r->pool, COPY_CHUNK));
    }
    w.len = h->body_len;
    if (rv != APR_SUCCESS) {
        drop(&w);
        return rv;
    }
    rv = finish(&w, head, head_len, h);
    if (rv != APR_NOTFOUND && rv != RELAY_CACHE_CHANGED) {
        disk_outage(r, root, rv, "cannot store an entry in");
    }
    return rv;
}

/* Removes the variants in a primary key's vary directory. */
static void remove_variants(request_rec *r, disk_root_t *root, const char *key)
{
    const char *dir = relay_disk_vary_dir(r->pool, root->path, root->levels,
                                          root->length, key);
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_dir_open(&d, dir, r->pool) != APR_SUCCESS) {
        return;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (fi.name[0] != '.') {
            apr_file_remove(apr_pstrcat(r->pool, dir, "/", fi.name, NULL),
                            r->pool);
        }
    }
    apr_dir_close(d);
    apr_dir_remove(dir, r->pool);
}

static apr_status_t disk_remove(request_rec *r, const char *key)
{
    disk_root_t *root = root_of(r);
    apr_status_t rv;

    if (!root) {
        return APR_NOTFOUND;
    }
    rv = apr_file_remove(path_of(r, root, key), r->pool);
    if (!strchr(key, RELAY_CACHE_VARIANT_SEP[0])) {
        remove_variants(r, root, key);
    }
    return APR_STATUS_IS_ENOENT(rv) ? APR_NOTFOUND : rv;
}

/* CacheReadSize and CacheReadTime where r is. */
static void disk_hold_limits(request_rec *r, apr_off_t *bytes,
                             apr_interval_time_t *time)
{
    disk_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &cache_disk_module);

    *bytes = dc->read_size != DISK_UNSET ? dc->read_size : 0;
    *time = dc->read_time != DISK_UNSET ? apr_time_from_msec(dc->read_time) : 0;
}

const relay_cache_provider_t disk_store = {
    disk_lookup,  disk_body,         disk_begin,  disk_write,       disk_commit,
    disk_abandon, disk_replace_head, disk_remove, disk_hold_limits, disk_stats};
