/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy_balancer: serves balancer:// URLs. mod_proxy parses
 * the balancers (BalancerMember, ProxySet); this module registers the
 * "balancer" scheme, and for each request follows its sticky session to
 * the member of that route when there is one, else picks a member with
 * the balancer's lbmethod (relay/relay_lb.h), sets the BALANCER_*
 * environment variables, and has mod_proxy serve the request through the
 * member. A member that cannot be reached (nothing was sent to it) is left
 * in its error state and the next one is tried, up to maxattempts more;
 * with none left the answer is 503. Member state is per child process.
 * Identifier proxy_balancer_module, name mod_proxy_balancer.c, as stock.
 */
#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"
#include "util_cookies.h"
#include "ap_provider.h"

#include "relay_log.h"
#include "relay_proxy.h"
#include "relay_family.h"

APLOG_USE_MODULE(proxy_balancer);

extern module AP_MODULE_DECLARE_DATA proxy_balancer_module;

/* The value of URL parameter `name` in the request target (";name=v" in
 * the path or "name=v" in the query), or NULL. */
static const char *url_param(request_rec *r, const char *name, int scolon)
{
    const char *uri = r->unparsed_uri ? r->unparsed_uri : "";
    apr_size_t len = strlen(name);
    const char *at = uri;

    while ((at = ap_strstr_c(at, name)) != NULL) {
        if (at > uri && strchr(";?&", at[-1]) && at[len] == '=') {
            const char *v = at + len + 1;
            return apr_pstrmemdup(r->pool, v,
                                  strcspn(v, scolon ? "&?#/;" : "&?#/"));
        }
        at += len;
    }
    return NULL;
}

/* The route of the request's sticky session ("session.route"), or NULL;
 * *sticky tells the name it was found under. */
static const char *sticky_route(request_rec *r, const relay_balancer_t *b,
                                const char **sticky)
{
    const char *session = NULL, *dot;

    if (!b->sticky_cookie) {
        return NULL;
    }
    session = url_param(r, b->sticky_param, b->scolonpathdelim);
    *sticky = b->sticky_param;
    if (!session || !*session) {
        session = NULL;
        ap_cookie_read(r, b->sticky_cookie, &session, 0);
        *sticky = b->sticky_cookie;
    }
    if (!session || !(dot = ap_strchr_c(session, '.')) || !dot[1]) {
        return NULL;
    }
    return dot + 1;
}

static relay_member_t *member_of_route(relay_balancer_t *b, const char *route)
{
    int i;

    for (i = 0; i < b->members->nelts; i++) {
        relay_member_t *m = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        if (m->route && !strcmp(m->route, route)) {
            return m;
        }
    }
    return NULL;
}

static int member_usable(const relay_proxy_api_t *api, relay_member_t *m,
                         apr_time_t now)
{
    return (m->lb.flags & RELAY_LB_IGNERR) ||
           api->worker_usable(m->worker, now);
}

/* Picks a member not in `tried` (one flag per member) and counts it busy;
 * NULL when none may serve. */
static relay_member_t *pick(request_rec *r, relay_balancer_t *b,
                            const relay_proxy_api_t *api, const char *tried,
                            relay_member_t *sticky)
{
    int i, n = b->members->nelts, k = -1;
    relay_lb_member_t *lb = apr_palloc(r->pool, sizeof(*lb) * (apr_size_t)n);
    apr_time_t now = apr_time_now();
    relay_member_t *m = NULL;

    apr_thread_mutex_lock(b->mutex);
    if (sticky) {
        m = sticky;
    }
    else {
        for (i = 0; i < n; i++) {
            relay_member_t *mi = &APR_ARRAY_IDX(b->members, i, relay_member_t);
            lb[i] = mi->lb;
            lb[i].usable = !tried[i] && member_usable(api, mi, now);
        }
        k = relay_lb_pick(b->lbmethod, lb, n);
        for (i = 0; i < n; i++) {
            APR_ARRAY_IDX(b->members, i, relay_member_t).lb.lbstatus =
                lb[i].lbstatus;
        }
        m = k >= 0 ? &APR_ARRAY_IDX(b->members, k, relay_member_t) : NULL;
    }
    if (m) {
        m->lb.busy++;
    }
    apr_thread_mutex_unlock(b->mutex);
    return m;
}

