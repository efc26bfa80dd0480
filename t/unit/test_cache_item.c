/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_cache_item.c: head and chunk items read back equal;
 * a flipped byte, a truncation at any length, another stamp or index are
 * refused, and so are forged fields behind a right CRC (reserved bytes,
 * version, magic, lengths); a sealed item around a head block that is no
 * response to serve passes the item's checks and is refused by the entry
 * decoding a socache hit runs; ids differ by kind, key, generation, stamp
 * and index; expiry is clamped.
 */
#include <stdlib.h>
#include <string.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_item.h"
#include "relay_test.h"

/* Every flipped byte and every shorter length of a head item is refused. */
static void head_refuses_damage(const char *what, const char *buf,
                                apr_size_t len)
{
    relay_cache_item_head_t h;
    char *copy = relay_test_dup(buf, len);
    int flips = 0, cuts = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        copy[i] ^= 0x20;
        flips += !relay_cache_item_head_decode(copy, len, &h);
        copy[i] ^= 0x20;
        /* A copy of exactly i bytes, so a read past the end is caught. */
        {
            char *cut = relay_test_dup(buf, i);
            cuts += !relay_cache_item_head_decode(cut, i, &h);
            free(cut);
        }
    }
    free(copy);
    relay_test_ok(flips == (int)len, "%s: every flipped byte refused", what);
    relay_test_ok(cuts == (int)len, "%s: every truncation refused", what);
}

static void head_inline(apr_pool_t *pool)
{
    relay_cache_item_head_t in = {0}, out;
    char *buf;
    apr_size_t len;

    in.stamp = APR_UINT64_C(0x0102030405060708);
    in.body_length = 5;
    in.body_crc = 77;
    in.key = "http://h:80/a?";
    in.key_length = strlen(in.key);
    in.head = "HEADBLOCK";
    in.head_length = 9;
    in.body = "hello";
    relay_cache_item_head_encode(pool, &in, &buf, &len);
    relay_test_ok(len == RELAY_CACHE_ITEM_HEAD_OVERHEAD + 14 + 9 + 5,
                  "inline head: size");
    relay_test_ok(
        relay_cache_item_head_decode(buf, len, &out) && out.stamp == in.stamp &&
            out.nchunks == 0 && out.body_length == 5 && out.body_crc == 77 &&
            out.key_length == in.key_length &&
            !memcmp(out.key, in.key, in.key_length) && out.head_length == 9 &&
            !memcmp(out.head, "HEADBLOCK", 9) && out.body &&
            !memcmp(out.body, "hello", 5),
        "inline head: reads back equal");
    head_refuses_damage("inline head", buf, len);
}

static void head_chunked(apr_pool_t *pool)
{
    static const struct {
        apr_uint32_t nchunks, chunk_size;
        apr_off_t body_length;
        int ok;
    } cases[] = {
        {3, 100, 250, 1}, {3, 100, 300, 1},
        {3, 100, 201, 1}, {3, 100, 200, 0}, /* one chunk too many */
        {3, 100, 301, 0},                   /* chunks do not cover the body */
        {1, 0, 0, 0},                       /* no chunk size */
    };
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(cases); i++) {
        relay_cache_item_head_t in = {0}, out;
        char *buf;
        apr_size_t len;

        in.stamp = 9;
        in.nchunks = cases[i].nchunks;
        in.chunk_size = cases[i].chunk_size;
        in.body_length = cases[i].body_length;
        in.key = "k";
        in.key_length = 1;
        in.head = "H";
        in.head_length = 1;
        relay_cache_item_head_encode(pool, &in, &buf, &len);
        relay_test_ok(
            relay_cache_item_head_decode(buf, len, &out) == cases[i].ok,
            "chunked head %u x %u for %" APR_OFF_T_FMT ": %s", cases[i].nchunks,
            cases[i].chunk_size, cases[i].body_length,
            cases[i].ok ? "accepted" : "refused");
        if (i == 0) {
            relay_test_ok(out.body == NULL && out.nchunks == 3,
                          "chunked head: no inline body");
            head_refuses_damage("chunked head", buf, len);
        }
    }
}

/* Rewrites the CRC-32 at the end of an item after a byte was forged. */
static void reseal(char *buf, apr_size_t len)
{
    apr_uint32_t crc = relay_cache_entry_checksum(buf, len - 4);

    buf[len - 4] = (char)(crc >> 24);
    buf[len - 3] = (char)(crc >> 16);
    buf[len - 2] = (char)(crc >> 8);
    buf[len - 1] = (char)crc;
}

