/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The request side of an AJP/1.3 exchange ("Request Packet Structure" of
 * the AJP/1.3 reference): the FORWARD_REQUEST with the method code, the
 * client's fields (coded where the protocol has a code), and the
 * attributes stock sends: remote user, auth type, query string, the TLS
 * facts of the client connection, the worker's secret, and as request
 * attributes AJP_REMOTE_PORT, AJP_LOCAL_ADDR, AJP_SSL_PROTOCOL and every
 * AJP_* variable of the request's environment. Request attributes under
 * the servlet specification's own names (javax.servlet.*,
 * jakarta.servlet.*) are never sent, whatever the configuration says.
 * The body follows in packets: the first at once, the others as the
 * container asks for them (GET_BODY_CHUNK), an empty one at its end.
 */
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_ssl.h"

#include "ajp_private.h"

/* Attributes of a request: most requests have a handful, held on the
 * stack; more go to the request pool. */
#define ATTRS_ON_STACK 24

typedef struct attr_list_t {
    relay_ajp_attribute_t *elts;
    int nelts;
    int cap;
    apr_pool_t *pool;
} attr_list_t;

static void add_attribute(attr_list_t *attrs, apr_byte_t code, const char *name,
                          const char *value)
{
    relay_ajp_attribute_t *a;

    if (!value) {
        return;
    }
    if (attrs->nelts == attrs->cap) {
        relay_ajp_attribute_t *more =
            apr_palloc(attrs->pool, 2 * attrs->cap * sizeof(*more));
        memcpy(more, attrs->elts, attrs->nelts * sizeof(*more));
        attrs->elts = more;
        attrs->cap *= 2;
    }
    a = &attrs->elts[attrs->nelts++];
    a->code = code;
    a->name = name;
    a->value = value;
}

/* Names a servlet container gives meaning of its own: never forwarded. */
static int reserved_name(const char *name)
{
    return !strncmp(name, "javax.servlet.", 14) ||
           !strncmp(name, "jakarta.servlet.", 16);
}

static const char *ssl_var(request_rec *r, const char *name)
{
    const char *v =
        ap_ssl_var_lookup(r->pool, r->server, r->connection, r, name);
    return v && *v ? v : NULL;
}

/* Writes the decimal digits of `v` into buf (room for 6 bytes). */
static const char *port_digits(char *buf, apr_port_t v)
{
    char *p = buf + 5;

    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

static void attributes(ajp_exchange_t *ex, attr_list_t *attrs, int is_ssl,
                       int stored, char *port_buf)
{
    request_rec *r = ex->r;
    const apr_array_header_t *env = apr_table_elts(r->subprocess_env);
    const apr_table_entry_t *e = (const apr_table_entry_t *)env->elts;
    int i;

    add_attribute(attrs, RELAY_AJP_A_REMOTE_USER, NULL, r->user);
    add_attribute(attrs, RELAY_AJP_A_AUTH_TYPE, NULL, r->ap_auth_type);
    add_attribute(attrs, RELAY_AJP_A_QUERY_STRING, NULL, r->args);
    if (is_ssl) {
        add_attribute(attrs, RELAY_AJP_A_SSL_CERT, NULL,
                      ssl_var(r, "SSL_CLIENT_CERT"));
        add_attribute(attrs, RELAY_AJP_A_SSL_CIPHER, NULL,
                      ssl_var(r, "SSL_CIPHER"));
        add_attribute(attrs, RELAY_AJP_A_SSL_SESSION, NULL,
                      ssl_var(r, "SSL_SESSION_ID"));
        add_attribute(attrs, RELAY_AJP_A_SSL_KEY_SIZE, NULL,
                      ssl_var(r, "SSL_CIPHER_USEKEYSIZE"));
        add_attribute(attrs, RELAY_AJP_A_REQ_ATTRIBUTE, "AJP_SSL_PROTOCOL",
                      ssl_var(r, "SSL_PROTOCOL"));
    }
    add_attribute(attrs, RELAY_AJP_A_SECRET, NULL,
                  ex->pr->worker->params.secret);
    if (stored) {
        add_attribute(attrs, RELAY_AJP_A_STORED_METHOD, NULL, r->method);
    }
    add_attribute(
        attrs, RELAY_AJP_A_REQ_ATTRIBUTE, "AJP_REMOTE_PORT",
        port_digits(port_buf, r->useragent_addr
                                  ? r->useragent_addr->port
                                  : r->connection->client_addr->port));
    add_attribute(attrs, RELAY_AJP_A_REQ_ATTRIBUTE, "AJP_LOCAL_ADDR",
                  r->connection->local_ip);
    for (i = 0; i < env->nelts; i++) {
        if (e[i].key && !strncmp(e[i].key, "AJP_", 4) && e[i].key[4] &&
            !reserved_name(e[i].key + 4)) {
            add_attribute(attrs, RELAY_AJP_A_REQ_ATTRIBUTE, e[i].key + 4,
                          e[i].val);
        }
    }
}

/* The request's fields, in order, into out[] (room for all of them);
 * returns how many. */
static int fields(request_rec *r, relay_ajp_header_t *out)
{
    const apr_array_header_t *in = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)in->elts;
    int i, n = 0;

    for (i = 0; i < in->nelts; i++) {
        if (!e[i].key) {
            continue;
        }
        out[n].name = e[i].key;
        out[n].value = e[i].val ? e[i].val : "";
        n++;
    }
    return n;
}

