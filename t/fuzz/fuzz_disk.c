/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for the disk store's entry files (relay_disk.c, and
 * relay_cache_entry.c for the head block inside): a file in CacheRoot may
 * be truncated, damaged or put there by someone else.
 *
 * Input: a first byte of options, then the whole file. Random bytes stop
 * at the trailer (magic, version, lengths that must add up to the file
 * size) or at one of the two checksums, so before checking the driver
 * puts right what the options say:
 *   bit 0  the checksum of the part after the body, written last
 *   bit 1  the trailer: magic, version, reserved fields, and key and head
 *          lengths taken from the input but cut to fit the file
 *   bit 2  the head block's frame (magic, version, length, CRC-32)
 * An options byte with none of bits 0 to 2 checks the bytes as they came,
 * so the checks at the door stay fuzzed.
 *
 * The driver checks the file the way a lookup does (trailer, lengths
 * against the file size, checksum, head block, decoded as a hit does
 * with relay_cache_entry_decode_checked() and as relay-cacheclean does
 * with relay_cache_entry_decode()) and asserts what a lookup relies on:
 * an accepted file's parts add up to its size exactly. With bit 3 set it
 * also writes the file out and opens it with relay_disk_open() (with the
 * key the file holds when bit 4 is set, with none otherwise), which must
 * come to the same verdict and the same parts, through its one read of
 * the file's last RELAY_DISK_TAIL_READ bytes or the second read of a
 * larger head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_disk.h"
#include "relay_fuzz.h"

#define FIX_META_CRC 0x01
#define FIX_TRAILER 0x02
#define FIX_HEAD 0x04
#define OPEN_FILE 0x08
#define WITH_KEY 0x10

static char *file_path;

/* A trailer for a file of n bytes: the lengths it holds, cut to fit. */
static void fix_trailer(unsigned char *file, apr_size_t n)
{
    unsigned char *t = file + n - RELAY_DISK_TRAILER;
    apr_size_t room = n - RELAY_DISK_TRAILER, key_len, head_len;

    key_len = room == 0 ? 0 : 1 + relay_fuzz_get32(t + 8) % room;
    if (key_len > RELAY_DISK_KEY_MAX) {
        key_len = RELAY_DISK_KEY_MAX;
    }
    head_len = relay_fuzz_get32(t + 12) % (room - key_len + 1);
    memcpy(t, "RLYD", 4);
    relay_fuzz_put16(t + 4, RELAY_DISK_VERSION);
    relay_fuzz_put16(t + 6, 0);
    relay_fuzz_put32(t + 8, (apr_uint32_t)key_len);
    relay_fuzz_put32(t + 12, (apr_uint32_t)head_len);
    relay_fuzz_put32(t + 16, 0);
    relay_fuzz_put32(t + 20, (apr_uint32_t)(room - key_len - head_len));
    relay_fuzz_put32(t + 24, 0);
}

static void remove_file(void)
{
    unlink(file_path);
}

/*
 * Writes file[0, n) to the driver's one file, in /dev/shm when there is
 * one (a file system in memory: on a disk the writes cost the fuzzer
 * most of its speed), else in $TMPDIR or /tmp; 0 when it cannot.
 */
static int write_file(const unsigned char *file, apr_size_t n)
{
    FILE *fp;
    int ok;

    if (file_path == NULL) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                          : getenv("TMPDIR") != NULL    ? getenv("TMPDIR")
                                                        : "/tmp";

        file_path = malloc(4096);
        snprintf(file_path, 4096, "%s/relay-fuzz-disk.%ld.rly", dir,
                 (long)getpid());
        atexit(remove_file);
    }
    fp = fopen(file_path, "wb");
    if (fp == NULL) {
        return 0;
    }
    ok = fwrite(file, 1, n, fp) == n;
    return fclose(fp) == 0 && ok;
}

