/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * From a client request to an origin URL: ProxyPass and ProxyPassMatch
 * matching in translate_name, forward-proxy detection for absolute-URI
 * requests, and the <Proxy> section walk in map_to_storage that merges
 * the matching sections' per-directory configuration into the request.
 *
 * A mapped request carries the stock markers that the rest of httpd
 * knows: r->proxyreq, handler "proxy-server" and filename "proxy:URL"
 * (mod_rewrite's [P] flag sets the same three).
 */
#include "apr_strings.h"
#include "apr_fnmatch.h"
#include "http_core.h"
#include "http_request.h"
#include "http_protocol.h"
#include "http_vhost.h"

#include "relay/relay_route.h"
#include "relay/relay_url.h"
#include "proxy_private.h"

#define RELAY_MAX_REGMATCH 10

/* The normalised origin URL <Proxy> sections match, when nocanon sends a
 * raw form of it. */
#define RELAY_NOTE_SECTION_URL "relay-proxy-section-url"

/* The rule that mapped this request, kept in the request config. */
relay_pass_rule_t *relay_proxy_request_rule(request_rec *r)
{
    return ap_get_module_config(r->request_config, &proxy_module);
}

/* Marks the request for the proxy: `filename` is "proxy:" and its URL. */
static void mark_filename(request_rec *r, char *filename, int proxyreq,
                          relay_pass_rule_t *rule)
{
    r->filename = filename;
    r->handler = "proxy-server";
    r->proxyreq = proxyreq;
    ap_set_module_config(r->request_config, &proxy_module, rule);
}

static void mark_proxied(request_rec *r, const char *url, int proxyreq,
                         relay_pass_rule_t *rule)
{
    mark_filename(r, apr_pstrcat(r->pool, "proxy:", url, NULL), proxyreq, rule);
}

/* "proxy:", then `url` and `rest`, then "?" and `args` when not NULL, in
 * one allocation. */
static char *proxy_filename(apr_pool_t *p, const char *url, const char *rest,
                            const char *args)
{
    apr_size_t ul = strlen(url), rl = strlen(rest);
    apr_size_t al = args ? strlen(args) + 1 : 0;
    char *f = apr_palloc(p, 6 + ul + rl + al + 1);

    memcpy(f, "proxy:", 6);
    memcpy(f + 6, url, ul);
    memcpy(f + 6 + ul, rest, rl);
    if (args) {
        f[6 + ul + rl] = '?';
        memcpy(f + 6 + ul + rl + 1, args, al - 1);
    }
    f[6 + ul + rl + al] = '\0';
    return f;
}

/* The raw path of the request line, before httpd decoded it. */
static const char *raw_path(request_rec *r)
{
    const char *raw = r->unparsed_uri;
    const char *q;

    if (r->parsed_uri.path && raw[0] != '/') {
        raw = ap_strstr_c(raw, "://");
        raw = raw ? ap_strchr_c(raw + 3, '/') : NULL;
        if (!raw) {
            return "/";
        }
    }
    q = ap_strchr_c(raw, '?');
    return q ? apr_pstrmemdup(r->pool, raw, q - raw) : raw;
}

/*
 * The decoded path of a request (or a piece of it) encoded again for the
 * origin, as stock canonicalises it.
 */
static const char *encode_path(request_rec *r, const char *path)
{
    core_dir_config *d = ap_get_core_module_config(r->per_dir_config);

    if (d->allow_encoded_slashes && !d->decode_encoded_slashes) {
        /* AllowEncodedSlashes NoDecode: httpd kept "%2F" encoded. */
        return relay_url_escape_path_keep2f(r->pool, path);
    }
    return relay_url_escape_path(r->pool, path);
}

/*
 * An absolute URL built from pieces of the decoded path (a ProxyPassMatch
 * substitution, mod_rewrite's [P]): its path is encoded again as a whole,
 * as stock does, so that a '?', '#' or '%' decoded from the client's path
 * stays data and cannot start a query or a fragment.
 */
static const char *encode_url_path(request_rec *r, const char *url)
{
    const char *bar =
        strncasecmp(url, "unix:", 5) ? NULL : ap_strchr_c(url, '|');
    const char *authority, *path;

    if (bar) {
        /* "unix:/path|": kept as written; mod_proxy uses the socket only
         * when a configured worker names it. */
        return apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, url, bar + 1 - url),
                           encode_url_path(r, bar + 1), NULL);
    }
    authority = ap_strstr_c(url, "://");
    path = authority ? ap_strchr_c(authority + 3, '/') : NULL;
    if (!path) {
        return relay_url_escape_target(r->pool, url);
    }
    return apr_pstrcat(r->pool,
                       relay_url_escape_target(
                           r->pool, apr_pstrmemdup(r->pool, url, path - url)),
                       encode_path(r, path), NULL);
}

