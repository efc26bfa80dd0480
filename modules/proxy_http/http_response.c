/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The response half of an exchange: reading the origin's head (interim
 * 1xx responses included), checking its framing, turning it into the
 * client's response, and streaming the body through the output filters
 * one buffer at a time. The buffer is the connection's; its bytes go
 * downstream as transient buckets, so a slow client holds the origin back
 * instead of growing memory.
 */
#include "apr_poll.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "relay/relay_chunked.h"
#include "relay/relay_headers.h"
#include "http_private.h"

/* How long to wait for the origin's 100 (Continue) before sending the body
 * anyway, as RFC 9110 §10.1.1 lets a client do. */
#define RELAY_CONTINUE_WAIT apr_time_from_sec(1)
#define RELAY_MIN_RESPONSE_FIELDS 100

/* Interim (1xx) responses accepted before the final one, as stock. */
#define RELAY_MAX_INTERIM 10

/* Statuses of read_head() besides APR's: the head is malformed, or the
 * origin closed the connection inside it. */
#define RELAY_EMALFORMED APR_OS_START_USERERR
#define RELAY_EINCOMPLETE (APR_OS_START_USERERR + 1)

static void parse_limits(relay_http_exchange_t *ex, relay_response_limits_t *l)
{
    l->max_head = ex->conn->buf_size;
    l->max_line = (apr_size_t)ex->pr->worker->params.responsefieldsize;
    l->max_fields = ex->r->server->limit_req_fields > RELAY_MIN_RESPONSE_FIELDS
                        ? ex->r->server->limit_req_fields
                        : RELAY_MIN_RESPONSE_FIELDS;
    l->bad_header = ex->pr->bad_header == RELAY_BADHEADER_ISERROR
                        ? RELAY_BAD_HEADER_ERROR
                        : RELAY_BAD_HEADER_IGNORE;
}

/*
 * Receives like the transport's recv, but gives up at `deadline`
 * (APR_TIMEUP), so that a head trickling in a byte at a time cannot hold
 * the request longer than the timeout.
 */
static apr_status_t recv_by(relay_conn_t *c, char *buf, apr_size_t *n,
                            apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();

    if (left <= 0) {
        *n = 0;
        return APR_TIMEUP;
    }
    apr_socket_timeout_set(c->sock, left);
    return c->transport->recv(c, buf, n);
}

/*
 * Reads one response head from the connection, all of it before
 * `deadline`. Returns APR_SUCCESS, APR_EOF when the origin closed before
 * sending any byte of it, RELAY_EMALFORMED with *perr telling why, or the
 * I/O error.
 */
static apr_status_t read_head_by(relay_http_exchange_t *ex,
                                 relay_response_head_t *head,
                                 relay_status_t *perr, apr_time_t deadline)
{
    relay_conn_t *c = ex->conn;
    relay_response_limits_t limits;
    relay_response_progress_t progress = {0, 0, 0, 0, 0};
    apr_size_t head_len;

    parse_limits(ex, &limits);
    for (;;) {
        apr_size_t n;
        apr_status_t rv;

        /* Each read's bytes are looked at once (the progress is relative
         * to buf_pos, which the move below keeps). */
        if (c->buf_len > c->buf_pos) {
            relay_status_t st = relay_response_parse_more(
                &progress, c->buf + c->buf_pos, c->buf_len - c->buf_pos,
                &limits, ex->r->pool, head, &head_len);
            if (st == RELAY_OK) {
                c->buf_pos += head_len;
                return APR_SUCCESS;
            }
            if (st != RELAY_AGAIN) {
                *perr = st;
                return RELAY_EMALFORMED;
            }
        }
        if (c->buf_pos > 0) {
            memmove(c->buf, c->buf + c->buf_pos, c->buf_len - c->buf_pos);
            c->buf_len -= c->buf_pos;
            c->buf_pos = 0;
        }
        if (c->buf_len == c->buf_size) {
            *perr = RELAY_ETOOLARGE;
            return RELAY_EMALFORMED;
        }
        n = c->buf_size - c->buf_len;
        rv = recv_by(c, c->buf + c->buf_len, &n, deadline);
        c->buf_len += n;
        c->bytes_in += n;
        if (n == 0 && (rv == APR_SUCCESS || APR_STATUS_IS_EOF(rv))) {
            rv = APR_EOF;
        }
        if (rv != APR_SUCCESS && n == 0) {
            if ((APR_STATUS_IS_EOF(rv) || rv == RELAY_ETLSEOF) &&
                c->buf_len > 0) {
                *perr = RELAY_EBADSTATUS; /* closed inside the head */
                return RELAY_EINCOMPLETE;
            }
            return rv;
        }
    }
}

