/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The interface between Relay's proxy core (mod_proxy.c) and the modules
 * that speak an origin protocol (mod_proxy_http.c, later others) or carry
 * its bytes (the TLS transport of mod_proxy_ssl.c).
 *
 * Modules never link against each other's symbols: they meet through
 * httpd's provider registry, so any LoadModule order works.
 *
 *  - A scheme module registers a relay_scheme_t in RELAY_SCHEME_GROUP under
 *    the URL scheme it serves ("http", "ws", ...).
 *  - mod_proxy registers one relay_proxy_api_t in RELAY_PROXY_API_GROUP
 *    under the name "core": the services a scheme handler calls (pooled
 *    connections, worker health, response-header mapping).
 *  - A transport module registers a relay_transport_t in
 *    RELAY_TRANSPORT_GROUP under its name ("tcp", "tls").
 *  - mod_proxy_balancer registers the scheme "balancer": its handler picks
 *    a member of the relay_balancer_t that mod_proxy parsed (BalancerMember,
 *    ProxySet) and has mod_proxy serve the request through that member's
 *    own scheme (serve_member), trying another when the connect failed.
 *
 * Ownership: workers live in the configuration pool (pconf) and their
 * connection pools in the child process pool; a relay_proxy_req_t and
 * everything it points to that is not a worker lives in r->pool; a
 * relay_conn_t belongs to its worker's pool between requests and to the
 * request that acquired it until it is released.
 */
#ifndef RELAY_PROXY_H
#define RELAY_PROXY_H

#include "httpd.h"
#include "http_config.h"
#include "apr_network_io.h"
#include "apr_tables.h"

#include "relay/relay_lb.h"
#include "relay/relay_hcheck.h"
#include "relay/relay_metrics.h"
#include "relay/relay_proxy_error.h"
#include "relay/relay_reverse.h"
#include "relay/relay_response.h"

#define RELAY_SCHEME_GROUP "relay-proxy-scheme"
#define RELAY_SCHEME_VERSION                                                   \
    "2" /* 2: tls, tunnel, http, forward, close_by_default */
#define RELAY_PROXY_API_GROUP "relay-proxy-api"
#define RELAY_PROXY_API_VERSION                                                \
    "3" /* 2: balancer_find, serve_member,                                     \
         * worker_usable; connect_failed. 3: shared worker state */
#define RELAY_TRANSPORT_GROUP "relay-proxy-transport"
#define RELAY_TRANSPORT_VERSION "2" /* 2: key, check_worker, peer_name */

/* Every Relay module registers itself here under its stock module name
 * ("mod_proxy.c" ...), so that a stock module of the same name is told
 * apart from Relay's and a mix is refused at startup. */
#define RELAY_MODULE_GROUP "relay-module"
#define RELAY_MODULE_VERSION "1"

#define RELAY_WORKER_MAGIC 0x52574b52 /* "RWKR" */
#define RELAY_CONN_MAGIC 0x52434f4e   /* "RCON" */
#define RELAY_REQ_MAGIC 0x52524551    /* "RREQ" */

/*
 * A transport failure that is the origin's TLS, not its reachability
 * (handshake refused, certificate not verified): the transport has logged
 * it; mod_proxy does not put the worker in error state for it, and the
 * scheme handler answers 502.
 */
#define RELAY_ETLS (APR_OS_START_USERERR + 100)

/*
 * A TLS stream that ended without close_notify (RFC 8446 §6.1): the TCP
 * connection closed, by the origin or by anything on the path, so what
 * was received may have been cut short. A TLS transport's recv returns it
 * where a clean end (close_notify) gives APR_EOF. Where the framing says
 * the response was whole it is as good as APR_EOF; a body delimited by
 * the close is cut off by it.
 */
#define RELAY_ETLSEOF (APR_OS_START_USERERR + 101)

/*
 * The request note (r->notes) in which Relay's proxy modules leave the
 * cause of a failed proxied request, as a relay_proxy_error_name() string
 * (include/relay/relay_proxy_error.h): mod_proxy turns it into the
 * Proxy-Status field (ProxyStatusHeader), and LogFormat can show it as
 * %{relay-proxy-error}n. The last failure of a request wins.
 */
