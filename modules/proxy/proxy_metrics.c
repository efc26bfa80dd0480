/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The `relay-metrics` handler: every worker's shared counters (the slots
 * of proxy_shm.c, summed over all child processes and kept across
 * graceful restarts) in Prometheus' text exposition format. A worker is
 * listed once, labelled with the server that defined it, its URL and the
 * balancer it belongs to. Reading takes no lock: each counter is read
 * atomically. Access is controlled like any handler's (Require in its
 * <Location>). Other modules add their families through the
 * relay_metrics optional hook (relay_metrics_hook.h), run last.
 */
#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "http_main.h"
#include "http_protocol.h"

#include "relay_metrics_hook.h"
#include "proxy_private.h"

#define METRICS_HANDLER "relay-metrics"

static apr_uint64_t read64(const volatile apr_uint64_t *v)
{
    return apr_atomic_read64((volatile apr_uint64_t *)v);
}

/* Every worker with a slot once (virtual hosts list the ones they
 * inherit again), and the labels of each: the server that defined it
 * (the first that lists it), its URL and its balancer, without the
 * closing brace, so that more labels can follow. */
static apr_array_header_t *all_workers(request_rec *r, const char ***lbl)
{
    apr_array_header_t *out = apr_array_make(r->pool, 16, sizeof(void *));
    apr_array_header_t *labels = apr_array_make(r->pool, 16, sizeof(char *));
    apr_hash_t *seen = apr_hash_make(r->pool);
    server_rec *s;
    int i;

    for (s = ap_server_conf; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        /* A virtual host's port is its address's: the ServerName's
         * may be absent (0) or shared by several. */
        unsigned int port = s->addrs && s->addrs->host_port
                                ? (unsigned int)s->addrs->host_port
                                : (unsigned int)s->port;
        const char *server = relay_metrics_label(
            r->pool,
            apr_psprintf(r->pool, "%s:%u",
                         s->server_hostname ? s->server_hostname : "", port));
        for (i = 0; i < sc->workers->nelts; i++) {
            relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
            if (!w->shared ||
                apr_hash_get(seen, &w->shared, sizeof(w->shared))) {
                continue;
            }
            apr_hash_set(seen, &w->shared, sizeof(w->shared), w);
            APR_ARRAY_PUSH(out, relay_worker_t *) = w;
            APR_ARRAY_PUSH(labels, const char *) = apr_pstrcat(
                r->pool, "{server=\"", server, "\",worker=\"",
                relay_metrics_label(r->pool, w->name), "\"",
                w->balancer ? ",balancer=\"" : "",
                w->balancer ? relay_metrics_label(r->pool, w->balancer) : "",
                w->balancer ? "\"" : "", NULL);
        }
    }
    *lbl = (const char **)labels->elts;
    return out;
}

/* One counter or gauge per worker, from a field of its slot. */
static void per_worker(request_rec *r, const apr_array_header_t *ws,
                       const char **lbl, const char *name, const char *type,
                       const char *help, apr_size_t offset)
{
    int i;

    ap_rputs(relay_metrics_family(r->pool, name, type, help), r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        const volatile apr_uint64_t *v =
            (const volatile apr_uint64_t *)((const char *)w->shared + offset);
        ap_rprintf(r, "%s%s} %" APR_UINT64_T_FMT "\n", name, lbl[i], read64(v));
    }
}

static void responses(request_rec *r, const apr_array_header_t *ws,
                      const char **lbl)
{
    int i, c;

    ap_rputs(relay_metrics_family(
                 r->pool, "relay_worker_responses_total", "counter",
                 "Requests through the worker by class of their final status."),
             r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        for (c = 0; c < RELAY_METRICS_CLASSES; c++) {
            ap_rprintf(r,
                       "relay_worker_responses_total%s,class=\"%dxx\"} "
                       "%" APR_UINT64_T_FMT "\n",
                       lbl[i], c + 1, read64(&w->shared->responses[c]));
        }
    }
}

static void causes(request_rec *r, const apr_array_header_t *ws,
                   const char **lbl)
{
    int i, c;

    ap_rputs(relay_metrics_family(
                 r->pool, "relay_worker_failures_total", "counter",
                 "Requests through the worker that failed, by cause."),
             r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        for (c = RELAY_PROXY_ERROR_NONE + 1; c < RELAY_PROXY_ERROR_COUNT; c++) {
            ap_rprintf(r,
                       "relay_worker_failures_total%s,cause=\"%s\"} "
                       "%" APR_UINT64_T_FMT "\n",
                       lbl[i], relay_proxy_error_name((relay_proxy_error_t)c),
                       read64(&w->shared->causes[c]));
        }
    }
}

