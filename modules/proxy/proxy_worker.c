/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Workers: one per origin URL named in ProxyPass (or ProxySet), holding the
 * parameters of that origin and, in each child process, its connection pool
 * and health. This file parses the key=value parameters, defines and finds
 * workers, applies defaults, and keeps the error state that makes a failed
 * origin answer 503 at once until its retry time has passed.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "http_core.h"
#include "ap_mpm.h"
#include "apr_atomic.h"

#include "relay/relay_headers.h"
#include "proxy_private.h"

/* Relay's retry for workers outside a balancer: a recovered origin is used
 * again within about a second (stock waits 60 s). */
#define RELAY_DEFAULT_RETRY apr_time_from_sec(1)
#define RELAY_DEFAULT_IO_BUFFER 8192
#define RELAY_DEFAULT_FIELD_SIZE 8192
#define RELAY_DEFAULT_FLUSHWAIT apr_time_from_msec(10)

void relay_worker_params_unset(relay_worker_params_t *params)
{
    /* Padding too: relay_worker_define() compares whole records. */
    memset(params, 0, sizeof(*params));
    params->timeout = RELAY_UNSET;
    params->connect_timeout = RELAY_UNSET;
    params->retry = RELAY_UNSET;
    params->ttl = RELAY_UNSET;
    params->acquire = RELAY_UNSET;
    params->max = RELAY_UNSET;
    params->smax = RELAY_UNSET;
    params->min = RELAY_UNSET;
    params->keepalive = RELAY_UNSET;
    params->disablereuse = RELAY_UNSET;
    params->flushpackets = RELAY_UNSET;
    params->flushwait = RELAY_UNSET;
    params->iobuffersize = RELAY_UNSET;
    params->receivebuffersize = RELAY_UNSET;
    params->responsefieldsize = RELAY_UNSET;
    params->ping_ms = RELAY_UNSET;
    params->addressttl = RELAY_UNSET;
    params->status = RELAY_UNSET;
    relay_hc_params_unset(&params->hc);
    params->upgrade = NULL;
    params->secret = NULL;
}

/* Copies every parameter `add` sets over `base`. */
void relay_worker_params_overlay(relay_worker_params_t *base,
                                 const relay_worker_params_t *add)
{
#define OVERLAY(field)                                                         \
    if (add->field != RELAY_UNSET)                                             \
    base->field = add->field
    OVERLAY(timeout);
    OVERLAY(connect_timeout);
    OVERLAY(retry);
    OVERLAY(ttl);
    OVERLAY(acquire);
    OVERLAY(max);
    OVERLAY(smax);
    OVERLAY(min);
    OVERLAY(keepalive);
    OVERLAY(disablereuse);
    OVERLAY(flushpackets);
    OVERLAY(flushwait);
    OVERLAY(iobuffersize);
    OVERLAY(receivebuffersize);
    OVERLAY(responsefieldsize);
    OVERLAY(ping_ms);
    OVERLAY(addressttl);
    OVERLAY(status);
#undef OVERLAY
    relay_hc_params_overlay(&base->hc, &add->hc);
    if (add->upgrade) {
        base->upgrade = add->upgrade;
    }
    if (add->secret) {
        base->secret = add->secret;
    }
}

static const char *parse_onoff(apr_pool_t *p, const char *key,
                               const char *value, int *out)
{
    if (!strcasecmp(value, "on")) {
        *out = 1;
    }
    else if (!strcasecmp(value, "off")) {
        *out = 0;
    }
    else {
        return apr_psprintf(p, "%s must be On or Off, not '%s'", key, value);
    }
    return NULL;
}

static const char *parse_time(apr_pool_t *p, const char *key, const char *value,
                              const char *unit, apr_interval_time_t *out)
{
    if (!apr_isdigit(*value) ||
        ap_timeout_parameter_parse(value, out, unit) != APR_SUCCESS ||
        *out < 0) {
        return apr_psprintf(p, "%s must be a non-negative time, not '%s'", key,
                            value);
    }
    return NULL;
}

static const char *parse_int(apr_pool_t *p, const char *key, const char *value,
                             int min, int max, int *out)
{
    char *end;
    long n = strtol(value, &end, 10);

    if (!apr_isdigit(*value) || *end || n < min || n > max) {
        return apr_psprintf(p, "%s must be a number from %d to %d, not '%s'",
                            key, min, max, value);
    }
    *out = (int)n;
    return NULL;
}