/* The deadline of a head phase that starts now: the socket's current
 * timeout, counted for the whole phase rather than per read. */
static apr_time_t head_deadline(relay_conn_t *c)
{
    apr_interval_time_t timeout;

    apr_socket_timeout_get(c->sock, &timeout);
    return timeout > 0 ? apr_time_now() + timeout : APR_INT64_MAX;
}

/* Reads one response head by `deadline`, leaving the socket's timeout as
 * it was. */
static apr_status_t read_head(relay_http_exchange_t *ex,
                              relay_response_head_t *head, relay_status_t *perr,
                              apr_time_t deadline)
{
    relay_conn_t *c = ex->conn;
    apr_interval_time_t timeout;
    apr_status_t rv;

    apr_socket_timeout_get(c->sock, &timeout);
    rv = read_head_by(ex, head, perr, deadline);
    apr_socket_timeout_set(c->sock, timeout);
    return rv;
}

/*
 * Counts an interim response. More than RELAY_MAX_INTERIM of them for one
 * request is an origin stalling or attacking: the exchange ends with a
 * 502 (as stock), and the connection is not reused.
 */
static int interim_over(relay_http_exchange_t *ex)
{
    if (++ex->interim <= RELAY_MAX_INTERIM) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, ex->r,
                  RELAY_LOGNO(02015) "worker %s: more than %d interim (1xx) "
                                     "responses to %s %s",
                  ex->pr->worker->name, RELAY_MAX_INTERIM, ex->r->method,
                  ex->pr->target);
    ex->conn->reusable = 0;
    relay_error_note_set(ex->r, RELAY_PROXY_ERROR_MALFORMED);
    return 1;
}

/* Logs a failed head read and gives the client's status for it. */
static int head_failure(relay_http_exchange_t *ex, apr_status_t rv,
                        relay_status_t err)
{
    request_rec *r = ex->r;
    const char *worker = ex->pr->worker->name;

    ex->conn->reusable = 0;
    if (rv == RELAY_ETLS) {
        relay_error_note_set(r, RELAY_PROXY_ERROR_TLS_PROTOCOL);
        return HTTP_BAD_GATEWAY; /* logged by the TLS transport */
    }
    if (rv == RELAY_EMALFORMED || rv == RELAY_EINCOMPLETE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(02010) "worker %s: malformed response to "
                                         "%s %s: %s",
                      worker, r->method, ex->pr->target,
                      rv == RELAY_EINCOMPLETE
                          ? "the origin closed the connection inside the head"
                          : relay_status_describe(err));
        relay_error_note_set(r, rv == RELAY_EINCOMPLETE
                                    ? RELAY_PROXY_ERROR_INCOMPLETE
                                    : relay_proxy_error_of_response(err));
        return HTTP_BAD_GATEWAY;
    }
    if (APR_STATUS_IS_TIMEUP(rv)) {
        relay_error_note_set(r, RELAY_PROXY_ERROR_RESPONSE_TIMEOUT);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      RELAY_LOGNO(02011) "worker %s: timed out waiting for "
                                         "the response to %s %s",
                      worker, r->method, ex->pr->target);
        return HTTP_GATEWAY_TIME_OUT;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv == RELAY_ETLSEOF ? 0 : rv, r,
                  RELAY_LOGNO(02012) "worker %s: connection closed%s before "
                                     "a response to %s %s",
                  worker,
                  rv == RELAY_ETLSEOF ? " without TLS close_notify" : "",
                  r->method, ex->pr->target);
    relay_error_note_set(r, RELAY_PROXY_ERROR_CLOSED);
    return HTTP_BAD_GATEWAY;
}

