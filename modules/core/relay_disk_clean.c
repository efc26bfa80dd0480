/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Scanning, bounding and tidying a disk store (see relay_disk_clean.h):
 * one walk of CacheRoot lists the entries and removes what no reader may
 * ever use (temporary files of writers that died, entry files that fail
 * their checks); the plan then removes expired entries, then the least
 * recently used, until the store is within its limits.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_policy.h"
#include "relay/relay_disk.h"
#include "relay/relay_disk_clean.h"

/* A temporary file older than this is a leftover whoever wrote it. */
#define LEFTOVER_AGE apr_time_from_sec(24 * 3600)

/* Directory depth a scan follows: the levels and a vary directory. */
#define MAX_DEPTH (RELAY_DISK_DIR_CHARS_MAX + 2)

typedef struct walk_t {
    apr_pool_t *pool;
    int flags;
    apr_time_t now;
    void (*progress)(void *baton, int files);
    void *baton;
    int files;
    relay_disk_scan_t *scan;
} walk_t;

int relay_disk_leftover(const char *name, apr_time_t mtime, apr_time_t now)
{
    apr_size_t plen = strlen(RELAY_DISK_TMP_PREFIX);
    char *end;
    long pid;

    if (strncmp(name, RELAY_DISK_TMP_PREFIX, plen)) {
        return 0;
    }
    if (now - mtime > LEFTOVER_AGE) {
        return 1;
    }
    pid = strtol(name + plen, &end, 10);
    if (end == name + plen || *end != '.' || pid <= 0) {
        return 1;
    }
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int has_suffix(const char *name, const char *suffix)
{
    apr_size_t n = strlen(name), s = strlen(suffix);

    return n > s && !strcmp(name + n - s, suffix);
}

/* When the entry's head says it goes stale, with stock's defaults, in
 * *expires. Returns 0 when the head does not decode: no lookup can serve
 * such an entry. */
static int expiry(apr_pool_t *pool, const relay_disk_file_t *f, apr_time_t now,
                  apr_time_t *expires)
{
    relay_cache_settings_t s;
    relay_cache_response_t resp;
    relay_cache_entry_t e;
    apr_int64_t lifetime, age;

    if (relay_cache_entry_decode(pool, f->head, f->head_len, &e) !=
        RELAY_CACHE_ENTRY_OK) {
        return 0;
    }
    relay_cache_settings_default(&s);
    relay_cache_response_read(&resp, pool, e.status, e.headers);
    lifetime = relay_cache_freshness_lifetime(&s, &resp, e.response_time, NULL);
    age = relay_cache_current_age(&resp, e.request_time, e.response_time, now);
    *expires = now + apr_time_from_sec(lifetime - age);
    return 1;
}

static void entry_file(walk_t *w, const char *path)
{
    apr_pool_t *sub;
    relay_disk_file_t f;
    relay_disk_status_t st;
    relay_disk_item_t *item;
    apr_time_t expires = 0;

    apr_pool_create(&sub, w->pool);
    if (relay_disk_open(sub, path, 0, NULL, &f, &st) != APR_SUCCESS) {
        apr_pool_destroy(sub); /* gone meanwhile, or unreadable */
        return;
    }
    /* A file that fails its checks, or whose head no lookup would serve,
     * is removed. */
    if (st != RELAY_DISK_OK || !expiry(sub, &f, w->now, &expires)) {
        if (!(w->flags & RELAY_DISK_SCAN_KEEP) &&
            apr_file_remove(path, sub) == APR_SUCCESS) {
            w->scan->bad++;
        }
        apr_pool_destroy(sub);
        return;
    }
    item = apr_array_push(w->scan->items);
    item->path = apr_pstrdup(w->pool, path);
    item->key = apr_pstrdup(w->pool, f.key);
    item->size = f.finfo.size;
    item->used = f.finfo.mtime;
    item->expires = expires;
    item->remove = 0;
    w->scan->bytes += f.finfo.size;
    apr_file_close(f.fd);
    apr_pool_destroy(sub);
}

static int is_temp(const char *name)
{
    return !strncmp(name, RELAY_DISK_TMP_PREFIX, strlen(RELAY_DISK_TMP_PREFIX));
}

static int remove_if_leftover(apr_pool_t *pool, const char *path,
                              const char *name, apr_time_t now)
{
    apr_finfo_t st;

    return apr_stat(&st, path, APR_FINFO_MTIME | APR_FINFO_LINK, pool) ==
               APR_SUCCESS &&
           relay_disk_leftover(name, st.mtime, now) &&
           apr_file_remove(path, pool) == APR_SUCCESS;
}

int relay_disk_remove_leftovers(apr_pool_t *pool, const char *root,
                                apr_time_t now)
{
    apr_pool_t *sub;
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;

    apr_pool_create(&sub, pool);
    if (apr_dir_open(&d, root, sub) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            if (fi.name && is_temp(fi.name) &&
                remove_if_leftover(sub,
                                   apr_pstrcat(sub, root, "/", fi.name, NULL),
                                   fi.name, now)) {
                n++;
            }
        }
        apr_dir_close(d);
    }
    apr_pool_destroy(sub);
    return n;
}

