/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The output filters that change the cache as a response passes:
 *
 * CACHE_SAVE, on a miss or a revalidation. A 304 answering our
 * revalidation refreshes the stored head and the client gets the stored
 * response (the one it revalidated, which the request holds: refreshed()
 * says why); a 5xx may be replaced by the stale entry (CacheStaleOnError);
 * a storable response is written to the store bucket by bucket as it
 * passes, each bucket sent on in the same step, and published on EOS
 * before that bucket is sent on. A store with hold limits (the disk
 * store's CacheReadSize / CacheReadTime, the socache store's twins) has
 * the stored buckets kept back until enough bytes or time have gone by
 * (save_held()). When the whole response comes in one pass, or was held
 * to its end, it is published before its head leaves and Cache-Status
 * says "stored"; a response still streaming when its head leaves cannot
 * know yet and does not say it. An error bucket (the origin broke off), a
 * failed pass (the client went away) or the store's size limit abandons
 * the write, so a partial body is never stored.
 *
 * CACHE_INVALIDATE, on an unsafe method: once the status is known, the
 * URL and its same-origin Location / Content-Location are removed
 * (RFC 9111 §4.4).
 *
 * CACHE, placed by the administrator (SetOutputFilter, AddOutputFilter)
 * with CacheQuickHandler off: when the handler-phase lookup chose it, it
 * does CACHE_SAVE's work at its place in the chain; otherwise (quick
 * handler, a second CACHE) it steps aside.
 */
#include "apr_strings.h"
#include "http_protocol.h"
#include "http_request.h"

#include "relay/relay_cache_hold.h"
#include "cache_private.h"

APLOG_USE_MODULE(cache);

ap_filter_rec_t *cache_save_filter_handle;
ap_filter_rec_t *cache_invalidate_filter_handle;
ap_filter_rec_t *cache_place_filter_handle;

typedef struct save_ctx_t {
    relay_cache_writer_t *w;
    relay_cache_entry_t entry; /* the head to publish */
    apr_array_header_t *vary;  /* the variant's fields, or NULL */
    const char *key;           /* where the body goes */
    apr_off_t written;
    int failed;
    int passed; /* a pass went on: the head has left */
    /* The store's hold limits: while holding, the pieces stored are kept
     * in `held` until the hold releases them. */
    relay_cache_hold_t hold;
    int holding;
    apr_bucket_brigade *held;
} save_ctx_t;

/* store_bucket()'s room when nothing is held: no bucket is cut. */
#define WHOLE_BUCKET APR_INT64_MAX

apr_table_t *cache_response_headers(request_rec *r)
{
    apr_table_t *h =
        apr_table_overlay(r->pool, r->headers_out, r->err_headers_out);

    if (r->content_type) {
        apr_table_setn(h, "Content-Type", r->content_type);
    }
    /* mod_cache's own marks are not part of the stored response. */
    apr_table_unset(h, "X-Cache");
    apr_table_unset(h, "X-Cache-Detail");
    return h;
}

static const apr_array_header_t *ignored(request_rec *r)
{
    const cache_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &cache_module);

    return sc->ignore_headers;
}

static apr_status_t encode_and(request_rec *r, const relay_cache_entry_t *e,
                               char **buf, apr_size_t *len)
{
    relay_cache_entry_status_t st =
        relay_cache_entry_encode(r->pool, e, buf, len);

    if (st != RELAY_CACHE_ENTRY_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(04001) "cannot store the response to %s: "
                                         "%s",
                      r->uri, relay_cache_entry_describe(st));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/*
 * The origin confirmed the stale entry (304): refresh and serve it.
 *
 * RFC 9111 §4.3.4: a 304 updates the stored responses that carry its
 * validators. Another request may have stored a new response under the
 * key while this one waited for the 304; that one has other validators
 * (or at best the same ones) and is not the response the 304 speaks of,
 * so only the entry this request looked up is refreshed, the store
 * checking that it is still the one under the key (replace_head's `was`)
 * and leaving a newer one alone (RELAY_CACHE_CHANGED). The client is
 * answered either way from the entry it revalidated, head refreshed, whose
 * body the request holds (§4.3.3: the 304 says it can be reused).
 */
static apr_status_t refreshed(ap_filter_t *f, apr_bucket_brigade *bb,
                              cache_req_t *cr)
{
    request_rec *r = f->r;
    relay_cache_entry_t *e = &cr->stale_entry;
    char *head;
    apr_size_t len;

    relay_cache_merge_304(e->headers, cache_response_headers(r), ignored(r));
    e->request_time = r->request_time;
    e->response_time = apr_time_now();
    if (encode_and(r, e, &head, &len) == APR_SUCCESS &&
        cr->store->replace_head(r, cr->stale_key, cr->stale, head, len) ==
            RELAY_CACHE_CHANGED) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      RELAY_LOGNO(04005) "not refreshing the %s cache entry "
                                         "of %s: another response was stored "
                                         "under its key meanwhile",
                      cr->type, cr->stale_key);
    }
    cache_stats_count(cr->type, CACHE_STAT_REVALIDATE);
    apr_brigade_cleanup(bb);
    ap_remove_output_filter(f);
    cr->fwd_status = HTTP_NOT_MODIFIED;
    return cache_serve(r, cr, cr->stale, e, NULL, "REVALIDATE",
                       "conditional cache hit: entry updated", f->next) == OK
               ? APR_SUCCESS
               : APR_EGENERAL;
}

