/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * balancer:// definitions, mod_proxy's side: the BalancerMember directive,
 * ProxySet (and ProxyPass) parameters of a balancer, finding a balancer by
 * URL, ProxyPassReverse rules to a balancer expanded through its members,
 * BalancerInherit and BalancerGrowth, and the members' health-check
 * parameters. Each member has a worker of its own (its shared slot is
 * named by balancer and URL). Picking a member is mod_proxy_balancer's
 * (it registers the "balancer" scheme); these directives refuse to work
 * without it, naming it.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "http_core.h"
#include "ap_provider.h"

#include "relay_hcheck_api.h"
#include "proxy_private.h"

#define BALANCER_PREFIX "balancer://"
#define BALANCER_PREFIX_LEN (sizeof(BALANCER_PREFIX) - 1)
/* Stock's retry for balancer members. */
#define RELAY_MEMBER_RETRY apr_time_from_sec(60)

int relay_balancer_is_url(const char *url)
{
    return !strncasecmp(url, BALANCER_PREFIX, BALANCER_PREFIX_LEN);
}

/* "balancer://name" of a balancer URL, lower case; NULL without a name. */
static char *balancer_name(apr_pool_t *p, const char *url)
{
    const char *host = url + BALANCER_PREFIX_LEN;
    apr_size_t len = strcspn(host, "/?#");
    char *name;

    if (!relay_balancer_is_url(url) || !len) {
        return NULL;
    }
    name = apr_pstrmemdup(p, url, BALANCER_PREFIX_LEN + len);
    ap_str_tolower(name);
    return name;
}

relay_balancer_t *relay_balancer_find(relay_proxy_server_conf_t *sc,
                                      const char *url, apr_pool_t *p)
{
    const char *name = balancer_name(p, url);
    int i;

    for (i = 0; name && i < sc->balancers->nelts; i++) {
        relay_balancer_t *b =
            APR_ARRAY_IDX(sc->balancers, i, relay_balancer_t *);
        if (!strcmp(b->name, name)) {
            return b;
        }
    }
    return NULL;
}

/* The balancer of `url` in this server, defined on first mention. */
static const char *balancer_get(cmd_parms *cmd, const char *url,
                                relay_balancer_t **out)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);
    relay_balancer_t *b;

    if (!balancer_name(cmd->temp_pool, url)) {
        return apr_psprintf(cmd->pool, "'%s' is not balancer://name", url);
    }
    if (!ap_lookup_provider(RELAY_SCHEME_GROUP, "balancer",
                            RELAY_SCHEME_VERSION)) {
        return apr_psprintf(cmd->pool,
                            "'%s' needs Relay's mod_proxy_balancer; "
                            "load it before this line",
                            url);
    }
    b = relay_balancer_find(sc, url, cmd->temp_pool);
    if (!b) {
        b = apr_pcalloc(cmd->pool, sizeof(*b));
        b->name = balancer_name(cmd->pool, url);
        b->members = apr_array_make(cmd->pool, 4, sizeof(relay_member_t));
        b->lbmethod = RELAY_LB_BYREQUESTS;
        b->maxattempts = RELAY_UNSET;
        b->failonstatus = apr_array_make(cmd->pool, 2, sizeof(int));
        b->forcerecovery = 1;
        b->sticky_sep = '.';
        b->growth = RELAY_UNSET;
        relay_hc_params_unset(&b->hc);
        b->defined_in =
            apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                         cmd->directive->line_num);
        APR_ARRAY_PUSH(sc->balancers, relay_balancer_t *) = b;
    }
    *out = b;
    return NULL;
}

static const char *parse_flag(apr_pool_t *p, const char *key, const char *value,
                              int *out)
{
    if (!strcasecmp(value, "on")) {
        *out = 1;
        return NULL;
    }
    if (!strcasecmp(value, "off")) {
        *out = 0;
        return NULL;
    }
    return apr_psprintf(p, "%s must be On or Off, not '%s'", key, value);
}

