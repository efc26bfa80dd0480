/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The directives of Relay's mod_cache_socache, with stock's names and
 * defaults: CacheSocache, CacheSocacheMaxTime, CacheSocacheMinTime,
 * CacheSocacheMaxSize, CacheSocacheReadSize, CacheSocacheReadTime. The
 * five numbers may also be set in <Location> and <Directory> sections, as
 * stock allows: there they apply when a response is stored (a quick
 * handler's lookup runs before the sections are known, as with stock).
 */
#include <errno.h>

#include "ap_provider.h"
#include "apr_strings.h"

#include "socache_private.h"

APLOG_USE_MODULE(cache_socache);

#define DEFAULT_MAX_TIME 86400
#define DEFAULT_MIN_TIME 600
#define DEFAULT_MAX_SIZE 102400
#define DEFAULT_READ_SIZE 0
#define DEFAULT_READ_TIME 0

/* The largest item written: shmcb keeps an item inside one of its
 * subcaches (a few KiB each); memcached takes up to 1 MiB by default. */
#define ITEM_MAX_SMALL 8000
#define ITEM_MAX_NETWORK 512000

void *socache_create_server_config(apr_pool_t *p, server_rec *s)
{
    socache_config_t *c = apr_pcalloc(p, sizeof(*c));

    c->max_time = SOCACHE_UNSET;
    c->min_time = SOCACHE_UNSET;
    c->max_size = SOCACHE_UNSET;
    c->read_size = SOCACHE_UNSET;
    c->read_time = SOCACHE_UNSET;
    return c;
}

/* The five numbers of `add` where set, else `base`'s, into c. */
static void merge_numbers(socache_config_t *c, const socache_config_t *base,
                          const socache_config_t *add)
{
#define MERGE(f) c->f = add->f != SOCACHE_UNSET ? add->f : base->f
    MERGE(max_time);
    MERGE(min_time);
    MERGE(max_size);
    MERGE(read_size);
    MERGE(read_time);
#undef MERGE
}

void *socache_create_dir_config(apr_pool_t *p, char *dir)
{
    (void)dir;
    return socache_create_server_config(p, NULL);
}

void *socache_merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    socache_config_t *c = apr_pcalloc(p, sizeof(*c));

    merge_numbers(c, basev, addv);
    return c;
}

void socache_config_of_request(request_rec *r, socache_config_t *out)
{
    const socache_config_t *dir =
        ap_get_module_config(r->per_dir_config, &cache_socache_module);

    *out = *(const socache_config_t *)ap_get_module_config(
        r->server->module_config, &cache_socache_module);
    if (dir) {
        merge_numbers(out, out, dir);
    }
    socache_config_effective(out);
}

void *socache_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    const socache_config_t *base = basev, *add = addv;
    socache_config_t *c = apr_pcalloc(p, sizeof(*c));

    c->store = add->store ? add->store : base->store;
    merge_numbers(c, base, add);
    c->own = add->own;
    c->where = add->where ? add->where : base->where;
    return c;
}

static apr_int64_t get(apr_int64_t v, apr_int64_t dflt)
{
    return v != SOCACHE_UNSET ? v : dflt;
}

void socache_config_effective(socache_config_t *c)
{
    c->max_time = get(c->max_time, DEFAULT_MAX_TIME);
    c->min_time = get(c->min_time, DEFAULT_MIN_TIME);
    c->max_size = get(c->max_size, DEFAULT_MAX_SIZE);
    c->read_size = get(c->read_size, DEFAULT_READ_SIZE);
    c->read_time = get(c->read_time, DEFAULT_READ_TIME);
}

int socache_config_check(server_rec *s, const socache_config_t *conf)
{
    socache_config_t c = *conf;

    socache_config_effective(&c);
    if (c.min_time > c.max_time) {
        ap_log_error(
            APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
            RELAY_LOGNO(06500) "%s: CacheSocacheMinTime (%" APR_INT64_T_FMT
                               ") is larger than "
                               "CacheSocacheMaxTime (%" APR_INT64_T_FMT ")",
            c.where ? c.where : s->defn_name, c.min_time, c.max_time);
        return !OK;
    }
    return OK;
}

static socache_config_t *config_of(cmd_parms *cmd, void *dconf)
{
    socache_config_t *c = cmd->path
                              ? dconf
                              : ap_get_module_config(cmd->server->module_config,
                                                     &cache_socache_module);

    c->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                            cmd->directive->line_num);
    return c;
}

static const char *set_socache(cmd_parms *cmd, void *dummy, const char *arg)
{
    socache_config_t *c = config_of(cmd, NULL);
    const char *sep = ap_strchr_c(arg, ':');
    const char *type = sep ? apr_pstrmemdup(cmd->pool, arg, sep - arg) : arg;
    socache_store_t *st = apr_pcalloc(cmd->pool, sizeof(*st));
    const char *err;

    st->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, type,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (!st->provider) {
        return apr_psprintf(cmd->pool,
                            "%s: unknown socache type '%s' (is "
                            "mod_socache_%s loaded?)",
                            cmd->cmd->name, type, type);
    }
    err = st->provider->create(&st->instance, sep ? sep + 1 : NULL,
                               cmd->temp_pool, cmd->pool);
    if (err) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    st->spec = apr_pstrdup(cmd->pool, arg);
    st->probe = (!strcmp(type, "memcache") || !strcmp(type, "redis")) && sep;
    st->item_max = st->probe ? ITEM_MAX_NETWORK : ITEM_MAX_SMALL;
    c->store = st;
    c->own = 1;
    return NULL;
}

/* A whole number in [0, 2^31 - 1] (or [1, ...] for the maximum size). */
static const char *set_number(cmd_parms *cmd, void *dconf, const char *arg)
{
    socache_config_t *c = config_of(cmd, dconf);
    apr_int64_t *field = (apr_int64_t *)((char *)c + (apr_size_t)cmd->info);
    apr_int64_t min = field == &c->max_size ? 1 : 0;
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > APR_INT32_MAX) {
        return apr_psprintf(
            cmd->pool,
            "%s: '%s' is not a whole number from %" APR_INT64_T_FMT " to %d",
            cmd->cmd->name, arg, min, APR_INT32_MAX);
    }
    *field = v;
    return NULL;
}

#define NUMBER(name, field, help)                                              \
    AP_INIT_TAKE1(name, set_number,                                            \
                  (void *)APR_OFFSETOF(socache_config_t, field),               \
                  RSRC_CONF | ACCESS_CONF, help)

const command_rec socache_cmds[] = {
    AP_INIT_TAKE1("CacheSocache", set_socache, NULL, RSRC_CONF,
                  "The small-object cache to store in: type[:args], e.g. "
                  "shmcb, memcache:host:port or redis:host:port."),
    NUMBER("CacheSocacheMaxTime", max_time,
           "The longest an entry stays in the cache, in seconds."),
    NUMBER("CacheSocacheMinTime", min_time,
           "The shortest an entry stays in the cache, in seconds, so that "
           "a stale entry can still be revalidated."),
    NUMBER("CacheSocacheMaxSize", max_size,
           "The largest response body, in bytes, that is stored."),
    NUMBER("CacheSocacheReadSize", read_size,
           "The bytes of a response being stored that are held back from the "
           "client before they are sent on; 0: no size limit."),
    NUMBER("CacheSocacheReadTime", read_time,
           "The milliseconds a response being stored is held back from the "
           "client before what was read is sent on; 0: no time limit."),
    {NULL}};
