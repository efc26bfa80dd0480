/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Shared by the files of Relay's mod_cache: configuration
 * (cache_config.c), store selection and keys (cache_select.c), lookup and
 * hits (cache_lookup.c), storing and revalidation (cache_save.c).
 */
#ifndef CACHE_PRIVATE_H
#define CACHE_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_filter.h"
#include "apr_uri.h"

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_key.h"
#include "relay/relay_cache_policy.h"
#include "relay_cache.h"
#include "relay_log.h"

extern module AP_MODULE_DECLARE_DATA cache_module;

#define CACHE_UNSET (-1)

/* A CacheEnable or CacheDisable line of a server. */
typedef struct cache_url_t {
    const char *type; /* store type; NULL for CacheDisable */
    apr_uri_t url;    /* scheme/host/port may be absent; path always set */
    apr_size_t pathlen;
} cache_url_t;

typedef struct cache_server_conf_t {
    apr_array_header_t *enable;         /* cache_url_t */
    apr_array_header_t *disable;        /* cache_url_t */
    int quick;                          /* CacheQuickHandler [on] */
    int ignore_cache_control;           /* CacheIgnoreCacheControl [off] */
    int ignore_query;                   /* CacheIgnoreQueryString [off] */
    apr_array_header_t *ignore_headers; /* CacheIgnoreHeaders; NULL unset */
    apr_array_header_t *session_ids;    /* CacheIgnoreURLSessionIdentifiers */
    const char *key_base_url;           /* CacheKeyBaseURL */
    int lock;                           /* CacheLock [off] */
    const char *lock_path;    /* CacheLockPath [/tmp/mod_cache-lock] */
    apr_int64_t lock_max_age; /* CacheLockMaxAge [5] */
} cache_server_conf_t;

typedef struct cache_dir_conf_t {
    apr_array_header_t *enable; /* store types (const char *) of a
                                   <Location>'s CacheEnable; NULL unset */
    int disable;                /* CacheDisable on */
    apr_int64_t default_expire;
    apr_int64_t max_expire;
    apr_int64_t min_expire;
    double lm_factor;
    int ignore_no_last_mod;
    int store_expired;
    int store_private;
    int store_no_store;
    int stale_on_error;
    int header;        /* CacheHeader [off] */
    int detail_header; /* CacheDetailHeader [off] */
    int status_header; /* CacheStatusHeader [off], Relay's */
} cache_dir_conf_t;

extern const command_rec cache_cmds[];
void *cache_create_server_conf(apr_pool_t *p, server_rec *s);
void *cache_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *cache_create_dir_conf(apr_pool_t *p, char *dir);
void *cache_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

/* The decision settings for a request (its server and directory). */
void cache_settings(request_rec *r, relay_cache_settings_t *s);

/* What one request does with the cache; in r's module config. */
typedef struct cache_req_t {
    const relay_cache_provider_t *store;
    const char *type;
    const char *key; /* primary key */
    relay_cache_key_options_t key_opts;
    relay_cache_settings_t settings;
    relay_cache_request_t req;
    apr_table_t *client_headers; /* the request's fields as forwarded:
                                    hop-by-hop ones and those named in
                                    Connection left out */
    int quick_tried;             /* the quick handler looked already */
    /* A stale entry being revalidated or fetched anew (or NULL), its
     * storage key, and whether its validators went with the request (a
     * 304 then refreshes it). */
    relay_cache_found_t *stale;
    relay_cache_entry_t stale_entry;
    const char *stale_key;
    int validating;
    /* The CACHE filter the administrator placed (the last one), where
     * responses are stored and from where stored ones are sent; NULL: the
     * save filter's own place and the whole chain. Handler phase only. */
    ap_filter_t *place;
    relay_cache_serve_t decision;
    int decided; /* decision is set */
    /* The key's CacheLock while this request holds it: the file, the
     * token written in it, and the request (for the log). */
    const char *lock_file;
    const char *lock_token;
    request_rec *lock_request;
    /* For Cache-Status: why the request went forward (RFC 9211 fwd), or
     * NULL; whether it waited for another's fetch; whether the store has
     * published the response. */
    const char *fwd;
    int fwd_status; /* the origin's status, once known */
    int collapsed;
    int stored;
} cache_req_t;

/* The store CacheEnable/CacheDisable pick for r, or NULL. */
const relay_cache_provider_t *cache_select(request_rec *r, int *from_dir,
                                           const char **type);

/* Fills cr->key_opts and cr->key; 0 when r has no usable key. */
int cache_key(request_rec *r, cache_req_t *cr);

/* The absolute URL of r, for invalidation. */
const char *cache_effective_uri(request_rec *r);

/* Looks up r and serves it from the cache (OK) or lets it go on
 * (DECLINED), with the save filter in place where it may be stored. */
int cache_lookup(request_rec *r, int quick);

/* Sends a stored response (hit, or after a 304 / stale-on-error); stored:
 * e's headers already read by the caller, or NULL; after: the filter
 * after the save filter that hands the response back, or NULL for a
 * lookup's hit. */
int cache_serve(request_rec *r, cache_req_t *cr, relay_cache_found_t *found,
                relay_cache_entry_t *e, const relay_cache_response_t *stored,
                const char *status, const char *reason, ap_filter_t *after);

/* CacheLock (cache_lock.c). cache_lock_take: APR_SUCCESS when r now holds
 * the key's lock (released with r->pool), APR_EEXIST when another request
 * holds it, another error when locking is not possible. */
int cache_lock_enabled(request_rec *r);
apr_interval_time_t cache_lock_max_age(request_rec *r);
apr_status_t cache_lock_take(request_rec *r, cache_req_t *cr);
int cache_lock_held(request_rec *r, cache_req_t *cr);

/* X-Cache, X-Cache-Detail, Cache-Status and the cache-* environment
 * variables. */
void cache_mark(request_rec *r, const char *status, const char *reason);

/* Cache-Status again, now that the response is stored (cr->stored). */
void cache_mark_stored(request_rec *r);

/* The output filters of cache_save.c: CACHE_SAVE, CACHE_INVALIDATE and
 * CACHE, which marks where CACHE_SAVE's work is done when the lookup runs
 * in the handler phase (stock's CACHE filter). */
extern ap_filter_rec_t *cache_save_filter_handle;
extern ap_filter_rec_t *cache_invalidate_filter_handle;
extern ap_filter_rec_t *cache_place_filter_handle;
apr_status_t cache_save_filter(ap_filter_t *f, apr_bucket_brigade *bb);
apr_status_t cache_invalidate_filter(ap_filter_t *f, apr_bucket_brigade *bb);
apr_status_t cache_place_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* The shared counters per store type (cache_stats.c). */
typedef enum {
    CACHE_STAT_HIT,
    CACHE_STAT_MISS,
    CACHE_STAT_STORE,
    CACHE_STAT_REVALIDATE,
    CACHE_STAT_COLLAPSED,
    CACHE_STAT_COUNT
} cache_stat_t;

/* Finds or makes the counters' segment and a slot for each loaded store
 * type (post_config). */
void cache_stats_attach(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
/* One more `which` for store type `type` (every child counts into the
 * same slot). */
void cache_stats_count(const char *type, cache_stat_t which);
/* The relay_metrics and mod_status hooks. */
void cache_stats_register(void);

/* The head block's fields as one table: headers_out over err_headers_out
 * and the content type. */
apr_table_t *cache_response_headers(request_rec *r);

#endif
