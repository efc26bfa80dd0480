/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Why a proxied request failed, as Relay's proxy modules tell it: one
 * cause per failure, named for logs and request notes, and its error type
 * of the Proxy-Status response field (RFC 9209 §2.3), which clients and
 * CDNs understand. Pure functions over APR statuses, the core's parse
 * results and constant tables; the strings returned are static.
 */
#ifndef RELAY_PROXY_ERROR_H
#define RELAY_PROXY_ERROR_H

#include <apr_errno.h>
#include <apr_pools.h>

#include "relay/relay_status.h"

typedef enum relay_proxy_error_e {
    RELAY_PROXY_ERROR_NONE = 0,
    RELAY_PROXY_ERROR_DNS,              /* the origin's name did not resolve */
    RELAY_PROXY_ERROR_REFUSED,          /* the origin refused the connection */
    RELAY_PROXY_ERROR_UNREACHABLE,      /* no route to the origin's address */
    RELAY_PROXY_ERROR_CONNECT_TIMEOUT,  /* connecting took too long */
    RELAY_PROXY_ERROR_CONNECT_FAILED,   /* any other failure to connect */
    RELAY_PROXY_ERROR_WORKER_DOWN,      /* worker in error state, not tried */
    RELAY_PROXY_ERROR_NO_MEMBER,        /* no usable balancer member */
    RELAY_PROXY_ERROR_CONN_LIMIT,       /* all max= connections busy */
    RELAY_PROXY_ERROR_TLS_CERTIFICATE,  /* origin certificate not accepted */
    RELAY_PROXY_ERROR_TLS_PROTOCOL,     /* TLS handshake or record failed */
    RELAY_PROXY_ERROR_SEND_FAILED,      /* the request could not be sent */
    RELAY_PROXY_ERROR_SEND_TIMEOUT,     /* sending the request timed out */
    RELAY_PROXY_ERROR_CLOSED,           /* closed before any response byte */
    RELAY_PROXY_ERROR_RESPONSE_TIMEOUT, /* no response within the timeout */
    RELAY_PROXY_ERROR_INCOMPLETE,       /* closed inside the head or body */
    RELAY_PROXY_ERROR_MALFORMED,        /* response violates HTTP/1.1 */
    RELAY_PROXY_ERROR_HEAD_TOO_LARGE,   /* header block or line over limit */
    RELAY_PROXY_ERROR_TRANSFER_CODING,  /* a coding Relay cannot decode */
    RELAY_PROXY_ERROR_CONFIGURATION,    /* configuration forbids the request */
    RELAY_PROXY_ERROR_COUNT
} relay_proxy_error_t;

/* Relay's name of a cause ("connect-refused" ...), or NULL for NONE and
 * out-of-range values. */
const char *relay_proxy_error_name(relay_proxy_error_t error);

/* The cause named `name` (as relay_proxy_error_name gives it), or
 * RELAY_PROXY_ERROR_NONE when `name` is NULL or names none. */
relay_proxy_error_t relay_proxy_error_parse(const char *name);

/* The RFC 9209 error type of a cause ("connection_refused" ...), or NULL
 * for NONE and out-of-range values. */
const char *relay_proxy_error_type(relay_proxy_error_t error);

/* A fixed English sentence about a cause, naming no host, address or
 * configuration, so that it may go to clients; NULL for NONE. */
const char *relay_proxy_error_describe(relay_proxy_error_t error);

/* The cause of a failed connect (name lookup included) from its status:
 * APR_TIMEUP, ECONNREFUSED, EHOSTUNREACH/ENETUNREACH, a getaddrinfo()
 * error, or anything else. */
relay_proxy_error_t relay_proxy_error_of_connect(apr_status_t rv);

/* The cause of a response the core's parser or framing rules refused. */
relay_proxy_error_t relay_proxy_error_of_response(relay_status_t st);

/*
 * The Proxy-Status field value for a response Relay generated because of
 * `error` (RFC 9209 §2): `proxy_name` as an sf-token when it is one, else
 * as an sf-string, then `; error=<type>` and, with `details`, `;
 * details="<describe>"`. NULL for NONE or a NULL `proxy_name`.
 */
const char *relay_proxy_status_value(apr_pool_t *p, const char *proxy_name,
                                     relay_proxy_error_t error, int details);

/* True when `name` is a non-empty sf-token (RFC 8941 §3.3.4). */
int relay_proxy_status_is_token(const char *name);

#endif
