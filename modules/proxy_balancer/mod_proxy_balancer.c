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
 * with none left (after waiting up to the balancer's timeout for one) the
 * answer is 503. A member whose answer is in failonstatus, or that timed
 * out with failontimeout, is put in error state after the response.
 * Member state and counters live in mod_proxy's shared slots, so every
 * child process balances over one state; a pick holds the balancer's
 * lock. Identifier proxy_balancer_module, name mod_proxy_balancer.c, as
 * stock.
 */
#include "apr_atomic.h"
#include "apr_strings.h"
#include "http_request.h"
#include "util_cookies.h"
#include "ap_provider.h"

#include "relay_family.h"
#include "balancer_private.h"

/* How often a request waiting for a member (balancer timeout=) looks. */
#define WAIT_STEP apr_time_from_msec(20)

const relay_proxy_api_t *relay_balancer_api(void)
{
    return ap_lookup_provider(RELAY_PROXY_API_GROUP, "core",
                              RELAY_PROXY_API_VERSION);
}

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

/* The route of the request's sticky session ("session.route", with the
 * balancer's stickysessionsep for the dot), or NULL;
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
    if (!session || !*session) {
        return NULL;
    }
    if (!b->sticky_sep) {
        return session; /* stickysessionsep=Off: the value is the route */
    }
    if (!(dot = ap_strchr_c(session, b->sticky_sep)) || !dot[1]) {
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
    return (apr_atomic_read32(&m->worker->shared->state) & RELAY_LB_IGNERR) ||
           api->worker_usable(m->worker, now);
}

/* Whether the member may take a sticky session's request now (a
 * draining member may). */
static int member_available(const relay_proxy_api_t *api, relay_member_t *m,
                            apr_time_t now)
{
    apr_uint32_t st = apr_atomic_read32(&m->worker->shared->state);

    return !(st & (RELAY_LB_DISABLED | RELAY_LB_STOPPED)) &&
           member_usable(api, m, now);
}

/*
 * forcerecovery: when every member that could serve is in error state
 * (none failed its health checks), they are all taken out of it, so the
 * request tries them at once instead of waiting for their retry.
 */
static void force_recovery(request_rec *r, relay_balancer_t *b,
                           const relay_proxy_api_t *api)
{
    apr_time_t now = apr_time_now();
    int i, candidates = 0;

    for (i = 0; i < b->members->nelts; i++) {
        relay_member_t *m = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        apr_uint32_t st = apr_atomic_read32(&m->worker->shared->state);
        if (st & (RELAY_LB_DISABLED | RELAY_LB_STOPPED | RELAY_LB_DRAIN)) {
            continue;
        }
        if (member_usable(api, m, now) || !(st & RELAY_LB_ERROR) ||
            (st & RELAY_LB_HCFAIL)) {
            return;
        }
        candidates++;
    }
    if (!candidates) {
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  RELAY_LOGNO(05005) "balancer %s: every member is in error "
                                     "state; forcing their recovery "
                                     "(forcerecovery)",
                  b->name);
    for (i = 0; i < b->members->nelts; i++) {
        relay_member_t *m = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        api->worker_recover(m->worker, r->server);
    }
}

/* Picks a member not in `tried` (one flag per member) and counts it busy;
 * NULL when none may serve. */
static relay_member_t *pick(request_rec *r, relay_balancer_t *b,
                            const relay_proxy_api_t *api, const char *tried)
{
    int i, n = b->members->nelts, k;
    relay_lb_member_t *lb = apr_palloc(r->pool, sizeof(*lb) * (apr_size_t)n);
    apr_time_t now = apr_time_now();
    relay_member_t *m;

    api->balancer_lock(b);
    for (i = 0; i < n; i++) {
        relay_member_t *mi = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        relay_worker_shared_t *slot = mi->worker->shared;
        apr_uint32_t st = apr_atomic_read32(&slot->state);
        lb[i] = mi->lb;
        lb[i].flags = st;
        lb[i].lbstatus = (int)apr_atomic_read32(&slot->lbstatus);
        lb[i].busy = (int)apr_atomic_read32(&slot->busy);
        lb[i].traffic = apr_atomic_read64(&slot->traffic);
        lb[i].usable =
            !tried[i] && !(st & RELAY_LB_DRAIN) && member_usable(api, mi, now);
    }
    k = relay_lb_pick(b->lbmethod, lb, n);
    for (i = 0; i < n; i++) {
        relay_member_t *mi = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        apr_atomic_set32(&mi->worker->shared->lbstatus,
                         (apr_uint32_t)lb[i].lbstatus);
    }
    m = k >= 0 ? &APR_ARRAY_IDX(b->members, k, relay_member_t) : NULL;
    if (m) {
        apr_atomic_inc32(&m->worker->shared->busy);
    }
    api->balancer_unlock(b);
    return m;
}

/* Whether some member not tried yet could become usable (its retry
 * running out, a health check passing) while a request waits. */
static int may_come_back(relay_balancer_t *b, const char *tried)
{
    int i;

    for (i = 0; i < b->members->nelts; i++) {
        relay_member_t *m = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        apr_uint32_t st = apr_atomic_read32(&m->worker->shared->state);
        if (!tried[i] &&
            !(st & (RELAY_LB_DISABLED | RELAY_LB_STOPPED | RELAY_LB_DRAIN))) {
            return 1;
        }
    }
    return 0;
}