static void durations(request_rec *r, const apr_array_header_t *ws,
                      const char **lbl)
{
    const char *name = "relay_worker_request_duration_seconds";
    int i, b;

    ap_rputs(relay_metrics_family(
                 r->pool, name, "histogram",
                 "Time from handing a request to the origin to the end of its "
                 "response."),
             r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        apr_uint64_t total = 0;
        for (b = 0; b < RELAY_METRICS_BUCKETS; b++) {
            total += read64(&w->shared->latency[b]);
            ap_rprintf(r, "%s_bucket%s,le=\"%s\"} %" APR_UINT64_T_FMT "\n",
                       name, lbl[i], relay_metrics_bucket_le(b), total);
        }
        ap_rprintf(r, "%s_sum%s} %.6f\n", name, lbl[i],
                   (double)read64(&w->shared->latency_us) / 1e6);
        ap_rprintf(r, "%s_count%s} %" APR_UINT64_T_FMT "\n", name, lbl[i],
                   total);
    }
}

static void states(request_rec *r, const apr_array_header_t *ws,
                   const char **lbl)
{
    apr_time_t now = apr_time_now();
    int i;

    ap_rputs(relay_metrics_family(
                 r->pool, "relay_worker_up", "gauge",
                 "1 while the worker is in rotation, 0 while it is in error "
                 "state, disabled, stopped or failing its health checks."),
             r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        ap_rprintf(r, "relay_worker_up%s} %d\n", lbl[i],
                   relay_worker_is_usable((relay_worker_t *)w, now) ? 1 : 0);
    }
    ap_rputs(relay_metrics_family(r->pool, "relay_worker_busy", "gauge",
                                  "Requests through the worker in flight now."),
             r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        ap_rprintf(
            r, "relay_worker_busy%s} %u\n", lbl[i],
            apr_atomic_read32((volatile apr_uint32_t *)&w->shared->busy));
    }
}

static void connections(request_rec *r, const apr_array_header_t *ws,
                        const char **lbl)
{
    int i;

    ap_rputs(relay_metrics_family(
                 r->pool, "relay_proxy_connections", "gauge",
                 "Pooled connections to the worker's origin of every child "
                 "process: in use by a request (active) or idle in a pool."),
             r);
    for (i = 0; i < ws->nelts; i++) {
        const relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
        ap_rprintf(
            r,
            "relay_proxy_connections%s,state=\"active\"} %u\n"
            "relay_proxy_connections%s,state=\"idle\"} %u\n",
            lbl[i],
            apr_atomic_read32(
                (volatile apr_uint32_t *)&w->shared->conns_active),
            lbl[i],
            apr_atomic_read32((volatile apr_uint32_t *)&w->shared->conns_idle));
    }
}

APR_IMPLEMENT_OPTIONAL_HOOK_RUN_ALL(relay, RELAY, int, relay_metrics,
                                    (request_rec * r), (r), OK, DECLINED)

int relay_metrics_handler(request_rec *r)
{
    apr_array_header_t *ws;
    const char **lbl;

    if (!r->handler || strcmp(r->handler, METRICS_HANDLER)) {
        return DECLINED;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    ws = all_workers(r, &lbl);
    per_worker(r, ws, lbl, "relay_worker_requests_total", "counter",
               "Requests handed to the worker.",
               APR_OFFSETOF(relay_worker_shared_t, requests));
    responses(r, ws, lbl);
    causes(r, ws, lbl);
    per_worker(r, ws, lbl, "relay_worker_sent_bytes_total", "counter",
               "Bytes sent to the origin.",
               APR_OFFSETOF(relay_worker_shared_t, bytes_out));
    per_worker(r, ws, lbl, "relay_worker_received_bytes_total", "counter",
               "Bytes read from the origin.",
               APR_OFFSETOF(relay_worker_shared_t, bytes_in));
    per_worker(r, ws, lbl, "relay_worker_errors_total", "counter",
               "Times the worker was put in error state.",
               APR_OFFSETOF(relay_worker_shared_t, errors));
    durations(r, ws, lbl);
    states(r, ws, lbl);
    connections(r, ws, lbl);
    relay_run_relay_metrics(r); /* the other modules' families */
    return OK;
}