/* The origin failed during revalidation: the stale entry instead. */
static apr_status_t stale_on_error(ap_filter_t *f, apr_bucket_brigade *bb,
                                   cache_req_t *cr)
{
    request_rec *r = f->r;

    apr_brigade_cleanup(bb);
    ap_remove_output_filter(f);
    apr_table_setn(r->err_headers_out, "Warning",
                   "111 - \"Revalidation Failed\"");
    cr->fwd_status = r->status;
    return cache_serve(r, cr, cr->stale, &cr->stale_entry, NULL, "HIT",
                       "cache hit: stale entry served on error", f->next) == OK
               ? APR_SUCCESS
               : APR_EGENERAL;
}

/* Writes the Vary head under the primary key. */
static void store_vary_head(request_rec *r, cache_req_t *cr, save_ctx_t *ctx)
{
    relay_cache_entry_t marker = ctx->entry;
    relay_cache_writer_t *w;
    apr_array_header_t *names;
    char *head;
    apr_size_t len;
    int i;

    names = apr_array_make(r->pool, ctx->vary->nelts,
                           sizeof(relay_cache_vary_field_t));
    for (i = 0; i < ctx->vary->nelts; i++) {
        relay_cache_vary_field_t *v = apr_array_push(names);
        v->name = APR_ARRAY_IDX(ctx->vary, i, relay_cache_vary_field_t).name;
        v->value = NULL;
    }
    marker.headers = apr_table_make(r->pool, 1);
    marker.body_length = 0;
    marker.vary = names;
    if (encode_and(r, &marker, &head, &len) == APR_SUCCESS &&
        cr->store->begin(r, cr->key, RELAY_CACHE_HEAD_ONLY, &w) ==
            APR_SUCCESS) {
        cr->store->commit(w, head, len);
    }
}

static void finish(request_rec *r, cache_req_t *cr, save_ctx_t *ctx)
{
    char *head;
    apr_size_t len;

    ctx->entry.body_length = ctx->written;
    if (encode_and(r, &ctx->entry, &head, &len) != APR_SUCCESS) {
        cr->store->abandon(ctx->w);
        return;
    }
    if (cr->store->commit(ctx->w, head, len) != APR_SUCCESS) {
        return;
    }
    cache_stats_count(cr->type, CACHE_STAT_STORE);
    if (ctx->vary) {
        store_vary_head(r, cr, ctx);
    }
    cr->stored = 1;
    if (!ctx->passed) {
        cache_mark_stored(r); /* the head has not left yet */
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  RELAY_LOGNO(04002) "stored %s (%" APR_OFF_T_FMT " bytes)",
                  ctx->key, ctx->written);
}

/* Sets up the hold with the store's limits for r, if it has any. */
static void start_hold(request_rec *r, cache_req_t *cr, save_ctx_t *ctx)
{
    apr_off_t bytes = 0;
    apr_interval_time_t time = 0;

    if (cr->store->hold_limits) {
        cr->store->hold_limits(r, &bytes, &time);
    }
    ctx->holding = relay_cache_hold_init(&ctx->hold, bytes, time);
    if (ctx->holding) {
        ctx->held = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    }
}

