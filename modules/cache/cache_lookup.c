/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Looking a request up and answering it from the cache: the key, the
 * variant its Vary selects, RFC 9111's decision (relay_cache_serve_decide)
 * and then a hit (with Age, or 304 to a client's conditional request), a
 * revalidation (validators added, the request goes on to the origin) or a
 * miss (the request goes on; the save filter may store the answer).
 */
#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "relay/relay_headers.h"
#include "cache_private.h"

APLOG_USE_MODULE(cache);

/*
 * The Cache-Status member of this cache (RFC 9211): "hit" when the stored
 * response answered without a forward request, else fwd= with the reason
 * (uri-miss, vary-miss, stale, request, method, or miss), fwd-status,
 * "stored" when the response had been stored when the field was made and
 * "collapsed" when the request waited for another's fetch (CacheLock);
 * ttl on answers from the cache, negative when stale. The field goes out
 * with the head, before the body: a response still streaming into the
 * store when its head leaves does not say "stored" (see cache_save.c).
 */
static const char *status_field(request_rec *r, const char *status)
{
    const cache_req_t *cr =
        ap_get_module_config(r->request_config, &cache_module);
    int hit = !strcmp(status, "HIT");
    const char *v;

    if (!cr) {
        return "Relay; fwd=miss";
    }
    if (hit && !cr->fwd_status && !cr->collapsed) {
        v = "Relay; hit";
    }
    else {
        v = apr_pstrcat(r->pool, "Relay; fwd=",
                        !strcmp(status, "INVALIDATE") ? "method"
                        : cr->fwd                     ? cr->fwd
                                                      : "miss",
                        NULL);
        if (cr->fwd_status) {
            v = apr_psprintf(r->pool, "%s; fwd-status=%d", v, cr->fwd_status);
        }
        if (cr->stored) {
            v = apr_pstrcat(r->pool, v, "; stored", NULL);
        }
        if (cr->collapsed) {
            v = apr_pstrcat(r->pool, v, "; collapsed", NULL);
        }
    }
    if (hit && cr->decided) {
        v = apr_psprintf(r->pool, "%s; ttl=%" APR_INT64_T_FMT, v,
                         cr->decision.lifetime - cr->decision.age);
    }
    return v;
}

void cache_mark_stored(request_rec *r)
{
    const cache_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &cache_module);

    if (dc->status_header == 1) {
        apr_table_setn(r->err_headers_out, "Cache-Status",
                       status_field(r, "MISS"));
    }
}

/* The environment variable named for a status: "cache-hit" for HIT. */
static const char *status_env(apr_pool_t *pool, const char *status)
{
    static const char *const names[][2] = {
        {"HIT", "cache-hit"},
        {"MISS", "cache-miss"},
        {"REVALIDATE", "cache-revalidate"},
        {"INVALIDATE", "cache-invalidate"},
    };
    char *env, *p;
    apr_size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcmp(status, names[i][0])) {
            return names[i][1];
        }
    }
    env = apr_pstrcat(pool, "cache-", status, NULL);
    for (p = env; *p; p++) {
        *p = apr_tolower(*p);
    }
    return env;
}

void cache_mark(request_rec *r, const char *status, const char *reason)
{
    const cache_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &cache_module);

    apr_table_setn(r->subprocess_env, status_env(r->pool, status), reason);
    apr_table_setn(r->subprocess_env, "cache-status", reason);
    if (dc->header == 1) {
        apr_table_setn(r->err_headers_out, "X-Cache",
                       apr_psprintf(r->pool, "%s from %s", status,
                                    r->server->server_hostname));
    }
    if (dc->detail_header == 1) {
        apr_table_setn(r->err_headers_out, "X-Cache-Detail",
                       apr_psprintf(r->pool, "\"%s\" from %s", reason,
                                    r->server->server_hostname));
    }
    if (dc->status_header == 1) {
        apr_table_setn(r->err_headers_out, "Cache-Status",
                       status_field(r, status));
    }
}

/* Reads a found head; a block that does not decode is dropped. */
static int decode(request_rec *r, cache_req_t *cr, const char *key,
                  relay_cache_found_t *f, relay_cache_entry_t *e)
{
    relay_cache_entry_status_t st =
        f->head_checked
            ? relay_cache_entry_decode_checked(r->pool, f->head, f->head_len, e)
            : relay_cache_entry_decode(r->pool, f->head, f->head_len, e);

    if (st == RELAY_CACHE_ENTRY_OK && e->body_length == f->body_len) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  RELAY_LOGNO(04000) "dropping the %s cache entry of %s: %s",
                  cr->type, key,
                  st == RELAY_CACHE_ENTRY_OK ? "body length mismatch"
                                             : relay_cache_entry_describe(st));
    cr->store->remove(r, key);
    return 0;
}

