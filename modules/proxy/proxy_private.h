/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Declarations shared by the files of Relay's mod_proxy: configuration
 * records, the URL mapping, workers and their connection pools. Nothing
 * here is visible to other modules; they use include/relay_proxy.h.
 */
#ifndef PROXY_PRIVATE_H
#define PROXY_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_regex.h"

#include "relay_proxy.h"
#include "relay_log.h"
#include "relay/relay_prefix_set.h"
#include "relay/relay_route.h"

APLOG_USE_MODULE(proxy);

extern module AP_MODULE_DECLARE_DATA proxy_module;

/* ProxyPass mapping=: which form of the request's path a rule matches,
 * and becomes the path <Location> sections see when it does. */
typedef enum {
    RELAY_MAPPING_DEFAULT = 0, /* decoded and normalised, as httpd does */
    RELAY_MAPPING_SERVLET,     /* path parameters removed first (Tomcat) */
    RELAY_MAPPING_ENCODED      /* as sent, not %-decoded */
} relay_mapping_t;

/* One ProxyPass or ProxyPassMatch rule. */
typedef struct relay_pass_rule_t {
    const char *path;       /* local path prefix, or the regex source */
    ap_regex_t *regex;      /* ProxyPassMatch */
    const char *url;        /* origin URL, or NULL for "!" */
    relay_worker_t *worker; /* the worker that URL made, NULL for "!" */
    int nocanon;
    int mapping;            /* relay_mapping_t: the path matched */
    int interpolate;        /* "${var}" in url replaced per request */
    const char *defined_in; /* "file:line" */
} relay_pass_rule_t;

/* One <Proxy> or <ProxyMatch> section. */
typedef struct relay_proxy_section_t {
    const char *pattern; /* URL prefix or wildcard, or regex source */
    ap_regex_t *regex;   /* <ProxyMatch> or <Proxy ~ ...> */
    int is_wildcard;     /* pattern has * or ? in it */
    ap_conf_vector_t *dir_conf;
} relay_proxy_section_t;

/* A server's <Proxy> sections indexed for the walk (built at startup). */
typedef struct relay_section_index_t {
    relay_prefix_set_t *prefixes;       /* the URL-prefix sections' patterns */
    apr_array_header_t *prefix_section; /* int: section of each member */
    apr_array_header_t *patterned;      /* int: wildcard and regex sections */
} relay_section_index_t;

typedef struct relay_proxy_server_conf_t {
    int requests; /* ProxyRequests */
    int requests_set;
    int via; /* relay_via_t */
    int via_set;
    apr_interval_time_t timeout; /* ProxyTimeout, RELAY_UNSET: Timeout */
    int bad_header;              /* relay_badheader_t */
    int bad_header_set;
    apr_size_t io_buffer_size;
    int io_buffer_size_set;
    int max_forwards;
    int max_forwards_set;
    apr_sockaddr_t *source_addr; /* ProxySourceAddress, or NULL */
    int recv_buffer_size;        /* ProxyReceiveBufferSize, RELAY_UNSET */
    apr_array_header_t *blocks;  /* ProxyBlock words (proxy_block.c), or NULL */
    const char *domain;          /* ProxyDomain, or NULL */
    apr_array_header_t *remotes; /* ProxyRemote(Match) (proxy_remote.c) */
    apr_array_header_t *noproxy; /* NoProxy entries (proxy_remote.c) */
    int status;                  /* ProxyStatus: 0 Off, 1 On, 2 Full */
    int status_set;
    int pass_inherit; /* ProxyPassInherit */
    int pass_inherit_set;
    int bal_inherit; /* BalancerInherit */
    int bal_inherit_set;
    int bal_growth; /* BalancerGrowth */
    int bal_growth_set;
    apr_array_header_t *rules;    /* relay_pass_rule_t, server level */
    relay_route_t *route;         /* `rules` routed, built in post_config */
    apr_array_header_t *workers;  /* relay_worker_t *, defined here */
    apr_array_header_t *sections; /* relay_proxy_section_t */
    relay_section_index_t *section_index; /* built in check_config */
    relay_prefix_set_t *worker_names;     /* `workers` by name, post_config */
    apr_array_header_t *proxysets; /* relay_proxyset_t, applied at start */
    apr_array_header_t *balancers; /* relay_balancer_t *, defined here */
    relay_worker_t *generic;       /* for URLs no worker covers */
} relay_proxy_server_conf_t;

