/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * ProxyStatusHeader: the Proxy-Status response field (RFC 9209) on the
 * error responses Relay generates itself (502, 503, 504 ...), naming the
 * gateway and why the request failed, so that clients and CDNs can tell a
 * refused connection from a timeout or a malformed response. The cause
 * comes from the request's RELAY_NOTE_PROXY_ERROR note, left by whichever
 * module met the failure; the field goes into err_headers_out, so it stays
 * when an ErrorDocument replaces the body. Off by default; responses that
 * came from the origin (ProxyErrorOverride included) never get one.
 */
#include "apr_strings.h"
#include "http_request.h"

#include "relay_error_note.h"
#include "relay_keyword.h"
#include "proxy_private.h"

#define RELAY_STATUS_HEADER_DEFAULT_NAME "relay"

static const relay_keyword_t modes[] = {
    {"Off", RELAY_STATUS_HEADER_OFF},
    {"On", RELAY_STATUS_HEADER_ON},
    {"Details", RELAY_STATUS_HEADER_DETAILS},
    {NULL, 0}};

/* ProxyStatusHeader Off|On|Details [proxy-name] */
const char *relay_status_header_cmd(cmd_parms *cmd, void *dconf,
                                    const char *mode, const char *name)
{
    relay_proxy_dir_conf_t *dc = dconf;
    const char *err =
        relay_keyword_parse(cmd, mode, modes, &dc->status_header.mode);
    const char *p;

    if (err) {
        return err;
    }
    if (name && dc->status_header.mode == RELAY_STATUS_HEADER_OFF) {
        return apr_psprintf(cmd->pool, "%s Off takes no proxy name ('%s')",
                            cmd->cmd->name, name);
    }
    if (name) {
        for (p = name; *p; p++) {
            if (*p < 0x20 || *p > 0x7e) {
                return apr_psprintf(cmd->pool,
                                    "%s: the proxy name '%s' must be "
                                    "printable ASCII",
                                    cmd->cmd->name, name);
            }
        }
        if (!*name) {
            return apr_psprintf(cmd->pool, "%s: the proxy name is empty",
                                cmd->cmd->name);
        }
    }
    dc->status_header.name = name ? name : RELAY_STATUS_HEADER_DEFAULT_NAME;
    return NULL;
}

void relay_status_header_add(request_rec *r, int rc, int unavailable)
{
    relay_proxy_dir_conf_t *dc =
        ap_get_module_config(r->per_dir_config, &proxy_module);
    relay_proxy_error_t error;
    const char *value;

    if (rc < HTTP_BAD_REQUEST ||
        dc->status_header.mode <= RELAY_STATUS_HEADER_OFF) {
        return;
    }
    error = relay_error_note_get(r);
    if (error == RELAY_PROXY_ERROR_NONE && unavailable &&
        rc == HTTP_SERVICE_UNAVAILABLE) {
        error = RELAY_PROXY_ERROR_NO_MEMBER;
        relay_error_note_set(r, error);
    }
    value = relay_proxy_status_value(r->pool, dc->status_header.name, error,
                                     dc->status_header.mode ==
                                         RELAY_STATUS_HEADER_DETAILS);
    if (value) {
        apr_table_setn(r->err_headers_out, "Proxy-Status", value);
    }
}
