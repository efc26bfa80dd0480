/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * What every scheme handler does with its origin connection and the
 * client's response, whatever the protocol (mod_proxy_http,
 * mod_proxy_fcgi, mod_proxy_ajp): write whole buffers, read the next
 * bytes into the connection's buffer, pass body pieces on, cut a broken
 * response off, and decide ProxyErrorOverride.
 */
#ifndef RELAY_EXCHANGE_H
#define RELAY_EXCHANGE_H

#include "httpd.h"
#include "apr_buckets.h"

#include "relay_proxy.h"

/* Writes all of buf[0..len) to the origin (counted in conn->bytes_out). */
apr_status_t relay_exchange_send_all(relay_conn_t *conn, const char *buf,
                                     apr_size_t len);

/* Reads the next bytes the origin sends into conn->buf (from its start;
 * buf_pos and buf_len set). APR_EOF when the origin closed, another
 * status when the read failed or timed out. */
apr_status_t relay_exchange_fill(relay_conn_t *conn);

/* Passes what `bb` holds to the client, with a FLUSH when `flush` or
 * flushpackets=on; empties bb. APR_ECONNABORTED when the client is gone. */
apr_status_t relay_exchange_pass(relay_proxy_req_t *pr, apr_bucket_brigade *bb,
                                 int flush);

/* Ends a response the origin broke off after its head went out: an error
 * bucket and EOS, so the client's connection is closed and the response
 * never looks complete; the origin connection is not reused. */
void relay_exchange_cut_off(relay_proxy_req_t *pr, relay_conn_t *conn,
                            apr_bucket_brigade *bb);

/* Whether ProxyErrorOverride answers `status` instead of the origin. */
int relay_exchange_error_override(const relay_proxy_req_t *pr, int status);

#endif
