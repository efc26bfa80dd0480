/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy: the proxy core. It maps requests onto origin URLs,
 * owns the workers and their connection pools, and hands each proxied
 * request to the module serving its URL scheme through the provider
 * registry (include/relay_proxy.h). Identifier proxy_module, name
 * mod_proxy.c, as the stock module, so the rest of httpd finds it.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"

#include "relay/relay_url.h"
#include "relay_error_note.h"
#include "relay_family.h"
#include "proxy_private.h"

/* Note of a request that a balancer member's origin was reached for. */
#define NOTE_MEMBER_REACHED "relay-proxy-member-reached"

static relay_balancer_t *balancer_find(relay_proxy_req_t *pr);
static int serve_member(relay_proxy_req_t *pr, relay_member_t *member,
                        int *connect_failed);

static const apr_array_header_t *server_balancers(server_rec *s)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(s->module_config, &proxy_module);

    return sc->balancers;
}

static const apr_array_header_t *server_workers(server_rec *s)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(s->module_config, &proxy_module);

    return sc->workers;
}

static int status_level(server_rec *s)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(s->module_config, &proxy_module);

    return sc->status;
}

static void balancer_lock(relay_balancer_t *b)
{
    relay_shm_lock(b->shared);
}

static void balancer_unlock(relay_balancer_t *b)
{
    relay_shm_unlock(b->shared);
}

static const relay_proxy_api_t proxy_api = {
    relay_conn_acquire,
    relay_conn_release,
    relay_proxy_map_response_headers,
    relay_proxy_via_value,
    balancer_find,
    serve_member,
    relay_worker_is_usable,
    relay_worker_fail,
    relay_worker_recover,
    server_balancers,
    server_workers,
    status_level,
    balancer_lock,
    balancer_unlock,
};

/* Where a request goes, as serve() found it in its origin URL. */
typedef struct origin_t {
    const char *url; /* without "unix:/path|" */
    const char *uds; /* that path, or NULL */
    const relay_scheme_t *scheme;
    const char *scheme_name; /* lower case */
    const char *hostname;
    apr_size_t hostname_len;
    apr_port_t port;    /* 0: none written */
    const char *target; /* path and query, not yet escaped */
} origin_t;

/* Fills the request descriptor from the configuration in force. */
static relay_proxy_req_t *make_request(request_rec *r, const origin_t *o,
                                       relay_worker_t *worker)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    relay_proxy_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &proxy_module);
    relay_proxy_req_t *pr = apr_pcalloc(r->pool, sizeof(*pr));

    pr->magic = RELAY_REQ_MAGIC;
    pr->r = r;
    pr->worker = worker;
    pr->url = o->url;
    pr->scheme = o->scheme_name;
    pr->provider = o->scheme;
    /* The worker's copy of the host when it is the same name. */
    pr->hostname =
        worker->hostname &&
                !strncmp(worker->hostname, o->hostname, o->hostname_len) &&
                !worker->hostname[o->hostname_len]
            ? worker->hostname
            : apr_pstrmemdup(r->pool, o->hostname, o->hostname_len);
    pr->port = o->port;
    pr->uds_path = o->uds;
    pr->target = relay_url_escape_target(r->pool, o->target);
    pr->is_forward = r->proxyreq == PROXYREQ_PROXY;
    pr->preserve_host = dc->preserve_host;
    pr->add_headers = dc->add_headers;
    pr->proxy100 = dc->proxy100;
    pr->error_override = dc->error_override;
    pr->error_override_codes = dc->error_override_codes;
    pr->via = sc->via;
    pr->bad_header = sc->bad_header;
    pr->max_forwards = sc->max_forwards;
    pr->io_buffer_size = (apr_size_t)worker->params.iobuffersize;
    pr->reverse = dc->reverse;
    pr->cookie_paths = dc->cookie_paths;
    pr->cookie_domains = dc->cookie_domains;
    if (dc->interpolated && dc->interpolate_env == 1) {
        /* ProxyPassInterpolateEnv: this request's copies; nothing is
         * looked at otherwise. */
        pr->reverse = relay_interpolate_reverse(r, dc->reverse);
        pr->cookie_paths = relay_interpolate_cookies(r, dc->cookie_paths);
        pr->cookie_domains = relay_interpolate_cookies(r, dc->cookie_domains);
    }
    return pr;
}