/* ProxyStatusHeader; mode 0 is unset (Off). */
#define RELAY_STATUS_HEADER_OFF 1
#define RELAY_STATUS_HEADER_ON 2
#define RELAY_STATUS_HEADER_DETAILS 3
typedef struct relay_status_header_conf_t {
    int mode;
    const char *name; /* the proxy's name in the field */
} relay_status_header_conf_t;

typedef struct relay_proxy_dir_conf_t {
    apr_array_header_t *rules;          /* ProxyPass in <Location> */
    apr_array_header_t *reverse;        /* relay_reverse_rule_t */
    apr_array_header_t *cookie_paths;   /* relay_cookie_rule_t */
    apr_array_header_t *cookie_domains; /* relay_cookie_rule_t */
    int preserve_host;
    int preserve_host_set;
    int add_headers;
    int add_headers_set;
    int error_override;
    int error_override_set;
    apr_array_header_t *error_override_codes; /* int */
    int proxy100;
    int proxy100_set;
    int interpolate_env; /* ProxyPassInterpolateEnv: 1 On, 0 Off, -1 unset */
    int interpolated;    /* some reverse or cookie rule says interpolate */
    const char *section_url; /* URL pattern of the <Proxy> section, if any */
    relay_status_header_conf_t status_header;
} relay_proxy_dir_conf_t;

/* A ProxySet line waiting for its worker, applied in post_config. */
typedef struct relay_proxyset_t {
    const char *url;
    relay_worker_params_t params;
    const char *defined_in;
} relay_proxyset_t;

/* proxy_config.c */
extern const command_rec relay_proxy_cmds[];
void *relay_proxy_create_server_conf(apr_pool_t *p, server_rec *s);
void *relay_proxy_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *relay_proxy_create_dir_conf(apr_pool_t *p, char *dir);
void *relay_proxy_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
/* NULL when `url` may be proxied to, else why not (for a directive). */
const char *relay_proxy_check_origin_url(cmd_parms *cmd, const char *url);

/* URL schemes (proxy_scheme.c). relay_scheme_find: the provider serving
 * a lower-case scheme name, or NULL. relay_scheme_split_uds: for
 * "unix:/path|URL", sets *uds_path and returns the URL ("scheme:" alone
 * becomes "scheme://localhost"); any other URL is returned as it is with
 * *uds_path NULL; NULL when malformed. relay_scheme_check_url: why a
 * configured origin URL cannot be served (no module for its scheme, TLS
 * not loaded, a bad socket path), or NULL. relay_scheme_full_url: a
 * configured URL with "unix:/path|scheme:" written out in full
 * ("unix:/path|scheme://localhost"), so that paths are added after it. */
#define RELAY_UDS_PATH_MAX 108 /* sockaddr_un's sun_path */
const relay_scheme_t *relay_scheme_find(const char *name);
const char *relay_scheme_split_uds(apr_pool_t *p, const char *url,
                                   const char **uds_path);
const char *relay_scheme_check_url(apr_pool_t *p, const char *url);
const char *relay_scheme_full_url(apr_pool_t *p, const char *url);
apr_port_t relay_scheme_default_port(const char *name);
/* relay_scheme_index (post_config) lists the schemes registered, for
 * relay_scheme_find_n: the provider of the scheme name[0, len) in any
 * case, or NULL; *lower is the name in lower case (from p when no
 * provider serves it). */
void relay_scheme_index(apr_pool_t *pconf);
const relay_scheme_t *relay_scheme_find_n(apr_pool_t *p, const char *name,
                                          apr_size_t len, const char **lower);

/* proxy_worker.c */
void relay_worker_params_unset(relay_worker_params_t *params);
/* proxy_interpolate.c: ProxyPassInterpolateEnv. relay_interpolate
 * replaces "${var}" in s by r's environment; relay_pass_rule_url is the
 * rule's URL for r; the two others give copies of the rules for r, with
 * the interpolate ones replaced (call them only when dc->interpolated
 * and ProxyPassInterpolateEnv is on). */
