/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_cache_entry.c: the stored head block that the
 * memory, disk and socache stores hand back, which may be corrupt or
 * hostile.
 *
 * Input: a first byte of options, then the block. Random bytes stop at the
 * frame (magic, version, length, CRC-32) and never reach the fields, so
 * before decoding the driver puts right what the options say:
 *   bit 0  the length field at offset 8 (the block's real length)
 *   bit 1  the CRC-32 at the end
 *   bit 2  the magic, the version and the reserved bytes after it
 * An options byte with none of these bits decodes the bytes as they came,
 * so the frame checks themselves stay fuzzed.
 *
 * With bits 6 and 7 both set, the rest of the input describes an entry
 * instead (status, times, body length, header and Vary fields, read by
 * read_entry()), which is encoded and, when the encoder takes it, decoded
 * again: that reaches the encoder's refusals, which a decoded block never
 * does.
 *
 * Besides crashes, it checks the promises of relay/relay_cache_entry.h: a
 * block that decodes encodes again to exactly the same bytes; an entry
 * that encodes decodes to the same entry; relay_cache_entry_decode_checked()
 * (no CRC compared) decides as relay_cache_entry_decode() does where the
 * CRC is right; whatever decodes is a response to serve (servable(),
 * the rules restated here from RFC 9110 rather than taken from the code);
 * and the fields relay_cache_entry_store_headers() keeps of a response
 * with sound names and values always encode, with a Content-Length of the
 * body, so that a store never writes what a read refuses.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_cache_key.h"
#include "relay_fuzz.h"

#define FIX_LENGTH 0x01
#define FIX_CRC 0x02
#define FIX_MAGIC 0x04
#define STRUCTURED 0xC0

/* n bytes of input as a big-endian number (0 once the input is used up). */
static apr_uint64_t read_number(relay_fuzz_input_t *in, int n)
{
    apr_uint64_t v = 0;

    while (n-- > 0) {
        v = (v << 8) | relay_fuzz_byte(in);
    }
    return v;
}

/*
 * An entry from the input: status (2 bytes), request and response times
 * (8 each), body length (4, signed), a count byte of header fields (mod
 * 16), each a NUL-ended name and value, a count byte of Vary fields (mod
 * 5), each a name, a byte (odd: present) and a value.
 */
static void read_entry(relay_fuzz_input_t *in, apr_pool_t *pool,
                       relay_cache_entry_t *e)
{
    unsigned n, i;

    e->status = (int)read_number(in, 2);
    e->request_time = (apr_time_t)read_number(in, 8);
    e->response_time = (apr_time_t)read_number(in, 8);
    e->body_length = (apr_off_t)(apr_int32_t)read_number(in, 4);
    n = relay_fuzz_byte(in) % 16;
    e->headers = apr_table_make(pool, (int)n);
    for (i = 0; i < n; i++) {
        const char *name = relay_fuzz_string(in, pool);

        apr_table_addn(e->headers, name, relay_fuzz_string(in, pool));
    }
    n = relay_fuzz_byte(in) % 5;
    e->vary = apr_array_make(pool, (int)n, sizeof(relay_cache_vary_field_t));
    for (i = 0; i < n; i++) {
        relay_cache_vary_field_t *f =
            &APR_ARRAY_PUSH(e->vary, relay_cache_vary_field_t);

        f->name = relay_fuzz_string(in, pool);
        f->value = relay_fuzz_byte(in) & 1 ? "" : NULL;
        if (f->value != NULL) {
            f->value = relay_fuzz_string(in, pool);
        }
    }
}

/* RFC 9110 §5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static int name_sound(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!is_tchar((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}

/* RFC 9110 §5.5: VCHAR, obs-text, SP and HTAB. */
static int value_sound(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Content-Length (RFC 9110 §8.6): 1*DIGIT, or a list of one same value
 * ("5, 5"), equal to `length`. */
static int content_length_is(const char *v, apr_off_t length)
{
    char *copy = apr_pstrdup(relay_fuzz_pool(), v), *elt, *state;
    int n = 0;

    for (elt = apr_strtok(copy, ",", &state); elt != NULL;
         elt = apr_strtok(NULL, ",", &state)) {
        apr_uint64_t x = 0;
        char *end;

        while (*elt == ' ' || *elt == '\t') {
            elt++;
        }
        end = elt + strlen(elt);
        while (end > elt && (end[-1] == ' ' || end[-1] == '\t')) {
            *--end = '\0';
        }
        if (*elt == '\0' || strspn(elt, "0123456789") != strlen(elt)) {
            return 0;
        }
        for (; *elt != '\0'; elt++) {
            apr_uint64_t d = (apr_uint64_t)(*elt - '0');

            if (x > ((apr_uint64_t)APR_INT64_MAX - d) / 10) {
                return 0; /* beyond what apr_off_t holds */
            }
            x = x * 10 + d;
        }
        if (x != (apr_uint64_t)length) {
            return 0;
        }
        n++;
    }
    /* no empty element: as many elements as commas plus one */
    for (elt = (char *)v; *elt != '\0'; elt++) {
        n -= *elt == ',';
    }
    return n == 1;
}

/* What an entry served from the cache must be (relay_cache_entry.h). */
static int servable(const relay_cache_entry_t *e)
{
    static const char *const framing[] = {
        "Connection", "Keep-Alive",        "Proxy-Connection", "TE",
        "Trailer",    "Transfer-Encoding", "Upgrade",          NULL};
    const apr_array_header_t *arr = apr_table_elts(e->headers);
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    int i, j;

    if (e->status < 200 || e->status > 599 || e->body_length < 0) {
        return 0;
    }
    for (i = 0; i < arr->nelts; i++) {
        if (!name_sound(h[i].key) || !value_sound(h[i].val)) {
            return 0;
        }
        for (j = 0; framing[j] != NULL; j++) {
            if (strcasecmp(h[i].key, framing[j]) == 0) {
                return 0;
            }
        }
        if (strcasecmp(h[i].key, "Content-Length") == 0 &&
            !content_length_is(h[i].val, e->body_length)) {
            return 0;
        }
    }
    return 1;
}

/*
 * The fields of e that a store keeps, with a Content-Length of the body
 * in place of the origin's, encode when every name and value is sound:
 * relay_cache_entry_store_headers() leaves out all that a read refuses.
 */
static void check_store_headers(apr_pool_t *pool, const relay_cache_entry_t *e)
{
    const apr_array_header_t *arr = apr_table_elts(e->headers);
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    relay_cache_entry_t kept = *e;
    char *buf;
    apr_size_t len;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (!name_sound(h[i].key) || !value_sound(h[i].val)) {
            return;
        }
    }
    kept.status = 200 + (e->status & 0xff);
    kept.body_length = e->body_length < 0 ? 0 : e->body_length;
    kept.vary = NULL;
    kept.headers =
        relay_cache_entry_store_headers(pool, e->headers, NULL, NULL);
    if (apr_table_get(kept.headers, "Content-Length") != NULL) {
        apr_table_setn(kept.headers, "Content-Length",
                       apr_off_t_toa(pool, kept.body_length));
    }
    relay_fuzz_check(relay_cache_entry_encode(pool, &kept, &buf, &len) ==
                         RELAY_CACHE_ENTRY_OK,
                     "the fields a store keeps encode");
}

/* Two entries as text, to compare them. */
static const char *entry_text(apr_pool_t *pool, const relay_cache_entry_t *e)
{
    const apr_array_header_t *arr = apr_table_elts(e->headers);
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    const char *out;
    int i;

    out = apr_psprintf(
        pool, "%d %" APR_TIME_T_FMT " %" APR_TIME_T_FMT " %" APR_OFF_T_FMT,
        e->status, e->request_time, e->response_time, e->body_length);
    for (i = 0; i < arr->nelts; i++) {
        out = apr_pstrcat(pool, out, "|", h[i].key, ": ", h[i].val, NULL);
    }
    for (i = 0; e->vary != NULL && i < e->vary->nelts; i++) {
        const relay_cache_vary_field_t *f =
            &APR_ARRAY_IDX(e->vary, i, relay_cache_vary_field_t);

        out = apr_pstrcat(pool, out, "|V ", f->name, f->value ? "=" : "",
                          f->value ? f->value : "", NULL);
    }
    return out;
}

/* An entry that encodes decodes to itself, from the block and without its
 * CRC compared alike. */
static void structured(apr_pool_t *pool, relay_fuzz_input_t *in)
{
    relay_cache_entry_t e, d;
    char *buf;
    apr_size_t len;

    read_entry(in, pool, &e);
    check_store_headers(pool, &e);
    if (relay_cache_entry_encode(pool, &e, &buf, &len) !=
        RELAY_CACHE_ENTRY_OK) {
        return;
    }
    relay_fuzz_check(servable(&e), "an entry that encodes is servable");
    buf = relay_fuzz_dup(pool, buf, len);
    relay_fuzz_check(relay_cache_entry_decode(pool, buf, len, &d) ==
                         RELAY_CACHE_ENTRY_OK,
                     "an encoded entry decodes");
    relay_fuzz_check(strcmp(entry_text(pool, &e), entry_text(pool, &d)) == 0,
                     "an encoded entry decodes to itself");
    relay_fuzz_check(relay_cache_entry_decode_checked(pool, buf, len, &d) ==
                         RELAY_CACHE_ENTRY_OK,
                     "an encoded entry decodes without its CRC compared");
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
    if ((fixups & STRUCTURED) == STRUCTURED) {
        relay_fuzz_input_t in = {data + 1, size - 1};

        structured(pool, &in);
        return relay_fuzz_done();
    }
    block = (unsigned char *)relay_fuzz_dup(pool, data + 1, size - 1);
    size -= 1;
    if ((fixups & FIX_MAGIC) && size >= 8) {
        memcpy(block, "RLYC", 4);
        relay_fuzz_put16(block + 4, RELAY_CACHE_ENTRY_VERSION);
        relay_fuzz_put16(block + 6, 0);
    }
    if ((fixups & FIX_LENGTH) && size >= 12) {
        relay_fuzz_put32(block + 8, (apr_uint32_t)size);
    }
    if ((fixups & FIX_CRC) && size >= 4) {
        relay_fuzz_put32(block + size - 4, relay_cache_entry_checksum(
                                               (const char *)block, size - 4));
    }
    rv = relay_cache_entry_decode(pool, (const char *)block, size, &e);
    /* Without its CRC compared, a block decodes as it does with it when
     * the CRC is right; the parser must hold up to any bytes either way. */
    rv_checked = relay_cache_entry_decode_checked(pool, (const char *)block,
                                                  size, &e_checked);
    if (fixups & FIX_CRC) {
        relay_fuzz_check(rv == rv_checked,
                         "decode_checked agrees with decode on a right CRC");
    }
    if (rv == RELAY_CACHE_ENTRY_OK) {
        relay_fuzz_check(servable(&e), "an entry that decodes is servable");
        relay_fuzz_check(
            relay_cache_entry_encode(pool, &e, &again, &again_len) ==
                RELAY_CACHE_ENTRY_OK,
            "a decoded entry encodes again");
        relay_fuzz_check(again_len == size && !memcmp(again, block, size),
                         "encoding a decoded entry gives the same bytes");
    }
    return relay_fuzz_done();
}