/* ProxyReceiveBufferSize and receivebuffersize=: 0 (the system's size)
 * or at least 512 bytes, as stock. */
const char *relay_parse_receive_buffer(apr_pool_t *p, const char *key,
                                       const char *value, int *out)
{
    char *end;
    long n = strtol(value, &end, 10);

    if (!apr_isdigit(*value) || *end || (n != 0 && n < 512) || n > (1 << 30)) {
        return apr_psprintf(p,
                            "%s must be 0 (the system's size) or a number "
                            "of bytes from 512, not '%s'",
                            key, value);
    }
    *out = (int)n;
    return NULL;
}

/*
 * Sets one worker parameter from its ProxyPass/ProxySet spelling. Returns
 * NULL, or an error text naming the key and the bad value.
 */
const char *relay_worker_param_set(apr_pool_t *p, relay_worker_params_t *params,
                                   const char *key, const char *value)
{
    int flag = 0;

    if (!strcasecmp(key, "timeout")) {
        return parse_time(p, key, value, "s", &params->timeout);
    }
    if (!strcasecmp(key, "connectiontimeout")) {
        return parse_time(p, key, value, "s", &params->connect_timeout);
    }
    if (!strcasecmp(key, "retry")) {
        return parse_time(p, key, value, "s", &params->retry);
    }
    if (!strcasecmp(key, "ttl")) {
        return parse_time(p, key, value, "s", &params->ttl);
    }
    if (!strcasecmp(key, "acquire")) {
        return parse_time(p, key, value, "ms", &params->acquire);
    }
    if (!strcasecmp(key, "flushwait")) {
        return parse_time(p, key, value, "ms", &params->flushwait);
    }
    if (!strcasecmp(key, "ping")) {
        apr_interval_time_t t;
        const char *err = parse_time(p, key, value, "s", &t);
        params->ping_ms = (int)apr_time_as_msec(t);
        return err;
    }
    if (!strcasecmp(key, "max")) {
        return parse_int(p, key, value, 0, 100000, &params->max);
    }
    if (!strcasecmp(key, "smax")) {
        return parse_int(p, key, value, 0, 100000, &params->smax);
    }
    if (!strcasecmp(key, "min")) {
        return parse_int(p, key, value, 0, 100000, &params->min);
    }
    if (!strcasecmp(key, "iobuffersize")) {
        return parse_int(p, key, value, 512, 1 << 20, &params->iobuffersize);
    }
    if (!strcasecmp(key, "receivebuffersize")) {
        return relay_parse_receive_buffer(p, key, value,
                                          &params->receivebuffersize);
    }
    if (!strcasecmp(key, "addressttl")) {
        if (!strcmp(value, "-1")) {
            params->addressttl = -1;
            return NULL;
        }
        return parse_int(p, key, value, 0, 86400 * 365, &params->addressttl);
    }
    if (!strcasecmp(key, "flusher")) {
        /* The name of the provider that flushes a response; stock ships
         * one ("flush"), which is what Relay does. */
        if (strcmp(value, "flush") != 0) {
            return apr_psprintf(p,
                                "flusher must be flush (the only flusher "
                                "there is), not '%s'",
                                value);
        }
        return NULL;
    }
    if (!strcasecmp(key, "responsefieldsize")) {
        return parse_int(p, key, value, 512, 1 << 20,
                         &params->responsefieldsize);
    }
    if (!strcasecmp(key, "keepalive")) {
        return parse_onoff(p, key, value, &params->keepalive);
    }
    if (!strcasecmp(key, "disablereuse") || !strcasecmp(key, "enablereuse")) {
        const char *err = parse_onoff(p, key, value, &flag);
        if (!err) {
            params->disablereuse =
                !strcasecmp(key, "disablereuse") ? flag : !flag;
        }
        return err;
    }
    if (!strcasecmp(key, "flushpackets")) {
        if (!strcasecmp(value, "on")) {
            params->flushpackets = RELAY_FLUSH_ON;
        }
        else if (!strcasecmp(value, "off")) {
            params->flushpackets = RELAY_FLUSH_OFF;
        }
        else if (!strcasecmp(value, "auto")) {
            params->flushpackets = RELAY_FLUSH_AUTO;
        }
        else {
            return apr_psprintf(p,
                                "flushpackets must be On, Off or Auto, "
                                "not '%s'",
                                value);
        }
        return NULL;
    }
    if (!strcasecmp(key, "secret")) {
        /* AJP's shared secret (mod_proxy_ajp); other schemes ignore it. */
        params->secret = apr_pstrdup(p, value);
        return NULL;
    }
    if (!strcasecmp(key, "upgrade")) {
        if (!*value || !relay_header_name_is_token(value)) {
            return apr_psprintf(p, "upgrade must be a protocol name, not '%s'",
                                value);
        }
        params->upgrade = apr_pstrdup(p, value);
        return NULL;
    }
    return apr_psprintf(p, "unknown worker parameter '%s'", key);
}

