/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The interface between Relay's mod_cache and its stores (mod_mem_cache,
 * later the disk and socache stores).
 *
 * A store registers one relay_cache_provider_t in RELAY_CACHE_STORE_GROUP,
 * version RELAY_CACHE_STORE_VERSION, under the type name CacheEnable uses
 * ("mem", later "disk", "socache"). mod_cache never links against a
 * store: any LoadModule order works.
 *
 * A store keeps, per key, one opaque head block (relay_cache_entry.h
 * encodes and checks it; the store only keeps its bytes) and a body.
 * Keys are strings made by mod_cache. For a response with Vary, mod_cache
 * stores under the primary key a head that names the Vary fields, and
 * each variant under primary key + RELAY_CACHE_VARIANT_SEP + vary key.
 *
 * Ownership and lifetimes:
 *  - lookup() gives an entry whose head bytes and body stay valid until
 *    r->pool is cleaned up, even when the key is replaced or removed in
 *    the meantime (the store refcounts what it hands out);
 *  - a writer belongs to the request that began it; the store abandons it
 *    when r->pool is cleaned up before commit() or abandon();
 *  - commit() publishes atomically: readers see the old entry or the new
 *    one, never a part of one;
 *  - replace_head() changes only the entry a lookup() of the same request
 *    found, and keeps that entry's own body: an entry stored under the key
 *    since is left alone (RFC 9111 §4.3.4).
 */
#ifndef RELAY_CACHE_H
#define RELAY_CACHE_H

#include "httpd.h"
#include "apr_buckets.h"

#define RELAY_CACHE_STORE_GROUP "relay-cache-store"
#define RELAY_CACHE_STORE_VERSION "3"

/* Separates a primary key from a variant's vary key. */
#define RELAY_CACHE_VARIANT_SEP "\001"

/* begin() and commit(): the store does not take this entry (size bounds). */
#define RELAY_CACHE_DECLINED (APR_OS_START_USERERR + 200)

/* replace_head(): the key holds another entry than the one to refresh. */
#define RELAY_CACHE_CHANGED (APR_OS_START_USERERR + 201)

/*
 * The length hint of an entry without a body (a Vary head): the store's
 * size bounds do not apply and write() is not called before commit().
 */
#define RELAY_CACHE_HEAD_ONLY ((apr_off_t)-2)

/* An entry found by lookup(); the store may keep more behind it. */
typedef struct relay_cache_found_t {
    const char *head; /* the stored head block */
    apr_size_t head_len;
    apr_off_t body_len;
    void *handle; /* the store's */
    /* Set when the store has checked the head's bytes with a checksum of
     * its own: mod_cache then skips the head block's CRC. */
    int head_checked;
} relay_cache_found_t;

/* What a store knows of itself, for the metrics and status pages; -1 in
 * a field it does not know. */
typedef struct relay_cache_store_stats_t {
    apr_int64_t entries;   /* entries stored now */
    apr_int64_t bytes;     /* bytes they take */
    apr_int64_t evictions; /* entries dropped to make room, so far */
} relay_cache_store_stats_t;

/* A write in progress; the store's own type. */
typedef struct relay_cache_writer_t relay_cache_writer_t;

typedef struct relay_cache_provider_t {
    /* APR_SUCCESS with *found, or APR_NOTFOUND. */
    apr_status_t (*lookup)(request_rec *r, const char *key,
                           relay_cache_found_t **found);
    /* Appends the whole body of `found` to bb (no EOS). */
    apr_status_t (*body)(request_rec *r, relay_cache_found_t *found,
                         apr_bucket_brigade *bb);
    /*
     * Starts storing a response under `key`; length_hint is the body
     * length when known, -1 otherwise, or RELAY_CACHE_HEAD_ONLY.
     * APR_SUCCESS with *w, or
     * RELAY_CACHE_DECLINED when the store does not take it (size bounds).
     */
    apr_status_t (*begin)(request_rec *r, const char *key,
                          apr_off_t length_hint, relay_cache_writer_t **w);
    /* Adds body bytes; APR_ENOSPC: too big, the caller abandons. */
    apr_status_t (*write)(relay_cache_writer_t *w, const char *data,
                          apr_size_t len);
    /* Publishes the body written with this head block. */
    apr_status_t (*commit)(relay_cache_writer_t *w, const char *head,
                           apr_size_t head_len);
    /* Drops what was written; nothing is published. */
    void (*abandon)(relay_cache_writer_t *w);
    /*
     * A 304 refreshed `was`, the entry lookup() gave r under `key`: gives
     * it the head block `head`, with its own body. Only that entry, and
     * atomically with the store's own publishing where the store can
     * lock: RELAY_CACHE_CHANGED, and nothing changes, when the key holds
     * another entry by now (stored since by another request);
     * APR_NOTFOUND when it holds none.
     */
    apr_status_t (*replace_head)(request_rec *r, const char *key,
                                 const relay_cache_found_t *was,
                                 const char *head, apr_size_t head_len);
    /* Removes the entry under `key` and every variant of it. */
    apr_status_t (*remove)(request_rec *r, const char *key);
    /*
     * How much of a response being stored mod_cache keeps back from the
     * client (stock's CacheReadSize / CacheReadTime): the body goes on
     * once *bytes are stored or the first byte kept is *time old,
     * whichever comes first (relay/relay_cache_hold.h); 0 and 0, or
     * hold_limits NULL: each piece goes on as soon as it is stored.
     * Called after a successful begin() for r.
     */
    void (*hold_limits)(request_rec *r, apr_off_t *bytes,
                        apr_interval_time_t *time);
    /* Optional (NULL: none): fills *st (every field set, -1 where not
     * known) for all the caches of this store type in the servers from
     * `s` (the main server) on. Not on the request path; may lock. */
    void (*stats)(server_rec *s, relay_cache_store_stats_t *st);
} relay_cache_provider_t;

#endif