/*
 * The origin URL of a reverse-proxy request another module handed over:
 * mod_rewrite's [P] sets filename proxy:URL from the decoded path and
 * keeps the query in r->args. As stock, the path is encoded again and the
 * query appended, unless the proxy-nocanon note ([P,NE]) asks for the URL
 * as written.
 */
const char *relay_proxy_handed_over_url(request_rec *r, const char *url)
{
    if (apr_table_get(r->notes, "proxy-nocanon")) {
        return url;
    }
    url = encode_url_path(r, url);
    return r->args ? apr_pstrcat(r->pool, url, "?", r->args, NULL) : url;
}

/*
 * Maps the request to `url`, the client's query carried over. `sent`,
 * when not NULL, is what goes to the origin instead (nocanon's raw form
 * of the same URL); <Proxy> sections still match `url`.
 */
static int map_to(request_rec *r, relay_pass_rule_t *rule, const char *url,
                  const char *sent)
{
    if (r->args) {
        url = apr_pstrcat(r->pool, url, "?", r->args, NULL);
        sent = sent ? apr_pstrcat(r->pool, sent, "?", r->args, NULL) : NULL;
    }
    if (sent) {
        apr_table_setn(r->notes, RELAY_NOTE_SECTION_URL, url);
    }
    mark_proxied(r, sent ? sent : url, PROXYREQ_REVERSE, rule);
    return OK;
}

/*
 * nocanon: the raw path, when it is the same request as the normalised
 * one rules are matched on. A dot-segment in it could take the origin
 * elsewhere than the path that matched, so then NULL (the normalised path
 * is sent, encoded).
 */
static const char *same_raw_path(request_rec *r)
{
    const char *raw = raw_path(r);

    return relay_url_has_dot_segment(raw) ? NULL : raw;
}

/* The rule as it applies to r: under ProxyPassInterpolateEnv, a copy with
 * this request's URL (it lives as long as the request, which keeps it). */
static relay_pass_rule_t *rule_for(request_rec *r, relay_pass_rule_t *rule)
{
    relay_pass_rule_t *mine;

    if (!rule->interpolate || !rule->url) {
        return rule;
    }
    mine = apr_pmemdup(r->pool, rule, sizeof(*rule));
    mine->url = relay_pass_rule_url(r, rule);
    return mine;
}

/*
 * A prefix rule that matched the request's normalised path, the first
 * `covered` bytes of it: DONE for a "!" exclusion, else the rest of the
 * path goes after the rule's URL. With nocanon, the rest of the raw path
 * when the prefix covers that too.
 */
static int map_prefix(request_rec *r, relay_pass_rule_t *rule, long covered)
{
    const char *raw;
    long raw_covered;

    rule = rule_for(r, rule);
    raw = rule->nocanon ? same_raw_path(r) : NULL;
    raw_covered = raw ? relay_url_prefix_match(rule->path, raw) : -1;

    if (!rule->url) {
        return DONE;
    }
    if (raw_covered < 0) {
        mark_filename(r,
                      proxy_filename(r->pool, rule->url,
                                     encode_path(r, r->uri + covered), r->args),
                      PROXYREQ_REVERSE, rule);
        return OK;
    }
    return map_to(
        r, rule,
        apr_pstrcat(r->pool, rule->url, encode_path(r, r->uri + covered), NULL),
        raw_covered < 0
            ? NULL
            : apr_pstrcat(r->pool, rule->url, raw + raw_covered, NULL));
}