/*
 * relay_disk_open() on the file comes to the verdict `expect` (what the
 * checks in memory said) and, when that is RELAY_DISK_OK, to the same
 * key, head and body.
 */
static void check_open(apr_pool_t *pool, const unsigned char *file,
                       apr_size_t n, const char *key,
                       relay_disk_status_t expect,
                       const relay_disk_trailer_t *t)
{
    relay_disk_file_t f;
    relay_disk_status_t st = RELAY_DISK_OK;
    const unsigned char *meta;

    if (!write_file(file, n)) {
        return;
    }
    relay_fuzz_check(relay_disk_open(pool, file_path, 0, key, &f, &st) ==
                         APR_SUCCESS,
                     "an entry file written opens");
    relay_fuzz_check(st == expect, "relay_disk_open() decides as the checks "
                                   "in memory do");
    if (st != RELAY_DISK_OK) {
        relay_fuzz_check(f.fd == NULL, "a refused file is closed");
        return;
    }
    meta = file + n - relay_disk_meta_len(t);
    relay_fuzz_check(f.fd != NULL && f.body_len == t->body_len &&
                         f.head_len == t->head_len &&
                         strlen(f.key) == t->key_len &&
                         memcmp(f.key, meta, t->key_len) == 0 &&
                         memcmp(f.head, meta + t->key_len, t->head_len) == 0,
                     "relay_disk_open() gives the file's parts");
    relay_fuzz_check((f.body != NULL) == (n <= RELAY_DISK_TAIL_READ),
                     "a small file's body comes with its head");
    relay_fuzz_check(f.body == NULL ||
                         memcmp(f.body, file, (apr_size_t)t->body_len) == 0,
                     "the body read with the head is the body");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_disk_trailer_t t = {0, 0, 0};
    relay_disk_status_t st;
    relay_cache_entry_t e;
    unsigned options;
    unsigned char *file, *meta;
    const char *key = NULL;
    apr_size_t n, meta_len;

    if (size < 1 || size > 262144) {
        return relay_fuzz_done();
    }
    options = data[0];
    n = size - 1;
    /* exact size: ASan sees any overread */
    file = (unsigned char *)relay_fuzz_dup(pool, data + 1, n);
    if ((options & FIX_TRAILER) && n >= RELAY_DISK_TRAILER + 1) {
        fix_trailer(file, n);
    }
    st =
        n >= RELAY_DISK_TRAILER
            ? relay_disk_trailer_read(
                  (const char *)file + n - RELAY_DISK_TRAILER, (apr_off_t)n, &t)
            : RELAY_DISK_TRUNCATED;
    if (st == RELAY_DISK_OK) {
        meta_len = relay_disk_meta_len(&t);
        relay_fuzz_check((apr_uint64_t)t.body_len + meta_len == n,
                         "accepted lengths add up to the file");
        meta = file + n - meta_len;
        if (options & FIX_HEAD) {
            relay_fuzz_frame_entry_head(meta + t.key_len, t.head_len);
        }
        if (options & FIX_META_CRC) {
            relay_fuzz_put32(
                file + n - 4,
                relay_cache_entry_checksum((const char *)meta, meta_len - 4));
        }
        st = relay_disk_meta_check((const char *)meta, &t);
        if (st == RELAY_DISK_OK && memchr(meta, '\0', t.key_len) != NULL) {
            st = RELAY_DISK_OTHER_KEY;
        }
        if (options & WITH_KEY) {
            key = apr_pstrmemdup(pool, (const char *)meta, t.key_len);
        }
        if (st == RELAY_DISK_OK) {
            /* as a hit reads it, and as relay-cacheclean does */
            relay_cache_entry_decode_checked(
                pool, (const char *)meta + t.key_len, t.head_len, &e);
            relay_cache_entry_decode(pool, (const char *)meta + t.key_len,
                                     t.head_len, &e);
        }
    }
    if (options & OPEN_FILE) {
        check_open(pool, file, n, key, st, &t);
    }
    return relay_fuzz_done();
}
