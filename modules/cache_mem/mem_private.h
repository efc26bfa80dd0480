/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Shared by the files of Relay's mod_mem_cache: the configuration
 * (mem_config.c) and the shared-memory store (mem_store.c).
 */
#ifndef MEM_PRIVATE_H
#define MEM_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_global_mutex.h"

#include "relay/relay_buffer.h"
#include "relay/relay_evict.h"
#include "relay_cache.h"
#include "relay_log.h"

extern module AP_MODULE_DECLARE_DATA mem_cache_module;

/* An unset numeric directive. */
#define MEM_UNSET (-1)

typedef struct mem_cache_t mem_cache_t;

/*
 * Per server. A virtual host that sets any MCache* directive gets a cache
 * of its own (its unset values inherited from the main server); the
 * others share the main server's cache.
 */
typedef struct mem_config_t {
    apr_int64_t size_kib;      /* MCacheSize [100] */
    apr_int64_t max_count;     /* MCacheMaxObjectCount [1009] */
    apr_int64_t min_size;      /* MCacheMinObjectSize [1] */
    apr_int64_t max_size;      /* MCacheMaxObjectSize [10000] */
    int algo;                  /* MCacheRemovalAlgorithm [GDSF] */
    apr_int64_t max_streaming; /* MCacheMaxStreamingBuffer [min(100000,
                                  max_size)] */
    int own;                   /* this server set an MCache* directive */
    const char *where;         /* "file:line" of the last one, for errors */
    mem_cache_t *cache;        /* set in post_config */
} mem_config_t;

extern const command_rec mem_cmds[];
void *mem_create_server_config(apr_pool_t *p, server_rec *s);
void *mem_merge_server_config(apr_pool_t *p, void *basev, void *addv);

/* The effective values: fills in the defaults of every unset field. */
apr_int64_t mem_config_streaming(const mem_config_t *c);
void mem_config_effective(mem_config_t *c);

/* Startup checks of a server's values: !OK after logging the error. */
int mem_config_check(server_rec *s, const mem_config_t *c);

/* The cache of a server (post_config and child_init of mod_mem_cache.c). */
apr_status_t mem_cache_create(apr_pool_t *pconf, server_rec *s,
                              const mem_config_t *c, apr_global_mutex_t *mutex,
                              mem_cache_t **out);
void mem_cache_child_init(mem_cache_t *cache, apr_global_mutex_t *mutex);

/* Adds a cache's entries, bytes and evictions to *st (mem_store.c), and
 * the store's stats() over every server's cache (mod_mem_cache.c). */
void mem_cache_stats_add(mem_cache_t *cache, relay_cache_store_stats_t *st);
void mem_stats(server_rec *s, relay_cache_store_stats_t *st);

extern const relay_cache_provider_t mem_store;

#endif
