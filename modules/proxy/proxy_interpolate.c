/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ProxyPassInterpolateEnv On with the `interpolate` keyword, as stock:
 * "${name}" in the URL of such a ProxyPass, and in both strings of such a
 * ProxyPassReverse, ProxyPassReverseCookiePath or
 * ProxyPassReverseCookieDomain line, is replaced for each request by the
 * request's environment variable `name` (set by mod_rewrite's [E=],
 * SetEnvIf ...; empty when it is unset). Lines without the keyword, or
 * with interpolation off, are used as written and cost nothing more.
 */
#include "apr_strings.h"

#include "proxy_private.h"

const char *relay_interpolate(request_rec *r, const char *s)
{
    const char *start = ap_strstr_c(s, "${"), *end;
    char *out = NULL;

    if (!start) {
        return s;
    }
    while (start && (end = ap_strchr_c(start + 2, '}')) != NULL) {
        const char *value = apr_table_get(
            r->subprocess_env,
            apr_pstrmemdup(r->pool, start + 2, (apr_size_t)(end - start - 2)));
        out = apr_pstrcat(r->pool, out ? out : "",
                          apr_pstrmemdup(r->pool, s, (apr_size_t)(start - s)),
                          value ? value : "", NULL);
        s = end + 1;
        start = ap_strstr_c(s, "${");
    }
    return out ? apr_pstrcat(r->pool, out, s, NULL) : s;
}

static int interpolating(request_rec *r)
{
    const relay_proxy_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &proxy_module);

    return dc->interpolate_env == 1;
}

const char *relay_pass_rule_url(request_rec *r, const relay_pass_rule_t *rule)
{
    return rule->interpolate && rule->url && interpolating(r)
               ? relay_interpolate(r, rule->url)
               : rule->url;
}

const apr_array_header_t *
relay_interpolate_reverse(request_rec *r, const apr_array_header_t *rules)
{
    apr_array_header_t *out = apr_array_copy(r->pool, rules);
    int i;

    for (i = 0; i < out->nelts; i++) {
        relay_reverse_rule_t *rule =
            &APR_ARRAY_IDX(out, i, relay_reverse_rule_t);
        if (rule->interpolate) {
            rule->public_path = relay_interpolate(r, rule->public_path);
            rule->origin_url = relay_interpolate(r, rule->origin_url);
        }
    }
    return out;
}

const apr_array_header_t *
relay_interpolate_cookies(request_rec *r, const apr_array_header_t *rules)
{
    apr_array_header_t *out = apr_array_copy(r->pool, rules);
    int i;

    for (i = 0; i < out->nelts; i++) {
        relay_cookie_rule_t *rule = &APR_ARRAY_IDX(out, i, relay_cookie_rule_t);
        if (rule->interpolate) {
            rule->origin = relay_interpolate(r, rule->origin);
            rule->public = relay_interpolate(r, rule->public);
        }
    }
    return out;
}
