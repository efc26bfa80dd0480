/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The pieces of Relay's Prometheus metrics that are decisions rather than
 * output: which latency bucket a request falls in, the bucket bounds as
 * Prometheus writes them, the class of a status code, the lines that open
 * a family, and label values escaped for the text exposition format.
 */
#ifndef RELAY_METRICS_H
#define RELAY_METRICS_H

#include <apr_pools.h>
#include <apr_time.h>

/* Latency buckets: 5 ms .. 10 s, then +Inf. */
#define RELAY_METRICS_BUCKETS 12

/* Status classes counted: 1xx .. 5xx. */
#define RELAY_METRICS_CLASSES 5

/* The bucket of a request that took `duration` (the first whose bound is
 * not below it; the last one, +Inf, takes the rest). */
int relay_metrics_bucket(apr_interval_time_t duration);

/* Bucket i's upper bound as a Prometheus `le` label ("0.005" .. "+Inf"). */
const char *relay_metrics_bucket_le(int bucket);

/* The class index (0 for 1xx .. 4 for 5xx) of `status`, -1 outside. */
int relay_metrics_status_class(int status);

/* The HELP and TYPE lines that open the family `name` of `type`
 * ("counter", "gauge", "histogram"). */
const char *relay_metrics_family(apr_pool_t *pool, const char *name,
                                 const char *type, const char *help);

/* `value` escaped for a label value (backslash, double quote, newline). */
const char *relay_metrics_label(apr_pool_t *pool, const char *value);

#endif
