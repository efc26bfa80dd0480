/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The socache store: mod_cache's entries in one of httpd's small-object
 * caches (shmcb, memcached, Redis ...), which several gateways may share.
 *
 * An entry is a head item and, when its body does not fit beside the
 * head in one item, body chunks (relay_cache_item.h). A write buffers the
 * body in the request's pool, at most CacheSocacheMaxSize bytes, and
 * publishes in commit(): the chunks first, each named by a fresh random
 * stamp, then the head item that names the stamp. A reader fetches the
 * head, then every chunk of that stamp, and checks the body's CRC before
 * answering: a missing or foreign chunk (eviction, a concurrent write by
 * another gateway) is a miss, never a mix of two versions.
 *
 * The head item expires with the entry's remaining freshness, clamped to
 * [CacheSocacheMinTime, CacheSocacheMaxTime]; chunks expire after
 * CacheSocacheMaxTime, so they outlive the head that names them.
 *
 * A 304 refreshes an entry by writing its head item again, with the
 * stamp and body of the entry the request looked up, and only while the
 * key's head item still names that stamp: an entry written since is left
 * alone. For a store that is not safe across processes (shmcb) the
 * look and the write happen under its mutex, so no commit comes between
 * them; a shared network store (memcached, Redis) has no such lock, and a
 * commit that lands within the round trip between the two is replaced by
 * the refreshed entry, which is whole (its own head, stamp and body).
 *
 * Vary: variants are stored under a generation named by the primary
 * key's generation item; removing the primary key removes that item, so
 * every variant goes at once, in every gateway.
 *
 * Any failure of the cache other than "not found" opens the circuit
 * breaker (socache_breaker.c): the request and the ones after it go on
 * uncached until the back-off is over.
 */
#include "apr_strings.h"

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_item.h"
#include "relay/relay_cache_policy.h"
#include "socache_private.h"

APLOG_USE_MODULE(cache_socache);

#define WRITER_MAGIC 0x52534357 /* "RSCW" */
#define ID_LEN RELAY_CACHE_ITEM_ID_LEN

/* What lookup() keeps for body() and replace_head(). */
typedef struct sc_found_t {
    const char *body;
    apr_uint64_t gen;             /* the generation of its items */
    relay_cache_item_head_t item; /* its head item: the stamp names it */
} sc_found_t;

struct relay_cache_writer_t {
    apr_uint32_t magic;
    request_rec *r;
    const char *key;
    int head_only;
    char *buf;
    apr_size_t len, size, limit;
    int done;
};

/* The request's store and effective settings, or NULL when it has none,
 * or the breaker says to skip it. */
static socache_store_t *usable(request_rec *r, socache_config_t *c)
{
    const socache_config_t *conf =
        ap_get_module_config(r->server->module_config, &cache_socache_module);

    if (!conf->store || !conf->store->ready ||
        !socache_breaker_allows(conf->store->breaker, r) ||
        !socache_probe(r, conf->store)) {
        return NULL;
    }
    socache_config_of_request(r, c);
    return c->store;
}

/*
 * Whether rv is the cache's own failure, not an answer. An item too large
 * for the buffer (APR_ENOSPC; memcache says APR_ENOMEM) is no failure of
 * the server: it is treated as a miss.
 */
static int failure(apr_status_t rv, int store)
{
    return rv != APR_SUCCESS && rv != APR_ENOSPC &&
           (store || (rv != APR_NOTFOUND && rv != APR_ENOMEM));
}

static apr_status_t note(request_rec *r, socache_store_t *st, apr_status_t rv,
                         int store)
{
    if (rv == APR_SUCCESS) {
        socache_breaker_succeeded(st->breaker, r, st);
    }
    else if (failure(rv, store)) {
        socache_breaker_failed(st->breaker, r, st, rv);
    }
    return rv;
}

static apr_status_t lock(socache_store_t *st)
{
    return st->mutex ? apr_global_mutex_lock(*st->mutex) : APR_SUCCESS;
}

static void unlock(socache_store_t *st)
{
    if (st->mutex) {
        apr_global_mutex_unlock(*st->mutex);
    }
}

/* Reads an item; the caller holds the lock. */
static apr_status_t fetch(request_rec *r, socache_store_t *st,
                          const unsigned char *id, char *buf, apr_size_t *len)
{
    unsigned int n = (unsigned int)*len;
    apr_status_t rv = st->provider->retrieve(
        st->instance, r->server, id, ID_LEN, (unsigned char *)buf, &n, r->pool);

    *len = n;
    return rv;
}

