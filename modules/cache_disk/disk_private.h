/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Shared by the files of Relay's mod_cache_disk: the configuration
 * (disk_config.c), the store (disk_store.c), the per-root state shared by
 * the child processes and the background cleaner (disk_clean.c).
 */
#ifndef DISK_PRIVATE_H
#define DISK_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "relay_cache.h"
#include "relay_log.h"

extern module AP_MODULE_DECLARE_DATA cache_disk_module;

#define DISK_UNSET (-1)

/*
 * State of one CacheRoot shared by every child process (anonymous shared
 * memory made in post_config), changed with apr_atomic only.
 */
typedef struct disk_shared_t {
    apr_uint32_t outage;        /* storing fails; logged once */
    apr_uint32_t added_kib;     /* stored since the cleaner's last scan */
    apr_uint32_t added_entries; /* likewise, entries */
    apr_uint32_t scanned_kib;   /* what the cleaner's last scan left */
    apr_uint32_t scanned_entries;
    apr_uint32_t evictions; /* entries the cleaner removed, so far */
} disk_shared_t;

/* One CacheRoot of the configuration and its limits. */
typedef struct disk_root_t {
    const char *path;
    int levels, length;
    apr_off_t limit_bytes;     /* CacheDiskLimit, 0: none */
    apr_int64_t limit_entries; /* its entry limit, 0: none */
    disk_shared_t *shared;
    apr_off_t scanned_bytes; /* the cleaner's last scan (its process) */
    apr_int64_t scanned_entries;
    apr_time_t next_scan;
} disk_root_t;

/* Per server (CacheRoot, CacheDirLevels, CacheDirLength, CacheDiskLimit). */
typedef struct disk_server_conf_t {
    const char *root;
    int levels;                /* [2] */
    int length;                /* [2] */
    apr_off_t limit_bytes;     /* [unset: no bound] */
    apr_int64_t limit_entries; /* [unset: no bound] */
    const char *where;         /* "file:line" of a layout directive */
    disk_root_t *state;        /* set in post_config */
} disk_server_conf_t;

/* Per directory (CacheMinFileSize, CacheMaxFileSize, CacheReadSize,
 * CacheReadTime). */
typedef struct disk_dir_conf_t {
    apr_off_t min_size;    /* [1] */
    apr_off_t max_size;    /* [1000000] */
    apr_off_t read_size;   /* [0] */
    apr_int64_t read_time; /* ms [0] */
} disk_dir_conf_t;

#define DISK_DEFAULT_LEVELS 2
#define DISK_DEFAULT_LENGTH 2
#define DISK_DEFAULT_MIN_SIZE 1
#define DISK_DEFAULT_MAX_SIZE 1000000

extern const command_rec disk_cmds[];
void *disk_create_server_conf(apr_pool_t *p, server_rec *s);
void *disk_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *disk_create_dir_conf(apr_pool_t *p, char *dir);
void *disk_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* Startup check of a server's layout: !OK after logging the error. */
int disk_config_check(server_rec *s, const disk_server_conf_t *c);

/* The effective layout of a server. */
int disk_levels(const disk_server_conf_t *c);
int disk_length(const disk_server_conf_t *c);

/* Storing failed (rv) or worked (APR_SUCCESS) in `root`: logs the first
 * failure of an outage and its end, once across all children. */
void disk_outage(request_rec *r, disk_root_t *root, apr_status_t rv,
                 const char *what);

/* Removes temporary files of dead writers at the top of a root
 * (post_config, in the parent). */
void disk_remove_leftovers(apr_pool_t *ptemp, server_rec *s,
                           const disk_root_t *root);

/* Starts the background cleaner of the roots with a CacheDiskLimit
 * (post_config); APR_ENOTIMPL without mod_watchdog. */
apr_status_t disk_cleaner_start(apr_pool_t *pconf, server_rec *s,
                                apr_array_header_t *roots);

extern const relay_cache_provider_t disk_store;

/* The store's stats (relay_cache_provider_t's stats) over the CacheRoots
 * with a cleaner (CacheDiskLimit): what its last scan left plus what was
 * stored since, and what it removed; unknown (-1) when no root has one. */
void disk_stats(server_rec *s, relay_cache_store_stats_t *st);

#endif