/* Decides on the first pass; returns the context to write with, or NULL
 * when the response goes by untouched. */
static save_ctx_t *start(ap_filter_t *f, cache_req_t *cr)
{
    request_rec *r = f->r;
    apr_table_t *headers = cache_response_headers(r);
    relay_cache_response_t resp, stored;
    relay_cache_store_t why;
    const char *cl = apr_table_get(r->headers_out, "Content-Length");
    apr_off_t hint = -1;
    save_ctx_t *ctx;
    const char *miss = cr->validating ? "REVALIDATE" : "MISS";

    cr->fwd_status = r->status;
    relay_cache_response_read(&resp, r->pool, r->status, headers);
    if (cr->stale) {
        relay_cache_response_read(&stored, r->pool, cr->stale_entry.status,
                                  cr->stale_entry.headers);
    }
    why = relay_cache_storable(&cr->settings, &cr->req, &resp,
                               cr->stale ? &stored : NULL, r->request_time);
    if (why == RELAY_CACHE_STORE_OK &&
        apr_table_get(r->subprocess_env, "no-cache")) {
        why = RELAY_CACHE_STORE_ENV_NO_CACHE;
    }
    if (why != RELAY_CACHE_STORE_OK) {
        cache_mark(r, miss, relay_cache_store_reason(why));
        /* A new answer replaces the stale entry; a server error passed
         * on to the client leaves it in place (as stock). */
        if (cr->stale && why != RELAY_CACHE_STORE_NOT_MODIFIED &&
            !ap_is_HTTP_SERVER_ERROR(r->status)) {
            cr->store->remove(r, cr->key);
        }
        return NULL;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->key = cr->key;
    if (resp.vary) {
        ctx->vary =
            relay_cache_vary_fields(r->pool, resp.vary, cr->client_headers);
        ctx->key = apr_pstrcat(r->pool, cr->key, RELAY_CACHE_VARIANT_SEP,
                               relay_cache_vary_key(r->pool, ctx->vary), NULL);
    }
    if (cl && !r->header_only) {
        char *end;
        if (apr_strtoff(&hint, cl, &end, 10) != APR_SUCCESS || *end ||
            hint < 0) {
            hint = -1;
        }
    }
    if (r->header_only ||
        cr->store->begin(r, ctx->key, hint, &ctx->w) != APR_SUCCESS) {
        cache_mark(r, miss, "response is outside the cache's size limits");
        return NULL;
    }
    ctx->entry.status = r->status;
    ctx->entry.request_time = r->request_time;
    ctx->entry.response_time = apr_time_now();
    ctx->entry.headers =
        relay_cache_entry_store_headers(r->pool, headers, ignored(r), &resp.cc);
    apr_table_unset(ctx->entry.headers, "Age");
    ctx->entry.vary = ctx->vary;
    start_hold(r, cr, ctx);
    cache_mark(r, miss, "cache miss: attempting entity save");
    return ctx;
}

/*
 * Stores one bucket of the response, at most `room` bytes of it (a longer
 * data bucket is cut there); returns the bytes stored. Sets ctx->failed
 * when the write is over: published at EOS, abandoned at an error bucket
 * or when the store gives up (the bucket still goes on to the client).
 */
static apr_off_t store_bucket(request_rec *r, cache_req_t *cr, save_ctx_t *ctx,
                              apr_bucket *b, apr_off_t room)
{
    const char *data;
    apr_size_t len;
    apr_status_t rv;

    if (APR_BUCKET_IS_EOS(b)) {
        finish(r, cr, ctx);
        ctx->failed = 1; /* done: nothing more to write */
        return 0;
    }
    if (AP_BUCKET_IS_ERROR(b)) {
        cr->store->abandon(ctx->w);
        ctx->failed = 1;
        return 0;
    }
    if (APR_BUCKET_IS_METADATA(b)) {
        return 0;
    }
    rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
    if (rv == APR_SUCCESS && (apr_off_t)len > room) {
        rv = apr_bucket_split(b, (apr_size_t)room);
        len = (apr_size_t)room;
    }
    if (rv == APR_SUCCESS) {
        rv = cr->store->write(ctx->w, data, len);
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      RELAY_LOGNO(04003) "not storing %s: body too large "
                                         "or unreadable",
                      ctx->key);
        cr->store->abandon(ctx->w);
        ctx->failed = 1;
        return 0;
    }
    ctx->written += len;
    return (apr_off_t)len;
}

