/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * What the cache does, counted per store type ("mem", "disk", "socache"):
 * hits, misses, stores, revalidations and collapsed requests, in one
 * anonymous shared memory segment that the parent makes in post_config
 * and keeps in the process pool, so that every child process counts into
 * the same slots (one atomic increment each, no lock) and a graceful
 * restart finds the counts again. A slot is found by its store type; each
 * loaded store type gets one.
 *
 * The counts, and what each store knows of itself (entries, bytes,
 * evictions: relay_cache_provider_t's stats), go to the relay-metrics
 * handler of mod_proxy as relay_cache_* families through the
 * relay_metrics optional hook, and to mod_status's page as a table and
 * ?auto lines (Cache<Type><Field>: value); the table is left out where
 * mod_proxy is loaded and the server has ProxyStatus Off.
 */
#include <stdlib.h>

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include "ap_provider.h"
#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "relay/relay_metrics.h"
#include "relay_metrics_hook.h"
#include "relay_proxy.h"
#include "cache_private.h"

#define STATS_USERDATA_KEY "relay-cache-stats"
#define STATS_SLOTS 16
#define STATS_TYPE_MAX 32

typedef struct stats_slot_t {
    char type[STATS_TYPE_MAX];
    volatile apr_uint64_t n[CACHE_STAT_COUNT];
} stats_slot_t;

/* This generation's slots: by store type, and in the order shown. */
static apr_hash_t *slots_by_type;
static apr_array_header_t *slots_shown;

static const struct {
    const char *metric, *field, *help;
} stat_names[CACHE_STAT_COUNT] = {
    {"relay_cache_hits_total", "Hits",
     "Requests answered from a stored entry without asking the origin "
     "(fresh, stale where allowed, or collapsed)."},
    {"relay_cache_misses_total", "Misses",
     "Lookups without an entry the request could be answered with: it "
     "went to the origin (or got 504 with only-if-cached)."},
    {"relay_cache_stores_total", "Stores", "Responses stored."},
    {"relay_cache_revalidations_total", "Revalidations",
     "Stored entries the origin confirmed with 304, refreshed and served."},
    {"relay_cache_collapsed_total", "Collapsed",
     "Requests that waited for another request's fetch of the same key "
     "(CacheLock) and were answered with its entry."},
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const ap_list_provider_names_t *)a)->provider_name,
                  ((const ap_list_provider_names_t *)b)->provider_name);
}

/* The segment of this parent process, made at the first start. */
static stats_slot_t *segment(server_rec *s)
{
    apr_pool_t *pproc = s->process->pool;
    stats_slot_t *slots = NULL;
    apr_shm_t *shm;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&slots, STATS_USERDATA_KEY, pproc);
    if (slots) {
        return slots;
    }
    rv = apr_shm_create(&shm, sizeof(stats_slot_t) * STATS_SLOTS, NULL, pproc);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     RELAY_LOGNO(04120) "cannot create the shared memory of "
                                        "the cache counters; they are not "
                                        "counted");
        return NULL;
    }
    slots = apr_shm_baseaddr_get(shm);
    memset(slots, 0, sizeof(stats_slot_t) * STATS_SLOTS);
    apr_pool_userdata_set(slots, STATS_USERDATA_KEY, apr_pool_cleanup_null,
                          pproc);
    return slots;
}

/* The slot of `type`: the one it had, else a free one, else NULL. */
static stats_slot_t *slot_for(stats_slot_t *slots, const char *type)
{
    int i;

    for (i = 0; i < STATS_SLOTS; i++) {
        if (!strcmp(slots[i].type, type)) {
            return &slots[i];
        }
    }
    for (i = 0; i < STATS_SLOTS; i++) {
        if (!slots[i].type[0]) {
            apr_cpystrn(slots[i].type, type, sizeof(slots[i].type));
            return &slots[i];
        }
    }
    return NULL;
}