#define RELAY_NOTE_PROXY_ERROR "relay-proxy-error"

/* An unset numeric parameter. */
#define RELAY_UNSET (-1)

/* ProxyVia */
typedef enum relay_via_e {
    RELAY_VIA_OFF = 0,
    RELAY_VIA_ON,
    RELAY_VIA_FULL,
    RELAY_VIA_BLOCK
} relay_via_t;

/* ProxyBadHeader */
typedef enum relay_badheader_e {
    RELAY_BADHEADER_ISERROR = 0,
    RELAY_BADHEADER_IGNORE,
    RELAY_BADHEADER_STARTBODY
} relay_badheader_t;

/* flushpackets= */
typedef enum relay_flush_e {
    RELAY_FLUSH_OFF = 0,
    RELAY_FLUSH_ON,
    RELAY_FLUSH_AUTO
} relay_flush_t;

/*
 * Worker parameters (ProxyPass key=value, ProxySet). Times are in
 * microseconds; RELAY_UNSET (or 0 for strings) means "not given here".
 */
typedef struct relay_worker_params_t {
    apr_interval_time_t timeout;
    apr_interval_time_t connect_timeout;
    apr_interval_time_t retry;
    apr_interval_time_t ttl;
    apr_interval_time_t acquire;
    int max;
    int smax;
    int min; /* idle connections kept open past ttl (and still used) */
    int keepalive;
    int disablereuse;
    int flushpackets; /* relay_flush_t */
    apr_interval_time_t flushwait;
    int iobuffersize;
    int receivebuffersize; /* SO_RCVBUF of its sockets; 0: the system's */
    int responsefieldsize;
    int ping_ms;
    int addressttl; /* seconds a resolved origin address is kept; -1:
                     * until the child ends */
    int status;     /* status= of a worker outside balancers: RELAY_LB_* flags
                     * (relay/relay_lb.h), or RELAY_UNSET */
    relay_hc_params_t hc; /* health checks of a worker outside balancers
                           * (members have theirs in relay_member_t) */
    const char *upgrade;  /* protocol name accepted for Upgrade, or "*" */
    const char *secret;   /* AJP's shared secret (secret=), or NULL */
} relay_worker_params_t;

typedef struct relay_conn_pool_t relay_conn_pool_t;
typedef struct relay_scheme_t relay_scheme_t;

#define RELAY_SHARED_MAGIC 0x52534c54 /* "RSLT" */
#define RELAY_SHARED_NAME_MAX 256

/*
 * The state of one worker (or balancer) that every child process shares:
 * a slot in mod_proxy's shared memory segment, made in post_config and
 * kept across graceful restarts, found again by its name: the virtual
 * host's name and port and "|" (nothing for the main server), then
 * "balancer://b|" and the member's worker name, the worker name of a
 * plain worker, or the balancer's name. Fields change with apr_atomic_* only,
 * so that readers (status pages, metrics) need no lock; apr_time_t values
 * are stored as apr_uint64_t.
 */
typedef struct relay_worker_shared_t {
    volatile apr_uint64_t requests;    /* requests sent through it */
    volatile apr_uint64_t bytes_out;   /* bytes sent to the origin */
    volatile apr_uint64_t bytes_in;    /* bytes read from the origin */
    volatile apr_uint64_t errors;      /* times it was put in error state */
    volatile apr_uint64_t traffic;     /* bytes sent to clients (bytraffic) */
    volatile apr_uint64_t error_until; /* skip while now < error_until */
    volatile apr_uint64_t error_time;  /* when it last went into error */
    volatile apr_uint64_t hc_last;     /* time of its last health check */
    volatile apr_uint64_t hc_checks;   /* health checks run */
    volatile apr_uint32_t state;       /* RELAY_LB_* bits */
    volatile apr_uint32_t busy;        /* requests in flight */
    volatile apr_uint32_t lbstatus;    /* byrequests score (an int) */
    volatile apr_uint32_t lock;        /* balancers: pid holding the pick */
    volatile apr_uint32_t hc_passes;   /* consecutive passed checks */
    volatile apr_uint32_t hc_fails;    /* consecutive failed checks */
    /* Pooled connections of every child (proxy_conn.c keeps them): in
     * use by a request, and idle in a pool. */
    volatile apr_uint32_t conns_active;
    volatile apr_uint32_t conns_idle;
    /* What requests through it came to (mod_proxy counts them when the
     * scheme handler returns; the relay-metrics handler shows them). */
    volatile apr_uint64_t responses[RELAY_METRICS_CLASSES]; /* 1xx .. 5xx */
    volatile apr_uint64_t causes[RELAY_PROXY_ERROR_COUNT];  /* failures */
    volatile apr_uint64_t latency[RELAY_METRICS_BUCKETS];   /* durations */
    volatile apr_uint64_t latency_us; /* their sum, in microseconds */
    unsigned int magic;
    char name[RELAY_SHARED_NAME_MAX];
} relay_worker_shared_t;

