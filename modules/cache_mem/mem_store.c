/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The memory store: one cache in an anonymous shared memory segment,
 * created in post_config and inherited by every child process, so a
 * response stored by one child is a hit in all of them.
 *
 * Layout: a mem_shared_t header with the index (a hash table of
 * MCacheMaxObjectCount chains), then Relay's region allocator
 * (relay_shm_alloc.h) over the rest, sized for MCacheSize bytes of entries
 * plus the allocator's own overhead for two blocks per entry. An entry is
 * one block (mem_entry_t, key, body) plus one block for its head. One global
 * mutex guards the index, the allocator and every entry's counters; it is held
 * only for index work and one copy of a new entry, never while a body is sent.
 *
 * Readers: lookup() takes a reference and copies the (small) head into
 * r->pool; the body goes out as buckets pointing into the segment. The
 * reference is dropped by a cleanup of r->pool, which httpd runs after the
 * response has been written. An entry evicted or replaced while read is
 * unlinked from the index at once and freed when its last reader is done.
 *
 * Writers collect the body in process memory (at most
 * MCacheMaxObjectSize, or MCacheMaxStreamingBuffer without a length) and
 * copy it into the segment once, under the lock, in commit(): readers see
 * the old entry or the new one, never a part.
 */
#include "apr_shm.h"
#include "apr_global_mutex.h"
#include "apr_strings.h"

#include "relay/relay_shm_alloc.h"

#include "mem_private.h"

APLOG_USE_MODULE(mem_cache);

#define SHARED_MAGIC 0x524d4353 /* "RMCS" */
#define ENTRY_MAGIC 0x524d4345  /* "RMCE" */
#define WRITER_MAGIC 0x524d4357 /* "RMCW" */

/* How many entries an eviction compares (see evict_one). */
#define EVICT_SAMPLE 32

typedef struct mem_shared_t {
    apr_uint32_t magic;
    apr_uint32_t nbuckets;
    apr_uint32_t count;
    apr_size_t used; /* bytes charged to the entries */
    apr_uint64_t tick;
    double clock;
    apr_uint32_t evict_cursor;  /* the bucket the next eviction starts at */
    apr_uint64_t evictions;     /* entries evicted so far */
    relay_shm_off_t buckets[1]; /* nbuckets of them */
} mem_shared_t;

typedef struct mem_entry_t {
    apr_uint32_t magic;
    apr_uint32_t hash;
    relay_shm_off_t next; /* in its index chain */
    apr_uint32_t refs;    /* readers */
    int indexed;
    apr_uint32_t hits;
    apr_uint64_t tick;
    double priority;
    apr_size_t charge;
    apr_size_t key_len;
    relay_shm_off_t head;
    apr_size_t head_len;
    apr_size_t body_len;
    /* key bytes, then body bytes */
} mem_entry_t;

struct mem_cache_t {
    apr_shm_t *shm;
    relay_shm_alloc_t *alloc;
    apr_global_mutex_t *mutex;
    mem_shared_t *shared;
    mem_config_t conf; /* defaults applied */
    apr_size_t capacity;
};

struct relay_cache_writer_t {
    apr_uint32_t magic;
    request_rec *r;
    mem_cache_t *cache;
    const char *key;
    char *buf;
    apr_size_t len, size, limit;
    int head_only; /* a Vary head: no body, no size bounds */
    int done;
};

#define ENTRY(c, off) ((mem_entry_t *)relay_shm_alloc_addr((c)->alloc, (off)))
#define ENTRY_KEY(e) ((char *)((e) + 1))
#define ENTRY_BODY(e) (ENTRY_KEY(e) + (e)->key_len)

static apr_uint32_t hash_key(const char *key, apr_size_t len)
{
    apr_uint32_t h = 2166136261u; /* FNV-1a */
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    }
    return h;
}

