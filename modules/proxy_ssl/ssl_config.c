/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_proxy_ssl's directives: stock mod_ssl's SSLProxy* names, arguments
 * and contexts (server, virtual host, <Proxy> sections), so that a
 * configuration written for mod_ssl works unchanged, and both modules can
 * be loaded together: httpd hands each directive to every module that
 * declares it. Bad values and missing files are refused here, with the
 * file and line; the settings as a whole (can the CA file be parsed, does
 * the key match the certificate) are checked for each https:// worker at
 * startup (ssl_ctx.c).
 *
 * Defaults are stock's except one: SSLProxyVerify not given means Relay
 * verifies the origin's certificate chain (against the system's trust
 * store when no CA is configured), where stock verifies nothing.
 */
#include "apr_strings.h"
#include "apr_file_info.h"
#include "apr_lib.h"

#include "relay/relay_tls.h"
#include "relay_keyword.h"
#include "ssl_private.h"

void *relay_ssl_create_dir_conf(apr_pool_t *p, char *dir)
{
    relay_ssl_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    c->engine = RELAY_UNSET;
    c->verify = RELAY_UNSET;
    c->verify_depth = RELAY_UNSET;
    c->crl_check = RELAY_UNSET;
    c->check_name = RELAY_UNSET;
    c->check_cn = RELAY_UNSET;
    c->check_expire = RELAY_UNSET;
    c->protocols = RELAY_UNSET;
    return c;
}

#define MERGE_INT(f) c->f = add->f != RELAY_UNSET ? add->f : base->f
#define MERGE_STR(f) c->f = add->f ? add->f : base->f

void *relay_ssl_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    relay_ssl_dir_conf_t *base = basev, *add = addv;
    relay_ssl_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    MERGE_INT(engine);
    MERGE_INT(verify);
    MERGE_INT(verify_depth);
    MERGE_STR(ca_file);
    MERGE_STR(ca_path);
    MERGE_STR(crl_file);
    MERGE_STR(crl_path);
    MERGE_INT(crl_check);
    c->crl_missing_ok = add->crl_check != RELAY_UNSET ? add->crl_missing_ok
                                                      : base->crl_missing_ok;
    MERGE_INT(check_name);
    MERGE_INT(check_cn);
    MERGE_INT(check_expire);
    MERGE_STR(cert_file);
    MERGE_STR(cert_path);
    MERGE_STR(chain_file);
    MERGE_INT(protocols);
    MERGE_STR(ciphers);
    MERGE_STR(ciphers13);
    return c;
}

void relay_ssl_settings_get(const relay_ssl_dir_conf_t *dc,
                            relay_ssl_settings_t *st)
{
    memset(st, 0, sizeof(*st));
    st->engine = dc->engine == 1;
    st->verify_unset = dc->verify == RELAY_UNSET;
    st->verify = st->verify_unset ? RELAY_SSL_VERIFY_REQUIRE
                                  : (relay_ssl_verify_t)dc->verify;
    st->verify_depth = dc->verify_depth;
    st->ca_file = dc->ca_file;
    st->ca_path = dc->ca_path;
    st->crl_file = dc->crl_file;
    st->crl_path = dc->crl_path;
    st->crl_check = dc->crl_check == RELAY_UNSET
                        ? RELAY_SSL_CRL_NONE
                        : (relay_ssl_crl_t)dc->crl_check;
    st->crl_missing_ok = dc->crl_missing_ok;
    /* As stock since 2.4.21: either one off turns name checks off, except
     * that CN on with Name off asks for the legacy CN comparison. */
    if (dc->check_name == 0 && dc->check_cn == 1) {
        st->names = RELAY_SSL_NAMES_CN;
    }
    else if (dc->check_name == 0 || dc->check_cn == 0) {
        st->names = RELAY_SSL_NAMES_OFF;
    }
    else {
        st->names = RELAY_SSL_NAMES_SAN;
    }
    st->check_expire = dc->check_expire != 0;
    st->cert_file = dc->cert_file;
    st->cert_path = dc->cert_path;
    st->chain_file = dc->chain_file;
    st->protocols = dc->protocols == RELAY_UNSET
                        ? (RELAY_TLS_ALL & ~RELAY_TLS_SSLV3)
                        : dc->protocols;
    st->ciphers = dc->ciphers;
    st->ciphers13 = dc->ciphers13;
}

