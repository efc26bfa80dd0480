/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The disk store's layout (key hash, directory levels, variants) and its
 * entry files (body, key, head block, checked trailer); see relay_disk.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_md5.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_disk.h"

#define MAGIC "RLYD"
#define VARIANT_SEP '\001'

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

const char *relay_disk_describe(relay_disk_status_t status)
{
    switch (status) {
    case RELAY_DISK_OK:
        return "ok";
    case RELAY_DISK_TRUNCATED:
        return "truncated file";
    case RELAY_DISK_BAD_MAGIC:
        return "not a cache entry file";
    case RELAY_DISK_BAD_VERSION:
        return "entry file of another format version";
    case RELAY_DISK_BAD_LENGTH:
        return "entry file size does not match its recorded lengths";
    case RELAY_DISK_BAD_CHECKSUM:
        return "entry file checksum mismatch";
    case RELAY_DISK_OTHER_KEY:
        return "entry file of another key";
    }
    return "unknown";
}

int relay_disk_layout_valid(int levels, int length)
{
    return levels >= 1 && length >= 1 &&
           levels * length <= RELAY_DISK_DIR_CHARS_MAX;
}

apr_status_t relay_disk_size_parse(const char *text, apr_off_t *bytes)
{
    apr_off_t v, unit = 1;
    char *end;

    if (!text || !apr_isdigit(*text) ||
        apr_strtoff(&v, text, &end, 10) != APR_SUCCESS || v <= 0) {
        return APR_EINVAL;
    }
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        unit = 1024;
        break;
    case 'm':
    case 'M':
        unit = 1024 * 1024;
        break;
    case 'g':
    case 'G':
        unit = 1024 * 1024 * 1024;
        break;
    default:
        return APR_EINVAL;
    }
    if (*end && end[1]) {
        return APR_EINVAL;
    }
    if (v > APR_INT64_MAX / unit) {
        return APR_EINVAL;
    }
    *bytes = v * unit;
    return APR_SUCCESS;
}

void relay_disk_hash(const char *key, apr_size_t len, char *out)
{
    unsigned char digest[APR_MD5_DIGESTSIZE];
    apr_uint32_t acc = 0;
    int bits = 0, i, n = 0;

    apr_md5(digest, key, len);
    for (i = 0; i < APR_MD5_DIGESTSIZE; i++) {
        acc = (acc << 8) | digest[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[n++] = alphabet[(acc >> bits) & 0x3f];
        }
    }
    out[n++] = alphabet[(acc << (6 - bits)) & 0x3f]; /* the last 2 bits */
    out[n] = '\0';
}

/* root/ab/cd/rest of the hash of key[0, len), then suffix. */
static char *hashed_path(apr_pool_t *pool, const char *root, int levels,
                         int length, const char *key, apr_size_t len,
                         const char *suffix)
{
    char hash[RELAY_DISK_HASH_LEN + 1];
    apr_size_t rootlen = strlen(root), suffixlen = strlen(suffix);
    char *path, *p;
    int i, rest;

    relay_disk_hash(key, len, hash);
    path = apr_palloc(pool, rootlen + RELAY_DISK_HASH_LEN + levels + 1 +
                                suffixlen + 1);
    memcpy(path, root, rootlen);
    p = path + rootlen;
    for (i = 0; i < levels; i++) {
        *p++ = '/';
        memcpy(p, hash + i * length, length);
        p += length;
    }
    *p++ = '/';
    rest = RELAY_DISK_HASH_LEN - levels * length;
    memcpy(p, hash + levels * length, rest);
    memcpy(p + rest, suffix, suffixlen + 1);
    return path;
}

const char *relay_disk_vary_dir(apr_pool_t *pool, const char *root, int levels,
                                int length, const char *key)
{
    return hashed_path(pool, root, levels, length, key, strlen(key),
                       RELAY_DISK_VARY_SUFFIX);
}

const char *relay_disk_path(apr_pool_t *pool, const char *root, int levels,
                            int length, const char *key)
{
    const char *sep = strchr(key, VARIANT_SEP);
    /* a variant's file: vary directory "/" hash of the whole key suffix */
    char tail[sizeof(RELAY_DISK_VARY_SUFFIX "/") - 1 + RELAY_DISK_HASH_LEN +
              sizeof(RELAY_DISK_SUFFIX)];

    if (!sep) {
        return hashed_path(pool, root, levels, length, key, strlen(key),
                           RELAY_DISK_SUFFIX);
    }
    memcpy(tail, RELAY_DISK_VARY_SUFFIX "/",
           sizeof(RELAY_DISK_VARY_SUFFIX "/") - 1);
    relay_disk_hash(key, strlen(key),
                    tail + sizeof(RELAY_DISK_VARY_SUFFIX "/") - 1);
    strcat(tail, RELAY_DISK_SUFFIX);
    return hashed_path(pool, root, levels, length, key, sep - key, tail);
}

