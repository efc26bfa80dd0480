/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_proxy's directives: their table and handlers, and the <Proxy> and
 * <ProxyMatch> sections (the records they fill are made and merged in
 * proxy_records.c). Defaults are the stock module's documented ones;
 * every bad argument is refused here, at startup, and httpd reports it
 * with the file and line.
 */
#include <stddef.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_fnmatch.h"
#include "http_core.h"
#include "ap_provider.h"

#include "relay/relay_headers.h"
#include "relay_keyword.h"
#include "proxy_private.h"

static relay_proxy_server_conf_t *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &proxy_module);
}

static const char *where(cmd_parms *cmd)
{
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                        cmd->directive->line_num);
}

/* The name of the section enclosing this directive ("<Location" ...). */
static const char *enclosing_section(cmd_parms *cmd)
{
    const ap_directive_t *parent = cmd->directive->parent;

    return parent ? parent->directive : NULL;
}

static int in_proxy_section(cmd_parms *cmd)
{
    const char *sec = enclosing_section(cmd);

    return sec &&
           (!strcasecmp(sec, "<Proxy") || !strcasecmp(sec, "<ProxyMatch"));
}

/*
 * Refuses URLs Relay cannot serve, naming the module to load when only
 * that is missing (stock fails at request time instead).
 */
const char *relay_proxy_check_origin_url(cmd_parms *cmd, const char *url)
{
    return relay_scheme_check_url(cmd->pool, url);
}

/* Parses the words after the URL of ProxyPass/ProxyPassMatch. */
static const char *parse_pass_options(cmd_parms *cmd, const char *args,
                                      relay_pass_rule_t *rule,
                                      relay_worker_params_t *params)
{
    const char *word;

    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        const char *eq = ap_strchr_c(word, '=');
        const char *err;

        if (!strcasecmp(word, "nocanon")) {
            rule->nocanon = 1;
        }
        else if (!strcasecmp(word, "noquery")) {
            /* Stock leaves the query out of FastCGI's SCRIPT_FILENAME
             * only: an HTTP origin gets the query either way. */
        }
        else if (!strcasecmp(word, "interpolate")) {
            rule->interpolate = 1;
        }
        else if (!strncasecmp(word, "mapping=", 8)) {
            if (!strcasecmp(word + 8, "servlet")) {
                rule->mapping = RELAY_MAPPING_SERVLET;
            }
            else if (!strcasecmp(word + 8, "encoded")) {
                rule->mapping = RELAY_MAPPING_ENCODED;
            }
            else {
                return apr_psprintf(cmd->pool,
                                    "mapping must be servlet or encoded, "
                                    "not '%s'",
                                    word + 8);
            }
        }
        else if (!eq || eq == word) {
            return apr_psprintf(cmd->pool, "'%s' is not key=value", word);
        }
        else {
            err = relay_worker_member_param(
                cmd->pool, params,
                apr_pstrmemdup(cmd->temp_pool, word, eq - word), eq + 1);
            if (err) {
                return err;
            }
        }
    }
    return NULL;
}

/*
 * ProxyPass [path] !|url [key=value ...] [nocanon] [noquery] and
 * ProxyPassMatch [regex] !|url [...]. Inside <Location> (or
 * <LocationMatch>) the path is the section's and is left out.
 */
