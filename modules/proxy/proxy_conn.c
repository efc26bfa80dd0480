/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Connections to origins and the pool that keeps them per worker in each
 * child process, shared by the MPM's threads under one mutex.
 *
 * A pooled connection is checked before reuse: one the origin has closed
 * (or that holds unexpected bytes) is readable while idle, so a zero-wait
 * poll finds it and it is dropped instead of being handed out. Idle
 * connections older than the worker's ttl are dropped too, and closed by
 * the child's sweeper (proxy_sweep.c) when nothing asks. Each connection
 * has a pool of its own (with its own allocator), so creating and
 * destroying one never touches a pool another thread uses.
 *
 * The worker's shared slot counts the connections of every child: in use
 * (conns_active, from open or checkout to release) and idle in a pool
 * (conns_idle); each connection is in at most one of the two, and leaves
 * it when it is closed.
 */
#include "apr_strings.h"
#include "apr_poll.h"
#include "apr_thread_mutex.h"
#include "apr_thread_cond.h"
#include "apr_atomic.h"
#include "ap_provider.h"

#include "relay_error_note.h"
#include "proxy_private.h"

#define RELAY_CONN_BUFFER_MIN 65536

struct relay_conn_pool_t {
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    relay_conn_t **idle; /* stack, most recently used on top */
    int nidle;
    int total; /* connections open, idle or in use */
    apr_pool_t *pchild;
};

/* The gauge of the worker's slot a connection is counted in. */
enum { GAUGE_NONE, GAUGE_ACTIVE, GAUGE_IDLE };

static volatile apr_uint32_t *gauge_of(relay_conn_t *conn, int gauge)
{
    relay_worker_shared_t *slot = conn->worker->shared;

    if (!slot || gauge == GAUGE_NONE) {
        return NULL;
    }
    return gauge == GAUGE_ACTIVE ? &slot->conns_active : &slot->conns_idle;
}

/* Moves the connection from its gauge to `to` (shared by every child:
 * one atomic decrement and one increment). */
static void gauge_move(relay_conn_t *conn, int to)
{
    volatile apr_uint32_t *from = gauge_of(conn, conn->gauge);
    volatile apr_uint32_t *dst = gauge_of(conn, to);

    if (from) {
        apr_atomic_dec32(from);
    }
    if (dst) {
        apr_atomic_inc32(dst);
    }
    conn->gauge = to;
}

/* A closed connection leaves its gauge. */
static apr_status_t gauge_cleanup(void *data)
{
    gauge_move(data, GAUGE_NONE);
    return APR_SUCCESS;
}

static void conn_destroy(relay_conn_t *conn)
{
    apr_pool_destroy(conn->pool); /* closes transport and socket */
}

static apr_status_t pool_cleanup(void *data)
{
    relay_worker_t *w = data;
    relay_conn_pool_t *cp = w->conns;

    while (cp->nidle > 0) {
        conn_destroy(cp->idle[--cp->nidle]);
    }
    w->conns = NULL;
    return APR_SUCCESS;
}

