/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * TLS-to-origin configuration logic that needs neither httpd nor OpenSSL
 * (see relay/relay_tls.h): SSLProxyProtocol words into a version set and
 * range, the protocol word of SSLProxyCipherSuite, and IP literals.
 */
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "relay/relay_tls.h"

static const struct {
    const char *name;
    unsigned bits;
} protocols[] = {
    {"all", RELAY_TLS_ALL},      {"SSLv3", RELAY_TLS_SSLV3},
    {"TLSv1", RELAY_TLS_V1},     {"TLSv1.1", RELAY_TLS_V1_1},
    {"TLSv1.2", RELAY_TLS_V1_2}, {"TLSv1.3", RELAY_TLS_V1_3},
};

int relay_tls_protocol_word(const char *word, int first, unsigned *mask)
{
    char sign = *word == '+' || *word == '-' ? *word++ : 0;
    size_t i;

    for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (!strcasecmp(word, protocols[i].name)) {
            break;
        }
    }
    if (i == sizeof(protocols) / sizeof(protocols[0])) {
        return -1;
    }
    if (first) {
        *mask = 0;
    }
    if (sign == '-') {
        *mask &= ~protocols[i].bits;
    }
    else if (sign == '+') {
        *mask |= protocols[i].bits;
    }
    else {
        *mask = protocols[i].bits;
    }
    return 0;
}

int relay_tls_protocol_range(unsigned mask, unsigned *lowest, unsigned *highest)
{
    unsigned bit;

    mask &= RELAY_TLS_ALL;
    if (!mask) {
        return -1;
    }
    for (bit = RELAY_TLS_SSLV3; !(mask & bit); bit <<= 1) {
    }
    *lowest = bit;
    for (bit = RELAY_TLS_V1_3; !(mask & bit); bit >>= 1) {
    }
    *highest = bit;
    return 0;
}

relay_tls_ciphers_t relay_tls_ciphers_target(const char *protocol)
{
    if (!protocol || !strcasecmp(protocol, "SSL")) {
        return RELAY_TLS_CIPHERS_SSL;
    }
    if (!strcasecmp(protocol, "TLSv1.3")) {
        return RELAY_TLS_CIPHERS_TLS13;
    }
    return RELAY_TLS_CIPHERS_BAD;
}

/*
 * Dotted quad: four decimal numbers up to 255, no leading sign and no
 * leading zero (as inet_pton). "010.0.0.1" is not one: the resolver reads
 * it as octal (8.0.0.1) while OpenSSL's IP check reads it as decimal, so
 * taking it for a literal would verify one address and connect to another.
 */
static int is_ipv4(const char *s)
{
    int parts = 0;

    for (;;) {
        int digits = 0, value = 0;
        const char *start = s;
        while (apr_isdigit(*s) && digits < 4) {
            value = value * 10 + (*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || value > 255 ||
            (digits > 1 && *start == '0')) {
            return 0;
        }
        parts++;
        if (*s == '\0') {
            return parts == 4;
        }
        if (*s++ != '.' || parts == 4) {
            return 0;
        }
    }
}

/* IPv6 text form (RFC 4291 §2.2): hex groups, one "::", an optional
 * trailing dotted quad, and no zone index. */
static int is_ipv6(const char *s)
{
    int groups = 0, compressed = 0;

    if (s[0] == ':' && s[1] == ':') {
        compressed = 1;
        s += 2;
        if (*s == '\0') {
            return 1;
        }
    }
    else if (*s == ':') {
        return 0;
    }
    for (;;) {
        const char *start = s;
        while (apr_isxdigit(*s) && s - start < 5) {
            s++;
        }
        if (s == start || s - start > 4) {
            return 0;
        }
        if (*s == '.') {
            return is_ipv4(start) && groups + 2 + (compressed ? 1 : 0) <= 8 &&
                   (compressed || groups + 2 == 8);
        }
        groups++;
        if (*s == '\0') {
            return compressed ? groups < 8 : groups == 8;
        }
        if (*s++ != ':') {
            return 0;
        }
        if (*s == ':') {
            if (compressed) {
                return 0;
            }
            compressed = 1;
            s++;
            if (*s == '\0') {
                return groups < 8;
            }
        }
    }
}

int relay_tls_host_is_ip(const char *host)
{
    if (!host || !*host) {
        return 0;
    }
    return strchr(host, ':') ? is_ipv6(host) : is_ipv4(host);
}