/*
 * The parts of an origin URL, "unix:/path|" and an absolute URL with a
 * host, or the URL alone. The common form is split in place
 * (relay_url_split_origin); any other goes through apr_uri_parse(), with
 * the same result. Returns 0 when the URL is not one.
 */
static int split_origin(request_rec *r, const char *url, origin_t *o)
{
    relay_url_origin_t parts;
    apr_uri_t uri;

    o->url = relay_scheme_split_uds(r->pool, url, &o->uds);
    if (!o->url) {
        return 0;
    }
    if (relay_url_split_origin(o->url, &parts)) {
        o->scheme = relay_scheme_find_n(r->pool, parts.scheme, parts.scheme_len,
                                        &o->scheme_name);
        o->hostname = parts.host;
        o->hostname_len = parts.host_len;
        o->port = parts.port < 0 ? 0 : (apr_port_t)parts.port;
        if (parts.target_len && parts.target[0] == '/' &&
            !parts.target[parts.target_len]) {
            o->target = parts.target; /* the rest of the URL */
        }
        else {
            o->target = apr_pstrcat(
                r->pool, parts.target_len && parts.target[0] == '/' ? "" : "/",
                apr_pstrmemdup(r->pool, parts.target, parts.target_len), NULL);
        }
        return 1;
    }
    if (apr_uri_parse(r->pool, o->url, &uri) != APR_SUCCESS || !uri.scheme ||
        !uri.hostname || !*uri.hostname) {
        return 0;
    }
    o->scheme = relay_scheme_find_n(r->pool, uri.scheme, strlen(uri.scheme),
                                    &o->scheme_name);
    o->hostname = uri.hostname;
    o->hostname_len = strlen(uri.hostname);
    o->port = uri.port_str ? uri.port : 0;
    o->target = uri.path && *uri.path ? uri.path : "/";
    if (uri.query) {
        o->target = apr_pstrcat(r->pool, o->target, "?", uri.query, NULL);
    }
    return 1;
}

/* The worker for this request: the rule's, the longest defined prefix of
 * the URL, or the server's generic worker. */
static relay_worker_t *choose_worker(request_rec *r, const char *url)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    relay_pass_rule_t *rule = relay_proxy_request_rule(r);
    relay_worker_t *w;

    if (rule && rule->worker) {
        return rule->worker;
    }
    w = relay_worker_find(sc, url, r->pool);
    return w ? w : sc->generic;
}

static relay_balancer_t *balancer_find(relay_proxy_req_t *pr)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(pr->r->server->module_config, &proxy_module);

    return relay_balancer_find(sc, pr->url, pr->r->pool);
}

/*
 * The unix socket a request may use: the one its worker was configured
 * with, or the one SetHandler named (`handler_uds`). A socket written in
 * a URL built at request time (a RewriteRule [P] substitution, say) is
 * used only when a configured worker names that very socket.
 */
static int uds_allowed(const relay_worker_t *worker, const char *uds,
                       const char *handler_uds)
{
    return (handler_uds && !strcmp(uds, handler_uds)) ||
           (worker->uds_path && !strcmp(uds, worker->uds_path));
}

/* The absolute-form target sent to an upstream proxy: the origin URL
 * with the escaped path and query. */
static const char *absolute_target(request_rec *r, const relay_proxy_req_t *pr)
{
    int ipv6 = ap_strchr_c(pr->hostname, ':') != NULL;

    return apr_pstrcat(r->pool, pr->scheme, "://", ipv6 ? "[" : "",
                       pr->hostname, ipv6 ? "]" : "",
                       pr->port != pr->provider->default_port
                           ? apr_psprintf(r->pool, ":%u", (unsigned)pr->port)
                           : "",
                       pr->target, NULL);
}

/* Serves `url` ("unix:/path|" and an absolute URL, or the URL alone)
 * through its scheme's module and `worker`; *pr_out is the request
 * descriptor handed over. */
