/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Requests that go through an upstream proxy, as stock: ProxyRemote and
 * ProxyRemoteMatch name the proxy for the URLs of a scheme, a URL prefix,
 * a regular expression or all ("*"); NoProxy names the hosts, domains and
 * networks reached directly all the same. Such a request is sent to the
 * upstream proxy (an http:// proxy, through a worker of its own, so its
 * connections are pooled) with the absolute URL as the request target and
 * the origin's Host; the line's credentials go with it as
 * Proxy-Authorization. Only HTTP-speaking origins (http://, ws://) take
 * the upstream proxy; an https:// URL that a ProxyRemote line matches is
 * refused with 502 (tunnelling it through the proxy with CONNECT is not
 * done).
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_base64.h"

#include "relay_error_note.h"
#include "proxy_private.h"

typedef struct remote_t {
    const char *match;      /* "*", a scheme, or a URL prefix */
    ap_regex_t *regex;      /* ProxyRemoteMatch's, else NULL */
    const char *auth;       /* "Basic ..." for Proxy-Authorization, or NULL */
    relay_worker_t *worker; /* the upstream proxy's connections */
} remote_t;

typedef enum { NOPROXY_DOMAIN, NOPROXY_HOST, NOPROXY_NETWORK } noproxy_kind_t;

typedef struct noproxy_t {
    noproxy_kind_t kind;
    const char *name;    /* ".example.com" or "host.example.com" */
    apr_ipsubnet_t *net; /* NOPROXY_NETWORK */
} noproxy_t;

/* ProxyRemote match remote-server [user:password], and ProxyRemoteMatch
 * (cmd->info set) with a regular expression for `match`. */
const char *relay_remote_cmd(cmd_parms *cmd, void *dconf, const char *match,
                             const char *server, const char *creds)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);
    relay_worker_params_t params;
    remote_t *rm;
    const char *err;

    (void)dconf;
    if (strncasecmp(server, "http://", 7) != 0 || !server[7]) {
        return apr_psprintf(cmd->pool,
                            "%s: the remote proxy must be an http:// URL "
                            "(http://host:port), not '%s'",
                            cmd->cmd->name, server);
    }
    if (!sc->remotes) {
        sc->remotes = apr_array_make(cmd->pool, 2, sizeof(remote_t));
    }
    rm = apr_array_push(sc->remotes);
    memset(rm, 0, sizeof(*rm));
    rm->match = apr_pstrdup(cmd->pool, match);
    if (cmd->info) {
        rm->regex = ap_pregcomp(cmd->pool, match, AP_REG_EXTENDED);
        if (!rm->regex) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' is not a regular "
                                "expression",
                                cmd->cmd->name, match);
        }
    }
    if (creds) {
        char *b64 =
            apr_palloc(cmd->pool, apr_base64_encode_len((int)strlen(creds)));
        apr_base64_encode(b64, creds, (int)strlen(creds));
        rm->auth = apr_pstrcat(cmd->pool, "Basic ", b64, NULL);
    }
    relay_worker_params_unset(&params);
    err = relay_worker_define(
        cmd->pool, sc, relay_scheme_full_url(cmd->pool, server), NULL, &params,
        apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                     cmd->directive->line_num),
        &rm->worker);
    return err ? apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err) : NULL;
}

