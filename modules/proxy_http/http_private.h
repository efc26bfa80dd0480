/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Declarations shared by the files of Relay's mod_proxy_http: the state of
 * one exchange with an origin (request out, response back) and the steps
 * that move it along.
 */
#ifndef HTTP_PRIVATE_H
#define HTTP_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "relay_proxy.h"
#include "relay_log.h"
#include "relay_error_note.h"
#include "relay_exchange.h"
#include "relay_body_spool.h"
#include "relay/relay_response.h"

APLOG_USE_MODULE(proxy_http);

/* Outcomes of the steps below besides APR statuses. */
#define RELAY_HTTP_RETRY (-100) /* reused connection died first: retry */

/* How the request body goes to the origin. */
typedef enum {
    RELAY_HTTP_BODY_NONE = 0,
    RELAY_HTTP_BODY_LENGTH,  /* streamed, with the client's Content-Length */
    RELAY_HTTP_BODY_CHUNKED, /* streamed in chunks of the pieces read */
    RELAY_HTTP_BODY_SPOOLED  /* read whole first, sent with its length */
} relay_http_body_t;

typedef struct relay_http_exchange_t {
    relay_proxy_req_t *pr;
    const relay_proxy_api_t *api;
    request_rec *r;
    relay_conn_t *conn;
    int reused;                 /* conn came from the pool */
    const char *upgrade;        /* protocol asked for and allowed, or NULL */
    int expect_100;             /* Expect: 100-continue sent upstream */
    int ping;                   /* ... as the worker's ping= probe */
    relay_http_body_t body;     /* how the request body is sent */
    relay_body_spool_t *spool;  /* the body, for RELAY_HTTP_BODY_SPOOLED */
    int extra_crlf;             /* proxy-sendextracrlf: CRLF after a body */
    int body_started;           /* some body bytes were read from the client */
    int http10;                 /* talk HTTP/1.0 (force-proxy-request-1.0) */
    int keepalive;              /* ask the origin to keep the connection */
    int interim;                /* interim (1xx) responses read so far */
    relay_response_head_t head; /* the final (or 101) response head */
    apr_bucket_brigade *bb;
} relay_http_exchange_t;

/* http_request.c */
int relay_http_check_max_forwards(request_rec *r);
apr_status_t relay_http_send_head(relay_http_exchange_t *ex);
int relay_http_send_body(relay_http_exchange_t *ex);
/* Notes why sending the request failed (status `rv`) and gives the
 * client's status: 504 for a timeout, else 502. */
int relay_http_send_failure(relay_http_exchange_t *ex, apr_status_t rv);

/* http_response.c */
int relay_http_read_response(relay_http_exchange_t *ex);
int relay_http_wait_continue(relay_http_exchange_t *ex, int *got_final);
int relay_http_relay_response(relay_http_exchange_t *ex);

/* http_tunnel.c */
int relay_http_tunnel(relay_http_exchange_t *ex);

#endif
