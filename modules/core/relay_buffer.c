/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* The bounded growing buffer (relay_buffer.h). */
#include <string.h>

#include "relay/relay_buffer.h"

#define RELAY_BUFFER_FIRST 4096

apr_status_t relay_buffer_append(apr_pool_t *pool, char **buf, apr_size_t *len,
                                 apr_size_t *size, apr_size_t limit,
                                 const char *data, apr_size_t n)
{
    if (*len > limit || n > limit - *len) {
        return APR_ENOSPC;
    }
    if (*len + n > *size) {
        apr_size_t grown = *size ? *size * 2 : RELAY_BUFFER_FIRST;
        char *bigger;
        while (grown < *len + n) {
            grown *= 2;
        }
        if (grown > limit) {
            grown = limit;
        }
        bigger = apr_palloc(pool, grown);
        if (*len) {
            memcpy(bigger, *buf, *len);
        }
        *buf = bigger;
        *size = grown;
    }
    if (n) {
        memcpy(*buf + *len, data, n);
    }
    *len += n;
    return APR_SUCCESS;
}
