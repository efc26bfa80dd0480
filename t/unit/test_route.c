/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_route.c: the router must pick the same rule as a
 * linear walk over the rules in order with relay_url_prefix_match() (the
 * reference), and cover the same number of bytes, for every path. Table
 * cases pin the tricky spots (slash runs, segment boundaries, first match
 * against longest match, the empty prefix); random rule sets built from a
 * few shared pieces, with paths made from the same pieces so that most of
 * them match something, check the rest with a fixed seed. Opaque rules
 * stand for ProxyPassMatch: the reference and the router's callback both
 * match them by a substring, and the callback must be called for exactly
 * the opaque rules before the winner, in order.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_route.h"
#include "relay/relay_url.h"
#include "relay_test.h"

#define MAX_RULES 2100
#define MAX_PATH 256

/* One rule of a test set: a prefix for a subject, or an opaque rule that
 * matches a path containing `needle` (of subject 0). */
typedef struct rule_t {
    int subject;
    const char *prefix; /* NULL: opaque */
    const char *needle;
} rule_t;

typedef struct set_t {
    int n;
    rule_t rules[MAX_RULES];
} set_t;

/* What the router's callback saw. */
typedef struct baton_t {
    const set_t *set;
    const char *path;
    int calls[MAX_RULES];
    int ncalls;
} baton_t;

static int try_opaque(void *b, int rule)
{
    baton_t *baton = b;

    baton->calls[baton->ncalls++] = rule;
    return strstr(baton->path, baton->set->rules[rule].needle) != NULL;
}

/* The reference: every rule in order, prefixes by relay_url_prefix_match. */
static int reference(const set_t *set, const char *const *paths, long *covered)
{
    int i;

    for (i = 0; i < set->n; i++) {
        const rule_t *r = &set->rules[i];
        if (r->prefix == NULL) {
            if (strstr(paths[0], r->needle) != NULL) {
                *covered = -1;
                return i;
            }
        }
        else {
            long c = relay_url_prefix_match(r->prefix, paths[r->subject]);
            if (c >= 0) {
                *covered = c;
                return i;
            }
        }
    }
    return -1;
}

static relay_route_t *build(apr_pool_t *pool, const set_t *set)
{
    relay_route_t *rt = relay_route_make(pool);
    int i;

    for (i = 0; i < set->n; i++) {
        int got =
            relay_route_add(rt, set->rules[i].subject, set->rules[i].prefix);
        if (got != i) {
            relay_test_diag("rule %d numbered %d", i, got);
        }
    }
    return rt;
}

/*
 * Checks one pair of paths against the reference, with relay_route_first
 * and, when there is no opaque rule in the way, relay_route_lookup too.
 * Returns 1 when everything agrees; otherwise prints why.
 */
static int agrees(const relay_route_t *rt, const set_t *set, const char *path,
                  const char *raw)
{
    const char *paths[RELAY_ROUTE_SUBJECTS];
    long want_cov = -2, got_cov = -2;
    int want, got, i, k = 0;
    baton_t baton;

    paths[0] = path;
    paths[1] = raw;
    want = reference(set, paths, &want_cov);
    baton.set = set;
    baton.path = path;
    baton.ncalls = 0;
    got = relay_route_first(rt, paths, try_opaque, &baton, &got_cov);
    if (got != want || (want >= 0 && got_cov != want_cov)) {
        relay_test_diag("path \"%s\" raw \"%s\": rule %d covering %ld, "
                        "want rule %d covering %ld",
                        path, raw, got, got_cov, want, want_cov);
        return 0;
    }
    /* The callback saw the opaque rules before the winner, in order. */
    for (i = 0; i < set->n && (want < 0 || i <= want); i++) {
        if (set->rules[i].prefix != NULL) {
            continue;
        }
        if (k >= baton.ncalls || baton.calls[k] != i) {
            relay_test_diag("path \"%s\": opaque rule %d not tried in order",
                            path, i);
            return 0;
        }
        k++;
    }
    if (k != baton.ncalls) {
        relay_test_diag("path \"%s\": %d opaque rules tried, want %d", path,
                        baton.ncalls, k);
        return 0;
    }
    /* relay_route_lookup: the first prefix rule of subject 0 alone. */
    {
        long c = -2, wc = -2;
        int w = -1;
        got = relay_route_lookup(rt, 0, path, &c);
        for (i = 0; i < set->n; i++) {
            const rule_t *r = &set->rules[i];
            if (r->prefix != NULL && r->subject == 0 &&
                (wc = relay_url_prefix_match(r->prefix, path)) >= 0) {
                w = i;
                break;
            }
        }
        if (got != w || (w >= 0 && c != wc)) {
            relay_test_diag("lookup \"%s\": rule %d covering %ld, want %d "
                            "covering %ld",
                            path, got, c, w, wc);
            return 0;
        }
    }
    return 1;
}

