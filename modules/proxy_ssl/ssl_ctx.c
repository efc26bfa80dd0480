/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * OpenSSL contexts and sessions for connections to origins.
 *
 * One SSL_CTX per distinct set of effective settings, made on first use in
 * each child process and kept, under a mutex, in a hash keyed by the
 * settings' fingerprint until the child ends. The same code builds a
 * throw-away context at startup for each https:// worker, so that a CA
 * file that does not parse or a key that does not match its certificate
 * stops startup instead of failing requests.
 *
 * Sessions for resumption are kept per (settings, worker, origin name):
 * a session is offered only to the origin and parameters that issued it.
 * The cache holds at most RELAY_SSL_MAX_SESSIONS; when full it starts
 * over, so names chosen by clients (ProxyPreserveHost) cannot grow it.
 */
#include "apr_strings.h"
#include "apr_hash.h"
#include "apr_thread_mutex.h"
#include "apr_file_info.h"

#include "relay/relay_tls.h"
#include "ssl_private.h"

#define RELAY_SSL_MAX_SESSIONS 1024

/* One client certificate with its key and the chain sent with it. */
typedef struct identity_t {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) * chain;
} identity_t;

/* What an SSL_CTX of ours carries (its app data). */
typedef struct ctx_data_t {
    relay_ssl_settings_t settings;
    apr_array_header_t *identities; /* identity_t */
} ctx_data_t;

static struct {
    apr_pool_t *pool; /* the child's, for the cache alone */
    apr_thread_mutex_t *mutex;
    apr_hash_t *ctxs;      /* fingerprint -> SSL_CTX * */
    apr_pool_t *sess_pool; /* keys of `sessions` */
    apr_hash_t *sessions;  /* session key -> SSL_SESSION * */
} cache;

const char *relay_ssl_errors(apr_pool_t *p)
{
    const char *text = NULL;
    unsigned long e;
    char buf[256];

    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        text =
            text ? apr_pstrcat(p, text, "; ", buf, NULL) : apr_pstrdup(p, buf);
    }
    return text ? text : "no OpenSSL error";
}

/* ----------------------------------------------------- client identities */

static apr_status_t identity_cleanup(void *data)
{
    identity_t *id = data;

    X509_free(id->cert);
    EVP_PKEY_free(id->key);
    sk_X509_pop_free(id->chain, X509_free);
    return APR_SUCCESS;
}

/* True when `cert` is a CA certificate rather than a client's own. */
static int is_ca(X509 *cert)
{
    return X509_check_ca(cert) != 0;
}

/*
 * Reads every certificate and key of a PEM file: each key is paired with
 * the certificate whose public key it matches; CA certificates join the
 * chain of every identity (as SSLProxyMachineCertificateChainFile).
 */
static const char *load_identities(apr_pool_t *p, const char *file,
                                   apr_array_header_t *ids,
                                   STACK_OF(X509) * extra)
{
    STACK_OF(X509_INFO) * infos;
    BIO *bio = BIO_new_file(file, "r");
    int i, j, found = 0;

    if (!bio) {
        return apr_psprintf(p, "cannot read '%s': %s", file,
                            relay_ssl_errors(p));
    }
    infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!infos) {
        return apr_psprintf(p, "'%s' holds no PEM certificate or key: %s", file,
                            relay_ssl_errors(p));
    }
    for (i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);
        if (info->x509 && is_ca(info->x509)) {
            X509_up_ref(info->x509);
            sk_X509_push(extra, info->x509);
        }
    }
    for (i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *key_info = sk_X509_INFO_value(infos, i);
        if (!key_info->x_pkey || !key_info->x_pkey->dec_pkey) {
            continue;
        }
        for (j = 0; j < sk_X509_INFO_num(infos); j++) {
            X509_INFO *cert_info = sk_X509_INFO_value(infos, j);
            identity_t *id;
            if (!cert_info->x509 || is_ca(cert_info->x509) ||
                X509_check_private_key(cert_info->x509,
                                       key_info->x_pkey->dec_pkey) != 1) {
                continue;
            }
            id = apr_array_push(ids);
            id->cert = cert_info->x509;
            X509_up_ref(id->cert);
            id->key = key_info->x_pkey->dec_pkey;
            EVP_PKEY_up_ref(id->key);
            id->chain = NULL;
            apr_pool_cleanup_register(p, id, identity_cleanup,
                                      apr_pool_cleanup_null);
            found++;
            break;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    ERR_clear_error();
    return found ? NULL
                 : apr_psprintf(p,
                                "'%s' holds no client certificate with "
                                "its matching private key",
                                file);
}

static const char *load_chain_file(apr_pool_t *p, const char *file,
                                   STACK_OF(X509) * extra)
{
    BIO *bio = BIO_new_file(file, "r");
    X509 *cert;
    int n = 0;

    if (!bio) {
        return apr_psprintf(p, "cannot read '%s': %s", file,
                            relay_ssl_errors(p));
    }
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(extra, cert);
        n++;
    }
    BIO_free(bio);
    ERR_clear_error();
    return n ? NULL : apr_psprintf(p, "'%s' holds no PEM certificate", file);
}

