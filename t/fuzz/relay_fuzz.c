/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The helpers of relay_fuzz.h: one APR pool for the whole run, cleared at
 * the end of each input, and heap copies whose cleanup frees them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "relay/relay_cache_entry.h"
#include "relay_fuzz.h"

static apr_pool_t *fuzz_pool;

static apr_status_t free_block(void *block)
{
    free(block);
    return APR_SUCCESS;
}

apr_pool_t *relay_fuzz_pool(void)
{
    if (fuzz_pool == NULL) {
        if (apr_initialize() != APR_SUCCESS ||
            apr_pool_create(&fuzz_pool, NULL) != APR_SUCCESS) {
            fprintf(stderr, "APR could not be initialised\n");
            abort();
        }
    }
    return fuzz_pool;
}

int relay_fuzz_done(void)
{
    apr_pool_clear(fuzz_pool);
    return 0;
}

unsigned relay_fuzz_byte(relay_fuzz_input_t *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

/* A heap block of n bytes (at least one), freed when the pool is cleared. */
static char *alloc_block(apr_pool_t *pool, size_t n)
{
    char *block = malloc(n > 0 ? n : 1);

    if (block == NULL) {
        abort();
    }
    apr_pool_cleanup_register(pool, block, free_block, apr_pool_cleanup_null);
    return block;
}

char *relay_fuzz_dup(apr_pool_t *pool, const void *buf, size_t n)
{
    char *block = alloc_block(pool, n);

    if (n > 0) {
        memcpy(block, buf, n);
    }
    return block;
}

char *relay_fuzz_string(relay_fuzz_input_t *in, apr_pool_t *pool)
{
    const uint8_t *nul = in->n > 0 ? memchr(in->p, '\0', in->n) : NULL;
    size_t len = nul != NULL ? (size_t)(nul - in->p) : in->n;
    char *s = alloc_block(pool, len + 1);

    if (len > 0) {
        memcpy(s, in->p, len);
    }
    s[len] = '\0';
    in->p += nul != NULL ? len + 1 : len;
    in->n -= nul != NULL ? len + 1 : len;
    return s;
}

void relay_fuzz_check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "relay-fuzz: property violated: %s\n", what);
        abort();
    }
}

void relay_fuzz_put16(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

void relay_fuzz_put32(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void relay_fuzz_put64(unsigned char *p, apr_uint64_t v)
{
    relay_fuzz_put32(p, (apr_uint32_t)(v >> 32));
    relay_fuzz_put32(p + 4, (apr_uint32_t)v);
}

apr_uint32_t relay_fuzz_get32(const unsigned char *p)
{
    return ((apr_uint32_t)p[0] << 24) | ((apr_uint32_t)p[1] << 16) |
           ((apr_uint32_t)p[2] << 8) | p[3];
}

apr_uint64_t relay_fuzz_get64(const unsigned char *p)
{
    return ((apr_uint64_t)relay_fuzz_get32(p) << 32) | relay_fuzz_get32(p + 4);
}

/* A head block's bytes before its fields (relay_cache_entry.h). */
#define ENTRY_FIXED_LEN 48

void relay_fuzz_frame_entry_head(unsigned char *head, apr_size_t len)
{
    if (len >= 8) {
        memcpy(head, "RLYC", 4);
        relay_fuzz_put16(head + 4, RELAY_CACHE_ENTRY_VERSION);
        relay_fuzz_put16(head + 6, 0);
    }
    if (len >= 12) {
        relay_fuzz_put32(head + 8, (apr_uint32_t)len);
    }
    if (len >= ENTRY_FIXED_LEN + 4) {
        relay_fuzz_put32(head + len - 4, relay_cache_entry_checksum(
                                             (const char *)head, len - 4));
    }
}