static void put_u16(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static void put_u32(unsigned char *p, apr_uint32_t v)
{
    put_u16(p, v >> 16);
    put_u16(p + 2, v & 0xffff);
}

static apr_uint32_t get_u16(const unsigned char *p)
{
    return ((apr_uint32_t)p[0] << 8) | p[1];
}

static apr_uint32_t get_u32(const unsigned char *p)
{
    return (get_u16(p) << 16) | get_u16(p + 2);
}

char *relay_disk_meta_encode(apr_pool_t *pool, const char *key,
                             apr_size_t key_len, const char *head,
                             apr_size_t head_len, apr_off_t body_len,
                             apr_size_t *len)
{
    apr_size_t n = key_len + head_len + RELAY_DISK_TRAILER;
    char *buf = apr_palloc(pool, n);
    unsigned char *t = (unsigned char *)buf + key_len + head_len;
    apr_uint64_t body = (apr_uint64_t)body_len;

    memcpy(buf, key, key_len);
    memcpy(buf + key_len, head, head_len);
    memcpy(t, MAGIC, 4);
    put_u16(t + 4, RELAY_DISK_VERSION);
    put_u16(t + 6, 0);
    put_u32(t + 8, (apr_uint32_t)key_len);
    put_u32(t + 12, (apr_uint32_t)head_len);
    put_u32(t + 16, (apr_uint32_t)(body >> 32));
    put_u32(t + 20, (apr_uint32_t)body);
    put_u32(t + 24, 0);
    put_u32(t + 28, relay_cache_entry_checksum(buf, n - 4));
    *len = n;
    return buf;
}

relay_disk_status_t relay_disk_trailer_read(const char *buf,
                                            apr_off_t file_size,
                                            relay_disk_trailer_t *t)
{
    const unsigned char *p = (const unsigned char *)buf;
    apr_uint64_t body;

    if (file_size < RELAY_DISK_TRAILER) {
        return RELAY_DISK_TRUNCATED;
    }
    if (memcmp(p, MAGIC, 4)) {
        return RELAY_DISK_BAD_MAGIC;
    }
    if (get_u16(p + 4) != RELAY_DISK_VERSION) {
        return RELAY_DISK_BAD_VERSION;
    }
    t->key_len = get_u32(p + 8);
    t->head_len = get_u32(p + 12);
    body = ((apr_uint64_t)get_u32(p + 16) << 32) | get_u32(p + 20);
    if (get_u16(p + 6) != 0 || get_u32(p + 24) != 0 || t->key_len == 0 ||
        t->key_len > RELAY_DISK_KEY_MAX ||
        t->head_len > RELAY_CACHE_ENTRY_MAX || body > (apr_uint64_t)file_size) {
        return RELAY_DISK_BAD_LENGTH;
    }
    t->body_len = (apr_off_t)body;
    if ((apr_uint64_t)file_size != body + relay_disk_meta_len(t)) {
        return (apr_uint64_t)file_size < body + relay_disk_meta_len(t)
                   ? RELAY_DISK_TRUNCATED
                   : RELAY_DISK_BAD_LENGTH;
    }
    return RELAY_DISK_OK;
}

apr_size_t relay_disk_meta_len(const relay_disk_trailer_t *t)
{
    return (apr_size_t)t->key_len + t->head_len + RELAY_DISK_TRAILER;
}

relay_disk_status_t relay_disk_meta_check(const char *meta,
                                          const relay_disk_trailer_t *t)
{
    apr_size_t n = relay_disk_meta_len(t);

    return get_u32((const unsigned char *)meta + n - 4) ==
                   relay_cache_entry_checksum(meta, n - 4)
               ? RELAY_DISK_OK
               : RELAY_DISK_BAD_CHECKSUM;
}

/*
 * Reads exactly len bytes at offset off with pread(), leaving the file's
 * position alone (a file bucket of the body sets it for itself).
 */
static apr_status_t read_at(apr_file_t *fd, apr_off_t off, char *buf,
                            apr_size_t len)
{
    apr_os_file_t os;

    apr_os_file_get(&os, fd);
    while (len > 0) {
        ssize_t n = pread(os, buf, len, (off_t)off);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return APR_FROM_OS_ERROR(errno);
        }
        if (n == 0) {
            return APR_INCOMPLETE;
        }
        buf += n;
        off += n;
        len -= (apr_size_t)n;
    }
    return APR_SUCCESS;
}