static const char *parse_number(apr_pool_t *p, const char *key,
                                const char *value, int min, int max, int *out)
{
    char *end;
    long n = strtol(value, &end, 10);

    if (!apr_isdigit(*value) || *end || n < min || n > max) {
        return apr_psprintf(p, "%s must be a number from %d to %d, not '%s'",
                            key, min, max, value);
    }
    *out = (int)n;
    return NULL;
}

static const char *parse_time(apr_pool_t *p, const char *key, const char *value,
                              apr_interval_time_t min, apr_interval_time_t *out)
{
    if (!apr_isdigit(*value) ||
        ap_timeout_parameter_parse(value, out, "s") != APR_SUCCESS ||
        *out < min) {
        return apr_psprintf(
            p, "%s must be a time of at least %" APR_TIME_T_FMT " ms, not '%s'",
            key, apr_time_as_msec(min), value);
    }
    return NULL;
}

/* Marks a key no hc* parameter parser knows. */
static const char unknown_hc[] = "";

static const char *hc_param(apr_pool_t *p, relay_hc_params_t *hc,
                            const char *key, const char *value);

static const relay_hcheck_api_t *hcheck_api(void)
{
    return ap_lookup_provider(RELAY_HCHECK_GROUP, "default",
                              RELAY_HCHECK_VERSION);
}

/* hctemplate=name: the template's hc* words, as if written here. */
static const char *hc_template(apr_pool_t *p, relay_hc_params_t *hc,
                               const char *name)
{
    const relay_hcheck_api_t *api = hcheck_api();
    const char *words = api ? api->template_words(name) : NULL;
    const char *word, *err;

    if (!api) {
        return "hctemplate needs Relay's mod_proxy_hcheck, loaded before "
               "this line";
    }
    if (!words) {
        return apr_psprintf(p,
                            "hctemplate=%s: no ProxyHCTemplate of that name "
                            "before this line",
                            name);
    }
    while (*(word = ap_getword_conf(p, &words))) {
        const char *eq = ap_strchr_c(word, '=');
        const char *key = eq ? apr_pstrmemdup(p, word, eq - word) : word;
        if (!eq || !strncasecmp(key, "hctemplate", 10) ||
            strncasecmp(key, "hc", 2)) {
            return apr_psprintf(p,
                                "ProxyHCTemplate %s: '%s' is not an hc* "
                                "key=value",
                                name, word);
        }
        err = hc_param(p, hc, key, eq + 1);
        if (err == unknown_hc) {
            return apr_psprintf(p, "ProxyHCTemplate %s: unknown key '%s'", name,
                                key);
        }
        if (err) {
            return apr_psprintf(p, "ProxyHCTemplate %s: %s", name, err);
        }
    }
    return NULL;
}

/* One hc* parameter (of a member, or a balancer's default). */
static const char *hc_param(apr_pool_t *p, relay_hc_params_t *hc,
                            const char *key, const char *value)
{
    if (!strcasecmp(key, "hctemplate")) {
        return hc_template(p, hc, value);
    }
    if (!strcasecmp(key, "hcexpr")) {
        const relay_hcheck_api_t *api = hcheck_api();
        if (!api) {
            return "hcexpr needs Relay's mod_proxy_hcheck, loaded before "
                   "this line";
        }
        if (!api->expr_defined(value)) {
            return apr_psprintf(p,
                                "hcexpr=%s: no ProxyHCExpr of that name "
                                "before this line",
                                value);
        }
        hc->expr = apr_pstrdup(p, value);
        return NULL;
    }
    if (!strcasecmp(key, "hcmethod")) {
        relay_hc_method_t m;
        if (relay_hc_method_parse(value, &m)) {
            return apr_psprintf(p,
                                "hcmethod must be TCP, OPTIONS, HEAD, GET, "
                                "OPTIONS11, HEAD11, GET11 or None, not "
                                "'%s'",
                                value);
        }
        hc->method = (int)m;
        return NULL;
    }
    if (!strcasecmp(key, "hcuri")) {
        if (*value != '/' || strpbrk(value, " \t\r\n")) {
            return apr_psprintf(p, "hcuri must be a path from /, not '%s'",
                                value);
        }
        hc->uri = apr_pstrdup(p, value);
        return NULL;
    }
    if (!strcasecmp(key, "hcinterval")) {
        return parse_time(p, key, value, apr_time_from_msec(10), &hc->interval);
    }
    if (!strcasecmp(key, "hctimeout")) {
        return parse_time(p, key, value, apr_time_from_msec(10), &hc->timeout);
    }
    if (!strcasecmp(key, "hcpasses")) {
        return parse_number(p, key, value, 1, 1000, &hc->passes);
    }
    if (!strcasecmp(key, "hcfails")) {
        return parse_number(p, key, value, 1, 1000, &hc->fails);
    }
    return unknown_hc;
}

