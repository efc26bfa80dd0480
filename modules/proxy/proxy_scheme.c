/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * URL schemes as mod_proxy sees them: the provider a scheme module
 * registered (include/relay_proxy.h) answers every question about one,
 * and a URL may start with "unix:/path|", the socket that carries it.
 * The only scheme names written here are those of the error messages that
 * say which module to load when none serves a scheme.
 */
#include "apr_strings.h"
#include "ap_provider.h"
#include "apr_lib.h"

#include "proxy_private.h"

/* The module to load for each scheme a stock configuration may use. */
static const struct {
    const char *scheme;
    const char *module;
} modules_for[] = {
    {"http", "mod_proxy_http"},         {"https", "mod_proxy_http"},
    {"ws", "mod_proxy_http"},           {"wss", "mod_proxy_http"},
    {"fcgi", "mod_proxy_fcgi"},         {"ajp", "mod_proxy_ajp"},
    {"balancer", "mod_proxy_balancer"},
};

const relay_scheme_t *relay_scheme_find(const char *name)
{
    return ap_lookup_provider(RELAY_SCHEME_GROUP, name, RELAY_SCHEME_VERSION);
}

/* The registered schemes, listed once the modules are loaded, so that a
 * request finds its scheme without a lookup in the provider registry. */
#define SCHEMES_MAX 32
static struct {
    const char *name; /* as registered */
    apr_size_t len;
    const relay_scheme_t *scheme;
} schemes[SCHEMES_MAX];
static int schemes_count = -1; /* not listed: ask the registry */

void relay_scheme_index(apr_pool_t *pconf)
{
    apr_array_header_t *names =
        ap_list_provider_names(pconf, RELAY_SCHEME_GROUP, RELAY_SCHEME_VERSION);
    int i, n = 0;

    schemes_count = -1;
    if (!names || names->nelts > SCHEMES_MAX) {
        return;
    }
    for (i = 0; i < names->nelts; i++) {
        const char *name =
            APR_ARRAY_IDX(names, i, ap_list_provider_names_t).provider_name;
        schemes[n].name = name;
        schemes[n].len = strlen(name);
        schemes[n].scheme = relay_scheme_find(name);
        if (schemes[n].scheme) {
            n++;
        }
    }
    schemes_count = n;
}

const relay_scheme_t *relay_scheme_find_n(apr_pool_t *p, const char *name,
                                          apr_size_t len, const char **lower)
{
    char *copy;
    int i;

    for (i = 0; i < schemes_count; i++) {
        apr_size_t k;
        if (schemes[i].len != len) {
            continue;
        }
        for (k = 0; k < len && apr_tolower(name[k]) == schemes[i].name[k];
             k++) {
        }
        if (k == len) {
            *lower = schemes[i].name;
            return schemes[i].scheme;
        }
    }
    copy = apr_pstrmemdup(p, name, len);
    ap_str_tolower(copy);
    *lower = copy;
    return schemes_count < 0 ? relay_scheme_find(copy) : NULL;
}

/* The lower-case scheme of an absolute URL ("scheme://..."), or NULL. */
static char *url_scheme(apr_pool_t *p, const char *url)
{
    const char *c = url;
    char *scheme;

    while (apr_isalnum(*c) || *c == '+' || *c == '-' || *c == '.') {
        c++;
    }
    if (c == url || strncmp(c, "://", 3)) {
        return NULL;
    }
    scheme = apr_pstrmemdup(p, url, c - url);
    ap_str_tolower(scheme);
    return scheme;
}

const char *relay_scheme_split_uds(apr_pool_t *p, const char *url,
                                   const char **uds_path)
{
    const char *bar, *colon;

    *uds_path = NULL;
    if (strncasecmp(url, "unix:", 5)) {
        return url;
    }
    bar = ap_strchr_c(url + 5, '|');
    if (!bar || url[5] != '/' || bar - (url + 5) >= RELAY_UDS_PATH_MAX) {
        return NULL;
    }
    *uds_path = apr_pstrmemdup(p, url + 5, bar - (url + 5));
    url = bar + 1;
    /* "unix:/path|http:" names no host: the origin is "localhost". */
    colon = ap_strchr_c(url, ':');
    if (colon && colon > url && !colon[1]) {
        return apr_pstrcat(p, url, "//localhost", NULL);
    }
    return url;
}

const char *relay_scheme_full_url(apr_pool_t *p, const char *url)
{
    const char *uds, *inner = relay_scheme_split_uds(p, url, &uds);

    return uds && inner ? apr_pstrcat(p, "unix:", uds, "|", inner, NULL) : url;
}

const char *relay_scheme_check_url(apr_pool_t *p, const char *url)
{
    const relay_scheme_t *scheme;
    const char *uds, *inner = relay_scheme_split_uds(p, url, &uds);
    const char *name;
    apr_size_t i;

    if (!inner) {
        return apr_psprintf(p,
                            "'%s': a unix: URL is unix:/absolute/path|"
                            "scheme://host/..., with a path shorter than "
                            "%d bytes",
                            url, RELAY_UDS_PATH_MAX);
    }
    name = url_scheme(p, inner);
    if (!name) {
        return apr_psprintf(p, "'%s' is not an absolute URL", url);
    }
    scheme = relay_scheme_find(name);
    if (!scheme) {
        for (i = 0; i < sizeof(modules_for) / sizeof(modules_for[0]); i++) {
            if (!strcmp(modules_for[i].scheme, name)) {
                return apr_psprintf(p,
                                    "no loaded module serves %s:// URLs "
                                    "('%s'): load Relay's %s before this "
                                    "line",
                                    name, url, modules_for[i].module);
            }
        }
        return apr_psprintf(p, "'%s': no Relay module serves %s:// URLs", url,
                            name);
    }
    if (scheme->tls && !ap_lookup_provider(RELAY_TRANSPORT_GROUP, "tls",
                                           RELAY_TRANSPORT_VERSION)) {
        return apr_psprintf(p,
                            "'%s' needs TLS to the origin: load Relay's "
                            "mod_proxy_ssl before this line",
                            url);
    }
    if (uds && scheme->tls) {
        return apr_psprintf(p, "'%s': TLS over a unix: socket is not offered",
                            url);
    }
    if (uds && !scheme->default_port) {
        return apr_psprintf(p, "'%s': %s:// URLs cannot name a unix: socket",
                            url, name);
    }
    return NULL;
}

apr_port_t relay_scheme_default_port(const char *name)
{
    const relay_scheme_t *scheme = relay_scheme_find(name);

    return scheme ? scheme->default_port : 0;
}