apr_status_t relay_conn_pool_create(relay_worker_t *w, apr_pool_t *pchild)
{
    relay_conn_pool_t *cp = apr_pcalloc(pchild, sizeof(*cp));
    apr_status_t rv;

    rv = apr_thread_mutex_create(&cp->mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&cp->cond, pchild);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    cp->idle = apr_pcalloc(pchild, sizeof(relay_conn_t *) *
                                       (w->params.max > 0 ? w->params.max : 1));
    cp->pchild = pchild;
    w->conns = cp;
    apr_pool_cleanup_register(pchild, w, pool_cleanup, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* True when an idle connection shows no sign of having been closed. */
static int conn_is_alive(relay_conn_t *conn)
{
    apr_pollfd_t pfd = {0};
    apr_int32_t n = 0;

    if (conn->transport->has_pending && conn->transport->has_pending(conn)) {
        return 0; /* bytes nobody asked for: not a clean connection */
    }
    pfd.p = conn->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = conn->sock;
    pfd.reqevents = APR_POLLIN;
    return apr_poll(&pfd, 1, &n, 0) != APR_SUCCESS || n == 0;
}

/* True when an idle connection may carry the next request: younger than
 * the worker's ttl (unless the worker keeps min= connections past it) and
 * not closed by the origin. */
static int idle_is_usable(relay_worker_t *w, relay_conn_t *conn, apr_time_t now)
{
    return (w->params.ttl == 0 || w->params.min > 0 ||
            now - conn->last_used < w->params.ttl) &&
           conn_is_alive(conn);
}

/* Transport keys match: the same TLS name and settings, or both plain. */
static int same_key(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/*
 * Gives the request a pooled connection (*out set) or a slot for a new
 * one (*out NULL), waiting up to `acquire` (else the worker's timeout)
 * while all `max` connections are in use. A pooled connection must carry
 * the request's transport key (the same TLS name and settings, or none).
 * When no idle connection fits, or a fresh one is wanted, and every slot
 * is taken, the least recently used idle connection is closed to free
 * its slot. Idle connections that expired or were closed by the origin
 * are dropped on the way.
 */
static apr_status_t take_idle_or_slot(request_rec *r, relay_worker_t *w,
                                      int fresh, const char *key,
                                      relay_conn_t **out)
{
    relay_conn_pool_t *cp = w->conns;
    apr_interval_time_t wait =
        w->params.acquire > 0 ? w->params.acquire : w->params.timeout;
    apr_time_t deadline = apr_time_now() + wait;
    relay_conn_t *conn;
    int i, match;

    *out = NULL;
    for (;;) {
        apr_thread_mutex_lock(cp->mutex);
        while (cp->nidle == 0 && cp->total >= w->params.max) {
            apr_time_t now = apr_time_now();
            if (now >= deadline) {
                apr_thread_mutex_unlock(cp->mutex);
                return APR_TIMEUP;
            }
            apr_thread_cond_timedwait(cp->cond, cp->mutex, deadline - now);
        }
        for (i = cp->nidle - 1; !fresh && i >= 0; i--) {
            if (same_key(cp->idle[i]->key, key)) {
                break; /* the most recently used that fits */
            }
        }
        match = !fresh && i >= 0;
        if (!match && cp->total < w->params.max) {
            cp->total++;
            apr_thread_mutex_unlock(cp->mutex);
            return APR_SUCCESS;
        }
        if (!match) {
            i = 0; /* the least recently used goes, to free a slot */
        }
        conn = cp->idle[i];
        memmove(&cp->idle[i], &cp->idle[i + 1],
                (cp->nidle - i - 1) * sizeof(relay_conn_t *));
        cp->nidle--;
        apr_thread_mutex_unlock(cp->mutex);
        if (match && idle_is_usable(w, conn, apr_time_now())) {
            gauge_move(conn, GAUGE_ACTIVE);
            *out = conn;
            return APR_SUCCESS;
        }
        if (match) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, r,
                          "worker %s: dropping an idle connection that "
                          "expired or was closed by the origin",
                          w->name);
        }
        conn_destroy(conn); /* gives its slot back */
    }
}

/* Closes the idle connections of `w` idle for its ttl or longer, least
 * recently used first (they are at the bottom of the stack), keeping the
 * newest min= of them. */
void relay_conn_pool_expire(relay_worker_t *w, apr_time_t now)
{
    relay_conn_pool_t *cp = w->conns;

    if (!cp || w->params.ttl <= 0) {
        return;
    }
    for (;;) {
        relay_conn_t *conn = NULL;
        apr_thread_mutex_lock(cp->mutex);
        if (cp->nidle > w->params.min &&
            now - cp->idle[0]->last_used >= w->params.ttl) {
            conn = cp->idle[0];
            memmove(&cp->idle[0], &cp->idle[1],
                    (cp->nidle - 1) * sizeof(relay_conn_t *));
            cp->nidle--;
        }
        apr_thread_mutex_unlock(cp->mutex);
        if (!conn) {
            return;
        }
        conn_destroy(conn); /* outside the lock: its cleanup takes it */
    }
}

static apr_status_t slot_cleanup(void *data)
{
    relay_worker_t *w = data;
    relay_conn_pool_t *cp = w->conns;

    if (cp) {
        apr_thread_mutex_lock(cp->mutex);
        cp->total--;
        apr_thread_cond_signal(cp->cond);
        apr_thread_mutex_unlock(cp->mutex);
    }
    return APR_SUCCESS;
}

static apr_status_t sock_cleanup(void *data)
{
    relay_conn_t *conn = data;

    if (conn->transport && conn->transport->close) {
        conn->transport->close(conn);
    }
    if (conn->sock) {
        apr_socket_close(conn->sock);
        conn->sock = NULL;
    }
    return APR_SUCCESS;
}

/* The origin name a TLS transport sends as SNI and checks the certificate
 * against: the client's host with ProxyPreserveHost, as stock. */
static const char *peer_name_for(const relay_proxy_req_t *pr)
{
    return pr->preserve_host && pr->r->hostname ? pr->r->hostname
                                                : pr->hostname;
}

static const relay_transport_t *transport_for(const relay_proxy_req_t *pr)
{
    if (pr->provider && pr->provider->tls) {
        return ap_lookup_provider(RELAY_TRANSPORT_GROUP, "tls",
                                  RELAY_TRANSPORT_VERSION);
    }
    return &relay_transport_tcp;
}

/*
 * Resolves the origin address. A worker's address is looked up once per
 * child and kept in the child's pool (under the pool mutex, since that
 * pool is shared); the generic worker resolves per connection. With
 * addressttl= the worker's address is looked up again once it is that
 * old, in a pool of its own that replaces the last one; each connection
 * then takes a copy, so a list being replaced is never in use.
 */
static apr_status_t resolve_renewed(relay_worker_t *w, relay_conn_pool_t *cp,
                                    relay_conn_t *conn, apr_sockaddr_t **addr)
{
    apr_time_t now = apr_time_now();
    apr_status_t rv = APR_SUCCESS;

    apr_thread_mutex_lock(cp->mutex);
    if (!w->addr ||
        now - w->addr_time >= apr_time_from_sec(w->params.addressttl)) {
        apr_pool_t *fresh;
        apr_sockaddr_t *found;
        apr_pool_create(&fresh, cp->pchild);
        rv = apr_sockaddr_info_get(&found, w->hostname, APR_UNSPEC, w->port, 0,
                                   fresh);
        if (rv == APR_SUCCESS) {
            if (w->addr_pool) {
                apr_pool_destroy(w->addr_pool);
            }
            w->addr = found;
            w->addr_pool = fresh;
            w->addr_time = now;
        }
        else {
            apr_pool_destroy(fresh);
        }
    }
    if (w->addr) {
        rv = apr_sockaddr_info_copy(addr, w->addr, conn->pool);
    }
    apr_thread_mutex_unlock(cp->mutex);
    return rv;
}

static apr_status_t resolve(relay_proxy_req_t *pr, relay_conn_t *conn,
                            apr_sockaddr_t **addr)
{
    relay_worker_t *w = pr->worker;
    relay_conn_pool_t *cp = w->conns;
    apr_status_t rv = APR_SUCCESS;

    if (pr->uds_path) {
        return apr_sockaddr_info_get(addr, pr->uds_path, APR_UNIX, 0, 0,
                                     conn->pool);
    }
    if (w->is_generic || !cp) {
        return apr_sockaddr_info_get(addr, pr->hostname, APR_UNSPEC, pr->port,
                                     0, conn->pool);
    }
    if (w->params.addressttl >= 0) {
        return resolve_renewed(w, cp, conn, addr);
    }
    apr_thread_mutex_lock(cp->mutex);
    if (!w->addr) {
        rv = apr_sockaddr_info_get(&w->addr, w->hostname, APR_UNSPEC, w->port,
                                   0, cp->pchild);
    }
    *addr = w->addr;
    apr_thread_mutex_unlock(cp->mutex);
    return rv;
}

/*
 * ProxySourceAddress: binds the socket to the server's source address of
 * the same family as the origin's, when it has one.
 */
static apr_status_t bind_source(relay_proxy_req_t *pr, relay_conn_t *conn,
                                const apr_sockaddr_t *to)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(pr->r->server->module_config, &proxy_module);
    apr_sockaddr_t *src;
    apr_status_t rv;

    for (src = sc->source_addr; src; src = src->next) {
        if (src->family != to->family) {
            continue;
        }
        rv = apr_socket_bind(conn->sock, src);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, pr->r,
                          RELAY_LOGNO(01016) "worker %s: cannot bind to the "
                                             "ProxySourceAddress %pI",
                          pr->worker->name, src);
        }
        return rv;
    }
    return APR_SUCCESS;
}