/*
 * The URL a ProxyPassMatch rule that matched `path` (with `m`) makes:
 * its substitution, or the whole path appended when it has none. The
 * path's pieces are encoded again unless `raw`. NULL when the
 * substitution fails.
 */
static const char *substitute(request_rec *r, relay_pass_rule_t *rule,
                              const char *path, ap_regmatch_t *m, int raw)
{
    const char *url =
        ap_pregsub(r->pool, rule->url, path, RELAY_MAX_REGMATCH, m);

    if (!url) {
        return NULL;
    }
    if (!strcmp(url, rule->url)) {
        /* No substitution: the whole path is appended, as stock. */
        return apr_pstrcat(r->pool, url, raw ? path : encode_path(r, path),
                           NULL);
    }
    return raw ? url : encode_url_path(r, url);
}

/*
 * Tries one rule on the normalised path. Returns DECLINED when it does
 * not match, DONE when it matches a "!" exclusion, OK when it mapped the
 * request.
 */
/*
 * A rule with mapping=servlet or encoded: matched on that form of the
 * request's path, which on a match becomes r->uri, so that <Location>
 * sections see the path the origin will act on. The URL gets the rest of
 * that path (encoded again, or as sent). A raw path with an encoded dot
 * segment matches no encoded rule: the origin would resolve it elsewhere.
 */
static int try_mapped(request_rec *r, relay_pass_rule_t *rule)
{
    ap_regmatch_t m[RELAY_MAX_REGMATCH];
    const char *raw = raw_path(r), *path, *url;
    int encoded = rule->mapping == RELAY_MAPPING_ENCODED;
    long covered = 0;

    path = encoded ? (relay_url_has_dot_segment(raw) ? NULL : raw)
                   : relay_url_servlet_path(r->pool, raw);
    if (!path) {
        return DECLINED;
    }
    if (rule->regex
            ? ap_regexec(rule->regex, path, RELAY_MAX_REGMATCH, m, 0)
            : (covered = relay_url_prefix_match(rule->path, path)) < 0) {
        return DECLINED;
    }
    r->uri = apr_pstrdup(r->pool, path);
    if (!rule->url) {
        return DONE;
    }
    rule = rule_for(r, rule);
    if (rule->regex) {
        url = substitute(r, rule, path, m, encoded);
    }
    else {
        url = apr_pstrcat(
            r->pool, rule->url,
            encoded ? path + covered : encode_path(r, path + covered), NULL);
    }
    return url ? map_to(r, rule, url, NULL) : DECLINED;
}

static int try_rule(request_rec *r, relay_pass_rule_t *rule)
{
    ap_regmatch_t m[RELAY_MAX_REGMATCH];
    const char *url, *raw, *sent = NULL;

    if (rule->mapping) {
        return try_mapped(r, rule);
    }

    if (!rule->regex) {
        long covered = relay_url_prefix_match(rule->path, r->uri);
        return covered < 0 ? DECLINED : map_prefix(r, rule, covered);
    }
    if (ap_regexec(rule->regex, r->uri, RELAY_MAX_REGMATCH, m, 0)) {
        return DECLINED;
    }
    if (!rule->url) {
        return DONE;
    }
    rule = rule_for(r, rule);
    url = substitute(r, rule, r->uri, m, 0);
    if (!url) {
        return DECLINED;
    }
    raw = rule->nocanon ? same_raw_path(r) : NULL;
    if (raw && !ap_regexec(rule->regex, raw, RELAY_MAX_REGMATCH, m, 0)) {
        sent = substitute(r, rule, raw, m, 1);
    }
    return map_to(r, rule, url, sent);
}

/* ProxyPass in <Location>: one rule, or a few, tried in order. */
static int try_rules(request_rec *r, apr_array_header_t *rules)
{
    int i;

    for (i = 0; i < rules->nelts; i++) {
        int rc = try_rule(r, &APR_ARRAY_IDX(rules, i, relay_pass_rule_t));
        if (rc != DECLINED) {
            return rc;
        }
    }
    return DECLINED;
}