/* A string field with its length, so that no value can imitate another. */
static const char *field(apr_pool_t *p, const char *s)
{
    return s ? apr_psprintf(p, "%" APR_SIZE_T_FMT ":%s", strlen(s), s) : "-";
}

const char *relay_ssl_settings_fingerprint(apr_pool_t *p,
                                           const relay_ssl_settings_t *st)
{
    return apr_psprintf(
        p, "v%d/%d d%d crl%d/%d n%d x%d p%x %s %s %s %s %s %s %s %s %s",
        (int)st->verify, st->verify_unset, st->verify_depth, (int)st->crl_check,
        st->crl_missing_ok, (int)st->names, st->check_expire, st->protocols,
        field(p, st->ca_file), field(p, st->ca_path), field(p, st->crl_file),
        field(p, st->crl_path), field(p, st->cert_file),
        field(p, st->cert_path), field(p, st->chain_file),
        field(p, st->ciphers), field(p, st->ciphers13));
}

/* ------------------------------------------------------------ directives */

static const char *cmd_engine(cmd_parms *cmd, void *dconf, int flag)
{
    ((relay_ssl_dir_conf_t *)dconf)->engine = flag;
    return NULL;
}

static const relay_keyword_t verify_words[] = {
    {"none", RELAY_SSL_VERIFY_NONE},
    {"optional", RELAY_SSL_VERIFY_OPTIONAL},
    {"require", RELAY_SSL_VERIFY_REQUIRE},
    {"optional_no_ca", RELAY_SSL_VERIFY_OPTIONAL_NO_CA},
    {"on", RELAY_SSL_VERIFY_REQUIRE}, /* stock's aliases */
    {"off", RELAY_SSL_VERIFY_NONE},
    {NULL, 0}};

static const char *cmd_verify(cmd_parms *cmd, void *dconf, const char *arg)
{
    relay_ssl_dir_conf_t *dc = dconf;

    return relay_keyword_parse(cmd, arg, verify_words, &dc->verify);
}

static const char *cmd_verify_depth(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);

    if (!apr_isdigit(*arg) || *end || n > 100) {
        return apr_psprintf(cmd->pool,
                            "SSLProxyVerifyDepth must be a "
                            "number from 0 to 100, not '%s'",
                            arg);
    }
    ((relay_ssl_dir_conf_t *)dconf)->verify_depth = (int)n;
    return NULL;
}

/* Resolves a path against ServerRoot and checks it names a file (or a
 * directory when `dir` is set). */
static const char *checked_path(cmd_parms *cmd, const char *arg, int dir,
                                const char **out)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t finfo;

    if (!path ||
        apr_stat(&finfo, path, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS ||
        finfo.filetype != (dir ? APR_DIR : APR_REG)) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' does not exist or is not a "
                            "%s",
                            cmd->cmd->name, arg, dir ? "directory" : "file");
    }
    *out = path;
    return NULL;
}

/* The path directives: cmd->info is the field's offset in the record;
 * directories are the *_path fields. */
static const char *cmd_path(cmd_parms *cmd, void *dconf, const char *arg)
{
    size_t offset = (size_t)cmd->info;
    int dir = offset == APR_OFFSETOF(relay_ssl_dir_conf_t, ca_path) ||
              offset == APR_OFFSETOF(relay_ssl_dir_conf_t, crl_path) ||
              offset == APR_OFFSETOF(relay_ssl_dir_conf_t, cert_path);

    return checked_path(cmd, arg, dir, (const char **)((char *)dconf + offset));
}