const char *relay_interpolate(request_rec *r, const char *s);
const char *relay_pass_rule_url(request_rec *r, const relay_pass_rule_t *rule);
const apr_array_header_t *
relay_interpolate_reverse(request_rec *r, const apr_array_header_t *rules);
const apr_array_header_t *
relay_interpolate_cookies(request_rec *r, const apr_array_header_t *rules);

/* proxy_remote.c: ProxyRemote, ProxyRemoteMatch (cmd->info set) and
 * NoProxy. relay_remote_for returns OK with the upstream proxy's worker
 * and credentials (*auth, or NULL) for a request to `url`, DECLINED to go
 * direct, or 502 when the URL cannot go through the proxy. */
const char *relay_remote_cmd(cmd_parms *cmd, void *dconf, const char *match,
                             const char *server, const char *creds);
const char *relay_noproxy_cmd(cmd_parms *cmd, void *dconf, const char *arg);
int relay_remote_for(request_rec *r, const relay_scheme_t *scheme,
                     const char *scheme_name, const char *url, const char *host,
                     apr_size_t host_len, relay_worker_t **worker,
                     const char **auth);

/* proxy_block.c: ProxyBlock and ProxyDomain. relay_origin_allowed
 * returns OK, 301 (ProxyDomain, Location set) or 403 (ProxyBlock) for a
 * request to `host` through worker `w` (whose addresses are known). */
const char *relay_block_cmd(cmd_parms *cmd, void *dconf, const char *arg);
const char *relay_domain_cmd(cmd_parms *cmd, void *dconf, const char *arg);
int relay_origin_allowed(request_rec *r, const char *scheme, const char *host,
                         apr_size_t host_len, apr_port_t port,
                         const char *target, const relay_worker_t *w);

/* proxy_balancer_config.c: one key=value of a worker outside balancers
 * (worker parameters and the member keys stock accepts there). */
const char *relay_worker_member_param(apr_pool_t *p,
                                      relay_worker_params_t *params,
                                      const char *key, const char *value);

/* ProxyReceiveBufferSize / receivebuffersize= values into *out. */
const char *relay_parse_receive_buffer(apr_pool_t *p, const char *key,
                                       const char *value, int *out);
const char *relay_worker_param_set(apr_pool_t *p, relay_worker_params_t *params,
                                   const char *key, const char *value);
void relay_worker_params_overlay(relay_worker_params_t *base,
                                 const relay_worker_params_t *add);
/* `balancer`: the balancer://name the worker is a member of, or NULL;
 * a member worker is never shared with another balancer or a ProxyPass. */
const char *relay_worker_define(apr_pool_t *p, relay_proxy_server_conf_t *conf,
                                const char *url, const char *balancer,
                                const relay_worker_params_t *params,
                                const char *defined_in, relay_worker_t **out);
/* The names of `workers` indexed for relay_worker_find. */
relay_prefix_set_t *relay_worker_names_index(apr_pool_t *p,
                                             const apr_array_header_t *workers);
relay_worker_t *relay_worker_find(relay_proxy_server_conf_t *conf,
                                  const char *url, apr_pool_t *p);
relay_worker_t *relay_worker_make_generic(apr_pool_t *p);
void relay_worker_finish(relay_worker_t *worker, server_rec *s,
                         const relay_proxy_server_conf_t *conf);
int relay_worker_is_usable(relay_worker_t *worker, apr_time_t now);
void relay_worker_mark_failed(relay_worker_t *worker, server_rec *s,
                              apr_status_t rv);
void relay_worker_mark_ok(relay_worker_t *worker, server_rec *s);
/* Ends the worker's error state without a log line (the caller logs why). */
void relay_worker_recover(relay_worker_t *worker, server_rec *s);
/* Puts the worker in error state for its retry; `why` logged once per
 * outage. */
void relay_worker_fail(relay_worker_t *worker, server_rec *s, request_rec *r,
                       const char *why);
/* Counts a request through the worker (and one in flight when `busy`);
 * relay_worker_count_end ends it. */
void relay_worker_count_start(relay_worker_t *worker, int busy);
void relay_worker_count_end(relay_worker_t *worker, int busy);
/* Counts how a request through the worker ended: its final status (or 0),
 * the cause of a failure (RELAY_PROXY_ERROR_NONE for none) and how long it
 * took. */
