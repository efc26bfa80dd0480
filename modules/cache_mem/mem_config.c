/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The directives of Relay's mod_mem_cache, with httpd 2.2's names and
 * defaults: MCacheSize, MCacheMaxObjectCount, MCacheMinObjectSize,
 * MCacheMaxObjectSize, MCacheRemovalAlgorithm, MCacheMaxStreamingBuffer.
 */
#include <errno.h>

#include "apr_strings.h"

#include "relay_keyword.h"
#include "mem_private.h"

APLOG_USE_MODULE(mem_cache);

#define DEFAULT_SIZE_KIB 100
#define DEFAULT_MAX_COUNT 1009
#define DEFAULT_MIN_SIZE 1
#define DEFAULT_MAX_SIZE 10000
#define DEFAULT_STREAMING 100000

void *mem_create_server_config(apr_pool_t *p, server_rec *s)
{
    mem_config_t *c = apr_pcalloc(p, sizeof(*c));

    c->size_kib = MEM_UNSET;
    c->max_count = MEM_UNSET;
    c->min_size = MEM_UNSET;
    c->max_size = MEM_UNSET;
    c->algo = MEM_UNSET;
    c->max_streaming = MEM_UNSET;
    return c;
}

#define MERGE(f) (add->f != MEM_UNSET ? add->f : base->f)

void *mem_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    const mem_config_t *base = basev, *add = addv;
    mem_config_t *c = apr_pcalloc(p, sizeof(*c));

    c->size_kib = MERGE(size_kib);
    c->max_count = MERGE(max_count);
    c->min_size = MERGE(min_size);
    c->max_size = MERGE(max_size);
    c->algo = MERGE(algo);
    c->max_streaming = MERGE(max_streaming);
    c->own = add->own;
    c->where = add->where ? add->where : base->where;
    return c;
}

static apr_int64_t get(apr_int64_t v, apr_int64_t dflt)
{
    return v != MEM_UNSET ? v : dflt;
}

apr_int64_t mem_config_streaming(const mem_config_t *c)
{
    apr_int64_t max_size = get(c->max_size, DEFAULT_MAX_SIZE);
    apr_int64_t dflt =
        max_size < DEFAULT_STREAMING ? max_size : DEFAULT_STREAMING;

    return get(c->max_streaming, dflt);
}

void mem_config_effective(mem_config_t *c)
{
    c->max_streaming = mem_config_streaming(c);
    c->size_kib = get(c->size_kib, DEFAULT_SIZE_KIB);
    c->max_count = get(c->max_count, DEFAULT_MAX_COUNT);
    c->min_size = get(c->min_size, DEFAULT_MIN_SIZE);
    c->max_size = get(c->max_size, DEFAULT_MAX_SIZE);
    c->algo = c->algo != MEM_UNSET ? c->algo : RELAY_EVICT_GDSF;
}

int mem_config_check(server_rec *s, const mem_config_t *conf)
{
    mem_config_t c = *conf;

    mem_config_effective(&c);
    if (c.size_kib * 1024 <= c.max_size) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     RELAY_LOGNO(04500) "%s: MCacheSize (%" APR_INT64_T_FMT
                                        " KiB) must exceed "
                                        "MCacheMaxObjectSize (%" APR_INT64_T_FMT
                                        " bytes)",
                     c.where ? c.where : s->defn_name, c.size_kib, c.max_size);
        return !OK;
    }
    if (c.min_size > c.max_size) {
        ap_log_error(
            APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
            RELAY_LOGNO(04501) "%s: MCacheMinObjectSize (%" APR_INT64_T_FMT
                               ") is larger than "
                               "MCacheMaxObjectSize (%" APR_INT64_T_FMT ")",
            c.where ? c.where : s->defn_name, c.min_size, c.max_size);
        return !OK;
    }
    return OK;
}

static const char *where(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                        cmd->directive->line_num);
}

/* A whole number in [min, max], or an error naming the directive. */
static const char *set_number(cmd_parms *cmd, void *dummy, const char *arg)
{
    mem_config_t *c =
        ap_get_module_config(cmd->server->module_config, &mem_cache_module);
    apr_int64_t *field = (apr_int64_t *)((char *)c + (apr_size_t)cmd->info);
    apr_int64_t min = field == &c->min_size ? 0 : 1;
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
    c->own = 1;
    c->where = where(cmd);
    return NULL;
}

static const relay_keyword_t algorithm_words[] = {
    {"LRU", RELAY_EVICT_LRU}, {"GDSF", RELAY_EVICT_GDSF}, {NULL, 0}};

static const char *set_algorithm(cmd_parms *cmd, void *dummy, const char *arg)
{
    mem_config_t *c =
        ap_get_module_config(cmd->server->module_config, &mem_cache_module);
    const char *err = relay_keyword_parse(cmd, arg, algorithm_words, &c->algo);

    if (err) {
        return err;
    }
    c->own = 1;
    c->where = where(cmd);
    return NULL;
}

#define NUMBER(name, field, help)                                              \
    AP_INIT_TAKE1(name, set_number, (void *)APR_OFFSETOF(mem_config_t, field), \
                  RSRC_CONF, help)

const command_rec mem_cmds[] = {
    NUMBER("MCacheSize", size_kib,
           "The memory the cache may use, in KiB; it must exceed "
           "MCacheMaxObjectSize."),
    NUMBER("MCacheMaxObjectCount", max_count,
           "The most objects the cache holds; it also sizes the index."),
    NUMBER("MCacheMinObjectSize", min_size,
           "The smallest body, in bytes, that is stored."),
    NUMBER("MCacheMaxObjectSize", max_size,
           "The largest body, in bytes, that is stored."),
    NUMBER("MCacheMaxStreamingBuffer", max_streaming,
           "How many bytes of a response without Content-Length are held "
           "while deciding whether it fits."),
    AP_INIT_TAKE1("MCacheRemovalAlgorithm", set_algorithm, NULL, RSRC_CONF,
                  "The eviction order: LRU or GDSF "
                  "(GreedyDual-Size-Frequency)."),
    {NULL}};
