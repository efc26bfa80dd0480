/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * What the balancers look like now, read from the shared slots: the
 * `balancer-manager` handler (read-only: a page, or with ?auto one
 * "Key: value" line per field; any method but GET and HEAD is refused,
 * there are no write operations) and, with ProxyStatus On or Full, the
 * same rows in mod_status's /server-status (its ?auto lines too).
 */
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "balancer_private.h"

/* The member's state, as words ("Ok", "Err Drn" ...). */
static const char *state_words(apr_pool_t *p, const relay_worker_shared_t *sl,
                               apr_time_t now)
{
    static const struct {
        apr_uint32_t bit;
        const char *word;
    } words[] = {{RELAY_LB_DISABLED, "Dis"}, {RELAY_LB_STOPPED, "Stop"},
                 {RELAY_LB_STANDBY, "Stby"}, {RELAY_LB_IGNERR, "Ign"},
                 {RELAY_LB_DRAIN, "Drn"},    {RELAY_LB_HCFAIL, "HcFl"},
                 {RELAY_LB_SPARE, "Spar"}};
    apr_uint32_t st = apr_atomic_read32((volatile apr_uint32_t *)&sl->state);
    apr_uint64_t until =
        apr_atomic_read64((volatile apr_uint64_t *)&sl->error_until);
    const char *out = until && (apr_uint64_t)now < until ? "Err" : "Ok";
    apr_size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (st & words[i].bit) {
            out = apr_pstrcat(p, out, " ", words[i].word, NULL);
        }
    }
    return out;
}

#define RD64(f) apr_atomic_read64((volatile apr_uint64_t *)&(f))
#define RD32(f) apr_atomic_read32((volatile apr_uint32_t *)&(f))

static void member_auto(request_rec *r, int bi, int mi, relay_member_t *m,
                        apr_time_t now)
{
    const relay_worker_shared_t *sl = m->worker->shared;
    const char *pre =
        apr_psprintf(r->pool, "ProxyBalancer[%d]Worker[%d]", bi, mi);

    ap_rprintf(r, "%sName: %s\n", pre, m->worker->name);
    ap_rprintf(r, "%sStatus: %s\n", pre, state_words(r->pool, sl, now));
    ap_rprintf(r, "%sRoute: %s\n", pre, m->route ? m->route : "");
    ap_rprintf(r, "%sLoadFactor: %d.%02d\n%sLbSet: %d\n", pre,
               m->lb.lbfactor / 100, m->lb.lbfactor % 100, pre, m->lb.lbset);
    ap_rprintf(r, "%sElected: %" APR_UINT64_T_FMT "\n", pre,
               RD64(sl->requests));
    ap_rprintf(r, "%sBusy: %u\n", pre, RD32(sl->busy));
    ap_rprintf(r, "%sErrors: %" APR_UINT64_T_FMT "\n", pre, RD64(sl->errors));
    ap_rprintf(r, "%sSent: %" APR_UINT64_T_FMT "\n", pre, RD64(sl->bytes_out));
    ap_rprintf(r, "%sRcvd: %" APR_UINT64_T_FMT "\n", pre, RD64(sl->bytes_in));
    ap_rprintf(r, "%sHcMethod: %s\n", pre,
               relay_hc_method_name((relay_hc_method_t)m->hc.method));
    ap_rprintf(r, "%sHcChecks: %" APR_UINT64_T_FMT "\n", pre,
               RD64(sl->hc_checks));
}

static void member_row(request_rec *r, relay_member_t *m, apr_time_t now)
{
    const relay_worker_shared_t *sl = m->worker->shared;

    ap_rprintf(r,
               "<tr><td>%s</td><td>%s</td><td>%d.%02d</td><td>%d</td>"
               "<td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%u</td>"
               "<td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
               "</td><td>%" APR_UINT64_T_FMT "</td><td>%s</td></tr>\n",
               ap_escape_html(r->pool, m->worker->name),
               ap_escape_html(r->pool, m->route ? m->route : ""),
               m->lb.lbfactor / 100, m->lb.lbfactor % 100, m->lb.lbset,
               state_words(r->pool, sl, now), RD64(sl->requests),
               RD32(sl->busy), RD64(sl->errors), RD64(sl->bytes_out),
               RD64(sl->bytes_in),
               relay_hc_method_name((relay_hc_method_t)m->hc.method));
}

/* Every balancer of the request's server, as a table or ?auto lines. */
static void render(request_rec *r, int short_form)
{
    const relay_proxy_api_t *api = relay_balancer_api();
    const apr_array_header_t *bs =
        api ? api->server_balancers(r->server) : NULL;
    apr_time_t now = apr_time_now();
    int i, j;

    for (i = 0; bs && i < bs->nelts; i++) {
        relay_balancer_t *b = APR_ARRAY_IDX(bs, i, relay_balancer_t *);
        if (!b->shared) {
            continue;
        }
        if (short_form) {
            ap_rprintf(r, "ProxyBalancer[%d]Name: %s\n", i, b->name);
            ap_rprintf(r, "ProxyBalancer[%d]LbMethod: %s\n", i,
                       relay_lb_method_name(b->lbmethod));
            ap_rprintf(r, "ProxyBalancer[%d]Requests: %" APR_UINT64_T_FMT "\n",
                       i, RD64(b->shared->requests));
        }
        else {
            ap_rprintf(r,
                       "<h2>%s</h2>\n<p>lbmethod %s, %" APR_UINT64_T_FMT
                       " requests</p>\n<table border=\"1\">\n"
                       "<tr><th>Worker URL</th><th>Route</th><th>Factor</th>"
                       "<th>Set</th><th>Status</th><th>Elected</th>"
                       "<th>Busy</th><th>Errors</th><th>To origin</th>"
                       "<th>From origin</th><th>Health check</th></tr>\n",
                       ap_escape_html(r->pool, b->name),
                       relay_lb_method_name(b->lbmethod),
                       RD64(b->shared->requests));
        }
        for (j = 0; j < b->members->nelts; j++) {
            relay_member_t *m = &APR_ARRAY_IDX(b->members, j, relay_member_t);
            if (short_form) {
                member_auto(r, i, j, m, now);
            }
            else {
                member_row(r, m, now);
            }
        }
        if (!short_form) {
            ap_rputs("</table>\n", r);
        }
    }
}

int relay_balancer_status_handler(request_rec *r)
{
    int short_form;

    if (!r->handler || strcmp(r->handler, "balancer-manager")) {
        return DECLINED;
    }
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    short_form = r->args && ap_strstr_c(r->args, "auto") != NULL;
    ap_set_content_type(r, short_form ? "text/plain; charset=utf-8"
                                      : "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    if (!short_form) {
        ap_rputs("<!DOCTYPE html>\n<html><head><title>Balancers</title>"
                 "</head><body>\n<h1>Balancers (read-only)</h1>\n",
                 r);
    }
    render(r, short_form);
    if (!short_form) {
        ap_rputs("</body></html>\n", r);
    }
    return OK;
}

static int status_hook(request_rec *r, int flags)
{
    const relay_proxy_api_t *api = relay_balancer_api();

    if (!api || !api->status_level(r->server)) {
        return OK;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<hr />\n<h1>Proxy balancers</h1>\n", r);
    }
    render(r, flags & AP_STATUS_SHORT);
    return OK;
}

void relay_balancer_status_register(void)
{
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