/*
 * The name a worker is known by: lower-case scheme and host, the port
 * always written out, then the path as given, behind "unix:/path|" for a
 * worker reaching its origin through a unix socket. Two spellings of one
 * origin ("http://o/" and "http://O:80/") give the same name.
 */
static const char *worker_name(apr_pool_t *p, const char *url,
                               const char **scheme, const char **host,
                               apr_port_t *port, const char **uds_path)
{
    apr_uri_t uri;
    char *s, *h;

    url = relay_scheme_split_uds(p, url, uds_path);
    if (!url || apr_uri_parse(p, url, &uri) != APR_SUCCESS || !uri.scheme ||
        !uri.hostname || !*uri.hostname) {
        return NULL;
    }
    s = apr_pstrdup(p, uri.scheme);
    ap_str_tolower(s);
    h = apr_pstrdup(p, uri.hostname);
    ap_str_tolower(h);
    *scheme = s;
    *host = h;
    *port = uri.port_str ? uri.port : relay_scheme_default_port(s);
    return apr_psprintf(p, "%s%s%s%s://%s%s%s:%u%s", *uds_path ? "unix:" : "",
                        *uds_path ? *uds_path : "", *uds_path ? "|" : "", s,
                        strchr(h, ':') ? "[" : "", h, strchr(h, ':') ? "]" : "",
                        *port, uri.path ? uri.path : "/");
}

/*
 * Defines the worker for `url` in `conf`, or finds the one already there
 * with the same name: then the new parameters are ignored with a warning,
 * as stock does, since one origin has one pool.
 */
const char *relay_worker_define(apr_pool_t *p, relay_proxy_server_conf_t *conf,
                                const char *url, const char *balancer,
                                const relay_worker_params_t *params,
                                const char *defined_in, relay_worker_t **out)
{
    const char *scheme, *host, *name, *uds_path;
    apr_port_t port;
    relay_worker_t *w;
    int i;

    name = worker_name(p, url, &scheme, &host, &port, &uds_path);
    if (!name) {
        return apr_psprintf(p, "'%s' is not an absolute URL with a host", url);
    }
    if (!port) {
        return apr_psprintf(p,
                            "'%s' has no port and Relay knows no default "
                            "port for its scheme",
                            url);
    }
    for (i = 0; i < conf->workers->nelts; i++) {
        w = APR_ARRAY_IDX(conf->workers, i, relay_worker_t *);
        if (!strcmp(w->name, name) &&
            (w->balancer == balancer ||
             (w->balancer && balancer && !strcmp(w->balancer, balancer)))) {
            relay_worker_params_t none;
            relay_worker_params_unset(&none);
            if (params && memcmp(params, &none, sizeof(none))) {
                ap_log_error(
                    APLOG_MARK, APLOG_WARNING, 0, NULL,
                    RELAY_LOGNO(
                        01001) "%s: worker %s was already "
                               "defined at %s; its parameters stay as there",
                    defined_in, name, w->defined_in);
            }
            *out = w;
            return NULL;
        }
    }
    w = apr_pcalloc(p, sizeof(*w));
    w->magic = RELAY_WORKER_MAGIC;
    w->name = name;
    w->scheme = scheme;
    w->provider = relay_scheme_find(scheme);
    w->hostname = host;
    w->port = port;
    w->uds_path = uds_path;
    w->defined_in = defined_in;
    w->balancer = balancer;
    relay_worker_params_unset(&w->params);
    if (params) {
        w->params = *params;
    }
    APR_ARRAY_PUSH(conf->workers, relay_worker_t *) = w;
    *out = w;
    return NULL;
}