static void done(request_rec *r, relay_balancer_t *b, relay_member_t *m,
                 apr_off_t sent_before)
{
    apr_thread_mutex_lock(b->mutex);
    m->lb.busy--;
    m->lb.traffic += (unsigned long long)(r->bytes_sent - sent_before);
    apr_thread_mutex_unlock(b->mutex);
}

static void set_env(request_rec *r, relay_balancer_t *b, relay_member_t *m,
                    const char *route)
{
    apr_table_t *env = r->subprocess_env;

    apr_table_setn(env, "BALANCER_NAME", b->name);
    apr_table_setn(env, "BALANCER_WORKER_NAME", m->worker->name);
    if (m->route) {
        apr_table_setn(env, "BALANCER_WORKER_ROUTE", m->route);
    }
    else {
        apr_table_unset(env, "BALANCER_WORKER_ROUTE");
    }
    if (route && (!m->route || strcmp(route, m->route))) {
        apr_table_setn(env, "BALANCER_ROUTE_CHANGED", "1");
    }
}

static int balancer_handle(relay_proxy_req_t *pr, const relay_proxy_api_t *api)
{
    request_rec *r = pr->r;
    relay_balancer_t *b = api->balancer_find(pr);
    const char *route = NULL, *sticky = NULL;
    relay_member_t *sticky_member = NULL;
    char *tried;
    int attempt, attempts;

    if (!b || !b->mutex) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(05000) "no balancer is defined for %s",
                      pr->url);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    tried = apr_pcalloc(r->pool, (apr_size_t)b->members->nelts);
    attempts = 1 + (b->maxattempts != RELAY_UNSET
                        ? b->maxattempts
                        : (b->members->nelts > 1 ? b->members->nelts - 1 : 1));
    route = sticky_route(r, b, &sticky);
    if (route) {
        apr_table_setn(r->subprocess_env, "BALANCER_SESSION_STICKY", sticky);
        apr_table_setn(r->subprocess_env, "BALANCER_SESSION_ROUTE", route);
        sticky_member = member_of_route(b, route);
        if (sticky_member &&
            (!member_usable(api, sticky_member, apr_time_now()) ||
             (sticky_member->lb.flags &
              (RELAY_LB_DISABLED | RELAY_LB_STOPPED)))) {
            if (b->nofailover) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                              RELAY_LOGNO(05001) "balancer %s: member %s of "
                                                 "route %s is unavailable "
                                                 "and nofailover is On",
                              b->name, sticky_member->worker->name, route);
                return HTTP_SERVICE_UNAVAILABLE;
            }
            sticky_member = NULL;
        }
    }
    for (attempt = 0; attempt < attempts; attempt++) {
        relay_member_t *m = pick(r, b, api, tried, sticky_member);
        apr_off_t sent_before = r->bytes_sent;
        int rc, connect_failed = 0;

        sticky_member = NULL;
        if (!m) {
            break;
        }
        set_env(r, b, m, route);
        rc = api->serve_member(pr, m, &connect_failed);
        done(r, b, m, sent_before);
        if (!connect_failed) {
            return rc;
        }
        tried[m - (relay_member_t *)b->members->elts] = 1;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      RELAY_LOGNO(05002) "balancer %s: member %s could not "
                                         "be reached; trying another",
                      b->name, m->worker->name);
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  RELAY_LOGNO(05003) "balancer %s: no member could serve %s %s",
                  b->name, r->method, pr->url);
    return HTTP_SERVICE_UNAVAILABLE;
}

static const relay_scheme_t scheme_balancer = {"balancer", 0, balancer_handle};

static int balancer_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    return relay_family_check(plog, s, &proxy_balancer_module);
}

static void balancer_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_proxy_balancer.c");
    ap_register_provider(p, RELAY_SCHEME_GROUP, "balancer",
                         RELAY_SCHEME_VERSION, &scheme_balancer);
    ap_hook_check_config(balancer_check_config, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_balancer_module = {STANDARD20_MODULE_STUFF,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         NULL,
                         balancer_register_hooks,
                         AP_MODULE_FLAG_NONE};
