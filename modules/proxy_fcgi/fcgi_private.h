/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Declarations shared by the files of Relay's mod_proxy_fcgi: its
 * per-directory settings, and the state of one FastCGI exchange (the
 * request's environment and body out as records, the CGI response back).
 */
#ifndef FCGI_PRIVATE_H
#define FCGI_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_expr.h"

#include "relay_proxy.h"
#include "relay_log.h"
#include "relay_error_note.h"
#include "relay_exchange.h"
#include "relay_body_spool.h"

APLOG_USE_MODULE(proxy_fcgi);

extern module AP_MODULE_DECLARE_DATA proxy_fcgi_module;

/* The one request id Relay uses on a connection (no multiplexing). */
#define FCGI_REQUEST_ID 1

/* ProxyFCGIBackendType */
typedef enum fcgi_backend_e {
    FCGI_BACKEND_UNSET = 0,
    FCGI_BACKEND_FPM,
    FCGI_BACKEND_GENERIC
} fcgi_backend_t;

/* One ProxyFCGISetEnvIf line. */
typedef struct fcgi_env_fixup_t {
    ap_expr_info_t *cond;
    ap_expr_info_t *value; /* string expression; NULL when unsetting */
    const char *name;
} fcgi_env_fixup_t;

typedef struct fcgi_dir_conf_t {
    fcgi_backend_t backend;
    apr_array_header_t *fixups; /* fcgi_env_fixup_t, in order */
} fcgi_dir_conf_t;

/* fcgi_config.c */
void *fcgi_create_dir_conf(apr_pool_t *p, char *dir);
void *fcgi_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
extern const command_rec fcgi_cmds[];

typedef struct fcgi_exchange_t {
    relay_proxy_req_t *pr;
    const relay_proxy_api_t *api;
    request_rec *r;
    relay_conn_t *conn;
    const fcgi_dir_conf_t *dc;
    apr_bucket_brigade *bb;
    int keep_conn; /* FCGI_KEEP_CONN asked: the backend leaves it open */
    const char *redirect_to;   /* a local Location to serve instead */
    relay_body_spool_t *spool; /* the body kept for proxy-sendcl, or NULL */
} fcgi_exchange_t;

/* fcgi_env.c: fills r->subprocess_env with the CGI/1.1 environment the
 * backend gets. */
void fcgi_env_build(fcgi_exchange_t *ex);

/* fcgi_request.c: fcgi_spool_body reads a chunked body whole under
 * proxy-sendcl (relay_body_spool.h; before the environment is made, which then
 * tells its length); fcgi_send_request sends BEGIN_REQUEST, the PARAMS
 * and the STDIN stream. Both return OK or the HTTP status to answer
 * with. */
int fcgi_spool_body(fcgi_exchange_t *ex);
int fcgi_send_request(fcgi_exchange_t *ex);

/* fcgi_response.c: reads the backend's records and relays the CGI
 * response. Returns OK or the HTTP status to answer with; sets
 * ex->redirect_to when the application asked for an internal redirect. */
int fcgi_relay_response(fcgi_exchange_t *ex);

#endif
