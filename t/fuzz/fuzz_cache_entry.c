/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_cache_entry.c: the stored head block that the
 * memory (and later the disk) store hands back, which may be corrupt or
 * hostile.
 *
 * Input: the block itself. Before decoding, the driver writes the block's
 * real length at offset 8 and its real CRC-32 at the end (each with
 * probability one half, chosen by the first input byte), so the fuzzer
 * reaches the content checks instead of stopping at the checksum.
 * Besides crashes, it checks the promises of relay/relay_cache_entry.h: a
 * block that decodes encodes again to exactly the same bytes, and
 * relay_cache_entry_decode_checked() (no CRC compared) decides as
 * relay_cache_entry_decode() does where the CRC is right.
 */
#include <string.h>

#include "relay/relay_cache_entry.h"
#include "relay_fuzz.h"

static void put32(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_cache_entry_t e, e_checked;
    relay_cache_entry_status_t rv, rv_checked;
    unsigned char *block;
    unsigned fixups;
    char *again;
    apr_size_t again_len;

    if (size < 1 || size > 65536) {
        return relay_fuzz_done();
    }
    fixups = data[0];
    block = (unsigned char *)relay_fuzz_dup(pool, data + 1, size - 1);
    size -= 1;
    if ((fixups & 1) && size >= 12) {
        put32(block + 8, (apr_uint32_t)size);
    }
    if ((fixups & 2) && size >= 4) {
        put32(block + size - 4,
              relay_cache_entry_checksum((const char *)block, size - 4));
    }
    rv = relay_cache_entry_decode(pool, (const char *)block, size, &e);
    /* Without its CRC compared, a block decodes as it does with it when
     * the CRC is right; the parser must hold up to any bytes either way. */
    rv_checked = relay_cache_entry_decode_checked(pool, (const char *)block,
                                                  size, &e_checked);
    if (fixups & 2) {
        relay_fuzz_check(rv == rv_checked,
                         "decode_checked agrees with decode on a right CRC");
    }
    if (rv == RELAY_CACHE_ENTRY_OK) {
        relay_fuzz_check(
            relay_cache_entry_encode(pool, &e, &again, &again_len) ==
                RELAY_CACHE_ENTRY_OK,
            "a decoded entry encodes again");
        relay_fuzz_check(again_len == size && !memcmp(again, block, size),
                         "encoding a decoded entry gives the same bytes");
    }
    return relay_fuzz_done();
}
