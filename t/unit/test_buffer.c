/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_buffer.c: appends keep every byte in order across
 * growth, the buffer never grows past its limit, and an append that would
 * pass the limit is refused whole.
 */
#include <string.h>

#include "relay/relay_buffer.h"
#include "relay_test.h"

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    char *buf = NULL, piece[1000];
    apr_size_t len = 0, size = 0, i;
    int ok = 1;

    for (i = 0; i < sizeof(piece); i++) {
        piece[i] = (char)('a' + i % 26);
    }
    for (i = 0; i < 10; i++) {
        ok &= relay_buffer_append(pool, &buf, &len, &size, 10000, piece,
                                  sizeof(piece)) == APR_SUCCESS;
    }
    relay_test_ok(ok && len == 10000 && size == 10000,
                  "ten appends fill the buffer exactly to its limit");
    ok = 1;
    for (i = 0; i < 10; i++) {
        ok &= !memcmp(buf + i * sizeof(piece), piece, sizeof(piece));
    }
    relay_test_ok(ok, "every byte kept in order across growth");
    relay_test_ok(relay_buffer_append(pool, &buf, &len, &size, 10000, piece,
                                      1) == APR_ENOSPC &&
                      len == 10000,
                  "one byte more is refused, nothing appended");
    buf = NULL;
    len = size = 0;
    relay_test_ok(relay_buffer_append(pool, &buf, &len, &size, 100, piece,
                                      101) == APR_ENOSPC &&
                      len == 0 && buf == NULL,
                  "a first append over the limit is refused");
    relay_test_ok(relay_buffer_append(pool, &buf, &len, &size, 100, piece, 0) ==
                          APR_SUCCESS &&
                      len == 0,
                  "an empty append is fine");
    return relay_test_done();
}
