/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The workers in mod_status's /server-status: with ProxyStatus On or Full
 * in the server the page is asked of, a table of every worker of that
 * server with a slot (name, balancer, state, requests, errors, requests
 * in flight, bytes both ways, pooled connections in use and idle), read
 * from the shared slots, so the counts are those of every child process.
 * With ?auto, the same as "ProxyWorker[i]Field: value" lines after a
 * "ProxyWorkers: n" line.
 */
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "proxy_private.h"

#define RD64(f) apr_atomic_read64((volatile apr_uint64_t *)&(f))
#define RD32(f) apr_atomic_read32((volatile apr_uint32_t *)&(f))

/* "Ok", or "Err" while the worker is out of rotation (error state or
 * failed health checks). */
static const char *state_word(relay_worker_t *w, apr_time_t now)
{
    return relay_worker_is_usable(w, now) ? "Ok" : "Err";
}

static void worker_auto(request_rec *r, int i, relay_worker_t *w,
                        apr_time_t now)
{
    const relay_worker_shared_t *sl = w->shared;

    ap_rprintf(r, "ProxyWorker[%d]Name: %s\n", i, w->name);
    ap_rprintf(r, "ProxyWorker[%d]Balancer: %s\n", i,
               w->balancer ? w->balancer : "");
    ap_rprintf(r, "ProxyWorker[%d]Status: %s\n", i, state_word(w, now));
    ap_rprintf(r, "ProxyWorker[%d]Requests: %" APR_UINT64_T_FMT "\n", i,
               RD64(sl->requests));
    ap_rprintf(r, "ProxyWorker[%d]Errors: %" APR_UINT64_T_FMT "\n", i,
               RD64(sl->errors));
    ap_rprintf(r, "ProxyWorker[%d]Busy: %u\n", i, RD32(sl->busy));
    ap_rprintf(r, "ProxyWorker[%d]Sent: %" APR_UINT64_T_FMT "\n", i,
               RD64(sl->bytes_out));
    ap_rprintf(r, "ProxyWorker[%d]Rcvd: %" APR_UINT64_T_FMT "\n", i,
               RD64(sl->bytes_in));
    ap_rprintf(r, "ProxyWorker[%d]ConnsActive: %u\n", i,
               RD32(sl->conns_active));
    ap_rprintf(r, "ProxyWorker[%d]ConnsIdle: %u\n", i, RD32(sl->conns_idle));
}

static void worker_row(request_rec *r, relay_worker_t *w, apr_time_t now)
{
    const relay_worker_shared_t *sl = w->shared;

    ap_rprintf(r,
               "<tr><td>%s</td><td>%s</td><td>%s</td>"
               "<td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
               "</td><td>%u</td><td>%" APR_UINT64_T_FMT
               "</td><td>%" APR_UINT64_T_FMT "</td><td>%u</td><td>%u</td>"
               "</tr>\n",
               ap_escape_html(r->pool, w->name),
               ap_escape_html(r->pool, w->balancer ? w->balancer : ""),
               state_word(w, now), RD64(sl->requests), RD64(sl->errors),
               RD32(sl->busy), RD64(sl->bytes_out), RD64(sl->bytes_in),
               RD32(sl->conns_active), RD32(sl->conns_idle));
}

static int status_hook(request_rec *r, int flags)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    int short_form = flags & AP_STATUS_SHORT;
    apr_time_t now = apr_time_now();
    int i, n = 0;

    if (!sc->status) {
        return OK;
    }
    for (i = 0; i < sc->workers->nelts; i++) {
        n += APR_ARRAY_IDX(sc->workers, i, relay_worker_t *)->shared != NULL;
    }
    if (short_form) {
        ap_rprintf(r, "ProxyWorkers: %d\n", n);
    }
    else {
        ap_rputs("<hr />\n<h1>Proxy workers</h1>\n<table border=\"1\">\n"
                 "<tr><th>Worker URL</th><th>Balancer</th><th>Status</th>"
                 "<th>Requests</th><th>Errors</th><th>Busy</th>"
                 "<th>To origin</th><th>From origin</th>"
                 "<th>Active conns</th><th>Idle conns</th></tr>\n",
                 r);
    }
    for (i = 0, n = 0; i < sc->workers->nelts; i++) {
        relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
        if (!w->shared) {
            continue;
        }
        if (short_form) {
            worker_auto(r, n++, w, now);
        }
        else {
            worker_row(r, w, now);
        }
    }
    if (!short_form) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}

void relay_proxy_status_register(void)
{
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
