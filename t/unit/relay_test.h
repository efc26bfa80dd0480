/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A few lines of TAP for the unit tests of the core, so they need no test
 * framework: each program reports one "ok N - what" or "not ok N - what"
 * per table row, adds "# ..." diagnostics on failure, prints the plan
 * "1..N" at the end (which TAP allows) and exits non-zero when anything
 * failed, which is all ctest looks at.
 */
#ifndef RELAY_TEST_H
#define RELAY_TEST_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_tables.h>

#if defined(__GNUC__)
#define RELAY_TEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RELAY_TEST_PRINTF(f, a)
#endif

/* Number of rows of a test table. */
#define RELAY_TEST_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* Runs fn(&row, pool) for every row of a case table (rows have a `desc`),
 * one TAP point each, labelled "label: desc". */
#define RELAY_TEST_TABLE(table, fn, label, pool)                               \
    do {                                                                       \
        int row_;                                                              \
        for (row_ = 0; row_ < RELAY_TEST_COUNT(table); row_++) {               \
            relay_test_ok(fn(&(table)[row_], pool), label ": %s",              \
                          (table)[row_].desc);                                 \
        }                                                                      \
    } while (0)

/* Initialises APR; the pool returned lives until relay_test_done(). */
apr_pool_t *relay_test_init(void);

/* Reports one test point, numbered in order; returns `cond`. */
int relay_test_ok(int cond, const char *fmt, ...) RELAY_TEST_PRINTF(2, 3);

/* Prints a "# " diagnostic line, for the reason of a failure. */
void relay_test_diag(const char *fmt, ...) RELAY_TEST_PRINTF(1, 2);

/* Prints the plan, ends APR, and returns the exit status for main(). */
int relay_test_done(void);

/*
 * Copies buf[0, n) into a fresh heap block of exactly n bytes (free() it),
 * so that AddressSanitizer catches a parser reading past the end.
 */
char *relay_test_dup(const char *buf, size_t n);

/* Writes buf[0, n) with C escapes for unprintable bytes into a pool
 * string, for diagnostics. */
const char *relay_test_quote(apr_pool_t *pool, const char *buf, size_t n);

/*
 * Builds a header table from "Name: value|Name: value" (one line per
 * "|", the space after the colon optional), for table-driven cases.
 */
apr_table_t *relay_test_fields(apr_pool_t *pool, const char *fields);

/* Serialises a table as "Name: value|...", in order. */
const char *relay_test_fields_text(apr_pool_t *pool, const apr_table_t *t);

/* Writes a[0, alen) then b[0, blen) as the whole of the file at path. */
void relay_test_write_file(apr_pool_t *pool, const char *path, const char *a,
                           apr_size_t alen, const char *b, apr_size_t blen);

/*
 * A cache entry head block (relay/relay_cache_entry.h) written byte by
 * byte, not by the encoder, which refuses what such a block may hold: the
 * status, body length and "Name: value|..." fields given, times 0, no
 * Vary fields, with a right length and CRC-32. What a store could hand
 * back after someone else wrote it; *len is its size.
 */
char *relay_test_entry_block(apr_pool_t *pool, int status,
                             apr_off_t body_length, const char *fields,
                             apr_size_t *len);

#endif
