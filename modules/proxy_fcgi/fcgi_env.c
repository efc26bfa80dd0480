/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The CGI/1.1 environment (RFC 3875 §4.1) a FastCGI request carries in
 * its PARAMS, made as stock makes it so that applications see the same
 * variables: httpd's own ap_add_common_vars() and ap_add_cgi_vars() over
 * the request, with SCRIPT_FILENAME taken from the origin URL's path (the
 * file SetHandler mapped, or the ProxyPass target) in the form the
 * backend type expects, PATH_INFO guessed only when the request asks for
 * it (proxy-fcgi-pathinfo), and the ProxyFCGISetEnvIf lines applied last.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "util_script.h"

#include "fcgi_private.h"

/* The origin URL's path, decoded ("%2F" kept): the file the backend is
 * asked to run. */
static char *script_path(const relay_proxy_req_t *pr, apr_pool_t *p)
{
    char *path = apr_pstrdup(p, pr->target);
    char *query = strchr(path, '?');

    if (query) {
        *query = '\0';
    }
    ap_unescape_url_keep2f(path, 0);
    return path;
}

/*
 * proxy-fcgi-pathinfo, for a request mapped by ProxyPass (SetHandler's
 * file walk sets PATH_INFO itself): "first-dot" and "last-dot" take
 * PATH_INFO from the slash after the first or last dot, "unescape" and
 * "full" the whole decoded path, any other value the whole path as it
 * came. SCRIPT_FILENAME keeps the whole path, as stock sends it (PHP-FPM
 * finds the script in it).
 */
static void guess_path_info(request_rec *r, const relay_proxy_req_t *pr,
                            const char *path)
{
    const char *mode = apr_table_get(r->subprocess_env, "proxy-fcgi-pathinfo");
    const char *dot, *slash;

    if (!mode || (r->path_info && *r->path_info) ||
        (r->handler && !strncmp(r->handler, "proxy:", 6))) {
        return;
    }
    if (!strcasecmp(mode, "first-dot") || !strcasecmp(mode, "last-dot")) {
        dot = !strcasecmp(mode, "first-dot") ? strchr(path, '.')
                                             : strrchr(path, '.');
        slash = dot ? strchr(dot, '/') : NULL;
        if (slash) {
            r->path_info = apr_pstrdup(r->pool, slash);
        }
        return;
    }
    if (!strcasecmp(mode, "unescape") || !strcasecmp(mode, "full")) {
        r->path_info = apr_pstrdup(r->pool, path);
        return;
    }
    r->path_info =
        apr_pstrmemdup(r->pool, pr->target, strcspn(pr->target, "?"));
}

/* SCRIPT_FILENAME: PHP-FPM is given "proxy:fcgi://host[:port]/path", the
 * form it recognises (and strips) to tell it runs behind httpd; a generic
 * application the file's path alone. */
static const char *script_filename(const fcgi_exchange_t *ex, const char *path)
{
    const relay_proxy_req_t *pr = ex->pr;

    if (ex->dc->backend == FCGI_BACKEND_GENERIC) {
        return path;
    }
    if (pr->port == pr->provider->default_port) {
        return apr_pstrcat(ex->r->pool, "proxy:", pr->scheme, "://",
                           pr->hostname, path, NULL);
    }
    return apr_psprintf(ex->r->pool, "proxy:%s://%s:%u%s", pr->scheme,
                        pr->hostname, pr->port, path);
}

static void apply_fixups(request_rec *r, const apr_array_header_t *fixups)
{
    int i;

    for (i = 0; i < fixups->nelts; i++) {
        const fcgi_env_fixup_t *f = &APR_ARRAY_IDX(fixups, i, fcgi_env_fixup_t);
        ap_regmatch_t match[AP_MAX_REG_MATCH];
        const char *source = NULL, *err = NULL, *value;
        int rc =
            ap_expr_exec_re(r, f->cond, AP_MAX_REG_MATCH, match, &source, &err);

        if (rc < 0 || err) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(07001) "ProxyFCGISetEnvIf %s: the "
                                             "condition failed: %s",
                          f->name, err ? err : "error");
            continue;
        }
        if (!rc) {
            continue;
        }
        if (!f->value) {
            apr_table_unset(r->subprocess_env, f->name);
            continue;
        }
        value = ap_expr_str_exec_re(r, f->value, AP_MAX_REG_MATCH, match,
                                    &source, &err);
        if (err) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(07002) "ProxyFCGISetEnvIf %s: the "
                                             "value failed: %s",
                          f->name, err);
            continue;
        }
        apr_table_setn(r->subprocess_env, f->name, value);
    }
}

void fcgi_env_build(fcgi_exchange_t *ex)
{
    request_rec *r = ex->r;
    char *path = script_path(ex->pr, r->pool);

    guess_path_info(r, ex->pr, path);
    r->filename = (char *)script_filename(ex, path);
    ap_add_common_vars(r);
    ap_add_cgi_vars(r);
    if (ex->spool) {
        apr_table_setn(
            r->subprocess_env, "CONTENT_LENGTH",
            apr_off_t_toa(r->pool, relay_body_spool_length(ex->spool)));
    }
    apply_fixups(r, ex->dc->fixups);
}
