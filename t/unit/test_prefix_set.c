/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_prefix_set.c (and the trie nodes under it): a walk
 * must report exactly the members a linear scan with strncmp finds, in
 * the same order (shorter first, equal strings in the order added), and
 * stop when asked. Table cases pin the edges (the empty member, equal
 * members, a member longer than the string); random sets built from a few
 * shared pieces check the rest with a fixed seed, up to 2,000 members.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_prefix_set.h"
#include "relay_test.h"

#define MAX_MEMBERS 2100

typedef struct seen_t {
    int members[MAX_MEMBERS];
    int n;
    int stop_after; /* stop the walk after this many; 0: never */
} seen_t;

static int collect(void *baton, int member)
{
    seen_t *seen = baton;

    seen->members[seen->n++] = member;
    return seen->stop_after && seen->n >= seen->stop_after;
}

/* The reference: members that prefix `s`, by length, then by number. */
static void reference(const char *const *strings, int count, const char *s,
                      seen_t *out)
{
    size_t len, slen = strlen(s);
    int i;

    out->n = 0;
    for (len = 0; len <= slen; len++) {
        for (i = 0; i < count; i++) {
            if (strlen(strings[i]) == len && !strncmp(strings[i], s, len)) {
                out->members[out->n++] = i;
            }
        }
    }
}

static int same(const seen_t *a, const seen_t *b)
{
    return a->n == b->n &&
           !memcmp(a->members, b->members, (size_t)a->n * sizeof(int));
}

static relay_prefix_set_t *build(apr_pool_t *pool, const char *const *strings,
                                 int count)
{
    relay_prefix_set_t *set = relay_prefix_set_make(pool);
    int i;

    for (i = 0; i < count; i++) {
        if (relay_prefix_set_add(set, strings[i]) != i) {
            return NULL;
        }
    }
    return set;
}

/* Walks `s` and compares with the reference; diagnoses a difference. */
static int agrees(const relay_prefix_set_t *set, const char *const *strings,
                  int count, const char *s)
{
    seen_t got = {{0}, 0, 0}, want = {{0}, 0, 0};

    relay_prefix_set_walk(set, s, collect, &got);
    reference(strings, count, s, &want);
    if (!same(&got, &want)) {
        relay_test_diag("'%s': %d members found, %d expected", s, got.n,
                        want.n);
        return 0;
    }
    return 1;
}

typedef struct table_case_t {
    const char *desc;
    const char *members[6];
    const char *subject;
    int expect[6]; /* member numbers in walk order, -1 ends */
} table_case_t;

static const table_case_t table_cases[] = {
    {"no member matches", {"http://a/", "http://b/"}, "http://c/x", {-1}},
    {"shorter members first",
     {"http://a/x/y", "http://a/", "http://a/x"},
     "http://a/x/y/z",
     {1, 2, 0, -1}},
    {"the empty member matches everything", {"x", ""}, "abc", {1, -1}},
    {"equal members in the order added",
     {"http://a/", "http://b/", "http://a/"},
     "http://a/p",
     {0, 2, -1}},
    {"a member longer than the string does not match",
     {"http://a/path", "http://a/pat"},
     "http://a/pat",
     {1, -1}},
    {"bytes compare exactly (case matters)",
     {"http://A/", "http://a/"},
     "http://a/",
     {1, -1}},
    {"an empty string matches only the empty member", {"", "a"}, "", {0, -1}},
};

static int table_case(const table_case_t *c, apr_pool_t *pool)
{
    int count = 0, i, ok;
    relay_prefix_set_t *set;
    seen_t got = {{0}, 0, 0};

    while (count < 6 && c->members[count] != NULL) {
        count++;
    }
    set = build(pool, c->members, count);
    if (set == NULL) {
        return 0;
    }
    relay_prefix_set_walk(set, c->subject, collect, &got);
    ok = 1;
    for (i = 0; i < 6 && c->expect[i] != -1; i++) {
        ok &= i < got.n && got.members[i] == c->expect[i];
    }
    return ok && got.n == i && agrees(set, c->members, count, c->subject);
}

static const char *const pieces[] = {"http://", "a", "b", "/", "x", "y", ":"};
#define NPIECES ((int)(sizeof(pieces) / sizeof(pieces[0])))

static const char *random_string(apr_pool_t *pool, int max_pieces)
{
    int n = rand() % (max_pieces + 1), i;
    const char *s = "";

    for (i = 0; i < n; i++) {
        s = apr_pstrcat(pool, s, pieces[rand() % NPIECES], NULL);
    }
    return s;
}

/* `sets` random sets of up to `members` members, `probes` strings each. */
static int random_cases(apr_pool_t *pool, int sets, int members, int probes,
                        long *checked)
{
    static const char *strings[MAX_MEMBERS];
    int ok = 1, s, i;

    for (s = 0; s < sets; s++) {
        int count = 1 + rand() % members;
        relay_prefix_set_t *set;
        for (i = 0; i < count; i++) {
            strings[i] = random_string(pool, 6);
        }
        set = build(pool, strings, count);
        if (set == NULL) {
            return 0;
        }
        for (i = 0; i < probes; i++) {
            ok &= agrees(set, strings, count, random_string(pool, 9));
            (*checked)++;
        }
    }
    return ok;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    long checked = 0;

    RELAY_TEST_TABLE(table_cases, table_case, "table", pool);

    /* A walk stops when the callback asks. */
    {
        static const char *const strings[] = {"", "h", "ht", "htt"};
        relay_prefix_set_t *set = build(pool, strings, 4);
        seen_t got = {{0}, 0, 2};
        int stopped = relay_prefix_set_walk(set, "http", collect, &got);
        relay_test_ok(stopped && got.n == 2 && got.members[1] == 1,
                      "the walk stops when the callback returns non-zero");
        got.n = 0;
        got.stop_after = 0;
        relay_test_ok(!relay_prefix_set_walk(set, "http", collect, &got) &&
                          got.n == 4,
                      "a full walk returns zero");
    }

    srand(20261127);
    relay_test_ok(random_cases(pool, 300, 10, 40, &checked),
                  "random: small sets");
    relay_test_ok(random_cases(pool, 3, 2000, 1000, &checked),
                  "random: sets of up to 2000 members");
    relay_test_ok(checked >= 12000, "random: %ld strings checked", checked);
    return relay_test_done();
}