apr_status_t mem_cache_create(apr_pool_t *pconf, server_rec *s,
                              const mem_config_t *c, apr_global_mutex_t *mutex,
                              mem_cache_t **out)
{
    mem_cache_t *cache = apr_pcalloc(pconf, sizeof(*cache));
    apr_size_t index_size, seg_size;
    apr_uint32_t nbuckets;
    apr_status_t rv;
    char *base;

    cache->conf = *c;
    mem_config_effective(&cache->conf);
    cache->mutex = mutex;
    cache->capacity = (apr_size_t)cache->conf.size_kib * 1024;
    nbuckets = (apr_uint32_t)cache->conf.max_count;
    index_size = APR_ALIGN_DEFAULT(sizeof(mem_shared_t) +
                                   nbuckets * sizeof(relay_shm_off_t));
    seg_size = index_size + relay_shm_alloc_region_size(
                                cache->capacity, 2 * (apr_size_t)nbuckets);
    rv = apr_shm_create(&cache->shm, seg_size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     RELAY_LOGNO(04502) "cannot create the shared memory "
                                        "cache of %" APR_SIZE_T_FMT " bytes",
                     seg_size);
        return rv;
    }
    base = apr_shm_baseaddr_get(cache->shm);
    memset(base, 0, index_size);
    cache->shared = (mem_shared_t *)base;
    cache->shared->magic = SHARED_MAGIC;
    cache->shared->nbuckets = nbuckets;
    cache->alloc =
        relay_shm_alloc_init(base + index_size, seg_size - index_size);
    if (!cache->alloc) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     RELAY_LOGNO(04503) "cannot set up the allocator of the "
                                        "shared memory cache");
        return APR_ENOMEM;
    }
    *out = cache;
    return APR_SUCCESS;
}

void mem_cache_child_init(mem_cache_t *cache, apr_global_mutex_t *mutex)
{
    cache->mutex = mutex;
}

static mem_cache_t *cache_of(request_rec *r)
{
    mem_config_t *c =
        ap_get_module_config(r->server->module_config, &mem_cache_module);

    return c->cache;
}

static relay_shm_off_t *find_slot(mem_cache_t *cache, const char *key,
                                  apr_size_t len, apr_uint32_t h)
{
    relay_shm_off_t *slot =
        &cache->shared->buckets[h % cache->shared->nbuckets];

    while (*slot) {
        mem_entry_t *e = ENTRY(cache, *slot);
        if (e->hash == h && e->key_len == len &&
            !memcmp(ENTRY_KEY(e), key, len)) {
            return slot;
        }
        slot = &e->next;
    }
    return slot;
}

static void entry_free(mem_cache_t *cache, relay_shm_off_t off)
{
    mem_entry_t *e = ENTRY(cache, off);

    e->magic = 0;
    if (e->head) {
        relay_shm_alloc_free(cache->alloc, e->head);
    }
    relay_shm_alloc_free(cache->alloc, off);
}

/* Takes the entry at *slot out of the index; frees it unless read. */
static void unlink_at(mem_cache_t *cache, relay_shm_off_t *slot)
{
    relay_shm_off_t off = *slot;
    mem_entry_t *e = ENTRY(cache, off);

    *slot = e->next;
    e->next = 0;
    e->indexed = 0;
    cache->shared->count--;
    cache->shared->used -= e->charge;
    if (e->refs == 0) {
        entry_free(cache, off);
    }
}

static void touch(mem_cache_t *cache, mem_entry_t *e)
{
    mem_shared_t *sh = cache->shared;

    e->hits++;
    e->tick = ++sh->tick;
    e->priority = relay_evict_priority((relay_evict_algo_t)cache->conf.algo,
                                       sh->clock, e->tick, e->hits, e->charge);
}

/*
 * Evicts the entry with the lowest priority among EVICT_SAMPLE candidates,
 * taken in index order from a cursor that goes round the index from one
 * eviction to the next; 0 when the index is empty. With no more entries
 * than that, all are candidates and the choice is exact; beyond, it is
 * the best of a sample (as Redis does), so that an eviction costs the
 * same with a hundred entries or a hundred thousand.
 */
static int evict_one(mem_cache_t *cache)
{
    mem_shared_t *sh = cache->shared;
    relay_evict_item_t items[EVICT_SAMPLE];
    relay_shm_off_t *slots[EVICT_SAMPLE];
    apr_uint32_t b = sh->evict_cursor, seen;
    int n = 0, victim;

    if (sh->count == 0) {
        return 0;
    }
    for (seen = 0; seen < sh->nbuckets && n < EVICT_SAMPLE; seen++) {
        relay_shm_off_t *slot = &sh->buckets[b];
        while (*slot && n < EVICT_SAMPLE) {
            mem_entry_t *e = ENTRY(cache, *slot);
            items[n].priority = e->priority;
            items[n].tick = e->tick;
            slots[n++] = slot;
            slot = &e->next;
        }
        b = (b + 1) % sh->nbuckets;
    }
    sh->evict_cursor = b;
    victim = relay_evict_victim(items, n);
    if (victim < 0) {
        return 0;
    }
    sh->clock = relay_evict_clock((relay_evict_algo_t)cache->conf.algo,
                                  sh->clock, items[victim].priority);
    unlink_at(cache, slots[victim]);
    sh->evictions++;
    return 1;
}