/* Every identity of SSLProxyMachineCertificateFile and ...Path, each with
 * the CA certificates found there and in the chain file. */
static const char *load_all_identities(apr_pool_t *p,
                                       const relay_ssl_settings_t *st,
                                       apr_array_header_t *ids)
{
    STACK_OF(X509) *extra = sk_X509_new_null();
    const char *err = NULL;
    int i;

    if (st->cert_file) {
        err = load_identities(p, st->cert_file, ids, extra);
    }
    if (!err && st->cert_path) {
        apr_dir_t *dir;
        apr_finfo_t finfo;
        if (apr_dir_open(&dir, st->cert_path, p) != APR_SUCCESS) {
            err = apr_psprintf(p, "cannot open '%s'", st->cert_path);
        }
        else {
            while (!err && apr_dir_read(&finfo, APR_FINFO_TYPE | APR_FINFO_NAME,
                                        dir) == APR_SUCCESS) {
                if (finfo.filetype == APR_REG) {
                    err = load_identities(
                        p, apr_pstrcat(p, st->cert_path, "/", finfo.name, NULL),
                        ids, extra);
                }
            }
            apr_dir_close(dir);
        }
    }
    if (!err && st->chain_file) {
        err = load_chain_file(p, st->chain_file, extra);
    }
    for (i = 0; !err && i < ids->nelts; i++) {
        identity_t *id = &APR_ARRAY_IDX(ids, i, identity_t);
        id->chain = X509_chain_up_ref(extra);
    }
    sk_X509_pop_free(extra, X509_free);
    return err;
}

/* True when `id` was issued, directly or through its chain, by a CA the
 * origin named. */
static int issued_by(const identity_t *id, const STACK_OF(X509_NAME) * cas)
{
    int i;

    for (i = 0; i < sk_X509_NAME_num(cas); i++) {
        const X509_NAME *ca = sk_X509_NAME_value(cas, i);
        int j;
        if (!X509_NAME_cmp(X509_get_issuer_name(id->cert), ca)) {
            return 1;
        }
        for (j = 0; j < sk_X509_num(id->chain); j++) {
            X509 *c = sk_X509_value(id->chain, j);
            if (!X509_NAME_cmp(X509_get_subject_name(c), ca) ||
                !X509_NAME_cmp(X509_get_issuer_name(c), ca)) {
                return 1;
            }
        }
    }
    return 0;
}

/*
 * Called when the origin asks for a client certificate: the first identity
 * issued by one of the CAs it names, or the first of all when it names
 * none (as stock). With no match, no certificate is sent.
 */
static int choose_identity(SSL *ssl, void *arg)
{
    ctx_data_t *data = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const STACK_OF(X509_NAME) *cas = SSL_get_client_CA_list(ssl);
    int i;

    (void)arg;
    if (!SSL_is_server(ssl) && data && data->identities->nelts > 0) {
        for (i = 0; i < data->identities->nelts; i++) {
            identity_t *id = &APR_ARRAY_IDX(data->identities, i, identity_t);
            if (sk_X509_NAME_num(cas) == 0 || issued_by(id, cas)) {
                return SSL_use_cert_and_key(ssl, id->cert, id->key, id->chain,
                                            1) == 1;
            }
        }
    }
    return 1;
}

/* ------------------------------------------------------------- contexts */

static int openssl_version(unsigned bit)
{
    switch (bit) {
    case RELAY_TLS_V1:
        return TLS1_VERSION;
    case RELAY_TLS_V1_1:
        return TLS1_1_VERSION;
    case RELAY_TLS_V1_2:
        return TLS1_2_VERSION;
    default:
        return TLS1_3_VERSION;
    }
}

