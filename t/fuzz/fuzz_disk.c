/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for the disk store's entry files (relay_disk.c, and
 * relay_cache_entry.c for the head block inside): a file in CacheRoot may
 * be truncated, damaged or put there by someone else.
 *
 * Input: a first byte of options, then the whole file. With bit 0 of the
 * options set, the driver writes the right checksum into a trailer whose
 * lengths fit the file, so the fuzzer reaches the head block instead of
 * stopping at the checksum. The driver checks the file the way a lookup
 * does (trailer, lengths against the file size, checksum, head block) and
 * asserts what a lookup relies on: an accepted file's parts add up to its
 * size exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_disk.h"
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
    relay_disk_trailer_t t;
    relay_cache_entry_t e;
    unsigned options;
    unsigned char *file;
    apr_size_t n, meta_len;

    if (size < 1 || size > 262144) {
        return relay_fuzz_done();
    }
    options = data[0];
    n = size - 1;
    file = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(file, data + 1, n);
    if (n >= RELAY_DISK_TRAILER &&
        relay_disk_trailer_read((const char *)file + n - RELAY_DISK_TRAILER,
                                (apr_off_t)n, &t) == RELAY_DISK_OK) {
        meta_len = relay_disk_meta_len(&t);
        if ((apr_uint64_t)t.body_len + meta_len != n) {
            abort(); /* accepted lengths must add up to the file */
        }
        if (options & 1) {
            put32(file + n - 4,
                  relay_cache_entry_checksum((const char *)file + n - meta_len,
                                             meta_len - 4));
        }
        if (relay_disk_meta_check((const char *)file + n - meta_len, &t) ==
            RELAY_DISK_OK) {
            relay_cache_entry_decode(
                pool, (const char *)file + n - meta_len + t.key_len, t.head_len,
                &e);
        }
    }
    free(file);
    return relay_fuzz_done();
}