static apr_status_t conn_open(relay_proxy_req_t *pr, relay_conn_t *conn)
{
    relay_worker_t *w = pr->worker;
    apr_sockaddr_t *addr;
    apr_status_t rv;

    rv = resolve(pr, conn, &addr);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, pr->r,
                      RELAY_LOGNO(01010) "worker %s: cannot resolve %s",
                      w->name, pr->hostname);
        relay_error_note_set(pr->r, RELAY_PROXY_ERROR_DNS);
        return rv;
    }
    for (; addr; addr = addr->next) {
        rv = apr_socket_create(&conn->sock, addr->family, SOCK_STREAM,
                               pr->uds_path ? 0 : APR_PROTO_TCP, conn->pool);
        if (rv != APR_SUCCESS) {
            break;
        }
        if (!pr->uds_path) {
            apr_socket_opt_set(conn->sock, APR_TCP_NODELAY, 1);
            if ((rv = bind_source(pr, conn, addr)) != APR_SUCCESS) {
                apr_socket_close(conn->sock);
                conn->sock = NULL;
                break;
            }
        }
        if (w->params.keepalive) {
            apr_socket_opt_set(conn->sock, APR_SO_KEEPALIVE, 1);
        }
        if (w->params.receivebuffersize > 0) {
            apr_socket_opt_set(conn->sock, APR_SO_RCVBUF,
                               w->params.receivebuffersize);
        }
        apr_socket_timeout_set(conn->sock, w->params.connect_timeout);
        rv = apr_socket_connect(conn->sock, addr);
        if (rv == APR_SUCCESS) {
            break;
        }
        apr_socket_close(conn->sock);
        conn->sock = NULL;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_socket_timeout_set(conn->sock, w->params.timeout);
    return conn->transport->open
               ? conn->transport->open(conn, pr->r, conn->peer_name)
               : APR_SUCCESS;
}