/* Sends bb on; a failed pass (the client went away) abandons the write. */
static apr_status_t pass_on(ap_filter_t *f, cache_req_t *cr, save_ctx_t *ctx,
                            apr_bucket_brigade *bb)
{
    apr_status_t rv;

    ctx->passed = 1;
    rv = ap_pass_brigade(f->next, bb);
    if ((rv != APR_SUCCESS || f->r->connection->aborted) && !ctx->failed) {
        cr->store->abandon(ctx->w);
        ctx->failed = 1;
    }
    return rv;
}

/*
 * With the store's hold limits (CacheReadSize, CacheReadTime ...): each
 * piece is stored, set aside and kept in ctx->held, in order with the
 * metadata between the pieces (flushes included), until the hold
 * releases it (relay/relay_cache_hold.h). When the write is over (EOS,
 * error, the store gave up) what is kept goes on with the rest at once,
 * and the hold ends: nothing stored or not is ever lost to the client.
 */
static apr_status_t save_held(ap_filter_t *f, cache_req_t *cr, save_ctx_t *ctx,
                              apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    apr_status_t rv;

    while (!APR_BRIGADE_EMPTY(bb) && !ctx->failed) {
        apr_bucket *b = APR_BRIGADE_FIRST(bb);
        apr_off_t n =
            store_bucket(r, cr, ctx, b, relay_cache_hold_room(&ctx->hold));
        int release;

        if (ctx->failed) {
            break; /* b goes on after what is kept */
        }
        rv = apr_bucket_setaside(b, r->pool);
        APR_BUCKET_REMOVE(b);
        APR_BRIGADE_INSERT_TAIL(ctx->held, b);
        release = relay_cache_hold_add(&ctx->hold, n, apr_time_now());
        if (release || (rv != APR_SUCCESS && !APR_STATUS_IS_ENOTIMPL(rv))) {
            relay_cache_hold_released(&ctx->hold);
            rv = pass_on(f, cr, ctx, ctx->held);
            apr_brigade_cleanup(ctx->held);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
    }
    if (!ctx->failed) {
        return APR_SUCCESS;
    }
    ctx->holding = 0;
    APR_BRIGADE_PREPEND(bb, ctx->held);
    return pass_on(f, cr, ctx, bb);
}

apr_status_t cache_save_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    cache_req_t *cr = ap_get_module_config(r->request_config, &cache_module);
    save_ctx_t *ctx = f->ctx != cr ? f->ctx : NULL;
    apr_bucket *b;

    if (!ctx) {
        if (cr->validating && r->status == HTTP_NOT_MODIFIED) {
            return refreshed(f, bb, cr);
        }
        if (cr->stale &&
            relay_cache_serve_stale_on_error(&cr->decision, r->status)) {
            return stale_on_error(f, bb, cr);
        }
        ctx = start(f, cr);
        if (!ctx) {
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, bb);
        }
        f->ctx = ctx;
    }
    if (ctx->holding) {
        return save_held(f, cr, ctx, bb);
    }
    for (b = APR_BRIGADE_FIRST(bb);
         b != APR_BRIGADE_SENTINEL(bb) && !ctx->failed;
         b = APR_BUCKET_NEXT(b)) {
        store_bucket(r, cr, ctx, b, WHOLE_BUCKET);
    }
    return pass_on(f, cr, ctx, bb);
}

apr_status_t cache_invalidate_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    cache_req_t *cr = ap_get_module_config(r->request_config, &cache_module);
    apr_array_header_t *urls = relay_cache_invalidations(
        r->pool, r->method, r->status, cache_effective_uri(r),
        cache_response_headers(r));
    int i;

    for (i = 0; i < urls->nelts; i++) {
        const char *key = relay_cache_key_from_url(
            r->pool, &cr->key_opts, r->proxyreq != PROXYREQ_PROXY,
            APR_ARRAY_IDX(urls, i, const char *));
        if (key) {
            cr->store->remove(r, key);
        }
    }
    if (urls->nelts) {
        cache_mark(r, "INVALIDATE", "cache invalidated by an unsafe method");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

apr_status_t cache_place_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    if (f->ctx) {
        return cache_save_filter(f, bb);
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}