static int serve(request_rec *r, const char *url, relay_worker_t *worker,
                 const char *handler_uds, relay_proxy_req_t **pr_out)
{
    relay_proxy_req_t *pr;
    origin_t o;
    apr_time_t started;
    const char *remote_auth = NULL;
    int rc, via_remote = 0;

    if (!split_origin(r, url, &o)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(01020) "refusing to proxy to '%s': not an "
                                         "absolute URL with a host",
                      url);
        return HTTP_BAD_REQUEST;
    }
    if (!o.scheme) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(01021) "no loaded module serves %s:// "
                                         "URLs (proxying %s)",
                      o.scheme_name, url);
        relay_error_note_set(r, RELAY_PROXY_ERROR_CONFIGURATION);
        return r->proxyreq == PROXYREQ_PROXY ? HTTP_NOT_IMPLEMENTED
                                             : HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!worker) {
        worker = choose_worker(r, url);
    }
    if (o.uds && !uds_allowed(worker, o.uds, handler_uds)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(01022) "refusing to proxy to '%s': the "
                                         "unix socket %s is not one the "
                                         "configuration names",
                      url, o.uds);
        relay_error_note_set(r, RELAY_PROXY_ERROR_CONFIGURATION);
        return HTTP_FORBIDDEN;
    }
    if (!o.uds && !relay_balancer_is_url(o.url) &&
        (rc = relay_origin_allowed(r, o.scheme_name, o.hostname, o.hostname_len,
                                   o.port, o.target, worker)) != OK) {
        return rc;
    }
    if (!o.uds && (rc = relay_remote_for(r, o.scheme, o.scheme_name, o.url,
                                         o.hostname, o.hostname_len, &worker,
                                         &remote_auth)) != DECLINED) {
        if (rc != OK) {
            return rc;
        }
        via_remote = 1;
    }
    if (!o.port) {
        o.port = o.scheme->default_port;
    }
    pr = make_request(r, &o, worker);
    if (via_remote) {
        pr->via_remote = 1;
        pr->remote_auth = remote_auth;
        pr->target = absolute_target(r, pr);
    }
    *pr_out = pr;
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  "proxying %s %s through worker %s", r->method, url,
                  worker->name);
    /* A member's busy count is its balancer's, taken with the pick. */
    relay_worker_count_start(worker, !worker->balancer);
    /* The cause counted (and shown) is this attempt's, not that of a
     * balancer member tried before it. */
    apr_table_unset(r->notes, RELAY_NOTE_PROXY_ERROR);
    started = apr_time_now();
    rc = o.scheme->handle(pr, &proxy_api);
    relay_worker_count_end(worker, !worker->balancer);
    relay_worker_count_result(worker, rc == OK ? r->status : rc,
                              relay_proxy_error_parse(apr_table_get(
                                  r->notes, RELAY_NOTE_PROXY_ERROR)),
                              apr_time_now() - started);
    return rc;
}

static int serve_member(relay_proxy_req_t *pr, relay_member_t *member,
                        int *connect_failed)
{
    relay_proxy_req_t *mpr = NULL;
    int rc;

    apr_table_unset(pr->r->notes, RELAY_NOTE_PROXY_ERROR); /* the last try's */
    rc = serve(pr->r, relay_balancer_join(pr->r->pool, member->url, pr->target),
               member->worker, NULL, &mpr);
    *connect_failed = mpr && mpr->connect_failed;
    if (!*connect_failed) {
        apr_table_setn(pr->r->notes, NOTE_MEMBER_REACHED, "1");
    }
    return rc;
}

/*
 * SetHandler "proxy:URL" (or "proxy:unix:/path|URL"), as in Debian's
 * php-fpm configuration: the origin URL is URL followed by the file the
 * request maps to, as stock builds it, and the request becomes a reverse
 * proxy request. The socket comes from the handler, which only the
 * configuration sets. Returns the URL, or NULL when r is not one.
 */
static const char *handler_url(request_rec *r, const char **handler_uds)
{
    const char *url;

    if (r->proxyreq || !r->handler || strncmp(r->handler, "proxy:", 6) ||
        (r->filename && !strncmp(r->filename, "proxy:", 6))) {
        return NULL;
    }
    url = apr_pstrcat(r->pool, relay_scheme_full_url(r->pool, r->handler + 6),
                      r->filename ? r->filename : r->uri, NULL);
    if (!relay_scheme_split_uds(r->pool, r->handler + 6, handler_uds)) {
        *handler_uds = NULL;
    }
    r->proxyreq = PROXYREQ_REVERSE;
    r->filename = apr_pstrcat(r->pool, "proxy:", url, NULL);
    return url;
}

