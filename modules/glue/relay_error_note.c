/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The note that carries the cause of a proxy failure from the module that
 * met it to mod_proxy, which answers the client (see relay_error_note.h).
 */
#include "relay_proxy.h"
#include "relay_error_note.h"

void relay_error_note_set(request_rec *r, relay_proxy_error_t error)
{
    const char *name = relay_proxy_error_name(error);

    if (name) {
        apr_table_setn(r->notes, RELAY_NOTE_PROXY_ERROR, name);
    }
}

relay_proxy_error_t relay_error_note_get(request_rec *r)
{
    return relay_proxy_error_parse(
        apr_table_get(r->notes, RELAY_NOTE_PROXY_ERROR));
}
