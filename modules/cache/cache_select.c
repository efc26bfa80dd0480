/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Which store, if any, caches a request (CacheEnable / CacheDisable), and
 * the request's primary key.
 *
 * URL matching follows stock mod_cache: a rule written as a path ("/",
 * "/images/") matches requests for local paths, reverse-proxied ones
 * included; a rule with a scheme ("http://", "http://host/path/") matches
 * forward-proxy requests for absolute URLs, comparing the scheme, then the
 * host and port where the rule has them, then the path as a prefix.
 * CacheDisable wins over CacheEnable; a <Location>'s CacheDisable on or
 * CacheEnable wins over the server's lines. Rules match the request's
 * path in the form its key is built from, so no spelling of a disabled
 * path ("/%61ccount", "//account") is cached under the key of another.
 */
#include "ap_provider.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"

#include "cache_private.h"

APLOG_USE_MODULE(cache);

/* Whether a rule covers the request, whose path is `path` in the form
 * keys are built from (relay_cache_path_normalise). */
static int url_matches(const cache_url_t *rule, request_rec *r,
                       const char *path)
{
    const apr_uri_t *u = &r->parsed_uri;
    int forward = r->proxyreq == PROXYREQ_PROXY && u->scheme;

    if (!rule->url.scheme) {
        if (forward) {
            return 0;
        }
    }
    else {
        if (!forward || strcasecmp(rule->url.scheme, u->scheme)) {
            return 0;
        }
        if (rule->url.hostname) {
            const char *host = u->hostname ? u->hostname : "";
            if (rule->url.hostname[0] == '.') {
                apr_size_t hl = strlen(host), rl = strlen(rule->url.hostname);
                if (hl < rl || strcasecmp(host + hl - rl, rule->url.hostname)) {
                    return 0;
                }
            }
            else if (strcasecmp(rule->url.hostname, host)) {
                return 0;
            }
        }
        if (rule->url.port_str) {
            apr_port_t port =
                u->port ? u->port : apr_uri_port_of_scheme(u->scheme);
            if (rule->url.port != port) {
                return 0;
            }
        }
    }
    return !strncmp(rule->url.path, path, rule->pathlen);
}

static const relay_cache_provider_t *store_of(const char *type)
{
    return ap_lookup_provider(RELAY_CACHE_STORE_GROUP, type,
                              RELAY_CACHE_STORE_VERSION);
}

const relay_cache_provider_t *cache_select(request_rec *r, int *from_dir,
                                           const char **type)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);
    const cache_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &cache_module);
    const relay_cache_provider_t *store;
    const char *path = relay_cache_path_normalise(
        r->pool, r->parsed_uri.path ? r->parsed_uri.path : "/");
    int i;

    *from_dir = 0;
    if (dc->disable == 1) {
        return NULL;
    }
    for (i = 0; i < sc->disable->nelts; i++) {
        if (url_matches(&APR_ARRAY_IDX(sc->disable, i, cache_url_t), r, path)) {
            return NULL;
        }
    }
    if (dc->enable) {
        for (i = 0; i < dc->enable->nelts; i++) {
            *type = APR_ARRAY_IDX(dc->enable, i, const char *);
            if ((store = store_of(*type)) != NULL) {
                *from_dir = 1;
                return store;
            }
        }
    }
    for (i = 0; i < sc->enable->nelts; i++) {
        const cache_url_t *rule = &APR_ARRAY_IDX(sc->enable, i, cache_url_t);
        if (url_matches(rule, r, path) &&
            (store = store_of(rule->type)) != NULL) {
            *type = rule->type;
            return store;
        }
    }
    return NULL;
}

int cache_key(request_rec *r, cache_req_t *cr)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);
    const apr_uri_t *u = &r->parsed_uri;
    int forward = r->proxyreq == PROXYREQ_PROXY && u->scheme && u->hostname;

    cr->key_opts.base_url = sc->key_base_url;
    cr->key_opts.ignore_query = sc->ignore_query == 1;
    cr->key_opts.session_ids = sc->session_ids;
    if (forward) {
        cr->key = relay_cache_key_make(r->pool, &cr->key_opts, 0, u->scheme,
                                       u->hostname, u->port, u->path, u->query);
    }
    else {
        cr->key = relay_cache_key_make(
            r->pool, &cr->key_opts, 1, ap_http_scheme(r), ap_get_server_name(r),
            ap_get_server_port(r), u->path ? u->path : "/", u->query);
    }
    return cr->key != NULL;
}

const char *cache_effective_uri(request_rec *r)
{
    const apr_uri_t *u = &r->parsed_uri;

    if (r->proxyreq == PROXYREQ_PROXY && u->scheme && u->hostname) {
        return r->unparsed_uri;
    }
    return apr_psprintf(r->pool, "%s://%s:%u%s%s%s", ap_http_scheme(r),
                        ap_get_server_name(r), ap_get_server_port(r),
                        u->path ? u->path : "/", u->query ? "?" : "",
                        u->query ? u->query : "");
}
