/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The circuit breaker of a socache store. A store that fails (memcached
 * stopped, a port that accepts nothing, a timeout) is skipped for
 * SOCACHE_BACKOFF seconds by every child process; after that, one request
 * probes it while the others keep skipping it. The state sits in a small
 * anonymous shared segment updated with atomic operations only, so the
 * first failure of an outage logs one line for the whole server and the
 * first success after it logs the recovery.
 */
#include "apr_atomic.h"
#include "apr_shm.h"

#include "socache_private.h"

APLOG_USE_MODULE(cache_socache);

struct socache_breaker_t {
    volatile apr_uint32_t open;  /* 1 during an outage */
    volatile apr_uint32_t until; /* seconds (apr_time_sec) of the next try */
};

apr_status_t socache_breaker_create(apr_pool_t *pconf, socache_breaker_t **b)
{
    apr_shm_t *shm;
    apr_status_t rv = apr_shm_create(&shm, sizeof(**b), NULL, pconf);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *b = apr_shm_baseaddr_get(shm);
    apr_atomic_set32(&(*b)->open, 0);
    apr_atomic_set32(&(*b)->until, 0);
    return APR_SUCCESS;
}

static apr_uint32_t now_sec(void)
{
    return (apr_uint32_t)apr_time_sec(apr_time_now());
}

/* A request's standing with the breaker, in its request_config. */
static const char probing = 'p', cut_off = 'x';

int socache_breaker_allows(socache_breaker_t *b, request_rec *r)
{
    const char *mine =
        ap_get_module_config(r->request_config, &cache_socache_module);
    apr_uint32_t until, now;

    if (mine == &cut_off) {
        return 0;
    }
    if (!apr_atomic_read32(&b->open) || mine == &probing) {
        return 1;
    }
    until = apr_atomic_read32(&b->until);
    now = now_sec();
    if (now < until) {
        return 0;
    }
    /* The back-off is over: the request that moves it on probes, with all
     * of its operations. */
    if (apr_atomic_cas32(&b->until, now + SOCACHE_BACKOFF, until) != until) {
        return 0;
    }
    ap_set_module_config(r->request_config, &cache_socache_module,
                         (void *)&probing);
    return 1;
}

void socache_breaker_failed(socache_breaker_t *b, request_rec *r,
                            const socache_store_t *st, apr_status_t rv)
{
    ap_set_module_config(r->request_config, &cache_socache_module,
                         (void *)&cut_off);
    apr_atomic_set32(&b->until, now_sec() + SOCACHE_BACKOFF);
    if (apr_atomic_cas32(&b->open, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      RELAY_LOGNO(06501) "cache store %s failed: requests go "
                                         "on uncached, and the store is tried "
                                         "again every %d s until it answers",
                      st->spec, SOCACHE_BACKOFF);
    }
}

void socache_breaker_succeeded(socache_breaker_t *b, request_rec *r,
                               const socache_store_t *st)
{
    /* Only the probe ends an outage: a request let through before the
     * store failed may still report a success that came before it. */
    if (ap_get_module_config(r->request_config, &cache_socache_module) !=
        &probing) {
        return;
    }
    if (apr_atomic_read32(&b->open) && apr_atomic_cas32(&b->open, 0, 1) == 1) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                      RELAY_LOGNO(06502) "cache store %s answers again",
                      st->spec);
    }
}