static apr_status_t conn_create(relay_proxy_req_t *pr, const char *key,
                                relay_conn_t **out)
{
    relay_worker_t *w = pr->worker;
    apr_allocator_t *alloc;
    apr_pool_t *pool;
    relay_conn_t *conn;
    apr_status_t rv;

    if ((rv = apr_allocator_create(&alloc)) != APR_SUCCESS) {
        slot_cleanup(w);
        return rv;
    }
    apr_allocator_max_free_set(alloc, 1);
    if ((rv = apr_pool_create_unmanaged_ex(&pool, NULL, alloc)) !=
        APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        slot_cleanup(w);
        return rv;
    }
    apr_allocator_owner_set(alloc, pool);
    conn = apr_pcalloc(pool, sizeof(*conn));
    conn->magic = RELAY_CONN_MAGIC;
    conn->pool = pool;
    conn->worker = w;
    conn->transport = transport_for(pr);
    conn->buf_size = w->params.iobuffersize > RELAY_CONN_BUFFER_MIN
                         ? (apr_size_t)w->params.iobuffersize
                         : RELAY_CONN_BUFFER_MIN;
    conn->buf = apr_palloc(pool, conn->buf_size);
    conn->reusable = !w->is_generic && !w->params.disablereuse;
    conn->peer_name = apr_pstrdup(pool, peer_name_for(pr));
    conn->key = key ? apr_pstrdup(pool, key) : NULL;
    if (!w->is_generic) {
        apr_pool_cleanup_register(pool, w, slot_cleanup, apr_pool_cleanup_null);
    }
    apr_pool_cleanup_register(pool, conn, sock_cleanup, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, conn, gauge_cleanup, apr_pool_cleanup_null);
    if (!conn->transport) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, pr->r,
                      RELAY_LOGNO(01011) "worker %s: %s:// needs Relay's "
                                         "mod_proxy_ssl, which is not loaded",
                      w->name, pr->scheme);
        relay_error_note_set(pr->r, RELAY_PROXY_ERROR_CONFIGURATION);
        apr_pool_destroy(pool);
        return APR_ENOTIMPL;
    }
    rv = conn_open(pr, conn);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return rv;
    }
    gauge_move(conn, GAUGE_ACTIVE);
    *out = conn;
    return APR_SUCCESS;
}

