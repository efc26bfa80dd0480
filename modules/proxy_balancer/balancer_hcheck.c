/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Active health checks of balancer members (and of workers outside
 * balancers whose ProxyPass has hc* keys), run in the background by
 * mod_watchdog threads, never on a request's path. Every child process
 * has such a thread; each check is claimed through the member's shared
 * slot (its time of last check, set by compare-and-swap), so one child
 * runs it and a child stopping (idle children are stopped) never pauses
 * the checks. Every member whose hcmethod is set is probed each
 * hcinterval: a TCP connect, or an OPTIONS, HEAD or GET of the member's
 * path followed by hcuri over HTTP/1.0 (over HTTP/1.1 for OPTIONS11,
 * HEAD11 and GET11), passing on a 2xx or 3xx answer (or, with hcexpr,
 * when mod_proxy_hcheck's named condition holds for the whole answer),
 * each bounded by hctimeout. hcfails failures in a row take the member
 * out of rotation (state +C in its shared slot, seen by every child);
 * hcpasses passes in a row bring it back and end any error state it had.
 * A member that passes its check while in error state from failed
 * requests is taken out of that state too, so it serves again within one
 * interval rather than after its retry. The decisions are the core's
 * (relay/relay_hcheck.h).
 */
#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "mod_watchdog.h"

#include "relay/relay_chunked.h"
#include "relay/relay_response.h"
#include "relay_hcheck_api.h"
#include "balancer_private.h"

#define HC_WATCHDOG_NAME "_relay_hcheck_"
#define HC_RESPONSE_MAX 512
/* The most of an answer an hcexpr judges (head and body). */
#define HC_ANSWER_MAX 65536

/* What one check is about: a balancer member, or a worker outside
 * balancers with hc* on its ProxyPass. */
typedef struct checked_t {
    relay_worker_t *worker;
    const relay_hc_params_t *hc;
    const char *who; /* "balancer NAME: member URL" or "worker URL" */
} checked_t;

static APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) * wd_get_instance;
static APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) * wd_register;

static void state_change(relay_worker_shared_t *slot, apr_uint32_t set,
                         apr_uint32_t clear)
{
    apr_uint32_t old;

    do {
        old = apr_atomic_read32(&slot->state);
    } while (apr_atomic_cas32(&slot->state, (old | set) & ~clear, old) != old);
}

/* The path probed: the member URL's path followed by hcuri. */
static const char *probe_path(apr_pool_t *p, const checked_t *m)
{
    const char *path = ap_strstr_c(m->worker->name, "://");
    apr_size_t len;

    path = path ? ap_strchr_c(path + 3, '/') : NULL;
    path = path ? path : "/";
    if (!m->hc->uri) {
        return path;
    }
    len = strlen(path);
    if (len && path[len - 1] == '/') {
        len--;
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, path, len), m->hc->uri, NULL);
}

/* The status of an "HTTP/1.x NNN ..." line at the start of `buf`, or 0. */
static int status_of(const char *buf, apr_size_t len)
{
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) || !apr_isdigit(buf[7]) ||
        buf[8] != ' ' || !apr_isdigit(buf[9]) || !apr_isdigit(buf[10]) ||
        !apr_isdigit(buf[11])) {
        return 0;
    }
    return (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
}

/* The body of a whole answer buf[0, len) after its head of head_len
 * bytes, de-chunked when it is chunked (as far as it goes). */
static const char *answer_body(apr_pool_t *p, const relay_response_head_t *h,
                               const char *buf, apr_size_t len,
                               apr_size_t head_len, apr_size_t *body_len)
{
    const char *te = apr_table_get(h->headers, "Transfer-Encoding");
    const char *in = buf + head_len;
    apr_size_t left = len - head_len, used, off, n, out = 0;
    relay_chunked_t dec;
    char *body;

    if (!te) {
        *body_len = left;
        return in;
    }
    body = apr_palloc(p, left + 1);
    relay_chunked_init(&dec, 4096);
    while (left > 0) {
        n = off = 0;
        if (relay_chunked_decode(&dec, in, left, &used, &off, &n) !=
                RELAY_AGAIN ||
            used == 0) {
            memcpy(body + out, in + off, n);
            out += n;
            break;
        }
        memcpy(body + out, in + off, n);
        out += n;
        in += used;
        left -= used;
    }
    *body_len = out;
    return body;
}

