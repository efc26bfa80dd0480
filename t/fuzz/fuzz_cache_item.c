/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_cache_item.c: the items of the socache store
 * (head, body chunk, generation), which come back from memcached, Redis or
 * shared memory that other programs can write, and, inside a head item,
 * the entry's head block (relay_cache_entry.c), decoded as a hit does.
 *
 * Input: a first byte of options, then the item. Bits 0 and 1 pick the
 * kind (0 and 1 a head item, 2 a chunk, 3 a generation item). Random
 * bytes stop at the magic, the version, the lengths or the CRC-32 and
 * never reach the fields behind them, so the driver puts right what the
 * other options say:
 *   bit 2  the magic, the version and the reserved bytes
 *   bit 3  the lengths: a head's key and head lengths cut to fit the item,
 *          its body length fitted to the bytes left (inline) or to the
 *          chunk count and size; a chunk's data length
 *   bit 4  the CRC-32 at the end
 *   bit 5  the frame of the head block inside a head item (magic,
 *          version, length, CRC-32)
 * An options byte with none of bits 2 to 5 decodes the bytes as they
 * came, so the checks at the door stay fuzzed. A chunk is decoded asking
 * for the stamp and index it holds and for the data length the item's
 * size gives, or with bit 6 set the length its length field says.
 *
 * Besides crashes, it checks the promises of relay/relay_cache_item.h: a
 * decoded head's parts lie inside the item and add up to its size, its
 * chunk count and size cover its body length, and every item that
 * decodes encodes again to exactly the same bytes.
 */
#include <string.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_item.h"
#include "relay_fuzz.h"

#define KIND_MASK 0x03
#define KIND_CHUNK 0x02
#define KIND_GENERATION 0x03
#define FIX_MAGIC 0x04
#define FIX_LENGTHS 0x08
#define FIX_CRC 0x10
#define FIX_ENTRY 0x20
#define CHUNK_LENGTH_FIELD 0x40

#define HEAD_KEY_AT 44 /* a head item's key, after its fixed fields */
#define CHUNK_DATA_AT 24
/* The largest body a head item may announce (relay_cache_item.c). */
#define BODY_MAX ((apr_uint64_t)RELAY_CACHE_ENTRY_MAX * 64)

/* A head item's lengths made to fit its len bytes (len >= the overhead). */
static void fix_head_lengths(unsigned char *p, apr_size_t len)
{
    apr_size_t rest = len - RELAY_CACHE_ITEM_HEAD_OVERHEAD;
    apr_size_t key_len = relay_fuzz_get32(p + 36) % (rest + 1), head_len;
    apr_uint64_t nchunks = relay_fuzz_get32(p + 16),
                 chunk_size = relay_fuzz_get32(p + 20), body;

    if (nchunks == 0) {
        head_len = relay_fuzz_get32(p + 40) % (rest - key_len + 1);
        body = rest - key_len - head_len;
    }
    else {
        head_len = rest - key_len;
        if (chunk_size == 0) {
            chunk_size = 1;
        }
        if (nchunks * chunk_size > BODY_MAX) {
            /* 4096 chunks of 256 KiB at most: BODY_MAX */
            nchunks = 1 + nchunks % 4096;
            chunk_size = 1 + chunk_size % (256 * 1024);
        }
        body = (nchunks - 1) * chunk_size + 1 +
               relay_fuzz_get64(p + 24) % chunk_size;
    }
    relay_fuzz_put32(p + 16, (apr_uint32_t)nchunks);
    relay_fuzz_put32(p + 20, (apr_uint32_t)chunk_size);
    relay_fuzz_put64(p + 24, body);
    relay_fuzz_put32(p + 36, (apr_uint32_t)key_len);
    relay_fuzz_put32(p + 40, (apr_uint32_t)head_len);
}