/* The names of a Vary head's fields, as a Vary value. */
static const char *vary_names(request_rec *r, const apr_array_header_t *v)
{
    apr_array_header_t *a = apr_array_make(r->pool, v->nelts, sizeof(char *));
    int i;

    for (i = 0; i < v->nelts; i++) {
        APR_ARRAY_PUSH(a, const char *) =
            APR_ARRAY_IDX(v, i, relay_cache_vary_field_t).name;
    }
    return apr_array_pstrcat(r->pool, a, ',');
}

/*
 * Finds the entry that answers r: under the primary key, or, when that
 * holds a Vary head, the variant the request's fields select.
 */
static relay_cache_found_t *find(request_rec *r, cache_req_t *cr,
                                 relay_cache_entry_t *e, const char **key)
{
    relay_cache_found_t *f;
    apr_array_header_t *fields;

    *key = cr->key;
    cr->fwd = "uri-miss";
    if (cr->store->lookup(r, cr->key, &f) != APR_SUCCESS ||
        !decode(r, cr, cr->key, f, e)) {
        return NULL;
    }
    if (!e->vary || e->vary->nelts == 0) {
        cr->fwd = NULL;
        return f;
    }
    cr->fwd = "vary-miss";
    fields = relay_cache_vary_fields(r->pool, vary_names(r, e->vary),
                                     cr->client_headers);
    if (!fields) {
        return NULL;
    }
    *key = apr_pstrcat(r->pool, cr->key, RELAY_CACHE_VARIANT_SEP,
                       relay_cache_vary_key(r->pool, fields), NULL);
    if (cr->store->lookup(r, *key, &f) != APR_SUCCESS ||
        !decode(r, cr, *key, f, e)) {
        return NULL;
    }
    if (!e->vary ||
        !relay_cache_vary_match(r->pool, e->vary, cr->client_headers)) {
        return NULL;
    }
    cr->fwd = NULL;
    return f;
}

/*
 * The filters a quick-handler hit passes through have not been set up:
 * httpd runs the filters' init functions just before a handler, and the
 * quick handler comes before that. mod_filter's harness (a FilterDeclare
 * of any type) keeps its per-request state there, so run them, as for
 * any handler.
 */
static int init_filters(ap_filter_t *f)
{
    int rc;

    for (; f; f = f->next) {
        if (f->frec->filter_init_func &&
            (rc = f->frec->filter_init_func(f)) != OK) {
            return rc;
        }
    }
    return OK;
}

/*
 * Where a stored response enters the output chain: right after the
 * filter it was stored behind. That is a placed CACHE filter; or the save
 * filter handing it back (a 304, or an origin error while revalidating);
 * otherwise the save filter's place after the content-set filters, as
 * stock does: from the quick handler the request's filters are inserted
 * first (SetOutputFilter, Header ...), then the resource and content-set
 * filters are removed, since their work (INCLUDES, DEFLATE, Header) is in
 * the stored response, and the rest set up as for a handler.
 */
static ap_filter_t *serve_into(request_rec *r, cache_req_t *cr,
                               ap_filter_t *after, int *rc)
{
    ap_filter_t *f, *next;

    *rc = OK;
    if (after) {
        return after;
    }
    if (cr->place) {
        return cr->place->next;
    }
    if (cr->quick_tried) {
        ap_run_insert_filter(r);
    }
    for (f = r->output_filters; f && f->frec->ftype <= AP_FTYPE_CONTENT_SET;
         f = next) {
        next = f->next;
        ap_remove_output_filter(f);
    }
    if (cr->quick_tried) {
        *rc = init_filters(f);
    }
    return f;
}