/* --------------------------------------------------------- table cases */

typedef struct table_case_t {
    const char *desc;
    const char *prefixes[8]; /* NULL-terminated; "~x" is opaque, needle x */
    const char *path;
    int expect;
    long covered;
} table_case_t;

static const table_case_t table_cases[] = {
    {"segment boundary", {"/app", "/apple", NULL}, "/apple", 1, 6},
    {"whole segment", {"/app", NULL}, "/app/x", 0, 4},
    {"no partial segment", {"/app", NULL}, "/app;x", -1, 0},
    {"first match, not longest", {"/a/", "/a/b/", NULL}, "/a/b/c", 0, 3},
    {"longer first", {"/a/b/", "/a/", NULL}, "/a/b/c", 0, 5},
    {"longer first, other path", {"/a/b/", "/a/", NULL}, "/a/c", 1, 3},
    {"slash runs in the path", {"/a/b", NULL}, "/a///b/c", 0, 6},
    {"slash runs in the prefix", {"//a//b", NULL}, "/a/b", 0, 4},
    {"trailing slash covers the run", {"/app/", NULL}, "/app//x", 0, 6},
    {"trailing slash needs one", {"/app/", NULL}, "/app", -1, 0},
    {"root", {"/", NULL}, "///x", 0, 3},
    {"root against empty", {"/", NULL}, "", -1, 0},
    {"empty prefix", {"/x", "", NULL}, "/y", 1, 0},
    {"empty prefix first", {"", "/x", NULL}, "/x", 0, 0},
    {"same prefix twice", {"/a/", "/b", "//a//", NULL}, "/a/z", 0, 3},
    {"same canonical prefix, later", {"/b", "/a//", "/a/", NULL}, "/a/z", 1, 3},
    {"no slash prefix", {"app", NULL}, "app/x", 0, 3},
    {"opaque before prefix", {"~gif", "/img/", NULL}, "/img/a.gif", 0, -1},
    {"opaque after prefix not tried",
     {"/img/", "~gif", NULL},
     "/img/a.gif",
     0,
     5},
    {"opaque not matching", {"~png", "/img/", NULL}, "/img/a.gif", 1, 5},
    {"only opaque", {"~x", "~a", NULL}, "/a", 1, -1},
    {"nothing", {"/b", "~z", NULL}, "/a", -1, 0},
    {"high bytes", {"/caf\xc3\xa9", NULL}, "/caf\xc3\xa9/x", 0, 6},
    {"case matters", {"/App", NULL}, "/app", -1, 0},
};

static int table_set(const table_case_t *c, set_t *set)
{
    int i;

    set->n = 0;
    for (i = 0; c->prefixes[i] != NULL; i++) {
        rule_t *r = &set->rules[set->n++];
        r->subject = 0;
        if (c->prefixes[i][0] == '~') {
            r->prefix = NULL;
            r->needle = c->prefixes[i] + 1;
        }
        else {
            r->prefix = c->prefixes[i];
            r->needle = NULL;
        }
    }
    return set->n;
}

