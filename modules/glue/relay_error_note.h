/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Records why a proxied request failed in its RELAY_NOTE_PROXY_ERROR note
 * (include/relay_proxy.h), for Proxy-Status and the access log; shared by
 * every proxy module that can fail a request.
 */
#ifndef RELAY_ERROR_NOTE_H
#define RELAY_ERROR_NOTE_H

#include "httpd.h"

#include "relay/relay_proxy_error.h"

/* Sets the note of `r` to `error`, replacing an earlier one. */
void relay_error_note_set(request_rec *r, relay_proxy_error_t error);

/* The cause noted on `r`, or RELAY_PROXY_ERROR_NONE. */
relay_proxy_error_t relay_error_note_get(request_rec *r);

#endif
