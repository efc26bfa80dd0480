/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_reverse.c: ProxyPassReverse over a Location
 * value and ProxyPassReverseCookiePath/Domain over a Set-Cookie value, both
 * sent by a hostile origin, with rules the fuzzer builds too.
 *
 * Input: byte 0 gives the number of URL rules (0..3) in bits 0-1, of path
 * rules in bits 2-3 and of domain rules in bits 4-5; then NUL-separated
 * strings: the front end's base, the header value, the cookie, and two per
 * rule (URL rules: public path, origin URL; cookie rules: origin, public).
 * Besides crashes, the driver checks that a value no rule touches comes
 * back as it was, that a rewritten URL starts with the public side of a
 * rule, and that a cookie keeps its leading name=value pair.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "relay/relay_reverse.h"
#include "relay_fuzz.h"

/* Default ports for two schemes, so that both paths of the comparison
 * (a port filled in, none known) are reached. */
static long fuzz_port(const char *scheme, apr_size_t len)
{
    if (len == 4 && !strncasecmp(scheme, "http", 4)) {
        return 80;
    }
    return len == 5 && !strncasecmp(scheme, "https", 5) ? 443 : -1;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    unsigned counts = relay_fuzz_byte(&in);
    int nurl = counts & 3, npath = (counts >> 2) & 3,
        ndomain = (counts >> 4) & 3;
    relay_reverse_rule_t urls[3];
    relay_cookie_rule_t paths[3], domains[3];
    const char *base = relay_fuzz_string(&in, pool);
    const char *value = relay_fuzz_string(&in, pool);
    const char *cookie = relay_fuzz_string(&in, pool);
    const char *mapped, *pair_end;
    int i, from_rule = 0;

    for (i = 0; i < nurl; i++) {
        urls[i].public_path = relay_fuzz_string(&in, pool);
        urls[i].origin_url = relay_fuzz_string(&in, pool);
    }
    for (i = 0; i < npath; i++) {
        paths[i].origin = relay_fuzz_string(&in, pool);
        paths[i].public = relay_fuzz_string(&in, pool);
    }
    for (i = 0; i < ndomain; i++) {
        domains[i].origin = relay_fuzz_string(&in, pool);
        domains[i].public = relay_fuzz_string(&in, pool);
    }

    mapped = relay_reverse_map_url(pool, value, urls, nurl, base, fuzz_port);
    relay_fuzz_check(mapped != NULL, "a URL maps to something");
    if (mapped != value) {
        for (i = 0; i < nurl && !from_rule; i++) {
            from_rule =
                starts_with(mapped, urls[i].public_path) ||
                (starts_with(mapped, base) &&
                 starts_with(mapped + strlen(base), urls[i].public_path));
        }
        relay_fuzz_check(from_rule, "a rewritten URL starts with a rule");
    }
    relay_fuzz_check(
        relay_reverse_map_url(pool, value, urls, 0, base, fuzz_port) == value,
        "no rules, no change");

    mapped =
        relay_reverse_map_cookie(pool, cookie, paths, npath, domains, ndomain);
    relay_fuzz_check(mapped != NULL, "a cookie maps to something");
    pair_end = strchr(cookie, ';');
    if (pair_end != NULL) {
        apr_size_t n = (apr_size_t)(pair_end - cookie) + 1;

        relay_fuzz_check(strncmp(mapped, cookie, n) == 0,
                         "the cookie pair is kept");
    }
    else {
        relay_fuzz_check(mapped == cookie, "no attributes, no change");
    }
    relay_fuzz_check(relay_reverse_map_cookie(pool, cookie, NULL, 0, NULL, 0) ==
                         cookie,
                     "no cookie rules, no change");
    return relay_fuzz_done();
}
