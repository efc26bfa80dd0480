/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The output filters that change the cache as a response passes:
 *
 * CACHE_SAVE, on a miss or a revalidation. A 304 answering our
 * revalidation refreshes the stored head and the client gets the stored
 * response; a 5xx may be replaced by the stale entry (CacheStaleOnError);
 * a storable response is written to the store bucket by bucket as it
 * passes, each bucket sent on in the same step, and published on EOS
 * before that bucket is sent on. When the whole response comes in one
 * pass, it is published before its head leaves and Cache-Status says
 * "stored"; a response still streaming when its head leaves cannot know
 * yet and does not say it. An
 * error bucket (the origin broke off), a failed pass (the client went
 * away) or the store's size limit abandons the write, so a partial body is
 * never stored.
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
} save_ctx_t;

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

/* The origin confirmed the stale entry (304): refresh and serve it. */
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
    if (encode_and(r, e, &head, &len) == APR_SUCCESS) {
        cr->store->replace_head(r, cr->stale_key, head, len);
    }
    cache_stats_count(cr->type, CACHE_STAT_REVALIDATE);
    apr_brigade_cleanup(bb);
    ap_remove_output_filter(f);
    cr->fwd_status = HTTP_NOT_MODIFIED;
    return cache_serve(r, cr, cr->stale, e, NULL, "REVALIDATE",
                       "conditional cache hit: entry updated", 0) == OK
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
                       "cache hit: stale entry served on error", 0) == OK
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
    cache_mark(r, miss, "cache miss: attempting entity save");
    return ctx;
}

apr_status_t cache_save_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    cache_req_t *cr = ap_get_module_config(r->request_config, &cache_module);
    save_ctx_t *ctx = f->ctx != cr ? f->ctx : NULL;
    apr_bucket *b;
    apr_status_t rv;

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
    for (b = APR_BRIGADE_FIRST(bb);
         b != APR_BRIGADE_SENTINEL(bb) && !ctx->failed;
         b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t len;

        if (APR_BUCKET_IS_EOS(b)) {
            finish(r, cr, ctx);
            ctx->failed = 1; /* done: nothing more to write */
            break;
        }
        if (AP_BUCKET_IS_ERROR(b)) {
            cr->store->abandon(ctx->w);
            ctx->failed = 1;
            break;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
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
            break;
        }
        ctx->written += len;
    }
    ctx->passed = 1;
    rv = ap_pass_brigade(f->next, bb);
    if ((rv != APR_SUCCESS || r->connection->aborted) && !ctx->failed) {
        cr->store->abandon(ctx->w);
        ctx->failed = 1;
    }
    return rv;
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
