/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The "tls" transport: OpenSSL over a pooled origin connection.
 *
 * OpenSSL reads and writes through a BIO of ours over the connection's
 * apr_socket_t, so the worker's timeout applies to the handshake and to
 * every read and write exactly as on plain connections, and a timeout
 * comes back as APR_TIMEUP. open() makes the SSL object from the SSL_CTX
 * of the settings in force (ssl_ctx.c), sends the origin's name as SNI
 * (not for IP addresses, RFC 6066 §3), asks OpenSSL to check the
 * certificate against that name or IP address (RFC 6125 §6), offers ALPN
 * http/1.1 and a saved session, and completes the handshake. Every
 * failure is logged once, naming the worker, the origin and OpenSSL's
 * reason, and returned as RELAY_ETLS (502; the worker stays usable).
 * recv tells the two ends of a stream apart: close_notify is APR_EOF, a
 * TCP close without it RELAY_ETLSEOF (a possible truncation, which the
 * HTTP layer never passes as a complete close-delimited body).
 */
#include "apr_strings.h"

#include "relay/relay_tls.h"
#include "relay_error_note.h"
#include "ssl_private.h"

#define RELAY_TLS_CONN_MAGIC 0x52544c53 /* "RTLS" */

typedef struct tls_conn_t {
    unsigned int magic;
    relay_conn_t *conn;
    SSL *ssl;
    relay_ssl_settings_t st;
    apr_status_t io_rv;      /* the last socket status the BIO saw */
    int read_eof;            /* the socket's read side reached its end */
    const char *session_key; /* settings, worker and origin name */
    int verify_error;        /* first refused verification result */
    int verify_depth;
    const char *verify_subject;
} tls_conn_t;

static BIO_METHOD *bio_method;

/* ----------------------------------------------------------------- BIO */

static int bio_write(BIO *bio, const char *buf, int len)
{
    tls_conn_t *tc = BIO_get_data(bio);
    apr_size_t n = (apr_size_t)len;

    BIO_clear_retry_flags(bio);
    tc->io_rv = apr_socket_send(tc->conn->sock, buf, &n);
    return n > 0 || tc->io_rv == APR_SUCCESS ? (int)n : -1;
}

static int bio_read(BIO *bio, char *buf, int len)
{
    tls_conn_t *tc = BIO_get_data(bio);
    apr_size_t n = (apr_size_t)len;

    BIO_clear_retry_flags(bio);
    tc->io_rv = apr_socket_recv(tc->conn->sock, buf, &n);
    if (n > 0) {
        return (int)n;
    }
    if (APR_STATUS_IS_EOF(tc->io_rv)) {
        tc->read_eof = 1; /* kept: a later write may set io_rv again */
        return 0;
    }
    return -1;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static apr_status_t bio_method_cleanup(void *data)
{
    BIO_meth_free(bio_method);
    bio_method = NULL;
    return APR_SUCCESS;
}

apr_status_t relay_ssl_transport_init(apr_pool_t *pchild)
{
    bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                              "relay origin socket");
    if (!bio_method) {
        return APR_ENOMEM;
    }
    BIO_meth_set_write(bio_method, bio_write);
    BIO_meth_set_read(bio_method, bio_read);
    BIO_meth_set_ctrl(bio_method, bio_ctrl);
    BIO_meth_set_create(bio_method, bio_create);
    apr_pool_cleanup_register(pchild, NULL, bio_method_cleanup,
                              apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* -------------------------------------------------------- verification */

/* Errors that only say the chain does not lead to a trusted CA (the ones
 * SSLProxyVerify optional_no_ca accepts, as stock). */
static int is_ca_error(int err)
{
    switch (err) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        return 1;
    default:
        return 0;
    }
}

/* Whether a verification error is accepted under the settings. */
static int tolerated(const relay_ssl_settings_t *st, int err, int depth)
{
    switch (err) {
    case X509_V_ERR_HOSTNAME_MISMATCH: /* only asked for when checked */
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return 0;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        if (depth == 0) {
            return !st->check_expire; /* SSLProxyCheckPeerExpire */
        }
        break;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        if (st->crl_missing_ok) {
            return 1; /* SSLProxyCARevocationCheck ... no_crl_for_cert_ok */
        }
        break;
    default:
        break;
    }
    if (st->verify == RELAY_SSL_VERIFY_NONE) {
        return 1;
    }
    return st->verify == RELAY_SSL_VERIFY_OPTIONAL_NO_CA && is_ca_error(err);
}

int relay_ssl_verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl =
        X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    tls_conn_t *tc = ssl ? SSL_get_app_data(ssl) : NULL;
    int depth = X509_STORE_CTX_get_error_depth(store);
    int err = X509_STORE_CTX_get_error(store);

    if (!tc || tc->magic != RELAY_TLS_CONN_MAGIC) {
        return ok;
    }
    if (ok && tc->st.verify_depth != RELAY_UNSET &&
        tc->st.verify != RELAY_SSL_VERIFY_NONE && depth > tc->st.verify_depth) {
        /* SSLProxyVerifyDepth counts the CA certificates followed. */
        err = X509_V_ERR_CERT_CHAIN_TOO_LONG;
        X509_STORE_CTX_set_error(store, err);
        ok = 0;
    }
    else if (!ok) {
        ok = tolerated(&tc->st, err, depth);
    }
    if (!ok && !tc->verify_error) {
        X509 *cert = X509_STORE_CTX_get_current_cert(store);
        char *name =
            cert ? X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0)
                 : NULL;
        tc->verify_error = err;
        tc->verify_depth = depth;
        tc->verify_subject =
            apr_pstrdup(tc->conn->pool, name ? name : "(none)");
        OPENSSL_free(name);
    }
    return ok;
}

