/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The directives of Relay's mod_cache, with stock mod_cache's names,
 * arguments and defaults. Server-wide: CacheEnable/CacheDisable lists,
 * CacheQuickHandler, CacheIgnoreCacheControl, CacheIgnoreQueryString,
 * CacheIgnoreHeaders, CacheIgnoreURLSessionIdentifiers, CacheKeyBaseURL,
 * CacheLock*. Per server or <Location>: the freshness and storing
 * switches and the headers (CacheStatusHeader is Relay's own).
 */
#include <errno.h>

#include "apr_strings.h"

#include "cache_private.h"

APLOG_USE_MODULE(cache);

void *cache_create_server_conf(apr_pool_t *p, server_rec *s)
{
    cache_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->enable = apr_array_make(p, 4, sizeof(cache_url_t));
    c->disable = apr_array_make(p, 4, sizeof(cache_url_t));
    c->quick = CACHE_UNSET;
    c->ignore_cache_control = CACHE_UNSET;
    c->ignore_query = CACHE_UNSET;
    c->lock = CACHE_UNSET;
    c->lock_max_age = CACHE_UNSET;
    return c;
}

#define MERGE(f, unset) (add->f != (unset) ? add->f : base->f)

void *cache_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const cache_server_conf_t *base = basev, *add = addv;
    cache_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->enable = apr_array_append(p, add->enable, base->enable);
    c->disable = apr_array_append(p, add->disable, base->disable);
    c->quick = MERGE(quick, CACHE_UNSET);
    c->ignore_cache_control = MERGE(ignore_cache_control, CACHE_UNSET);
    c->ignore_query = MERGE(ignore_query, CACHE_UNSET);
    c->ignore_headers = MERGE(ignore_headers, NULL);
    c->session_ids = MERGE(session_ids, NULL);
    c->key_base_url = MERGE(key_base_url, NULL);
    c->lock = MERGE(lock, CACHE_UNSET);
    c->lock_path = MERGE(lock_path, NULL);
    c->lock_max_age = MERGE(lock_max_age, CACHE_UNSET);
    return c;
}

void *cache_create_dir_conf(apr_pool_t *p, char *dir)
{
    cache_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->disable = CACHE_UNSET;
    c->default_expire = CACHE_UNSET;
    c->max_expire = CACHE_UNSET;
    c->min_expire = CACHE_UNSET;
    c->lm_factor = CACHE_UNSET;
    c->ignore_no_last_mod = CACHE_UNSET;
    c->store_expired = CACHE_UNSET;
    c->store_private = CACHE_UNSET;
    c->store_no_store = CACHE_UNSET;
    c->stale_on_error = CACHE_UNSET;
    c->header = CACHE_UNSET;
    c->detail_header = CACHE_UNSET;
    c->status_header = CACHE_UNSET;
    return c;
}

void *cache_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const cache_dir_conf_t *base = basev, *add = addv;
    cache_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->enable = MERGE(enable, NULL);
    c->disable = MERGE(disable, CACHE_UNSET);
    c->default_expire = MERGE(default_expire, CACHE_UNSET);
    c->max_expire = MERGE(max_expire, CACHE_UNSET);
    c->min_expire = MERGE(min_expire, CACHE_UNSET);
    c->lm_factor = MERGE(lm_factor, CACHE_UNSET);
    c->ignore_no_last_mod = MERGE(ignore_no_last_mod, CACHE_UNSET);
    c->store_expired = MERGE(store_expired, CACHE_UNSET);
    c->store_private = MERGE(store_private, CACHE_UNSET);
    c->store_no_store = MERGE(store_no_store, CACHE_UNSET);
    c->stale_on_error = MERGE(stale_on_error, CACHE_UNSET);
    c->header = MERGE(header, CACHE_UNSET);
    c->detail_header = MERGE(detail_header, CACHE_UNSET);
    c->status_header = MERGE(status_header, CACHE_UNSET);
    return c;
}

void cache_settings(request_rec *r, relay_cache_settings_t *s)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);
    const cache_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &cache_module);

    relay_cache_settings_default(s);
#define TAKE(field, v, unset)                                                  \
    if ((v) != (unset)) {                                                      \
        s->field = (v);                                                        \
    }
    TAKE(default_expire, dc->default_expire, CACHE_UNSET);
    TAKE(max_expire, dc->max_expire, CACHE_UNSET);
    TAKE(min_expire, dc->min_expire, CACHE_UNSET);
    TAKE(last_modified_factor, dc->lm_factor, CACHE_UNSET);
    TAKE(ignore_no_last_mod, dc->ignore_no_last_mod, CACHE_UNSET);
    TAKE(ignore_cache_control, sc->ignore_cache_control, CACHE_UNSET);
    TAKE(ignore_query_string, sc->ignore_query, CACHE_UNSET);
    TAKE(store_expired, dc->store_expired, CACHE_UNSET);
    TAKE(store_private, dc->store_private, CACHE_UNSET);
    TAKE(store_no_store, dc->store_no_store, CACHE_UNSET);
    TAKE(stale_on_error, dc->stale_on_error, CACHE_UNSET);