/* failonstatus=code[,code...] */
static const char *parse_statuses(apr_pool_t *p, const char *value,
                                  apr_array_header_t *codes)
{
    char *list = apr_pstrdup(p, value), *last, *word;

    apr_array_clear(codes);
    for (word = apr_strtok(list, ", ", &last); word;
         word = apr_strtok(NULL, ", ", &last)) {
        int code;
        if (parse_number(p, "failonstatus", word, 100, 599, &code)) {
            return apr_psprintf(p,
                                "failonstatus must be status codes from "
                                "100 to 599 separated by commas, not '%s'",
                                value);
        }
        APR_ARRAY_PUSH(codes, int) = code;
    }
    if (!codes->nelts) {
        return "failonstatus needs at least one status code";
    }
    return NULL;
}

/* One key=value of a balancer (ProxySet balancer://..., ProxyPass). */
static const char *balancer_param(apr_pool_t *p, relay_balancer_t *b,
                                  const char *key, const char *value)
{
    const char *err = hc_param(p, &b->hc, key, value);

    if (err != unknown_hc) {
        return err;
    }
    if (!strcasecmp(key, "lbmethod")) {
        if (!strcasecmp(value, "heartbeat")) {
            return "lbmethod=heartbeat picks members by the load "
                   "mod_heartmonitor gathers, which Relay does not read; "
                   "use lbmethod=bybusyness (fewest requests in flight) "
                   "or byrequests";
        }
        if (relay_lb_method_parse(value, &b->lbmethod)) {
            return apr_psprintf(p,
                                "lbmethod must be byrequests, bybusyness "
                                "or bytraffic, not '%s'",
                                value);
        }
        return NULL;
    }
    if (!strcasecmp(key, "stickysession")) {
        const char *bar = ap_strchr_c(value, '|');
        if (!*value || bar == value || (bar && !bar[1])) {
            return apr_psprintf(p,
                                "stickysession must be NAME or "
                                "COOKIE|PARAMETER, not '%s'",
                                value);
        }
        b->sticky_cookie =
            bar ? apr_pstrmemdup(p, value, bar - value) : apr_pstrdup(p, value);
        b->sticky_param = bar ? apr_pstrdup(p, bar + 1) : b->sticky_cookie;
        return NULL;
    }
    if (!strcasecmp(key, "scolonpathdelim")) {
        return parse_flag(p, key, value, &b->scolonpathdelim);
    }
    if (!strcasecmp(key, "stickysessionsep")) {
        if (!strcasecmp(value, "off")) {
            b->sticky_sep = 0;
            return NULL;
        }
        if (strlen(value) != 1 || apr_isspace(*value)) {
            return apr_psprintf(p,
                                "stickysessionsep must be one character or "
                                "Off, not '%s'",
                                value);
        }
        b->sticky_sep = *value;
        return NULL;
    }
    if (!strcasecmp(key, "nofailover")) {
        return parse_flag(p, key, value, &b->nofailover);
    }
    if (!strcasecmp(key, "maxattempts")) {
        return parse_number(p, key, value, 0, 1000, &b->maxattempts);
    }
    if (!strcasecmp(key, "failonstatus")) {
        return parse_statuses(p, value, b->failonstatus);
    }
    if (!strcasecmp(key, "failontimeout")) {
        return parse_flag(p, key, value, &b->failontimeout);
    }
    if (!strcasecmp(key, "forcerecovery")) {
        return parse_flag(p, key, value, &b->forcerecovery);
    }
    if (!strcasecmp(key, "timeout")) {
        return parse_time(p, key, value, 0, &b->timeout);
    }
    if (!strcasecmp(key, "growth")) {
        return parse_number(p, key, value, 0, 1000, &b->growth);
    }
    if (!strcasecmp(key, "nonce")) {
        return NULL; /* balancer-manager's form guard: no form, no use */
    }
    return apr_psprintf(p, "unknown balancer parameter '%s'", key);
}

