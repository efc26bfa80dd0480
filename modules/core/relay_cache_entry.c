/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The stored head of a cache entry as one byte block (layout in
 * relay_cache_entry.h). Encoding measures first and writes once; decoding
 * checks the frame (magic, version, length, checksum) before it reads a
 * single field, then reads through a cursor that refuses every read past
 * the end, so a truncated, extended or corrupted block is a clean refusal
 * and never an out-of-bounds access. Last, servable() holds the decoded
 * entry to what an origin's response must be before it is served, since
 * a store may hand back bytes that someone else wrote.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_key.h"
#include "relay/relay_headers.h"
#include "relay/relay_response.h"

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
    case RELAY_CACHE_ENTRY_NOT_SERVABLE:
        return "entry not servable as a response (status, hop-by-hop or "
               "framing field, Content-Length)";
    }
    return "unknown entry status";
}

/* Field names and values as a store must be able to send them again. */
static int name_ok(const char *s, apr_size_t n)
{
    apr_size_t i;

    if (n == 0 || n > 0xFFFF) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!relay_header_is_tchar((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Whether some byte of the word x is below 0x20 or is DEL (exactly
 * whether, not which). */
static int word_has_ctl(apr_uint64_t x)
{
    const apr_uint64_t ones = APR_UINT64_C(0x0101010101010101);
    apr_uint64_t del = x ^ (ones * 0x7f); /* a DEL byte becomes 0 */

    return ((((x - ones * 0x20) & ~x) | ((del - ones) & ~del)) &
            (ones * 0x80)) != 0;
}

/*
 * RFC 9110 §5.5: a field value holds visible characters, obs-text, SP
 * and HTAB; no other control character (CR, LF and NUL among them) and
 * no DEL. Every hit reads its values through here, so eight bytes are
 * looked at a time, the last eight overlapping the word before; a word
 * with a byte below 0x20 or a DEL goes to the byte loop, which lets HTAB
 * through.
 */
static int value_ok(const char *s, apr_size_t n)
{
    apr_size_t i = 0;
    apr_uint64_t x;

    for (; n - i >= 8; i += 8) {
        memcpy(&x, s + i, 8);
        if (word_has_ctl(x)) {
            break;
        }
    }
    if (i < n && n >= 8 && n - i < 8) {
        memcpy(&x, s + n - 8, 8);
        if (!word_has_ctl(x)) {
            return 1;
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 0;
        }
    }
    return 1;
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

/*
 * Whether name, of n bytes, is a hop-by-hop field (RFC 9110 §7.6.1:
 * Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade) or
 * Transfer-Encoding: fields of one connection or of one message's
 * framing, which a store never keeps. Names are told apart by length
 * first, so that most of a hit's fields cost no comparison.
 */
static int is_hop_by_hop(const char *name, apr_size_t n)
{
    switch (n) {
    case 2:
        return strncasecmp(name, "TE", n) == 0;
    case 7:
        return strncasecmp(name, "Trailer", n) == 0 ||
               strncasecmp(name, "Upgrade", n) == 0;
    case 10:
        return strncasecmp(name, "Connection", n) == 0 ||
               strncasecmp(name, "Keep-Alive", n) == 0;
    case 16:
        return strncasecmp(name, "Proxy-Connection", n) == 0;
    case 17:
        return strncasecmp(name, "Transfer-Encoding", n) == 0;
    }
    return 0;
}

/*
 * Whether an entry may be served as a response, whatever the bytes it
 * came from: a store hands back what memcached, Redis, shared memory or
 * a file under CacheRoot holds, which others can write, and a checksum
 * only catches accidents. So the entry must be what mod_cache stores: a
 * final status, 200 to 599 (RFC 9110 §15: a 1xx is interim and never
 * stored); none of the hop-by-hop or framing fields, which
 * relay_cache_entry_store_headers() leaves out (RFC 9111 §3.1) and whose
 * presence in a hit would let a store decide how the client reads the
 * connection (RFC 9112 §6.1, §6.3); and a Content-Length only when it
 * says the body length stored (RFC 9110 §8.6: the origin's field is kept,
 * mod_cache sends its own from the body). Names and values are checked
 * where they are read (name_ok(), value_ok()).
 */
static int servable(const relay_cache_entry_t *e)
{
    const apr_array_header_t *arr = apr_table_elts(e->headers);
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    apr_off_t length;
    int i;

    if (e->status < 200 || e->status > 599) {
        return 0;
    }
    for (i = 0; i < arr->nelts; i++) {
        apr_size_t n = strlen(h[i].key);

        if (is_hop_by_hop(h[i].key, n)) {
            return 0;
        }
        if (n == sizeof("Content-Length") - 1 &&
            strcasecmp(h[i].key, "Content-Length") == 0 &&
            (relay_content_length_parse(h[i].val, &length) != RELAY_OK ||
             length != e->body_length)) {
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

    if (e->body_length < 0) {
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
    if (!servable(e)) {
        return RELAY_CACHE_ENTRY_NOT_SERVABLE;
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

/* Decodes buf[0, len), comparing its checksum when check_crc is set. */
static relay_cache_entry_status_t decode(apr_pool_t *pool, const char *buf,
                                         apr_size_t len, relay_cache_entry_t *e,
                                         int check_crc)
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
    if (check_crc && crc != relay_cache_entry_checksum(buf, len - CRC_LEN)) {
        return RELAY_CACHE_ENTRY_BAD_CHECKSUM;
    }

    /* The frame is sound; now the content, to the byte. */
    if (reserved != 0 || !get16(&r, &status) || !get16(&r, &reserved) ||
        reserved != 0 || !get64(&r, &e->request_time) ||
        !get64(&r, &e->response_time) || !get64(&r, &e->body_length) ||
        e->body_length < 0 || !get32(&r, &nfields) || !get32(&r, &nvary)) {
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
    /* Every store's entries come back through here: the one check. */
    if (!servable(e)) {
        return RELAY_CACHE_ENTRY_NOT_SERVABLE;
    }
    return RELAY_CACHE_ENTRY_OK;
}

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
        int drop = h[i].key == NULL || h[i].val == NULL ||
                   is_hop_by_hop(h[i].key, strlen(h[i].key));

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

relay_cache_entry_status_t relay_cache_entry_decode(apr_pool_t *pool,
                                                    const char *buf,
                                                    apr_size_t len,
                                                    relay_cache_entry_t *e)
{
    return decode(pool, buf, len, e, 1);
}

relay_cache_entry_status_t
relay_cache_entry_decode_checked(apr_pool_t *pool, const char *buf,
                                 apr_size_t len, relay_cache_entry_t *e)
{
    return decode(pool, buf, len, e, 0);
}