relay_prefix_set_t *relay_worker_names_index(apr_pool_t *p,
                                             const apr_array_header_t *workers)
{
    relay_prefix_set_t *names = relay_prefix_set_make(p);
    int i;

    for (i = 0; i < workers->nelts; i++) {
        relay_prefix_set_add(names,
                             APR_ARRAY_IDX(workers, i, relay_worker_t *)->name);
    }
    return names;
}

typedef struct longest_name_t {
    const apr_array_header_t *workers;
    relay_worker_t *best; /* the first of the longest names so far */
} longest_name_t;

/* The walk finds shorter names first: keeps a strictly longer one, of a
 * worker outside any balancer. */
static int note_longer_name(void *baton, int member)
{
    longest_name_t *longest = baton;
    relay_worker_t *w =
        APR_ARRAY_IDX(longest->workers, member, relay_worker_t *);

    if (w->balancer) {
        return 0; /* reached through its balancer only */
    }
    if (!longest->best || strlen(w->name) > strlen(longest->best->name)) {
        longest->best = w;
    }
    return 0;
}

/*
 * Finds the worker whose name is the longest prefix of `url` (after the
 * same normalisation), or NULL, through the index of worker names.
 */
relay_worker_t *relay_worker_find(relay_proxy_server_conf_t *conf,
                                  const char *url, apr_pool_t *p)
{
    const char *scheme, *host, *name, *uds_path;
    apr_port_t port;
    longest_name_t longest = {conf->workers, NULL};

    name = worker_name(p, url, &scheme, &host, &port, &uds_path);
    if (!name) {
        return NULL;
    }
    AP_DEBUG_ASSERT(conf->worker_names != NULL);
    relay_prefix_set_walk(conf->worker_names, name, note_longer_name, &longest);
    return longest.best;
}

/* The worker for URLs no ProxyPass defined: it never pools connections. */
relay_worker_t *relay_worker_make_generic(apr_pool_t *p)
{
    relay_worker_t *w = apr_pcalloc(p, sizeof(*w));

    w->magic = RELAY_WORKER_MAGIC;
    w->name = "generic";
    w->scheme = "";
    w->hostname = "";
    w->is_generic = 1;
    w->defined_in = "built-in";
    relay_worker_params_unset(&w->params);
    w->params.disablereuse = 1;
    return w;
}

/* Fills every parameter still unset with its default (post_config). */
void relay_worker_finish(relay_worker_t *w, server_rec *s,
                         const relay_proxy_server_conf_t *conf)
{
    relay_worker_params_t *pp = &w->params;
    int threads = 0;

    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    if (threads < 1) {
        threads = 1;
    }
    if (pp->timeout == RELAY_UNSET) {
        pp->timeout = conf->timeout != RELAY_UNSET ? conf->timeout : s->timeout;
    }
    if (pp->connect_timeout == RELAY_UNSET) {
        pp->connect_timeout = pp->timeout;
    }
    if (pp->retry == RELAY_UNSET) {
        pp->retry = RELAY_DEFAULT_RETRY;
    }
    if (pp->ttl == RELAY_UNSET) {
        pp->ttl = 0;
    }
    if (pp->acquire == RELAY_UNSET) {
        pp->acquire = 0;
    }
    if (pp->max == RELAY_UNSET || pp->max == 0) {
        pp->max = threads;
    }
    if (pp->smax == RELAY_UNSET || pp->smax > pp->max) {
        pp->smax = pp->max;
    }
    if (pp->min == RELAY_UNSET) {
        pp->min = 0;
    }
    if (pp->min > pp->smax) {
        pp->min = pp->smax;
    }
    if (pp->keepalive == RELAY_UNSET) {
        pp->keepalive = 0;
    }
    if (pp->disablereuse == RELAY_UNSET) {
        pp->disablereuse = w->provider && w->provider->close_by_default;
    }
    if (pp->flushpackets == RELAY_UNSET) {
        pp->flushpackets = RELAY_FLUSH_OFF;
    }
    if (pp->flushwait == RELAY_UNSET) {
        pp->flushwait = RELAY_DEFAULT_FLUSHWAIT;
    }
    if (pp->receivebuffersize == RELAY_UNSET) {
        pp->receivebuffersize =
            conf->recv_buffer_size != RELAY_UNSET ? conf->recv_buffer_size : 0;
    }
    if (pp->iobuffersize == RELAY_UNSET) {
        pp->iobuffersize = conf->io_buffer_size_set ? (int)conf->io_buffer_size
                                                    : RELAY_DEFAULT_IO_BUFFER;
    }
    if (pp->responsefieldsize == RELAY_UNSET) {
        pp->responsefieldsize = RELAY_DEFAULT_FIELD_SIZE;
    }
    if (pp->ping_ms == RELAY_UNSET) {
        pp->ping_ms = 0;
    }
    if (pp->addressttl == RELAY_UNSET) {
        pp->addressttl = -1;
    }
    relay_hc_params_finish(&pp->hc);
}