const char *relay_balancer_set(cmd_parms *cmd, const char *url,
                               const char *args)
{
    relay_balancer_t *b;
    const char *word, *err;

    if ((err = balancer_get(cmd, url, &b)) != NULL) {
        return err;
    }
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        const char *eq = ap_strchr_c(word, '=');
        if (!eq || eq == word) {
            return apr_psprintf(cmd->pool, "'%s' is not key=value", word);
        }
        err = balancer_param(cmd->pool, b,
                             apr_pstrmemdup(cmd->temp_pool, word, eq - word),
                             eq + 1);
        if (err) {
            return err;
        }
    }
    return NULL;
}

/* status=: letters, each optionally after + (set) or - (clear). */
static const char *parse_status(apr_pool_t *p, const char *value,
                                unsigned int *flags)
{
    static const char letters[] = "HDSIENRC";
    static const unsigned int bits[] = {
        RELAY_LB_STANDBY, RELAY_LB_DISABLED, RELAY_LB_STOPPED, RELAY_LB_IGNERR,
        RELAY_LB_ERROR,   RELAY_LB_DRAIN,    RELAY_LB_SPARE,   RELAY_LB_HCFAIL};
    const char *c;
    int set = 1;

    for (c = value; *c; c++) {
        const char *at;
        if (*c == '+' || *c == '-') {
            set = *c == '+';
            continue;
        }
        at = strchr(letters, apr_toupper(*c));
        if (!at) {
            return apr_psprintf(p,
                                "status must be made of +H, +D, +S, +I, "
                                "+E, +N, +R and +C, not '%s'",
                                value);
        }
        if (set) {
            *flags |= bits[at - letters];
        }
        else {
            *flags &= ~bits[at - letters];
        }
    }
    return NULL;
}

/* loadfactor=: 1 to 100 with up to two decimals, kept in hundredths. */
static const char *parse_loadfactor(apr_pool_t *p, const char *value, int *out)
{
    const char *c = value;
    int whole = 0, frac = 0, digits = 0;

    while (apr_isdigit(*c) && whole <= 100) {
        whole = whole * 10 + (*c++ - '0');
    }
    if (*c == '.' && c > value) {
        for (c++; apr_isdigit(*c) && digits < 2; c++, digits++) {
            frac = frac * 10 + (*c - '0');
        }
        frac *= digits == 1 ? 10 : 1;
        if (!digits) {
            c = value; /* "2." */
        }
    }
    if (c == value || *c || whole * 100 + frac < 100 ||
        whole * 100 + frac > 10000) {
        return apr_psprintf(p,
                            "loadfactor must be a number from 1 to 100 "
                            "(two decimals at most), not '%s'",
                            value);
    }
    *out = whole * 100 + frac;
    return NULL;
}