void cache_stats_attach(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    stats_slot_t *slots = segment(s);
    apr_array_header_t *names;
    int i;

    slots_by_type = apr_hash_make(pconf);
    slots_shown = apr_array_make(pconf, 4, sizeof(stats_slot_t *));
    names = ap_list_provider_names(ptemp, RELAY_CACHE_STORE_GROUP,
                                   RELAY_CACHE_STORE_VERSION);
    if (!slots || !names) {
        return;
    }
    qsort(names->elts, (size_t)names->nelts, sizeof(ap_list_provider_names_t),
          by_name);
    for (i = 0; i < names->nelts; i++) {
        const char *type =
            APR_ARRAY_IDX(names, i, ap_list_provider_names_t).provider_name;
        stats_slot_t *slot =
            strlen(type) < STATS_TYPE_MAX ? slot_for(slots, type) : NULL;
        if (!slot) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         RELAY_LOGNO(04121) "cache store type '%s' is not "
                                            "counted: no room for its "
                                            "counters",
                         type);
            continue;
        }
        apr_hash_set(slots_by_type, slot->type, APR_HASH_KEY_STRING, slot);
        APR_ARRAY_PUSH(slots_shown, stats_slot_t *) = slot;
    }
}

void cache_stats_count(const char *type, cache_stat_t which)
{
    stats_slot_t *slot =
        type && slots_by_type
            ? apr_hash_get(slots_by_type, type, APR_HASH_KEY_STRING)
            : NULL;

    if (slot) {
        apr_atomic_inc64(&slot->n[which]);
    }
}

static apr_uint64_t count_of(const stats_slot_t *slot, int which)
{
    return apr_atomic_read64((volatile apr_uint64_t *)&slot->n[which]);
}

/* What the store of `slot` knows of itself (all -1 when nothing). */
static void store_stats(const stats_slot_t *slot, relay_cache_store_stats_t *st)
{
    const relay_cache_provider_t *store = ap_lookup_provider(
        RELAY_CACHE_STORE_GROUP, slot->type, RELAY_CACHE_STORE_VERSION);

    st->entries = st->bytes = st->evictions = -1;
    if (store && store->stats) {
        store->stats(ap_server_conf, st);
    }
}

/* One family of the stores' own numbers, left out when no store knows
 * it; `at` is the offset of the field in relay_cache_store_stats_t. */
static void store_family(request_rec *r, const relay_cache_store_stats_t *st,
                         const char **label, const char *name, const char *type,
                         const char *help, apr_size_t at)
{
    int i, shown = 0;

    for (i = 0; i < slots_shown->nelts; i++) {
        apr_int64_t v = *(const apr_int64_t *)((const char *)&st[i] + at);
        if (v < 0) {
            continue;
        }
        if (!shown++) {
            ap_rputs(relay_metrics_family(r->pool, name, type, help), r);
        }
        ap_rprintf(r, "%s{store=\"%s\"} %" APR_INT64_T_FMT "\n", name, label[i],
                   v);
    }
}

static int metrics_lines(request_rec *r)
{
    relay_cache_store_stats_t *st;
    const char **label;
    int i, k;

    if (!slots_shown || !slots_shown->nelts) {
        return DECLINED;
    }
    st = apr_pcalloc(r->pool, sizeof(*st) * (apr_size_t)slots_shown->nelts);
    label =
        apr_pcalloc(r->pool, sizeof(*label) * (apr_size_t)slots_shown->nelts);
    for (i = 0; i < slots_shown->nelts; i++) {
        const stats_slot_t *slot =
            APR_ARRAY_IDX(slots_shown, i, stats_slot_t *);
        label[i] = relay_metrics_label(r->pool, slot->type);
        store_stats(slot, &st[i]);
    }
    for (k = 0; k < CACHE_STAT_COUNT; k++) {
        ap_rputs(relay_metrics_family(r->pool, stat_names[k].metric, "counter",
                                      stat_names[k].help),
                 r);
        for (i = 0; i < slots_shown->nelts; i++) {
            ap_rprintf(
                r, "%s{store=\"%s\"} %" APR_UINT64_T_FMT "\n",
                stat_names[k].metric, label[i],
                count_of(APR_ARRAY_IDX(slots_shown, i, stats_slot_t *), k));
        }
    }
    store_family(r, st, label, "relay_cache_evictions_total", "counter",
                 "Entries the store dropped to make room for others.",
                 APR_OFFSETOF(relay_cache_store_stats_t, evictions));
    store_family(r, st, label, "relay_cache_bytes", "gauge",
                 "Bytes the store's entries take now.",
                 APR_OFFSETOF(relay_cache_store_stats_t, bytes));
    store_family(r, st, label, "relay_cache_entries", "gauge",
                 "Entries in the store now.",
                 APR_OFFSETOF(relay_cache_store_stats_t, entries));
    return OK;
}

