/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_proxy's per-server and per-directory configuration records: made
 * with the stock defaults unset, and merged the stock way (a virtual host
 * or directory inherits what it does not set itself).
 */
#include "apr_strings.h"

#include "proxy_private.h"

void *relay_proxy_create_server_conf(apr_pool_t *p, server_rec *s)
{
    relay_proxy_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->requests = 0;
    c->via = RELAY_VIA_OFF;
    c->timeout = RELAY_UNSET;
    c->bad_header = RELAY_BADHEADER_ISERROR;
    c->io_buffer_size = 8192;
    c->max_forwards = -1;
    c->pass_inherit = 1;
    c->bal_inherit = 1;
    c->bal_growth = 0;
    c->recv_buffer_size = RELAY_UNSET;
    c->rules = apr_array_make(p, 4, sizeof(relay_pass_rule_t));
    c->workers = apr_array_make(p, 4, sizeof(relay_worker_t *));
    c->sections = apr_array_make(p, 4, sizeof(relay_proxy_section_t));
    c->proxysets = apr_array_make(p, 2, sizeof(relay_proxyset_t));
    c->balancers = apr_array_make(p, 1, sizeof(relay_balancer_t *));
    c->generic = relay_worker_make_generic(p);
    return c;
}

void *relay_proxy_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    relay_proxy_server_conf_t *base = basev, *add = addv;
    relay_proxy_server_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->requests = add->requests_set ? add->requests : base->requests;
    c->requests_set = add->requests_set || base->requests_set;
    c->via = add->via_set ? add->via : base->via;
    c->via_set = add->via_set || base->via_set;
    c->timeout = add->timeout != RELAY_UNSET ? add->timeout : base->timeout;
    c->bad_header = add->bad_header_set ? add->bad_header : base->bad_header;
    c->bad_header_set = add->bad_header_set || base->bad_header_set;
    c->io_buffer_size =
        add->io_buffer_size_set ? add->io_buffer_size : base->io_buffer_size;
    c->io_buffer_size_set = add->io_buffer_size_set || base->io_buffer_size_set;
    c->max_forwards =
        add->max_forwards_set ? add->max_forwards : base->max_forwards;
    c->max_forwards_set = add->max_forwards_set || base->max_forwards_set;
    c->source_addr = add->source_addr ? add->source_addr : base->source_addr;
    c->blocks = !add->blocks ? base->blocks
                : !base->blocks
                    ? add->blocks
                    : apr_array_append(p, base->blocks, add->blocks);
    c->domain = add->domain ? add->domain : base->domain;
    c->remotes = !add->remotes ? base->remotes
                 : !base->remotes
                     ? add->remotes
                     : apr_array_append(p, add->remotes, base->remotes);
    c->noproxy = !add->noproxy ? base->noproxy
                 : !base->noproxy
                     ? add->noproxy
                     : apr_array_append(p, base->noproxy, add->noproxy);
    c->recv_buffer_size = add->recv_buffer_size != RELAY_UNSET
                              ? add->recv_buffer_size
                              : base->recv_buffer_size;
    c->status = add->status_set ? add->status : base->status;
    c->status_set = add->status_set || base->status_set;
    c->pass_inherit =
        add->pass_inherit_set ? add->pass_inherit : base->pass_inherit;
    c->pass_inherit_set = add->pass_inherit_set;
    c->rules = c->pass_inherit ? apr_array_append(p, base->rules, add->rules)
                               : add->rules;
    c->workers = apr_array_append(p, base->workers, add->workers);
    c->sections = apr_array_append(p, base->sections, add->sections);
    c->proxysets = add->proxysets;
    c->bal_inherit =
        add->bal_inherit_set ? add->bal_inherit : base->bal_inherit;
    c->bal_inherit_set = add->bal_inherit_set;
    c->bal_growth = add->bal_growth_set ? add->bal_growth : base->bal_growth;
    c->bal_growth_set = add->bal_growth_set || base->bal_growth_set;
    c->balancers = c->bal_inherit
                       ? apr_array_append(p, base->balancers, add->balancers)
                       : add->balancers;
    c->generic = add->generic;
    return c;
}

void *relay_proxy_create_dir_conf(apr_pool_t *p, char *dir)
{
    relay_proxy_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->rules = apr_array_make(p, 1, sizeof(relay_pass_rule_t));
    c->reverse = apr_array_make(p, 2, sizeof(relay_reverse_rule_t));
    c->cookie_paths = apr_array_make(p, 1, sizeof(relay_cookie_rule_t));
    c->cookie_domains = apr_array_make(p, 1, sizeof(relay_cookie_rule_t));
    c->preserve_host = 0;
    c->add_headers = 1;
    c->error_override = 0;
    c->error_override_codes = apr_array_make(p, 1, sizeof(int));
    c->proxy100 = 1;
    c->interpolate_env = -1;
    c->section_url = dir;
    return c;
}

void *relay_proxy_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    relay_proxy_dir_conf_t *base = basev, *add = addv;
    relay_proxy_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->rules = add->rules->nelts ? add->rules : base->rules;
    c->reverse = apr_array_append(p, base->reverse, add->reverse);
    c->cookie_paths =
        apr_array_append(p, base->cookie_paths, add->cookie_paths);
    c->cookie_domains =
        apr_array_append(p, base->cookie_domains, add->cookie_domains);
    c->preserve_host =
        add->preserve_host_set ? add->preserve_host : base->preserve_host;
    c->preserve_host_set = add->preserve_host_set || base->preserve_host_set;
    c->add_headers =
        add->add_headers_set ? add->add_headers : base->add_headers;
    c->add_headers_set = add->add_headers_set || base->add_headers_set;
    c->error_override =
        add->error_override_set ? add->error_override : base->error_override;
    c->error_override_codes = add->error_override_set
                                  ? add->error_override_codes
                                  : base->error_override_codes;
    c->error_override_set = add->error_override_set || base->error_override_set;
    c->proxy100 = add->proxy100_set ? add->proxy100 : base->proxy100;
    c->proxy100_set = add->proxy100_set || base->proxy100_set;
    c->interpolate_env = add->interpolate_env != -1 ? add->interpolate_env
                                                    : base->interpolate_env;
    c->interpolated = add->interpolated || base->interpolated;
    c->section_url = add->section_url ? add->section_url : base->section_url;
    c->status_header =
        add->status_header.mode ? add->status_header : base->status_header;
    return c;
}