/*
 * The server's rules go into a router (relay_route.h), numbered in
 * configuration order: prefix rules matched against the normalised path,
 * and ProxyPassMatch rules as opaque rules the router hands back to
 * try_rule, in order, while they come before the first prefix match.
 */
relay_route_t *relay_proxy_route_make(apr_pool_t *p,
                                      const apr_array_header_t *rules)
{
    relay_route_t *rt = relay_route_make(p);
    int i;

    for (i = 0; i < rules->nelts; i++) {
        const relay_pass_rule_t *rule =
            &APR_ARRAY_IDX(rules, i, relay_pass_rule_t);
        /* Rules matched on another form of the path are tried in turn. */
        relay_route_add(rt, 0,
                        rule->regex || rule->mapping ? NULL : rule->path);
    }
    return rt;
}

typedef struct route_baton_t {
    request_rec *r;
    apr_array_header_t *rules;
    int rc;
} route_baton_t;

static int try_opaque(void *b, int i)
{
    route_baton_t *baton = b;

    baton->rc =
        try_rule(baton->r, &APR_ARRAY_IDX(baton->rules, i, relay_pass_rule_t));
    return baton->rc != DECLINED;
}

static int route_rules(request_rec *r, relay_proxy_server_conf_t *sc)
{
    const char *paths[RELAY_ROUTE_SUBJECTS] = {r->uri, NULL};
    route_baton_t baton = {r, sc->rules, DECLINED};
    long covered;
    int i;

    AP_DEBUG_ASSERT(sc->route != NULL);
    i = relay_route_first(sc->route, paths, try_opaque, &baton, &covered);
    if (i < 0 || covered < 0) {
        return baton.rc; /* no match, or the ProxyPassMatch that matched */
    }
    return map_prefix(r, &APR_ARRAY_IDX(sc->rules, i, relay_pass_rule_t),
                      covered);
}

/*
 * pre_translate_name: a request already marked for the proxy (forward
 * proxying, detected in post_read_request) keeps its URL as the client
 * sent it. DONE tells httpd not to decode the path, which would refuse a
 * %2F or %00 meant for the origin with a local 404, as stock does.
 */
int relay_proxy_pre_translate(request_rec *r)
{
    return r->proxyreq ? DONE : DECLINED;
}

/* translate_name: ProxyPass in <Location> first, then server-level rules
 * in configuration order; the first match wins. */
int relay_proxy_translate(request_rec *r)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    relay_proxy_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &proxy_module);
    int rc;

    if (r->proxyreq) {
        return OK; /* forward proxy: already mapped */
    }
    if (!r->uri || r->uri[0] != '/' ||
        apr_table_get(r->subprocess_env, "no-proxy")) {
        return DECLINED;
    }
    rc = dc ? try_rules(r, dc->rules) : DECLINED;
    if (rc == DECLINED) {
        rc = route_rules(r, sc);
    }
    if (rc == OK) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "mapped %s to %s", r->uri,
                      r->filename + 6);
        return OK;
    }
    return DECLINED;
}

/*
 * post_read_request: with ProxyRequests On, an absolute-URI request for
 * another host is a forward-proxy request. Access is then decided by the
 * <Proxy> sections that match its URL.
 */
int relay_proxy_detect_forward(request_rec *r)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);

    const relay_scheme_t *scheme;
    char *name;

    if (!sc->requests || r->proxyreq || !r->parsed_uri.scheme ||
        !r->parsed_uri.hostname) {
        return DECLINED;
    }
    name = apr_pstrdup(r->pool, r->parsed_uri.scheme);
    ap_str_tolower(name);
    scheme = relay_scheme_find(name);
    if (!scheme || !scheme->forward) {
        return DECLINED;
    }
    if (ap_matches_request_vhost(r, r->parsed_uri.hostname,
                                 r->parsed_uri.port_str ? r->parsed_uri.port
                                                        : ap_default_port(r))) {
        return DECLINED; /* addressed to this server itself */
    }
    r->uri = r->unparsed_uri;
    mark_proxied(r, r->unparsed_uri, PROXYREQ_PROXY, NULL);
    return DECLINED;
}