/* Fields of a request held on the stack; more go to the request pool. */
#define FIELDS_ON_STACK 32

/* The path the container gets: the mapped URL's, without its query. */
static const char *request_uri(ajp_exchange_t *ex)
{
    const char *target = ex->pr->target;
    apr_size_t n = strcspn(target, "?");

    return target[n] ? apr_pstrmemdup(ex->r->pool, target, n) : target;
}

/* The first body packet goes out with the request, as containers expect
 * when the request has a body. */
static apr_status_t send_first_chunk(ajp_exchange_t *ex)
{
    if (!ex->has_body) {
        return APR_SUCCESS;
    }
    return ajp_send_body_chunk(ex, ex->max_packet - RELAY_AJP_BODY_HEADER_LEN);
}

apr_status_t ajp_send_request(ajp_exchange_t *ex, int *status)
{
    request_rec *r = ex->r;
    relay_ajp_request_t req;
    relay_ajp_attribute_t attr_stack[ATTRS_ON_STACK];
    relay_ajp_header_t field_stack[FIELDS_ON_STACK], *hdrs = field_stack;
    attr_list_t attrs = {attr_stack, 0, ATTRS_ON_STACK, r->pool};
    int nfields = apr_table_elts(r->headers_in)->nelts;
    int is_ssl = ap_ssl_conn_is_ssl(r->connection);
    char port_buf[6];
    apr_size_t len = 0;
    apr_status_t rv;

    memset(&req, 0, sizeof(req));
    req.method = relay_ajp_method_code(r->method);
    if (!req.method) {
        req.method = RELAY_AJP_M_STORED;
    }
    attributes(ex, &attrs, is_ssl, req.method == RELAY_AJP_M_STORED, port_buf);
    if (nfields > FIELDS_ON_STACK) {
        hdrs = apr_palloc(r->pool, nfields * sizeof(*hdrs));
    }
    req.protocol = r->protocol;
    req.req_uri = request_uri(ex);
    req.remote_addr = r->useragent_ip;
    req.remote_host = ap_get_useragent_host(r, REMOTE_HOST, NULL);
    req.server_name = ap_get_server_name(r);
    req.server_port = ap_get_server_port(r);
    req.is_ssl = is_ssl;
    req.headers = hdrs;
    req.nheaders = fields(r, hdrs);
    req.attributes = attrs.elts;
    req.nattributes = attrs.nelts;
    if (relay_ajp_forward_request_write(ex->out, ex->max_packet, &req, &len) !=
        RELAY_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      RELAY_LOGNO(08001) "the request's fields and "
                                         "attributes do not fit in an AJP "
                                         "packet of %" APR_SIZE_T_FMT
                                         " bytes (ProxyIOBufferSize)",
                      ex->max_packet);
        *status = HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
        return APR_EINVAL;
    }
    rv = relay_exchange_send_all(ex->conn, ex->out, len);
    if (rv == APR_SUCCESS) {
        rv = send_first_chunk(ex);
    }
    return rv;
}

