/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_proxy_error.c: each cause's RFC 9209 type, names that
 * read back, connect statuses and parse results mapped onto causes, and the
 * Proxy-Status field value with tokens, strings and details.
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_proxy_error.h"
#include "relay_test.h"

typedef struct type_case_t {
    const char *desc;
    relay_proxy_error_t error;
    const char *type;
} type_case_t;

static const type_case_t type_cases[] = {
    {"none has no type", RELAY_PROXY_ERROR_NONE, NULL},
    {"dns", RELAY_PROXY_ERROR_DNS, "dns_error"},
    {"refused", RELAY_PROXY_ERROR_REFUSED, "connection_refused"},
    {"unreachable", RELAY_PROXY_ERROR_UNREACHABLE, "destination_ip_unroutable"},
    {"connect timeout", RELAY_PROXY_ERROR_CONNECT_TIMEOUT,
     "connection_timeout"},
    {"other connect failure", RELAY_PROXY_ERROR_CONNECT_FAILED,
     "destination_unavailable"},
    {"worker down", RELAY_PROXY_ERROR_WORKER_DOWN, "destination_unavailable"},
    {"no member", RELAY_PROXY_ERROR_NO_MEMBER, "destination_unavailable"},
    {"connection limit", RELAY_PROXY_ERROR_CONN_LIMIT,
     "connection_limit_reached"},
    {"tls certificate", RELAY_PROXY_ERROR_TLS_CERTIFICATE,
     "tls_certificate_error"},
    {"tls protocol", RELAY_PROXY_ERROR_TLS_PROTOCOL, "tls_protocol_error"},
    {"send failed", RELAY_PROXY_ERROR_SEND_FAILED, "connection_terminated"},
    {"send timeout", RELAY_PROXY_ERROR_SEND_TIMEOUT,
     "connection_write_timeout"},
    {"closed", RELAY_PROXY_ERROR_CLOSED, "connection_terminated"},
    {"response timeout", RELAY_PROXY_ERROR_RESPONSE_TIMEOUT,
     "http_response_timeout"},
    {"incomplete", RELAY_PROXY_ERROR_INCOMPLETE, "http_response_incomplete"},
    {"malformed", RELAY_PROXY_ERROR_MALFORMED, "http_protocol_error"},
    {"head too large", RELAY_PROXY_ERROR_HEAD_TOO_LARGE,
     "http_response_header_section_size"},
    {"transfer coding", RELAY_PROXY_ERROR_TRANSFER_CODING,
     "http_response_transfer_coding"},
    {"configuration", RELAY_PROXY_ERROR_CONFIGURATION,
     "proxy_configuration_error"},
    {"out of range", RELAY_PROXY_ERROR_COUNT, NULL},
    {"negative", (relay_proxy_error_t)-1, NULL},
};

static int check_type(const type_case_t *c, apr_pool_t *p)
{
    const char *got = relay_proxy_error_type(c->error);

    (void)p;
    if (!c->type || !got) {
        return got == c->type;
    }
    return !strcmp(got, c->type);
}

typedef struct connect_case_t {
    const char *desc;
    apr_status_t rv;
    relay_proxy_error_t error;
} connect_case_t;

static const connect_case_t connect_cases[] = {
    {"timeup", APR_TIMEUP, RELAY_PROXY_ERROR_CONNECT_TIMEOUT},
    {"econnrefused", APR_ECONNREFUSED, RELAY_PROXY_ERROR_REFUSED},
    {"ehostunreach", APR_EHOSTUNREACH, RELAY_PROXY_ERROR_UNREACHABLE},
    {"enetunreach", APR_ENETUNREACH, RELAY_PROXY_ERROR_UNREACHABLE},
    {"getaddrinfo error", APR_OS_START_EAIERR + 2, RELAY_PROXY_ERROR_DNS},
    {"econnreset", APR_ECONNRESET, RELAY_PROXY_ERROR_CONNECT_FAILED},
    {"egeneral", APR_EGENERAL, RELAY_PROXY_ERROR_CONNECT_FAILED},
};

static int check_connect(const connect_case_t *c, apr_pool_t *p)
{
    (void)p;
    return relay_proxy_error_of_connect(c->rv) == c->error;
}

typedef struct response_case_t {
    const char *desc;
    relay_status_t st;
    relay_proxy_error_t error;
} response_case_t;