/* Whether a wildcard or regex section matches `url`. */
static int patterned_section_matches(const relay_proxy_section_t *sec,
                                     const char *url)
{
    if (sec->regex) {
        return !ap_regexec(sec->regex, url, 0, NULL, 0);
    }
    return !apr_fnmatch(sec->pattern, url, 0) || !strcmp(sec->pattern, "*");
}

relay_section_index_t *
relay_proxy_sections_index(apr_pool_t *p, const apr_array_header_t *sections)
{
    relay_section_index_t *ix = apr_palloc(p, sizeof(*ix));
    int i;

    ix->prefixes = relay_prefix_set_make(p);
    ix->prefix_section = apr_array_make(p, sections->nelts, sizeof(int));
    ix->patterned = apr_array_make(p, 2, sizeof(int));
    for (i = 0; i < sections->nelts; i++) {
        const relay_proxy_section_t *sec =
            &APR_ARRAY_IDX(sections, i, relay_proxy_section_t);
        if (sec->regex || sec->is_wildcard) {
            APR_ARRAY_PUSH(ix->patterned, int) = i;
        }
        else {
            relay_prefix_set_add(ix->prefixes, sec->pattern);
            APR_ARRAY_PUSH(ix->prefix_section, int) = i;
        }
    }
    return ix;
}

typedef struct section_hits_t {
    const relay_section_index_t *ix;
    apr_array_header_t *sections; /* int: matching sections */
} section_hits_t;

static int note_prefix_section(void *baton, int member)
{
    section_hits_t *hits = baton;

    APR_ARRAY_PUSH(hits->sections, int) =
        APR_ARRAY_IDX(hits->ix->prefix_section, member, int);
    return 0;
}

static int by_number(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/*
 * The prefix sections matching `url` come from the index, at a cost that
 * does not grow with their number; wildcard and regex sections are tried
 * one by one. All are merged in configuration order.
 */
ap_conf_vector_t *relay_proxy_sections_conf(apr_pool_t *p, server_rec *s,
                                            ap_conf_vector_t *conf,
                                            const char *url)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(s->module_config, &proxy_module);
    section_hits_t hits;
    int i;

    AP_DEBUG_ASSERT(sc->section_index != NULL);
    hits.ix = sc->section_index;
    hits.sections = apr_array_make(p, 4, sizeof(int));
    relay_prefix_set_walk(hits.ix->prefixes, url, note_prefix_section, &hits);
    for (i = 0; i < hits.ix->patterned->nelts; i++) {
        int n = APR_ARRAY_IDX(hits.ix->patterned, i, int);
        if (patterned_section_matches(
                &APR_ARRAY_IDX(sc->sections, n, relay_proxy_section_t), url)) {
            APR_ARRAY_PUSH(hits.sections, int) = n;
        }
    }
    qsort(hits.sections->elts, (size_t)hits.sections->nelts, sizeof(int),
          by_number);
    for (i = 0; i < hits.sections->nelts; i++) {
        int n = APR_ARRAY_IDX(hits.sections, i, int);
        conf = ap_merge_per_dir_configs(
            p, conf,
            APR_ARRAY_IDX(sc->sections, n, relay_proxy_section_t).dir_conf);
    }
    return conf;
}

/*
 * map_to_storage: a proxied request has no file behind it. The <Proxy>
 * sections matching its origin URL are merged into its configuration, in
 * the order they appear, and the directory walk is skipped.
 */
int relay_proxy_map_storage(request_rec *r)
{
    relay_proxy_server_conf_t *sc =
        ap_get_module_config(r->server->module_config, &proxy_module);
    const char *url;

    if (!r->proxyreq || !r->filename || strncmp(r->filename, "proxy:", 6)) {
        return DECLINED;
    }
    if (!sc->sections->nelts) {
        return OK; /* no <Proxy> section to merge */
    }
    url = apr_table_get(r->notes, RELAY_NOTE_SECTION_URL);
    r->per_dir_config = relay_proxy_sections_conf(
        r->pool, r->server, r->per_dir_config, url ? url : r->filename + 6);
    return OK;
}
