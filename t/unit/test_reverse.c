/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_reverse.c: ProxyPassReverse on URLs and paths, with
 * default ports and case rules, and the cookie Path and Domain rewriting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relay/relay_reverse.h"
#include "relay_test.h"

#define RULES(r) (r), RELAY_TEST_COUNT(r)

static const relay_reverse_rule_t main_rules[] = {
    {"/app/", "http://origin:8080/"},
    {"/", "http://backend/"},
    {"/docs/", "/internal/docs/"},
    {"https://public.example/ws/", "ws://origin/ws/"},
    {"/s", "https://secure.origin"},
    {"/v6/", "http://[::1]:8080/"},
    {"/w/", "wss://sock/"},
    {"/never/", ""},
};

static const relay_reverse_rule_t first_wins[] = {
    {"/one/", "http://o/"},
    {"/two/", "http://o/"},
};

static const relay_reverse_rule_t explicit_port[] = {
    {"/p/", "http://o:80/"},
};

static const relay_reverse_rule_t rule_with_path[] = {
    {"/p", "http://o/x"},
};

typedef struct url_case_t {
    const char *desc;
    const relay_reverse_rule_t *rules;
    int nrules;
    const char *front;
    const char *value;
    const char *expect; /* NULL: the value itself comes back */
} url_case_t;

#define FRONT "https://front.example"

static const url_case_t url_cases[] = {
    {"origin with port", RULES(main_rules), FRONT, "http://origin:8080/x?y",
     FRONT "/app/x?y"},
    {"scheme and host without case", RULES(main_rules), FRONT,
     "HTTP://ORIGIN:8080/x", FRONT "/app/x"},
    {"path keeps its case", RULES(main_rules), FRONT, "http://origin:8080/X/Y",
     FRONT "/app/X/Y"},
    {"other port does not match", RULES(main_rules), FRONT, "http://origin/x",
     NULL},
    {"default port absent in both", RULES(main_rules), FRONT,
     "http://backend/a", FRONT "/a"},
    {"rule without port matches :80", RULES(main_rules), FRONT,
     "http://backend:80/a", FRONT "/a"},
    {"rule without port, value :8080", RULES(main_rules), FRONT,
     "http://backend:8080/a", NULL},
    {"longer host does not match", RULES(main_rules), FRONT,
     "http://backend.evil/a", NULL},
    {"host with a suffix does not match", RULES(main_rules), FRONT,
     "http://backendx/a", NULL},
    {"value without path", RULES(main_rules), FRONT, "http://backend",
     FRONT "/"},
    {"value with query and no path", RULES(main_rules), FRONT,
     "http://backend?q=1", FRONT "/?q=1"},
    {"path rule on a path", RULES(main_rules), FRONT, "/internal/docs/page",
     FRONT "/docs/page"},
    {"path rule ignores absolute URLs", RULES(main_rules), FRONT,
     "http://other/internal/docs/page", NULL},
    {"path rule ignores network-path references", RULES(main_rules), FRONT,
     "//evil/internal/docs/x", NULL},
    {"path rule needs the whole prefix", RULES(main_rules), FRONT,
     "/internal/docsX", NULL},
    {"absolute public URL kept", RULES(main_rules), FRONT,
     "ws://origin/ws/chat", "https://public.example/ws/chat"},
    {"ws default port", RULES(main_rules), FRONT, "ws://origin:80/ws/chat",
     "https://public.example/ws/chat"},
    {"origin without path", RULES(main_rules), FRONT, "https://secure.origin/z",
     FRONT "/s/z"},
    {"https default port", RULES(main_rules), FRONT,
     "https://secure.origin:443/z", FRONT "/s/z"},
    {"http is not https", RULES(main_rules), FRONT, "http://secure.origin/z",
     NULL},
    {"https on port 80 is not https", RULES(main_rules), FRONT,
     "https://secure.origin:80/z", NULL},
    {"wss default port", RULES(main_rules), FRONT, "wss://sock:443/a",
     FRONT "/w/a"},
    {"IPv6 literal", RULES(main_rules), FRONT, "http://[::1]:8080/a",
     FRONT "/v6/a"},
    {"IPv6 literal, other port", RULES(main_rules), FRONT, "http://[::1]/a",
     NULL},
    {"userinfo is never rewritten", RULES(main_rules), FRONT,
     "http://user@backend/a", NULL},
    {"bad port is never rewritten", RULES(main_rules), FRONT,
     "http://backend:8x/a", NULL},
    {"empty value", RULES(main_rules), FRONT, "", NULL},
    {"relative reference", RULES(main_rules), FRONT, "page.html", NULL},
    {"no front base", RULES(main_rules), NULL, "http://backend/a", "/a"},
    {"no rules", NULL, 0, FRONT, "http://backend/a", NULL},
    {"first match wins", RULES(first_wins), FRONT, "http://o/x",
     FRONT "/one/x"},
    {"rule with :80 matches value without", RULES(explicit_port), FRONT,
     "http://o/x", FRONT "/p/x"},
    {"rule without port matches value with :80", RULES(rule_with_path), FRONT,
     "http://o:80/x/y", FRONT "/p/y"},
    {"rule path is a textual prefix", RULES(rule_with_path), FRONT,
     "http://o/xy", FRONT "/py"},
    {"rule path must match", RULES(rule_with_path), FRONT, "http://o/y", NULL},
};