static void head_item(apr_pool_t *pool, unsigned options, unsigned char *p,
                      apr_size_t len)
{
    relay_cache_item_head_t h;
    relay_cache_entry_t e;
    apr_uint64_t key_len, head_len;
    apr_size_t inline_len;
    char *again;
    apr_size_t again_len;

    if (len >= RELAY_CACHE_ITEM_HEAD_OVERHEAD) {
        if (options & FIX_MAGIC) {
            memcpy(p, "RLSH", 4);
            relay_fuzz_put16(p + 4, RELAY_CACHE_ITEM_VERSION);
            relay_fuzz_put16(p + 6, 0);
        }
        if (options & FIX_LENGTHS) {
            fix_head_lengths(p, len);
        }
        key_len = relay_fuzz_get32(p + 36);
        head_len = relay_fuzz_get32(p + 40);
        if ((options & FIX_ENTRY) &&
            key_len + head_len <= len - RELAY_CACHE_ITEM_HEAD_OVERHEAD) {
            relay_fuzz_frame_entry_head(p + HEAD_KEY_AT + key_len,
                                        (apr_size_t)head_len);
        }
    }
    if ((options & FIX_CRC) && len >= 4) {
        relay_fuzz_put32(p + len - 4,
                         relay_cache_entry_checksum((const char *)p, len - 4));
    }
    if (!relay_cache_item_head_decode((const char *)p, len, &h)) {
        return;
    }
    inline_len = h.nchunks ? 0 : (apr_size_t)h.body_length;
    relay_fuzz_check(h.key == (const char *)p + HEAD_KEY_AT &&
                         h.head == h.key + h.key_length &&
                         RELAY_CACHE_ITEM_HEAD_OVERHEAD + h.key_length +
                                 h.head_length + inline_len ==
                             len,
                     "a head item's parts add up to its size");
    relay_fuzz_check(h.nchunks ? h.body == NULL
                               : h.body == h.head + h.head_length,
                     "an inline body follows the head, a chunked one is not");
    relay_fuzz_check(h.nchunks == 0 ||
                         (h.chunk_size > 0 &&
                          (apr_uint64_t)(h.nchunks - 1) * h.chunk_size <
                              (apr_uint64_t)h.body_length &&
                          (apr_uint64_t)h.nchunks * h.chunk_size >=
                              (apr_uint64_t)h.body_length),
                     "the chunks cover the body, none of them empty");
    relay_cache_item_head_encode(pool, &h, &again, &again_len);
    relay_fuzz_check(again_len == len && memcmp(again, p, len) == 0,
                     "a decoded head item encodes to the same bytes");
    /* The head block, as mod_cache reads what the socache store found. */
    relay_cache_entry_decode(pool, h.head, h.head_length, &e);
}

static void chunk_item(apr_pool_t *pool, unsigned options, unsigned char *p,
                       apr_size_t len)
{
    const char *data;
    apr_size_t want;
    char *again;
    apr_size_t again_len;

    if (len < RELAY_CACHE_ITEM_CHUNK_OVERHEAD) {
        relay_fuzz_check(!relay_cache_item_chunk_decode((const char *)p, len, 0,
                                                        0, 0, &data),
                         "a chunk item shorter than its overhead is refused");
        return;
    }
    if (options & FIX_MAGIC) {
        memcpy(p, "RLSK", 4);
        relay_fuzz_put16(p + 4, RELAY_CACHE_ITEM_VERSION);
        relay_fuzz_put16(p + 6, 0);
    }
    if (options & FIX_LENGTHS) {
        relay_fuzz_put32(p + 20,
                         (apr_uint32_t)(len - RELAY_CACHE_ITEM_CHUNK_OVERHEAD));
    }
    if (options & FIX_CRC) {
        relay_fuzz_put32(p + len - 4,
                         relay_cache_entry_checksum((const char *)p, len - 4));
    }
    want = options & CHUNK_LENGTH_FIELD ? relay_fuzz_get32(p + 20)
                                        : len - RELAY_CACHE_ITEM_CHUNK_OVERHEAD;
    if (!relay_cache_item_chunk_decode((const char *)p, len,
                                       relay_fuzz_get64(p + 8),
                                       relay_fuzz_get32(p + 16), want, &data)) {
        return;
    }
    relay_fuzz_check(data == (const char *)p + CHUNK_DATA_AT &&
                         want == len - RELAY_CACHE_ITEM_CHUNK_OVERHEAD,
                     "a chunk's data lies inside it");
    relay_cache_item_chunk_encode(pool, relay_fuzz_get64(p + 8),
                                  relay_fuzz_get32(p + 16), data, want, &again,
                                  &again_len);
    relay_fuzz_check(again_len == len && memcmp(again, p, len) == 0,
                     "a decoded chunk item encodes to the same bytes");
}

static void generation_item(unsigned options, unsigned char *p, apr_size_t len)
{
    char again[RELAY_CACHE_ITEM_GEN_LEN];
    apr_uint64_t gen;

    if ((options & FIX_MAGIC) && len >= 4) {
        memcpy(p, "RLSG", 4);
    }
    if (!relay_cache_item_gen_decode((const char *)p, len, &gen)) {
        return;
    }
    relay_cache_item_gen_encode(again, gen);
    relay_fuzz_check(len == RELAY_CACHE_ITEM_GEN_LEN &&
                         memcmp(again, p, len) == 0,
                     "a decoded generation item encodes to the same bytes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    unsigned options;
    unsigned char *item;
    apr_size_t len;

    if (size < 1 || size > 262144) {
        return relay_fuzz_done();
    }
    options = data[0];
    len = size - 1;
    /* exact size: ASan sees any overread */
    item = (unsigned char *)relay_fuzz_dup(pool, data + 1, len);
    switch (options & KIND_MASK) {
    case KIND_CHUNK:
        chunk_item(pool, options, item, len);
        break;
    case KIND_GENERATION:
        generation_item(options, item, len);
        break;
    default:
        head_item(pool, options, item, len);
        break;
    }
    return relay_fuzz_done();
}
