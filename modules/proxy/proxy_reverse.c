/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Response-side services for scheme handlers: ProxyPassReverse and its
 * cookie forms applied to a response's headers, and the Via value this
 * gateway adds. The rewriting itself is the core's (relay_reverse.c);
 * this file supplies the front end's base URL and walks the headers.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"

#include "relay/relay_headers.h"
#include "relay/relay_reverse.h"
#include "proxy_private.h"

static const char *const url_headers[] = {"Location", "Content-Location", "URI",
                                          NULL};

/* The default port of a URL's scheme, from the module serving it (-1
 * when none does or it has none). */
static long scheme_port(const char *scheme, apr_size_t len)
{
    char name[32];
    apr_port_t port;

    if (len >= sizeof(name)) {
        return -1;
    }
    memcpy(name, scheme, len);
    name[len] = '\0';
    ap_str_tolower(name);
    port = relay_scheme_default_port(name);
    return port ? port : -1;
}

void relay_proxy_map_response_headers(relay_proxy_req_t *pr,
                                      apr_table_t *headers)
{
    request_rec *r = pr->r;
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_array_header_t *reverse =
        relay_balancer_reverse_rules(r, pr->reverse);
    apr_table_entry_t *e = (apr_table_entry_t *)arr->elts;
    const char *front = NULL;
    int i, j;

    AP_DEBUG_ASSERT(pr->magic == RELAY_REQ_MAGIC);
    if (reverse->nelts) {
        front = ap_construct_url(r->pool, "", r);
    }
    for (i = 0; i < arr->nelts; i++) {
        if (!e[i].key || !e[i].val) {
            continue;
        }
        if (relay_header_name_is(e[i].key, "Set-Cookie")) {
            if (pr->cookie_paths->nelts || pr->cookie_domains->nelts) {
                e[i].val = (char *)relay_reverse_map_cookie(
                    r->pool, e[i].val,
                    (const relay_cookie_rule_t *)pr->cookie_paths->elts,
                    pr->cookie_paths->nelts,
                    (const relay_cookie_rule_t *)pr->cookie_domains->elts,
                    pr->cookie_domains->nelts);
            }
            continue;
        }
        if (!reverse->nelts) {
            continue;
        }
        for (j = 0; url_headers[j]; j++) {
            if (relay_header_name_is(e[i].key, url_headers[j])) {
                e[i].val = (char *)relay_reverse_map_url(
                    r->pool, e[i].val,
                    (const relay_reverse_rule_t *)reverse->elts, reverse->nelts,
                    front, scheme_port);
                break;
            }
        }
    }
}

/* "1.1 host" (ProxyVia On) or "1.1 host (Relay/x.y)" (Full). */
const char *relay_proxy_via_value(relay_proxy_req_t *pr, int http_minor)
{
    request_rec *r = pr->r;
    const char *host = ap_get_server_name(r);
    apr_port_t port = ap_get_server_port(r);
    const char *hostport;

    /* Via names this gateway (RFC 9110 §7.6.3). Under UseCanonicalName Off
     * the name above is the client's Host, so the virtual host's own name
     * is used instead, as the stock module does. */
    if (host == r->hostname) {
        host = r->server->server_hostname;
    }
    hostport = ap_is_default_port(port, r)
                   ? host
                   : apr_psprintf(r->pool, "%s:%u", host, (unsigned)port);
    if (pr->via == RELAY_VIA_FULL) {
        return apr_psprintf(r->pool, "1.%d %s (%s)", http_minor, hostport,
                            ap_get_server_banner());
    }
    return apr_psprintf(r->pool, "1.%d %s", http_minor, hostport);
}