apr_status_t relay_conn_acquire(relay_proxy_req_t *pr, int fresh,
                                relay_conn_t **out, int *reused)
{
    relay_worker_t *w = pr->worker;
    const relay_transport_t *transport = transport_for(pr);
    const char *key = NULL;
    apr_time_t now = apr_time_now();
    apr_status_t rv;

    AP_DEBUG_ASSERT(w->magic == RELAY_WORKER_MAGIC);
    if (transport && transport->key) {
        key = transport->key(pr->r, peer_name_for(pr));
    }
    *reused = 0;
    if (!w->balancer && w->params.status != RELAY_UNSET &&
        (w->params.status & (RELAY_LB_DISABLED | RELAY_LB_STOPPED))) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, pr->r,
            RELAY_LOGNO(01017) "worker %s is %s (status=): 503", w->name,
            (w->params.status & RELAY_LB_STOPPED) ? "stopped" : "disabled");
        relay_error_note_set(pr->r, RELAY_PROXY_ERROR_WORKER_DOWN);
        pr->connect_failed = 1;
        return APR_ECONNREFUSED;
    }
    if (!relay_worker_is_usable(w, now) &&
        !(w->params.status != RELAY_UNSET &&
          (w->params.status & RELAY_LB_IGNERR))) {
        ap_log_rerror(
            APLOG_MARK, APLOG_DEBUG, 0, pr->r,
            RELAY_LOGNO(01012) "worker %s is in error state, "
                               "retried in %" APR_TIME_T_FMT " ms",
            w->name,
            apr_time_as_msec(
                (apr_time_t)apr_atomic_read64(&w->shared->error_until) - now));
        relay_error_note_set(pr->r, RELAY_PROXY_ERROR_WORKER_DOWN);
        pr->connect_failed = 1;
        return APR_ECONNREFUSED;
    }
    if (!w->is_generic && w->conns) {
        rv = take_idle_or_slot(pr->r, w, fresh || w->params.disablereuse, key,
                               out);
        if (rv == APR_SUCCESS && *out) {
            *reused = 1;
            return APR_SUCCESS;
        }
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, pr->r,
                          RELAY_LOGNO(01013) "worker %s: all %d connections "
                                             "busy",
                          w->name, w->params.max);
            relay_error_note_set(pr->r, RELAY_PROXY_ERROR_CONN_LIMIT);
            return rv;
        }
    }
    rv = conn_create(pr, key, out); /* gives the slot back on failure */
    if (rv != APR_SUCCESS) {
        /* Logged by the transport; a TLS failure is no sign that the
         * origin is down, so the worker stays usable. */
        if (rv != APR_ENOTIMPL && rv != RELAY_ETLS) {
            if (pr->uds_path) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, pr->r,
                              RELAY_LOGNO(01015) "worker %s: cannot connect "
                                                 "to the unix socket %s",
                              w->name, pr->uds_path);
            }
            else {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, pr->r,
                              RELAY_LOGNO(01014) "worker %s: cannot connect "
                                                 "to %s:%u",
                              w->name, pr->hostname, pr->port);
            }
            relay_worker_mark_failed(w, pr->r->server, rv);
            if (relay_error_note_get(pr->r) != RELAY_PROXY_ERROR_DNS) {
                relay_error_note_set(pr->r, relay_proxy_error_of_connect(rv));
            }
            pr->connect_failed = 1;
        }
        return rv;
    }
    relay_worker_mark_ok(w, pr->r->server);
    return APR_SUCCESS;
}

void relay_conn_release(relay_conn_t *conn)
{
    relay_worker_t *w = conn->worker;
    relay_conn_pool_t *cp = w->conns;

    AP_DEBUG_ASSERT(conn->magic == RELAY_CONN_MAGIC);
    if (w->shared) {
        apr_atomic_add64(&w->shared->bytes_in, conn->bytes_in);
        apr_atomic_add64(&w->shared->bytes_out, conn->bytes_out);
    }
    conn->bytes_in = conn->bytes_out = 0;
    if (conn->reusable && cp && !w->is_generic && !w->params.disablereuse &&
        conn->buf_pos == conn->buf_len) {
        conn->last_used = apr_time_now();
        conn->buf_pos = conn->buf_len = 0;
        apr_thread_mutex_lock(cp->mutex);
        if (cp->nidle < w->params.smax) {
            gauge_move(conn, GAUGE_IDLE);
            cp->idle[cp->nidle++] = conn;
            conn = NULL;
            apr_thread_cond_signal(cp->cond); /* a waiter may take it */
        }
        apr_thread_mutex_unlock(cp->mutex);
    }
    if (conn) {
        conn_destroy(conn);
    }
}

/* Plain TCP: the socket itself. The scheme modules count the bytes in
 * conn->bytes_in and bytes_out; relay_conn_release adds them to the
 * worker's shared counters. */
static apr_status_t tcp_recv(relay_conn_t *conn, char *buf, apr_size_t *len)
{
    return apr_socket_recv(conn->sock, buf, len);
}

static apr_status_t tcp_send(relay_conn_t *conn, const char *buf,
                             apr_size_t *len)
{
    return apr_socket_send(conn->sock, buf, len);
}

const relay_transport_t relay_transport_tcp = {
    "tcp", NULL, tcp_recv, tcp_send, NULL, NULL, NULL, NULL,
};