/*
 * The part after the body (key, head, trailer) of an entry of `size`
 * bytes: the last RELAY_DISK_TAIL_READ bytes are read at once, which holds
 * all of it for most entries, so a hit costs one read. When that read
 * was the whole file, *body is the body in memory, else NULL.
 */
static apr_status_t read_meta(apr_pool_t *pool, apr_file_t *fd, apr_off_t size,
                              relay_disk_trailer_t *t, char **meta,
                              const char **body, relay_disk_status_t *st)
{
    apr_size_t tail_len =
        size < RELAY_DISK_TAIL_READ ? (apr_size_t)size : RELAY_DISK_TAIL_READ;
    char *tail = apr_palloc(pool, tail_len + 1);
    apr_size_t meta_len;
    apr_status_t rv;

    rv = read_at(fd, size - (apr_off_t)tail_len, tail, tail_len);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *st =
        relay_disk_trailer_read(tail + tail_len - RELAY_DISK_TRAILER, size, t);
    if (*st != RELAY_DISK_OK) {
        return APR_SUCCESS;
    }
    meta_len = relay_disk_meta_len(t);
    if (meta_len <= tail_len) {
        *meta = tail + tail_len - meta_len;
        *body = tail_len == (apr_size_t)size ? tail : NULL;
        return APR_SUCCESS;
    }
    /* a large head: the front of the part after the body is read too */
    *meta = apr_palloc(pool, meta_len + 1);
    memcpy(*meta + meta_len - tail_len, tail, tail_len);
    return read_at(fd, t->body_len, *meta, meta_len - tail_len);
}

/* Checks an open file; fills f but for fd. */
static apr_status_t check(apr_pool_t *pool, apr_file_t *fd, const char *key,
                          relay_disk_file_t *f, relay_disk_status_t *st)
{
    relay_disk_trailer_t t;
    apr_status_t rv;
    char *meta;

    rv = apr_file_info_get(&f->finfo,
                           APR_FINFO_SIZE | APR_FINFO_MTIME | APR_FINFO_ATIME |
                               APR_FINFO_TYPE | APR_FINFO_IDENT,
                           fd);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        return rv;
    }
    if (f->finfo.filetype != APR_REG) {
        *st = RELAY_DISK_BAD_MAGIC;
        return APR_SUCCESS;
    }
    if (f->finfo.size < RELAY_DISK_TRAILER) {
        *st = RELAY_DISK_TRUNCATED;
        return APR_SUCCESS;
    }
    rv = read_meta(pool, fd, f->finfo.size, &t, &meta, &f->body, st);
    if (rv != APR_SUCCESS || *st != RELAY_DISK_OK) {
        return rv;
    }
    if ((*st = relay_disk_meta_check(meta, &t)) != RELAY_DISK_OK) {
        return APR_SUCCESS;
    }
    if (memchr(meta, '\0', t.key_len) ||
        (key && (strlen(key) != t.key_len || memcmp(key, meta, t.key_len)))) {
        *st = RELAY_DISK_OTHER_KEY;
        return APR_SUCCESS;
    }
    f->key = apr_pstrmemdup(pool, meta, t.key_len);
    f->head = meta + t.key_len;
    f->head_len = t.head_len;
    f->body_len = t.body_len;
    return APR_SUCCESS;
}

apr_status_t relay_disk_open(apr_pool_t *pool, const char *path,
                             apr_int32_t flags, const char *key,
                             relay_disk_file_t *f, relay_disk_status_t *st)
{
    apr_status_t rv;

    memset(f, 0, sizeof(*f));
    rv = apr_file_open(&f->fd, path, APR_FOPEN_READ | APR_FOPEN_BINARY | flags,
                       APR_FPROT_OS_DEFAULT, pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *st = RELAY_DISK_OK;
    rv = check(pool, f->fd, key, f, st);
    if (rv != APR_SUCCESS || *st != RELAY_DISK_OK) {
        apr_file_close(f->fd);
        f->fd = NULL;
    }
    return rv;
}

apr_status_t relay_disk_is_current(apr_pool_t *pool, const char *path,
                                   const relay_disk_file_t *f)
{
    apr_finfo_t now;
    apr_status_t rv = apr_stat(&now, path, APR_FINFO_IDENT, pool);

    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        return rv;
    }
    if ((now.valid & APR_FINFO_IDENT) != APR_FINFO_IDENT ||
        (f->finfo.valid & APR_FINFO_IDENT) != APR_FINFO_IDENT) {
        return APR_INCOMPLETE; /* cannot tell: as if it were another */
    }
    return now.device == f->finfo.device && now.inode == f->finfo.inode
               ? APR_SUCCESS
               : APR_EMISMATCH;
}
