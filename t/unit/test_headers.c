/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_headers.c: hop-by-hop removal, list tokens, the
 * value and name checks, and appending to forwarding fields.
 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_headers.h"
#include "relay_test.h"

/* Builds a table from "Name: value\n..." (values may be empty). */
static apr_table_t *make_table(apr_pool_t *pool, const char *text)
{
    apr_table_t *t = apr_table_make(pool, 8);
    char *copy = apr_pstrdup(pool, text), *line, *state = NULL;

    for (line = apr_strtok(copy, "\n", &state); line != NULL;
         line = apr_strtok(NULL, "\n", &state)) {
        char *colon = strchr(line, ':');
        char *value = colon + 1;

        *colon = '\0';
        while (*value == ' ') {
            value++;
        }
        apr_table_add(t, line, value);
    }
    return t;
}

/* Serialises a table back to "Name: value\n...", in order. */
static const char *table_text(apr_pool_t *pool, const apr_table_t *t)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *out = "";
    int i;

    for (i = 0; i < arr->nelts; i++) {
        out = apr_pstrcat(pool, out, e[i].key, ": ", e[i].val, "\n", NULL);
    }
    return out;
}

typedef struct strip_case_t {
    const char *desc;
    const char *in;
    int keep_upgrade;
    const char *out;
} strip_case_t;

static const strip_case_t strip_cases[] = {
    {"fixed hop-by-hop fields go",
     "Connection: close\nKeep-Alive: timeout=5\nProxy-Connection: x\n"
     "TE: trailers\nTrailer: X\nTransfer-Encoding: chunked\n"
     "Upgrade: websocket\nHost: a\n",
     0, "Host: a\n"},
    {"field names are matched without case",
     "connection: close\nKEEP-ALIVE: 1\nte: x\nHost: a\n", 0, "Host: a\n"},
    {"Connection naming X-Forwarded-For removes it",
     "Connection: X-Forwarded-For\nX-Forwarded-For: 1.2.3.4\nHost: a\n", 0,
     "Host: a\n"},
    {"Connection tokens, any case, with OWS",
     "Connection: keep-alive ,\tx-secret , ,X-Other\nX-Secret: s\n"
     "x-other: o\nX-Kept: k\n",
     0, "X-Kept: k\n"},
    {"several Connection lines",
     "Connection: x-a\nX-A: 1\nConnection: X-B\nX-B: 2\nX-C: 3\n", 0,
     "X-C: 3\n"},
    {"every line of a named field goes",
     "Connection: x-a\nX-A: 1\nX-B: 2\nX-A: 3\n", 0, "X-B: 2\n"},
    {"token naming a prefix removes nothing else",
     "Connection: X-A\nX-AB: 1\nX-A: 2\n", 0, "X-AB: 1\n"},
    {"Upgrade kept when asked", "Connection: Upgrade\nUpgrade: websocket\n", 1,
     "Upgrade: websocket\n"},
    {"Upgrade removed otherwise", "Connection: Upgrade\nUpgrade: websocket\n",
     0, ""},
    {"end-to-end fields stay",
     "Content-Type: text/plain\nContent-Length: 3\nCache-Control: no-cache\n",
     0,
     "Content-Type: text/plain\nContent-Length: 3\nCache-Control: no-cache\n"},
    {"no Connection field", "Keep-Alive: 1\nA: b\n", 0, "A: b\n"},
    {"empty table", "", 0, ""},
};

typedef struct token_case_t {
    const char *value;
    const char *token;
    int expect;
} token_case_t;

static const token_case_t token_cases[] = {
    {"close", "close", 1},
    {"Close", "close", 1},
    {"keep-alive, Upgrade", "upgrade", 1},
    {"keep-alive,upgrade", "Upgrade", 1},
    {" \tupgrade\t ", "upgrade", 1},
    {"a, , b", "b", 1},
    {"upgrades", "upgrade", 0},
    {"upgrade2, x", "upgrade", 0},
    {"up grade", "upgrade", 0},
    {"", "close", 0},
    {"close", "", 0},
    {NULL, "close", 0},
};

typedef struct check_case_t {
    const char *in;
    int expect;
} check_case_t;

static const check_case_t safe_cases[] = {
    {"plain value", 1}, {"", 1},           {"tab\tinside", 1},
    {"\xc3\xa9", 1},    {"a\rb", 0},       {"a\nb", 0},
    {"a\r\nX: y", 0},   {"trailing\n", 0}, {NULL, 0},
};

static const check_case_t token_name_cases[] = {
    {"Content-Type", 1},
    {"x-a_b.c!#$%&'*+^`|~9", 1},
    {"", 0},
    {"a b", 0},
    {"a:b", 0},
    {"a\tb", 0},
    {"a\r", 0},
    {"caf\xc3\xa9", 0},
    {"(x)", 0},
    {NULL, 0},
};

