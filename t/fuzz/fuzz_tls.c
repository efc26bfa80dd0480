/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * libFuzzer driver for relay_tls.c: SSLProxyProtocol words, the protocol
 * word of SSLProxyCipherSuite, and the IP-literal test that decides
 * whether an origin's name goes out as SNI and which SANs it must match.
 *
 * Input: NUL-separated strings: a host, then SSLProxyProtocol words.
 * Besides crashes, the driver checks that a protocol set stays inside the
 * known versions and that its range lies in it, and that the IP test
 * agrees with inet_pton(), whose reading the resolver and OpenSSL share.
 */
#include <arpa/inet.h>
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_tls.h"
#include "relay_fuzz.h"

static void check_host(const char *host)
{
    unsigned char addr[16];
    int relay = relay_tls_host_is_ip(host);

    if (strchr(host, ':') != NULL) {
        relay_fuzz_check(relay == (inet_pton(AF_INET6, host, addr) == 1),
                         "IPv6 literal as inet_pton reads it");
    }
    else {
        relay_fuzz_check(relay == (inet_pton(AF_INET, host, addr) == 1),
                         "IPv4 literal as inet_pton reads it");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool = relay_fuzz_pool();
    relay_fuzz_input_t in = {data, size};
    const char *host = relay_fuzz_string(&in, pool);
    unsigned mask = 0, low, high;
    int first = 1, ok = 1;

    check_host(host);
    relay_tls_ciphers_target(host);

    while (in.n > 0) {
        const char *word = relay_fuzz_string(&in, pool);

        if (relay_tls_protocol_word(word, first, &mask) == 0) {
            first = 0;
        }
        else {
            ok = 0;
        }
        relay_fuzz_check((mask & ~(unsigned)RELAY_TLS_ALL) == 0,
                         "protocol set within the known versions");
    }
    if (ok && relay_tls_protocol_range(mask, &low, &high) == 0) {
        relay_fuzz_check((mask & low) && (mask & high) && low <= high,
                         "range within the set");
        relay_fuzz_check((low & (low - 1)) == 0 && (high & (high - 1)) == 0,
                         "range ends are single versions");
    }
    return relay_fuzz_done();
}