/* A worker: one origin address and the connections pooled to it. */
typedef struct relay_worker_t {
    unsigned int magic;
    const char *name;   /* the URL it was made for, lower-case scheme */
    const char *scheme; /* "http", "https", "ws", "wss", "fcgi" ... */
    const relay_scheme_t *provider; /* the scheme's provider */
    const char *hostname;           /* origin host as written */
    apr_port_t port;                /* origin port, default filled in */
    const char *uds_path;           /* "unix:/path|" in its URL: the socket it
                                     * connects to (hostname then only names the
                                     * origin to the protocol), else NULL */
    int is_generic; /* built-in worker for URLs no ProxyPass made */
    relay_worker_params_t params; /* effective, defaults applied */
    const char *defined_in;       /* "file:line" of the first definition */
    const char *balancer; /* balancer://name it is a member of, or NULL */
    relay_worker_shared_t *shared; /* its slot (post_config); NULL for
                                    * the generic worker */

    /* Per child process, made in child_init. */
    relay_conn_pool_t *conns;
    apr_sockaddr_t *addr;  /* resolved origin address */
    apr_time_t addr_time;  /* when (addressttl=) */
    apr_pool_t *addr_pool; /* holds `addr` when addressttl= renews it */
} relay_worker_t;

typedef struct relay_transport_t relay_transport_t;

/* One connection to an origin, with its read buffer. */
typedef struct relay_conn_t {
    unsigned int magic;
    apr_pool_t *pool; /* lives as long as the connection */
    relay_worker_t *worker;
    apr_socket_t *sock;
    const relay_transport_t *transport;
    void *transport_ctx;
    char *buf; /* read buffer of buf_size bytes */
    apr_size_t buf_size;
    apr_size_t buf_pos;     /* first unread byte */
    apr_size_t buf_len;     /* end of the bytes read */
    apr_time_t last_used;   /* when it went idle */
    int requests;           /* requests sent on it so far */
    apr_uint64_t bytes_in;  /* bytes read from the origin, and */
    apr_uint64_t bytes_out; /* sent to it, not yet counted in the worker's
                             * slot (relay_conn_release counts them) */
    int reusable;           /* may go back to the pool when released */
    int gauge; /* which of the worker's connection gauges counts it */
    /* Set by mod_proxy before transport->open, in conn->pool: */
    const char *peer_name; /* the origin name the transport authenticates
                            * (TLS: SNI and certificate check) */
    const char *key;       /* transport->key for it, or NULL */
    /* The scheme module's, kept with the connection from one request to
     * the next (allocated from `pool`, starting with a magic number of
     * the module's), or NULL. */
    void *scheme_data;
} relay_conn_t;

/*
 * A byte carrier under a connection: plain TCP or TLS. recv and send
 * follow apr_socket_recv/send (APR_EOF at the end, APR_TIMEUP when the
 * socket's timeout passes); a TLS recv returns RELAY_ETLSEOF instead of
 * APR_EOF for an end without close_notify.
 */