typedef struct append_case_t {
    const char *desc;
    const char *in;
    const char *name;
    const char *value;
    const char *out;
} append_case_t;

static const append_case_t append_cases[] = {
    {"absent: added", "Host: a\n", "X-Forwarded-For", "1.2.3.4",
     "Host: a\nX-Forwarded-For: 1.2.3.4\n"},
    {"present: appended", "X-Forwarded-For: 10.0.0.1\n", "X-Forwarded-For",
     "1.2.3.4", "X-Forwarded-For: 10.0.0.1, 1.2.3.4\n"},
    {"name matched without case", "x-forwarded-for: 10.0.0.1\n",
     "X-Forwarded-For", "1.2.3.4", "x-forwarded-for: 10.0.0.1, 1.2.3.4\n"},
    {"several lines merged into one",
     "X-Forwarded-For: a\nHost: h\nX-Forwarded-For: b\n", "X-Forwarded-For",
     "c", "X-Forwarded-For: a, b, c\nHost: h\n"},
    {"empty old value replaced", "X-Forwarded-Host:\n", "X-Forwarded-Host",
     "front", "X-Forwarded-Host: front\n"},
};

typedef struct list_case_t {
    const char *value;
    const char *elements; /* the elements joined by '|' */
} list_case_t;

static const list_case_t list_cases[] = {
    {"a", "a"},
    {"a, b ,c", "a|b|c"},
    {" a ,\tb\t", "a|b"},
    {"a,,b", "a||b"},
    {"", ""},
    {",", "|"},
    {"keep-alive, Upgrade", "keep-alive|Upgrade"},
};

/* relay_header_list_next walks a list element by element. */
static void test_list_next(apr_pool_t *pool)
{
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(list_cases); i++) {
        const char *cursor = list_cases[i].value, *elt, *got = NULL;
        apr_size_t n;

        while (relay_header_list_next(&cursor, &elt, &n)) {
            const char *one = apr_pstrmemdup(pool, elt, n);
            got = got ? apr_pstrcat(pool, got, "|", one, NULL) : one;
        }
        relay_test_ok(got != NULL && !strcmp(got, list_cases[i].elements),
                      "list %s gives %s (got %s)",
                      relay_test_quote(pool, list_cases[i].value,
                                       strlen(list_cases[i].value)),
                      list_cases[i].elements, got ? got : "nothing");
    }
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(strip_cases); i++) {
        const strip_case_t *c = &strip_cases[i];
        apr_table_t *t = make_table(pool, c->in);
        const char *got;

        relay_headers_strip_hop_by_hop(t, c->keep_upgrade);
        got = table_text(pool, t);
        if (!relay_test_ok(strcmp(got, c->out) == 0, "strip: %s", c->desc)) {
            relay_test_diag("got %s", relay_test_quote(pool, got, strlen(got)));
        }
    }
    for (i = 0; i < RELAY_TEST_COUNT(token_cases); i++) {
        const token_case_t *c = &token_cases[i];

        relay_test_ok(relay_header_has_token(c->value, c->token) == c->expect,
                      "has_token: \"%s\" in \"%s\"", c->token,
                      c->value != NULL ? c->value : "(null)");
    }
    for (i = 0; i < RELAY_TEST_COUNT(safe_cases); i++) {
        const check_case_t *c = &safe_cases[i];
        const char *shown = c->in != NULL
                                ? relay_test_quote(pool, c->in, strlen(c->in))
                                : "NULL";

        relay_test_ok(relay_header_value_is_safe(c->in) == c->expect,
                      "value_is_safe: %s", shown);
    }
    for (i = 0; i < RELAY_TEST_COUNT(token_name_cases); i++) {
        const check_case_t *c = &token_name_cases[i];
        const char *shown = c->in != NULL
                                ? relay_test_quote(pool, c->in, strlen(c->in))
                                : "NULL";

        relay_test_ok(relay_header_name_is_token(c->in) == c->expect,
                      "name_is_token: %s", shown);
    }
    for (i = 0; i < RELAY_TEST_COUNT(append_cases); i++) {
        const append_case_t *c = &append_cases[i];
        apr_table_t *t = make_table(pool, c->in);
        const char *got;

        relay_header_append(t, c->name, c->value);
        got = table_text(pool, t);
        if (!relay_test_ok(strcmp(got, c->out) == 0, "append: %s", c->desc)) {
            relay_test_diag("got %s", relay_test_quote(pool, got, strlen(got)));
        }
    }
    test_list_next(pool);
    return relay_test_done();
}