/* NoProxy host|.domain|address|network ... (one word per call). */
const char *relay_noproxy_cmd(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);
    noproxy_t *np;
    char *addr = apr_pstrdup(cmd->temp_pool, arg), *slash;

    (void)dconf;
    if (!sc->noproxy) {
        sc->noproxy = apr_array_make(cmd->pool, 4, sizeof(noproxy_t));
    }
    np = apr_array_push(sc->noproxy);
    memset(np, 0, sizeof(*np));
    slash = strchr(addr, '/');
    if (slash) {
        *slash++ = '\0';
    }
    if (apr_isdigit(*addr) || ap_strchr_c(addr, ':')) {
        np->kind = NOPROXY_NETWORK;
        if (apr_ipsubnet_create(&np->net, addr, slash, cmd->pool) !=
            APR_SUCCESS) {
            return apr_psprintf(cmd->pool,
                                "NoProxy: '%s' is not an address or a "
                                "network (a.b.c.d/bits)",
                                arg);
        }
        return NULL;
    }
    np->kind = *arg == '.' ? NOPROXY_DOMAIN : NOPROXY_HOST;
    np->name = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* Whether `host` matches NoProxy `np` (names without a trailing dot). */
static int noproxy_matches(request_rec *r, const noproxy_t *np,
                           const char *host, apr_size_t len,
                           apr_sockaddr_t **addrs)
{
    apr_size_t n;
    apr_sockaddr_t *a;

    switch (np->kind) {
    case NOPROXY_DOMAIN:
        n = strlen(np->name);
        if (np->name[n - 1] == '.') {
            n--;
        }
        return (len >= n && !strncasecmp(host + len - n, np->name, n)) ||
               (len == n - 1 && !strncasecmp(host, np->name + 1, len));
    case NOPROXY_HOST:
        n = strlen(np->name);
        if (np->name[n - 1] == '.') {
            n--;
        }
        return len == n && !strncasecmp(host, np->name, n);
    default:
        if (!*addrs &&
            apr_sockaddr_info_get(addrs, apr_pstrmemdup(r->pool, host, len),
                                  APR_UNSPEC, 0, 0, r->pool) != APR_SUCCESS) {
            return 0;
        }
        for (a = *addrs; a; a = a->next) {
            if (apr_ipsubnet_test(np->net, a)) {
                return 1;
            }
        }
        return 0;
    }
}

static int direct(request_rec *r, const relay_proxy_server_conf_t *sc,
                  const char *host, apr_size_t len)
{
    apr_sockaddr_t *addrs = NULL;
    int i;

    if (len && host[len - 1] == '.') {
        len--;
    }
    for (i = 0; sc->noproxy && i < sc->noproxy->nelts; i++) {
        if (noproxy_matches(r, &APR_ARRAY_IDX(sc->noproxy, i, noproxy_t), host,
                            len, &addrs)) {
            return 1;
        }
    }
    return 0;
}

static int remote_matches(const remote_t *rm, const char *scheme,
                          const char *url)
{
    if (rm->regex) {
        return !ap_regexec(rm->regex, url, 0, NULL, 0);
    }
    if (!strcmp(rm->match, "*")) {
        return 1;
    }
    if (!ap_strchr_c(rm->match, ':')) {
        return !strcasecmp(rm->match, scheme);
    }
    return !strncasecmp(url, rm->match, strlen(rm->match));
}

int relay_remote_for(request_rec *r, const relay_scheme_t *scheme,
                     const char *scheme_name, const char *url, const char *host,
                     apr_size_t host_len, relay_worker_t **worker,
                     const char **auth)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    int i;

    if (!sc->remotes || !scheme->http) {
        return DECLINED;
    }
    for (i = 0; i < sc->remotes->nelts; i++) {
        const remote_t *rm = &APR_ARRAY_IDX(sc->remotes, i, remote_t);
        if (!remote_matches(rm, scheme_name, url)) {
            continue;
        }
        if (direct(r, sc, host, host_len)) {
            return DECLINED;
        }
        if (scheme->tls) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(01036) "ProxyRemote %s matches %s, but "
                                             "Relay does not tunnel %s:// "
                                             "through an upstream proxy: 502",
                          rm->match, url, scheme_name);
            relay_error_note_set(r, RELAY_PROXY_ERROR_CONFIGURATION);
            return HTTP_BAD_GATEWAY;
        }
        *worker = rm->worker;
        *auth = rm->auth;
        return OK;
    }
    return DECLINED;
}