static const char *set_trust(apr_pool_t *p, SSL_CTX *ctx,
                             const relay_ssl_settings_t *st)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);

    if (st->ca_file || st->ca_path) {
        if (SSL_CTX_load_verify_locations(ctx, st->ca_file, st->ca_path) != 1) {
            return apr_psprintf(p,
                                "cannot load the CA certificates of %s%s%s: "
                                "%s",
                                st->ca_file ? st->ca_file : "",
                                st->ca_file && st->ca_path ? " and " : "",
                                st->ca_path ? st->ca_path : "",
                                relay_ssl_errors(p));
        }
    }
    else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        return apr_psprintf(p,
                            "cannot load the system's trusted CA "
                            "certificates: %s",
                            relay_ssl_errors(p));
    }
    if (st->crl_file &&
        X509_load_crl_file(X509_STORE_add_lookup(store, X509_LOOKUP_file()),
                           st->crl_file, X509_FILETYPE_PEM) <= 0) {
        return apr_psprintf(p, "cannot load the CRLs of %s: %s", st->crl_file,
                            relay_ssl_errors(p));
    }
    if (st->crl_path &&
        X509_LOOKUP_add_dir(
            X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()), st->crl_path,
            X509_FILETYPE_PEM) != 1) {
        return apr_psprintf(p, "cannot use the CRL directory %s: %s",
                            st->crl_path, relay_ssl_errors(p));
    }
    if (st->crl_check == RELAY_SSL_CRL_LEAF) {
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    else if (st->crl_check == RELAY_SSL_CRL_CHAIN) {
        X509_STORE_set_flags(store,
                             X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    return NULL;
}

SSL_CTX *relay_ssl_ctx_make(apr_pool_t *p, const relay_ssl_settings_t *st,
                            const char **err)
{
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    ctx_data_t *data;
    unsigned lowest, highest;

    *err = NULL;
    if (!ctx) {
        *err =
            apr_psprintf(p, "cannot make an SSL_CTX: %s", relay_ssl_errors(p));
        return NULL;
    }
    data = apr_pcalloc(p, sizeof(*data));
    data->settings = *st;
    data->identities = apr_array_make(p, 1, sizeof(identity_t));
    SSL_CTX_set_app_data(ctx, data);

    relay_tls_protocol_range((unsigned)st->protocols & ~RELAY_TLS_SSLV3,
                             &lowest, &highest);
    SSL_CTX_set_min_proto_version(ctx, openssl_version(lowest));
    SSL_CTX_set_max_proto_version(ctx, openssl_version(highest));
    /* No SSL_OP_IGNORE_UNEXPECTED_EOF: it would make an end without
     * close_notify look like close_notify, and tls_recv (ssl_transport.c)
     * must tell a truncated stream (RELAY_ETLSEOF) from a clean end. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, relay_ssl_verify_cb);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
                                            SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, relay_ssl_new_session_cb);

    if (st->ciphers && SSL_CTX_set_cipher_list(ctx, st->ciphers) != 1) {
        *err = apr_psprintf(p, "SSLProxyCipherSuite '%s': %s", st->ciphers,
                            relay_ssl_errors(p));
    }
    else if (st->ciphers13 &&
             SSL_CTX_set_ciphersuites(ctx, st->ciphers13) != 1) {
        *err = apr_psprintf(p, "SSLProxyCipherSuite TLSv1.3 '%s': %s",
                            st->ciphers13, relay_ssl_errors(p));
    }
    if (!*err) {
        *err = set_trust(p, ctx, st);
    }
    if (!*err) {
        *err = load_all_identities(p, st, data->identities);
    }
    if (*err) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (data->identities->nelts > 0) {
        SSL_CTX_set_cert_cb(ctx, choose_identity, NULL);
        /* A TLS 1.3 origin may ask for the certificate after the
         * handshake (SSLVerifyClient in a <Location>): offer to answer.
         * Without one to present, nothing is offered, and such an origin
         * refuses the request (403) instead of ending the connection. */
        SSL_CTX_set_post_handshake_auth(ctx, 1);
    }
    return ctx;
}

static apr_status_t ctx_cleanup(void *data)
{
    SSL_CTX_free(data);
    return APR_SUCCESS;
}

SSL_CTX *relay_ssl_ctx_get(apr_pool_t *p, const relay_ssl_settings_t *st,
                           const char *fingerprint, const char **err)
{
    SSL_CTX *ctx;

    *err = NULL;
    apr_thread_mutex_lock(cache.mutex);
    ctx = apr_hash_get(cache.ctxs, fingerprint, APR_HASH_KEY_STRING);
    if (!ctx) {
        apr_pool_t *sub; /* the context's data, gone with a failed one */
        apr_pool_create(&sub, cache.pool);
        ctx = relay_ssl_ctx_make(sub, st, err);
        if (ctx) {
            apr_pool_cleanup_register(sub, ctx, ctx_cleanup,
                                      apr_pool_cleanup_null);
            apr_hash_set(cache.ctxs, apr_pstrdup(cache.pool, fingerprint),
                         APR_HASH_KEY_STRING, ctx);
        }
        else {
            *err = apr_pstrdup(p, *err);
            apr_pool_destroy(sub);
        }
    }
    apr_thread_mutex_unlock(cache.mutex);
    return ctx;
}

/* ------------------------------------------------------------- sessions */

/* Runs when the session pool is cleared or destroyed: the sessions go
 * before the hash that holds them. */
static apr_status_t sessions_free(void *data)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(NULL, cache.sessions); hi;
         hi = apr_hash_next(hi)) {
        SSL_SESSION_free(apr_hash_this_val(hi));
    }
    cache.sessions = NULL;
    return APR_SUCCESS;
}