/* pick(), waiting up to the balancer's timeout for a member. */
static relay_member_t *pick_or_wait(request_rec *r, relay_balancer_t *b,
                                    const relay_proxy_api_t *api,
                                    const char *tried)
{
    apr_time_t deadline = apr_time_now() + b->timeout;
    relay_member_t *m;

    while (!(m = pick(r, b, api, tried)) && b->timeout > 0 &&
           apr_time_now() < deadline && may_come_back(b, tried)) {
        apr_sleep(WAIT_STEP);
    }
    return m;
}

static void done(request_rec *r, relay_member_t *m, apr_off_t sent_before)
{
    relay_worker_shared_t *slot = m->worker->shared;

    apr_atomic_dec32(&slot->busy);
    apr_atomic_add64(&slot->traffic,
                     (apr_uint64_t)(r->bytes_sent - sent_before));
}

/* failonstatus and failontimeout, after the member answered. */
static void check_answer(request_rec *r, relay_balancer_t *b,
                         const relay_proxy_api_t *api, relay_member_t *m,
                         int rc)
{
    int status = rc == OK ? r->status : rc, i;

    if (apr_atomic_read32(&m->worker->shared->state) & RELAY_LB_IGNERR) {
        return;
    }
    if (b->failontimeout && rc == HTTP_GATEWAY_TIME_OUT) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(05006) "balancer %s: member %s timed out; "
                                         "in error state (failontimeout)",
                      b->name, m->worker->name);
        api->worker_fail(m->worker, r->server, r, "timed out");
        return;
    }
    for (i = 0; i < b->failonstatus->nelts; i++) {
        if (APR_ARRAY_IDX(b->failonstatus, i, int) == status) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(05004) "balancer %s: member %s "
                                             "answered %d; in error state "
                                             "(failonstatus)",
                          b->name, m->worker->name, status);
            api->worker_fail(m->worker, r->server, r,
                             apr_psprintf(r->pool, "answered %d", status));
            return;
        }
    }
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

/*
 * The member the request's sticky session names, when it may serve: a
 * draining member still takes its sessions; one that cannot serve hands
 * them to the member of its redirect= route. NULL when the session has
 * no member that can serve; *refuse tells that nofailover forbids
 * another.
 */
static relay_member_t *sticky_member(request_rec *r, relay_balancer_t *b,
                                     const relay_proxy_api_t *api,
                                     const char *route, int *refuse)
{
    relay_member_t *m = member_of_route(b, route), *to;
    apr_time_t now = apr_time_now();

    *refuse = 0;
    if (!m || member_available(api, m, now)) {
        return m;
    }
    if (m->redirect && (to = member_of_route(b, m->redirect)) != NULL &&
        member_available(api, to, now)) {
        return to;
    }
    if (b->nofailover) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(05001) "balancer %s: member %s of route %s "
                                         "is unavailable and nofailover is On",
                      b->name, m->worker->name, route);
        *refuse = 1;
    }
    return NULL;
}

static int balancer_handle(relay_proxy_req_t *pr, const relay_proxy_api_t *api)
{
    request_rec *r = pr->r;
    relay_balancer_t *b = api->balancer_find(pr);
    const char *route = NULL, *sticky = NULL;
    relay_member_t *first = NULL;
    char *tried;
    int attempt, attempts, refuse = 0;

    if (!b || !b->shared) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(05000) "no balancer is defined for %s",
                      pr->url);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_atomic_inc64(&b->shared->requests);
    tried = apr_pcalloc(r->pool, (apr_size_t)b->members->nelts);
    attempts = 1 + (b->maxattempts != RELAY_UNSET
                        ? b->maxattempts
                        : (b->members->nelts > 1 ? b->members->nelts - 1 : 1));
    route = sticky_route(r, b, &sticky);
    if (route) {
        apr_table_setn(r->subprocess_env, "BALANCER_SESSION_STICKY", sticky);
        apr_table_setn(r->subprocess_env, "BALANCER_SESSION_ROUTE", route);
        first = sticky_member(r, b, api, route, &refuse);
        if (refuse) {
            return HTTP_SERVICE_UNAVAILABLE;
        }
    }
    if (b->forcerecovery && !first) {
        force_recovery(r, b, api);
    }
    for (attempt = 0; attempt < attempts; attempt++) {
        relay_member_t *m = first;
        apr_off_t sent_before = r->bytes_sent;
        int rc, connect_failed = 0;

        if (m) {
            apr_atomic_inc32(&m->worker->shared->busy);
        }
        else if (!(m = pick_or_wait(r, b, api, tried))) {
            break;
        }
        first = NULL;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      RELAY_LOGNO(05010) "balancer %s: member %s serves %s",
                      b->name, m->worker->name, r->uri);
        set_env(r, b, m, route);
        rc = api->serve_member(pr, m, &connect_failed);
        done(r, m, sent_before);
        if (!connect_failed) {
            check_answer(r, b, api, m, rc);
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

static const relay_scheme_t scheme_balancer = {
    .name = "balancer",
    .handle = balancer_handle,
};

static int balancer_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    return relay_family_check(plog, s, &proxy_balancer_module);
}

static int balancer_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    return relay_hcheck_post_config(pconf, s);
}

static void balancer_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_proxy_balancer.c");
    ap_register_provider(p, RELAY_SCHEME_GROUP, "balancer",
                         RELAY_SCHEME_VERSION, &scheme_balancer);
    ap_hook_check_config(balancer_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(balancer_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(relay_balancer_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    relay_balancer_status_register();
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