/* Judges a whole answer (read to its end, up to HC_ANSWER_MAX) by the
 * member's hcexpr. */
static int judge_answer(server_rec *s, const checked_t *m, apr_pool_t *p,
                        const char *buf, apr_size_t len, const char **why)
{
    const relay_hcheck_api_t *api =
        ap_lookup_provider(RELAY_HCHECK_GROUP, "default", RELAY_HCHECK_VERSION);
    relay_response_head_t head;
    apr_size_t head_len, body_len;
    const char *body;

    if (relay_response_parse(buf, len, NULL, p, &head, &head_len) != RELAY_OK) {
        *why = "no complete HTTP response head";
        return 0;
    }
    if (!api) {
        *why = "hcexpr without mod_proxy_hcheck";
        return 0;
    }
    body = answer_body(p, &head, buf, len, head_len, &body_len);
    return api->expr_passes(s, p, m->hc->expr, head.status, head.headers, body,
                            body_len, why);
}

/* One probe of `m`; *why says what failed. */
static int probe(server_rec *s, const checked_t *m, apr_pool_t *p,
                 const char **why)
{
    relay_worker_t *w = m->worker;
    apr_sockaddr_t *addr;
    apr_socket_t *sock;
    char buf[HC_RESPONSE_MAX];
    apr_size_t len = 0, n;
    const char *req;
    apr_status_t rv;
    int status;

    rv = apr_sockaddr_info_get(&addr, w->hostname, APR_UNSPEC, w->port, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_socket_create(&sock, addr->family, SOCK_STREAM, APR_PROTO_TCP,
                               p);
    }
    if (rv == APR_SUCCESS) {
        apr_socket_timeout_set(sock, m->hc->timeout);
        rv = apr_socket_connect(sock, addr);
    }
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "connect: %pm", &rv);
        return 0;
    }
    if (m->hc->method == RELAY_HC_TCP) {
        return 1;
    }
    req = apr_psprintf(
        p,
        "%s %s HTTP/1.%d\r\nHost: %s:%u\r\n"
        "User-Agent: Relay-HealthCheck\r\n"
        "Connection: close\r\n\r\n",
        relay_hc_method_verb((relay_hc_method_t)m->hc->method),
        probe_path(p, m),
        relay_hc_method_is_http11((relay_hc_method_t)m->hc->method),
        w->hostname, w->port);
    n = strlen(req);
    rv = apr_socket_send(sock, req, &n);
    if (m->hc->expr) {
        /* The whole answer (the probe asked to close after it). */
        char *answer = apr_palloc(p, HC_ANSWER_MAX);
        while (rv == APR_SUCCESS && len < HC_ANSWER_MAX) {
            n = HC_ANSWER_MAX - len;
            rv = apr_socket_recv(sock, answer + len, &n);
            len += n;
        }
        if (!len) {
            *why = apr_psprintf(p, "no answer: %pm", &rv);
            return 0;
        }
        return judge_answer(s, m, p, answer, len, why);
    }
    while (rv == APR_SUCCESS && len < 12) {
        n = sizeof(buf) - len;
        rv = apr_socket_recv(sock, buf + len, &n);
        len += n;
    }
    status = status_of(buf, len);
    if (!status) {
        *why = len ? "no HTTP status line"
                   : apr_psprintf(p, "no answer: %pm", &rv);
        return 0;
    }
    if (!relay_hc_status_passes(status)) {
        *why = apr_psprintf(p, "status %d", status);
        return 0;
    }
    return 1;
}

