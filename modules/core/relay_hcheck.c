/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Health-check decisions (see relay/relay_hcheck.h): parameters, the
 * verdict on a probe's status, and the transitions after hcfails failed
 * or hcpasses passed probes in a row.
 */
#include <strings.h>

#include "relay/relay_hcheck.h"

void relay_hc_params_unset(relay_hc_params_t *hc)
{
    hc->method = -1;
    hc->uri = 0;
    hc->expr = 0;
    hc->interval = -1;
    hc->timeout = -1;
    hc->passes = -1;
    hc->fails = -1;
}

void relay_hc_params_overlay(relay_hc_params_t *base,
                             const relay_hc_params_t *add)
{
    if (add->method != -1) {
        base->method = add->method;
    }
    if (add->expr) {
        base->expr = add->expr;
    }
    if (add->uri) {
        base->uri = add->uri;
    }
    if (add->interval != -1) {
        base->interval = add->interval;
    }
    if (add->timeout != -1) {
        base->timeout = add->timeout;
    }
    if (add->passes != -1) {
        base->passes = add->passes;
    }
    if (add->fails != -1) {
        base->fails = add->fails;
    }
}

void relay_hc_params_finish(relay_hc_params_t *hc)
{
    if (hc->method == -1) {
        hc->method = RELAY_HC_NONE;
    }
    if (hc->interval == -1) {
        hc->interval = RELAY_HC_DEFAULT_INTERVAL;
    }
    if (hc->timeout == -1) {
        hc->timeout = hc->interval < RELAY_HC_DEFAULT_TIMEOUT
                          ? hc->interval
                          : RELAY_HC_DEFAULT_TIMEOUT;
    }
    if (hc->passes == -1) {
        hc->passes = RELAY_HC_DEFAULT_PASSES;
    }
    if (hc->fails == -1) {
        hc->fails = RELAY_HC_DEFAULT_FAILS;
    }
}

static const char *const method_names[] = {
    "None", "TCP", "OPTIONS", "HEAD", "GET", "OPTIONS11", "HEAD11", "GET11"};

#define METHODS ((int)(sizeof(method_names) / sizeof(method_names[0])))

int relay_hc_method_parse(const char *name, relay_hc_method_t *out)
{
    int i;

    for (i = 0; i < METHODS; i++) {
        if (!strcasecmp(name, method_names[i])) {
            *out = (relay_hc_method_t)i;
            return 0;
        }
    }
    return -1;
}

const char *relay_hc_method_name(relay_hc_method_t method)
{
    return (unsigned)method < METHODS ? method_names[method] : "unknown";
}

int relay_hc_method_is_http11(relay_hc_method_t method)
{
    return method >= RELAY_HC_OPTIONS11 && method <= RELAY_HC_GET11;
}

const char *relay_hc_method_verb(relay_hc_method_t method)
{
    if (relay_hc_method_is_http11(method)) {
        method -= RELAY_HC_OPTIONS11 - RELAY_HC_OPTIONS;
    }
    return relay_hc_method_name(method);
}

int relay_hc_status_passes(int status)
{
    return status >= 200 && status < 400;
}

relay_hc_change_t relay_hc_record(const relay_hc_params_t *hc, int failed,
                                  int passed_probe, unsigned int *passes,
                                  unsigned int *fails)
{
    if (passed_probe) {
        *fails = 0;
        if (*passes < 0x7fffffffU) {
            (*passes)++;
        }
        return failed && *passes >= (unsigned int)hc->passes ? RELAY_HC_UP
                                                             : RELAY_HC_SAME;
    }
    *passes = 0;
    if (*fails < 0x7fffffffU) {
        (*fails)++;
    }
    return !failed && *fails >= (unsigned int)hc->fails ? RELAY_HC_DOWN
                                                        : RELAY_HC_SAME;
}