static const char *cmd_pass(cmd_parms *cmd, void *dconf, const char *args)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);
    relay_proxy_dir_conf_t *dc = dconf;
    int is_match = cmd->info != NULL;
    relay_worker_params_t params;
    relay_pass_rule_t rule = {0};
    const char *sec = enclosing_section(cmd);
    const char *err;

    /* A path is matched against the URL, never against directories. */
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIRECTORY | NOT_IN_FILES))) {
        return err;
    }
    if (in_proxy_section(cmd) || (cmd->path && !sec)) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " is not allowed here",
                           NULL);
    }
    if (cmd->path) {
        if (!strcasecmp(sec, "<LocationMatch") ||
            (cmd->path[0] == '~' && !cmd->path[1])) {
            is_match = 1;
        }
        rule.path = cmd->path;
    }
    else {
        rule.path = ap_getword_conf(cmd->pool, &args);
    }
    rule.url = ap_getword_conf(cmd->pool, &args);
    if (!*rule.path || !*rule.url) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           " needs a path and a URL (or !)", NULL);
    }
    if (is_match) {
        rule.regex = ap_pregcomp(cmd->pool, rule.path, AP_REG_EXTENDED);
        if (!rule.regex) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' is not a valid regular "
                                "expression",
                                cmd->cmd->name, rule.path);
        }
    }
    rule.defined_in = where(cmd);
    relay_worker_params_unset(&params);
    if (relay_balancer_is_url(rule.url)) {
        /* A balancer's parameters are the balancer's; its members are
         * workers of their own. */
        err = relay_balancer_set(cmd, rule.url, args);
        if (err) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
        }
    }
    else if ((err = parse_pass_options(cmd, args, &rule, &params)) != NULL) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
    }
    if (!strcmp(rule.url, "!")) {
        rule.url = NULL;
    }
    else {
        const char *worker_url;
        if ((err = relay_proxy_check_origin_url(cmd, rule.url)) != NULL) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
        }
        rule.url = worker_url = relay_scheme_full_url(cmd->pool, rule.url);
        if (rule.regex && ap_strchr_c(rule.url, '$')) {
            /* The worker covers the part before the first substitution. */
            worker_url = apr_pstrmemdup(cmd->pool, rule.url,
                                        ap_strchr_c(rule.url, '$') - rule.url);
            if (!ap_strstr_c(worker_url, "://") ||
                !ap_strchr_c(ap_strstr_c(worker_url, "://") + 3, '/')) {
                worker_url = NULL; /* host substituted: generic worker */
            }
        }
        if (worker_url && !relay_balancer_is_url(worker_url)) {
            err = relay_worker_define(cmd->pool, sc, worker_url, NULL, &params,
                                      rule.defined_in, &rule.worker);
            if (err) {
                return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", err, NULL);
            }
        }
    }
    APR_ARRAY_PUSH(cmd->path ? dc->rules : sc->rules, relay_pass_rule_t) = rule;
    return NULL;
}

/* ProxyPassReverse [path] url [interpolate] */
static const char *cmd_pass_reverse(cmd_parms *cmd, void *dconf,
                                    const char *args)
{
    relay_proxy_dir_conf_t *dc = dconf;
    relay_reverse_rule_t rule;
    const char *first = ap_getword_conf(cmd->pool, &args);
    const char *second = ap_getword_conf(cmd->pool, &args);
    const char *third = ap_getword_conf(cmd->pool, &args);

    if (cmd->path) {
        if (*second && strcasecmp(second, "interpolate")) {
            return "ProxyPassReverse inside a section takes only the URL";
        }
        rule.public_path = cmd->path;
        rule.origin_url = first;
        rule.interpolate = *second != '\0';
    }
    else {
        if (!*second || (*third && strcasecmp(third, "interpolate"))) {
            return "ProxyPassReverse needs a path and a URL";
        }
        rule.public_path = first;
        rule.origin_url = second;
        rule.interpolate = *third != '\0';
    }
    if (!*rule.origin_url) {
        return "ProxyPassReverse needs a URL";
    }
    dc->interpolated |= rule.interpolate;
    APR_ARRAY_PUSH(dc->reverse, relay_reverse_rule_t) = rule;
    return NULL;
}

static const char *cmd_cookie_rule(cmd_parms *cmd, void *dconf,
                                   const char *origin, const char *public,
                                   const char *flag)
{
    relay_proxy_dir_conf_t *dc = dconf;
    relay_cookie_rule_t rule;

    if (flag && strcasecmp(flag, "interpolate")) {
        return apr_psprintf(cmd->pool,
                            "%s: the third argument can only be "
                            "interpolate, not '%s'",
                            cmd->cmd->name, flag);
    }
    rule.origin = origin;
    rule.public = public;
    rule.interpolate = flag != NULL;
    dc->interpolated |= rule.interpolate;
    APR_ARRAY_PUSH(cmd->info ? dc->cookie_domains : dc->cookie_paths,
                   relay_cookie_rule_t) = rule;
    return NULL;
}

static const char *cmd_interpolate_env(cmd_parms *cmd, void *dconf, int flag)
{
    (void)cmd;
    ((relay_proxy_dir_conf_t *)dconf)->interpolate_env = flag;
    return NULL;
}

