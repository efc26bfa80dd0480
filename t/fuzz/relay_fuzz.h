/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Shared pieces of the libFuzzer drivers of the core's parsers: APR set up
 * once, a pool cleared after every input, a reader that takes numbers and
 * strings from the front of the fuzzer's input, and a check that aborts
 * (so libFuzzer saves the input) when a property of a result does not hold.
 *
 * Strings are handed out in heap blocks of their exact size, freed when
 * the pool is cleared, so AddressSanitizer sees a read past their end.
 */
#ifndef RELAY_FUZZ_H
#define RELAY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <apr.h>
#include <apr_pools.h>

/* libFuzzer's entry point, defined once by every driver. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The rest of the fuzzer's input, consumed from the front. */
typedef struct relay_fuzz_input_t {
    const uint8_t *p;
    size_t n;
} relay_fuzz_input_t;

/* The pool for one input (APR is initialised on the first call). */
apr_pool_t *relay_fuzz_pool(void);

/* Clears the pool, freeing the input's strings; returns 0 for libFuzzer. */
int relay_fuzz_done(void);

/* The next byte of input, or 0 once it is used up. */
unsigned relay_fuzz_byte(relay_fuzz_input_t *in);

/*
 * The next string: the bytes up to the next NUL (consumed, not included)
 * or the end of input; "" once the input is used up.
 */
char *relay_fuzz_string(relay_fuzz_input_t *in, apr_pool_t *pool);

/* Copies buf[0, n) into a heap block of exactly n bytes, freed with pool. */
char *relay_fuzz_dup(apr_pool_t *pool, const void *buf, size_t n);

/* Aborts with `what` on stderr when `cond` is false. */
void relay_fuzz_check(int cond, const char *what);

/* Big-endian integers in the layouts the stores write. */
void relay_fuzz_put16(unsigned char *p, apr_uint32_t v);
void relay_fuzz_put32(unsigned char *p, apr_uint32_t v);
void relay_fuzz_put64(unsigned char *p, apr_uint64_t v);
apr_uint32_t relay_fuzz_get32(const unsigned char *p);
apr_uint64_t relay_fuzz_get64(const unsigned char *p);

/*
 * Puts right, in place, the frame of a cache entry head block at
 * head[0, len) (relay/relay_cache_entry.h): magic, version, length and
 * CRC, as far as the block is long enough for each, so that mutations
 * reach the decoder's field parsers.
 */
void relay_fuzz_frame_entry_head(unsigned char *head, apr_size_t len);

#endif
