/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The items of the socache store (mod_cache_socache): how one cache entry
 * is laid out over a small-object cache (shmcb, memcached, Redis), where
 * one item holds a bounded number of bytes and several gateways read and
 * write the same keys at once.
 *
 * An entry is a head item and, when its body does not fit beside the
 * head, body chunks. Every write of an entry draws a fresh random stamp;
 * the head item names the stamp, the chunk count and the CRC-32 of the
 * whole body, and each chunk item repeats the stamp and its index. A
 * reader that finds a chunk missing, of another stamp or index, or a body
 * whose CRC differs, has met two writes at once or an eviction: a miss,
 * never a mix of two versions.
 *
 * Layouts (integers big-endian, no padding):
 *
 *   head:  "RLSH" u16 version u16 0 u64 stamp u32 nchunks u32 chunk_size
 *          i64 body_length u32 body_crc u32 key_length u32 head_length
 *          key head [body when nchunks is 0] u32 CRC-32 of all before
 *   chunk: "RLSK" u16 version u16 0 u64 stamp u32 index u32 length
 *          data u32 CRC-32 of all before
 *   generation: "RLSG" u64 generation
 *
 * The generation item of a primary key names the generation its Vary
 * variants are stored under; removing the primary key removes it, which
 * makes every variant unreachable at once (a socache cannot list keys).
 *
 * Item ids are binary: a kind byte and the MD5 of what names the item, so
 * that any cache key fits a memcached key.
 */
#ifndef RELAY_CACHE_ITEM_H
#define RELAY_CACHE_ITEM_H

#include <apr_pools.h>
#include <apr_time.h>

#define RELAY_CACHE_ITEM_VERSION 1

/* Bytes of an item beyond its payload: a chunk's header and checksum. */
#define RELAY_CACHE_ITEM_CHUNK_OVERHEAD 28
/* A head item's fixed bytes (header and checksum), without key and head. */
#define RELAY_CACHE_ITEM_HEAD_OVERHEAD 48
#define RELAY_CACHE_ITEM_GEN_LEN 12

/* An item id: kind byte + MD5. */
#define RELAY_CACHE_ITEM_ID_LEN 17

typedef enum relay_cache_item_kind_e {
    RELAY_CACHE_ITEM_HEAD = 'H',
    RELAY_CACHE_ITEM_CHUNK = 'K',
    RELAY_CACHE_ITEM_GENERATION = 'G'
} relay_cache_item_kind_t;

/* A decoded head item; the pointers point into the decoded buffer. */
typedef struct relay_cache_item_head_t {
    apr_uint64_t stamp;
    apr_uint32_t nchunks;    /* 0: the body is inline */
    apr_uint32_t chunk_size; /* body bytes per chunk (the last: the rest) */
    apr_off_t body_length;
    apr_uint32_t body_crc;
    const char *key;
    apr_size_t key_length;
    const char *head; /* the entry's head block, opaque here */
    apr_size_t head_length;
    const char *body; /* inline body, or NULL */
} relay_cache_item_head_t;

/*
 * The id of an item: kind, then MD5 over the key, the generation (for a
 * variant; 0 otherwise), and for a chunk the stamp and index.
 */
void relay_cache_item_id(unsigned char id[RELAY_CACHE_ITEM_ID_LEN],
                         relay_cache_item_kind_t kind, const char *key,
                         apr_uint64_t generation, apr_uint64_t stamp,
                         apr_uint32_t index);

/* Encodes h (body inline only when h->nchunks is 0) into `pool`. */
void relay_cache_item_head_encode(apr_pool_t *pool,
                                  const relay_cache_item_head_t *h, char **buf,
                                  apr_size_t *len);

/*
 * Decodes a head item; 0 when it is short, corrupt, of another version,
 * or inconsistent (chunk count and size do not cover the body length).
 */
int relay_cache_item_head_decode(const char *buf, apr_size_t len,
                                 relay_cache_item_head_t *h);

/* Encodes one body chunk into `pool`. */
void relay_cache_item_chunk_encode(apr_pool_t *pool, apr_uint64_t stamp,
                                   apr_uint32_t index, const char *data,
                                   apr_size_t data_len, char **buf,
                                   apr_size_t *len);

/*
 * Decodes a chunk item, checking it belongs to `stamp` at `index` and
 * holds exactly `expect_len` bytes: 1 with *data pointing into buf, or 0.
 */
int relay_cache_item_chunk_decode(const char *buf, apr_size_t len,
                                  apr_uint64_t stamp, apr_uint32_t index,
                                  apr_size_t expect_len, const char **data);

/* The generation item. */
void relay_cache_item_gen_encode(char buf[RELAY_CACHE_ITEM_GEN_LEN],
                                 apr_uint64_t generation);
int relay_cache_item_gen_decode(const char *buf, apr_size_t len,
                                apr_uint64_t *generation);

/*
 * When an item stored at `now` expires: after `fresh_left` seconds (the
 * entry's remaining freshness lifetime), clamped to [min_time, max_time]
 * seconds (CacheSocacheMinTime, CacheSocacheMaxTime).
 */
apr_time_t relay_cache_item_expiry(apr_time_t now, apr_int64_t fresh_left,
                                   apr_int64_t min_time, apr_int64_t max_time);

#endif
