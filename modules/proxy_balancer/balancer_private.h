/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Declarations shared by the files of Relay's mod_proxy_balancer: the
 * request path (mod_proxy_balancer.c), the background health checks
 * (balancer_hcheck.c) and the read-only status page and mod_status rows
 * (balancer_status.c). They reach mod_proxy only through
 * relay_proxy_api_t.
 */
#ifndef BALANCER_PRIVATE_H
#define BALANCER_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "relay_log.h"
#include "relay_proxy.h"

APLOG_USE_MODULE(proxy_balancer);

extern module AP_MODULE_DECLARE_DATA proxy_balancer_module;

/* mod_proxy's services, or NULL when it is not loaded. */
const relay_proxy_api_t *relay_balancer_api(void);

/* balancer_hcheck.c: post_config, starts the checks through mod_watchdog
 * when some member has hcmethod set. */
int relay_hcheck_post_config(apr_pool_t *pconf, server_rec *main_s);

/* balancer_status.c */
int relay_balancer_status_handler(request_rec *r);
void relay_balancer_status_register(void);

#endif