/* The worker's error state and health are in its shared slot, so every
 * child process sees one state. */
int relay_worker_is_usable(relay_worker_t *w, apr_time_t now)
{
    relay_worker_shared_t *slot = w->shared;
    apr_uint64_t until;

    if (!slot) {
        return 1;
    }
    if (apr_atomic_read32(&slot->state) & RELAY_LB_HCFAIL) {
        return 0;
    }
    until = apr_atomic_read64(&slot->error_until);
    return until == 0 || (apr_uint64_t)now >= until;
}

static void worker_fail(relay_worker_t *w, server_rec *s, apr_status_t rv,
                        const char *why)
{
    relay_worker_shared_t *slot = w->shared;
    apr_time_t now = apr_time_now();
    apr_uint64_t until = (apr_uint64_t)(now + w->params.retry);

    if (!slot) {
        return;
    }
    apr_atomic_inc64(&slot->errors);
    apr_atomic_set64(&slot->error_time, (apr_uint64_t)now);
    relay_shm_state_set(slot, RELAY_LB_ERROR);
    /* Whoever takes the slot out of "no error" logs the outage. */
    if (apr_atomic_cas64(&slot->error_until, until, 0) == 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     RELAY_LOGNO(01002) "worker %s: %s, in error state "
                                        "for %" APR_TIME_T_FMT " ms",
                     w->name, why, apr_time_as_msec(w->params.retry));
        return;
    }
    apr_atomic_set64(&slot->error_until, until);
}

void relay_worker_fail(relay_worker_t *w, server_rec *s, request_rec *r,
                       const char *why)
{
    worker_fail(w, r ? r->server : s, APR_SUCCESS, why);
}

/* A connect failure: skip this origin for `retry` (logged once per
 * outage, not once per request, whichever child sees it). */
void relay_worker_mark_failed(relay_worker_t *w, server_rec *s, apr_status_t rv)
{
    if (w->is_generic) {
        return;
    }
    worker_fail(w, s, rv, "origin unreachable");
}

void relay_worker_recover(relay_worker_t *w, server_rec *s)
{
    relay_worker_shared_t *slot = w->shared;

    (void)s;
    if (slot && apr_atomic_xchg64(&slot->error_until, 0)) {
        relay_shm_state_clear(slot, RELAY_LB_ERROR);
    }
}

void relay_worker_mark_ok(relay_worker_t *w, server_rec *s)
{
    relay_worker_shared_t *slot = w->shared;

    if (!slot || !apr_atomic_read64(&slot->error_until)) {
        return;
    }
    if (apr_atomic_xchg64(&slot->error_until, 0)) {
        relay_shm_state_clear(slot, RELAY_LB_ERROR);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     RELAY_LOGNO(01003) "worker %s: origin reachable again",
                     w->name);
    }
}

void relay_worker_count_start(relay_worker_t *w, int busy)
{
    if (w->shared) {
        apr_atomic_inc64(&w->shared->requests);
        if (busy) {
            apr_atomic_inc32(&w->shared->busy);
        }
    }
}

void relay_worker_count_end(relay_worker_t *w, int busy)
{
    if (w->shared && busy) {
        apr_atomic_dec32(&w->shared->busy);
    }
}

void relay_worker_count_result(relay_worker_t *w, int status,
                               relay_proxy_error_t cause,
                               apr_interval_time_t duration)
{
    relay_worker_shared_t *sh = w->shared;
    int cls = relay_metrics_status_class(status);

    if (!sh) {
        return;
    }
    if (cls >= 0) {
        apr_atomic_inc64(&sh->responses[cls]);
    }
    if (cause > RELAY_PROXY_ERROR_NONE && cause < RELAY_PROXY_ERROR_COUNT) {
        apr_atomic_inc64(&sh->causes[cause]);
    }
    apr_atomic_inc64(&sh->latency[relay_metrics_bucket(duration)]);
    apr_atomic_add64(&sh->latency_us,
                     duration > 0 ? (apr_uint64_t)duration : 0);
}
