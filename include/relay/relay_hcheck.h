/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Active health checks of balancer members, the decisions only: the
 * check's parameters (hcmethod, hcuri, hcinterval, hcpasses, hcfails,
 * hctimeout, in the spirit of stock mod_proxy_hcheck), whether a probe's
 * answer passes, and when a run of results moves a member out of rotation
 * or back into it. The glue runs the probes and keeps the counters.
 */
#ifndef RELAY_HCHECK_H
#define RELAY_HCHECK_H

#include "apr_time.h"

typedef enum relay_hc_method_e {
    RELAY_HC_NONE = 0, /* no health checks (the default) */
    RELAY_HC_TCP,      /* the connect alone */
    RELAY_HC_OPTIONS,
    RELAY_HC_HEAD,
    RELAY_HC_GET,
    RELAY_HC_OPTIONS11, /* the same three over HTTP/1.1 */
    RELAY_HC_HEAD11,
    RELAY_HC_GET11
} relay_hc_method_t;

typedef struct relay_hc_params_t {
    int method;       /* relay_hc_method_t, -1 unset */
    const char *uri;  /* hcuri, NULL: the member's path */
    const char *expr; /* hcexpr: a ProxyHCExpr name judging the answer,
                       * NULL: a 2xx or 3xx status passes */
    apr_interval_time_t interval; /* hcinterval, -1 unset */
    apr_interval_time_t timeout;  /* hctimeout, -1 unset */
    int passes;                   /* hcpasses, -1 unset */
    int fails;                    /* hcfails, -1 unset */
} relay_hc_params_t;

/* Defaults, as stock mod_proxy_hcheck where it has them. */
#define RELAY_HC_DEFAULT_INTERVAL apr_time_from_sec(30)
#define RELAY_HC_DEFAULT_TIMEOUT apr_time_from_sec(5)
#define RELAY_HC_DEFAULT_PASSES 1
#define RELAY_HC_DEFAULT_FAILS 1

/* All unset. */
void relay_hc_params_unset(relay_hc_params_t *hc);
/* Each field `add` sets replaces `base`'s. */
void relay_hc_params_overlay(relay_hc_params_t *base,
                             const relay_hc_params_t *add);
/* Unset fields get their defaults (method: none; the timeout at most
 * the interval). */
void relay_hc_params_finish(relay_hc_params_t *hc);

/* "TCP", "OPTIONS", "HEAD", "GET", their "...11" forms, "None" (any
 * case): 0, else -1. */
int relay_hc_method_parse(const char *name, relay_hc_method_t *out);
const char *relay_hc_method_name(relay_hc_method_t method);
/* The request method an HTTP check sends ("GET" for GET and GET11), and
 * whether it goes over HTTP/1.1. */
const char *relay_hc_method_verb(relay_hc_method_t method);
int relay_hc_method_is_http11(relay_hc_method_t method);

/* An HTTP probe passes on a 2xx or 3xx answer, as stock without hcexpr. */
int relay_hc_status_passes(int status);

typedef enum relay_hc_change_e {
    RELAY_HC_SAME = 0, /* no change of state */
    RELAY_HC_DOWN,     /* hcfails failures in a row: out of rotation */
    RELAY_HC_UP        /* hcpasses passes in a row: back in rotation */
} relay_hc_change_t;

/*
 * Counts one probe result into the consecutive counters (a pass resets
 * the failures and the other way round) and tells whether the member,
 * now failed or not (`failed`), changes state.
 */
relay_hc_change_t relay_hc_record(const relay_hc_params_t *hc, int failed,
                                  int passed_probe, unsigned int *passes,
                                  unsigned int *fails);

#endif