static const char *cmd_requests(cmd_parms *cmd, void *dconf, int flag)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);

    sc->requests = flag;
    sc->requests_set = 1;
    return NULL;
}

static const char *cmd_preserve_host(cmd_parms *cmd, void *dconf, int flag)
{
    relay_proxy_dir_conf_t *dc = dconf;

    dc->preserve_host = flag;
    dc->preserve_host_set = 1;
    return NULL;
}

static const char *cmd_add_headers(cmd_parms *cmd, void *dconf, int flag)
{
    relay_proxy_dir_conf_t *dc = dconf;

    dc->add_headers = flag;
    dc->add_headers_set = 1;
    return NULL;
}

static const char *cmd_proxy100(cmd_parms *cmd, void *dconf, int flag)
{
    relay_proxy_dir_conf_t *dc = dconf;

    dc->proxy100 = flag;
    dc->proxy100_set = 1;
    return NULL;
}

static const char *cmd_pass_inherit(cmd_parms *cmd, void *dconf, int flag)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);

    sc->pass_inherit = flag;
    sc->pass_inherit_set = 1;
    return NULL;
}

/* ProxyErrorOverride On|Off [code ...] */
static const char *cmd_error_override(cmd_parms *cmd, void *dconf,
                                      const char *args)
{
    relay_proxy_dir_conf_t *dc = dconf;
    const char *word = ap_getword_conf(cmd->temp_pool, &args);

    if (!strcasecmp(word, "on")) {
        dc->error_override = 1;
    }
    else if (!strcasecmp(word, "off")) {
        dc->error_override = 0;
    }
    else {
        return apr_psprintf(cmd->pool,
                            "ProxyErrorOverride must be On or "
                            "Off, not '%s'",
                            word);
    }
    dc->error_override_set = 1;
    dc->error_override_codes = apr_array_make(cmd->pool, 2, sizeof(int));
    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        char *end;
        long code = strtol(word, &end, 10);
        if (!dc->error_override || *end || code < 400 || code > 599) {
            return apr_psprintf(cmd->pool,
                                "ProxyErrorOverride: '%s' is not "
                                "a status code from 400 to 599 "
                                "after On",
                                word);
        }
        APR_ARRAY_PUSH(dc->error_override_codes, int) = (int)code;
    }
    return NULL;
}

/* One accepted word of a keyword directive and the value it stands for. */
static const relay_keyword_t via_words[] = {{"Off", RELAY_VIA_OFF},
                                            {"On", RELAY_VIA_ON},
                                            {"Full", RELAY_VIA_FULL},
                                            {"Block", RELAY_VIA_BLOCK},
                                            {NULL, 0}};
/* ProxyStatus: how much of the workers' state status pages may show
 * (Debian's status.conf sets it). */
static const relay_keyword_t status_words[] = {
    {"Off", 0}, {"On", 1}, {"Full", 2}, {NULL, 0}};
static const relay_keyword_t bad_header_words[] = {
    {"IsError", RELAY_BADHEADER_ISERROR},
    {"Ignore", RELAY_BADHEADER_IGNORE},
    {"StartBody", RELAY_BADHEADER_STARTBODY},
    {NULL, 0}};

/* A keyword directive: its words and where its value and "set" flag live
 * in the server record. */
typedef struct keyword_directive_t {
    const relay_keyword_t *words;
    apr_size_t value_offset;
    apr_size_t set_offset;
} keyword_directive_t;

#define KEYWORD_DIRECTIVE(words, field)                                        \
    {                                                                          \
        words, offsetof(relay_proxy_server_conf_t, field),                     \
            offsetof(relay_proxy_server_conf_t, field##_set)                   \
    }

static const keyword_directive_t via_directive =
    KEYWORD_DIRECTIVE(via_words, via);
static const keyword_directive_t status_directive =
    KEYWORD_DIRECTIVE(status_words, status);
static const keyword_directive_t bad_header_directive =
    KEYWORD_DIRECTIVE(bad_header_words, bad_header);

/* Takes one of the directive's words and marks the value set. */
static const char *cmd_keyword(cmd_parms *cmd, void *dconf, const char *arg)
{
    const keyword_directive_t *kd = cmd->info;
    char *sc = (char *)server_conf(cmd);
    const char *err = relay_keyword_parse(cmd, arg, kd->words,
                                          (int *)(sc + kd->value_offset));

    if (!err) {
        *(int *)(sc + kd->set_offset) = 1;
    }
    return err;
}

static const char *cmd_timeout(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);
    apr_interval_time_t t;

    if (!apr_isdigit(*arg) ||
        ap_timeout_parameter_parse(arg, &t, "s") != APR_SUCCESS || t <= 0) {
        return apr_psprintf(cmd->pool,
                            "ProxyTimeout must be a positive "
                            "number of seconds, not '%s'",
                            arg);
    }
    sc->timeout = t;
    return NULL;
}

