/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Which origins a request may reach by name, as stock: ProxyBlock refuses
 * (403) a request whose origin host contains one of its words, or
 * resolves to an address one of its words resolved to at startup ("*":
 * every request); ProxyDomain redirects a forward-proxy request for a
 * host without a domain ("intranet") to the same URL with the domain
 * added ("intranet.example.com").
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "http_protocol.h"

#include "proxy_private.h"

/* One ProxyBlock word, with the addresses its name had at startup. */
typedef struct block_word_t {
    const char *word;      /* lower case; "*" blocks everything */
    apr_sockaddr_t *addrs; /* NULL when it is no name that resolves */
} block_word_t;

const char *relay_block_cmd(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);
    block_word_t *b;

    (void)dconf;
    if (!*arg) {
        return "ProxyBlock needs a word, a host, a domain or *";
    }
    if (!sc->blocks) {
        sc->blocks = apr_array_make(cmd->pool, 4, sizeof(block_word_t));
    }
    b = apr_array_push(sc->blocks);
    b->word = apr_pstrdup(cmd->pool, arg);
    ap_str_tolower((char *)b->word);
    b->addrs = NULL;
    /* As stock: a word that is a host name blocks its addresses too, as
     * they are now (a word that does not resolve blocks by name only). */
    if (strcmp(b->word, "*") != 0 &&
        apr_sockaddr_info_get(&b->addrs, b->word, APR_UNSPEC, 0, 0,
                              cmd->pool) != APR_SUCCESS) {
        b->addrs = NULL;
    }
    return NULL;
}

const char *relay_domain_cmd(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &proxy_module);

    (void)dconf;
    if (arg[0] != '.' || !arg[1]) {
        return apr_psprintf(cmd->pool,
                            "ProxyDomain must be a domain starting "
                            "with a dot, not '%s'",
                            arg);
    }
    sc->domain = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* Whether an address of `host` is one of a blocked word's. */
static int address_blocked(request_rec *r, const apr_array_header_t *blocks,
                           const relay_worker_t *w, const char *host)
{
    /* The worker's addresses when they are resolved once for good. */
    apr_sockaddr_t *addrs =
        w && !w->is_generic && !w->uds_path && w->params.addressttl < 0
            ? w->addr
            : NULL;
    apr_sockaddr_t *a, *b;
    int i;

    if (!addrs && apr_sockaddr_info_get(&addrs, host, APR_UNSPEC, 0, 0,
                                        r->pool) != APR_SUCCESS) {
        return 0;
    }
    for (a = addrs; a; a = a->next) {
        for (i = 0; i < blocks->nelts; i++) {
            for (b = APR_ARRAY_IDX(blocks, i, block_word_t).addrs; b;
                 b = b->next) {
                if (apr_sockaddr_equal(a, b)) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

static int block_check(request_rec *r, relay_proxy_server_conf_t *sc,
                       const char *host, const relay_worker_t *w)
{
    const char *why = NULL;
    int i, any_addrs = 0;

    for (i = 0; i < sc->blocks->nelts && !why; i++) {
        const block_word_t *b = &APR_ARRAY_IDX(sc->blocks, i, block_word_t);
        if (!strcmp(b->word, "*") || ap_strcasestr(host, b->word)) {
            why = b->word;
        }
        any_addrs |= b->addrs != NULL;
    }
    if (!why && any_addrs && address_blocked(r, sc->blocks, w, host)) {
        why = "an address of a blocked host";
    }
    if (!why) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  RELAY_LOGNO(01034) "ProxyBlock: %s is blocked ('%s'): 403",
                  host, why);
    return HTTP_FORBIDDEN;
}

static int domain_redirect(request_rec *r, relay_proxy_server_conf_t *sc,
                           const char *scheme, const char *host,
                           apr_port_t port, const char *target)
{
    const char *location;

    /* A name without a dot: not an address, not localhost. */
    if (!sc->domain || r->proxyreq != PROXYREQ_PROXY ||
        ap_strchr_c(host, '.') || ap_strchr_c(host, ':') ||
        !strcasecmp(host, "localhost")) {
        return DECLINED;
    }
    location = apr_pstrcat(r->pool, scheme, "://", host, sc->domain,
                           port ? apr_psprintf(r->pool, ":%u", port) : "",
                           target, NULL);
    apr_table_setn(r->headers_out, "Location", location);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  RELAY_LOGNO(01035) "ProxyDomain: %s has no domain; "
                                     "redirected to %s",
                  host, location);
    return HTTP_MOVED_PERMANENTLY;
}

int relay_origin_allowed(request_rec *r, const char *scheme, const char *host,
                         apr_size_t host_len, apr_port_t port,
                         const char *target, const relay_worker_t *w)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    const char *name;
    int rc;

    if (!sc->blocks && !sc->domain) {
        return OK;
    }
    name = apr_pstrmemdup(r->pool, host, host_len);
    if (sc->domain &&
        (rc = domain_redirect(r, sc, scheme, name, port, target)) != DECLINED) {
        return rc;
    }
    return sc->blocks ? block_check(r, sc, name, w) : OK;
}