#undef TAKE
}

/* Parses a CacheEnable/CacheDisable URL: "/path" or "scheme:[//host[:port]]
 * [/path]". */
static const char *parse_url(cmd_parms *cmd, const char *arg, cache_url_t *u)
{
    if (apr_uri_parse(cmd->pool, arg, &u->url) != APR_SUCCESS ||
        (!u->url.scheme && (!u->url.path || u->url.path[0] != '/'))) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is neither a path starting with / nor "
                            "an absolute URL",
                            cmd->cmd->name, arg);
    }
    u->url.path = apr_pstrdup(
        cmd->pool,
        relay_cache_path_normalise(cmd->pool, u->url.path ? u->url.path : "/"));
    u->pathlen = strlen(u->url.path);
    return NULL;
}

static const char *set_enable(cmd_parms *cmd, void *dcv, const char *type,
                              const char *url)
{
    cache_dir_conf_t *dc = dcv;
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);
    cache_url_t *u;
    const char *err;

    if (cmd->path) {
        /* In a <Location>: the section is the URL. */
        if (url) {
            return "CacheEnable: inside a <Location>, give the cache type "
                   "only; the section sets the URL";
        }
        if (!dc->enable) {
            dc->enable = apr_array_make(cmd->pool, 2, sizeof(const char *));
        }
        APR_ARRAY_PUSH(dc->enable, const char *) = type;
        return NULL;
    }
    if (!url) {
        return "CacheEnable: give the cache type and a URL prefix, e.g. "
               "'CacheEnable mem /'";
    }
    u = apr_array_push(sc->enable);
    u->type = type;
    if ((err = parse_url(cmd, url, u)) != NULL) {
        return err;
    }
    return NULL;
}

static const char *set_disable(cmd_parms *cmd, void *dcv, const char *url)
{
    cache_dir_conf_t *dc = dcv;
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);

    if (cmd->path) {
        if (strcasecmp(url, "on")) {
            return "CacheDisable: inside a <Location>, the argument must be "
                   "'on'";
        }
        dc->disable = 1;
        return NULL;
    }
    if (!strcasecmp(url, "on")) {
        return "CacheDisable on: only inside a <Location>; outside, give a "
               "URL prefix";
    }
    return parse_url(cmd, url, apr_array_push(sc->disable));
}

/* Seconds, a whole number from 0. */
static const char *set_seconds(cmd_parms *cmd, void *dcv, const char *arg)
{
    apr_int64_t *field = (apr_int64_t *)((char *)dcv + (apr_size_t)cmd->info);
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end || v < 0) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a number of seconds (a whole "
                            "number from 0)",
                            cmd->cmd->name, arg);
    }
    *field = v;
    return NULL;
}

static const char *set_lm_factor(cmd_parms *cmd, void *dcv, const char *arg)
{
    cache_dir_conf_t *dc = dcv;
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno || end == arg || *end || v < 0) {
        return apr_psprintf(cmd->pool,
                            "CacheLastModifiedFactor: '%s' is not a number "
                            "from 0",
                            arg);
    }
    dc->lm_factor = v;
    return NULL;
}

static const char *set_server_flag(cmd_parms *cmd, void *dcv, int on)
{
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);

    *(int *)((char *)sc + (apr_size_t)cmd->info) = on;
    return NULL;
}

static const char *set_ignore_headers(cmd_parms *cmd, void *dcv,
                                      const char *arg)
{
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);

    if (!sc->ignore_headers) {
        sc->ignore_headers = apr_array_make(cmd->pool, 4, sizeof(char *));
    }
    if (!strcasecmp(arg, "None")) {
        apr_array_clear(sc->ignore_headers);
    }
    else {
        APR_ARRAY_PUSH(sc->ignore_headers, const char *) = arg;
    }
    return NULL;
}

static const char *set_session_id(cmd_parms *cmd, void *dcv, const char *arg)
{
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);

    if (!sc->session_ids) {
        sc->session_ids = apr_array_make(cmd->pool, 4, sizeof(char *));
    }
    if (!strcasecmp(arg, "None")) {
        apr_array_clear(sc->session_ids);
    }
    else {
        APR_ARRAY_PUSH(sc->session_ids, const char *) = arg;
    }
    return NULL;
}

static const char *set_key_base_url(cmd_parms *cmd, void *dcv, const char *arg)
{
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);

    if (!relay_cache_key_base_url_valid(arg)) {
        return apr_psprintf(cmd->pool,
                            "CacheKeyBaseURL: '%s' is not an absolute "
                            "scheme://host[:port] URL",
                            arg);
    }
    sc->key_base_url = arg;
    return NULL;
}

static const char *set_lock_path(cmd_parms *cmd, void *dcv, const char *arg)
{
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);

    sc->lock_path = ap_server_root_relative(cmd->pool, arg);
    return NULL;
}

static const char *set_lock_max_age(cmd_parms *cmd, void *dcv, const char *arg)
{
    cache_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &cache_module);
    char *end;

    errno = 0;
    sc->lock_max_age = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end || sc->lock_max_age <= 0) {
        return apr_psprintf(cmd->pool,
                            "CacheLockMaxAge: '%s' is not a number of "
                            "seconds above 0",
                            arg);
    }
    return NULL;
}