static const char *cmd_io_buffer(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);
    char *end;
    long n = strtol(arg, &end, 10);

    if (*end || n < 512 || n > (1 << 20)) {
        return apr_psprintf(cmd->pool,
                            "ProxyIOBufferSize must be a number "
                            "of bytes from 512 to 1048576, not "
                            "'%s'",
                            arg);
    }
    sc->io_buffer_size = (apr_size_t)n;
    sc->io_buffer_size_set = 1;
    return NULL;
}

static const char *cmd_receive_buffer(cmd_parms *cmd, void *dconf,
                                      const char *arg)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);

    (void)dconf;
    return relay_parse_receive_buffer(cmd->pool, cmd->cmd->name, arg,
                                      &sc->recv_buffer_size);
}

static const char *cmd_source_address(cmd_parms *cmd, void *dconf,
                                      const char *arg)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);

    if (apr_sockaddr_info_get(&sc->source_addr, arg, APR_UNSPEC, 0, 0,
                              cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool,
                            "ProxySourceAddress: '%s' is not an address "
                            "of this host",
                            arg);
    }
    return NULL;
}

static const char *cmd_max_forwards(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);
    char *end;
    long n = strtol(arg, &end, 10);

    if (*end || !*arg || n < -1 || n > 65535) {
        return apr_psprintf(cmd->pool,
                            "ProxyMaxForwards must be a number "
                            "from -1 to 65535, not '%s'",
                            arg);
    }
    sc->max_forwards = (int)n;
    sc->max_forwards_set = 1;
    return NULL;
}

/* ProxySet [url] key=value ...; inside <Proxy url> the URL is left out. */
static const char *cmd_set(cmd_parms *cmd, void *dconf, const char *args)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);
    relay_proxyset_t set;
    relay_pass_rule_t ignored = {0};
    const char *err;

    if (in_proxy_section(cmd)) {
        set.url = cmd->path;
    }
    else if (cmd->path) {
        return "ProxySet is allowed only at server level or in <Proxy>";
    }
    else {
        set.url = ap_getword_conf(cmd->pool, &args);
    }
    if (!set.url || !*set.url || !ap_strstr_c(set.url, "://") ||
        ap_strchr_c(set.url, '*')) {
        return "ProxySet needs the URL of an origin";
    }
    if (relay_balancer_is_url(set.url)) {
        err = relay_balancer_set(cmd, set.url, args);
        return err ? apr_pstrcat(cmd->pool, "ProxySet: ", err, NULL) : NULL;
    }
    relay_worker_params_unset(&set.params);
    if ((err = parse_pass_options(cmd, args, &ignored, &set.params)) != NULL) {
        return apr_pstrcat(cmd->pool, "ProxySet: ", err, NULL);
    }
    set.defined_in = where(cmd);
    APR_ARRAY_PUSH(sc->proxysets, relay_proxyset_t) = set;
    return NULL;
}

/*
 * <Proxy url-pattern> and <ProxyMatch regex>: per-directory sections
 * matched against origin URLs, for Require, ProxySet and friends.
 */