static const relay_keyword_t crl_check_words[] = {
    {"none", RELAY_SSL_CRL_NONE},
    {"leaf", RELAY_SSL_CRL_LEAF},
    {"chain", RELAY_SSL_CRL_CHAIN},
    {NULL, 0}};

/* SSLProxyCARevocationCheck none|leaf|chain [no_crl_for_cert_ok] */
static const char *cmd_crl_check(cmd_parms *cmd, void *dconf, const char *arg,
                                 const char *flag)
{
    relay_ssl_dir_conf_t *dc = dconf;

    if (flag && ap_cstr_casecmp(flag, "no_crl_for_cert_ok") != 0) {
        return apr_psprintf(cmd->pool,
                            "SSLProxyCARevocationCheck: the second "
                            "argument can only be no_crl_for_cert_ok, "
                            "not '%s'",
                            flag);
    }
    dc->crl_missing_ok = flag != NULL;
    return relay_keyword_parse(cmd, arg, crl_check_words, &dc->crl_check);
}

/* The on/off directives: cmd->info is the field's offset. */
static const char *cmd_flag(cmd_parms *cmd, void *dconf, int flag)
{
    *(int *)((char *)dconf + (size_t)cmd->info) = flag;
    return NULL;
}

/* SSLProxyProtocol [+|-]protocol ... */
static const char *cmd_protocol(cmd_parms *cmd, void *dconf, const char *args)
{
    relay_ssl_dir_conf_t *dc = dconf;
    unsigned mask = 0, lowest, highest;
    const char *word;
    int first = 1;

    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (relay_tls_protocol_word(word, first, &mask) != 0) {
            return apr_psprintf(cmd->pool,
                                "SSLProxyProtocol: '%s' is not "
                                "all, SSLv3, TLSv1, TLSv1.1, "
                                "TLSv1.2 or TLSv1.3",
                                word);
        }
        first = 0;
    }
    if (first) {
        return "SSLProxyProtocol needs at least one protocol";
    }
    if (relay_tls_protocol_range(mask & ~RELAY_TLS_SSLV3, &lowest, &highest) !=
        0) {
        return "SSLProxyProtocol leaves no protocol that Relay supports "
               "(TLSv1 to TLSv1.3)";
    }
    dc->protocols = (int)mask;
    return NULL;
}

/* SSLProxyCipherSuite [SSL|TLSv1.3] spec: checked against OpenSSL now. */
static const char *cmd_ciphers(cmd_parms *cmd, void *dconf, const char *arg1,
                               const char *arg2)
{
    relay_ssl_dir_conf_t *dc = dconf;
    const char *spec = arg2 ? arg2 : arg1;
    relay_tls_ciphers_t target = relay_tls_ciphers_target(arg2 ? arg1 : NULL);
    SSL_CTX *ctx;
    int ok;

    if (target == RELAY_TLS_CIPHERS_BAD) {
        return apr_psprintf(cmd->pool,
                            "SSLProxyCipherSuite: '%s' is not a "
                            "protocol (SSL or TLSv1.3)",
                            arg1);
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return "SSLProxyCipherSuite: OpenSSL cannot make a context";
    }
    ok = target == RELAY_TLS_CIPHERS_TLS13 ? SSL_CTX_set_ciphersuites(ctx, spec)
                                           : SSL_CTX_set_cipher_list(ctx, spec);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) {
        return apr_psprintf(cmd->pool,
                            "SSLProxyCipherSuite: OpenSSL accepts "
                            "no cipher in '%s'",
                            spec);
    }
    if (target == RELAY_TLS_CIPHERS_TLS13) {
        dc->ciphers13 = apr_pstrdup(cmd->pool, spec);
    }
    else {
        dc->ciphers = apr_pstrdup(cmd->pool, spec);
    }
    return NULL;
}

