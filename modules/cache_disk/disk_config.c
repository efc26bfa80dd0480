/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The directives of Relay's mod_cache_disk, with stock mod_cache_disk's
 * names and defaults (CacheRoot, CacheDirLevels [2], CacheDirLength [2],
 * CacheMinFileSize [1], CacheMaxFileSize [1000000], CacheReadSize [0],
 * CacheReadTime [0]) and Relay's CacheDiskLimit.
 */
#include <errno.h>

#include "apr_strings.h"
#include "http_core.h"

#include "relay/relay_disk.h"
#include "disk_private.h"

APLOG_USE_MODULE(cache_disk);

void *disk_create_server_conf(apr_pool_t *p, server_rec *s)
{
    disk_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->levels = DISK_UNSET;
    c->length = DISK_UNSET;
    c->limit_bytes = DISK_UNSET;
    c->limit_entries = DISK_UNSET;
    return c;
}

#define MERGE(f) (add->f != DISK_UNSET ? add->f : base->f)

void *disk_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const disk_server_conf_t *base = basev, *add = addv;
    disk_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->root = add->root ? add->root : base->root;
    c->levels = MERGE(levels);
    c->length = MERGE(length);
    c->limit_bytes = MERGE(limit_bytes);
    c->limit_entries = MERGE(limit_entries);
    c->where = add->where ? add->where : base->where;
    return c;
}

void *disk_create_dir_conf(apr_pool_t *p, char *dir)
{
    disk_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->min_size = DISK_UNSET;
    c->max_size = DISK_UNSET;
    c->read_size = DISK_UNSET;
    c->read_time = DISK_UNSET;
    return c;
}

void *disk_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const disk_dir_conf_t *base = basev, *add = addv;
    disk_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->min_size = MERGE(min_size);
    c->max_size = MERGE(max_size);
    c->read_size = MERGE(read_size);
    c->read_time = MERGE(read_time);
    return c;
}

int disk_levels(const disk_server_conf_t *c)
{
    return c->levels != DISK_UNSET ? c->levels : DISK_DEFAULT_LEVELS;
}

int disk_length(const disk_server_conf_t *c)
{
    return c->length != DISK_UNSET ? c->length : DISK_DEFAULT_LENGTH;
}

int disk_config_check(server_rec *s, const disk_server_conf_t *c)
{
    if (!relay_disk_layout_valid(disk_levels(c), disk_length(c))) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                     RELAY_LOGNO(06000) "%s: CacheDirLevels (%d) times "
                                        "CacheDirLength (%d) must not exceed "
                                        "%d",
                     c->where ? c->where : s->defn_name, disk_levels(c),
                     disk_length(c), RELAY_DISK_DIR_CHARS_MAX);
        return !OK;
    }
    return OK;
}

static disk_server_conf_t *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &cache_disk_module);
}

static const char *set_root(cmd_parms *cmd, void *dummy, const char *arg)
{
    server_conf(cmd)->root = ap_server_root_relative(cmd->pool, arg);
    if (!server_conf(cmd)->root) {
        return apr_pstrcat(cmd->pool, "CacheRoot: invalid path '", arg, "'",
                           NULL);
    }
    return NULL;
}

/* CacheDirLevels and CacheDirLength: a whole number >= 1 whose product
 * with the other (as set so far) stays within the hash. */
static const char *set_layout(cmd_parms *cmd, void *dummy, const char *arg)
{
    disk_server_conf_t *c = server_conf(cmd);
    int levels = !strcmp(cmd->cmd->name, "CacheDirLevels");
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || end == arg || *end || v < 1 || v > RELAY_DISK_DIR_CHARS_MAX) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a whole number from 1 to %d",
                            cmd->cmd->name, arg, RELAY_DISK_DIR_CHARS_MAX);
    }
    *(levels ? &c->levels : &c->length) = (int)v;
    c->where = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                            cmd->directive->line_num);
    if (!relay_disk_layout_valid(disk_levels(c), disk_length(c))) {
        return apr_psprintf(cmd->pool,
                            "%s %s: CacheDirLevels (%d) times CacheDirLength "
                            "(%d) must not exceed %d",
                            cmd->cmd->name, arg, disk_levels(c), disk_length(c),
                            RELAY_DISK_DIR_CHARS_MAX);
    }
    return NULL;
}

/* A byte count or time >= 0 of a directory-level directive. */
static const char *set_dir_number(cmd_parms *cmd, void *dirv, const char *arg)
{
    disk_dir_conf_t *c = dirv;
    apr_off_t v;
    char *end;

    if (apr_strtoff(&v, arg, &end, 10) != APR_SUCCESS || end == arg || *end ||
        v < 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number >= 0",
                            cmd->cmd->name, arg);
    }
    switch ((apr_size_t)cmd->info) {
    case 0:
        c->min_size = v;
        break;
    case 1:
        c->max_size = v;
        break;
    case 2:
        c->read_size = v;
        break;
    default:
        c->read_time = v;
        break;
    }
    return NULL;
}

static const char *set_limit(cmd_parms *cmd, void *dummy, const char *size,
                             const char *entries)
{
    disk_server_conf_t *c = server_conf(cmd);
    char *end;

    if (relay_disk_size_parse(size, &c->limit_bytes) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool,
                            "CacheDiskLimit: '%s' is not a size above 0 "
                            "(bytes, or a number with K, M or G)",
                            size);
    }
    c->limit_entries = 0;
    if (entries) {
        errno = 0;
        c->limit_entries = apr_strtoi64(entries, &end, 10);
        if (errno || end == entries || *end || c->limit_entries < 1) {
            return apr_psprintf(cmd->pool,
                                "CacheDiskLimit: '%s' is not a whole number "
                                "of entries above 0",
                                entries);
        }
    }
    return NULL;
}

#define DIR_NUMBER(name, n, help)                                              \
    AP_INIT_TAKE1(name, set_dir_number, (void *)(apr_size_t)(n),               \
                  RSRC_CONF | ACCESS_CONF, help)

const command_rec disk_cmds[] = {
    AP_INIT_TAKE1("CacheRoot", set_root, NULL, RSRC_CONF,
                  "The directory under which the disk cache stores its "
                  "entries."),
    AP_INIT_TAKE1("CacheDirLevels", set_layout, NULL, RSRC_CONF,
                  "The number of directory levels under CacheRoot."),
    AP_INIT_TAKE1("CacheDirLength", set_layout, NULL, RSRC_CONF,
                  "The number of characters in each directory name."),
    DIR_NUMBER("CacheMinFileSize", 0,
               "The smallest body, in bytes, that is stored."),
    DIR_NUMBER("CacheMaxFileSize", 1,
               "The largest body, in bytes, that is stored."),
    DIR_NUMBER("CacheReadSize", 2,
               "The bytes of a response being stored that are held back "
               "from the client before they are sent on; 0: no size limit."),
    DIR_NUMBER("CacheReadTime", 3,
               "The milliseconds a response being stored is held back from "
               "the client before what was read is sent on; 0: no time "
               "limit."),
    AP_INIT_TAKE12("CacheDiskLimit", set_limit, NULL, RSRC_CONF,
                   "The most bytes (K, M or G suffix allowed) and optionally "
                   "entries the disk cache keeps; a background cleaner "
                   "removes expired, then least recently used entries."),
    {NULL}};