/* "Mem" for "mem": the store's part of its ?auto field names. */
static const char *auto_name(apr_pool_t *p, const char *type)
{
    char *out = apr_pstrdup(p, type), *o = out;
    const char *s;

    for (s = type; *s; s++) {
        if (apr_isalnum(*s)) {
            *o = (char)(o == out ? apr_toupper(*s) : *s);
            o++;
        }
    }
    *o = '\0';
    return out;
}

/* A store's number in the table: "-" when it does not know it. */
static const char *known(apr_pool_t *p, apr_int64_t v)
{
    return v < 0 ? "-" : apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

static void status_store(request_rec *r, const stats_slot_t *slot,
                         int short_form)
{
    relay_cache_store_stats_t st;
    const char *name = auto_name(r->pool, slot->type);
    int k;

    store_stats(slot, &st);
    if (short_form) {
        for (k = 0; k < CACHE_STAT_COUNT; k++) {
            ap_rprintf(r, "Cache%s%s: %" APR_UINT64_T_FMT "\n", name,
                       stat_names[k].field, count_of(slot, k));
        }
        if (st.evictions >= 0) {
            ap_rprintf(r, "Cache%sEvictions: %" APR_INT64_T_FMT "\n", name,
                       st.evictions);
        }
        if (st.bytes >= 0) {
            ap_rprintf(r, "Cache%sBytes: %" APR_INT64_T_FMT "\n", name,
                       st.bytes);
        }
        if (st.entries >= 0) {
            ap_rprintf(r, "Cache%sEntries: %" APR_INT64_T_FMT "\n", name,
                       st.entries);
        }
        return;
    }
    ap_rprintf(r, "<tr><td>%s</td>", ap_escape_html(r->pool, slot->type));
    for (k = 0; k < CACHE_STAT_COUNT; k++) {
        ap_rprintf(r, "<td>%" APR_UINT64_T_FMT "</td>", count_of(slot, k));
    }
    ap_rprintf(r, "<td>%s</td><td>%s</td><td>%s</td></tr>\n",
               known(r->pool, st.evictions), known(r->pool, st.bytes),
               known(r->pool, st.entries));
}

static int status_lines(request_rec *r, int flags)
{
    const relay_proxy_api_t *proxy = ap_lookup_provider(
        RELAY_PROXY_API_GROUP, "core", RELAY_PROXY_API_VERSION);
    int short_form = flags & AP_STATUS_SHORT;
    int i, k;

    if (!slots_shown || !slots_shown->nelts ||
        (proxy && !proxy->status_level(r->server))) {
        return OK;
    }
    if (!short_form) {
        ap_rputs("<hr />\n<h1>Cache stores</h1>\n<table border=\"1\">\n"
                 "<tr><th>Store</th>",
                 r);
        for (k = 0; k < CACHE_STAT_COUNT; k++) {
            ap_rprintf(r, "<th>%s</th>", stat_names[k].field);
        }
        ap_rputs("<th>Evictions</th><th>Bytes</th><th>Entries</th></tr>\n", r);
    }
    for (i = 0; i < slots_shown->nelts; i++) {
        status_store(r, APR_ARRAY_IDX(slots_shown, i, stats_slot_t *),
                     short_form);
    }
    if (!short_form) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}

void cache_stats_register(void)
{
    APR_OPTIONAL_HOOK(relay, relay_metrics, metrics_lines, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_lines, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