#define OFFSET(f) (void *)APR_OFFSETOF(relay_ssl_dir_conf_t, f)
#define WHERE RSRC_CONF | PROXY_CONF

const command_rec relay_ssl_cmds[] = {
    AP_INIT_FLAG("SSLProxyEngine", cmd_engine, NULL, WHERE,
                 "Turns TLS to https:// and wss:// origins on or off."),
    AP_INIT_TAKE1("SSLProxyVerify", cmd_verify, NULL, WHERE,
                  "Sets how the origin's certificate is verified: none "
                  "(off), optional, require (on) or optional_no_ca "
                  "(Relay's default: require)."),
    AP_INIT_TAKE1("SSLProxyVerifyDepth", cmd_verify_depth, NULL, WHERE,
                  "Sets how many CA certificates may be followed when "
                  "verifying the origin's certificate."),
    AP_INIT_TAKE1("SSLProxyCACertificateFile", cmd_path, OFFSET(ca_file), WHERE,
                  "Names a file of PEM CA certificates that origin "
                  "certificates are verified against."),
    AP_INIT_TAKE1("SSLProxyCACertificatePath", cmd_path, OFFSET(ca_path), WHERE,
                  "Names a directory of hashed PEM CA certificates that "
                  "origin certificates are verified against."),
    AP_INIT_TAKE1("SSLProxyCARevocationFile", cmd_path, OFFSET(crl_file), WHERE,
                  "Names a file of PEM CRLs for origin certificates."),
    AP_INIT_TAKE1("SSLProxyCARevocationPath", cmd_path, OFFSET(crl_path), WHERE,
                  "Names a directory of hashed PEM CRLs for origin "
                  "certificates."),
    AP_INIT_TAKE12("SSLProxyCARevocationCheck", cmd_crl_check, NULL, WHERE,
                   "Sets which origin certificates are checked against "
                   "CRLs: chain, leaf or none, then no_crl_for_cert_ok to "
                   "pass a certificate whose issuer has no CRL."),
    AP_INIT_FLAG("SSLProxyCheckPeerName", cmd_flag, OFFSET(check_name), WHERE,
                 "Checks the origin certificate's names (subjectAltName, "
                 "else CN) against the origin's host name when on."),
    AP_INIT_FLAG("SSLProxyCheckPeerCN", cmd_flag, OFFSET(check_cn), WHERE,
                 "Off turns name checks off; on with SSLProxyCheckPeerName "
                 "off compares the certificate's CN only."),
    AP_INIT_FLAG("SSLProxyCheckPeerExpire", cmd_flag, OFFSET(check_expire),
                 WHERE,
                 "Refuses an origin certificate that has expired or is not "
                 "yet valid when on."),
    AP_INIT_TAKE1("SSLProxyMachineCertificateFile", cmd_path, OFFSET(cert_file),
                  WHERE,
                  "Names a file of PEM client certificates and keys that "
                  "Relay presents to origins asking for one."),
    AP_INIT_TAKE1("SSLProxyMachineCertificatePath", cmd_path, OFFSET(cert_path),
                  WHERE,
                  "Names a directory whose files each hold PEM client "
                  "certificates and keys for origins."),
    AP_INIT_TAKE1("SSLProxyMachineCertificateChainFile", cmd_path,
                  OFFSET(chain_file), WHERE,
                  "Names a file of PEM CA certificates sent along with the "
                  "client certificate."),
    AP_INIT_RAW_ARGS("SSLProxyProtocol", cmd_protocol, NULL, WHERE,
                     "Sets the TLS versions offered to origins: [+|-]all, "
                     "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3."),
    AP_INIT_TAKE12("SSLProxyCipherSuite", cmd_ciphers, NULL, WHERE,
                   "Sets the ciphers offered to origins, as an OpenSSL "
                   "cipher list, for TLSv1.3 after the word TLSv1.3."),
    {NULL}};
