/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Declarations shared by the files of Relay's mod_proxy_ssl: the SSLProxy*
 * configuration record and the effective settings made from it, the
 * per-child SSL_CTX and session caches, and the TLS transport.
 */
#ifndef SSL_PRIVATE_H
#define SSL_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "relay_proxy.h"
#include "relay_log.h"

APLOG_USE_MODULE(proxy_ssl);

extern module AP_MODULE_DECLARE_DATA proxy_ssl_module;

/* SSLProxyVerify */
typedef enum relay_ssl_verify_e {
    RELAY_SSL_VERIFY_NONE = 0,
    RELAY_SSL_VERIFY_OPTIONAL,
    RELAY_SSL_VERIFY_REQUIRE,
    RELAY_SSL_VERIFY_OPTIONAL_NO_CA
} relay_ssl_verify_t;

/* SSLProxyCARevocationCheck */
typedef enum relay_ssl_crl_e {
    RELAY_SSL_CRL_NONE = 0,
    RELAY_SSL_CRL_LEAF,
    RELAY_SSL_CRL_CHAIN
} relay_ssl_crl_t;

/* How the certificate's name is compared with the origin's
 * (SSLProxyCheckPeerName and SSLProxyCheckPeerCN together, as in 2.4.21
 * and later). */
typedef enum relay_ssl_names_e {
    RELAY_SSL_NAMES_OFF = 0, /* no name check */
    RELAY_SSL_NAMES_SAN,     /* subjectAltName (CN without SANs) */
    RELAY_SSL_NAMES_CN       /* legacy: the first CN, exactly */
} relay_ssl_names_t;

/*
 * SSLProxy* as written, in one per-directory record: at server level it
 * is the server's defaults (every request starts from them), inside
 * <Proxy> sections it is merged on top for the URLs they match. Numbers
 * are RELAY_UNSET and strings NULL when not given.
 */
typedef struct relay_ssl_dir_conf_t {
    int engine;
    int verify; /* relay_ssl_verify_t */
    int verify_depth;
    const char *ca_file;
    const char *ca_path;
    const char *crl_file;
    const char *crl_path;
    int crl_check;      /* relay_ssl_crl_t */
    int crl_missing_ok; /* no_crl_for_cert_ok; set with crl_check */
    int check_name;
    int check_cn;
    int check_expire;
    const char *cert_file;
    const char *cert_path;
    const char *chain_file;
    int protocols; /* RELAY_TLS_* bits */
    const char *ciphers;
    const char *ciphers13;
} relay_ssl_dir_conf_t;

/* The settings in force for one connection: defaults filled in. */
typedef struct relay_ssl_settings_t {
    int engine;
    relay_ssl_verify_t verify;
    int verify_unset; /* SSLProxyVerify not given: Relay's default */
    int verify_depth; /* RELAY_UNSET: no limit of Relay's own */
    const char *ca_file, *ca_path;
    const char *crl_file, *crl_path;
    relay_ssl_crl_t crl_check;
    int crl_missing_ok; /* a certificate whose CRL is missing passes */
    relay_ssl_names_t names;
    int check_expire;
    const char *cert_file, *cert_path, *chain_file;
    int protocols;
    const char *ciphers, *ciphers13;
} relay_ssl_settings_t;

/* ssl_config.c */
extern const command_rec relay_ssl_cmds[];
void *relay_ssl_create_dir_conf(apr_pool_t *p, char *dir);
void *relay_ssl_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void relay_ssl_settings_get(const relay_ssl_dir_conf_t *dc,
                            relay_ssl_settings_t *st);
/* A string that differs whenever two settings would differ in effect. */
const char *relay_ssl_settings_fingerprint(apr_pool_t *p,
                                           const relay_ssl_settings_t *st);

/* ssl_ctx.c */
apr_status_t relay_ssl_child_init(apr_pool_t *pchild);
/* Builds an SSL_CTX for `st` (freed by the caller), or returns NULL with
 * the reason in *err. */
SSL_CTX *relay_ssl_ctx_make(apr_pool_t *p, const relay_ssl_settings_t *st,
                            const char **err);
/* The child's SSL_CTX for these settings, made on first use. */
SSL_CTX *relay_ssl_ctx_get(apr_pool_t *p, const relay_ssl_settings_t *st,
                           const char *fingerprint, const char **err);
/* The session last saved under `key` (a reference the caller frees), or
 * NULL; and saving one (the cache takes over the reference). */
SSL_SESSION *relay_ssl_session_get(const char *key);
void relay_ssl_session_put(const char *key, SSL_SESSION *sess);
void relay_ssl_session_forget(const char *key);
/* The OpenSSL error queue as one line (and cleared), for logs. */
const char *relay_ssl_errors(apr_pool_t *p);

/* ssl_transport.c */
extern const relay_transport_t relay_ssl_transport;
apr_status_t relay_ssl_transport_init(apr_pool_t *pchild);
/* The verification callback every SSL_CTX of ours uses. */
int relay_ssl_verify_cb(int ok, X509_STORE_CTX *store);
/* The new-session callback that feeds the session cache. */
int relay_ssl_new_session_cb(SSL *ssl, SSL_SESSION *sess);

#endif
