/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Log tags. Every ap_log_*error call site in Relay starts its message with
 * RELAY_LOGNO(nnnnn), giving "RLnnnnn: ", unique across the project (a CI
 * script checks it), so a log line leads straight to its source and the
 * troubleshooting page. Ranges: 01xxx mod_proxy, 02xxx mod_proxy_http, 03xxx
 * mod_proxy_ssl, 04000-04499 mod_cache, 04500-04999 mod_mem_cache,
 * 05xxx mod_proxy_balancer, 06000-06499 mod_cache_disk, 06500-06999
 * mod_cache_socache, 07xxx mod_proxy_fcgi, 08xxx mod_proxy_ajp.
 */
#ifndef RELAY_LOG_H
#define RELAY_LOG_H

#define RELAY_LOGNO(n) "RL" #n ": "

#endif
