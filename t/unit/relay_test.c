/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The TAP producer of relay_test.h: a counter, a failure count, and the
 * APR set-up every test program needs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_cache_entry.h"
#include "relay_test.h"

static int tests_run;
static int tests_failed;
static apr_pool_t *test_pool;

apr_pool_t *relay_test_init(void)
{
    if (apr_initialize() != APR_SUCCESS ||
        apr_pool_create(&test_pool, NULL) != APR_SUCCESS) {
        printf("Bail out! APR could not be initialised\n");
        exit(2);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return test_pool;
}

int relay_test_ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tests_run++;
    if (!cond) {
        tests_failed++;
    }
    printf("%sok %d - ", cond ? "" : "not ", tests_run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return cond;
}

void relay_test_diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

int relay_test_done(void)
{
    printf("1..%d\n", tests_run);
    if (tests_failed > 0) {
        relay_test_diag("%d of %d tests failed", tests_failed, tests_run);
    }
    apr_pool_destroy(test_pool);
    apr_terminate();
    return tests_failed > 0 || tests_run == 0;
}

char *relay_test_dup(const char *buf, size_t n)
{
    /* malloc(0) may return NULL; a one-byte block keeps the pointer valid
     * while still catching any read, which would be past the 0 bytes. */
    char *copy = malloc(n > 0 ? n : 1);

    if (copy == NULL) {
        printf("Bail out! out of memory\n");
        exit(2);
    }
    if (n > 0) {
        memcpy(copy, buf, n);
    }
    return copy;
}

const char *relay_test_quote(apr_pool_t *pool, const char *buf, size_t n)
{
    char *out = apr_palloc(pool, n * 4 + 3), *q = out;
    size_t i;

    *q++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];

        if (c == '\r') {
            q += sprintf(q, "\\r");
        }
        else if (c == '\n') {
            q += sprintf(q, "\\n");
        }
        else if (c == '"' || c == '\\') {
            q += sprintf(q, "\\%c", c);
        }
        else if (c < 0x20 || c >= 0x7f) {
            q += sprintf(q, "\\x%02x", c);
        }
        else {
            *q++ = (char)c;
        }
    }
    *q++ = '"';
    *q = '\0';
    return out;
}

apr_table_t *relay_test_fields(apr_pool_t *pool, const char *fields)
{
    apr_table_t *t = apr_table_make(pool, 4);
    char *copy = apr_pstrdup(pool, fields), *line, *state;

    for (line = apr_strtok(copy, "|", &state); line != NULL;
         line = apr_strtok(NULL, "|", &state)) {
        char *colon = strchr(line, ':');

        if (colon == NULL) {
            printf("Bail out! bad test fields \"%s\"\n", fields);
            exit(2);
        }
        *colon = '\0';
        apr_table_add(t, line, colon[1] == ' ' ? colon + 2 : colon + 1);
    }
    return t;
}

const char *relay_test_fields_text(apr_pool_t *pool, const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out = "";
    int i;

    for (i = 0; i < arr->nelts; i++) {
        out = apr_pstrcat(pool, out, i > 0 ? "|" : "", e[i].key, ": ", e[i].val,
                          NULL);
    }
    return out;
}

void relay_test_write_file(apr_pool_t *pool, const char *path, const char *a,
                           apr_size_t alen, const char *b, apr_size_t blen)
{
    apr_file_t *fd;

    apr_file_open(&fd, path,
                  APR_FOPEN_CREATE | APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE, 0600,
                  pool);
    apr_file_write_full(fd, a, alen, NULL);
    apr_file_write_full(fd, b, blen, NULL);
    apr_file_close(fd);
}

/* Writes the low `bytes` bytes of v big-endian at p; returns p past them. */
static char *put_be(char *p, apr_uint32_t v, int bytes)
{
    while (bytes-- > 0) {
        *p++ = (char)(v >> (8 * bytes));
    }
    return p;
}

char *relay_test_entry_block(apr_pool_t *pool, int status,
                             apr_off_t body_length, const char *fields,
                             apr_size_t *len)
{
    const apr_array_header_t *arr =
        apr_table_elts(relay_test_fields(pool, fields));
    const apr_table_entry_t *h = (const apr_table_entry_t *)arr->elts;
    apr_size_t total = 48 + 4;
    char *buf, *p;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        total += 6 + strlen(h[i].key) + strlen(h[i].val);
    }
    buf = p = apr_pcalloc(pool, total);
    memcpy(p, "RLYC", 4);
    p = put_be(p + 4, RELAY_CACHE_ENTRY_VERSION, 2);
    p = put_be(p + 2, (apr_uint32_t)total, 4);
    p = put_be(p, (apr_uint32_t)status, 2);
    p += 2 + 16; /* reserved, request and response times: 0 */
    p = put_be(p, (apr_uint32_t)((apr_uint64_t)body_length >> 32), 4);
    p = put_be(p, (apr_uint32_t)body_length, 4);
    p = put_be(p, (apr_uint32_t)arr->nelts, 4);
    p = put_be(p, 0, 4);
    for (i = 0; i < arr->nelts; i++) {
        apr_size_t kn = strlen(h[i].key), vn = strlen(h[i].val);

        p = put_be(p, (apr_uint32_t)kn, 2);
        memcpy(p, h[i].key, kn);
        p = put_be(p + kn, (apr_uint32_t)vn, 4);
        memcpy(p, h[i].val, vn);
        p += vn;
    }
    put_be(p, relay_cache_entry_checksum(buf, total - 4), 4);
    *len = total;
    return buf;
}