/*
 * Allocates under the lock, evicting until it fits; 0 when it cannot.
 * Each eviction unlinks one entry, so this ends once the index is empty.
 * Freed blocks merge with free neighbours, so evicting makes room for a
 * block of any size that the segment can hold, the entries that readers
 * still hold (freed when they are done) aside: MCacheSize bytes when the
 * cache is empty and unread.
 */
static relay_shm_off_t alloc_evicting(mem_cache_t *cache, apr_size_t size)
{
    relay_shm_off_t off;

    while (!(off = relay_shm_alloc_get(cache->alloc, size))) {
        if (!evict_one(cache)) {
            return 0;
        }
    }
    return off;
}

static apr_status_t release(void *data)
{
    mem_cache_t *cache = ((void **)data)[0];
    relay_shm_off_t off = (relay_shm_off_t)(apr_uintptr_t)((void **)data)[1];
    mem_entry_t *e;

    if (apr_global_mutex_lock(cache->mutex) != APR_SUCCESS) {
        return APR_SUCCESS; /* leaks the entry rather than racing */
    }
    e = ENTRY(cache, off);
    AP_DEBUG_ASSERT(e->magic == ENTRY_MAGIC && e->refs > 0);
    if (--e->refs == 0 && !e->indexed) {
        entry_free(cache, off);
    }
    apr_global_mutex_unlock(cache->mutex);
    return APR_SUCCESS;
}

static apr_status_t mem_lookup(request_rec *r, const char *key,
                               relay_cache_found_t **found)
{
    mem_cache_t *cache = cache_of(r);
    apr_size_t len = strlen(key);
    relay_cache_found_t *f;
    relay_shm_off_t *slot;
    mem_entry_t *e;
    void **ref;

    if (!cache || apr_global_mutex_lock(cache->mutex) != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    slot = find_slot(cache, key, len, hash_key(key, len));
    if (!*slot) {
        apr_global_mutex_unlock(cache->mutex);
        return APR_NOTFOUND;
    }
    e = ENTRY(cache, *slot);
    e->refs++;
    touch(cache, e);
    f = apr_palloc(r->pool, sizeof(*f));
    f->head = apr_pmemdup(r->pool, relay_shm_alloc_addr(cache->alloc, e->head),
                          e->head_len);
    f->head_len = e->head_len;
    f->body_len = (apr_off_t)e->body_len;
    f->head_checked = 0;
    f->handle = e;
    ref = apr_palloc(r->pool, 2 * sizeof(void *));
    ref[0] = cache;
    ref[1] = (void *)(apr_uintptr_t)*slot;
    apr_global_mutex_unlock(cache->mutex);
    apr_pool_cleanup_register(r->pool, ref, release, apr_pool_cleanup_null);
    *found = f;
    return APR_SUCCESS;
}

static apr_status_t mem_body(request_rec *r, relay_cache_found_t *found,
                             apr_bucket_brigade *bb)
{
    mem_entry_t *e = found->handle;

    AP_DEBUG_ASSERT(e->magic == ENTRY_MAGIC);
    if (e->body_len) {
        /* The reference taken by lookup() keeps these bytes until r->pool
         * is cleaned up, after the response has been written. */
        APR_BRIGADE_INSERT_TAIL(
            bb, apr_bucket_immortal_create(ENTRY_BODY(e), e->body_len,
                                           bb->bucket_alloc));
    }
    return APR_SUCCESS;
}

static apr_status_t writer_cleanup(void *data)
{
    relay_cache_writer_t *w = data;

    w->done = 1;
    return APR_SUCCESS;
}

static apr_status_t mem_begin(request_rec *r, const char *key,
                              apr_off_t length_hint, relay_cache_writer_t **out)
{
    mem_cache_t *cache = cache_of(r);
    relay_cache_writer_t *w;
    int head_only = length_hint == RELAY_CACHE_HEAD_ONLY;

    if (!cache) {
        return RELAY_CACHE_DECLINED;
    }
    if (head_only) {
        length_hint = 0;
    }
    else if (length_hint >= 0 && (length_hint < cache->conf.min_size ||
                                  length_hint > cache->conf.max_size)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      RELAY_LOGNO(04504) "not storing %s: %" APR_OFF_T_FMT
                                         " bytes is outside MCacheMinObjectSize"
                                         " .. MCacheMaxObjectSize",
                      key, length_hint);
        return RELAY_CACHE_DECLINED;
    }
    w = apr_pcalloc(r->pool, sizeof(*w));
    w->magic = WRITER_MAGIC;
    w->r = r;
    w->cache = cache;
    w->key = apr_pstrdup(r->pool, key);
    w->head_only = head_only;
    w->limit = length_hint >= 0 ? (apr_size_t)length_hint
               : cache->conf.max_streaming < cache->conf.max_size
                   ? (apr_size_t)cache->conf.max_streaming
                   : (apr_size_t)cache->conf.max_size;
    apr_pool_cleanup_register(r->pool, w, writer_cleanup,
                              apr_pool_cleanup_null);
    *out = w;
    return APR_SUCCESS;
}