/* Sends an interim response (103 Early Hints ...) on to the client. */
static void forward_interim(relay_http_exchange_t *ex,
                            relay_response_head_t *head)
{
    request_rec *r = ex->r;
    const char *policy =
        apr_table_get(r->subprocess_env, "proxy-interim-response");
    apr_table_t *saved_headers = r->headers_out;
    int saved_status = r->status;
    const char *saved_line = r->status_line;

    if ((policy && !strcasecmp(policy, "Suppress")) ||
        head->status == HTTP_CONTINUE) {
        return;
    }
    relay_headers_strip_hop_by_hop(head->headers, 0);
    r->headers_out = head->headers;
    r->status = head->status;
    r->status_line = apr_psprintf(r->pool, "%d %s", head->status,
                                  *head->reason ? head->reason : "Interim");
    ap_send_interim_response(r, 1);
    r->headers_out = saved_headers;
    r->status = saved_status;
    r->status_line = saved_line;
}

/*
 * Reads heads until the final response (or a 101 for an upgrade), passing
 * interim ones on. Returns OK with ex->head set, RELAY_HTTP_RETRY when a
 * reused connection turned out dead before any byte, or an HTTP status.
 */
int relay_http_read_response(relay_http_exchange_t *ex)
{
    relay_status_t err = RELAY_OK;
    apr_time_t deadline = head_deadline(ex->conn);

    for (;;) {
        apr_status_t rv = read_head(ex, &ex->head, &err, deadline);
        if (rv != APR_SUCCESS) {
            /* An idle connection the origin closed, with close_notify
             * or without (many TLS servers send none). */
            if (ex->reused && !ex->body_started &&
                (APR_STATUS_IS_EOF(rv) || rv == RELAY_ETLSEOF ||
                 APR_STATUS_IS_ECONNRESET(rv))) {
                ex->conn->reusable = 0;
                return RELAY_HTTP_RETRY;
            }
            return head_failure(ex, rv, err);
        }
        if (ex->head.status == HTTP_SWITCHING_PROTOCOLS) {
            if (ex->upgrade) {
                return OK;
            }
            ap_log_rerror(
                APLOG_MARK, APLOG_ERR, 0, ex->r,
                RELAY_LOGNO(02013) "worker %s: 101 response to a "
                                   "request that asked for no upgrade",
                ex->pr->worker->name);
            ex->conn->reusable = 0;
            relay_error_note_set(ex->r, RELAY_PROXY_ERROR_MALFORMED);
            return HTTP_BAD_GATEWAY;
        }
        if (ex->head.status >= 200) {
            return OK;
        }
        if (interim_over(ex)) {
            return HTTP_BAD_GATEWAY;
        }
        forward_interim(ex, &ex->head);
    }
}

/* ping=: the origin did not answer within it. The body is still unread,
 * so a balancer may send the request to another member. */
static int ping_failed(relay_http_exchange_t *ex)
{
    relay_proxy_req_t *pr = ex->pr;

    ex->conn->reusable = 0;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, ex->r,
                  RELAY_LOGNO(02018) "worker %s: no answer to the ping "
                                     "(Expect: 100-continue) within %d ms: "
                                     "503",
                  pr->worker->name, pr->worker->params.ping_ms);
    ex->api->worker_fail(pr->worker, NULL, ex->r,
                         "no answer to the ping (ping=)");
    relay_error_note_set(ex->r, RELAY_PROXY_ERROR_WORKER_DOWN);
    pr->connect_failed = 1;
    return HTTP_SERVICE_UNAVAILABLE;
}

/*
 * With Expect: 100-continue forwarded, waits a moment for the origin's
 * verdict before the body goes up. A 100 lets the body go (httpd then
 * tells the client to continue as it reads the body); a final response
 * means the body is not wanted (*got_final, ex->head set); silence lets
 * the body go too, except after the worker's ping= wait (503). Returns OK
 * or an HTTP status.
 */
