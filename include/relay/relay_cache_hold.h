/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * When a response being stored may go on to the client: the decision
 * behind the stores' CacheReadSize / CacheReadTime (and their socache
 * twins). mod_cache's save filter writes each piece of the body to the
 * store and, while a hold is on, keeps it back (in order, with any
 * metadata between the pieces) until this says to release what it
 * keeps:
 *
 *  - once the bytes kept reach the size limit (a piece larger than the
 *    room left is cut there, so no more than the limit is ever kept);
 *  - once the first piece kept is the time limit old, checked as each
 *    piece or metadata bucket arrives (a pause of the origin keeps what
 *    is held until something more arrives or the body ends);
 *  - with only a time limit, also once RELAY_CACHE_HOLD_TIME_CAP bytes
 *    are kept, so that memory stays bounded when data arrives fast.
 *
 * The end of the body, an error, or the store giving up release
 * everything and end holding: the caller decides those. After a release
 * the next piece starts a new hold. A flush does not release: the proxy
 * flushes whenever its origin pauses, which would make the limits void
 * for exactly the slow origins they are meant for.
 *
 * Plain state in the caller's memory; no allocation.
 */
#ifndef RELAY_CACHE_HOLD_H
#define RELAY_CACHE_HOLD_H

#include <apr_time.h>

/* The most bytes kept when only a time limit is set. */
#define RELAY_CACHE_HOLD_TIME_CAP ((apr_off_t)1024 * 1024)

typedef struct relay_cache_hold_t {
    apr_off_t size;           /* bytes to keep before release; 0: none */
    apr_interval_time_t time; /* age of the first piece kept; 0: none */
    apr_off_t cap;            /* the bound on the bytes kept */
    apr_off_t held;           /* bytes kept now */
    apr_time_t since;         /* arrival of the first piece kept, or 0 */
} relay_cache_hold_t;

/*
 * Sets the limits (negative values count as 0) and empties the hold;
 * returns whether anything will ever be held: 0 when both limits are 0,
 * the pieces then go on as they arrive.
 */
int relay_cache_hold_init(relay_cache_hold_t *h, apr_off_t size,
                          apr_interval_time_t time);

/* How many bytes of the next piece may be kept (>= 1 between releases);
 * the caller cuts a longer piece there. */
apr_off_t relay_cache_hold_room(const relay_cache_hold_t *h);

/*
 * A piece of n bytes (0 for a metadata bucket) arrived at `now` and is
 * kept; returns 1 when everything kept goes on now (then the caller
 * calls relay_cache_hold_released()), else 0.
 */
int relay_cache_hold_add(relay_cache_hold_t *h, apr_off_t n, apr_time_t now);

/* What was kept went on: the hold is empty again. */
void relay_cache_hold_released(relay_cache_hold_t *h);

#endif
