/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The socache store's item layouts (see relay_cache_item.h): encoding,
 * strict decoding, ids and expiry. Decoding trusts nothing it reads from
 * a shared cache: lengths are checked against the buffer before use,
 * every item carries a CRC-32, and reserved fields must be 0, so that an
 * item decodes only when encoding what it says gives it back byte for
 * byte.
 */
#include <string.h>

#include <apr_md5.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_item.h"

#define HEAD_MAGIC "RLSH"
#define CHUNK_MAGIC "RLSK"
#define GEN_MAGIC "RLSG"

static void put16(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, apr_uint64_t v)
{
    put32(p, (apr_uint32_t)(v >> 32));
    put32(p + 4, (apr_uint32_t)v);
}

static apr_uint32_t get16(const unsigned char *p)
{
    return ((apr_uint32_t)p[0] << 8) | p[1];
}

static apr_uint32_t get32(const unsigned char *p)
{
    return ((apr_uint32_t)p[0] << 24) | ((apr_uint32_t)p[1] << 16) |
           ((apr_uint32_t)p[2] << 8) | p[3];
}

static apr_uint64_t get64(const unsigned char *p)
{
    return ((apr_uint64_t)get32(p) << 32) | get32(p + 4);
}

void relay_cache_item_id(unsigned char id[RELAY_CACHE_ITEM_ID_LEN],
                         relay_cache_item_kind_t kind, const char *key,
                         apr_uint64_t generation, apr_uint64_t stamp,
                         apr_uint32_t index)
{
    apr_md5_ctx_t md5;
    unsigned char tail[20];

    put64(tail, generation);
    put64(tail + 8, stamp);
    put32(tail + 16, index);
    id[0] = (unsigned char)kind;
    apr_md5_init(&md5);
    apr_md5_update(&md5, key, strlen(key) + 1); /* with its NUL: a boundary */
    apr_md5_update(&md5, tail, sizeof(tail));
    apr_md5_final(id + 1, &md5);
}

/* Appends the CRC-32 of buf[0, len) at buf + len. */
static void seal(char *buf, apr_size_t len)
{
    put32((unsigned char *)buf + len, relay_cache_entry_checksum(buf, len));
}

/* Whether buf[0, len) ends with the CRC-32 of what precedes it. */
static int sealed(const char *buf, apr_size_t len)
{
    return len >= 4 && relay_cache_entry_checksum(buf, len - 4) ==
                           get32((const unsigned char *)buf + len - 4);
}

void relay_cache_item_head_encode(apr_pool_t *pool,
                                  const relay_cache_item_head_t *h, char **buf,
                                  apr_size_t *len)
{
    apr_size_t inline_len = h->nchunks ? 0 : (apr_size_t)h->body_length;
    apr_size_t n = RELAY_CACHE_ITEM_HEAD_OVERHEAD + h->key_length +
                   h->head_length + inline_len;
    unsigned char *p = apr_palloc(pool, n);

    memcpy(p, HEAD_MAGIC, 4);
    put16(p + 4, RELAY_CACHE_ITEM_VERSION);
    put16(p + 6, 0);
    put64(p + 8, h->stamp);
    put32(p + 16, h->nchunks);
    put32(p + 20, h->chunk_size);
    put64(p + 24, (apr_uint64_t)h->body_length);
    put32(p + 32, h->body_crc);
    put32(p + 36, (apr_uint32_t)h->key_length);
    put32(p + 40, (apr_uint32_t)h->head_length);
    memcpy(p + 44, h->key, h->key_length);
    memcpy(p + 44 + h->key_length, h->head, h->head_length);
    if (inline_len) {
        memcpy(p + 44 + h->key_length + h->head_length, h->body, inline_len);
    }
    seal((char *)p, n - 4);
    *buf = (char *)p;
    *len = n;
}

