/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_cache_control.c: Cache-Control field values
 * and HTTP-dates, both straight from hostile origins and clients.
 *
 * Input: NUL-separated strings: a Cache-Control value, then an HTTP-date.
 * Besides crashes, the driver checks the promises of
 * relay/relay_cache_control.h: delta-seconds stay within
 * [0, RELAY_CC_DELTA_MAX] or unset; parsing a value in one call or split
 * at its first top-level comma into two lines gives the same directives;
 * a parsed date formats to an IMF-fixdate that parses back to the same
 * second.
 */
#include <string.h>

#include "relay/relay_cache_control.h"
#include "relay_fuzz.h"

static int delta_ok(apr_int64_t v)
{
    return v == RELAY_CC_UNSET || (v >= 0 && v <= RELAY_CC_DELTA_MAX);
}

/* The offset of the first comma outside a quoted string, or -1. */
static long top_level_comma(const char *s)
{
    int quoted = 0;
    long i;

    for (i = 0; s[i] != '\0'; i++) {
        if (quoted && s[i] == '\\' && s[i + 1] != '\0') {
            i++;
        }
        else if (s[i] == '"') {
            quoted = !quoted;
        }
        else if (!quoted && s[i] == ',') {
            return i;
        }
    }
    return -1;
}

static int same_directives(const relay_cache_control_t *a,
                           const relay_cache_control_t *b)
{
    return a->max_age == b->max_age && a->s_maxage == b->s_maxage &&
           a->max_stale == b->max_stale && a->min_fresh == b->min_fresh &&
           a->stale_while_revalidate == b->stale_while_revalidate &&
           a->stale_if_error == b->stale_if_error &&
           a->no_cache == b->no_cache && a->no_store == b->no_store &&
           a->private_ == b->private_ && a->public_ == b->public_ &&
           a->must_revalidate == b->must_revalidate &&
           a->only_if_cached == b->only_if_cached;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    const char *value = relay_fuzz_string(&in, pool);
    const char *date = relay_fuzz_string(&in, pool);
    relay_cache_control_t whole, split;
    char formatted[RELAY_HTTP_DATE_LEN + 1];
    apr_time_t t, back;
    long comma;

    relay_cache_control_init(&whole);
    relay_cache_control_parse(&whole, pool, value, strlen(value));
    relay_fuzz_check(delta_ok(whole.max_age) && delta_ok(whole.s_maxage) &&
                         delta_ok(whole.max_stale) &&
                         delta_ok(whole.min_fresh) &&
                         delta_ok(whole.stale_while_revalidate) &&
                         delta_ok(whole.stale_if_error),
                     "delta-seconds within range");

    comma = top_level_comma(value);
    if (comma >= 0) {
        relay_cache_control_init(&split);
        relay_cache_control_parse(&split, pool, value, (apr_size_t)comma);
        relay_cache_control_parse(&split, pool, value + comma + 1,
                                  strlen(value + comma + 1));
        relay_fuzz_check(same_directives(&whole, &split),
                         "one line or two lines give the same directives");
    }

    if (relay_http_date_parse(date, strlen(date), &t)) {
        relay_http_date_format(formatted, t);
        relay_fuzz_check(
            relay_http_date_parse(formatted, strlen(formatted), &back) &&
                apr_time_sec(back) == apr_time_sec(t),
            "a parsed date formats and parses back");
    }
    return relay_fuzz_done();
}