static int proxy_handler(request_rec *r)
{
    relay_proxy_req_t *pr;
    const char *url, *handler_uds = NULL;
    int rc;

    url = handler_url(r, &handler_uds);
    if (!url) {
        if (!r->proxyreq || !r->filename || strncmp(r->filename, "proxy:", 6) ||
            !r->handler || strcmp(r->handler, "proxy-server")) {
            return DECLINED;
        }
        url = r->filename + 6;
        if (r->proxyreq == PROXYREQ_REVERSE && !relay_proxy_request_rule(r)) {
            url = relay_proxy_handed_over_url(r, url);
        }
    }
    rc = serve(r, url, NULL, handler_uds, &pr);
    relay_status_header_add(r, rc,
                            relay_balancer_is_url(url) &&
                                !apr_table_get(r->notes, NOTE_MEMBER_REACHED));
    return rc;
}

/*
 * Lets the transport of each TLS worker check the configuration in force
 * for it (SSLProxyEngine and friends), so that an https:// ProxyPass in a
 * server where TLS to origins is off stops startup instead of failing
 * every request.
 */
static int check_transports(apr_pool_t *ptemp, server_rec *s,
                            relay_proxy_server_conf_t *sc)
{
    const relay_transport_t *tls = ap_lookup_provider(
        RELAY_TRANSPORT_GROUP, "tls", RELAY_TRANSPORT_VERSION);
    int i;

    if (!tls || !tls->check_worker) {
        return OK;
    }
    for (i = 0; i < sc->workers->nelts; i++) {
        relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
        const char *err;
        if (!w->provider || !w->provider->tls) {
            continue;
        }
        err = tls->check_worker(
            s, relay_proxy_sections_conf(ptemp, s, s->lookup_defaults, w->name),
            w, ptemp);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         RELAY_LOGNO(03190) "worker %s (defined at %s): %s",
                         w->name, w->defined_in, err);
            return !OK;
        }
    }
    return OK;
}

/* Every ProxyPass to a balancer names one with members (or room for some
 * added at run time, growth=); each balancer's members get their
 * health-check parameters. */
static int check_balancers(apr_pool_t *ptemp, server_rec *s,
                           relay_proxy_server_conf_t *sc)
{
    int i;

    for (i = 0; i < sc->balancers->nelts; i++) {
        relay_balancer_t *b =
            APR_ARRAY_IDX(sc->balancers, i, relay_balancer_t *);
        const char *err = relay_balancer_finish(b, sc, ptemp);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         RELAY_LOGNO(01303) "balancer %s (defined at %s): %s",
                         b->name, b->defined_in, err);
            return !OK;
        }
    }

    for (i = 0; i < sc->workers->nelts; i++) {
        relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
        const char *why = NULL;
        if (w->balancer || w->params.hc.method <= RELAY_HC_NONE) {
            continue;
        }
        if (!ap_lookup_provider(RELAY_SCHEME_GROUP, "balancer",
                                RELAY_SCHEME_VERSION)) {
            why = "its health checks run in Relay's mod_proxy_balancer: "
                  "load it";
        }
        else if (w->params.hc.method > RELAY_HC_TCP &&
                 (!w->provider || !w->provider->http || w->provider->tls)) {
            why = "an HTTP health check needs an http:// origin; use "
                  "hcmethod=TCP";
        }
        if (why) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         RELAY_LOGNO(01037) "worker %s (defined at %s): %s",
                         w->name, w->defined_in, why);
            return !OK;
        }
    }

    for (i = 0; i < sc->rules->nelts; i++) {
        relay_pass_rule_t *rule =
            &APR_ARRAY_IDX(sc->rules, i, relay_pass_rule_t);
        relay_balancer_t *b;
        if (!rule->url || !relay_balancer_is_url(rule->url)) {
            continue;
        }
        b = relay_balancer_find(sc, rule->url, ptemp);
        /* Members added at run time need the room growth= keeps. */
        if (!b || (!b->members->nelts && b->growth <= 0)) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         RELAY_LOGNO(01300) "ProxyPass at %s: %s has no "
                                            "BalancerMember (nor growth= "
                                            "room for members added at run "
                                            "time)",
                         rule->defined_in, rule->url);
            return !OK;
        }
    }
    return OK;
}

/*
 * check_config: refuses a mix with the stock family, TLS workers their
 * transport cannot serve and balancers without members or with health
 * checks their members cannot take, and warns about an open forward proxy (runs
 * for `apachectl configtest` too).
 */