int relay_cache_item_head_decode(const char *buf, apr_size_t len,
                                 relay_cache_item_head_t *h)
{
    const unsigned char *p = (const unsigned char *)buf;
    apr_uint64_t body_length;
    apr_size_t rest;

    if (len < RELAY_CACHE_ITEM_HEAD_OVERHEAD || memcmp(p, HEAD_MAGIC, 4) ||
        get16(p + 4) != RELAY_CACHE_ITEM_VERSION || get16(p + 6) != 0 ||
        !sealed(buf, len)) {
        return 0;
    }
    h->stamp = get64(p + 8);
    h->nchunks = get32(p + 16);
    h->chunk_size = get32(p + 20);
    body_length = get64(p + 24);
    h->body_crc = get32(p + 32);
    h->key_length = get32(p + 36);
    h->head_length = get32(p + 40);
    rest = len - RELAY_CACHE_ITEM_HEAD_OVERHEAD;
    if (body_length > RELAY_CACHE_ENTRY_MAX * 64 || h->key_length > rest ||
        h->head_length > rest - h->key_length) {
        return 0;
    }
    rest -= h->key_length + h->head_length;
    h->body_length = (apr_off_t)body_length;
    if (h->nchunks == 0) {
        if (rest != body_length) {
            return 0;
        }
    }
    else if (rest != 0 || h->chunk_size == 0 ||
             (apr_uint64_t)(h->nchunks - 1) * h->chunk_size >= body_length ||
             (apr_uint64_t)h->nchunks * h->chunk_size < body_length) {
        return 0;
    }
    h->key = buf + 44;
    h->head = h->key + h->key_length;
    h->body = h->nchunks ? NULL : h->head + h->head_length;
    return 1;
}

void relay_cache_item_chunk_encode(apr_pool_t *pool, apr_uint64_t stamp,
                                   apr_uint32_t index, const char *data,
                                   apr_size_t data_len, char **buf,
                                   apr_size_t *len)
{
    apr_size_t n = RELAY_CACHE_ITEM_CHUNK_OVERHEAD + data_len;
    unsigned char *p = apr_palloc(pool, n);

    memcpy(p, CHUNK_MAGIC, 4);
    put16(p + 4, RELAY_CACHE_ITEM_VERSION);
    put16(p + 6, 0);
    put64(p + 8, stamp);
    put32(p + 16, index);
    put32(p + 20, (apr_uint32_t)data_len);
    memcpy(p + 24, data, data_len);
    seal((char *)p, n - 4);
    *buf = (char *)p;
    *len = n;
}

int relay_cache_item_chunk_decode(const char *buf, apr_size_t len,
                                  apr_uint64_t stamp, apr_uint32_t index,
                                  apr_size_t expect_len, const char **data)
{
    const unsigned char *p = (const unsigned char *)buf;

    if (len != RELAY_CACHE_ITEM_CHUNK_OVERHEAD + expect_len ||
        memcmp(p, CHUNK_MAGIC, 4) || get16(p + 4) != RELAY_CACHE_ITEM_VERSION ||
        get16(p + 6) != 0 || get64(p + 8) != stamp || get32(p + 16) != index ||
        get32(p + 20) != expect_len || !sealed(buf, len)) {
        return 0;
    }
    *data = buf + 24;
    return 1;
}

void relay_cache_item_gen_encode(char buf[RELAY_CACHE_ITEM_GEN_LEN],
                                 apr_uint64_t generation)
{
    memcpy(buf, GEN_MAGIC, 4);
    put64((unsigned char *)buf + 4, generation);
}

int relay_cache_item_gen_decode(const char *buf, apr_size_t len,
                                apr_uint64_t *generation)
{
    if (len != RELAY_CACHE_ITEM_GEN_LEN || memcmp(buf, GEN_MAGIC, 4)) {
        return 0;
    }
    *generation = get64((const unsigned char *)buf + 4);
    return 1;
}

apr_time_t relay_cache_item_expiry(apr_time_t now, apr_int64_t fresh_left,
                                   apr_int64_t min_time, apr_int64_t max_time)
{
    apr_int64_t s = fresh_left;

    if (s > max_time) {
        s = max_time;
    }
    if (s < min_time) {
        s = min_time;
    }
    if (s < 0) {
        s = 0;
    }
    return now + apr_time_from_sec(s);
}
