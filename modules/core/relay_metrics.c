/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/* Latency buckets, status classes, family headers and label escaping
 * (relay_metrics.h). */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_metrics.h"

static const struct {
    apr_interval_time_t bound; /* microseconds; -1: +Inf */
    const char *le;
} buckets[RELAY_METRICS_BUCKETS] = {
    {5000, "0.005"},  {10000, "0.01"},  {25000, "0.025"}, {50000, "0.05"},
    {100000, "0.1"},  {250000, "0.25"}, {500000, "0.5"},  {1000000, "1"},
    {2500000, "2.5"}, {5000000, "5"},   {10000000, "10"}, {-1, "+Inf"},
};

int relay_metrics_bucket(apr_interval_time_t duration)
{
    int i;

    for (i = 0; i < RELAY_METRICS_BUCKETS - 1; i++) {
        if (duration <= buckets[i].bound) {
            return i;
        }
    }
    return RELAY_METRICS_BUCKETS - 1;
}

const char *relay_metrics_bucket_le(int bucket)
{
    if (bucket < 0 || bucket >= RELAY_METRICS_BUCKETS) {
        return NULL;
    }
    return buckets[bucket].le;
}

int relay_metrics_status_class(int status)
{
    return status >= 100 && status <= 599 ? status / 100 - 1 : -1;
}

const char *relay_metrics_family(apr_pool_t *pool, const char *name,
                                 const char *type, const char *help)
{
    return apr_pstrcat(pool, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                       type, "\n", NULL);
}

const char *relay_metrics_label(apr_pool_t *pool, const char *value)
{
    apr_size_t extra = 0, n = 0;
    const char *s;
    char *out, *o;

    for (s = value; *s; s++, n++) {
        extra += *s == '\\' || *s == '"' || *s == '\n';
    }
    if (extra == 0) {
        return value;
    }
    out = o = apr_palloc(pool, n + extra + 1);
    for (s = value; *s; s++) {
        if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
            continue;
        }
        if (*s == '\\' || *s == '"') {
            *o++ = '\\';
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}
