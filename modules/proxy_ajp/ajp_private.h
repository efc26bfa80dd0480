/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Declarations shared by the files of Relay's mod_proxy_ajp: the state of
 * one AJP/1.3 exchange (the forward request and the body out, the
 * container's packets back).
 */
#ifndef AJP_PRIVATE_H
#define AJP_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "relay_proxy.h"
#include "relay_log.h"
#include "relay_error_note.h"
#include "relay_exchange.h"
#include "relay/relay_ajp.h"

APLOG_USE_MODULE(proxy_ajp);

typedef struct ajp_exchange_t {
    relay_proxy_req_t *pr;
    const relay_proxy_api_t *api;
    request_rec *r;
    relay_conn_t *conn;
    int reused;            /* the connection came from the pool */
    apr_size_t max_packet; /* the packet size agreed with the container */
    char *out;             /* a packet being written, max_packet bytes */
    char *in;              /* the reader's packet buffer, max_packet bytes */
    apr_bucket_brigade *bb;
    int has_body;     /* the client request has a body */
    int body_done;    /* its end (the empty packet) was sent */
    int body_started; /* some of it was read from the client */
} ajp_exchange_t;

/* ajp_request.c: the FORWARD_REQUEST, the body chunks the container asks
 * for, and CPing. Return APR statuses; *status (when given) the HTTP
 * status a refusal answers with. */
apr_status_t ajp_send_request(ajp_exchange_t *ex, int *status);
apr_status_t ajp_send_body_chunk(ajp_exchange_t *ex, apr_size_t want);
apr_status_t ajp_cping(ajp_exchange_t *ex);

/* ajp_response.c: reads the container's packets and relays the response.
 * Returns OK or the HTTP status to answer with. */
int ajp_relay_response(ajp_exchange_t *ex);

#endif