#define DIR_OFF(f) ((void *)APR_OFFSETOF(cache_dir_conf_t, f))
#define SRV_OFF(f) ((void *)APR_OFFSETOF(cache_server_conf_t, f))
#define CONTEXTS (RSRC_CONF | ACCESS_CONF)

const command_rec cache_cmds[] = {
    AP_INIT_TAKE12("CacheEnable", set_enable, NULL, CONTEXTS,
                   "A cache type (mem, disk, socache) and the URL prefix "
                   "it caches; inside a <Location>, the type only."),
    AP_INIT_TAKE1("CacheDisable", set_disable, NULL, CONTEXTS,
                  "A URL prefix not to cache; 'on' inside a <Location>."),
    AP_INIT_FLAG("CacheQuickHandler", set_server_flag, SRV_OFF(quick),
                 RSRC_CONF,
                 "Whether hits are served before authentication and the "
                 "handler (on) or in the handler phase (off)."),
    AP_INIT_TAKE1("CacheDefaultExpire", set_seconds, DIR_OFF(default_expire),
                  CONTEXTS,
                  "Seconds a response without expiry or Last-Modified "
                  "stays fresh."),
    AP_INIT_TAKE1("CacheMaxExpire", set_seconds, DIR_OFF(max_expire), CONTEXTS,
                  "The longest freshness, in seconds."),
    AP_INIT_TAKE1("CacheMinExpire", set_seconds, DIR_OFF(min_expire), CONTEXTS,
                  "The shortest heuristic freshness, in seconds."),
    AP_INIT_TAKE1("CacheLastModifiedFactor", set_lm_factor, NULL, CONTEXTS,
                  "The share of a response's age since Last-Modified that "
                  "it stays fresh without an explicit expiry."),
    AP_INIT_FLAG("CacheIgnoreNoLastMod", ap_set_flag_slot,
                 DIR_OFF(ignore_no_last_mod), CONTEXTS,
                 "Whether responses without Last-Modified may be stored."),
    AP_INIT_FLAG("CacheIgnoreCacheControl", set_server_flag,
                 SRV_OFF(ignore_cache_control), RSRC_CONF,
                 "Whether a client's no-cache and max-age=0 are ignored."),
    AP_INIT_FLAG("CacheIgnoreQueryString", set_server_flag,
                 SRV_OFF(ignore_query), RSRC_CONF,
                 "Whether the query string is left out of the key."),
    AP_INIT_ITERATE("CacheIgnoreHeaders", set_ignore_headers, NULL, RSRC_CONF,
                    "Response header fields never stored, or None."),
    AP_INIT_ITERATE("CacheIgnoreURLSessionIdentifiers", set_session_id, NULL,
                    RSRC_CONF,
                    "Session identifiers taken out of the URL for the key, "
                    "or None."),
    AP_INIT_FLAG("CacheStoreExpired", ap_set_flag_slot, DIR_OFF(store_expired),
                 CONTEXTS, "Whether already stale responses are stored."),
    AP_INIT_FLAG("CacheStorePrivate", ap_set_flag_slot, DIR_OFF(store_private),
                 CONTEXTS, "Whether 'private' responses are stored."),
    AP_INIT_FLAG("CacheStoreNoStore", ap_set_flag_slot, DIR_OFF(store_no_store),
                 CONTEXTS, "Whether 'no-store' responses are stored."),
    AP_INIT_FLAG("CacheStaleOnError", ap_set_flag_slot, DIR_OFF(stale_on_error),
                 CONTEXTS,
                 "Whether a stale entry is served when revalidation meets a "
                 "server error."),
    AP_INIT_FLAG("CacheHeader", ap_set_flag_slot, DIR_OFF(header), CONTEXTS,
                 "Whether responses carry X-Cache: HIT, MISS, REVALIDATE or "
                 "INVALIDATE."),
    AP_INIT_FLAG("CacheDetailHeader", ap_set_flag_slot, DIR_OFF(detail_header),
                 CONTEXTS,
                 "Whether responses carry X-Cache-Detail with the reason."),
    AP_INIT_FLAG("CacheStatusHeader", ap_set_flag_slot, DIR_OFF(status_header),
                 CONTEXTS,
                 "Whether responses carry an RFC 9211 Cache-Status field "
                 "(a Relay extension)."),
    AP_INIT_TAKE1("CacheKeyBaseURL", set_key_base_url, NULL, RSRC_CONF,
                  "The scheme://host:port that reverse-proxied keys use."),
    AP_INIT_FLAG("CacheLock", set_server_flag, SRV_OFF(lock), RSRC_CONF,
                 "Whether concurrent misses for one URL are collapsed."),
    AP_INIT_TAKE1("CacheLockPath", set_lock_path, NULL, RSRC_CONF,
                  "The directory of the cache locks."),
    AP_INIT_TAKE1("CacheLockMaxAge", set_lock_max_age, NULL, RSRC_CONF,
                  "Seconds after which a cache lock is ignored."),
    {NULL}};
