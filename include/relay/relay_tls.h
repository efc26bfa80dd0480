/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The parts of TLS-to-origin configuration that need neither httpd nor
 * OpenSSL: the protocol list of SSLProxyProtocol, the optional protocol
 * word of SSLProxyCipherSuite, and telling an IP literal from a host name
 * (an IP origin gets no SNI and is checked against IP SANs, RFC 6066 §3,
 * RFC 6125 §6.2). mod_proxy_ssl turns the results into OpenSSL settings.
 */
#ifndef RELAY_TLS_H
#define RELAY_TLS_H

/* Protocol versions, as bits of a set. */
#define RELAY_TLS_SSLV3 0x01
#define RELAY_TLS_V1 0x02
#define RELAY_TLS_V1_1 0x04
#define RELAY_TLS_V1_2 0x08
#define RELAY_TLS_V1_3 0x10
#define RELAY_TLS_ALL                                                          \
    (RELAY_TLS_SSLV3 | RELAY_TLS_V1 | RELAY_TLS_V1_1 | RELAY_TLS_V1_2 |        \
     RELAY_TLS_V1_3)

/*
 * Parses one word of SSLProxyProtocol ("all", "SSLv3", "TLSv1", "TLSv1.1",
 * "TLSv1.2", "TLSv1.3", case-insensitive, optionally after + or -) into
 * the set *mask. A word without a sign replaces the set (as in mod_ssl);
 * `first` tells whether it is the first word, so that a signed first word
 * starts from the empty set. Returns 0, or -1 for an unknown word.
 */
int relay_tls_protocol_word(const char *word, int first, unsigned *mask);

/*
 * The lowest and highest version in `mask`, as one of the bits above.
 * Returns 0, or -1 when the set is empty.
 */
int relay_tls_protocol_range(unsigned mask, unsigned *lowest,
                             unsigned *highest);

/* Which list SSLProxyCipherSuite [protocol] spec sets. */
typedef enum relay_tls_ciphers_e {
    RELAY_TLS_CIPHERS_BAD = -1,
    RELAY_TLS_CIPHERS_SSL = 0,  /* "SSL" or none: TLSv1.2 and below */
    RELAY_TLS_CIPHERS_TLS13 = 1 /* "TLSv1.3": the TLSv1.3 suites */
} relay_tls_ciphers_t;

/* Classifies the protocol word of SSLProxyCipherSuite (NULL: none). */
relay_tls_ciphers_t relay_tls_ciphers_target(const char *protocol);

/* True when `host` (without brackets) is an IPv4 or IPv6 literal. */
int relay_tls_host_is_ip(const char *host);

#endif