int relay_http_wait_continue(relay_http_exchange_t *ex, int *got_final)
{
    relay_conn_t *c = ex->conn;
    apr_interval_time_t timeout = ex->pr->worker->params.timeout;
    apr_interval_time_t wait =
        ex->ping ? apr_time_from_msec(ex->pr->worker->params.ping_ms)
                 : RELAY_CONTINUE_WAIT;
    relay_status_t err = RELAY_OK;
    apr_status_t rv;
    apr_time_t deadline;

    *got_final = 0;
    apr_socket_timeout_set(c->sock, wait < timeout ? wait : timeout);
    deadline = head_deadline(c);
    for (;;) {
        rv = read_head(ex, &ex->head, &err, deadline);
        if (rv != APR_SUCCESS || ex->head.status >= 200 ||
            ex->head.status == HTTP_CONTINUE) {
            break;
        }
        if (interim_over(ex)) {
            apr_socket_timeout_set(c->sock, timeout);
            return HTTP_BAD_GATEWAY;
        }
        forward_interim(ex, &ex->head);
    }
    apr_socket_timeout_set(c->sock, timeout);
    if (APR_STATUS_IS_TIMEUP(rv) && c->buf_len == c->buf_pos) {
        /* No answer yet: the body goes, unless this was the ping. */
        return ex->ping ? ping_failed(ex) : OK;
    }
    if (rv != APR_SUCCESS) {
        return head_failure(ex, rv, err);
    }
    if (ex->head.status >= 200) {
        *got_final = 1;
    }
    return OK;
}

/* True when the origin will keep the connection open after this
 * response (RFC 9112 §9.3). */
static int origin_keeps_alive(const relay_response_head_t *head)
{
    const char *conn = apr_table_get(head->headers, "Connection");

    if (conn && relay_header_has_token(conn, "close")) {
        return 0;
    }
    if (head->version < 11) {
        return conn && relay_header_has_token(conn, "keep-alive");
    }
    return 1;
}

/* Turns the origin's head into the client's response head. */
static void set_response_head(relay_http_exchange_t *ex,
                              const relay_framing_t *fr)
{
    request_rec *r = ex->r;
    relay_response_head_t *head = &ex->head;
    apr_table_t *h = head->headers;
    const char *type, *cl = apr_table_get(h, "Content-Length");
    apr_off_t head_length;

    relay_headers_strip_hop_by_hop(h, 0);
    apr_table_unset(h, "Content-Length");
    if (fr->kind == RELAY_FRAMING_LENGTH) {
        apr_table_set(h, "Content-Length", apr_off_t_toa(r->pool, fr->length));
    }
    else if (r->header_only && cl &&
             relay_content_length_parse(cl, &head_length) == RELAY_OK) {
        /* RFC 9110 §8.6: a response to HEAD may tell the length a GET
         * would have had; it is passed on, though no body follows. */
        apr_table_set(h, "Content-Length", apr_off_t_toa(r->pool, head_length));
    }
    if (ex->pr->via == RELAY_VIA_BLOCK) {
        apr_table_unset(h, "Via");
    }
    else if (ex->pr->via != RELAY_VIA_OFF) {
        relay_header_append(h, "Via",
                            ex->api->via_value(ex->pr, head->version % 10));
    }
    ex->api->map_response_headers(ex->pr, h);
    type = apr_table_get(h, "Content-Type");
    if (type) {
        ap_set_content_type(r, apr_pstrdup(r->pool, type));
        apr_table_unset(h, "Content-Type");
    }
    r->headers_out = apr_table_overlay(r->pool, r->headers_out, h);
    r->status = head->status;
    r->status_line = *head->reason ? apr_psprintf(r->pool, "%d %s",
                                                  head->status, head->reason)
                                   : NULL;
}

typedef struct body_reader_t {
    relay_framing_t framing;
    apr_off_t remaining; /* for RELAY_FRAMING_LENGTH */
    relay_chunked_t chunked;
    int done;
} body_reader_t;

/*
 * Moves the body bytes now in the connection buffer into `bb` as
 * transient buckets. Returns APR_SUCCESS or RELAY_EMALFORMED (*perr set).
 */
