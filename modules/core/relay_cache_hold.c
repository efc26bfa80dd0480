/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* When a response being stored goes on to the client (relay_cache_hold.h). */
#include "relay/relay_cache_hold.h"

int relay_cache_hold_init(relay_cache_hold_t *h, apr_off_t size,
                          apr_interval_time_t time)
{
    h->size = size > 0 ? size : 0;
    h->time = time > 0 ? time : 0;
    h->cap = h->size ? h->size : RELAY_CACHE_HOLD_TIME_CAP;
    h->held = 0;
    h->since = 0;
    return h->size || h->time;
}

apr_off_t relay_cache_hold_room(const relay_cache_hold_t *h)
{
    return h->held < h->cap ? h->cap - h->held : 1;
}

int relay_cache_hold_add(relay_cache_hold_t *h, apr_off_t n, apr_time_t now)
{
    if (n > 0) {
        if (!h->held) {
            h->since = now;
        }
        h->held += n;
    }
    if (h->held >= h->cap) {
        return 1;
    }
    return h->time && h->held && now - h->since >= h->time;
}

void relay_cache_hold_released(relay_cache_hold_t *h)
{
    h->held = 0;
    h->since = 0;
}