int cache_serve(request_rec *r, cache_req_t *cr, relay_cache_found_t *found,
                relay_cache_entry_t *e, const relay_cache_response_t *stored,
                const char *status, const char *reason, ap_filter_t *after)
{
    apr_bucket_brigade *bb =
        apr_brigade_create(r->pool, r->connection->bucket_alloc);
    const char *type = apr_table_get(e->headers, "Content-Type");
    relay_cache_response_t resp;
    relay_cache_cond_t cond;
    apr_int64_t age;
    ap_filter_t *next;
    int rc;

    if (!stored) {
        relay_cache_response_read(&resp, r->pool, e->status, e->headers);
        stored = &resp;
    }
    age = relay_cache_current_age(stored, e->request_time, e->response_time,
                                  apr_time_now());
    cond = relay_cache_conditional(r->method, cr->client_headers, e->headers);
    if (cond == RELAY_CACHE_COND_PRECONDITION_FAILED) {
        cache_mark(r, status, reason);
        return HTTP_PRECONDITION_FAILED;
    }
    r->headers_out = apr_table_copy(r->pool, e->headers);
    apr_table_unset(r->headers_out, "Content-Length");
    apr_table_unset(r->headers_out, "Content-Type");
    apr_table_setn(r->headers_out, "Age",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, age));
    if (type) {
        ap_set_content_type(r, type);
    }
    cache_mark(r, status, reason);
    r->status_line = NULL;
    if (cond == RELAY_CACHE_COND_NOT_MODIFIED) {
        r->status = HTTP_NOT_MODIFIED;
    }
    else {
        r->status = e->status;
        ap_set_content_length(r, e->body_length);
        if (!r->header_only && cr->store->body(r, found, bb) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    next = serve_into(r, cr, after, &rc);
    if (rc != OK) {
        return rc;
    }
    return ap_pass_brigade(next, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

static int is_unsafe(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD") &&
           strcmp(method, "OPTIONS") && strcmp(method, "TRACE");
}

/* How long a waiter sleeps between looks at the store. */
#define CACHE_LOCK_POLL apr_time_from_msec(20)

/* Whether the client asked for something fresher than the cache's own
 * rules would give; such a request never waits for or uses another's
 * fetch. */
static int client_forces(const cache_req_t *cr)
{
    const relay_cache_control_t *cc = &cr->req.cc;

    return !cr->settings.ignore_cache_control &&
           (relay_cache_control_request_no_cache(cc) ||
            cc->max_age != RELAY_CC_UNSET || cc->min_fresh != RELAY_CC_UNSET);
}

/* Serves a stale entry while another request refreshes it. */
static int serve_stale(request_rec *r, cache_req_t *cr,
                       relay_cache_found_t *found, relay_cache_entry_t *e,
                       const relay_cache_response_t *stored, const char *reason)
{
    apr_table_setn(r->err_headers_out, "Warning",
                   "110 - \"Response is Stale\"");
    cache_stats_count(cr->type, CACHE_STAT_HIT);
    return cache_serve(r, cr, found, e, stored, "HIT", reason, NULL);
}

/*
 * CacheLock: another request is fetching the key. Polls the store until
 * the entry appears (served as a collapsed hit), the lock goes away
 * without one (the fetch failed or was not storable) or CacheLockMaxAge
 * passes; DECLINED then sends r to the origin itself.
 */
static int wait_for_fetch(request_rec *r, cache_req_t *cr)
{
    apr_time_t deadline = apr_time_now() + cache_lock_max_age(r);
    relay_cache_found_t *found;
    relay_cache_entry_t e;
    relay_cache_response_t stored;
    const char *key;

    for (;;) {
        /* The holder stores before it unlocks: look after the lock. */
        int last = !cache_lock_held(r, cr) || apr_time_now() >= deadline;

        if ((found = find(r, cr, &e, &key)) != NULL) {
            relay_cache_response_read(&stored, r->pool, e.status, e.headers);
            relay_cache_serve_decide(&cr->settings, &cr->req, &stored,
                                     e.request_time, e.response_time,
                                     apr_time_now(), &cr->decision);
            if (cr->decision.decision == RELAY_CACHE_SERVE_FRESH) {
                cr->decided = 1;
                cr->collapsed = 1;
                cache_stats_count(cr->type, CACHE_STAT_HIT);
                cache_stats_count(cr->type, CACHE_STAT_COLLAPSED);
                return cache_serve(r, cr, found, &e, &stored, "HIT",
                                   "cache hit: collapsed onto another "
                                   "request's fetch (CacheLock)",
                                   NULL);
            }
        }
        if (last) {
            return DECLINED;
        }
        apr_sleep(CACHE_LOCK_POLL);
    }
}

/* The last CACHE filter of r's chain, or NULL. */
static ap_filter_t *placed_filter(request_rec *r)
{
    ap_filter_t *f, *placed = NULL;

    for (f = r->output_filters; f; f = f->next) {
        if (f->frec == cache_place_filter_handle) {
            placed = f;
        }
    }
    return placed;
}

/* The response may be stored: at the placed CACHE filter, or by
 * CACHE_SAVE in its own place. */
static void add_save_filter(request_rec *r, cache_req_t *cr)
{
    if (cr->place) {
        cr->place->ctx = cr;
        return;
    }
    ap_add_output_filter_handle(cache_save_filter_handle, cr, r, r->connection);
}

/* Nothing stored answers the request: 504 under only-if-cached, a wait
 * for another request's fetch under CacheLock, else a miss that may be
 * stored. */
static int no_entry(request_rec *r, cache_req_t *cr)
{
    int rc;

    if (cr->req.cc.only_if_cached) {
        cache_stats_count(cr->type, CACHE_STAT_MISS);
        cache_mark(r, "MISS", "only-if-cached and not in the cache");
        return HTTP_GATEWAY_TIME_OUT;
    }
    /* CacheLock: one fetch per key, the first burst included. */
    if (cache_lock_enabled(r) && !client_forces(cr) &&
        cache_lock_take(r, cr) == APR_EEXIST &&
        (rc = wait_for_fetch(r, cr)) != DECLINED) {
        return rc;
    }
    cache_stats_count(cr->type, CACHE_STAT_MISS);
    add_save_filter(r, cr);
    return DECLINED;
}

int cache_lookup(request_rec *r, int quick)
{
    cache_req_t *cr = ap_get_module_config(r->request_config, &cache_module);
    relay_cache_found_t *found;
    relay_cache_entry_t e;
    relay_cache_response_t stored;
    const char *reason, *key;
    int from_dir;

    if (r->main || (cr && cr->quick_tried)) {
        return DECLINED;
    }
    cr = apr_pcalloc(r->pool, sizeof(*cr));
    cr->store = cache_select(r, &from_dir, &cr->type);
    if (!cr->store || (quick && from_dir)) {
        return DECLINED; /* a <Location>'s store is looked up later */
    }
    cr->quick_tried = quick;
    cr->place = quick ? NULL : placed_filter(r);
    ap_set_module_config(r->request_config, &cache_module, cr);
    if (!cache_key(r, cr)) {
        return DECLINED;
    }
    cache_settings(r, &cr->settings);
    relay_cache_request_read(&cr->req, r->pool, r->method, r->args,
                             r->headers_in);
    if (is_unsafe(r->method)) {
        ap_add_output_filter_handle(cache_invalidate_filter_handle, cr, r,
                                    r->connection);
        return DECLINED;
    }
    if (relay_cache_lookup_allowed(&cr->settings, &cr->req, quick, &reason) !=
        RELAY_CACHE_LOOKUP_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                      "cache of %s not used: %s", cr->key, reason);
        return DECLINED;
    }
    /* Variants are told apart by what the origin is sent: a field the
     * client names in Connection never reaches it. */
    cr->client_headers = apr_table_copy(r->pool, r->headers_in);
    relay_headers_strip_hop_by_hop(cr->client_headers, 0);
    found = find(r, cr, &e, &key);
    if (!found) {
        return no_entry(r, cr);
    }
    relay_cache_response_read(&stored, r->pool, e.status, e.headers);
    relay_cache_serve_decide(&cr->settings, &cr->req, &stored, e.request_time,
                             e.response_time, apr_time_now(), &cr->decision);
    cr->decided = 1;
    switch (cr->decision.decision) {
    case RELAY_CACHE_SERVE_FRESH:
        cache_stats_count(cr->type, CACHE_STAT_HIT);
        return cache_serve(r, cr, found, &e, &stored, "HIT", "cache hit", NULL);
    case RELAY_CACHE_SERVE_STALE:
        cache_stats_count(cr->type, CACHE_STAT_HIT);
        return cache_serve(
            r, cr, found, &e, &stored, "HIT",
            apr_pstrcat(r->pool, "cache hit: ", cr->decision.reason, NULL),
            NULL);
    case RELAY_CACHE_SERVE_GATEWAY_TIMEOUT:
        cache_stats_count(cr->type, CACHE_STAT_MISS);
        cache_mark(r, "MISS", cr->decision.reason);
        return HTTP_GATEWAY_TIME_OUT;
    case RELAY_CACHE_SERVE_STALE_REFRESH:
        /* stale-while-revalidate: the request that takes the key's lock
         * (CacheLock on or not) revalidates in the foreground, every other
         * one gets the stale entry at once; only-if-cached never goes
         * forward. */
        if (cr->req.cc.only_if_cached || cache_lock_take(r, cr) == APR_EEXIST) {
            return serve_stale(r, cr, found, &e, &stored,
                               "cache hit: stale while another request "
                               "refreshes it (stale-while-revalidate)");
        }
        break;
    default:
        /* CacheLock: while another request refreshes a stale entry, the
         * others get the stale entry, where it may be served stale. */
        if (cache_lock_enabled(r) && !client_forces(cr) &&
            cr->decision.may_serve_stale &&
            cache_lock_take(r, cr) == APR_EEXIST) {
            return serve_stale(r, cr, found, &e, &stored,
                               "cache hit: stale while another request "
                               "refreshes it (CacheLock)");
        }
        break;
    }
    cache_stats_count(cr->type, CACHE_STAT_MISS);
    cr->fwd = cr->decision.age < cr->decision.lifetime ? "request" : "stale";
    /* Without validators the entry is fetched anew, yet stays at hand
     * for CacheStaleOnError and stale-if-error. */
    cr->stale = found;
    cr->stale_entry = e;
    cr->stale_key = key;
    cr->validating = relay_cache_validators_add(r->headers_in, e.headers) > 0;
    add_save_filter(r, cr);
    return DECLINED;
}
