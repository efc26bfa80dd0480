/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The client's request body, read through the request's input filters:
 * streamed piece by piece to a sink (relay_body_read), or read whole
 * before it is sent, for the origins that must
 * be told its length up front when the client did not (proxy-sendcl, an
 * HTTP/1.0 origin, a FastCGI application that wants CONTENT_LENGTH). The
 * first RELAY_BODY_SPOOL_MEMORY bytes stay in memory, the rest goes to a
 * temporary file deleted with the request: a large body never sits in
 * memory whole.
 */
#ifndef RELAY_BODY_SPOOL_H
#define RELAY_BODY_SPOOL_H

#include "httpd.h"
#include "apr_buckets.h"

#define RELAY_BODY_SPOOL_MEMORY 16384

typedef apr_status_t (*relay_body_sink_t)(void *baton, const char *data,
                                          apr_size_t len);

/*
 * Reads r's body (pieces of up to `read_size` bytes, into `bb`, which is
 * left empty) and hands each piece to `sink` in order. Returns
 * APR_SUCCESS at its end, or the failure with *client_failed telling
 * whether reading the client failed (else the sink did).
 */
apr_status_t relay_body_read(request_rec *r, apr_bucket_brigade *bb,
                             apr_size_t read_size, relay_body_sink_t sink,
                             void *baton, int *client_failed);

typedef struct relay_body_spool_t relay_body_spool_t;

/*
 * Reads r's body through its input filters (pieces of up to `read_size`
 * bytes, into `bb`, which is left empty) and keeps it. Returns
 * APR_SUCCESS with *out set, or the failure with *client_failed telling
 * whether reading the client failed (else keeping the body did).
 */
apr_status_t relay_body_spool_read(request_rec *r, apr_bucket_brigade *bb,
                                   apr_size_t read_size,
                                   relay_body_spool_t **out,
                                   int *client_failed);

apr_off_t relay_body_spool_length(const relay_body_spool_t *spool);

/* Hands the kept body to `sink`, in order, from its first byte; may be
 * called again (a retried exchange). Stops at the first failure. */
apr_status_t relay_body_spool_replay(relay_body_spool_t *spool,
                                     relay_body_sink_t sink, void *baton);

#endif