static apr_status_t mem_write(relay_cache_writer_t *w, const char *data,
                              apr_size_t len)
{
    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    if (w->done) {
        return APR_ENOSPC;
    }
    return relay_buffer_append(w->r->pool, &w->buf, &w->len, &w->size, w->limit,
                               data, len);
}

static void mem_abandon(relay_cache_writer_t *w)
{
    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    w->done = 1;
}

/* Links a new entry, replacing any of the same key. Under the lock. */
static void link_entry(mem_cache_t *cache, relay_shm_off_t off)
{
    mem_entry_t *e = ENTRY(cache, off);
    relay_shm_off_t *slot = find_slot(cache, ENTRY_KEY(e), e->key_len, e->hash);

    if (*slot) {
        unlink_at(cache, slot);
        slot = find_slot(cache, ENTRY_KEY(e), e->key_len, e->hash);
    }
    *slot = off;
    e->indexed = 1;
    cache->shared->count++;
    cache->shared->used += e->charge;
}

static apr_status_t mem_commit(relay_cache_writer_t *w, const char *head,
                               apr_size_t head_len)
{
    mem_cache_t *cache = w->cache;
    mem_shared_t *sh = cache->shared;
    apr_size_t key_len = strlen(w->key);
    apr_size_t charge = sizeof(mem_entry_t) + key_len + w->len + head_len;
    relay_shm_off_t off, hoff = 0;
    mem_entry_t *e;
    apr_status_t rv;

    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    if (w->done ||
        (!w->head_only && (apr_int64_t)w->len < cache->conf.min_size) ||
        charge > cache->capacity) {
        w->done = 1;
        return RELAY_CACHE_DECLINED;
    }
    w->done = 1;
    if ((rv = apr_global_mutex_lock(cache->mutex)) != APR_SUCCESS) {
        return rv;
    }
    {
        relay_shm_off_t *slot =
            find_slot(cache, w->key, key_len, hash_key(w->key, key_len));
        if (*slot) {
            unlink_at(cache, slot); /* makes room for its successor */
        }
    }
    while (sh->count >= cache->conf.max_count ||
           sh->used + charge > cache->capacity) {
        if (!evict_one(cache)) {
            break;
        }
    }
    off = alloc_evicting(cache, sizeof(mem_entry_t) + key_len + w->len);
    if (off) {
        hoff = alloc_evicting(cache, head_len);
        if (!hoff) {
            relay_shm_alloc_free(cache->alloc, off);
            off = 0;
        }
    }
    if (!off) {
        apr_global_mutex_unlock(cache->mutex);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, w->r,
                      RELAY_LOGNO(04505) "no room in the memory cache for "
                                         "%s (%" APR_SIZE_T_FMT " bytes)",
                      w->key, charge);
        return APR_ENOMEM;
    }
    e = ENTRY(cache, off);
    memset(e, 0, sizeof(*e));
    e->magic = ENTRY_MAGIC;
    e->hash = hash_key(w->key, key_len);
    e->key_len = key_len;
    e->body_len = w->len;
    e->head = hoff;
    e->head_len = head_len;
    e->charge = charge;
    memcpy(ENTRY_KEY(e), w->key, key_len);
    if (w->len) {
        memcpy(ENTRY_BODY(e), w->buf, w->len);
    }
    memcpy(relay_shm_alloc_addr(cache->alloc, hoff), head, head_len);
    touch(cache, e);
    link_entry(cache, off);
    apr_global_mutex_unlock(cache->mutex);
    return APR_SUCCESS;
}