struct relay_transport_t {
    const char *name;
    /* Called once after connect, before any request bytes; `hostname` is
     * conn->peer_name. Returns RELAY_ETLS (after logging the cause) when
     * the origin's TLS fails, APR_ENOTIMPL when this request may not use
     * the transport (logged too). */
    apr_status_t (*open)(relay_conn_t *conn, request_rec *r,
                         const char *hostname);
    apr_status_t (*recv)(relay_conn_t *conn, char *buf, apr_size_t *len);
    apr_status_t (*send)(relay_conn_t *conn, const char *buf, apr_size_t *len);
    /* True when bytes are already buffered below the socket (TLS). */
    int (*has_pending)(relay_conn_t *conn);
    void (*close)(relay_conn_t *conn);
    /* Optional: a string naming everything open() depends on for this
     * request and peer name (TLS: the settings in force and the name). A
     * pooled connection is handed only to a request with an equal key.
     * Allocated in r->pool. */
    const char *(*key)(request_rec *r, const char *peer_name);
    /* Optional, at startup: checks that `dir_conf` (a server's
     * configuration merged with the <Proxy> sections matching the
     * worker's URL) lets this transport serve worker `w`. Returns an
     * error message for the startup log, or NULL. */
    const char *(*check_worker)(server_rec *s, ap_conf_vector_t *dir_conf,
                                const relay_worker_t *w, apr_pool_t *p);
};

/*
 * Everything a scheme handler needs to know about one proxied request:
 * where it goes and the per-directory proxy settings in force.
 */
typedef struct relay_proxy_req_t {
    unsigned int magic;
    request_rec *r;
    relay_worker_t *worker;
    const char *url; /* full origin URL */
    const char *scheme;
    const relay_scheme_t *provider; /* serving the scheme */
    const char *hostname;
    apr_port_t port;
    /* The unix socket to connect to, from the configuration only (the
     * worker's URL or SetHandler "proxy:unix:/path|..."), or NULL. */
    const char *uds_path;
    const char *target; /* request target: path and query, safe */
    int is_forward;     /* forward proxy (absolute-URI client request) */
    /* Through an upstream proxy (ProxyRemote): the worker is the proxy's,
     * `target` the absolute URL; its credentials, or NULL. */
    int via_remote;
    const char *remote_auth;

    int preserve_host;
    int add_headers;
    int proxy100; /* Proxy100Continue */
    int error_override;
    apr_array_header_t *error_override_codes; /* int; empty means all */
    relay_via_t via;
    relay_badheader_t bad_header;
    int max_forwards; /* ProxyMaxForwards, -1 for none */
    apr_size_t io_buffer_size;

    const apr_array_header_t *reverse;        /* relay_reverse_rule_t */
    const apr_array_header_t *cookie_paths;   /* relay_cookie_rule_t */
    const apr_array_header_t *cookie_domains; /* relay_cookie_rule_t */

    /* Set by acquire when no connection to the origin could be had (its
     * worker in error state, or the connect failed): nothing of the
     * request went out, so a balancer may try another member. */
    int connect_failed;
} relay_proxy_req_t;

/* One BalancerMember: a worker of its own, and its balancing state. */
typedef struct relay_member_t {
    relay_worker_t *worker;
    const char *url;      /* as written in BalancerMember */
    const char *route;    /* route=, or NULL */
    const char *redirect; /* redirect=: route taking its sessions while it
                           * cannot serve, or NULL */
    /* lbfactor, lbset, flags from the configuration; the running state
     * (state, lbstatus, busy, traffic) is in worker->shared. */
    relay_lb_member_t lb;
    relay_hc_params_t hc; /* health checks (balancer's defaults merged) */
} relay_member_t;

/* A balancer://name: its members and ProxySet parameters (pconf). */
typedef struct relay_balancer_t {
    const char *name;            /* "balancer://name", lower case */
    apr_array_header_t *members; /* relay_member_t */
    relay_lb_method_t lbmethod;
    const char *sticky_cookie; /* stickysession=, cookie name, or NULL */
    const char *sticky_param;  /* URL parameter name (after '|'), or NULL */
    int scolonpathdelim;       /* ';' also ends a URL parameter */
    char sticky_sep; /* stickysessionsep: before the route in a session
                      * value ('.'); 0 (Off): the whole value is the route */
    int maxattempts; /* RELAY_UNSET: members - 1 */
    int nofailover;  /* a sticky session never changes member */
    apr_array_header_t *failonstatus; /* int: statuses that fail a member */
    int failontimeout;                /* a 504 from a member fails it */
    int forcerecovery;                /* all in error: try them at once */
    apr_interval_time_t timeout;      /* wait this long for a member */
    int growth;                       /* BalancerGrowth / growth= */
    relay_hc_params_t hc;             /* ProxySet hc* defaults */
    const char *defined_in;
    relay_worker_shared_t *shared; /* its slot: requests, pick lock */
} relay_balancer_t;