static apr_status_t get_item(request_rec *r, socache_store_t *st,
                             const unsigned char *id, char *buf,
                             apr_size_t *len)
{
    apr_status_t rv;

    if (!socache_breaker_allows(st->breaker, r)) {
        return APR_NOTFOUND;
    }
    if ((rv = lock(st)) == APR_SUCCESS) {
        rv = fetch(r, st, id, buf, len);
        unlock(st);
    }
    return note(r, st, rv, 0);
}

/* Writes an item; `held`: the caller holds the lock already. */
static apr_status_t put_item(request_rec *r, socache_store_t *st,
                             const unsigned char *id, const char *buf,
                             apr_size_t len, apr_time_t expiry, int held)
{
    apr_status_t rv;

    if (!socache_breaker_allows(st->breaker, r)) {
        return APR_EGENERAL;
    }
    if (held || (rv = lock(st)) == APR_SUCCESS) {
        rv = st->provider->store(st->instance, r->server, id, ID_LEN, expiry,
                                 (unsigned char *)buf, (unsigned int)len,
                                 r->pool);
        if (!held) {
            unlock(st);
        }
    }
    return note(r, st, rv, 1);
}

static void drop_item(request_rec *r, socache_store_t *st,
                      const unsigned char *id)
{
    apr_status_t rv;

    if (!socache_breaker_allows(st->breaker, r)) {
        return;
    }
    if ((rv = lock(st)) == APR_SUCCESS) {
        rv = st->provider->remove(st->instance, r->server, id, ID_LEN, r->pool);
        unlock(st);
    }
    note(r, st, rv, 0);
}

/* The primary key of a variant key, or NULL for a primary key. */
static const char *primary_of(request_rec *r, const char *key)
{
    const char *sep = strchr(key, RELAY_CACHE_VARIANT_SEP[0]);

    return sep ? apr_pstrmemdup(r->pool, key, sep - key) : NULL;
}

/*
 * The generation the variants of `primary` are stored under: APR_SUCCESS,
 * or APR_NOTFOUND when there is none (then, with `create`, a new one is
 * stored first).
 */
static apr_status_t generation(request_rec *r, socache_store_t *st,
                               const socache_config_t *c, const char *primary,
                               int create, apr_uint64_t *gen)
{
    unsigned char id[ID_LEN];
    char buf[RELAY_CACHE_ITEM_GEN_LEN];
    apr_size_t len = sizeof(buf);
    apr_status_t rv;

    relay_cache_item_id(id, RELAY_CACHE_ITEM_GENERATION, primary, 0, 0, 0);
    rv = get_item(r, st, id, buf, &len);
    if (rv == APR_SUCCESS && relay_cache_item_gen_decode(buf, len, gen)) {
        return APR_SUCCESS;
    }
    if (!create) {
        return APR_NOTFOUND;
    }
    if ((rv = apr_generate_random_bytes((unsigned char *)gen, sizeof(*gen))) !=
        APR_SUCCESS) {
        return rv;
    }
    relay_cache_item_gen_encode(buf, *gen);
    return put_item(r, st, id, buf, sizeof(buf),
                    apr_time_now() + apr_time_from_sec(c->max_time), 0);
}

/* The id of key's head item and the generation its items use. */
static apr_status_t head_id(request_rec *r, socache_store_t *st,
                            const socache_config_t *c, const char *key,
                            int create, unsigned char id[ID_LEN],
                            apr_uint64_t *gen)
{
    const char *primary = primary_of(r, key);
    apr_status_t rv;

    *gen = 0;
    if (primary &&
        (rv = generation(r, st, c, primary, create, gen)) != APR_SUCCESS) {
        return rv;
    }
    relay_cache_item_id(id, RELAY_CACHE_ITEM_HEAD, key, *gen, 0, 0);
    return APR_SUCCESS;
}

/* Fetches and decodes key's head item (its key checked). */
static apr_status_t get_head(request_rec *r, socache_store_t *st,
                             const socache_config_t *c, const char *key,
                             relay_cache_item_head_t *h, apr_uint64_t *gen)
{
    unsigned char id[ID_LEN];
    apr_size_t len = st->item_max;
    char *buf = apr_palloc(r->pool, len);
    apr_status_t rv;

    if ((rv = head_id(r, st, c, key, 0, id, gen)) != APR_SUCCESS ||
        (rv = get_item(r, st, id, buf, &len)) != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    if (!relay_cache_item_head_decode(buf, len, h) ||
        h->key_length != strlen(key) || memcmp(h->key, key, h->key_length)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(06503) "%s: ignoring an unreadable or "
                                         "foreign cache item for %s",
                      st->spec, key);
        return APR_NOTFOUND;
    }
    return APR_SUCCESS;
}