/* The member's own key=value words; the rest are worker parameters. */
static const char *member_param(apr_pool_t *p, relay_member_t *m,
                                relay_worker_params_t *params, const char *key,
                                const char *value)
{
    const char *err = hc_param(p, &m->hc, key, value);

    if (err != unknown_hc) {
        return err;
    }
    if (!strcasecmp(key, "loadfactor")) {
        return parse_loadfactor(p, value, &m->lb.lbfactor);
    }
    if (!strcasecmp(key, "lbset")) {
        return parse_number(p, key, value, 0, 99, &m->lb.lbset);
    }
    if (!strcasecmp(key, "route")) {
        m->route = apr_pstrdup(p, value);
        return NULL;
    }
    if (!strcasecmp(key, "redirect")) {
        m->redirect = apr_pstrdup(p, value);
        return NULL;
    }
    if (!strcasecmp(key, "status")) {
        return parse_status(p, value, &m->lb.flags);
    }
    return relay_worker_param_set(p, params, key, value);
}

/*
 * A key of a ProxyPass or ProxySet worker that is not in a balancer. The
 * member keys are accepted there as stock accepts them: status= takes
 * effect (+D and +S answer 503, +E starts in error state, +I never lets
 * the worker's errors stop requests, +C keeps it out), hc* set up its
 * health checks (run by mod_proxy_balancer, as a member's), loadfactor,
 * lbset, route and redirect mean nothing outside a balancer.
 */
const char *relay_worker_member_param(apr_pool_t *p,
                                      relay_worker_params_t *params,
                                      const char *key, const char *value)
{
    relay_member_t m = {0};
    const char *err = hc_param(p, &params->hc, key, value);

    if (err != unknown_hc) {
        return err;
    }
    if (!strcasecmp(key, "status")) {
        m.lb.flags =
            params->status == RELAY_UNSET ? 0 : (unsigned int)params->status;
        err = parse_status(p, value, &m.lb.flags);
        params->status = (int)m.lb.flags;
        return err;
    }
    return member_param(p, &m, params, key, value);
}

/*
 * BalancerMember [balancer://name] url [key=value ...]: inside
 * <Proxy balancer://name> the balancer is the section's.
 */
const char *relay_balancer_cmd_member(cmd_parms *cmd, void *dconf,
                                      const char *args)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);
    relay_worker_params_t params;
    relay_member_t m = {0};
    relay_balancer_t *b;
    const char *burl, *word, *err, *defined_in;

    if (cmd->path && !relay_balancer_is_url(cmd->path)) {
        return "BalancerMember is allowed at server level or in "
               "<Proxy balancer://...>";
    }
    burl = cmd->path ? cmd->path : ap_getword_conf(cmd->pool, &args);
    m.url = ap_getword_conf(cmd->pool, &args);
    if (!*burl || !*m.url) {
        return "BalancerMember needs a member URL (and, outside "
               "<Proxy balancer://...>, the balancer first)";
    }
    if ((err = balancer_get(cmd, burl, &b)) != NULL ||
        (err = relay_balancer_is_url(m.url)
                   ? "a balancer cannot be a member of a balancer"
                   : relay_proxy_check_origin_url(cmd, m.url)) != NULL) {
        return apr_pstrcat(cmd->pool, "BalancerMember: ", err, NULL);
    }
    m.url = relay_scheme_full_url(cmd->pool, m.url);
    m.lb.lbfactor = 100;
    relay_hc_params_unset(&m.hc);
    relay_worker_params_unset(&params);
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        const char *eq = ap_strchr_c(word, '=');
        if (!eq || eq == word) {
            return apr_psprintf(cmd->pool,
                                "BalancerMember: '%s' is not key=value", word);
        }
        err = member_param(cmd->pool, &m, &params,
                           apr_pstrmemdup(cmd->temp_pool, word, eq - word),
                           eq + 1);
        if (err) {
            return apr_pstrcat(cmd->pool, "BalancerMember: ", err, NULL);
        }
    }
    defined_in = apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                              cmd->directive->line_num);
    err = relay_worker_define(cmd->pool, sc, m.url, b->name, &params,
                              defined_in, &m.worker);
    if (err) {
        return apr_pstrcat(cmd->pool, "BalancerMember: ", err, NULL);
    }
    /* A worker this line made keeps stock's member retry by default. */
    if (m.worker->defined_in == defined_in &&
        m.worker->params.retry == RELAY_UNSET) {
        m.worker->params.retry = RELAY_MEMBER_RETRY;
    }
    APR_ARRAY_PUSH(b->members, relay_member_t) = m;
    return NULL;
}