static void sessions_reset(void)
{
    apr_pool_clear(cache.sess_pool);
    cache.sessions = apr_hash_make(cache.sess_pool);
    apr_pool_cleanup_register(cache.sess_pool, NULL, sessions_free,
                              apr_pool_cleanup_null);
}

SSL_SESSION *relay_ssl_session_get(const char *key)
{
    SSL_SESSION *sess;

    apr_thread_mutex_lock(cache.mutex);
    sess = apr_hash_get(cache.sessions, key, APR_HASH_KEY_STRING);
    if (sess) {
        SSL_SESSION_up_ref(sess);
    }
    apr_thread_mutex_unlock(cache.mutex);
    return sess;
}

void relay_ssl_session_put(const char *key, SSL_SESSION *sess)
{
    SSL_SESSION *old;

    apr_thread_mutex_lock(cache.mutex);
    old = apr_hash_get(cache.sessions, key, APR_HASH_KEY_STRING);
    if (old) {
        SSL_SESSION_free(old);
        apr_hash_set(cache.sessions, key, APR_HASH_KEY_STRING, sess);
    }
    else {
        if (apr_hash_count(cache.sessions) >= RELAY_SSL_MAX_SESSIONS) {
            sessions_reset();
        }
        apr_hash_set(cache.sessions, apr_pstrdup(cache.sess_pool, key),
                     APR_HASH_KEY_STRING, sess);
    }
    apr_thread_mutex_unlock(cache.mutex);
}

void relay_ssl_session_forget(const char *key)
{
    SSL_SESSION *old;

    apr_thread_mutex_lock(cache.mutex);
    old = apr_hash_get(cache.sessions, key, APR_HASH_KEY_STRING);
    if (old) {
        SSL_SESSION_free(old);
        apr_hash_set(cache.sessions, key, APR_HASH_KEY_STRING, NULL);
    }
    apr_thread_mutex_unlock(cache.mutex);
}

static apr_status_t cache_cleanup(void *data)
{
    apr_pool_destroy(cache.pool); /* sessions, then contexts */
    return APR_SUCCESS;
}

apr_status_t relay_ssl_child_init(apr_pool_t *pchild)
{
    apr_allocator_t *alloc;
    apr_status_t rv;

    rv =
        apr_thread_mutex_create(&cache.mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv != APR_SUCCESS ||
        (rv = apr_allocator_create(&alloc)) != APR_SUCCESS) {
        return rv;
    }
    /* A pool of its own, used only under cache.mutex: pchild is shared
     * with other modules' threads. */
    if ((rv = apr_pool_create_unmanaged_ex(&cache.pool, NULL, alloc)) !=
        APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, cache.pool);
    apr_pool_cleanup_register(pchild, NULL, cache_cleanup,
                              apr_pool_cleanup_null);
    cache.ctxs = apr_hash_make(cache.pool);
    if ((rv = apr_pool_create(&cache.sess_pool, cache.pool)) != APR_SUCCESS) {
        return rv;
    }
    sessions_reset();
    return APR_SUCCESS;
}
