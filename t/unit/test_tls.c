/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_tls.c: SSLProxyProtocol word lists into version sets
 * and ranges, the protocol word of SSLProxyCipherSuite, and IP literals.
 */
#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"

#include "relay/relay_tls.h"
#include "relay_test.h"

static const struct {
    const char *spec; /* words separated by spaces */
    int ok;
    unsigned mask;
} protocol_cases[] = {
    {"all -SSLv3", 1,
     RELAY_TLS_V1 | RELAY_TLS_V1_1 | RELAY_TLS_V1_2 | RELAY_TLS_V1_3},
    {"all", 1, RELAY_TLS_ALL},
    {"TLSv1.2", 1, RELAY_TLS_V1_2},
    {"tlsv1.3", 1, RELAY_TLS_V1_3},
    {"+TLSv1.2 +TLSv1.3", 1, RELAY_TLS_V1_2 | RELAY_TLS_V1_3},
    {"-all +TLSv1.3", 1, RELAY_TLS_V1_3},
    {"all -TLSv1 -TLSv1.1 -SSLv3", 1, RELAY_TLS_V1_2 | RELAY_TLS_V1_3},
    {"TLSv1 TLSv1.2", 1, RELAY_TLS_V1_2}, /* an unsigned word replaces */
    {"TLSv1.2 +TLSv1.1", 1, RELAY_TLS_V1_1 | RELAY_TLS_V1_2},
    {"TLSv1.4", 0, 0},
    {"all -SSLv2", 0, 0},
    {"+", 0, 0},
    {"", 0, 0},
};

static const struct {
    unsigned mask;
    int ok;
    unsigned lowest, highest;
} range_cases[] = {
    {RELAY_TLS_ALL, 1, RELAY_TLS_SSLV3, RELAY_TLS_V1_3},
    {RELAY_TLS_V1_2, 1, RELAY_TLS_V1_2, RELAY_TLS_V1_2},
    {RELAY_TLS_V1 | RELAY_TLS_V1_3, 1, RELAY_TLS_V1, RELAY_TLS_V1_3},
    {RELAY_TLS_V1_1 | RELAY_TLS_V1_2, 1, RELAY_TLS_V1_1, RELAY_TLS_V1_2},
    {0, 0, 0, 0},
    {0x100, 0, 0, 0},
};

static const struct {
    const char *protocol;
    relay_tls_ciphers_t target;
} cipher_cases[] = {
    {NULL, RELAY_TLS_CIPHERS_SSL},        {"SSL", RELAY_TLS_CIPHERS_SSL},
    {"ssl", RELAY_TLS_CIPHERS_SSL},       {"TLSv1.3", RELAY_TLS_CIPHERS_TLS13},
    {"tlsv1.3", RELAY_TLS_CIPHERS_TLS13}, {"TLSv1.2", RELAY_TLS_CIPHERS_BAD},
    {"", RELAY_TLS_CIPHERS_BAD},
};

static const struct {
    const char *host;
    int is_ip;
} ip_cases[] = {
    {"127.0.0.1", 1},
    {"0.0.0.0", 1},
    {"255.255.255.255", 1},
    {"::1", 1},
    {"::", 1},
    {"fe80::1:2", 1},
    {"2001:db8:0:0:0:0:2:1", 1},
    {"::ffff:192.0.2.1", 1},
    {"1:2:3:4:5:6:7::", 1},
    {"localhost", 0},
    {"origin.test", 0},
    {"1.2.3", 0},
    {"1.2.3.4.5", 0},
    {"256.1.1.1", 0},
    {"1.2.3.4a", 0},
    {"01234.1.1.1", 0},
    /* A leading zero: octal to the resolver, decimal to OpenSSL. */
    {"010.0.0.1", 0},
    {"127.0.0.01", 0},
    {"00.0.0.0", 0},
    {"62::1.21.3.02", 0},
    {"::ffff:10.0.0.1", 1},
    {"1..2.3", 0},
    {"1:2:3:4:5:6:7:8:9", 0},
    {"1::2::3", 0},
    {":1", 0},
    {"12345::1", 0},
    {"fe80::1%eth0", 0},
    {"1.2.3.4.example", 0},
    {"", 0},
};

int main(void)
{
    apr_pool_t *pool = relay_test_init();
    int i;

    for (i = 0; i < RELAY_TEST_COUNT(protocol_cases); i++) {
        char *words = apr_pstrdup(pool, protocol_cases[i].spec), *last;
        char *word = apr_strtok(words, " ", &last);
        unsigned mask = 0x80; /* must be replaced by the first word */
        int rc = word ? 0 : -1, first = 1;

        for (; word && rc == 0; word = apr_strtok(NULL, " ", &last)) {
            rc = relay_tls_protocol_word(word, first, &mask);
            first = 0;
        }
        relay_test_ok(protocol_cases[i].ok
                          ? rc == 0 && mask == protocol_cases[i].mask
                          : rc != 0,
                      "SSLProxyProtocol '%s'", protocol_cases[i].spec);
        if (rc == 0 && mask != protocol_cases[i].mask) {
            relay_test_diag("mask 0x%x, expected 0x%x", mask,
                            protocol_cases[i].mask);
        }
    }
    for (i = 0; i < RELAY_TEST_COUNT(range_cases); i++) {
        unsigned lo = 0, hi = 0;
        int rc = relay_tls_protocol_range(range_cases[i].mask, &lo, &hi);
        relay_test_ok(range_cases[i].ok
                          ? rc == 0 && lo == range_cases[i].lowest &&
                                hi == range_cases[i].highest
                          : rc != 0,
                      "range of 0x%x", range_cases[i].mask);
    }
    for (i = 0; i < RELAY_TEST_COUNT(cipher_cases); i++) {
        relay_test_ok(relay_tls_ciphers_target(cipher_cases[i].protocol) ==
                          cipher_cases[i].target,
                      "SSLProxyCipherSuite protocol '%s'",
                      cipher_cases[i].protocol ? cipher_cases[i].protocol
                                               : "(none)");
    }
    for (i = 0; i < RELAY_TEST_COUNT(ip_cases); i++) {
        /* A heap copy of exactly the string, so reads past it are caught. */
        size_t n = strlen(ip_cases[i].host) + 1;
        char *host = relay_test_dup(ip_cases[i].host, n);
        relay_test_ok(relay_tls_host_is_ip(host) == ip_cases[i].is_ip,
                      "'%s' is %san IP literal", ip_cases[i].host,
                      ip_cases[i].is_ip ? "" : "not ");
        free(host);
    }
    relay_test_ok(!relay_tls_host_is_ip(NULL), "NULL is not an IP literal");
    return relay_test_done();
}
