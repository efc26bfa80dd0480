/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Relay's mod_proxy_hcheck (identifier proxy_hcheck_module, name
 * mod_proxy_hcheck.c, as stock): the health-check directives that stock
 * keeps in that module, so that configurations, and their <IfModule
 * mod_proxy_hcheck.c> blocks, keep working. The checks themselves are
 * run by Relay's mod_proxy_balancer; this module holds
 *  - ProxyHCTemplate name key=value...: hc* parameters a member takes with
 *    hctemplate=name;
 *  - ProxyHCExpr name {expression}: an ap_expr over a check's answer, which
 *    a member names with hcexpr=name: %{REQUEST_STATUS} is the answer's
 *    status, resp('Field') a field of it, hc('body') its body;
 *  - ProxyHCTPsize: accepted (the checks run one after another on the
 *    watchdog thread of each child, never on a request's path).
 * They are handed over through relay_hcheck_api.h.
 */
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_expr.h"
#include "ap_provider.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"

#include "relay_hcheck_api.h"
#include "relay_family.h"
#include "relay_log.h"

extern module AP_MODULE_DECLARE_DATA proxy_hcheck_module;
APLOG_USE_MODULE(proxy_hcheck);

/* This configuration's templates (name -> words) and conditions (name ->
 * ap_expr_info_t *), made in pre_config from pconf. */
static apr_hash_t *templates;
static apr_hash_t *conditions;

/* The body a condition being evaluated sees through hc('body'). */
typedef struct check_answer_t {
    const char *body;
} check_answer_t;

static const char *cmd_template(cmd_parms *cmd, void *dconf, const char *args)
{
    const char *name = ap_getword_conf(cmd->pool, &args);

    (void)dconf;
    while (*args == ' ' || *args == '\t') {
        args++;
    }
    if (!*name || !*args) {
        return "ProxyHCTemplate needs a name and hc* parameters";
    }
    apr_hash_set(templates, name, APR_HASH_KEY_STRING,
                 apr_pstrdup(cmd->pool, args));
    return NULL;
}

/* ProxyHCExpr name {expression} (or the expression quoted). */
static const char *cmd_expr(cmd_parms *cmd, void *dconf, const char *args)
{
    const char *name = ap_getword_conf(cmd->pool, &args);
    const char *err = NULL;
    ap_expr_info_t *expr;
    char *text;
    apr_size_t len;

    (void)dconf;
    while (*args == ' ' || *args == '\t') {
        args++;
    }
    len = strlen(args);
    while (len && (args[len - 1] == ' ' || args[len - 1] == '\t')) {
        len--;
    }
    if (len >= 2 && args[0] == '{' && args[len - 1] == '}') {
        text = apr_pstrmemdup(cmd->pool, args + 1, len - 2);
    }
    else {
        text = ap_getword_conf(cmd->pool, &args);
    }
    if (!*name || !*text) {
        return "ProxyHCExpr needs a name and an expression";
    }
    expr = ap_expr_parse_cmd(cmd, text, 0, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "ProxyHCExpr %s: %s", name, err);
    }
    apr_hash_set(conditions, name, APR_HASH_KEY_STRING, expr);
    return NULL;
}

static const char *cmd_tpsize(cmd_parms *cmd, void *dconf, const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);

    (void)dconf;
    if (!apr_isdigit(*arg) || *end || n > 100000) {
        return apr_psprintf(cmd->pool,
                            "ProxyHCTPsize must be a number of threads, "
                            "not '%s'",
                            arg);
    }
    return NULL;
}

/* hc('body'): the body of the answer being judged ("" elsewhere). */
static const char *hc_function(ap_expr_eval_ctx_t *ctx, const void *data,
                               const char *arg)
{
    const check_answer_t *a =
        ctx->r
            ? ap_get_module_config(ctx->r->request_config, &proxy_hcheck_module)
            : NULL;

    (void)data;
    return a && arg && !strcasecmp(arg, "body") && a->body ? a->body : "";
}

static int hc_expr_lookup(ap_expr_lookup_parms *parms)
{
    if (parms->type == AP_EXPR_FUNC_STRING && !strcasecmp(parms->name, "hc")) {
        *parms->func = hc_function;
        *parms->data = parms->name;
        return OK;
    }
    return DECLINED;
}

