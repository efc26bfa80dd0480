/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The workers' shared state: one anonymous shared memory segment with a
 * slot (relay_worker_shared_t) for every worker and every balancer of
 * every server, so that all child processes see one error state and one
 * set of counters. The parent makes the segment in post_config and keeps
 * it in the process pool, so a graceful restart finds it again: a slot is
 * found by its name (the virtual host that defined it, then the balancer
 * and member URL, the worker URL or the balancer name) and keeps its
 * counters and running state; the configured status flags
 * are taken from the new configuration. Only when the new configuration
 * has more slots than the segment holds is a larger one made, with the
 * slots still named copied over.
 *
 * Children only use the slots, with apr_atomic_* on each field: no lock
 * on the request path. A balancer's pick is serialised by a small lock
 * word in the balancer's slot (relay_shm_lock), held for the pick only.
 */
#include <signal.h>
#include <errno.h>
#include <unistd.h>

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"

#include "proxy_private.h"

#define SHM_USERDATA_KEY "relay-proxy-shared-slots"
/* Slots made beyond what the configuration needs, so that small changes
 * at a graceful restart fit in the same segment. */
#define SHM_SPARE_SLOTS 16

typedef struct shm_segment_t {
    apr_shm_t *shm;
    relay_worker_shared_t *slots;
    int capacity;
    int used; /* slots handed out; only the parent hands them out */
} shm_segment_t;

/* A slot wanted by this configuration: its name and where it goes. */
typedef struct shm_want_t {
    const char *name;
    relay_worker_shared_t **dst;
} shm_want_t;

/* The slot name of `key`, cut to fit with a hash of the whole. */
static const char *slot_name(apr_pool_t *p, const char *key)
{
    apr_size_t len = strlen(key);
    apr_ssize_t klen = (apr_ssize_t)len;

    if (len < RELAY_SHARED_NAME_MAX) {
        return key;
    }
    return apr_psprintf(p, "%.*s#%08x", RELAY_SHARED_NAME_MAX - 16, key,
                        apr_hashfunc_default(key, &klen));
}

static void want_add(apr_array_header_t *wants, apr_hash_t *seen,
                     const void *object, const char *name,
                     relay_worker_shared_t **dst)
{
    shm_want_t *w;

    if (apr_hash_get(seen, &object, sizeof(object))) {
        return;
    }
    apr_hash_set(seen, apr_pmemdup(wants->pool, &object, sizeof(object)),
                 sizeof(object), dst);
    w = apr_array_push(wants);
    w->name = slot_name(wants->pool, name);
    w->dst = dst;
}

/* What tells a virtual host's objects from another's: its name and port
 * ("" for the main server, whose objects the virtual hosts inherit). */
static const char *server_key(apr_pool_t *p, server_rec *s, server_rec *main_s)
{
    if (s == main_s) {
        return "";
    }
    return apr_psprintf(
        p, "%s:%u|", s->server_hostname ? s->server_hostname : "",
        s->addrs ? (unsigned)s->addrs->host_port : (unsigned)s->port);
}

/* Every worker and balancer of every server, once each (the first server
 * that has it names it). */
static apr_array_header_t *wanted_slots(apr_pool_t *ptemp, server_rec *main_s,
                                        int *growth)
{
    apr_array_header_t *wants = apr_array_make(ptemp, 64, sizeof(shm_want_t));
    apr_hash_t *seen = apr_hash_make(ptemp);
    server_rec *s;
    int i;

    *growth = 0;
    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        const char *key = server_key(ptemp, s, main_s);
        for (i = 0; i < sc->balancers->nelts; i++) {
            relay_balancer_t *b =
                APR_ARRAY_IDX(sc->balancers, i, relay_balancer_t *);
            if (!apr_hash_get(seen, &b, sizeof(b))) {
                *growth += b->growth;
            }
            want_add(wants, seen, b, apr_pstrcat(ptemp, key, b->name, NULL),
                     &b->shared);
        }
        for (i = 0; i < sc->workers->nelts; i++) {
            relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
            want_add(wants, seen, w,
                     apr_pstrcat(ptemp, key, w->balancer ? w->balancer : "",
                                 w->balancer ? "|" : "", w->name, NULL),
                     &w->shared);
        }
    }
    return wants;
}