static apr_status_t take_body_bytes(relay_http_exchange_t *ex,
                                    body_reader_t *br, apr_bucket_brigade *bb,
                                    relay_status_t *perr)
{
    relay_conn_t *c = ex->conn;
    apr_bucket_alloc_t *ba = ex->r->connection->bucket_alloc;

    while (!br->done && c->buf_pos < c->buf_len) {
        const char *in = c->buf + c->buf_pos;
        apr_size_t avail = c->buf_len - c->buf_pos;

        if (br->framing.kind == RELAY_FRAMING_CHUNKED) {
            apr_size_t used = 0, off = 0, len = 0;
            relay_status_t st = relay_chunked_decode(&br->chunked, in, avail,
                                                     &used, &off, &len);
            if (st < 0) {
                *perr = st;
                return RELAY_EMALFORMED;
            }
            if (len > 0) {
                APR_BRIGADE_INSERT_TAIL(
                    bb, apr_bucket_transient_create(in + off, len, ba));
            }
            c->buf_pos += used;
            br->done = st == RELAY_OK;
        }
        else {
            apr_size_t n = avail;
            if (br->framing.kind == RELAY_FRAMING_LENGTH &&
                (apr_off_t)n > br->remaining) {
                n = (apr_size_t)br->remaining;
            }
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(in, n, ba));
            c->buf_pos += n;
            if (br->framing.kind == RELAY_FRAMING_LENGTH) {
                br->remaining -= (apr_off_t)n;
                br->done = br->remaining == 0;
            }
        }
    }
    return APR_SUCCESS;
}

/* Whether the origin sends more within `wait` (flushpackets=auto's
 * flushwait). Bytes TLS has already decrypted are not seen: then the
 * answer is no, and the pass is flushed early, which is harmless. */
static int origin_sends_within(relay_conn_t *c, apr_interval_time_t wait)
{
    apr_pollfd_t pfd = {0};
    apr_int32_t n = 0;

    pfd.p = c->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.desc.s = c->sock;
    pfd.reqevents = APR_POLLIN;
    return apr_poll(&pfd, 1, &n, wait) == APR_SUCCESS && n > 0;
}

/*
 * Streams the body to the client, one connection buffer per pass. A pass
 * ends with a flush when the origin had nothing more ready (or with
 * flushpackets=on), so event streams are not held back; with
 * flushpackets=auto the flush waits flushwait for more first (stock's
 * meaning). trace1 logs how many passes there were and how many of them
 * flushed. Returns OK, also when either side broke off: the client
 * connection then tells the story.
 */