/* `url` followed by `rest`, with one slash where both have one. */
const char *relay_balancer_join(apr_pool_t *p, const char *url,
                                const char *rest)
{
    apr_size_t len = strlen(url);

    if (len && url[len - 1] == '/' && *rest == '/') {
        rest++;
    }
    return apr_pstrcat(p, url, rest, NULL);
}

const apr_array_header_t *
relay_balancer_reverse_rules(request_rec *r, const apr_array_header_t *rules)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    const relay_reverse_rule_t *rule =
        (const relay_reverse_rule_t *)rules->elts;
    apr_array_header_t *out;
    int i, j, any = 0;

    for (i = 0; i < rules->nelts && !any; i++) {
        any = relay_balancer_is_url(rule[i].origin_url);
    }
    if (!any) {
        return rules;
    }
    out = apr_array_make(r->pool, rules->nelts * 2, sizeof(*rule));
    for (i = 0; i < rules->nelts; i++) {
        relay_balancer_t *b;
        if (!relay_balancer_is_url(rule[i].origin_url)) {
            APR_ARRAY_PUSH(out, relay_reverse_rule_t) = rule[i];
            continue;
        }
        b = relay_balancer_find(sc, rule[i].origin_url, r->pool);
        for (j = 0; b && j < b->members->nelts; j++) {
            relay_member_t *m = &APR_ARRAY_IDX(b->members, j, relay_member_t);
            relay_reverse_rule_t mapped;
            mapped.public_path = rule[i].public_path;
            mapped.origin_url = relay_balancer_join(
                r->pool, m->url, rule[i].origin_url + strlen(b->name));
            APR_ARRAY_PUSH(out, relay_reverse_rule_t) = mapped;
        }
    }
    return out;
}

const char *relay_balancer_cmd_inherit(cmd_parms *cmd, void *dconf, int flag)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);

    sc->bal_inherit = flag;
    sc->bal_inherit_set = 1;
    return NULL;
}

const char *relay_balancer_cmd_growth(cmd_parms *cmd, void *dconf,
                                      const char *arg)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);
    const char *err = parse_number(cmd->pool, "BalancerGrowth", arg, 0, 1000,
                                   &sc->bal_growth);

    sc->bal_growth_set = 1;
    return err;
}

const char *relay_balancer_finish(relay_balancer_t *b,
                                  const relay_proxy_server_conf_t *sc,
                                  apr_pool_t *p)
{
    int i;

    if (b->growth == RELAY_UNSET) {
        b->growth = sc->bal_growth;
    }
    for (i = 0; i < b->members->nelts; i++) {
        relay_member_t *m = &APR_ARRAY_IDX(b->members, i, relay_member_t);
        relay_hc_params_t hc = b->hc;
        relay_hc_params_overlay(&hc, &m->hc);
        relay_hc_params_finish(&hc);
        m->hc = hc;
        if (hc.method > RELAY_HC_TCP &&
            (!m->worker->provider || !m->worker->provider->http ||
             m->worker->provider->tls)) {
            return apr_psprintf(
                p,
                "member %s: hcmethod=%s needs an http:// "
                "member; use hcmethod=TCP",
                m->url, relay_hc_method_name((relay_hc_method_t)hc.method));
        }
    }
    return NULL;
}
