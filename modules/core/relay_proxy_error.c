/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Causes of proxy failures and their Proxy-Status (RFC 9209) form.
 *
 * One table row per cause: Relay's name, the RFC 9209 §2.3 error type, and
 * a sentence safe to show a client. Where RFC 9209 has a precise type
 * Relay uses it (connection_refused §2.3.7, connection_timeout §2.3.9,
 * http_response_timeout §2.3.24, tls_certificate_error §2.3.14 ...); a
 * worker in error state or a balancer with no usable member is
 * destination_unavailable (§2.3.4), and a response that breaks HTTP/1.1's
 * rules without a more precise type is http_protocol_error (§2.3.26).
 */
#include <string.h>

#include <apr_strings.h>

#include "relay/relay_proxy_error.h"

typedef struct error_row_t {
    relay_proxy_error_t error;
    const char *name;
    const char *type;
    const char *text;
} error_row_t;

static const error_row_t rows[] = {
    {RELAY_PROXY_ERROR_NONE, NULL, NULL, NULL},
    {RELAY_PROXY_ERROR_DNS, "dns", "dns_error",
     "the origin's name could not be resolved"},
    {RELAY_PROXY_ERROR_REFUSED, "connect-refused", "connection_refused",
     "the origin refused the connection"},
    {RELAY_PROXY_ERROR_UNREACHABLE, "connect-unreachable",
     "destination_ip_unroutable", "the origin's address is unreachable"},
    {RELAY_PROXY_ERROR_CONNECT_TIMEOUT, "connect-timeout", "connection_timeout",
     "connecting to the origin timed out"},
    {RELAY_PROXY_ERROR_CONNECT_FAILED, "connect-failed",
     "destination_unavailable", "the origin could not be connected to"},
    {RELAY_PROXY_ERROR_WORKER_DOWN, "worker-down", "destination_unavailable",
     "the origin is marked unavailable after recent failures"},
    {RELAY_PROXY_ERROR_NO_MEMBER, "no-member", "destination_unavailable",
     "no origin of the balancer is available"},
    {RELAY_PROXY_ERROR_CONN_LIMIT, "connection-limit",
     "connection_limit_reached", "all connections to the origin are busy"},
    {RELAY_PROXY_ERROR_TLS_CERTIFICATE, "tls-certificate",
     "tls_certificate_error", "the origin's TLS certificate was not accepted"},
    {RELAY_PROXY_ERROR_TLS_PROTOCOL, "tls-protocol", "tls_protocol_error",
     "TLS with the origin failed"},
    {RELAY_PROXY_ERROR_SEND_FAILED, "send-failed", "connection_terminated",
     "the connection to the origin failed while sending the request"},
    {RELAY_PROXY_ERROR_SEND_TIMEOUT, "send-timeout", "connection_write_timeout",
     "sending the request to the origin timed out"},
    {RELAY_PROXY_ERROR_CLOSED, "closed", "connection_terminated",
     "the origin closed the connection before responding"},
    {RELAY_PROXY_ERROR_RESPONSE_TIMEOUT, "response-timeout",
     "http_response_timeout", "the origin did not respond in time"},
    {RELAY_PROXY_ERROR_INCOMPLETE, "response-incomplete",
     "http_response_incomplete", "the origin's response was incomplete"},
    {RELAY_PROXY_ERROR_MALFORMED, "response-malformed", "http_protocol_error",
     "the origin's response was malformed"},
    {RELAY_PROXY_ERROR_HEAD_TOO_LARGE, "response-head-too-large",
     "http_response_header_section_size",
     "the origin's response header section was too large"},
    {RELAY_PROXY_ERROR_TRANSFER_CODING, "response-transfer-coding",
     "http_response_transfer_coding",
     "the origin's response used an unsupported transfer coding"},
    {RELAY_PROXY_ERROR_CONFIGURATION, "configuration",
     "proxy_configuration_error", "the gateway is not configured for this"},
};