/* Reads up to `want` body bytes from the client into ex->out after the
 * body packet's header; *len gets how many, *eos whether the body ended. */
static apr_status_t read_client_body(ajp_exchange_t *ex, apr_size_t want,
                                     apr_size_t *len, int *eos)
{
    request_rec *r = ex->r;
    char *dst = ex->out + RELAY_AJP_BODY_HEADER_LEN;
    apr_status_t rv;

    *len = 0;
    *eos = 0;
    while (*len < want && !*eos) {
        apr_bucket *b;
        rv = ap_get_brigade(r->input_filters, ex->bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, want - *len);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        ex->body_started = 1;
        for (b = APR_BRIGADE_FIRST(ex->bb); b != APR_BRIGADE_SENTINEL(ex->bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(b)) {
                *eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b) ||
                apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS) {
                continue;
            }
            if (n > want - *len) {
                n = want - *len; /* READBYTES gives no more than asked */
            }
            memcpy(dst + *len, data, n);
            *len += n;
        }
        apr_brigade_cleanup(ex->bb);
    }
    return APR_SUCCESS;
}

apr_status_t ajp_send_body_chunk(ajp_exchange_t *ex, apr_size_t want)
{
    apr_size_t room = ex->max_packet - RELAY_AJP_BODY_HEADER_LEN;
    apr_size_t n = 0, len = 0;
    apr_status_t rv;
    int eos = 1;

    if (want > room) {
        want = room;
    }
    if (ex->has_body && !ex->body_done && want > 0) {
        rv = read_client_body(ex, want, &n, &eos);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, ex->r,
                          RELAY_LOGNO(08002) "reading the request body from "
                                             "the client failed");
            return rv;
        }
    }
    if (eos) {
        ex->body_done = 1;
    }
    if (n == 0) {
        /* The empty packet answers a request for more once the body is
         * over; it is never sent unasked, or it would sit unread on the
         * connection when the container knew the length. */
        ex->out[0] = 0x12;
        ex->out[1] = 0x34;
        ex->out[2] = ex->out[3] = 0;
        return relay_exchange_send_all(ex->conn, ex->out, RELAY_AJP_HEADER_LEN);
    }
    relay_ajp_body_write(ex->out, ex->max_packet,
                         ex->out + RELAY_AJP_BODY_HEADER_LEN, n, &len);
    return relay_exchange_send_all(ex->conn, ex->out, len);
}

/* CPing/CPong on a pooled connection ("ping=", AJP/1.3's CPing request):
 * the container must answer within the ping time. */
apr_status_t ajp_cping(ajp_exchange_t *ex)
{
    relay_conn_t *c = ex->conn;
    apr_interval_time_t saved;
    relay_ajp_reader_t rd;
    relay_ajp_event_t ev;
    char ping[RELAY_AJP_CPING_LEN];
    apr_status_t rv;

    relay_ajp_cping_write(ping);
    rv = relay_exchange_send_all(c, ping, sizeof(ping));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_socket_timeout_get(c->sock, &saved);
    apr_socket_timeout_set(c->sock,
                           apr_time_from_msec(ex->pr->worker->params.ping_ms));
    relay_ajp_reader_init(&rd, ex->in, ex->max_packet);
    memset(&ev, 0, sizeof(ev));
    while (rv == APR_SUCCESS && ev.kind == RELAY_AJP_EV_NONE) {
        char buf[16];
        apr_size_t n = sizeof(buf), off = 0;
        rv = c->transport->recv(c, buf, &n);
        if (rv == APR_SUCCESS && n == 0) {
            rv = APR_EOF;
        }
        while (rv == APR_SUCCESS && off < n && ev.kind == RELAY_AJP_EV_NONE) {
            apr_size_t used = 0;
            if (relay_ajp_read(&rd, NULL, buf + off, n - off, &used, &ev) < 0) {
                rv = APR_EGENERAL;
            }
            off += used;
        }
    }
    apr_socket_timeout_set(c->sock, saved);
    /* Anything but a CPong (bytes left over from an earlier exchange, a
     * container out of step) makes the connection unusable. */
    return rv == APR_SUCCESS && ev.kind != RELAY_AJP_EV_CPONG ? APR_EGENERAL
                                                              : rv;
}