static const relay_cookie_rule_t cookie_paths[] = {
    {"/internal/", "/app/"},
    {"/old", "/new"},
    {"", "/never/"},
};

static const relay_cookie_rule_t cookie_domains[] = {
    {"origin.example", "public.example"},
    {"backend", "front.example"},
    {"", "never.example"},
};

typedef struct cookie_case_t {
    const char *desc;
    const char *value;
    const char *expect; /* NULL: the value itself comes back */
} cookie_case_t;

static const cookie_case_t cookie_cases[] = {
    {"path and domain", "id=1; Path=/internal/x; Domain=origin.example",
     "id=1; Path=/app/x; Domain=public.example"},
    {"lower-case names, leading dot",
     "id=1; path=/internal/; domain=.origin.example; Secure",
     "id=1; path=/app/; domain=.public.example; Secure"},
    {"upper-case name", "id=1; PATH=/internal/a", "id=1; PATH=/app/a"},
    {"no spaces", "id=1;Path=/internal/a;HttpOnly",
     "id=1;Path=/app/a;HttpOnly"},
    {"whitespace kept byte for byte", "id=1;  Path \t= /internal/a ;Max-Age=3",
     "id=1;  Path \t= /app/a ;Max-Age=3"},
    {"Mypath= is not Path=", "id=1; Mypath=/internal/x", NULL},
    {"Paths= is not Path=", "id=1; Paths=/internal/x", NULL},
    {"the cookie-pair is never an attribute", "path=/internal/x; Secure", NULL},
    {"cookie named domain", "Domain=origin.example", NULL},
    {"subdomain", "id=1; Domain=www.origin.example",
     "id=1; Domain=www.public.example"},
    {"domain without case", "id=1; Domain=ORIGIN.EXAMPLE",
     "id=1; Domain=public.example"},
    {"domain suffix not on a label", "id=1; Domain=notorigin.example", NULL},
    {"domain with more labels", "id=1; Domain=origin.example.com", NULL},
    {"second domain rule", "id=1; Domain=backend",
     "id=1; Domain=front.example"},
    {"path prefix needed", "id=1; Path=/internalx", NULL},
    {"path with case", "id=1; Path=/INTERNAL/x", NULL},
    {"path prefix is textual", "id=1; Path=/oldish", "id=1; Path=/newish"},
    {"commas in Expires kept",
     "id=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/internal/",
     "id=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/app/"},
    {"= in the cookie value", "id=a=b; Path=/internal/", "id=a=b; Path=/app/"},
    {"two Path attributes", "id=1; Path=/internal/a; Path=/old",
     "id=1; Path=/app/a; Path=/new"},
    {"empty attributes", "id=1; ; domain=; path=;", NULL},
    {"non-ASCII kept", "id=\xc3\xa9; Path=/internal/\xc3\xa9",
     "id=\xc3\xa9; Path=/app/\xc3\xa9"},
    {"no attributes", "id=1", NULL},
    {"empty value", "", NULL},
};