static int proxy_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    if (relay_family_check(plog, s, &proxy_module) != OK) {
        return !OK;
    }
    for (; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        sc->section_index = relay_proxy_sections_index(pconf, sc->sections);
        if (check_transports(ptemp, s, sc) != OK ||
            check_balancers(ptemp, s, sc) != OK) {
            return !OK;
        }
        if (sc->requests && sc->sections->nelts == 0) {
            ap_log_error(
                APLOG_MARK, APLOG_WARNING, 0, s,
                RELAY_LOGNO(
                    01030) "ProxyRequests On in server %s:%u "
                           "without any <Proxy> section: this is an open "
                           "proxy for anyone who can reach it",
                s->server_hostname ? s->server_hostname : "(main)", s->port);
        }
    }
    return OK;
}

/* Applies ProxySet lines to their workers, defining any still missing. */
static int apply_proxysets(apr_pool_t *pconf, server_rec *s,
                           relay_proxy_server_conf_t *sc)
{
    int i;

    for (i = 0; i < sc->proxysets->nelts; i++) {
        relay_proxyset_t *set =
            &APR_ARRAY_IDX(sc->proxysets, i, relay_proxyset_t);
        relay_worker_t *w = NULL;
        const char *err = relay_worker_define(pconf, sc, set->url, NULL, NULL,
                                              set->defined_in, &w);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         RELAY_LOGNO(01031) "ProxySet at %s: %s",
                         set->defined_in, err);
            return !OK;
        }
        relay_worker_params_overlay(&w->params, &set->params);
    }
    return OK;
}

static int proxy_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *main_s)
{
    server_rec *s;
    apr_status_t rv;
    int i;

    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        if (apply_proxysets(pconf, s, sc) != OK) {
            return !OK;
        }
    }
    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        for (i = 0; i < sc->workers->nelts; i++) {
            relay_worker_finish(APR_ARRAY_IDX(sc->workers, i, relay_worker_t *),
                                s, sc);
        }
        relay_worker_finish(sc->generic, s, sc);
        if (!sc->route) {
            sc->route = relay_proxy_route_make(pconf, sc->rules);
        }
        sc->worker_names = relay_worker_names_index(pconf, sc->workers);
    }
    relay_scheme_index(pconf);
    rv = relay_shm_attach(ptemp, main_s);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, main_s,
                     RELAY_LOGNO(01304) "cannot make the shared memory for "
                                        "the workers' state");
        return !OK;
    }
    return OK;
}

static void proxy_child_init(apr_pool_t *pchild, server_rec *main_s)
{
    server_rec *s;
    int i;

    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        for (i = 0; i < sc->workers->nelts; i++) {
            relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
            if (!w->conns && relay_conn_pool_create(w, pchild) != APR_SUCCESS) {
                ap_log_error(
                    APLOG_MARK, APLOG_CRIT, 0, s,
                    RELAY_LOGNO(
                        01032) "worker %s: cannot create "
                               "its connection pool; connections to it will "
                               "not be reused",
                    w->name);
            }
        }
    }
    relay_sweeper_start(pchild, main_s);
}

static void proxy_register_hooks(apr_pool_t *p)
{
    static const char *const after_rewrite[] = {"mod_rewrite.c", NULL};

    relay_family_register(p, "mod_proxy.c");
    ap_register_provider(p, RELAY_PROXY_API_GROUP, "core",
                         RELAY_PROXY_API_VERSION, &proxy_api);
    ap_hook_post_read_request(relay_proxy_detect_forward, NULL, NULL,
                              APR_HOOK_FIRST);
    ap_hook_pre_translate_name(relay_proxy_pre_translate, NULL, NULL,
                               APR_HOOK_FIRST);
    ap_hook_translate_name(relay_proxy_translate, after_rewrite, NULL,
                           APR_HOOK_FIRST);
    ap_hook_map_to_storage(relay_proxy_map_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(proxy_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(relay_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    relay_proxy_status_register();
    ap_hook_check_config(proxy_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(proxy_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(proxy_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_module = {STANDARD20_MODULE_STUFF,       relay_proxy_create_dir_conf,
                relay_proxy_merge_dir_conf,    relay_proxy_create_server_conf,
                relay_proxy_merge_server_conf, relay_proxy_cmds,
                proxy_register_hooks,          AP_MODULE_FLAG_NONE};