int relay_ssl_new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
    tls_conn_t *tc = SSL_get_app_data(ssl);

    if (!tc || tc->magic != RELAY_TLS_CONN_MAGIC || !tc->session_key) {
        return 0;
    }
    relay_ssl_session_put(tc->session_key, sess);
    return 1; /* the cache keeps the reference */
}

/* ----------------------------------------------------------- transport */

static relay_ssl_dir_conf_t *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &proxy_ssl_module);
}

static const char *tls_key(request_rec *r, const char *peer_name)
{
    relay_ssl_settings_t st;

    relay_ssl_settings_get(dir_conf(r), &st);
    return apr_pstrcat(r->pool, relay_ssl_settings_fingerprint(r->pool, &st),
                       " name=", peer_name, NULL);
}

/* "ip:port" of the connection's peer, for log lines. */
static const char *peer_address(relay_conn_t *conn)
{
    apr_sockaddr_t *sa;
    char *ip = NULL;

    if (apr_socket_addr_get(&sa, APR_REMOTE, conn->sock) != APR_SUCCESS ||
        apr_sockaddr_ip_get(&ip, sa) != APR_SUCCESS) {
        return "(unknown)";
    }
    return apr_psprintf(conn->pool,
                        sa->family == APR_INET6 ? "[%s]:%u" : "%s:%u", ip,
                        (unsigned)sa->port);
}

/* Why the handshake failed, in one phrase. */
static const char *handshake_reason(tls_conn_t *tc)
{
    apr_pool_t *p = tc->conn->pool;

    if (tc->verify_error) {
        ERR_clear_error();
        return apr_psprintf(
            p, "certificate verify failed: %s (depth %d, subject %s)%s",
            X509_verify_cert_error_string(tc->verify_error), tc->verify_depth,
            tc->verify_subject,
            tc->st.verify_unset && is_ca_error(tc->verify_error)
                ? "; SSLProxyVerify is not set, and Relay verifies origin "
                  "certificates by default: name the origin's CA with "
                  "SSLProxyCACertificateFile, or set SSLProxyVerify none "
                  "for the unverified behaviour of stock mod_ssl"
                : "");
    }
    if (APR_STATUS_IS_TIMEUP(tc->io_rv)) {
        ERR_clear_error();
        return "timed out";
    }
    if (tc->io_rv != APR_SUCCESS && !APR_STATUS_IS_EOF(tc->io_rv)) {
        char buf[120];
        ERR_clear_error();
        return apr_pstrcat(p, "connection failed: ",
                           apr_strerror(tc->io_rv, buf, sizeof(buf)), NULL);
    }
    if (ERR_peek_error() == 0) {
        return "the origin closed the connection";
    }
    return relay_ssl_errors(p);
}

/* The legacy SSLProxyCheckPeerCN comparison: the first CN, exactly. */
static const char *check_cn(tls_conn_t *tc, const char *hostname)
{
    X509 *cert = SSL_get1_peer_certificate(tc->ssl);
    char cn[256] = "";
    const char *err = NULL;

    if (!cert) {
        return "the origin sent no certificate";
    }
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                  cn, sizeof(cn)) <= 0 ||
        strcasecmp(cn, hostname)) {
        err = apr_psprintf(tc->conn->pool,
                           "certificate verify failed: CN "
                           "'%s' does not match '%s' "
                           "(SSLProxyCheckPeerCN)",
                           cn, hostname);
    }
    X509_free(cert);
    return err;
}