/* Probes `m` when its interval has passed and applies the result. */
static void check_one(server_rec *s, const relay_proxy_api_t *api,
                      const checked_t *m, apr_pool_t *p, apr_time_t now)
{
    relay_worker_shared_t *slot = m->worker->shared;
    apr_uint64_t last = apr_atomic_read64(&slot->hc_last);
    unsigned int passes, fails;
    const char *why = NULL;
    int ok, failed;

    if (last && (apr_uint64_t)now < last + (apr_uint64_t)m->hc->interval) {
        return;
    }
    /* This child runs the check unless another claimed it first. */
    if (apr_atomic_cas64(&slot->hc_last, (apr_uint64_t)now, last) != last) {
        return;
    }
    passes = apr_atomic_read32(&slot->hc_passes);
    fails = apr_atomic_read32(&slot->hc_fails);
    failed = (apr_atomic_read32(&slot->state) & RELAY_LB_HCFAIL) != 0;
    ok = probe(s, m, p, &why);
    apr_atomic_inc64(&slot->hc_checks);
    switch (relay_hc_record(m->hc, failed, ok, &passes, &fails)) {
    case RELAY_HC_DOWN:
        state_change(slot, RELAY_LB_HCFAIL, 0);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     RELAY_LOGNO(05020) "%s failed its health check (%s "
                                        "%s): out of rotation",
                     m->who,
                     relay_hc_method_name((relay_hc_method_t)m->hc->method),
                     why);
        break;
    case RELAY_HC_UP:
        state_change(slot, 0, RELAY_LB_HCFAIL);
        api->worker_recover(m->worker, s);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     RELAY_LOGNO(05021) "%s passed its health checks: "
                                        "back in rotation",
                     m->who);
        break;
    default:
        if (ok && !failed &&
            (apr_atomic_read32(&slot->state) & RELAY_LB_ERROR)) {
            api->worker_recover(m->worker, s);
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                         RELAY_LOGNO(05024) "%s passed its health check: "
                                            "out of error state",
                         m->who);
        }
        break;
    }
    apr_atomic_set32(&slot->hc_passes, passes);
    apr_atomic_set32(&slot->hc_fails, fails);
}

/* The watchdog's tick (every 100 ms): each due member of each balancer,
 * and each worker outside balancers with checks, once however many
 * servers share it. */
static apr_status_t hc_tick(int state, void *data, apr_pool_t *pool)
{
    server_rec *main_s = data, *s;
    const relay_proxy_api_t *api = relay_balancer_api();
    apr_pool_t *p, *scratch;
    apr_hash_t *seen;
    int i, j;

    if (state != AP_WATCHDOG_STATE_RUNNING || !api) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, pool);
    apr_pool_create(&scratch, p);
    seen = apr_hash_make(p);
    for (s = main_s; s; s = s->next) {
        const apr_array_header_t *bs = api->server_balancers(s);
        const apr_array_header_t *ws = api->server_workers(s);
        for (i = 0; i < bs->nelts; i++) {
            relay_balancer_t *b = APR_ARRAY_IDX(bs, i, relay_balancer_t *);
            if (apr_hash_get(seen, &b, sizeof(b))) {
                continue;
            }
            apr_hash_set(seen, apr_pmemdup(p, &b, sizeof(b)), sizeof(b), b);
            for (j = 0; j < b->members->nelts; j++) {
                relay_member_t *m =
                    &APR_ARRAY_IDX(b->members, j, relay_member_t);
                if (m->hc.method > RELAY_HC_NONE && m->worker->shared) {
                    checked_t c = {m->worker, &m->hc, NULL};
                    c.who = apr_psprintf(scratch, "balancer %s: member %s",
                                         b->name, m->worker->name);
                    check_one(s, api, &c, scratch, apr_time_now());
                    apr_pool_clear(scratch);
                }
            }
        }
        for (i = 0; i < ws->nelts; i++) {
            relay_worker_t *w = APR_ARRAY_IDX(ws, i, relay_worker_t *);
            if (w->balancer || w->params.hc.method <= RELAY_HC_NONE ||
                !w->shared || apr_hash_get(seen, &w, sizeof(w))) {
                continue;
            }
            apr_hash_set(seen, apr_pmemdup(p, &w, sizeof(w)), sizeof(w), w);
            {
                checked_t c = {w, &w->params.hc, NULL};
                c.who = apr_psprintf(scratch, "worker %s", w->name);
                check_one(s, api, &c, scratch, apr_time_now());
                apr_pool_clear(scratch);
            }
        }
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

int relay_hcheck_post_config(apr_pool_t *pconf, server_rec *main_s)
{
    ap_watchdog_t *wd;
    apr_status_t rv;

    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    wd_get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!wd_get_instance || !wd_register) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, main_s,
                     RELAY_LOGNO(05022) "mod_watchdog is not loaded: "
                                        "balancer members get no health "
                                        "checks");
        return OK;
    }
    rv = wd_get_instance(&wd, HC_WATCHDOG_NAME, 0, 0, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register(wd, AP_WD_TM_SLICE, main_s, hc_tick);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, main_s,
                     RELAY_LOGNO(05023) "cannot start the health checks' "
                                        "watchdog");
        return !OK;
    }
    return OK;
}