static const char *cmd_section(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_proxy_server_conf_t *sc = server_conf(cmd);
    const char *endp = ap_strrchr_c(arg, '>');
    char *old_path = cmd->path;
    int old_override = cmd->override;
    int is_match = cmd->info != NULL;
    ap_conf_vector_t *dir_conf = ap_create_per_dir_config(cmd->pool);
    relay_proxy_section_t section = {0};
    relay_proxy_dir_conf_t *pdc;
    const char *err;
    char *pattern;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) != NULL) {
        return err;
    }
    if (!endp) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           "> directive missing closing '>'", NULL);
    }
    arg = apr_pstrmemdup(cmd->temp_pool, arg, endp - arg);
    pattern = ap_getword_conf(cmd->pool, &arg);
    if (!*pattern) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, "> needs a URL pattern",
                           NULL);
    }
    if (!is_match && !strcmp(pattern, "~")) {
        is_match = 1;
        pattern = ap_getword_conf(cmd->pool, &arg);
    }
    if (is_match) {
        section.regex = ap_pregcomp(cmd->pool, pattern, AP_REG_EXTENDED);
        if (!section.regex) {
            return apr_psprintf(cmd->pool,
                                "%s> '%s' is not a valid regular "
                                "expression",
                                cmd->cmd->name, pattern);
        }
    }
    section.pattern = pattern;
    section.is_wildcard = !is_match && apr_fnmatch_test(pattern);
    section.dir_conf = dir_conf;

    cmd->path = pattern;
    cmd->override = OR_ALL | ACCESS_CONF | PROXY_CONF;
    err = ap_walk_config(cmd->directive->first_child, cmd, dir_conf);
    cmd->path = old_path;
    cmd->override = old_override;
    if (err) {
        return err;
    }
    pdc = ap_set_config_vectors(cmd->server, dir_conf, pattern, &proxy_module,
                                cmd->pool);
    pdc->section_url = pattern;
    APR_ARRAY_PUSH(sc->sections, relay_proxy_section_t) = section;
    return NULL;
}

