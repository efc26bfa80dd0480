/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The disk store's layout and entry files, shared by mod_cache_disk and
 * the relay-cacheclean tool.
 *
 * Layout: a key is hashed (MD5, written as 22 characters of the alphabet
 * A-Z a-z 0-9 _ -); the first CacheDirLevels × CacheDirLength characters
 * name the directories under CacheRoot, CacheDirLength per level, and the
 * rest the file, with the suffix RELAY_DISK_SUFFIX. A variant (a key with
 * RELAY_CACHE_VARIANT_SEP, "\001") lives in the directory of its primary
 * key's file name plus RELAY_DISK_VARY_SUFFIX, under the whole hash of
 * its own key, so removing a key removes its variants with one directory.
 *
 *   CacheRoot/ab/cd/efghijklmnopqrstuv.rly         the entry of a key
 *   CacheRoot/ab/cd/efghijklmnopqrstuv.vary/<22>.rly   its variants
 *   CacheRoot/relay-tmp.<pid>.<random>             a write in progress
 *
 * An entry file holds the body first, so it is written as it streams,
 * then the key, the head block (opaque here) and a trailer:
 *
 *   [0, body_len)  body
 *   key_len        key bytes
 *   head_len       head block bytes
 *   trailer, RELAY_DISK_TRAILER bytes, integers big-endian:
 *     0  "RLYD"          magic
 *     4  u16 version     RELAY_DISK_VERSION
 *     6  u16 0           reserved
 *     8  u32 key_len
 *    12  u32 head_len
 *    16  i64 body_len
 *    24  u32 0           reserved
 *    28  u32 CRC-32 of key, head and trailer bytes [0, 28)
 *
 * A file is an entry only when its size is exactly body_len + key_len +
 * head_len + RELAY_DISK_TRAILER and the checksum matches: a truncated,
 * extended, foreign or corrupt file is refused before anything in it is
 * used.
 */
#ifndef RELAY_DISK_H
#define RELAY_DISK_H

#include <apr_file_io.h>
#include <apr_pools.h>

#define RELAY_DISK_VERSION 1
#define RELAY_DISK_TRAILER 32
/* How much of an entry file's end a hit reads at once. */
#define RELAY_DISK_TAIL_READ 4096
#define RELAY_DISK_HASH_LEN 22
#define RELAY_DISK_SUFFIX ".rly"
#define RELAY_DISK_VARY_SUFFIX ".vary"
#define RELAY_DISK_TMP_PREFIX "relay-tmp."

/* The largest key accepted in a file. */
#define RELAY_DISK_KEY_MAX ((apr_size_t)64 * 1024)

/* CacheDirLevels × CacheDirLength may not exceed this (as stock). */
#define RELAY_DISK_DIR_CHARS_MAX 20

typedef enum relay_disk_status_e {
    RELAY_DISK_OK = 0,
    RELAY_DISK_TRUNCATED,    /* shorter than a trailer or than it says */
    RELAY_DISK_BAD_MAGIC,    /* not an entry file */
    RELAY_DISK_BAD_VERSION,  /* another format version */
    RELAY_DISK_BAD_LENGTH,   /* lengths out of bounds or not the size */
    RELAY_DISK_BAD_CHECKSUM, /* corrupt */
    RELAY_DISK_OTHER_KEY     /* an entry, of another key */
} relay_disk_status_t;

/* A short English description of a status, for log lines. */
const char *relay_disk_describe(relay_disk_status_t status);

/* The layout: levels and length within stock's bounds (both >= 1, their
 * product <= RELAY_DISK_DIR_CHARS_MAX). */
int relay_disk_layout_valid(int levels, int length);

/*
 * A size as CacheDiskLimit and relay-cacheclean's -l take it: a whole
 * number of bytes, or of KiB, MiB or GiB with a K, M or G suffix (either
 * case). APR_EINVAL when it is not one, or not above 0.
 */
apr_status_t relay_disk_size_parse(const char *text, apr_off_t *bytes);

/* The hash of a key: RELAY_DISK_HASH_LEN characters and a NUL in out. */
void relay_disk_hash(const char *key, apr_size_t len, char *out);

/*
 * The path of the file of `key` under `root` (levels and length valid),
 * from `pool`; a variant's key gives a path in its primary's vary
 * directory.
 */
const char *relay_disk_path(apr_pool_t *pool, const char *root, int levels,
                            int length, const char *key);

/* The vary directory of a primary key (which holds no separator). */
const char *relay_disk_vary_dir(apr_pool_t *pool, const char *root, int levels,
                                int length, const char *key);

/*
 * The bytes that follow the body of an entry: key, head block and
 * trailer, from `pool`.
 */
char *relay_disk_meta_encode(apr_pool_t *pool, const char *key,
                             apr_size_t key_len, const char *head,
                             apr_size_t head_len, apr_off_t body_len,
                             apr_size_t *len);

/* What a trailer says; the body is at offset 0. */
typedef struct relay_disk_trailer_t {
    apr_uint32_t key_len;
    apr_uint32_t head_len;
    apr_off_t body_len;
} relay_disk_trailer_t;

/* Reads the trailer (the last RELAY_DISK_TRAILER bytes of a file of
 * `file_size` bytes) and checks its lengths against that size. */
relay_disk_status_t relay_disk_trailer_read(const char *buf,
                                            apr_off_t file_size,
                                            relay_disk_trailer_t *t);

/* The size of the part after the body (key, head and trailer). */
apr_size_t relay_disk_meta_len(const relay_disk_trailer_t *t);

/* Checks the checksum of the part after the body, meta[0, meta_len). */
relay_disk_status_t relay_disk_meta_check(const char *meta,
                                          const relay_disk_trailer_t *t);

/* An entry file opened and checked by relay_disk_open(). */
typedef struct relay_disk_file_t {
    apr_file_t *fd;    /* open for reading, from the pool given */
    apr_finfo_t finfo; /* size, times, type, device and inode */
    const char *key;   /* NUL-terminated copy */
    const char *head;
    apr_size_t head_len;
    apr_off_t body_len; /* the body is at offset 0 of fd */
    const char *body;   /* or here, read with the head (a small entry) */
} relay_disk_file_t;

/*
 * Opens `path` (extra open flags in `flags`, e.g. APR_FOPEN_SENDFILE_ENABLED)
 * and checks it. `key` (may be NULL: any) must be the one it holds.
 * APR_SUCCESS with *st RELAY_DISK_OK and f filled; APR_SUCCESS with
 * another *st when the file is not a good entry (it is closed); an APR
 * error when it cannot be opened or read (APR_ENOENT: no such entry).
 */
apr_status_t relay_disk_open(apr_pool_t *pool, const char *path,
                             apr_int32_t flags, const char *key,
                             relay_disk_file_t *f, relay_disk_status_t *st);

/*
 * Whether `path` still names the file f was opened from (f's descriptor
 * open): APR_SUCCESS when it is that file (device and inode), APR_EMISMATCH
 * when another file has been renamed over the name since, APR_INCOMPLETE
 * when the system does not tell a file's identity, or the error of
 * looking at the name (APR_ENOENT when it names nothing). While f is open
 * its inode is not reused, so a file written since is always another.
 */
apr_status_t relay_disk_is_current(apr_pool_t *pool, const char *path,
                                   const relay_disk_file_t *f);

#endif
