/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_response.c: the origin's response head and the
 * framing of its body, the input a hostile origin controls completely.
 *
 * Input: four control bytes, then the bytes of the response.
 *   byte 0: bit 0 ProxyBadHeader Ignore, bit 1 the request was HEAD,
 *           bit 2 small limits from bytes 1-3 (else the defaults),
 *           bits 3-7 where to cut the prefix parsed again (n/32 of it)
 *   byte 1: max_head = 16 + 4 * byte, byte 2: max_line = 8 + byte,
 *   byte 3: max_fields = 1 + byte % 32
 * Besides crashes, the driver checks what the parser promises: it keeps
 * no state, so any prefix of the input parses as the whole does up to the
 * end of the head; a head it accepts holds only token names and values
 * without CR, LF or NUL; the framing it chooses is never ambiguous.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_headers.h"
#include "relay/relay_response.h"
#include "relay_fuzz.h"

static int has_field(const apr_table_t *t, const char *name)
{
    return apr_table_get(t, name) != NULL;
}

/* A head Relay accepted must be safe to write back out. */
static void check_head(const relay_response_head_t *head, apr_size_t head_len,
                       apr_size_t len)
{
    const apr_array_header_t *arr = apr_table_elts(head->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    relay_fuzz_check(head_len > 0 && head_len <= len, "head_len in range");
    relay_fuzz_check(head->version == 10 || head->version == 11, "version");
    relay_fuzz_check(head->status >= 100 && head->status <= 599, "status");
    relay_fuzz_check(relay_header_value_is_safe(head->reason), "reason");
    for (i = 0; i < arr->nelts; i++) {
        relay_fuzz_check(relay_header_name_is_token(e[i].key), "field name");
        relay_fuzz_check(relay_header_value_is_safe(e[i].val), "field value");
    }
}

/* Every element of a list value lies inside it, trimmed, and the walk
 * always moves forward. */
static void check_lists(const relay_response_head_t *head)
{
    const apr_array_header_t *arr = apr_table_elts(head->headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        const char *value = e[i].val, *cursor = value, *elt;
        const char *end = value + strlen(value);
        apr_size_t n;
        apr_off_t cl;

        while (relay_header_list_next(&cursor, &elt, &n)) {
            relay_fuzz_check(elt >= value && elt + n <= end, "list element");
            relay_fuzz_check(n == 0 || (elt[0] != ' ' && elt[n - 1] != ' '),
                             "list element trimmed");
            relay_fuzz_check(cursor == NULL ||
                                 (cursor > value && cursor <= end),
                             "list cursor");
        }
        if (relay_content_length_parse(value, &cl) == RELAY_OK) {
            relay_fuzz_check(cl >= 0, "Content-Length not negative");
        }
    }
}

static void check_framing(const relay_response_head_t *head, int was_head)
{
    relay_framing_t fr;
    relay_status_t rv = relay_response_framing(head, was_head, &fr);

    if (rv != RELAY_OK) {
        relay_fuzz_check(rv < 0, "framing error is negative");
        return;
    }
    if (was_head) {
        relay_fuzz_check(fr.kind == RELAY_FRAMING_NONE, "HEAD has no body");
    }
    if (fr.kind == RELAY_FRAMING_LENGTH) {
        relay_fuzz_check(fr.length >= 0, "length not negative");
        relay_fuzz_check(!has_field(head->headers, "Transfer-Encoding"),
                         "length chosen despite Transfer-Encoding");
    }
    if (fr.kind == RELAY_FRAMING_CHUNKED) {
        relay_fuzz_check(!has_field(head->headers, "Content-Length"),
                         "chunked chosen despite Content-Length");
        relay_fuzz_check(head->version == 11, "chunked only in HTTP/1.1");
    }
    if (fr.kind == RELAY_FRAMING_CLOSE) {
        relay_fuzz_check(!has_field(head->headers, "Content-Length") &&
                             !has_field(head->headers, "Transfer-Encoding"),
                         "read to close despite framing fields");
    }
}

/* Hop-by-hop removal leaves none of the fixed hop-by-hop fields. */
static void check_strip(apr_pool_t *pool, const relay_response_head_t *head)
{
    static const char *const hop[] = {"Connection",       "Keep-Alive",
                                      "Proxy-Connection", "TE",
                                      "Trailer",          "Transfer-Encoding"};
    apr_table_t *t = apr_table_copy(pool, head->headers);
    size_t i;

    relay_headers_strip_hop_by_hop(t, 0);
    for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++) {
        relay_fuzz_check(!has_field(t, hop[i]), "hop-by-hop field left");
    }
    relay_fuzz_check(!has_field(t, "Upgrade"), "Upgrade left");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    relay_response_limits_t lim;
    relay_response_head_t head, again;
    apr_size_t len, cut, head_len = 0, len2 = 0;
    relay_status_t rv, rv2;
    unsigned flags = relay_fuzz_byte(&in);
    const char *buf;

    memset(&lim, 0, sizeof(lim));
    lim.max_head = 16 + 4 * (apr_size_t)relay_fuzz_byte(&in);
    lim.max_line = 8 + (apr_size_t)relay_fuzz_byte(&in);
    lim.max_fields = 1 + (int)(relay_fuzz_byte(&in) % 32);
    if (!(flags & 4)) {
        memset(&lim, 0, sizeof(lim));
    }
    lim.bad_header =
        (flags & 1) ? RELAY_BAD_HEADER_IGNORE : RELAY_BAD_HEADER_ERROR;
    buf = relay_fuzz_dup(pool, in.p, in.n);
    len = in.n;

    rv = relay_response_parse(buf, len, &lim, pool, &head, &head_len);
    if (rv == RELAY_OK) {
        check_head(&head, head_len, len);
        check_lists(&head);
        check_framing(&head, (flags & 2) != 0);
        check_strip(pool, &head);
    }

    /* The parser keeps no state: a prefix that holds the whole head parses
     * to the same head, a shorter one asks for more, and a prefix of a head
     * refused is never accepted. */
    cut = len * (flags >> 3) / 32;
    rv2 = relay_response_parse(relay_fuzz_dup(pool, buf, cut), cut, &lim, pool,
                               &again, &len2);
    if (rv == RELAY_OK && cut >= head_len) {
        relay_fuzz_check(rv2 == RELAY_OK && len2 == head_len,
                         "prefix with the whole head parses the same");
    }
    else if (rv == RELAY_OK) {
        relay_fuzz_check(rv2 == RELAY_AGAIN, "prefix of a good head is AGAIN");
    }
    else if (rv == RELAY_AGAIN) {
        relay_fuzz_check(rv2 == RELAY_AGAIN, "prefix of a partial head");
    }
    else {
        relay_fuzz_check(rv2 != RELAY_OK, "prefix of a bad head accepted");
    }
    return relay_fuzz_done();
}