static apr_status_t segment_make(apr_pool_t *pproc, int capacity,
                                 shm_segment_t **out)
{
    shm_segment_t *seg = apr_pcalloc(pproc, sizeof(*seg));
    apr_size_t size = sizeof(relay_worker_shared_t) * (apr_size_t)capacity;
    apr_status_t rv = apr_shm_create(&seg->shm, size, NULL, pproc);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    seg->slots = apr_shm_baseaddr_get(seg->shm);
    memset(seg->slots, 0, size);
    seg->capacity = capacity;
    *out = seg;
    return APR_SUCCESS;
}

static apr_hash_t *segment_index(apr_pool_t *ptemp, shm_segment_t *seg)
{
    apr_hash_t *index = apr_hash_make(ptemp);
    int i;

    for (i = 0; seg && i < seg->used; i++) {
        apr_hash_set(index, seg->slots[i].name, APR_HASH_KEY_STRING,
                     &seg->slots[i]);
    }
    return index;
}

static relay_worker_shared_t *slot_new(shm_segment_t *seg, const char *name)
{
    relay_worker_shared_t *slot = &seg->slots[seg->used++];

    memset(slot, 0, sizeof(*slot));
    slot->magic = RELAY_SHARED_MAGIC;
    apr_cpystrn(slot->name, name, sizeof(slot->name));
    return slot;
}

/*
 * The segment for `wants`: the one of the previous generation when every
 * new name fits, else a new one holding copies of the slots still named.
 * `fresh` receives the slots made now (they take the configured state).
 */
static apr_status_t segment_for(apr_pool_t *pproc, apr_pool_t *ptemp,
                                const apr_array_header_t *wants, int growth,
                                apr_hash_t *fresh, shm_segment_t **segp)
{
    shm_segment_t *old = *segp, *seg = old;
    apr_hash_t *index = segment_index(ptemp, old);
    apr_hash_t *names = apr_hash_make(ptemp);
    const shm_want_t *want = (const shm_want_t *)wants->elts;
    int i, missing = 0;
    apr_status_t rv;

    for (i = 0; i < wants->nelts; i++) {
        if (!apr_hash_get(index, want[i].name, APR_HASH_KEY_STRING) &&
            !apr_hash_get(names, want[i].name, APR_HASH_KEY_STRING)) {
            missing++;
        }
        apr_hash_set(names, want[i].name, APR_HASH_KEY_STRING, "");
    }
    if (!old || old->used + missing > old->capacity) {
        rv = segment_make(
            pproc, (int)apr_hash_count(names) * 2 + growth + SHM_SPARE_SLOTS,
            &seg);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        for (i = 0; old && i < old->used; i++) {
            if (apr_hash_get(names, old->slots[i].name, APR_HASH_KEY_STRING)) {
                seg->slots[seg->used++] = old->slots[i];
                seg->slots[seg->used - 1].lock = 0;
                /* The old children's connections stay counted in the
                 * old segment, where they leave their gauges. */
                seg->slots[seg->used - 1].conns_active = 0;
                seg->slots[seg->used - 1].conns_idle = 0;
            }
        }
        if (old) {
            apr_shm_destroy(old->shm); /* old children keep their mapping */
        }
        index = segment_index(ptemp, seg);
    }
    for (i = 0; i < wants->nelts; i++) {
        relay_worker_shared_t *slot =
            apr_hash_get(index, want[i].name, APR_HASH_KEY_STRING);
        if (!slot) {
            slot = slot_new(seg, want[i].name);
            apr_hash_set(index, slot->name, APR_HASH_KEY_STRING, slot);
            apr_hash_set(fresh, apr_pmemdup(ptemp, &slot, sizeof(slot)),
                         sizeof(slot), slot);
        }
        *want[i].dst = slot;
    }
    *segp = seg;
    return APR_SUCCESS;
}

/* Status flags that come from the configuration (the rest are running
 * state: in error, failed health checks). */
#define CONFIGURED_FLAGS                                                       \
    (RELAY_LB_STANDBY | RELAY_LB_DISABLED | RELAY_LB_STOPPED |                 \
     RELAY_LB_IGNERR | RELAY_LB_DRAIN | RELAY_LB_SPARE)

/* A slot's configured state (status=): all of it for a new slot (+E puts
 * it in error state, +C in failed-health-check state until a check
 * passes), the configured flags only for a slot kept from the previous
 * generation. `checked`: health checks run for it. */