/* -------------------------------------------------------- random cases */

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
    /* xorshift64*, fixed seed: the same cases on every run. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static const char *const pieces[] = {"a",  "ab", "app", "apple",   "b",
                                     "x",  "ap", "p",   "a.b",     "%2F",
                                     "a;", "1",  "12",  "\xc3\xa9"};

static void add_byte(char *buf, char c)
{
    size_t n = strlen(buf);

    buf[n] = c;
    buf[n + 1] = '\0';
}

static void add_slashes(char *buf)
{
    unsigned n = 1 + (rnd(4) == 0 ? rnd(3) : 0);

    while (n-- > 0) {
        strcat(buf, "/");
    }
}

/* A prefix: segments from the pieces between slash runs, mostly with a
 * leading slash, sometimes a trailing one. */
static void make_prefix(char *buf)
{
    unsigned segs = rnd(4), i;

    buf[0] = '\0';
    if (rnd(12) != 0) {
        add_slashes(buf);
    }
    for (i = 0; i < segs; i++) {
        if (i > 0) {
            add_slashes(buf);
        }
        strcat(buf, pieces[rnd(RELAY_TEST_COUNT(pieces))]);
    }
    if (segs > 0 && rnd(3) == 0) {
        add_slashes(buf);
    }
}

/* A path: often an existing prefix with its slash runs changed, cut short
 * or carried on with more pieces, else a fresh one. */
static void make_path(const set_t *set, char *buf)
{
    const rule_t *r = &set->rules[rnd((unsigned)set->n)];
    unsigned more, i;

    if (r->prefix != NULL && rnd(4) != 0) {
        const char *p = r->prefix;
        buf[0] = '\0';
        while (*p != '\0') {
            if (*p == '/') {
                while (*p == '/') {
                    p++;
                }
                add_slashes(buf);
            }
            else {
                add_byte(buf, *p++);
            }
        }
        if (rnd(5) == 0 && buf[0] != '\0') {
            buf[rnd((unsigned)strlen(buf))] = '\0';
        }
    }
    else {
        make_prefix(buf);
    }
    more = rnd(4);
    for (i = 0; i < more && strlen(buf) < MAX_PATH - 32; i++) {
        if (rnd(3) != 0) {
            add_slashes(buf);
        }
        strcat(buf, pieces[rnd(RELAY_TEST_COUNT(pieces))]);
    }
    if (rnd(6) == 0) {
        add_slashes(buf);
    }
}

/* A random set: prefixes for subject 0, some for subject 1 and some
 * opaque rules when asked. */
static void random_set(apr_pool_t *pool, set_t *set, int n, int mixed)
{
    int i;

    set->n = n;
    for (i = 0; i < n; i++) {
        rule_t *r = &set->rules[i];
        char buf[MAX_PATH];
        r->subject = mixed && rnd(5) == 0 ? 1 : 0;
        r->needle = NULL;
        if (mixed && rnd(6) == 0) {
            r->prefix = NULL;
            r->subject = 0;
            r->needle = pieces[rnd(RELAY_TEST_COUNT(pieces))];
            continue;
        }
        make_prefix(buf);
        r->prefix = apr_pstrdup(pool, buf);
    }
}

/* The raw path: the same path with its slash runs changed and now and
 * then a piece replaced, so the two subjects differ. */
static void make_raw(const char *path, char *raw)
{
    raw[0] = '\0';
    while (*path != '\0' && strlen(raw) < MAX_PATH - 8) {
        if (*path == '/') {
            while (*path == '/') {
                path++;
            }
            add_slashes(raw);
        }
        else if (rnd(20) == 0) {
            strcat(raw, "%2F");
            path++;
        }
        else {
            add_byte(raw, *path++);
        }
    }
}