/* The whole body named by h, or NULL when a chunk is missing, of another
 * write, or the body's checksum differs. */
static const char *get_body(request_rec *r, socache_store_t *st,
                            const char *key, apr_uint64_t gen,
                            const relay_cache_item_head_t *h)
{
    apr_size_t item_len = RELAY_CACHE_ITEM_CHUNK_OVERHEAD + h->chunk_size;
    char *item = h->nchunks ? apr_palloc(r->pool, item_len) : NULL;
    char *body;
    apr_uint32_t i;

    if (!h->nchunks) {
        body = (char *)h->body;
    }
    else if (item_len > st->item_max) {
        return NULL;
    }
    else {
        body = apr_palloc(r->pool, (apr_size_t)h->body_length);
    }
    for (i = 0; i < h->nchunks; i++) {
        unsigned char id[ID_LEN];
        apr_size_t off = (apr_size_t)i * h->chunk_size;
        apr_size_t want = (apr_size_t)h->body_length - off < h->chunk_size
                              ? (apr_size_t)h->body_length - off
                              : h->chunk_size;
        apr_size_t len = item_len;
        const char *data;

        relay_cache_item_id(id, RELAY_CACHE_ITEM_CHUNK, key, gen, h->stamp, i);
        if (get_item(r, st, id, item, &len) != APR_SUCCESS ||
            !relay_cache_item_chunk_decode(item, len, h->stamp, i, want,
                                           &data)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          RELAY_LOGNO(06504) "%s: chunk %u of %u of %s is "
                                             "missing or of another write: "
                                             "a miss",
                          st->spec, i, h->nchunks, key);
            return NULL;
        }
        memcpy(body + off, data, want);
    }
    if (relay_cache_entry_checksum(body, (apr_size_t)h->body_length) !=
        h->body_crc) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(06505) "%s: the body of %s does not match "
                                         "its checksum: a miss",
                      st->spec, key);
        return NULL;
    }
    return body;
}

static apr_status_t sc_lookup(request_rec *r, const char *key,
                              relay_cache_found_t **found)
{
    socache_config_t c;
    socache_store_t *st = usable(r, &c);
    relay_cache_found_t *f;
    sc_found_t *x = apr_palloc(r->pool, sizeof(*x));

    if (!st || get_head(r, st, &c, key, &x->item, &x->gen) != APR_SUCCESS ||
        x->item.body_length > c.max_size) {
        return APR_NOTFOUND;
    }
    if ((x->body = get_body(r, st, key, x->gen, &x->item)) == NULL) {
        return APR_NOTFOUND;
    }
    f = apr_palloc(r->pool, sizeof(*f));
    f->head = x->item.head;
    f->head_len = x->item.head_length;
    f->body_len = x->item.body_length;
    f->handle = x;
    f->head_checked = 0;
    *found = f;
    return APR_SUCCESS;
}

static apr_status_t sc_body(request_rec *r, relay_cache_found_t *found,
                            apr_bucket_brigade *bb)
{
    const sc_found_t *x = found->handle;

    if (found->body_len) {
        APR_BRIGADE_INSERT_TAIL(
            bb, apr_bucket_pool_create(x->body, (apr_size_t)found->body_len,
                                       r->pool, bb->bucket_alloc));
    }
    return APR_SUCCESS;
}

static apr_status_t sc_begin(request_rec *r, const char *key,
                             apr_off_t length_hint, relay_cache_writer_t **out)
{
    socache_config_t c;
    socache_store_t *st = usable(r, &c);
    relay_cache_writer_t *w;

    if (!st) {
        return RELAY_CACHE_DECLINED;
    }
    if (length_hint > c.max_size) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      RELAY_LOGNO(06506) "not storing %s: %" APR_OFF_T_FMT
                                         " bytes is over CacheSocacheMaxSize",
                      key, length_hint);
        return RELAY_CACHE_DECLINED;
    }
    w = apr_pcalloc(r->pool, sizeof(*w));
    w->magic = WRITER_MAGIC;
    w->r = r;
    w->key = apr_pstrdup(r->pool, key);
    w->head_only = length_hint == RELAY_CACHE_HEAD_ONLY;
    w->limit = (apr_size_t)c.max_size;
    *out = w;
    return APR_SUCCESS;
}