static void walk_dir(walk_t *w, const char *dir, int depth)
{
    apr_pool_t *sub;
    apr_dir_t *d;
    apr_finfo_t fi;

    apr_pool_create(&sub, w->pool);
    if (apr_dir_open(&d, dir, sub) != APR_SUCCESS) {
        apr_pool_destroy(sub);
        return;
    }
    for (;;) {
        apr_status_t rv = apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d);
        const char *path;

        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;
        }
        if (!strcmp(fi.name, ".") || !strcmp(fi.name, "..")) {
            continue;
        }
        path = apr_pstrcat(sub, dir, "/", fi.name, NULL);
        if (!(fi.valid & APR_FINFO_TYPE) &&
            apr_stat(&fi, path, APR_FINFO_TYPE | APR_FINFO_LINK, sub) !=
                APR_SUCCESS) {
            continue;
        }
        if (++w->files % 1000 == 0 && w->progress) {
            w->progress(w->baton, w->files);
        }
        if (fi.filetype == APR_DIR) {
            if (depth < MAX_DEPTH) {
                walk_dir(w, path, depth + 1);
            }
        }
        else if (fi.filetype != APR_REG) {
            continue;
        }
        else if (depth == 0 && is_temp(fi.name)) {
            if (!(w->flags & RELAY_DISK_SCAN_KEEP) &&
                remove_if_leftover(sub, path, fi.name, w->now)) {
                w->scan->leftovers++;
            }
        }
        else if (depth > 0 && has_suffix(fi.name, RELAY_DISK_SUFFIX)) {
            entry_file(w, path);
        }
    }
    apr_dir_close(d);
    if (depth > 0 && (w->flags & RELAY_DISK_SCAN_PRUNE) &&
        !(w->flags & RELAY_DISK_SCAN_KEEP) &&
        apr_dir_remove(dir, sub) == APR_SUCCESS) {
        w->scan->dirs++;
    }
    apr_pool_destroy(sub);
}

