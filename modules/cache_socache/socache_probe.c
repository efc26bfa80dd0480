/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The health probe of a network store (memcache, redis). httpd's memcache
 * client waits without limit for a server that accepts connections but
 * does not answer, so every child asks each server of its CacheSocache
 * line for a sign of life with a deadline of its own ("version" to
 * memcached, "PING" to Redis), at most once a second, before using the
 * store. A server that does not answer within SOCACHE_PROBE_TIMEOUT opens
 * the circuit breaker like any other failure.
 */
#include "apr_atomic.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "socache_private.h"

APLOG_USE_MODULE(cache_socache);

#define PROBE_TIMEOUT apr_time_from_msec(500)

/* One server: connect, ask, read the first bytes of the reply. */
static apr_status_t probe_one(apr_pool_t *pool, const char *host,
                              apr_port_t port, const char *ask,
                              const char *expect)
{
    apr_sockaddr_t *sa;
    apr_socket_t *sock;
    char buf[16];
    apr_size_t len = strlen(ask), got = 0;
    apr_status_t rv;

    if ((rv = apr_sockaddr_info_get(&sa, host, APR_UNSPEC, port, 0, pool)) !=
            APR_SUCCESS ||
        (rv = apr_socket_create(&sock, sa->family, SOCK_STREAM, APR_PROTO_TCP,
                                pool)) != APR_SUCCESS) {
        return rv;
    }
    apr_socket_timeout_set(sock, PROBE_TIMEOUT);
    if ((rv = apr_socket_connect(sock, sa)) == APR_SUCCESS &&
        (rv = apr_socket_send(sock, ask, &len)) == APR_SUCCESS) {
        while (got < strlen(expect) && rv == APR_SUCCESS) {
            apr_size_t n = sizeof(buf) - got;
            rv = apr_socket_recv(sock, buf + got, &n);
            got += n;
        }
        if (rv == APR_SUCCESS && strncmp(buf, expect, strlen(expect))) {
            rv = APR_EGENERAL;
        }
    }
    apr_socket_close(sock);
    return rv;
}

/* The servers of a "memcache:h:p,h:p" or "redis:h:p" spec. */
static apr_status_t probe_all(request_rec *r, const socache_store_t *st)
{
    int redis = !strncmp(st->spec, "redis:", 6);
    char *list = apr_pstrdup(r->pool, strchr(st->spec, ':') + 1);
    char *last, *server;

    for (server = apr_strtok(list, ",", &last); server;
         server = apr_strtok(NULL, ",", &last)) {
        char *host, *scope;
        apr_port_t port;
        apr_status_t rv;

        if (apr_parse_addr_port(&host, &scope, &port, server, r->pool) !=
                APR_SUCCESS ||
            !host) {
            continue; /* the provider checked it at startup */
        }
        rv = probe_one(r->pool, host, port ? port : (redis ? 6379 : 11211),
                       redis ? "PING\r\n" : "version\r\n",
                       redis ? "+PONG" : "VERSION");
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

int socache_probe(request_rec *r, socache_store_t *st)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t last = apr_atomic_read32(&st->probed);
    apr_status_t rv;

    if (!st->probe || now == last ||
        apr_atomic_cas32(&st->probed, now, last) != last) {
        return 1;
    }
    if ((rv = probe_all(r, st)) != APR_SUCCESS) {
        socache_breaker_failed(st->breaker, r, st, rv);
        return 0;
    }
    return 1;
}
