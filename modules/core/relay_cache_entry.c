/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The stored head of a cache entry as one byte block (layout in
 * relay_cache_entry.h). Encoding measures first and writes once; decoding
 * checks the frame (magic, version, length, checksum) before it reads a
 * single field, then reads through a cursor that refuses every read past
 * the end, so a truncated, extended or corrupted block is a clean refusal
 * and never an out-of-bounds access.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_key.h"
#include "relay/relay_headers.h"

#define MAGIC "RLYC"
#define FIXED_LEN 48 /* everything before the fields */
#define CRC_LEN 4

const char *relay_cache_entry_describe(relay_cache_entry_status_t status)
{
    switch (status) {
    case RELAY_CACHE_ENTRY_OK:
        return "valid entry";
    case RELAY_CACHE_ENTRY_TRUNCATED:
        return "entry truncated";
    case RELAY_CACHE_ENTRY_BAD_MAGIC:
        return "not a Relay cache entry";
    case RELAY_CACHE_ENTRY_BAD_VERSION:
        return "entry of another format version";
    case RELAY_CACHE_ENTRY_BAD_CHECKSUM:
        return "entry checksum mismatch";
    case RELAY_CACHE_ENTRY_MALFORMED:
        return "entry content malformed";
    case RELAY_CACHE_ENTRY_TOO_LARGE:
        return "entry too large";
    }
    return "unknown entry status";
}

/* CRC-32 of each byte value (reflected polynomial 0xEDB88320), so that
 * the checksum costs a table lookup per byte. */
static const apr_uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u,
    0x706af48fu, 0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u,
    0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u,
    0x90bf1d91u, 0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu,
    0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u, 0x136c9856u,
    0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u,
    0xa2677172u, 0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
    0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u,
    0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u, 0x26d930acu, 0x51de003au,
    0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u,
    0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u,
    0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu,
    0x9fbfe4a5u, 0xe8b8d433u, 0x7807c9a2u, 0x0f00f934u, 0x9609a88eu,
    0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
    0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu, 0x6c0695edu,
    0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u,
    0xfbd44c65u, 0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u,
    0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au,
    0x346ed9fcu, 0xad678846u, 0xda60b8d0u, 0x44042d73u, 0x33031de5u,
    0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau, 0xbe0b1010u,
    0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u,
    0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u,
    0x03b6e20cu, 0x74b1d29au, 0xead54739u, 0x9dd277afu, 0x04db2615u,
    0x73dc1683u, 0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
    0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u, 0xf00f9344u,
    0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au,
    0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
    0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u,
    0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu, 0xd80d2bdau, 0xaf0a1b4cu,
    0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu,
    0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu,
    0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u,
    0x2cd99e8bu, 0x5bdeae1du, 0x9b64c2b0u, 0xec63f226u, 0x756aa39cu,
    0x026d930au, 0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
    0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u, 0x92d28e9bu,
    0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u,
    0x18b74777u, 0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu,
    0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u, 0xa00ae278u,
    0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u,
    0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu, 0x40df0b66u,
    0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u,
    0xcdd70693u, 0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u,
    0x5d681b02u, 0x2a6f2b94u, 0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu,
    0x2d02ef8du,
};

apr_uint32_t relay_cache_entry_checksum(const char *buf, apr_size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;
    apr_uint32_t crc = 0xFFFFFFFFu;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Field names and values as a store must be able to send them again. */
static int name_ok(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n == 0 || n > 0xFFFF) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!(apr_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c)))) {
            return 0;
        }
    }
    return 1;
}

static int value_ok(const char *s, apr_size_t n)
{
    return memchr(s, '\0', n) == NULL && memchr(s, '\r', n) == NULL &&
           memchr(s, '\n', n) == NULL;
}