apr_status_t relay_disk_scan(apr_pool_t *pool, const char *root, int flags,
                             apr_time_t now,
                             void (*progress)(void *baton, int files),
                             void *baton, relay_disk_scan_t *scan)
{
    walk_t w;
    apr_finfo_t fi;
    apr_status_t rv;

    memset(scan, 0, sizeof(*scan));
    scan->items = apr_array_make(pool, 64, sizeof(relay_disk_item_t));
    rv = apr_stat(&fi, root, APR_FINFO_TYPE, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (fi.filetype != APR_DIR) {
        return APR_ENOTDIR;
    }
    w.pool = pool;
    w.flags = flags;
    w.now = now;
    w.progress = progress;
    w.baton = baton;
    w.files = 0;
    w.scan = scan;
    walk_dir(&w, root, 0);
    return APR_SUCCESS;
}

typedef struct victim_t {
    relay_disk_item_t *item;
    int expired;
} victim_t;

/* Expired first, then by last use, oldest first, then in scan order. */
static int by_victim_order(const void *a, const void *b)
{
    const victim_t *x = a, *y = b;

    if (x->expired != y->expired) {
        return y->expired - x->expired;
    }
    if (x->item->used != y->item->used) {
        return x->item->used < y->item->used ? -1 : 1;
    }
    return x->item < y->item ? -1 : x->item > y->item;
}

int relay_disk_plan(relay_disk_item_t *items, int n, apr_off_t max_bytes,
                    apr_int64_t max_entries, apr_time_t now)
{
    victim_t *order;
    apr_off_t bytes = 0;
    apr_int64_t entries = 0;
    int i, marked = 0;

    if (n <= 0) {
        return 0;
    }
    order = malloc(n * sizeof(*order));
    if (!order) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        order[i].item = &items[i];
        order[i].expired = items[i].expires && items[i].expires <= now;
        if (!items[i].remove) {
            bytes += items[i].size;
            entries++;
        }
    }
    qsort(order, n, sizeof(*order), by_victim_order);
    for (i = 0; i < n; i++) {
        relay_disk_item_t *it = order[i].item;
        if ((max_bytes <= 0 || bytes <= max_bytes) &&
            (max_entries <= 0 || entries <= max_entries)) {
            break;
        }
        if (!it->remove) {
            it->remove = 1;
            bytes -= it->size;
            entries--;
            marked++;
        }
    }
    free(order);
    return marked;
}

/* 90% of a limit, the tenth rounded up; no limit stays none. */
static apr_int64_t low_mark(apr_int64_t limit)
{
    return limit > 0 ? limit - (limit + 9) / 10 : limit;
}

int relay_disk_plan_with_headroom(relay_disk_item_t *items, int n,
                                  apr_off_t max_bytes, apr_int64_t max_entries,
                                  apr_time_t now)
{
    apr_off_t bytes = 0;
    apr_int64_t entries = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (!items[i].remove) {
            bytes += items[i].size;
            entries++;
        }
    }
    if ((max_bytes <= 0 || bytes <= max_bytes) &&
        (max_entries <= 0 || entries <= max_entries)) {
        return 0;
    }
    return relay_disk_plan(items, n, (apr_off_t)low_mark(max_bytes),
                           low_mark(max_entries), now);
}

/* Removes a primary entry's vary directory and the variants in it. */
static void remove_vary_dir(apr_pool_t *pool, const char *path)
{
    apr_size_t n = strlen(path) - strlen(RELAY_DISK_SUFFIX);
    const char *dir = apr_pstrcat(pool, apr_pstrmemdup(pool, path, n),
                                  RELAY_DISK_VARY_SUFFIX, NULL);
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_dir_open(&d, dir, pool) != APR_SUCCESS) {
        return;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        if (fi.name && has_suffix(fi.name, RELAY_DISK_SUFFIX)) {
            apr_file_remove(apr_pstrcat(pool, dir, "/", fi.name, NULL), pool);
        }
    }
    apr_dir_close(d);
    apr_dir_remove(dir, pool);
}

apr_off_t relay_disk_remove_marked(apr_pool_t *pool, relay_disk_scan_t *scan,
                                   int *count)
{
    apr_off_t freed = 0;
    apr_pool_t *sub;
    int i;

    *count = 0;
    apr_pool_create(&sub, pool);
    for (i = 0; i < scan->items->nelts; i++) {
        relay_disk_item_t *it =
            &APR_ARRAY_IDX(scan->items, i, relay_disk_item_t);
        if (!it->remove) {
            continue;
        }
        if (apr_file_remove(it->path, sub) == APR_SUCCESS) {
            freed += it->size;
            (*count)++;
        }
        if (!strchr(it->key, '\001')) {
            remove_vary_dir(sub, it->path);
        }
        apr_pool_clear(sub);
    }
    apr_pool_destroy(sub);
    scan->bytes -= freed;
    return freed;
}
