/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The directives of Relay's mod_proxy_fcgi, with stock's syntax, contexts
 * and defaults: ProxyFCGIBackendType FPM|GENERIC (FPM) and
 * ProxyFCGISetEnvIf condition [!]name [value].
 */
#include "apr_strings.h"

#include "fcgi_private.h"

void *fcgi_create_dir_conf(apr_pool_t *p, char *dir)
{
    fcgi_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->backend = FCGI_BACKEND_UNSET;
    c->fixups = apr_array_make(p, 2, sizeof(fcgi_env_fixup_t));
    return c;
}

void *fcgi_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const fcgi_dir_conf_t *base = basev, *add = addv;
    fcgi_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->backend =
        add->backend != FCGI_BACKEND_UNSET ? add->backend : base->backend;
    c->fixups = apr_array_append(p, base->fixups, add->fixups);
    return c;
}

static const char *set_backend(cmd_parms *cmd, void *dconf, const char *arg)
{
    fcgi_dir_conf_t *c = dconf;

    if (!strcasecmp(arg, "FPM")) {
        c->backend = FCGI_BACKEND_FPM;
    }
    else if (!strcasecmp(arg, "GENERIC")) {
        c->backend = FCGI_BACKEND_GENERIC;
    }
    else {
        return apr_psprintf(cmd->pool,
                            "ProxyFCGIBackendType takes FPM or GENERIC, "
                            "not '%s'",
                            arg);
    }
    return NULL;
}

static const char *add_fixup(cmd_parms *cmd, void *dconf, const char *cond,
                             const char *name, const char *value)
{
    fcgi_dir_conf_t *c = dconf;
    fcgi_env_fixup_t *fixup = apr_array_push(c->fixups);
    const char *err = NULL;

    fixup->cond = ap_expr_parse_cmd(cmd, cond, 0, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool,
                            "ProxyFCGISetEnvIf: could not parse the "
                            "condition '%s': %s",
                            cond, err);
    }
    if (*name == '!') {
        if (value) {
            return "ProxyFCGISetEnvIf: a variable to unset (!name) takes "
                   "no value";
        }
        fixup->name = name + 1;
        fixup->value = NULL;
    }
    else {
        fixup->name = name;
        fixup->value = ap_expr_parse_cmd(
            cmd, value ? value : "", AP_EXPR_FLAG_STRING_RESULT, &err, NULL);
        if (err) {
            return apr_psprintf(cmd->pool,
                                "ProxyFCGISetEnvIf: could not parse the "
                                "value '%s': %s",
                                value, err);
        }
    }
    if (!*fixup->name) {
        return "ProxyFCGISetEnvIf: the variable name is empty";
    }
    return NULL;
}

const command_rec fcgi_cmds[] = {
    AP_INIT_TAKE1("ProxyFCGIBackendType", set_backend, NULL, OR_FILEINFO,
                  "The kind of FastCGI application behind this location: "
                  "FPM (the default, PHP-FPM's conventions) or GENERIC."),
    AP_INIT_TAKE23("ProxyFCGISetEnvIf", add_fixup, NULL, OR_FILEINFO,
                   "Sets (or, with !name, unsets) a variable sent to the "
                   "FastCGI application when an expression is true: "
                   "condition [!]name [value]."),
    {NULL}};