void relay_worker_count_result(relay_worker_t *worker, int status,
                               relay_proxy_error_t cause,
                               apr_interval_time_t duration);

/* proxy_shm.c */
/* post_config: a shared slot for every worker and balancer. */
apr_status_t relay_shm_attach(apr_pool_t *ptemp, server_rec *main_s);
void relay_shm_state_set(relay_worker_shared_t *slot, apr_uint32_t bits);
void relay_shm_state_clear(relay_worker_shared_t *slot, apr_uint32_t bits);
void relay_shm_lock(relay_worker_shared_t *slot);
void relay_shm_unlock(relay_worker_shared_t *slot);

/* proxy_conn.c */
apr_status_t relay_conn_pool_create(relay_worker_t *worker, apr_pool_t *pchild);
apr_status_t relay_conn_acquire(relay_proxy_req_t *pr, int fresh,
                                relay_conn_t **conn, int *reused);
void relay_conn_release(relay_conn_t *conn);
void relay_conn_pool_expire(relay_worker_t *worker, apr_time_t now);

/* proxy_metrics.c: the relay-metrics handler */
int relay_metrics_handler(request_rec *r);

/* proxy_status.c: the workers' table in mod_status's page */
void relay_proxy_status_register(void);

/* proxy_sweep.c */
void relay_sweeper_start(apr_pool_t *pchild, server_rec *main_s);
extern const relay_transport_t relay_transport_tcp;

/* proxy_map.c */
int relay_proxy_pre_translate(request_rec *r);
int relay_proxy_translate(request_rec *r);
int relay_proxy_detect_forward(request_rec *r);
int relay_proxy_map_storage(request_rec *r);
/* Indexes the server's <Proxy> sections for relay_proxy_sections_conf. */
relay_section_index_t *
relay_proxy_sections_index(apr_pool_t *p, const apr_array_header_t *sections);
/* `conf` merged with the <Proxy> sections of `s` that match `url`. */
ap_conf_vector_t *relay_proxy_sections_conf(apr_pool_t *p, server_rec *s,
                                            ap_conf_vector_t *conf,
                                            const char *url);
relay_pass_rule_t *relay_proxy_request_rule(request_rec *r);
/* The router of the server-level rules `rules`, in their order. */
relay_route_t *relay_proxy_route_make(apr_pool_t *p,
                                      const apr_array_header_t *rules);
const char *relay_proxy_handed_over_url(request_rec *r, const char *url);

/* proxy_balancer_config.c */
int relay_balancer_is_url(const char *url);
relay_balancer_t *relay_balancer_find(relay_proxy_server_conf_t *sc,
                                      const char *url, apr_pool_t *p);
/* ProxySet balancer://name key=value ... (and ProxyPass's parameters). */
const char *relay_balancer_set(cmd_parms *cmd, const char *url,
                               const char *args);
const char *relay_balancer_cmd_member(cmd_parms *cmd, void *dconf,
                                      const char *args);
const char *relay_balancer_cmd_inherit(cmd_parms *cmd, void *dconf, int flag);
const char *relay_balancer_cmd_growth(cmd_parms *cmd, void *dconf,
                                      const char *arg);
const char *relay_balancer_join(apr_pool_t *p, const char *url,
                                const char *rest);
/* `rules` with each rule to a balancer replaced by one per member. */
const apr_array_header_t *
relay_balancer_reverse_rules(request_rec *r, const apr_array_header_t *rules);
/* post_config: growth and the members' health-check parameters
 * (balancer's defaults merged); NULL or an error. */
const char *relay_balancer_finish(relay_balancer_t *b,
                                  const relay_proxy_server_conf_t *sc,
                                  apr_pool_t *p);

/* proxy_status_header.c */
const char *relay_status_header_cmd(cmd_parms *cmd, void *dconf,
                                    const char *mode, const char *name);
/* Adds Proxy-Status to the error response `rc` of `r` when the
 * configuration asks for it; `unavailable`: a balancer found no member to
 * try, so an unexplained 503 is destination_unavailable. */
void relay_status_header_add(request_rec *r, int rc, int unavailable);

/* proxy_reverse.c */
void relay_proxy_map_response_headers(relay_proxy_req_t *pr,
                                      apr_table_t *headers);
const char *relay_proxy_via_value(relay_proxy_req_t *pr, int http_minor);

#endif