static apr_status_t sc_write(relay_cache_writer_t *w, const char *data,
                             apr_size_t len)
{
    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    if (w->done) {
        return APR_ENOSPC;
    }
    return relay_buffer_append(w->r->pool, &w->buf, &w->len, &w->size, w->limit,
                               data, len);
}

static void sc_abandon(relay_cache_writer_t *w)
{
    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    w->done = 1;
}

/*
 * When the head item of an entry expires: its remaining freshness (read
 * with stock mod_cache's default settings) clamped to the store's
 * minimum and maximum times. A Vary head lives as long as allowed.
 */
static apr_time_t head_expiry(request_rec *r, const socache_config_t *c,
                              const char *head, apr_size_t head_len,
                              int head_only)
{
    apr_time_t now = apr_time_now();
    relay_cache_settings_t settings;
    relay_cache_response_t resp;
    relay_cache_entry_t e;
    apr_int64_t left;

    if (head_only || relay_cache_entry_decode(r->pool, head, head_len, &e) !=
                         RELAY_CACHE_ENTRY_OK) {
        return relay_cache_item_expiry(now, c->max_time, c->min_time,
                                       c->max_time);
    }
    /* mod_cache counts the age in whole seconds of the clock since the
     * response's second (RFC 9111 §4.2.3): the entry turns stale at the
     * start of a second. */
    relay_cache_settings_default(&settings);
    relay_cache_response_read(&resp, r->pool, e.status, e.headers);
    left = relay_cache_freshness_lifetime(&settings, &resp, e.response_time,
                                          NULL) -
           relay_cache_current_age(&resp, e.request_time, e.response_time,
                                   e.response_time);
    return relay_cache_item_expiry(
        apr_time_from_sec(apr_time_sec(e.response_time)), left, c->min_time,
        c->max_time);
}

/* Writes the head item h of key (and its chunks from body when it has
 * them); the head goes last, so a reader never finds it before them.
 * `held`: the caller holds the lock. */
static apr_status_t publish(request_rec *r, socache_store_t *st,
                            const socache_config_t *c, const char *key,
                            const unsigned char *id, apr_uint64_t gen,
                            relay_cache_item_head_t *h, const char *body,
                            apr_time_t expiry, int held)
{
    apr_time_t chunk_expiry = apr_time_now() + apr_time_from_sec(c->max_time);
    apr_size_t inline_max =
        st->item_max - RELAY_CACHE_ITEM_HEAD_OVERHEAD - h->key_length;
    apr_status_t rv;
    apr_uint32_t i;
    char *buf;
    apr_size_t len;

    if (RELAY_CACHE_ITEM_HEAD_OVERHEAD + h->key_length + h->head_length >
        st->item_max) {
        return APR_ENOSPC;
    }
    if (!h->nchunks && body &&
        (apr_size_t)h->body_length > inline_max - h->head_length) {
        h->chunk_size =
            (apr_uint32_t)(st->item_max - RELAY_CACHE_ITEM_CHUNK_OVERHEAD);
        h->nchunks =
            (apr_uint32_t)(((apr_size_t)h->body_length + h->chunk_size - 1) /
                           h->chunk_size);
        for (i = 0; i < h->nchunks; i++) {
            apr_size_t off = (apr_size_t)i * h->chunk_size;
            apr_size_t n = (apr_size_t)h->body_length - off < h->chunk_size
                               ? (apr_size_t)h->body_length - off
                               : h->chunk_size;
            unsigned char cid[ID_LEN];

            relay_cache_item_id(cid, RELAY_CACHE_ITEM_CHUNK, key, gen, h->stamp,
                                i);
            relay_cache_item_chunk_encode(r->pool, h->stamp, i, body + off, n,
                                          &buf, &len);
            if ((rv = put_item(r, st, cid, buf, len, chunk_expiry, held)) !=
                APR_SUCCESS) {
                return rv;
            }
        }
    }
    relay_cache_item_head_encode(r->pool, h, &buf, &len);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  RELAY_LOGNO(06511) "%s: storing %s in %u chunks, until %s",
                  st->spec, key, h->nchunks,
                  ap_ht_time(r->pool, expiry, "%H:%M:%S", 1));
    return put_item(r, st, id, buf, len, expiry, held);
}