/*
 * Items with one byte forged and the CRC-32 made right again, as anyone
 * who can write to the shared cache could: what the checksum cannot
 * catch, decoding must. Offsets: version 4-5, reserved 6-7, a head's key
 * length 36-39, a chunk's index 16-19 and length 20-23.
 */
typedef struct forge_case_t {
    const char *desc;
    int chunk; /* a chunk item, else a head item */
    int offset;
    unsigned char byte;
    int ok;
} forge_case_t;

static const forge_case_t forge_cases[] = {
    {"head: reserved, high byte", 0, 6, 1, 0},
    {"head: reserved, low byte", 0, 7, 0x80, 0},
    {"head: version 2", 0, 5, 2, 0},
    {"head: magic", 0, 3, 'X', 0},
    {"head: key length past the end", 0, 37, 0xff, 0},
    {"head: unchanged", 0, 44, 'h', 1},
    {"chunk: reserved, high byte", 1, 6, 0x10, 0},
    {"chunk: reserved, low byte", 1, 7, 1, 0},
    {"chunk: version 0", 1, 5, 0, 0},
    {"chunk: another index", 1, 19, 4, 0},
    {"chunk: length field one more", 1, 23, 7, 0},
    {"chunk: unchanged", 1, 24, 'a', 1},
};

static int run_forge_case(const forge_case_t *c, apr_pool_t *pool)
{
    relay_cache_item_head_t in = {0}, out;
    const char *data;
    char *buf;
    apr_size_t len;
    int ok;

    if (c->chunk) {
        relay_cache_item_chunk_encode(pool, 42, 3, "abcdef", 6, &buf, &len);
    }
    else {
        in.stamp = 7;
        in.body_length = 2;
        in.key = "http://h:80/a?";
        in.key_length = strlen(in.key);
        in.head = "HEAD";
        in.head_length = 4;
        in.body = "ok";
        relay_cache_item_head_encode(pool, &in, &buf, &len);
    }
    buf[c->offset] = (char)c->byte;
    reseal(buf, len);
    ok = c->chunk ? relay_cache_item_chunk_decode(buf, len, 42, 3, 6, &data)
                  : relay_cache_item_head_decode(buf, len, &out);
    if (ok != c->ok) {
        relay_test_diag("%s", ok ? "accepted" : "refused");
        return 0;
    }
    return 1;
}

/*
 * A head item carries the entry's head block opaque; mod_cache decodes a
 * socache hit's block with relay_cache_entry_decode(). An item sealed
 * around a head that is no response to serve passes the item's checks
 * and must be refused there.
 */
typedef struct forged_head_case_t {
    const char *desc;
    int status;
    const char *fields;
    int ok;
} forged_head_case_t;

static const forged_head_case_t forged_heads[] = {
    {"Transfer-Encoding", 200, "Transfer-Encoding: chunked", 0},
    {"Keep-Alive", 200, "Keep-Alive: timeout=5", 0},
    {"Content-Length not the body's", 200, "Content-Length: 3", 0},
    {"status 100", 100, "", 0},
    {"a name not a token", 200, "Bad Name: x", 0},
    {"a normal head", 200, "Content-Type: text/plain|Content-Length: 2", 1},
};

static int forged_head_row(const forged_head_case_t *c, apr_pool_t *pool)
{
    relay_cache_item_head_t in = {0}, out;
    relay_cache_entry_status_t rv;
    relay_cache_entry_t e;
    char *buf;
    apr_size_t len;

    in.stamp = 1;
    in.body_length = 2;
    in.key = "http://h:80/a?";
    in.key_length = strlen(in.key);
    in.head =
        relay_test_entry_block(pool, c->status, 2, c->fields, &in.head_length);
    in.body = "ok";
    relay_cache_item_head_encode(pool, &in, &buf, &len);
    if (!relay_cache_item_head_decode(buf, len, &out)) {
        relay_test_diag("the item is refused");
        return 0;
    }
    rv = relay_cache_entry_decode(pool, out.head, out.head_length, &e);
    if ((rv == RELAY_CACHE_ENTRY_OK) != c->ok) {
        relay_test_diag("decode: %s", relay_cache_entry_describe(rv));
        return 0;
    }
    return 1;
}

