/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Shared by the files of Relay's mod_cache_socache: the configuration
 * (socache_config.c), the circuit breaker (socache_breaker.c), the store
 * (socache_store.c) and the module's hooks (mod_cache_socache.c).
 */
#ifndef SOCACHE_PRIVATE_H
#define SOCACHE_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"

#include "relay/relay_buffer.h"
#include "relay_cache.h"
#include "relay_log.h"

extern module AP_MODULE_DECLARE_DATA cache_socache_module;

/* An unset numeric directive. */
#define SOCACHE_UNSET (-1)

/* How long the store is skipped after it failed, in seconds. */
#define SOCACHE_BACKOFF 3

typedef struct socache_breaker_t socache_breaker_t;

/* One CacheSocache line's cache, with what it needs at request time. */
typedef struct socache_store_t {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    const char *spec;           /* "type[:args]", for the log */
    apr_global_mutex_t **mutex; /* for providers that are not MP-safe */
    int ready;                  /* initialised in post_config */
    socache_breaker_t *breaker;
    apr_size_t item_max; /* the largest item written, in bytes */
    int probe;           /* a network store: probed (socache_probe.c) */
    volatile apr_uint32_t probed; /* this process's last probe, seconds */
} socache_store_t;

/*
 * Per server. A virtual host with a CacheSocache line of its own gets a
 * cache of its own; the others use the main server's.
 */
typedef struct socache_config_t {
    socache_store_t *store; /* NULL: no CacheSocache */
    apr_int64_t max_time;   /* CacheSocacheMaxTime, s [86400] */
    apr_int64_t min_time;   /* CacheSocacheMinTime, s [600] */
    apr_int64_t max_size;   /* CacheSocacheMaxSize, bytes [102400] */
    apr_int64_t read_size;  /* CacheSocacheReadSize, bytes [0] */
    apr_int64_t read_time;  /* CacheSocacheReadTime, ms [0] */
    int own;                /* this server has its own CacheSocache */
    const char *where;      /* "file:line" of the last directive */
} socache_config_t;

extern const command_rec socache_cmds[];
void *socache_create_server_config(apr_pool_t *p, server_rec *s);
void *socache_merge_server_config(apr_pool_t *p, void *basev, void *addv);
/* The five numbers in <Location>/<Directory> (same record, numbers only). */
void *socache_create_dir_config(apr_pool_t *p, char *dir);
void *socache_merge_dir_config(apr_pool_t *p, void *basev, void *addv);

/* The request's settings: its server's, the numbers of its sections over
 * them, defaults filled in. */
void socache_config_of_request(request_rec *r, socache_config_t *out);

/* The effective values: fills in the defaults of every unset field. */
void socache_config_effective(socache_config_t *c);

/* Startup checks of a server's values: !OK after logging the error. */
int socache_config_check(server_rec *s, const socache_config_t *c);

/*
 * The circuit breaker of a store, in shared memory so that all children
 * skip a failed store together and one line is logged per outage.
 */
apr_status_t socache_breaker_create(apr_pool_t *pconf, socache_breaker_t **b);
/* Whether a request may use the store now (closed, or this request is the
 * one probe after the back-off). */
int socache_breaker_allows(socache_breaker_t *b, request_rec *r);
/* An operation failed with rv (opens the breaker, logs once, and ends the
 * request's use of the store). */
void socache_breaker_failed(socache_breaker_t *b, request_rec *r,
                            const socache_store_t *st, apr_status_t rv);
/* An operation succeeded (closes the breaker; logs the recovery once). */
void socache_breaker_succeeded(socache_breaker_t *b, request_rec *r,
                               const socache_store_t *st);

/*
 * Probes a network store at most once a second per process: 0 (and the
 * breaker opened) when a server does not answer in time, else 1.
 */
int socache_probe(request_rec *r, socache_store_t *st);

extern const relay_cache_provider_t socache_store;

#endif