static int random_cases(apr_pool_t *pool, int sets, int rules, int mixed,
                        int paths_per_set, long *cases)
{
    static set_t set;
    int s, ok = 1;

    for (s = 0; s < sets; s++) {
        apr_pool_t *sub;
        relay_route_t *rt;
        int p;
        apr_pool_create(&sub, pool);
        random_set(sub, &set, 1 + (int)rnd((unsigned)rules), mixed);
        rt = build(sub, &set);
        for (p = 0; p < paths_per_set; p++) {
            char path[MAX_PATH], raw[MAX_PATH];
            make_path(&set, path);
            make_raw(path, raw);
            (*cases)++;
            if (!agrees(rt, &set, path, raw)) {
                ok = 0;
            }
        }
        apr_pool_destroy(sub);
    }
    return ok;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    static set_t set;
    long cases;
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(table_cases); i++) {
        const table_case_t *c = &table_cases[i];
        relay_route_t *rt;
        const char *paths[RELAY_ROUTE_SUBJECTS] = {c->path, NULL};
        long covered = -2;
        int got, ok;
        size_t k, len = strlen(c->path);
        baton_t baton;

        table_set(c, &set);
        rt = build(pool, &set);
        baton.set = &set;
        baton.path = c->path;
        baton.ncalls = 0;
        got = relay_route_first(rt, paths, try_opaque, &baton, &covered);
        ok = got == c->expect && (got < 0 || covered == c->covered);
        if (!relay_test_ok(ok, "table: %s", c->desc)) {
            relay_test_diag("got rule %d covering %ld", got, covered);
        }
        /* Every cut of the path agrees with the reference too. */
        ok = 1;
        for (k = 0; k <= len; k++) {
            char *cut = apr_pstrmemdup(pool, c->path, k);
            ok &= agrees(rt, &set, cut, cut);
        }
        relay_test_ok(ok, "table: %s, the path cut at every byte", c->desc);
    }

    /* No rules at all, and NULL paths for unused subjects. */
    {
        relay_route_t *rt = relay_route_make(pool);
        const char *paths[RELAY_ROUTE_SUBJECTS] = {"/a", NULL};
        long covered = -2;
        baton_t baton = {NULL, "/a", {0}, 0};
        relay_test_ok(
            relay_route_first(rt, paths, try_opaque, &baton, &covered) == -1 &&
                relay_route_lookup(rt, 0, "/a", &covered) == -1 &&
                !relay_route_uses_subject(rt, 0) &&
                !relay_route_uses_subject(rt, 1),
            "empty router matches nothing");
        relay_route_add(rt, 1, "/a");
        relay_test_ok(relay_route_uses_subject(rt, 1) &&
                          !relay_route_uses_subject(rt, 0) &&
                          relay_route_first(rt, paths, try_opaque, &baton,
                                            &covered) == -1,
                      "a subject without a path matches nothing");
    }

    cases = 0;
    relay_test_ok(random_cases(pool, 300, 8, 0, 40, &cases),
                  "random: small prefix-only sets");
    relay_test_ok(random_cases(pool, 300, 40, 1, 40, &cases),
                  "random: sets mixing subjects and opaque rules");
    relay_test_ok(random_cases(pool, 4, 2000, 1, 1000, &cases),
                  "random: sets of up to 2000 rules");
    relay_test_ok(cases >= 10000, "random: %ld paths checked", cases);

    /* 2000 distinct prefixes, the one that matches last: found, and the
     * opaque callback never called when there is no opaque rule. */
    {
        relay_route_t *rt = relay_route_make(pool);
        const char *paths[RELAY_ROUTE_SUBJECTS] = {"/app1999/x", NULL};
        long covered = -2;
        baton_t baton = {NULL, "/app1999/x", {0}, 0};
        int got;
        for (i = 0; i < 2000; i++) {
            relay_route_add(rt, 0, apr_psprintf(pool, "/app%d/", i));
        }
        got = relay_route_first(rt, paths, try_opaque, &baton, &covered);
        relay_test_ok(got == 1999 && covered == 9 && baton.ncalls == 0,
                      "2000 prefixes: the last one found");
    }
    return relay_test_done();
}