const command_rec relay_proxy_cmds[] = {
    AP_INIT_RAW_ARGS("<Proxy", cmd_section, NULL, RSRC_CONF,
                     "Starts a section of directives that apply to the "
                     "origin URLs matching a prefix or wildcard."),
    AP_INIT_RAW_ARGS("<ProxyMatch", cmd_section, (void *)1, RSRC_CONF,
                     "Starts a section of directives that apply to the "
                     "origin URLs matching a regular expression."),
    AP_INIT_FLAG("ProxyRequests", cmd_requests, NULL, RSRC_CONF,
                 "Turns forward proxying of absolute-URI requests on or off."),
    AP_INIT_RAW_ARGS("ProxyPass", cmd_pass, NULL, RSRC_CONF | ACCESS_CONF,
                     "Maps a local path onto an origin URL (or ! to exclude "
                     "it), with optional key=value worker parameters."),
    AP_INIT_RAW_ARGS("ProxyPassMatch", cmd_pass, (void *)1,
                     RSRC_CONF | ACCESS_CONF,
                     "Maps local paths matching a regular expression onto an "
                     "origin URL, with $n substitution."),
    AP_INIT_RAW_ARGS("ProxyPassReverse", cmd_pass_reverse, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "Rewrites origin URLs in Location, Content-Location and "
                     "URI response headers back to a local path."),
    AP_INIT_FLAG("ProxyPassInterpolateEnv", cmd_interpolate_env, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "Replaces ${var} by the request's environment in the "
                 "ProxyPass* lines marked interpolate."),
    AP_INIT_TAKE23("ProxyPassReverseCookiePath", cmd_cookie_rule, NULL,
                   RSRC_CONF | ACCESS_CONF,
                   "Rewrites the Path attribute of the origin's cookies: "
                   "origin path, then public path."),
    AP_INIT_TAKE23("ProxyPassReverseCookieDomain", cmd_cookie_rule, (void *)1,
                   RSRC_CONF | ACCESS_CONF,
                   "Rewrites the Domain attribute of the origin's cookies: "
                   "origin domain, then public domain."),
    AP_INIT_FLAG("ProxyPreserveHost", cmd_preserve_host, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "Sends the client's Host header to the origin when On."),
    AP_INIT_FLAG("ProxyAddHeaders", cmd_add_headers, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "Adds X-Forwarded-For, X-Forwarded-Host and "
                 "X-Forwarded-Server to proxied requests when On."),
    AP_INIT_FLAG("Proxy100Continue", cmd_proxy100, NULL,
                 RSRC_CONF | ACCESS_CONF,
                 "Forwards Expect: 100-continue to the origin when On."),
    AP_INIT_FLAG("ProxyPassInherit", cmd_pass_inherit, NULL, RSRC_CONF,
                 "Lets virtual hosts inherit the main server's ProxyPass "
                 "rules when On."),
    AP_INIT_RAW_ARGS("ProxyErrorOverride", cmd_error_override, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "Replaces origin error bodies with local ErrorDocuments "
                     "when On, for all codes or the ones listed."),
    AP_INIT_TAKE1("ProxyVia", cmd_keyword, (void *)&via_directive, RSRC_CONF,
                  "Controls the Via header: Off, On, Full or Block."),
    AP_INIT_TAKE1("ProxyStatus", cmd_keyword, (void *)&status_directive,
                  RSRC_CONF,
                  "Sets how much worker state status pages show: Off, On or "
                  "Full."),
    AP_INIT_TAKE12("ProxyStatusHeader", relay_status_header_cmd, NULL,
                   RSRC_CONF | ACCESS_CONF,
                   "Adds Proxy-Status (RFC 9209) to the errors the gateway "
                   "generates: Off, On or Details, then an optional proxy "
                   "name."),
    AP_INIT_TAKE1("ProxyBadHeader", cmd_keyword, (void *)&bad_header_directive,
                  RSRC_CONF,
                  "Handles malformed origin header lines: IsError, Ignore or "
                  "StartBody."),
    AP_INIT_TAKE1("ProxyTimeout", cmd_timeout, NULL, RSRC_CONF,
                  "Sets the origin I/O timeout in seconds."),
    AP_INIT_TAKE23("ProxyRemote", relay_remote_cmd, NULL, RSRC_CONF,
                   "Sends requests matching a scheme, a URL prefix or * "
                   "through an upstream http:// proxy, with optional "
                   "user:password."),
    AP_INIT_TAKE23("ProxyRemoteMatch", relay_remote_cmd, (void *)1, RSRC_CONF,
                   "Sends requests whose URL matches a regular expression "
                   "through an upstream http:// proxy."),
    AP_INIT_ITERATE("NoProxy", relay_noproxy_cmd, NULL, RSRC_CONF,
                    "Hosts, .domains, addresses and networks reached "
                    "directly, never through ProxyRemote."),
    AP_INIT_ITERATE("ProxyBlock", relay_block_cmd, NULL, RSRC_CONF,
                    "Refuses requests to hosts containing these words, or "
                    "at these hosts' addresses (* refuses all)."),
    AP_INIT_TAKE1("ProxyDomain", relay_domain_cmd, NULL, RSRC_CONF,
                  "Redirects forward-proxy requests for hosts without a "
                  "domain to the host in this domain (.example.com)."),
    AP_INIT_TAKE1("ProxyReceiveBufferSize", cmd_receive_buffer, NULL, RSRC_CONF,
                  "Sets the TCP receive buffer of origin connections in "
                  "bytes (0: the system's size)."),
    AP_INIT_TAKE1("ProxyIOBufferSize", cmd_io_buffer, NULL, RSRC_CONF,
                  "Sets the size of the buffer for origin I/O in bytes."),
    AP_INIT_TAKE1("ProxySourceAddress", cmd_source_address, NULL, RSRC_CONF,
                  "Sets the local address of connections to origins."),
    AP_INIT_TAKE1("ProxyMaxForwards", cmd_max_forwards, NULL, RSRC_CONF,
                  "Sets the Max-Forwards value added to requests (-1: none)."),
    AP_INIT_RAW_ARGS("ProxySet", cmd_set, NULL, RSRC_CONF | ACCESS_CONF,
                     "Sets worker parameters for an origin URL."),
    AP_INIT_RAW_ARGS("BalancerMember", relay_balancer_cmd_member, NULL,
                     RSRC_CONF | ACCESS_CONF,
                     "Adds a member URL, with its parameters, to a "
                     "balancer://."),
    AP_INIT_FLAG("BalancerInherit", relay_balancer_cmd_inherit, NULL, RSRC_CONF,
                 "Lets virtual hosts inherit the main server's balancers "
                 "when On."),
    AP_INIT_TAKE1("BalancerGrowth", relay_balancer_cmd_growth, NULL, RSRC_CONF,
                  "Sets how many spare shared slots each balancer gets."),
    {NULL}};