static apr_status_t tls_open(relay_conn_t *conn, request_rec *r,
                             const char *hostname)
{
    relay_worker_t *w = conn->worker;
    tls_conn_t *tc = apr_pcalloc(conn->pool, sizeof(*tc));
    int is_ip = relay_tls_host_is_ip(hostname);
    const unsigned char *alpn = NULL;
    unsigned int alpn_len = 0;
    const char *fingerprint, *err = NULL;
    relay_proxy_error_t cause = RELAY_PROXY_ERROR_TLS_PROTOCOL;
    SSL_SESSION *sess;
    SSL_CTX *ctx;
    BIO *bio;

    tc->magic = RELAY_TLS_CONN_MAGIC;
    tc->conn = conn;
    relay_ssl_settings_get(dir_conf(r), &tc->st);
    if (!tc->st.engine) {
        ap_log_rerror(
            APLOG_MARK, APLOG_ERR, 0, r,
            RELAY_LOGNO(03001) "worker %s: TLS to origins is off "
                               "for %s (SSLProxyEngine); not connecting to %s",
            w->name, r->filename, peer_address(conn));
        relay_error_note_set(r, RELAY_PROXY_ERROR_CONFIGURATION);
        return APR_ENOTIMPL;
    }
    fingerprint = relay_ssl_settings_fingerprint(conn->pool, &tc->st);
    ctx = relay_ssl_ctx_get(conn->pool, &tc->st, fingerprint, &err);
    if (!ctx) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(03002) "worker %s: cannot set up TLS to %s: "
                                         "%s",
                      w->name, peer_address(conn), err);
        relay_error_note_set(r, RELAY_PROXY_ERROR_CONFIGURATION);
        return RELAY_ETLS;
    }
    ERR_clear_error();
    tc->ssl = SSL_new(ctx);
    conn->transport_ctx = tc; /* close() frees tc->ssl */
    bio = tc->ssl ? BIO_new(bio_method) : NULL;
    if (!bio) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      RELAY_LOGNO(03003) "worker %s: cannot set up TLS to %s: "
                                         "%s",
                      w->name, peer_address(conn),
                      relay_ssl_errors(conn->pool));
        relay_error_note_set(r, RELAY_PROXY_ERROR_TLS_PROTOCOL);
        return RELAY_ETLS;
    }
    BIO_set_data(bio, tc);
    SSL_set_bio(tc->ssl, bio, bio);
    SSL_set_app_data(tc->ssl, tc);
    if (!is_ip) {
        SSL_set_tlsext_host_name(tc->ssl, hostname);
    }
    if (tc->st.names == RELAY_SSL_NAMES_SAN) {
        X509_VERIFY_PARAM *param = SSL_get0_param(tc->ssl);
        X509_VERIFY_PARAM_set_hostflags(param,
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (is_ip) {
            X509_VERIFY_PARAM_set1_ip_asc(param, hostname);
        }
        else {
            X509_VERIFY_PARAM_set1_host(param, hostname, 0);
        }
    }
    tc->session_key = apr_pstrcat(conn->pool, fingerprint, " worker=", w->name,
                                  " name=", hostname, NULL);
    sess = relay_ssl_session_get(tc->session_key);
    if (sess) {
        SSL_set_session(tc->ssl, sess);
        SSL_SESSION_free(sess);
    }

    if (SSL_connect(tc->ssl) != 1) {
        err = handshake_reason(tc);
        if (tc->verify_error) {
            cause = RELAY_PROXY_ERROR_TLS_CERTIFICATE;
        }
        else if (APR_STATUS_IS_TIMEUP(tc->io_rv)) {
            cause = RELAY_PROXY_ERROR_CONNECT_TIMEOUT;
        }
    }
    else {
        SSL_get0_alpn_selected(tc->ssl, &alpn, &alpn_len);
        if (alpn_len && (alpn_len != 8 || memcmp(alpn, "http/1.1", 8))) {
            err = apr_psprintf(conn->pool,
                               "the origin chose ALPN protocol "
                               "'%.*s' instead of http/1.1",
                               (int)alpn_len, (const char *)alpn);
        }
        else if (tc->st.names == RELAY_SSL_NAMES_CN) {
            err = check_cn(tc, hostname);
            cause = RELAY_PROXY_ERROR_TLS_CERTIFICATE;
        }
    }
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, tc->io_rv, r,
                      RELAY_LOGNO(03010) "worker %s: TLS handshake with %s "
                                         "(name '%s') failed: %s",
                      w->name, peer_address(conn), hostname, err);
        relay_ssl_session_forget(tc->session_key);
        relay_error_note_set(r, cause);
        return RELAY_ETLS;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  RELAY_LOGNO(03011) "worker %s: TLS to %s (name '%s'): %s, "
                                     "%s, session %s",
                  w->name, peer_address(conn), hostname,
                  SSL_get_version(tc->ssl),
                  SSL_CIPHER_get_name(SSL_get_current_cipher(tc->ssl)),
                  SSL_session_reused(tc->ssl) ? "resumed" : "new");
    return APR_SUCCESS;
}