static int lower_ok(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (apr_isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Writing. */

static char *put16(char *p, apr_uint32_t v)
{
    p[0] = (char)(v >> 8);
    p[1] = (char)v;
    return p + 2;
}

static char *put32(char *p, apr_uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
    return p + 4;
}

static char *put64(char *p, apr_int64_t v)
{
    apr_uint64_t u = (apr_uint64_t)v;

    p = put32(p, (apr_uint32_t)(u >> 32));
    return put32(p, (apr_uint32_t)u);
}

static char *putmem(char *p, const char *s, apr_size_t n)
{
    if (n > 0) {
        memcpy(p, s, n);
    }
    return p + n;
}

relay_cache_entry_status_t
relay_cache_entry_encode(apr_pool_t *pool, const relay_cache_entry_t *e,
                         char **buf, apr_size_t *len)
{
    const apr_array_header_t *arr = apr_table_elts(e->headers);
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    int nvary = e->vary != NULL ? e->vary->nelts : 0;
    apr_size_t total = FIXED_LEN + CRC_LEN;
    const char *prev = NULL;
    char *p;
    int i;

    if (e->status < 100 || e->status > 599 || e->body_length < 0) {
        return RELAY_CACHE_ENTRY_MALFORMED;
    }
    for (i = 0; i < arr->nelts; i++) {
        apr_size_t kn, vn;

        if (h[i].key == NULL || h[i].val == NULL) {
            return RELAY_CACHE_ENTRY_MALFORMED;
        }
        kn = strlen(h[i].key);
        vn = strlen(h[i].val);
        if (!name_ok(h[i].key, kn) || !value_ok(h[i].val, vn)) {
            return RELAY_CACHE_ENTRY_MALFORMED;
        }
        if (vn > RELAY_CACHE_ENTRY_MAX || kn + vn > RELAY_CACHE_ENTRY_MAX) {
            return RELAY_CACHE_ENTRY_TOO_LARGE;
        }
        total += 6 + kn + vn;
        if (total > RELAY_CACHE_ENTRY_MAX) {
            return RELAY_CACHE_ENTRY_TOO_LARGE;
        }
    }
    for (i = 0; i < nvary; i++) {
        const relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(e->vary, i, relay_cache_vary_field_t);
        apr_size_t kn, vn;

        if (f->name == NULL) {
            return RELAY_CACHE_ENTRY_MALFORMED;
        }
        kn = strlen(f->name);
        vn = f->value != NULL ? strlen(f->value) : 0;
        if (!name_ok(f->name, kn) || !lower_ok(f->name, kn) ||
            (f->value != NULL && !value_ok(f->value, vn)) ||
            (prev != NULL && strcmp(prev, f->name) >= 0)) {
            return RELAY_CACHE_ENTRY_MALFORMED;
        }
        prev = f->name;
        if (vn > RELAY_CACHE_ENTRY_MAX || kn + vn > RELAY_CACHE_ENTRY_MAX) {
            return RELAY_CACHE_ENTRY_TOO_LARGE;
        }
        total += 7 + kn + vn;
        if (total > RELAY_CACHE_ENTRY_MAX) {
            return RELAY_CACHE_ENTRY_TOO_LARGE;
        }
    }

    *buf = p = apr_palloc(pool, total);
    p = putmem(p, MAGIC, 4);
    p = put16(p, RELAY_CACHE_ENTRY_VERSION);
    p = put16(p, 0);
    p = put32(p, (apr_uint32_t)total);
    p = put16(p, (apr_uint32_t)e->status);
    p = put16(p, 0);
    p = put64(p, e->request_time);
    p = put64(p, e->response_time);
    p = put64(p, e->body_length);
    p = put32(p, (apr_uint32_t)arr->nelts);
    p = put32(p, (apr_uint32_t)nvary);
    for (i = 0; i < arr->nelts; i++) {
        apr_size_t kn = strlen(h[i].key), vn = strlen(h[i].val);

        p = put16(p, (apr_uint32_t)kn);
        p = putmem(p, h[i].key, kn);
        p = put32(p, (apr_uint32_t)vn);
        p = putmem(p, h[i].val, vn);
    }
    for (i = 0; i < nvary; i++) {
        const relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(e->vary, i, relay_cache_vary_field_t);
        apr_size_t kn = strlen(f->name);
        apr_size_t vn = f->value != NULL ? strlen(f->value) : 0;

        p = put16(p, (apr_uint32_t)kn);
        p = putmem(p, f->name, kn);
        *p++ = f->value != NULL ? 1 : 0;
        p = put32(p, (apr_uint32_t)vn);
        p = putmem(p, f->value, vn);
    }
    p = put32(p, relay_cache_entry_checksum(*buf, total - CRC_LEN));
    *len = total;
    return RELAY_CACHE_ENTRY_OK;
}

/* Reading: a cursor that never moves past `end`. */

typedef struct reader_t {
    const unsigned char *p, *end;
} reader_t;

static int get16(reader_t *r, apr_uint32_t *v)
{
    if (r->end - r->p < 2) {
        return 0;
    }
    *v = ((apr_uint32_t)r->p[0] << 8) | r->p[1];
    r->p += 2;
    return 1;
}

static int get32(reader_t *r, apr_uint32_t *v)
{
    if (r->end - r->p < 4) {
        return 0;
    }
    *v = ((apr_uint32_t)r->p[0] << 24) | ((apr_uint32_t)r->p[1] << 16) |
         ((apr_uint32_t)r->p[2] << 8) | r->p[3];
    r->p += 4;
    return 1;
}

static int get64(reader_t *r, apr_int64_t *v)
{
    apr_uint32_t hi, lo;

    if (!get32(r, &hi) || !get32(r, &lo)) {
        return 0;
    }
    *v = (apr_int64_t)(((apr_uint64_t)hi << 32) | lo);
    return 1;
}

static int getmem(reader_t *r, apr_size_t n, const char **s)
{
    if ((apr_size_t)(r->end - r->p) < n) {
        return 0;
    }
    *s = (const char *)r->p;
    r->p += n;
    return 1;
}

/* u16 length and a field name. */
static int get_name(reader_t *r, const char **s, apr_size_t *n)
{
    apr_uint32_t len;

    if (!get16(r, &len) || !getmem(r, len, s) || !name_ok(*s, len)) {
        return 0;
    }
    *n = len;
    return 1;
}

/* u32 length and a field value. */
static int get_value(reader_t *r, const char **s, apr_size_t *n)
{
    apr_uint32_t len;

    if (!get32(r, &len) || !getmem(r, len, s) || !value_ok(*s, len)) {
        return 0;
    }
    *n = len;
    return 1;
}

relay_cache_entry_status_t relay_cache_entry_decode(apr_pool_t *pool,
                                                    const char *buf,
                                                    apr_size_t len,
                                                    relay_cache_entry_t *e)
{
    reader_t r;
    apr_uint32_t version, reserved, total, status, nfields, nvary, crc, i;
    const char *prev = NULL;
    apr_size_t prev_len = 0;

    if (buf == NULL) {
        return RELAY_CACHE_ENTRY_TRUNCATED;
    }
    if (memcmp(buf, MAGIC, len < 4 ? len : 4) != 0) {
        return RELAY_CACHE_ENTRY_BAD_MAGIC;
    }
    if (len < 4) {
        return RELAY_CACHE_ENTRY_TRUNCATED;
    }
    if (len > RELAY_CACHE_ENTRY_MAX) {
        return RELAY_CACHE_ENTRY_TOO_LARGE;
    }
    r.p = (const unsigned char *)buf + 4;
    r.end = (const unsigned char *)buf + len;
    if (!get16(&r, &version)) {
        return RELAY_CACHE_ENTRY_TRUNCATED;
    }
    if (version != RELAY_CACHE_ENTRY_VERSION) {
        return RELAY_CACHE_ENTRY_BAD_VERSION;
    }
    if (!get16(&r, &reserved) || !get32(&r, &total)) {
        return RELAY_CACHE_ENTRY_TRUNCATED;
    }
    if (total > len) {
        return RELAY_CACHE_ENTRY_TRUNCATED;
    }
    if (total < len || total < FIXED_LEN + CRC_LEN) {
        return RELAY_CACHE_ENTRY_MALFORMED;
    }
    r.end = (const unsigned char *)buf + len - CRC_LEN;
    crc = ((apr_uint32_t)(unsigned char)r.end[0] << 24) |
          ((apr_uint32_t)(unsigned char)r.end[1] << 16) |
          ((apr_uint32_t)(unsigned char)r.end[2] << 8) |
          (unsigned char)r.end[3];
    if (crc != relay_cache_entry_checksum(buf, len - CRC_LEN)) {
        return RELAY_CACHE_ENTRY_BAD_CHECKSUM;
    }

    /* The frame is sound; now the content, to the byte. */
    if (reserved != 0 || !get16(&r, &status) || !get16(&r, &reserved) ||
        reserved != 0 || status < 100 || status > 599 ||
        !get64(&r, &e->request_time) || !get64(&r, &e->response_time) ||
        !get64(&r, &e->body_length) || e->body_length < 0 ||
        !get32(&r, &nfields) || !get32(&r, &nvary)) {
        return RELAY_CACHE_ENTRY_MALFORMED;
    }
    e->status = (int)status;
    /* Each field takes at least 7 bytes: counts beyond the block are
     * refused before anything is sized by them. */
    if (nfields > (apr_size_t)(r.end - r.p) / 7 ||
        nvary > (apr_size_t)(r.end - r.p) / 8) {
        return RELAY_CACHE_ENTRY_MALFORMED;
    }
    e->headers = apr_table_make(pool, (int)nfields);
    for (i = 0; i < nfields; i++) {
        const char *k, *v;
        apr_size_t kn, vn;

        if (!get_name(&r, &k, &kn) || !get_value(&r, &v, &vn)) {
            return RELAY_CACHE_ENTRY_MALFORMED;
        }
        apr_table_addn(e->headers, apr_pstrmemdup(pool, k, kn),
                       apr_pstrmemdup(pool, v, vn));
    }
    e->vary =
        apr_array_make(pool, (int)nvary, sizeof(relay_cache_vary_field_t));
    for (i = 0; i < nvary; i++) {
        relay_cache_vary_field_t *f;
        const char *k, *v, *flag;
        apr_size_t kn, vn;
        int cmp;

        if (!get_name(&r, &k, &kn) || !lower_ok(k, kn) ||
            !getmem(&r, 1, &flag) || (*flag != 0 && *flag != 1) ||
            !get_value(&r, &v, &vn) || (*flag == 0 && vn != 0)) {
            return RELAY_CACHE_ENTRY_MALFORMED;
        }
        /* Names strictly ascending, as strcmp() orders them. */
        if (prev != NULL) {
            cmp = memcmp(prev, k, prev_len < kn ? prev_len : kn);
            if (cmp > 0 || (cmp == 0 && prev_len >= kn)) {
                return RELAY_CACHE_ENTRY_MALFORMED;
            }
        }
        prev = k;
        prev_len = kn;
        f = &APR_ARRAY_PUSH(e->vary, relay_cache_vary_field_t);
        f->name = apr_pstrmemdup(pool, k, kn);
        f->value = *flag ? apr_pstrmemdup(pool, v, vn) : NULL;
    }
    if (r.p != r.end) {
        return RELAY_CACHE_ENTRY_MALFORMED;
    }
    return RELAY_CACHE_ENTRY_OK;
}

static const char *const hop_by_hop[] = {
    "Connection", "Keep-Alive",        "Proxy-Connection", "TE",
    "Trailer",    "Transfer-Encoding", "Upgrade",          NULL};

/* True when `name` is in the ", "-joined lower-case list. */
static int in_list(const char *list, const char *name)
{
    return list != NULL && relay_header_has_token(list, name);
}

apr_table_t *relay_cache_entry_store_headers(apr_pool_t *pool,
                                             const apr_table_t *headers,
                                             const apr_array_header_t *ignore,
                                             const relay_cache_control_t *cc)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    const char *conn = apr_table_getm(pool, headers, "Connection");
    apr_table_t *out = apr_table_make(pool, arr->nelts > 0 ? arr->nelts : 1);
    int i, j;

    for (i = 0; i < arr->nelts; i++) {
        int drop = h[i].key == NULL || h[i].val == NULL;

        for (j = 0; !drop && hop_by_hop[j] != NULL; j++) {
            drop = strcasecmp(h[i].key, hop_by_hop[j]) == 0;
        }
        for (j = 0; !drop && ignore != NULL && j < ignore->nelts; j++) {
            drop = strcasecmp(h[i].key,
                              APR_ARRAY_IDX(ignore, j, const char *)) == 0;
        }
        if (!drop) {
            drop = (conn != NULL && relay_header_has_token(conn, h[i].key)) ||
                   (cc != NULL && (in_list(cc->no_cache_fields, h[i].key) ||
                                   in_list(cc->private_fields, h[i].key)));
        }
        if (!drop) {
            apr_table_add(out, h[i].key, h[i].val);
        }
    }
    return out;
}