static int stream_body(relay_http_exchange_t *ex, body_reader_t *br)
{
    request_rec *r = ex->r;
    relay_conn_t *c = ex->conn;
    apr_bucket_brigade *bb = ex->bb;
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    const relay_worker_params_t *wp = &ex->pr->worker->params;
    int flush_always = wp->flushpackets == RELAY_FLUSH_ON;
    int flush_waits = wp->flushpackets == RELAY_FLUSH_AUTO && wp->flushwait > 0;
    int short_read = 1;
    int passes = 0, flushes = 0;

    for (;;) {
        relay_status_t err = RELAY_OK;
        apr_size_t n;
        apr_status_t rv;

        if (take_body_bytes(ex, br, bb, &err) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(02020) "worker %s: malformed response "
                                             "body for %s: %s",
                          ex->pr->worker->name, ex->pr->target,
                          relay_status_describe(err));
            relay_error_note_set(r, relay_proxy_error_of_response(err));
            relay_exchange_cut_off(ex->pr, ex->conn, bb);
            return OK;
        }
        if (br->done) {
            break;
        }
        if (!APR_BRIGADE_EMPTY(bb)) {
            if (flush_always || (short_read && !flush_waits)) {
                APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba));
                flushes++;
            }
            passes++;
            rv = ap_pass_brigade(r->output_filters, bb);
            apr_brigade_cleanup(bb);
            if (rv == APR_SUCCESS && short_read && flush_waits &&
                !origin_sends_within(c, wp->flushwait)) {
                APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba));
                flushes++;
                rv = ap_pass_brigade(r->output_filters, bb);
                apr_brigade_cleanup(bb);
            }
            if (rv != APR_SUCCESS || r->connection->aborted) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                              RELAY_LOGNO(02022) "client went away during "
                                                 "the response body");
                c->reusable = 0;
                return OK;
            }
        }
        c->buf_pos = c->buf_len = 0;
        n = c->buf_size;
        rv = c->transport->recv(c, c->buf, &n);
        c->buf_len = n;
        c->bytes_in += n;
        short_read = n < c->buf_size;
        if (n == 0 && br->framing.kind == RELAY_FRAMING_CLOSE &&
            (rv == APR_SUCCESS || APR_STATUS_IS_EOF(rv))) {
            break; /* the close is the end of this body */
        }
        if (n == 0 && br->framing.kind == RELAY_FRAMING_CLOSE &&
            rv == RELAY_ETLSEOF) {
            /* RFC 9112 §9.8: a response with neither Content-Length nor
             * chunked framing is complete only once the TLS closure alert
             * came; without it the body may have been truncated by anyone
             * on the path. Cut off, so that neither the client nor a
             * cache takes it for the whole response. */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          RELAY_LOGNO(02024) "worker %s: the origin's TLS "
                                             "connection ended without "
                                             "close_notify inside the "
                                             "response body for %s, which "
                                             "only the close delimits; the "
                                             "client's response is cut off",
                          ex->pr->worker->name, ex->pr->target);
            relay_error_note_set(r, RELAY_PROXY_ERROR_INCOMPLETE);
            relay_exchange_cut_off(ex->pr, ex->conn, bb);
            return OK;
        }
        if (n == 0) {
            ap_log_rerror(
                APLOG_MARK, APLOG_ERR, rv == RELAY_ETLSEOF ? 0 : rv, r,
                RELAY_LOGNO(
                    02021) "worker %s: %s while reading "
                           "the response body for %s; the client's response "
                           "is cut off",
                ex->pr->worker->name,
                APR_STATUS_IS_TIMEUP(rv) ? "timed out"
                : rv == RELAY_ETLSEOF    ? "origin closed without TLS "
                                           "close_notify"
                                         : "origin closed",
                ex->pr->target);
            relay_error_note_set(r, RELAY_PROXY_ERROR_INCOMPLETE);
            relay_exchange_cut_off(ex->pr, ex->conn, bb);
            return OK;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  RELAY_LOGNO(02023) "response body for %s: %d passes, "
                                     "%d flushed",
                  ex->pr->target, passes, flushes);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
        c->reusable = 0;
    }
    apr_brigade_cleanup(bb);
    return OK;
}

/*
 * Relays the final response in ex->head to the client: status, fields,
 * then the body. Returns OK, or an HTTP status for httpd to answer with
 * (502 for untrustworthy framing, the origin's status under
 * ProxyErrorOverride).
 */
int relay_http_relay_response(relay_http_exchange_t *ex)
{
    request_rec *r = ex->r;
    body_reader_t br;
    relay_status_t st;

    memset(&br, 0, sizeof(br));
    st = relay_response_framing(&ex->head, r->header_only, &br.framing);
    if (st != RELAY_OK) {
        ex->conn->reusable = 0;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(02014) "worker %s: response to %s %s has "
                                         "untrustworthy framing: %s",
                      ex->pr->worker->name, r->method, ex->pr->target,
                      relay_status_describe(st));
        relay_error_note_set(r, relay_proxy_error_of_response(st));
        return HTTP_BAD_GATEWAY;
    }
    if (!origin_keeps_alive(&ex->head) ||
        br.framing.kind == RELAY_FRAMING_CLOSE) {
        ex->conn->reusable = 0;
    }
    if (relay_exchange_error_override(ex->pr, ex->head.status)) {
        ex->conn->reusable = 0; /* its body is left unread */
        return ex->head.status;
    }
    br.remaining = br.framing.length;
    relay_chunked_init(&br.chunked,
                       (apr_size_t)ex->pr->worker->params.responsefieldsize);
    set_response_head(ex, &br.framing);
    if (br.framing.kind == RELAY_FRAMING_NONE ||
        (br.framing.kind == RELAY_FRAMING_LENGTH && br.remaining == 0)) {
        br.done = 1;
    }
    return stream_body(ex, &br);
}