/* Services of mod_proxy that scheme handlers call. */
typedef struct relay_proxy_api_t {
    /*
     * Hands out a connection to the request's origin: an idle pooled one
     * when `fresh` is 0 and one is usable, else a new one. On failure the
     * worker is put in error state and the status tells the cause
     * (APR_TIMEUP for a connect timeout). *reused tells which it was.
     */
    apr_status_t (*acquire)(relay_proxy_req_t *pr, int fresh,
                            relay_conn_t **conn, int *reused);
    /* Returns a connection: pooled when reusable, else closed. */
    void (*release)(relay_conn_t *conn);
    /* Maps Location, Content-Location, URI and Set-Cookie of a response
     * through ProxyPassReverse and its cookie forms. */
    void (*map_response_headers)(relay_proxy_req_t *pr, apr_table_t *headers);
    /* The Via value this gateway adds ("1.1 host" or with version). */
    const char *(*via_value)(relay_proxy_req_t *pr, int http_minor);

    /* Version 2, for mod_proxy_balancer. */
    /* The balancer named by pr->url (balancer://name/...), or NULL. */
    relay_balancer_t *(*balancer_find)(relay_proxy_req_t *pr);
    /* Serves the request through `member`: the URL is the member's URL
     * followed by pr->target, the scheme the member's. Returns as a scheme
     * handler does; *connect_failed tells that nothing was sent because
     * the member could not be reached. */
    int (*serve_member)(relay_proxy_req_t *pr, relay_member_t *member,
                        int *connect_failed);
    /* Whether the worker is out of its error state at `now`. */
    int (*worker_usable)(relay_worker_t *w, apr_time_t now);

    /* Version 3: the shared state (every child process sees the same). */
    /* Puts the worker in error state for its retry time; `why` is logged
     * once per outage (with `r` when there is a request). */
    void (*worker_fail)(relay_worker_t *w, server_rec *s, request_rec *r,
                        const char *why);
    /* Takes it out of error state (no log line: the caller says why). */
    void (*worker_recover)(relay_worker_t *w, server_rec *s);
    /* The balancers (relay_balancer_t *) and workers (relay_worker_t *)
     * of server `s`, for status pages, metrics and health checks. */
    const apr_array_header_t *(*server_balancers)(server_rec *s);
    const apr_array_header_t *(*server_workers)(server_rec *s);
    /* ProxyStatus of `s`: 0 Off, 1 On, 2 Full. */
    int (*status_level)(server_rec *s);
    /* Serialises the picks of a balancer across processes and threads;
     * held for the pick only, never across I/O. */
    void (*balancer_lock)(relay_balancer_t *b);
    void (*balancer_unlock)(relay_balancer_t *b);
} relay_proxy_api_t;

/*
 * An origin protocol, registered under its URL scheme's name (a module
 * serving several schemes registers one each). Every fact about a scheme
 * lives here: mod_proxy and the other modules ask the provider and never
 * compare scheme names. Written with designated initializers, so that a
 * field added later is zero in the modules that do not know it.
 */
struct relay_scheme_t {
    const char *name;        /* "http", "https", "fcgi" ... */
    apr_port_t default_port; /* for a URL without one; 0: none */
    int tls;                 /* carried over the "tls" transport */
    int tunnel;              /* a tunnel scheme (ws, wss): Upgrade: websocket is
                              * allowed without upgrade= */
    int http;                /* speaks HTTP/1.1 to the origin: health checks may
                              * send a request (hcmethod GET ...) */
    int forward;             /* a forward proxy (ProxyRequests On) takes
                              * absolute URLs of this scheme from clients */
    int close_by_default;    /* its workers close connections after each
                              * request unless enablereuse=on (fcgi) */
    /* Serves the request: returns OK once a response was sent (or the
     * client connection was aborted), else an HTTP status for httpd's
     * error machinery (and ErrorDocument) to answer with. */
    int (*handle)(relay_proxy_req_t *pr, const relay_proxy_api_t *api);
};

#endif