static apr_status_t sc_commit(relay_cache_writer_t *w, const char *head,
                              apr_size_t head_len)
{
    request_rec *r = w->r;
    socache_config_t c;
    socache_store_t *st;
    relay_cache_item_head_t h = {0};
    unsigned char id[ID_LEN];
    apr_uint64_t gen;
    apr_status_t rv;

    AP_DEBUG_ASSERT(w->magic == WRITER_MAGIC);
    if (w->done || (st = usable(r, &c)) == NULL) {
        w->done = 1;
        return RELAY_CACHE_DECLINED;
    }
    w->done = 1;
    if ((rv = apr_generate_random_bytes((unsigned char *)&h.stamp,
                                        sizeof(h.stamp))) != APR_SUCCESS ||
        (rv = head_id(r, st, &c, w->key, 1, id, &gen)) != APR_SUCCESS) {
        return rv;
    }
    h.body_length = (apr_off_t)w->len;
    h.body_crc = relay_cache_entry_checksum(w->buf ? w->buf : "", w->len);
    h.key = w->key;
    h.key_length = strlen(w->key);
    h.head = head;
    h.head_length = head_len;
    h.body = w->buf;
    rv = publish(r, st, &c, w->key, id, gen, &h, w->buf,
                 head_expiry(r, &c, head, head_len, w->head_only), 0);
    if (rv == APR_ENOSPC) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      RELAY_LOGNO(06507) "%s: %s does not fit in the cache's "
                                         "items",
                      st->spec, w->key);
        return RELAY_CACHE_DECLINED;
    }
    return rv;
}

/*
 * A 304 refreshed `was`: its head item is written again, with was's stamp
 * and body, only while the key's head item names was's stamp; the look
 * and the write under the store's mutex when it has one.
 */
static apr_status_t sc_replace_head(request_rec *r, const char *key,
                                    const relay_cache_found_t *was,
                                    const char *head, apr_size_t head_len)
{
    socache_config_t c;
    socache_store_t *st = usable(r, &c);
    const sc_found_t *x = was->handle;
    relay_cache_item_head_t h, now;
    unsigned char id[ID_LEN];
    apr_uint64_t gen;
    apr_time_t expiry;
    apr_size_t len;
    char *buf;
    apr_status_t rv;

    if (!st || head_id(r, st, &c, key, 0, id, &gen) != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    if (gen != x->gen) {
        return RELAY_CACHE_CHANGED; /* the variants were removed since */
    }
    expiry = head_expiry(r, &c, head, head_len, 0);
    h = x->item;
    h.head = head;
    h.head_length = head_len;
    h.body = h.nchunks ? NULL : x->body;
    len = st->item_max;
    buf = apr_palloc(r->pool, len);
    if (!socache_breaker_allows(st->breaker, r)) {
        return APR_NOTFOUND;
    }
    if ((rv = lock(st)) != APR_SUCCESS) {
        return note(r, st, rv, 1);
    }
    rv = note(r, st, fetch(r, st, id, buf, &len), 0);
    if (rv != APR_SUCCESS || !relay_cache_item_head_decode(buf, len, &now) ||
        now.key_length != strlen(key) || memcmp(now.key, key, now.key_length)) {
        rv = APR_NOTFOUND;
    }
    else if (now.stamp != x->item.stamp) {
        rv = RELAY_CACHE_CHANGED;
    }
    else {
        rv = publish(r, st, &c, key, id, gen, &h, x->body, expiry, 1);
    }
    unlock(st);
    return rv;
}

static apr_status_t sc_remove(request_rec *r, const char *key)
{
    socache_config_t c;
    socache_store_t *st = usable(r, &c);
    const char *primary = primary_of(r, key);
    unsigned char id[ID_LEN];
    apr_uint64_t gen;

    if (!st) {
        return APR_NOTFOUND;
    }
    if (primary) {
        if (head_id(r, st, &c, key, 0, id, &gen) == APR_SUCCESS) {
            drop_item(r, st, id);
        }
        return APR_SUCCESS;
    }
    /* The primary key's generation goes first: its variants with it. */
    relay_cache_item_id(id, RELAY_CACHE_ITEM_GENERATION, key, 0, 0, 0);
    drop_item(r, st, id);
    relay_cache_item_id(id, RELAY_CACHE_ITEM_HEAD, key, 0, 0, 0);
    drop_item(r, st, id);
    return APR_SUCCESS;
}

/* CacheSocacheReadSize and CacheSocacheReadTime for r. */
static void sc_hold_limits(request_rec *r, apr_off_t *bytes,
                           apr_interval_time_t *time)
{
    socache_config_t c;

    socache_config_of_request(r, &c);
    *bytes = c.read_size;
    *time = apr_time_from_msec(c.read_time);
}

const relay_cache_provider_t socache_store = {
    sc_lookup,  sc_body,         sc_begin,  sc_write,      sc_commit,
    sc_abandon, sc_replace_head, sc_remove, sc_hold_limits};
