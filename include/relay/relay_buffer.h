/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A growing byte buffer with a hard limit, for a store that holds a
 * response body in memory until it is complete: it doubles as it fills
 * (from 4 KiB, never beyond the limit), in the pool given.
 */
#ifndef RELAY_BUFFER_H
#define RELAY_BUFFER_H

#include <apr_pools.h>

/*
 * Appends data[0, n) to *buf holding *len bytes in room for *size;
 * APR_ENOSPC, with nothing appended, when that would pass `limit`.
 */
apr_status_t relay_buffer_append(apr_pool_t *pool, char **buf, apr_size_t *len,
                                 apr_size_t *size, apr_size_t limit,
                                 const char *data, apr_size_t n);

#endif