static const char *template_words(const char *name)
{
    return templates ? apr_hash_get(templates, name, APR_HASH_KEY_STRING)
                     : NULL;
}

static int expr_defined(const char *name)
{
    return conditions &&
           apr_hash_get(conditions, name, APR_HASH_KEY_STRING) != NULL;
}

/* A request_rec standing for the check's answer, for ap_expr_exec. */
static request_rec *answer_request(server_rec *s, apr_pool_t *p, int status,
                                   apr_table_t *headers, const char *body)
{
    conn_rec *c = apr_pcalloc(p, sizeof(*c));
    request_rec *r = apr_pcalloc(p, sizeof(*r));
    check_answer_t *a = apr_pcalloc(p, sizeof(*a));

    c->pool = p;
    c->base_server = s;
    c->client_ip = c->local_ip = "127.0.0.1";
    c->conn_config = ap_create_conn_config(p);
    c->notes = apr_table_make(p, 1);
    r->pool = p;
    r->connection = c;
    r->server = s;
    r->per_dir_config = s->lookup_defaults;
    r->request_config = ap_create_request_config(p);
    r->status = status;
    r->method = "GET";
    r->protocol = "HTTP/1.1";
    r->uri = r->unparsed_uri = "/";
    r->useragent_ip = c->client_ip;
    r->headers_in = apr_table_make(p, 1);
    r->headers_out = headers;
    r->err_headers_out = apr_table_make(p, 1);
    r->subprocess_env = apr_table_make(p, 1);
    r->notes = apr_table_make(p, 1);
    a->body = body;
    ap_set_module_config(r->request_config, &proxy_hcheck_module, a);
    return r;
}

static int expr_passes(server_rec *s, apr_pool_t *p, const char *name,
                       int status, apr_table_t *headers, const char *body,
                       apr_size_t body_len, const char **why)
{
    ap_expr_info_t *expr =
        conditions ? apr_hash_get(conditions, name, APR_HASH_KEY_STRING) : NULL;
    const char *err = NULL;
    int rc;

    if (!expr) {
        *why = apr_psprintf(p, "no ProxyHCExpr %s", name);
        return 0;
    }
    rc = ap_expr_exec(
        answer_request(s, p, status, headers,
                       body ? apr_pstrmemdup(p, body, body_len) : ""),
        expr, &err);
    if (rc > 0) {
        return 1;
    }
    *why = err ? apr_psprintf(p, "hcexpr %s: %s", name, err)
               : apr_psprintf(p, "status %d: hcexpr %s is false", status, name);
    return 0;
}

static const relay_hcheck_api_t hcheck_api = {template_words, expr_defined,
                                              expr_passes};

static int hcheck_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    templates = apr_hash_make(pconf);
    conditions = apr_hash_make(pconf);
    return OK;
}

static void hcheck_register_hooks(apr_pool_t *p)
{
    relay_family_register(p, "mod_proxy_hcheck.c");
    ap_register_provider(p, RELAY_HCHECK_GROUP, "default", RELAY_HCHECK_VERSION,
                         &hcheck_api);
    ap_hook_pre_config(hcheck_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_expr_lookup(hc_expr_lookup, NULL, NULL, APR_HOOK_MIDDLE);
}

static const command_rec hcheck_cmds[] = {
    AP_INIT_RAW_ARGS("ProxyHCTemplate", cmd_template, NULL, RSRC_CONF,
                     "Names a set of hc* parameters that members take "
                     "with hctemplate=name."),
    AP_INIT_RAW_ARGS("ProxyHCExpr", cmd_expr, NULL, RSRC_CONF,
                     "Names a condition over a health check's answer "
                     "(%{REQUEST_STATUS}, resp('Field'), hc('body')) that "
                     "members use with hcexpr=name."),
    AP_INIT_TAKE1("ProxyHCTPsize", cmd_tpsize, NULL, RSRC_CONF,
                  "Accepted: Relay's checks run on each child's watchdog "
                  "thread."),
    {NULL}};

module AP_MODULE_DECLARE_DATA __attribute__((visibility("default")))
proxy_hcheck_module = {STANDARD20_MODULE_STUFF,
                       NULL,
                       NULL,
                       NULL,
                       NULL,
                       hcheck_cmds,
                       hcheck_register_hooks,
                       AP_MODULE_FLAG_NONE};