/* The default ports of the web's schemes (RFC 9110 §4.2, RFC 6455 §3). */
static long web_port(const char *scheme, apr_size_t len)
{
    if ((len == 4 && !strncasecmp(scheme, "http", 4)) ||
        (len == 2 && !strncasecmp(scheme, "ws", 2))) {
        return 80;
    }
    if ((len == 5 && !strncasecmp(scheme, "https", 5)) ||
        (len == 3 && !strncasecmp(scheme, "wss", 3))) {
        return 443;
    }
    return -1;
}

/* A Set-Cookie value with `n` Path attributes, each one mapped. */
static char *many_paths(apr_size_t n, const char *path)
{
    apr_size_t each = strlen("; Path=") + strlen(path);
    char *v = malloc(4 + n * each + 1), *o = v;

    memcpy(o, "id=1", 4);
    o += 4;
    while (n-- > 0) {
        o += sprintf(o, "; Path=%s", path);
    }
    return v;
}

/*
 * `test_reverse --cookie N`: one Set-Cookie value with N Path attributes
 * mapped, as a hostile origin may send; no TAP output. t/unit/work_ratio.pl
 * counts its instructions at two sizes to show the work is linear in N.
 */
static int cookie_work(apr_size_t n)
{
    apr_pool_t *pool = relay_test_init();
    char *value = many_paths(n, "/internal/");
    const char *got = relay_reverse_map_cookie(pool, value, RULES(cookie_paths),
                                               RULES(cookie_domains));
    int ok = n == 0 || strlen(got) == strlen(value) - n * 5;

    free(value);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    int i;

    if (argc == 3 && strcmp(argv[1], "--cookie") == 0) {
        return cookie_work((apr_size_t)atol(argv[2]));
    }
    pool = relay_test_init();

    for (i = 0; i < RELAY_TEST_COUNT(url_cases); i++) {
        const url_case_t *c = &url_cases[i];
        const char *got = relay_reverse_map_url(pool, c->value, c->rules,
                                                c->nrules, c->front, web_port);
        int ok =
            c->expect != NULL ? strcmp(got, c->expect) == 0 : got == c->value;

        if (!relay_test_ok(ok, "map_url: %s", c->desc)) {
            relay_test_diag("got \"%s\"", got);
        }
    }
    for (i = 0; i < RELAY_TEST_COUNT(cookie_cases); i++) {
        const cookie_case_t *c = &cookie_cases[i];
        const char *got = relay_reverse_map_cookie(
            pool, c->value, RULES(cookie_paths), RULES(cookie_domains));
        int ok =
            c->expect != NULL ? strcmp(got, c->expect) == 0 : got == c->value;

        if (!relay_test_ok(ok, "map_cookie: %s", c->desc)) {
            relay_test_diag("got \"%s\"", got);
        }
    }
    {
        static const char value[] = "id=1; Path=/internal/";

        relay_test_ok(relay_reverse_map_cookie(pool, value, NULL, 0, NULL, 0) ==
                          value,
                      "map_cookie: no rules");
    }
    {
        /* A thousand attributes, every one mapped, in one pass. */
        char *value = many_paths(1000, "/internal/x"), *expect;
        const char *got = relay_reverse_map_cookie(
            pool, value, RULES(cookie_paths), RULES(cookie_domains));

        expect = many_paths(1000, "/app/x");
        relay_test_ok(strcmp(got, expect) == 0,
                      "map_cookie: a thousand Path attributes");
        free(value);
        free(expect);
    }
    return relay_test_done();
}