static const error_row_t *row_of(relay_proxy_error_t error)
{
    if ((int)error <= RELAY_PROXY_ERROR_NONE ||
        error >= RELAY_PROXY_ERROR_COUNT) {
        return NULL;
    }
    return &rows[error];
}

const char *relay_proxy_error_name(relay_proxy_error_t error)
{
    const error_row_t *row = row_of(error);

    return row ? row->name : NULL;
}

relay_proxy_error_t relay_proxy_error_parse(const char *name)
{
    int i;

    if (!name) {
        return RELAY_PROXY_ERROR_NONE;
    }
    for (i = 1; i < RELAY_PROXY_ERROR_COUNT; i++) {
        if (!strcmp(rows[i].name, name)) {
            return rows[i].error;
        }
    }
    return RELAY_PROXY_ERROR_NONE;
}

const char *relay_proxy_error_type(relay_proxy_error_t error)
{
    const error_row_t *row = row_of(error);

    return row ? row->type : NULL;
}

const char *relay_proxy_error_describe(relay_proxy_error_t error)
{
    const error_row_t *row = row_of(error);

    return row ? row->text : NULL;
}

relay_proxy_error_t relay_proxy_error_of_connect(apr_status_t rv)
{
    if (APR_STATUS_IS_TIMEUP(rv)) {
        return RELAY_PROXY_ERROR_CONNECT_TIMEOUT;
    }
    if (APR_STATUS_IS_ECONNREFUSED(rv)) {
        return RELAY_PROXY_ERROR_REFUSED;
    }
    if (APR_STATUS_IS_EHOSTUNREACH(rv) || APR_STATUS_IS_ENETUNREACH(rv)) {
        return RELAY_PROXY_ERROR_UNREACHABLE;
    }
    if (rv >= APR_OS_START_EAIERR &&
        rv < APR_OS_START_EAIERR + APR_OS_ERRSPACE_SIZE) {
        return RELAY_PROXY_ERROR_DNS; /* getaddrinfo() said why */
    }
    return RELAY_PROXY_ERROR_CONNECT_FAILED;
}

relay_proxy_error_t relay_proxy_error_of_response(relay_status_t st)
{
    switch (st) {
    case RELAY_OK:
    case RELAY_AGAIN:
        return RELAY_PROXY_ERROR_NONE;
    case RELAY_ETOOLARGE:
        return RELAY_PROXY_ERROR_HEAD_TOO_LARGE;
    case RELAY_EBADTE:
        return RELAY_PROXY_ERROR_TRANSFER_CODING;
    default:
        return RELAY_PROXY_ERROR_MALFORMED;
    }
}

/* RFC 8941 §3.3.4: sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" ). */
int relay_proxy_status_is_token(const char *name)
{
    const char *p;

    if (!name || !((*name >= 'a' && *name <= 'z') ||
                   (*name >= 'A' && *name <= 'Z') || *name == '*')) {
        return 0;
    }
    for (p = name + 1; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("!#$%&'*+-.^_`|~:/", *p))) {
            return 0;
        }
    }
    return 1;
}

/* RFC 8941 §3.3.3: an sf-string of the printable ASCII in `s`, with '"'
 * and '\' escaped; other bytes are left out. */
static const char *sf_string(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 3);
    char *o = out;

    *o++ = '"';
    for (; *s; s++) {
        if (*s < 0x20 || *s > 0x7e) {
            continue;
        }
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
        }
        *o++ = *s;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

const char *relay_proxy_status_value(apr_pool_t *p, const char *proxy_name,
                                     relay_proxy_error_t error, int details)
{
    const error_row_t *row = row_of(error);
    const char *name;

    if (!row || !proxy_name) {
        return NULL;
    }
    name = relay_proxy_status_is_token(proxy_name) ? proxy_name
                                                   : sf_string(p, proxy_name);
    if (!details) {
        return apr_pstrcat(p, name, "; error=", row->type, NULL);
    }
    return apr_pstrcat(p, name, "; error=", row->type,
                       "; details=", sf_string(p, row->text), NULL);
}