static void chunks(apr_pool_t *pool)
{
    char *buf;
    const char *data = NULL;
    apr_size_t len, i;
    int cuts = 0;

    relay_cache_item_chunk_encode(pool, 42, 3, "abcdef", 6, &buf, &len);
    relay_test_ok(len == RELAY_CACHE_ITEM_CHUNK_OVERHEAD + 6, "chunk: size");
    relay_test_ok(relay_cache_item_chunk_decode(buf, len, 42, 3, 6, &data) &&
                      !memcmp(data, "abcdef", 6),
                  "chunk: reads back equal");
    relay_test_ok(!relay_cache_item_chunk_decode(buf, len, 43, 3, 6, &data),
                  "chunk: another stamp refused (another write's chunk)");
    relay_test_ok(!relay_cache_item_chunk_decode(buf, len, 42, 2, 6, &data),
                  "chunk: another index refused");
    relay_test_ok(!relay_cache_item_chunk_decode(buf, len, 42, 3, 5, &data),
                  "chunk: another length refused");
    for (i = 0; i < len; i++) {
        char *copy = relay_test_dup(buf, len);
        copy[i] ^= 0x01;
        cuts += !relay_cache_item_chunk_decode(copy, len, 42, 3, 6, &data);
        free(copy);
        copy = relay_test_dup(buf, i);
        cuts += !relay_cache_item_chunk_decode(copy, i, 42, 3, 6, &data);
        free(copy);
    }
    relay_test_ok(cuts == (int)(2 * len),
                  "chunk: every flipped byte and truncation refused");
}

static void ids_and_generations(void)
{
    unsigned char a[RELAY_CACHE_ITEM_ID_LEN], b[RELAY_CACHE_ITEM_ID_LEN];
    char gen[RELAY_CACHE_ITEM_GEN_LEN];
    apr_uint64_t g = 0;

    relay_cache_item_id(a, RELAY_CACHE_ITEM_HEAD, "k", 0, 0, 0);
    relay_cache_item_id(b, RELAY_CACHE_ITEM_HEAD, "k", 0, 0, 0);
    relay_test_ok(!memcmp(a, b, sizeof(a)) && a[0] == 'H', "id: stable");
    relay_cache_item_id(b, RELAY_CACHE_ITEM_CHUNK, "k", 0, 0, 0);
    relay_test_ok(memcmp(a, b, sizeof(a)) != 0, "id: kind counts");
    relay_cache_item_id(b, RELAY_CACHE_ITEM_HEAD, "k", 1, 0, 0);
    relay_test_ok(memcmp(a, b, sizeof(a)) != 0, "id: generation counts");
    relay_cache_item_id(a, RELAY_CACHE_ITEM_CHUNK, "k", 0, 5, 1);
    relay_cache_item_id(b, RELAY_CACHE_ITEM_CHUNK, "k", 0, 5, 2);
    relay_test_ok(memcmp(a, b, sizeof(a)) != 0, "id: index counts");
    relay_cache_item_id(b, RELAY_CACHE_ITEM_CHUNK, "k", 0, 6, 1);
    relay_test_ok(memcmp(a, b, sizeof(a)) != 0, "id: stamp counts");

    relay_cache_item_gen_encode(gen, APR_UINT64_C(0xfeedface01020304));
    relay_test_ok(relay_cache_item_gen_decode(gen, sizeof(gen), &g) &&
                      g == APR_UINT64_C(0xfeedface01020304),
                  "generation: reads back equal");
    gen[0] = 'X';
    relay_test_ok(!relay_cache_item_gen_decode(gen, sizeof(gen), &g),
                  "generation: bad magic refused");
}

static void expiry(void)
{
    apr_time_t now = apr_time_from_sec(1000000);

    relay_test_ok(relay_cache_item_expiry(now, 30, 0, 86400) ==
                      now + apr_time_from_sec(30),
                  "expiry: the remaining freshness");
    relay_test_ok(relay_cache_item_expiry(now, 30, 600, 86400) ==
                      now + apr_time_from_sec(600),
                  "expiry: raised to the minimum time");
    relay_test_ok(relay_cache_item_expiry(now, 90000, 600, 86400) ==
                      now + apr_time_from_sec(86400),
                  "expiry: capped at the maximum time");
    relay_test_ok(relay_cache_item_expiry(now, -5, 0, 86400) == now,
                  "expiry: already stale, no minimum: now");
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    head_inline(pool);
    head_chunked(pool);
    chunks(pool);
    RELAY_TEST_TABLE(forge_cases, run_forge_case, "forged, CRC right", pool);
    RELAY_TEST_TABLE(forged_heads, forged_head_row, "socache hit, forged head",
                     pool);
    ids_and_generations();
    expiry();
    return relay_test_done();
}
