/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_hcheck.c: parameters overlay and defaults, method
 * names, which statuses pass, and the transitions: out of rotation after
 * hcfails failures in a row, back after hcpasses passes in a row, a run
 * broken by the other result starting over.
 */
#include <string.h>

#include "relay/relay_hcheck.h"
#include "relay_test.h"

typedef struct hc_case_t {
    const char *desc;
    int passes, fails;  /* hcpasses, hcfails */
    int failed;         /* the member's state before the probes */
    const char *probes; /* 'p' passed, 'f' failed, in order */
    const char *expect; /* per probe: '.' same, 'D' down, 'U' up */
} hc_case_t;

static const hc_case_t cases[] = {
    {"one failure takes a member out (hcfails=1)", 1, 1, 0, "f", "D"},
    {"three failures needed (hcfails=3)", 1, 3, 0, "ffpfff", ".....D"},
    {"a pass brings it back (hcpasses=1)", 1, 1, 1, "p", "U"},
    {"two passes in a row needed (hcpasses=2)", 2, 1, 1, "pfpp", "...U"},
    {"a healthy member stays", 1, 1, 0, "ppp", "..."},
    {"a failed member stays out while failing", 1, 1, 1, "fff", "..."},
};

static int run_case(const hc_case_t *c, apr_pool_t *pool)
{
    relay_hc_params_t hc;
    unsigned int passes = 0, fails = 0;
    int failed = c->failed;
    size_t i;

    (void)pool;
    relay_hc_params_unset(&hc);
    relay_hc_params_finish(&hc);
    hc.passes = c->passes;
    hc.fails = c->fails;
    for (i = 0; c->probes[i]; i++) {
        relay_hc_change_t ch =
            relay_hc_record(&hc, failed, c->probes[i] == 'p', &passes, &fails);
        char got = ch == RELAY_HC_DOWN ? 'D' : ch == RELAY_HC_UP ? 'U' : '.';
        if (got != c->expect[i]) {
            relay_test_diag("probe %u: got %c", (unsigned)i, got);
            return 0;
        }
        if (ch == RELAY_HC_DOWN) {
            failed = 1;
        }
        else if (ch == RELAY_HC_UP) {
            failed = 0;
        }
    }
    return 1;
}

static void test_params(void)
{
    relay_hc_params_t base, add;
    relay_hc_method_t m;

    relay_hc_params_unset(&base);
    relay_hc_params_unset(&add);
    add.method = RELAY_HC_GET;
    add.fails = 3;
    base.uri = "/health";
    relay_hc_params_overlay(&base, &add);
    relay_hc_params_finish(&base);
    relay_test_ok(base.method == RELAY_HC_GET && base.fails == 3 &&
                      base.passes == RELAY_HC_DEFAULT_PASSES &&
                      !strcmp(base.uri, "/health") &&
                      base.interval == RELAY_HC_DEFAULT_INTERVAL &&
                      base.timeout == RELAY_HC_DEFAULT_TIMEOUT,
                  "overlay keeps what the member sets, defaults the rest");
    relay_hc_params_unset(&base);
    relay_hc_params_finish(&base);
    relay_test_ok(base.method == RELAY_HC_NONE, "no method: no checks");
    relay_hc_params_unset(&base);
    base.interval = apr_time_from_msec(300);
    relay_hc_params_finish(&base);
    relay_test_ok(base.timeout == apr_time_from_msec(300),
                  "the default timeout is at most the interval");
    relay_test_ok(!relay_hc_method_parse("head", &m) && m == RELAY_HC_HEAD,
                  "method names parse without case");
    relay_test_ok(relay_hc_method_parse("GET12", &m) == -1 &&
                      relay_hc_method_parse("", &m) == -1,
                  "unknown method refused");
    relay_test_ok(!relay_hc_method_parse("get11", &m) && m == RELAY_HC_GET11 &&
                      relay_hc_method_is_http11(m) &&
                      !strcmp(relay_hc_method_verb(m), "GET") &&
                      !strcmp(relay_hc_method_name(m), "GET11"),
                  "GET11: GET over HTTP/1.1");
    relay_test_ok(!relay_hc_method_parse("OPTIONS11", &m) &&
                      !strcmp(relay_hc_method_verb(m), "OPTIONS") &&
                      !relay_hc_method_parse("HEAD11", &m) &&
                      !strcmp(relay_hc_method_verb(m), "HEAD"),
                  "OPTIONS11 and HEAD11");
    relay_test_ok(!relay_hc_method_parse("HEAD", &m) &&
                      !relay_hc_method_is_http11(m) &&
                      !strcmp(relay_hc_method_verb(m), "HEAD"),
                  "HEAD: over HTTP/1.0");
    relay_test_ok(!strcmp(relay_hc_method_name(RELAY_HC_TCP), "TCP"),
                  "method name");
    relay_test_ok(relay_hc_status_passes(200) && relay_hc_status_passes(302) &&
                      !relay_hc_status_passes(404) &&
                      !relay_hc_status_passes(503) &&
                      !relay_hc_status_passes(101),
                  "2xx and 3xx pass, the rest fails");
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    test_params();
    RELAY_TEST_TABLE(cases, run_case, "transitions", pool);
    return relay_test_done();
}
