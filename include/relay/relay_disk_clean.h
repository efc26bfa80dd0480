/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Keeping a disk store (relay_disk.h) tidy and within bounds, shared by
 * mod_cache_disk's background cleaner and the relay-cacheclean tool:
 *
 *  - relay_disk_scan() walks CacheRoot once: it lists the entries (key,
 *    size, last use, expiry), removes temporary files whose writer is
 *    gone and entry files that fail their checks, and optionally empty
 *    directories;
 *  - relay_disk_plan() picks what to remove to get within a size and an
 *    entry limit: expired entries first, then the least recently used;
 *  - relay_disk_remove_marked() removes them.
 *
 * Only files named as the store names them are touched: a foreign file
 * (another name) in CacheRoot is left alone.
 */
#ifndef RELAY_DISK_CLEAN_H
#define RELAY_DISK_CLEAN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* An entry found by a scan. */
typedef struct relay_disk_item_t {
    const char *path;
    const char *key;
    apr_off_t size;     /* bytes of the file */
    apr_time_t used;    /* last use: its mtime, which the store sets on a
                           hit (reads move the atime, scans included) */
    apr_time_t expires; /* when it goes stale (RFC 9111 §4.2 with stock's
                           defaults); 0 when unknown */
    int remove;         /* marked by relay_disk_plan() */
} relay_disk_item_t;

typedef struct relay_disk_scan_t {
    apr_array_header_t *items; /* relay_disk_item_t */
    apr_off_t bytes;           /* of all items */
    int leftovers;             /* temporary files of dead writers removed */
    int bad;                   /* entry files that failed checks, removed */
    int dirs;                  /* empty directories removed */
} relay_disk_scan_t;

/* relay_disk_scan() flags. */
#define RELAY_DISK_SCAN_PRUNE 1 /* remove empty directories */
#define RELAY_DISK_SCAN_KEEP 2  /* list only: remove nothing */

/*
 * Scans `root` into *scan (from `pool`). `progress`, when not NULL, is
 * called with `baton` after every 1000 files. An error only when root
 * itself cannot be read; unreadable subdirectories are skipped.
 */
apr_status_t relay_disk_scan(apr_pool_t *pool, const char *root, int flags,
                             apr_time_t now,
                             void (*progress)(void *baton, int files),
                             void *baton, relay_disk_scan_t *scan);

/*
 * Marks (remove = 1) the items to remove so that at most `max_bytes`
 * bytes and `max_entries` entries stay (each <= 0: no limit): every item
 * expired at `now` first, oldest use first, then the least recently used.
 * Items already marked count as gone. Returns how many it marked.
 */
int relay_disk_plan(relay_disk_item_t *items, int n, apr_off_t max_bytes,
                    apr_int64_t max_entries, apr_time_t now);

/*
 * The plan of a cleaner that runs on its own while entries keep being
 * stored: nothing while the items are within the limits; once they exceed
 * one, relay_disk_plan() down to 90% of each limit (at least one entry
 * below an entry limit), so that the store takes a while to fill again
 * instead of going over at the next store. Returns how many it marked.
 */
int relay_disk_plan_with_headroom(relay_disk_item_t *items, int n,
                                  apr_off_t max_bytes, apr_int64_t max_entries,
                                  apr_time_t now);

/*
 * Removes the files of the marked items (and the vary directory of a
 * primary entry); returns the bytes freed and sets *count to the files
 * removed.
 */
apr_off_t relay_disk_remove_marked(apr_pool_t *pool, relay_disk_scan_t *scan,
                                   int *count);

/*
 * Removes the temporary files at the top of `root` whose writer is gone
 * (a cheap pass for startup); returns how many.
 */
int relay_disk_remove_leftovers(apr_pool_t *pool, const char *root,
                                apr_time_t now);

/* Whether a temporary file name's writer (relay-tmp.<pid>.*) is gone,
 * or the file is older than a day at `now`. */
int relay_disk_leftover(const char *name, apr_time_t mtime, apr_time_t now);

#endif
