/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_metrics.c: bucket edges (a duration equal to a
 * bound falls in that bucket), the +Inf bucket, status classes, and label
 * escaping as the Prometheus text format asks.
 */
#include <string.h>

#include "relay/relay_metrics.h"
#include "relay_test.h"

typedef struct bucket_case_t {
    const char *desc;
    apr_interval_time_t duration;
    const char *le;
} bucket_case_t;

static const bucket_case_t bucket_cases[] = {
    {"zero", 0, "0.005"},
    {"exactly 5 ms", 5000, "0.005"},
    {"just over 5 ms", 5001, "0.01"},
    {"250 ms", 250000, "0.25"},
    {"exactly 10 s", 10000000, "10"},
    {"over 10 s", 10000001, "+Inf"},
    {"an hour", apr_time_from_sec(3600), "+Inf"},
};

static int bucket_case(const bucket_case_t *c, apr_pool_t *pool)
{
    (void)pool;
    return !strcmp(relay_metrics_bucket_le(relay_metrics_bucket(c->duration)),
                   c->le);
}

typedef struct label_case_t {
    const char *desc;
    const char *in, *out;
} label_case_t;

static const label_case_t label_cases[] = {
    {"plain", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/"},
    {"quote", "a\"b", "a\\\"b"},
    {"backslash", "a\\b", "a\\\\b"},
    {"newline", "a\nb", "a\\nb"},
    {"empty", "", ""},
};

static int label_case(const label_case_t *c, apr_pool_t *pool)
{
    return !strcmp(relay_metrics_label(pool, c->in), c->out);
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i, ordered = 1;

    RELAY_TEST_TABLE(bucket_cases, bucket_case, "bucket", pool);
    RELAY_TEST_TABLE(label_cases, label_case, "label", pool);
    relay_test_ok(strcmp(relay_metrics_family(pool, "relay_x_total", "counter",
                                              "Things."),
                         "# HELP relay_x_total Things.\n"
                         "# TYPE relay_x_total counter\n") == 0,
                  "family: HELP then TYPE");
    for (i = 1; i < RELAY_METRICS_BUCKETS; i++) {
        ordered &= relay_metrics_bucket_le(i) != NULL;
    }
    relay_test_ok(ordered &&
                      relay_metrics_bucket_le(RELAY_METRICS_BUCKETS) == NULL,
                  "bucket bounds: every bucket named, none beyond");
    relay_test_ok(relay_metrics_status_class(200) == 1 &&
                      relay_metrics_status_class(101) == 0 &&
                      relay_metrics_status_class(599) == 4 &&
                      relay_metrics_status_class(99) == -1 &&
                      relay_metrics_status_class(600) == -1,
                  "status classes");
    return relay_test_done();
}
