/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The sweeper: one thread per child process that wakes once a second and
 * closes pooled origin connections that have been idle for their
 * worker's ttl, so that a worker no request uses any more does not hold
 * connections open until the child exits. It runs only when some worker
 * has a ttl, and stops (joined) when the child's pool is cleaned up.
 */
#include "proxy_private.h"

#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"
#include "http_log.h"

#define SWEEP_INTERVAL apr_time_from_sec(1)

typedef struct sweeper_t {
    server_rec *main_s;
    apr_thread_t *thread;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *wake;
    int stop;
} sweeper_t;

static int any_ttl(server_rec *main_s)
{
    server_rec *s;
    int i;

    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        for (i = 0; i < sc->workers->nelts; i++) {
            if (APR_ARRAY_IDX(sc->workers, i, relay_worker_t *)->params.ttl >
                0) {
                return 1;
            }
        }
    }
    return 0;
}

/* Workers a virtual host inherits appear in its list too: expiring one
 * twice finds nothing the second time. */
static void sweep(server_rec *main_s)
{
    apr_time_t now = apr_time_now();
    server_rec *s;
    int i;

    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        for (i = 0; i < sc->workers->nelts; i++) {
            relay_conn_pool_expire(
                APR_ARRAY_IDX(sc->workers, i, relay_worker_t *), now);
        }
    }
}

static void *APR_THREAD_FUNC sweep_loop(apr_thread_t *thread, void *data)
{
    sweeper_t *sw = data;

    apr_thread_mutex_lock(sw->mutex);
    while (!sw->stop) {
        apr_thread_cond_timedwait(sw->wake, sw->mutex, SWEEP_INTERVAL);
        if (sw->stop) {
            break;
        }
        apr_thread_mutex_unlock(sw->mutex);
        sweep(sw->main_s);
        apr_thread_mutex_lock(sw->mutex);
    }
    apr_thread_mutex_unlock(sw->mutex);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static apr_status_t sweeper_stop(void *data)
{
    sweeper_t *sw = data;
    apr_status_t rv;

    apr_thread_mutex_lock(sw->mutex);
    sw->stop = 1;
    apr_thread_cond_signal(sw->wake);
    apr_thread_mutex_unlock(sw->mutex);
    apr_thread_join(&rv, sw->thread);
    return APR_SUCCESS;
}

/* Starts the child's sweeper; call after the connection pools exist, so
 * that it stops before they are torn down. */
void relay_sweeper_start(apr_pool_t *pchild, server_rec *main_s)
{
    sweeper_t *sw;
    apr_status_t rv;

    if (!any_ttl(main_s)) {
        return;
    }
    sw = apr_pcalloc(pchild, sizeof(*sw));
    sw->main_s = main_s;
    rv = apr_thread_mutex_create(&sw->mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&sw->wake, pchild);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_thread_create(&sw->thread, NULL, sweep_loop, sw, pchild);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_s,
                     RELAY_LOGNO(01033) "cannot start the thread that "
                                        "closes idle origin connections "
                                        "after their ttl; they are closed "
                                        "when next taken instead");
        return;
    }
    /* A pre-cleanup: it must run before pchild's subpools go, the
     * thread's own pool among them. */
    apr_pool_pre_cleanup_register(pchild, sw, sweeper_stop);
}