/* Whether OpenSSL's error queue says the stream ended without
 * close_notify. */
static int unexpected_eof(void)
{
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    unsigned long e = ERR_peek_error();

    return ERR_GET_LIB(e) == ERR_LIB_SSL &&
           ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
#else
    return 0;
#endif
}

static apr_status_t tls_recv(relay_conn_t *conn, char *buf, apr_size_t *len)
{
    tls_conn_t *tc = conn->transport_ctx;
    int n, err;

    AP_DEBUG_ASSERT(tc->magic == RELAY_TLS_CONN_MAGIC);
    ERR_clear_error();
    n = SSL_read(tc->ssl, buf, *len > INT_MAX ? INT_MAX : (int)*len);
    if (n > 0) {
        *len = (apr_size_t)n;
        return APR_SUCCESS;
    }
    *len = 0;
    err = SSL_get_error(tc->ssl, n);
    if (err == SSL_ERROR_ZERO_RETURN) {
        /* close_notify: the origin ended the stream itself. */
        ERR_clear_error();
        return APR_EOF;
    }
    if (tc->read_eof || unexpected_eof()) {
        /* The TCP connection ended without close_notify (OpenSSL says
         * SSL_ERROR_SYSCALL, or SSL_R_UNEXPECTED_EOF_WHILE_READING when
         * it saw the end itself): not the origin's word that the stream
         * is complete. */
        ERR_clear_error();
        return RELAY_ETLSEOF;
    }
    if (tc->io_rv != APR_SUCCESS) {
        ERR_clear_error();
        return tc->io_rv; /* APR_TIMEUP, a reset... */
    }
    /* An alert or a bad record, e.g. a TLSv1.3 origin refusing the client
     * certificate after the handshake: logged here, once, since only
     * OpenSSL knows why. */
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, NULL,
                 RELAY_LOGNO(03020) "worker %s: TLS error from %s: %s",
                 conn->worker->name, peer_address(conn),
                 relay_ssl_errors(conn->pool));
    return RELAY_ETLS;
}

static apr_status_t tls_send(relay_conn_t *conn, const char *buf,
                             apr_size_t *len)
{
    tls_conn_t *tc = conn->transport_ctx;
    int n;

    AP_DEBUG_ASSERT(tc->magic == RELAY_TLS_CONN_MAGIC);
    ERR_clear_error();
    n = SSL_write(tc->ssl, buf, *len > INT_MAX ? INT_MAX : (int)*len);
    if (n > 0) {
        *len = (apr_size_t)n;
        return APR_SUCCESS;
    }
    *len = 0;
    ERR_clear_error();
    if (tc->io_rv != APR_SUCCESS && !APR_STATUS_IS_EOF(tc->io_rv)) {
        return tc->io_rv;
    }
    return APR_ECONNABORTED;
}

static int tls_has_pending(relay_conn_t *conn)
{
    tls_conn_t *tc = conn->transport_ctx;

    return tc && tc->ssl && SSL_pending(tc->ssl) > 0;
}

/* Sends close_notify when the connection is still sound (best effort, a
 * failure is of no consequence), then frees the SSL object. */
static void tls_close(relay_conn_t *conn)
{
    tls_conn_t *tc = conn->transport_ctx;

    if (!tc || !tc->ssl) {
        return;
    }
    if (conn->sock && SSL_is_init_finished(tc->ssl) &&
        tc->io_rv == APR_SUCCESS) {
        apr_socket_timeout_set(conn->sock, 0); /* never wait here */
        ERR_clear_error();
        SSL_shutdown(tc->ssl);
    }
    SSL_free(tc->ssl);
    ERR_clear_error();
    tc->ssl = NULL;
    conn->transport_ctx = NULL;
}

static const char *tls_check_worker(server_rec *s, ap_conf_vector_t *conf,
                                    const relay_worker_t *w, apr_pool_t *p)
{
    relay_ssl_settings_t st;
    const char *err;
    SSL_CTX *ctx;

    relay_ssl_settings_get(ap_get_module_config(conf, &proxy_ssl_module), &st);
    if (!st.engine) {
        return "TLS to origins is off here: add SSLProxyEngine On to this "
               "server (or to a <Proxy> section matching the URL)";
    }
    ctx = relay_ssl_ctx_make(p, &st, &err);
    if (!ctx) {
        return err;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

const relay_transport_t relay_ssl_transport = {
    "tls",           tls_open,  tls_recv, tls_send,
    tls_has_pending, tls_close, tls_key,  tls_check_worker,
};
