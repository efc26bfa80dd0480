/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Header rules for a gateway (RFC 9110 §7.6): hop-by-hop removal, tokens in
 * list-valued fields, forwarding headers, and the checks that keep hostile
 * values out of the messages Relay writes.
 */
#ifndef RELAY_HEADERS_H
#define RELAY_HEADERS_H

#include <strings.h>

#include <apr_pools.h>
#include <apr_tables.h>

/* 1 for the characters of a token (tchar, RFC 9110 §5.6.2): letters,
 * digits and !#$%&'*+-.^_`|~; 0 for every other byte. */
extern const unsigned char relay_header_tchar[256];

static APR_INLINE int relay_header_is_tchar(unsigned char c)
{
    return relay_header_tchar[c];
}

/* The value of hexadecimal digit c (either case), or -1 (chunk sizes,
 * %XX escapes). */
static APR_INLINE int relay_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* True when field name `key` is `name`, in any case. Most names differ in
 * their first letter, which is compared here before the library call. */
static APR_INLINE int relay_header_name_is(const char *key, const char *name)
{
    return ((key[0] ^ name[0]) & ~0x20) == 0 && strcasecmp(key, name) == 0;
}

/*
 * True when the comma-separated list `value` contains `token`, compared
 * without regard to case and ignoring optional whitespace (RFC 9110 §5.6.1).
 */
int relay_header_has_token(const char *value, const char *token);

/*
 * Steps through a comma-separated list field value (RFC 9110 §5.6.1):
 * sets *elt and *n to the next element, trimmed of optional whitespace
 * (empty elements come back with *n == 0) and moves *cursor past it.
 * Returns 0 once the list is used up. Start with *cursor = value.
 */
int relay_header_list_next(const char **cursor, const char **elt,
                           apr_size_t *n);

/*
 * Removes the hop-by-hop fields from `headers`: every field named in any
 * Connection field, then Connection, Keep-Alive, Proxy-Connection, TE,
 * Trailer, Transfer-Encoding and Upgrade. When keep_upgrade is set, Upgrade
 * is kept (and "Connection: Upgrade" is left for the caller to re-add).
 * The caller adds its own forwarding headers only after this, so a client
 * cannot remove them by naming them in Connection.
 */
void relay_headers_strip_hop_by_hop(apr_table_t *headers, int keep_upgrade);

/*
 * True when `value` may be written into a header field: no CR, LF or NUL
 * (RFC 9110 §5.5). Used on every value Relay forwards or generates.
 */
int relay_header_value_is_safe(const char *value);

/* True when `name` is a valid field name (a token, RFC 9110 §5.1). */
int relay_header_name_is_token(const char *name);

/*
 * Appends `value` to the field `name`, comma-separated after any existing
 * values, as X-Forwarded-For/-Host/-Server are (one field line results).
 */
void relay_header_append(apr_table_t *headers, const char *name,
                         const char *value);

#endif