/*
 * A 304 refreshed `was`: its head is replaced, under the lock, only while
 * the index still holds that very entry. The reference the request took
 * in lookup() keeps its block from being freed and given to another
 * entry, so the block's offset names it.
 */
static apr_status_t mem_replace_head(request_rec *r, const char *key,
                                     const relay_cache_found_t *was,
                                     const char *head, apr_size_t head_len)
{
    mem_cache_t *cache = cache_of(r);
    apr_size_t len = strlen(key);
    relay_shm_off_t *slot, hoff;
    mem_entry_t *e;
    apr_status_t rv;

    if (!cache) {
        return APR_NOTFOUND;
    }
    if ((rv = apr_global_mutex_lock(cache->mutex)) != APR_SUCCESS) {
        return rv;
    }
    slot = find_slot(cache, key, len, hash_key(key, len));
    if (!*slot) {
        apr_global_mutex_unlock(cache->mutex);
        return APR_NOTFOUND;
    }
    if (ENTRY(cache, *slot) != (mem_entry_t *)was->handle) {
        apr_global_mutex_unlock(cache->mutex);
        return RELAY_CACHE_CHANGED;
    }
    hoff = relay_shm_alloc_get(cache->alloc, head_len);
    if (!hoff) {
        unlink_at(cache, slot); /* better gone than stale forever */
        apr_global_mutex_unlock(cache->mutex);
        return APR_ENOMEM;
    }
    e = ENTRY(cache, *slot);
    memcpy(relay_shm_alloc_addr(cache->alloc, hoff), head, head_len);
    relay_shm_alloc_free(cache->alloc, e->head);
    cache->shared->used = cache->shared->used - e->head_len + head_len;
    e->charge = e->charge - e->head_len + head_len;
    e->head = hoff;
    e->head_len = head_len;
    apr_global_mutex_unlock(cache->mutex);
    return APR_SUCCESS;
}

static apr_status_t mem_remove(request_rec *r, const char *key)
{
    mem_cache_t *cache = cache_of(r);
    mem_shared_t *sh;
    apr_size_t len = strlen(key);
    apr_uint32_t b;
    apr_status_t rv;

    if (!cache) {
        return APR_NOTFOUND;
    }
    if ((rv = apr_global_mutex_lock(cache->mutex)) != APR_SUCCESS) {
        return rv;
    }
    sh = cache->shared;
    /* The key and its variants (key + separator + vary key). */
    for (b = 0; b < sh->nbuckets; b++) {
        relay_shm_off_t *slot = &sh->buckets[b];
        while (*slot) {
            mem_entry_t *e = ENTRY(cache, *slot);
            if (e->key_len >= len && !memcmp(ENTRY_KEY(e), key, len) &&
                (e->key_len == len ||
                 ENTRY_KEY(e)[len] == RELAY_CACHE_VARIANT_SEP[0])) {
                unlink_at(cache, slot);
            }
            else {
                slot = &e->next;
            }
        }
    }
    apr_global_mutex_unlock(cache->mutex);
    return APR_SUCCESS;
}

void mem_cache_stats_add(mem_cache_t *cache, relay_cache_store_stats_t *st)
{
    mem_shared_t *sh = cache->shared;

    if (apr_global_mutex_lock(cache->mutex) != APR_SUCCESS) {
        return;
    }
    st->entries += sh->count;
    st->bytes += (apr_int64_t)sh->used;
    st->evictions += (apr_int64_t)sh->evictions;
    apr_global_mutex_unlock(cache->mutex);
}

const relay_cache_provider_t
    mem_store = {mem_lookup, mem_body,    mem_begin,        mem_write,
                 mem_commit, mem_abandon, mem_replace_head, mem_remove,
                 NULL, /* no hold: each piece goes on as soon as it is stored */
                 mem_stats};