static void apply_state(relay_worker_shared_t *slot, unsigned int flags,
                        int checked, int fresh, apr_interval_time_t retry,
                        apr_time_t now)
{
    apr_uint32_t keep = slot->state & ~CONFIGURED_FLAGS;

    /* Without checks nothing can fail or pass one, except that +C stays
     * as configured. */
    if (!checked && !(flags & RELAY_LB_HCFAIL)) {
        keep &= ~RELAY_LB_HCFAIL;
    }
    if (fresh && (flags & RELAY_LB_ERROR)) {
        keep |= RELAY_LB_ERROR;
        slot->error_time = (apr_uint64_t)now;
        slot->error_until = (apr_uint64_t)(now + retry);
    }
    if (fresh && (flags & RELAY_LB_HCFAIL)) {
        keep |= RELAY_LB_HCFAIL;
    }
    slot->state = keep | (flags & CONFIGURED_FLAGS);
}

/* Every member's and status= worker's configured state. */
static void apply_member_states(server_rec *main_s, apr_hash_t *fresh)
{
    apr_time_t now = apr_time_now();
    server_rec *s;
    int i, j;

    for (s = main_s; s; s = s->next) {
        relay_proxy_server_conf_t *sc =
            ap_get_module_config(s->module_config, &proxy_module);
        for (i = 0; i < sc->balancers->nelts; i++) {
            relay_balancer_t *b =
                APR_ARRAY_IDX(sc->balancers, i, relay_balancer_t *);
            for (j = 0; j < b->members->nelts; j++) {
                relay_member_t *m =
                    &APR_ARRAY_IDX(b->members, j, relay_member_t);
                relay_worker_shared_t *slot = m->worker->shared;
                apply_state(slot, m->lb.flags, m->hc.method != RELAY_HC_NONE,
                            apr_hash_get(fresh, &slot, sizeof(slot)) != NULL,
                            m->worker->params.retry, now);
            }
        }
        for (i = 0; i < sc->workers->nelts; i++) {
            relay_worker_t *w = APR_ARRAY_IDX(sc->workers, i, relay_worker_t *);
            relay_worker_shared_t *slot = w->shared;
            if (w->balancer || !slot || w->params.status == RELAY_UNSET) {
                continue;
            }
            apply_state(slot, (unsigned int)w->params.status, 0,
                        apr_hash_get(fresh, &slot, sizeof(slot)) != NULL,
                        w->params.retry, now);
        }
    }
}

apr_status_t relay_shm_attach(apr_pool_t *ptemp, server_rec *main_s)
{
    apr_pool_t *pproc = main_s->process->pool;
    shm_segment_t *seg = NULL;
    apr_hash_t *fresh = apr_hash_make(ptemp);
    apr_array_header_t *wants;
    apr_status_t rv;
    int growth;

    apr_pool_userdata_get((void **)&seg, SHM_USERDATA_KEY, pproc);
    wants = wanted_slots(ptemp, main_s, &growth);
    rv = segment_for(pproc, ptemp, wants, growth, fresh, &seg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_userdata_set(seg, SHM_USERDATA_KEY, apr_pool_cleanup_null, pproc);
    apply_member_states(main_s, fresh);
    return APR_SUCCESS;
}

void relay_shm_state_set(relay_worker_shared_t *slot, apr_uint32_t bits)
{
    apr_uint32_t old;

    do {
        old = apr_atomic_read32(&slot->state);
    } while (apr_atomic_cas32(&slot->state, old | bits, old) != old);
}

void relay_shm_state_clear(relay_worker_shared_t *slot, apr_uint32_t bits)
{
    apr_uint32_t old;

    do {
        old = apr_atomic_read32(&slot->state);
    } while (apr_atomic_cas32(&slot->state, old & ~bits, old) != old);
}

/*
 * Takes the slot's lock word: it holds the pid of the process in the
 * pick. A holder that died in it (a crashed child) is found by its pid
 * and the lock taken over.
 */
void relay_shm_lock(relay_worker_shared_t *slot)
{
    apr_uint32_t me = (apr_uint32_t)getpid();
    unsigned int spins = 0;

    for (;;) {
        apr_uint32_t holder = apr_atomic_cas32(&slot->lock, me, 0);
        if (holder == 0) {
            return;
        }
        if (++spins % 1024 == 0 && kill((pid_t)holder, 0) != 0 &&
            errno == ESRCH) {
            apr_atomic_cas32(&slot->lock, 0, holder);
        }
        apr_thread_yield();
    }
}

void relay_shm_unlock(relay_worker_shared_t *slot)
{
    apr_atomic_set32(&slot->lock, 0);
}