static const response_case_t response_cases[] = {
    {"ok is no error", RELAY_OK, RELAY_PROXY_ERROR_NONE},
    {"again is no error", RELAY_AGAIN, RELAY_PROXY_ERROR_NONE},
    {"bad status line", RELAY_EBADSTATUS, RELAY_PROXY_ERROR_MALFORMED},
    {"bad header", RELAY_EBADHEADER, RELAY_PROXY_ERROR_MALFORMED},
    {"too large", RELAY_ETOOLARGE, RELAY_PROXY_ERROR_HEAD_TOO_LARGE},
    {"bad length", RELAY_EBADLENGTH, RELAY_PROXY_ERROR_MALFORMED},
    {"duplicate length", RELAY_EDUPLENGTH, RELAY_PROXY_ERROR_MALFORMED},
    {"length and te", RELAY_ELENGTHTE, RELAY_PROXY_ERROR_MALFORMED},
    {"unknown coding", RELAY_EBADTE, RELAY_PROXY_ERROR_TRANSFER_CODING},
    {"bad chunk", RELAY_EBADCHUNK, RELAY_PROXY_ERROR_MALFORMED},
    {"obs-fold", RELAY_EOBSFOLD, RELAY_PROXY_ERROR_MALFORMED},
};

static int check_response(const response_case_t *c, apr_pool_t *p)
{
    (void)p;
    return relay_proxy_error_of_response(c->st) == c->error;
}

typedef struct value_case_t {
    const char *desc;
    const char *name;
    relay_proxy_error_t error;
    int details;
    const char *value;
} value_case_t;

static const value_case_t value_cases[] = {
    {"token name", "relay", RELAY_PROXY_ERROR_REFUSED, 0,
     "relay; error=connection_refused"},
    {"host name is a token", "gw1.example.com:8080",
     RELAY_PROXY_ERROR_RESPONSE_TIMEOUT, 0,
     "gw1.example.com:8080; error=http_response_timeout"},
    {"IP address becomes a string", "192.0.2.1", RELAY_PROXY_ERROR_WORKER_DOWN,
     0, "\"192.0.2.1\"; error=destination_unavailable"},
    {"quote and backslash escaped, control left out", "a \"b\"\\\tc",
     RELAY_PROXY_ERROR_MALFORMED, 0,
     "\"a \\\"b\\\"\\\\c\"; error=http_protocol_error"},
    {"details", "relay", RELAY_PROXY_ERROR_TLS_CERTIFICATE, 1,
     "relay; error=tls_certificate_error; details=\"the origin's TLS "
     "certificate was not accepted\""},
    {"no error, no value", "relay", RELAY_PROXY_ERROR_NONE, 0, NULL},
    {"no name, no value", NULL, RELAY_PROXY_ERROR_REFUSED, 0, NULL},
};

static int check_value(const value_case_t *c, apr_pool_t *p)
{
    const char *got =
        relay_proxy_status_value(p, c->name, c->error, c->details);

    if (!c->value || !got) {
        return got == c->value;
    }
    if (strcmp(got, c->value)) {
        relay_test_diag("got '%s'", got);
        return 0;
    }
    return 1;
}

/* Every cause has a unique name that parses back, and a description. */
static void check_names(void)
{
    int i, j;

    for (i = 1; i < RELAY_PROXY_ERROR_COUNT; i++) {
        const char *name = relay_proxy_error_name((relay_proxy_error_t)i);
        int ok = name && (int)relay_proxy_error_parse(name) == i &&
                 relay_proxy_error_describe((relay_proxy_error_t)i);
        for (j = 1; ok && j < i; j++) {
            ok = strcmp(name, relay_proxy_error_name((relay_proxy_error_t)j));
        }
        relay_test_ok(ok, "name of cause %d: %s", i, name ? name : "(null)");
    }
    relay_test_ok(relay_proxy_error_parse("no-such-cause") ==
                          RELAY_PROXY_ERROR_NONE &&
                      relay_proxy_error_parse(NULL) == RELAY_PROXY_ERROR_NONE &&
                      !relay_proxy_error_name(RELAY_PROXY_ERROR_NONE),
                  "unknown names and NONE");
}

int main(void)
{
    apr_pool_t *p = relay_test_init();

    RELAY_TEST_TABLE(type_cases, check_type, "type", p);
    RELAY_TEST_TABLE(connect_cases, check_connect, "connect", p);
    RELAY_TEST_TABLE(response_cases, check_response, "response", p);
    RELAY_TEST_TABLE(value_cases, check_value, "value", p);
    check_names();
    relay_test_ok(relay_proxy_status_is_token("*a/b:c") &&
                      !relay_proxy_status_is_token("") &&
                      !relay_proxy_status_is_token("1a") &&
                      !relay_proxy_status_is_token("a b"),
                  "sf-token rules");
    return relay_test_done();
}
