/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The relay_metrics optional hook: how modules other than mod_proxy add
 * their families to the `relay-metrics` handler's Prometheus text
 * (mod_cache adds relay_cache_*). mod_proxy runs the hook after its own
 * families; a module registers a function with
 *
 *     APR_OPTIONAL_HOOK(relay, relay_metrics, fn, NULL, NULL,
 *                       APR_HOOK_MIDDLE);
 *
 * in its register_hooks, which needs no symbol of mod_proxy: any
 * LoadModule order works, and without mod_proxy nothing runs it. The
 * function writes whole families (# HELP and # TYPE lines, then the
 * samples) with ap_rputs/ap_rprintf, names them relay_<module>_*, and
 * returns OK (or DECLINED when it has nothing to add).
 */
#ifndef RELAY_METRICS_HOOK_H
#define RELAY_METRICS_HOOK_H

#include "httpd.h"
#include "apr_optional_hooks.h"

#define RELAY_DECLARE(type) type
#define RELAY_DECLARE_NONSTD(type) type
#define RELAY_DECLARE_DATA

APR_DECLARE_EXTERNAL_HOOK(relay, RELAY, int, relay_metrics, (request_rec * r))

#endif
