/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * What Relay's mod_proxy_hcheck offers the modules that run health
 * checks (mod_proxy parses hctemplate= and hcexpr=, mod_proxy_balancer
 * runs the checks): the named templates of ProxyHCTemplate and the named
 * conditions of ProxyHCExpr. It registers one relay_hcheck_api_t in
 * RELAY_HCHECK_GROUP under the name "default"; without mod_proxy_hcheck
 * there is none, and hctemplate=/hcexpr= are refused at startup.
 * Names are global to the configuration, as the lines that use them may
 * sit in any virtual host.
 */
#ifndef RELAY_HCHECK_API_H
#define RELAY_HCHECK_API_H

#include "httpd.h"
#include "apr_tables.h"

#define RELAY_HCHECK_GROUP "relay-hcheck"
#define RELAY_HCHECK_VERSION "1"

typedef struct relay_hcheck_api_t {
    /* The key=value words of ProxyHCTemplate `name` (defined before the
     * line that asks), or NULL. */
    const char *(*template_words)(const char *name);
    /* Whether ProxyHCExpr `name` is defined. */
    int (*expr_defined)(const char *name);
    /*
     * Evaluates ProxyHCExpr `name` over a check's answer (status, header
     * fields, body as read, up to a bound): 1 when the member passes,
     * else 0 with *why saying so (a false condition, or an error in it).
     */
    int (*expr_passes)(server_rec *s, apr_pool_t *p, const char *name,
                       int status, apr_table_t *headers, const char *body,
                       apr_size_t body_len, const char **why);
} relay_hcheck_api_t;

#endif
