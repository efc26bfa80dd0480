/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Shared by every Relay module's glue: registration under the module's
 * stock name, and the startup check that refuses to run next to a stock
 * module of the same family.
 */
#ifndef RELAY_FAMILY_H
#define RELAY_FAMILY_H

#include "httpd.h"
#include "http_config.h"

/* Marks `name` ("mod_proxy.c" ...) as Relay's own (call in register_hooks). */
void relay_family_register(apr_pool_t *p, const char *name);

/*
 * Logs an error and returns !OK when a module of Relay's family is loaded
 * but is not Relay's (the stock module of that name). Call from check_config
 * so that `apachectl configtest` reports it too.
 */
int relay_family_check(apr_pool_t *plog, server_rec *s, module *self);

#endif
