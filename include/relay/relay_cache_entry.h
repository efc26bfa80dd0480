/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The stored head of a cache entry, shared by the memory and disk stores:
 * a response's status, header fields and timing, and the Vary fields of
 * the variant, as one flat, checksummed, versioned byte block.
 *
 * Layout (integers big-endian, no padding, no NUL terminators):
 *
 *   0  "RLYC"            magic
 *   4  u16 version       RELAY_CACHE_ENTRY_VERSION
 *   6  u16 0             reserved
 *   8  u32 length        of the whole block, checksum included
 *  12  u16 status        200..599
 *  14  u16 0             reserved
 *  16  i64 request_time  apr_time_t
 *  24  i64 response_time apr_time_t
 *  32  i64 body_length   bytes, >= 0
 *  40  u32 nfields       header fields, then
 *  44  u32 nvary         Vary fields
 *  48  nfields × (u16 name length, name, u32 value length, value)
 *      nvary × (u16 name length, name, u8 present, u32 value length, value)
 *  ... u32 CRC-32 (IEEE 802.3) of every byte before it
 *
 * Decoding trusts nothing: a block that is short, long, of another version
 * or with a bad checksum is refused before its content is read, and the
 * content is then checked as strictly as encoding produces it (field
 * names are tokens, values hold no control character but HTAB and no
 * DEL, Vary names are lower-case and sorted, lengths stay inside the
 * block). The checksum only catches accidents: the memory, disk and
 * socache stores all hand their heads to relay_cache_entry_decode() or
 * relay_cache_entry_decode_checked(), which also refuse, as
 * NOT_SERVABLE, an entry no origin response stored by mod_cache could
 * give: a status outside 200..599, a hop-by-hop or framing field
 * (Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade), or a Content-Length that is not the
 * stored body length. A refused block is a miss for the caller.
 */
#ifndef RELAY_CACHE_ENTRY_H
#define RELAY_CACHE_ENTRY_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "relay/relay_cache_control.h"

#define RELAY_CACHE_ENTRY_VERSION 1

/* The largest block encoded or decoded: 16 MiB. */
#define RELAY_CACHE_ENTRY_MAX ((apr_size_t)16 * 1024 * 1024)

typedef struct relay_cache_entry_t {
    int status;
    apr_time_t request_time;  /* when the request went to the origin */
    apr_time_t response_time; /* when its response head arrived */
    apr_off_t body_length;
    apr_table_t *headers; /* response header fields, in order */
    /* relay_cache_vary_field_t (relay_cache_key.h), sorted by name as
     * relay_cache_vary_fields() returns them; NULL or empty: none. */
    apr_array_header_t *vary;
} relay_cache_entry_t;

typedef enum relay_cache_entry_status_e {
    RELAY_CACHE_ENTRY_OK = 0,
    RELAY_CACHE_ENTRY_TRUNCATED,    /* shorter than it says */
    RELAY_CACHE_ENTRY_BAD_MAGIC,    /* not an entry head */
    RELAY_CACHE_ENTRY_BAD_VERSION,  /* another format version */
    RELAY_CACHE_ENTRY_BAD_CHECKSUM, /* corrupt */
    RELAY_CACHE_ENTRY_MALFORMED,    /* checksum fine, content invalid */
    RELAY_CACHE_ENTRY_TOO_LARGE,    /* over RELAY_CACHE_ENTRY_MAX */
    RELAY_CACHE_ENTRY_NOT_SERVABLE  /* well formed, but no response to serve:
                                       status, hop-by-hop or framing field,
                                       Content-Length */
} relay_cache_entry_status_t;

/* A short English description of a status, for the log line of a miss. */
const char *relay_cache_entry_describe(relay_cache_entry_status_t status);

/*
 * Serialises `e` into one block allocated from `pool`. Refuses (with
 * MALFORMED, TOO_LARGE or NOT_SERVABLE) anything decoding would refuse,
 * so every block it writes reads back equal.
 */
relay_cache_entry_status_t
relay_cache_entry_encode(apr_pool_t *pool, const relay_cache_entry_t *e,
                         char **buf, apr_size_t *len);

/*
 * Reads a block buf[0, len) into `e`, copying every string into `pool`,
 * so the block may change or go away once the call returns (a store may
 * decode straight from shared memory). On failure `e` is unspecified.
 */
relay_cache_entry_status_t relay_cache_entry_decode(apr_pool_t *pool,
                                                    const char *buf,
                                                    apr_size_t len,
                                                    relay_cache_entry_t *e);

/*
 * relay_cache_entry_decode() for a block whose bytes the caller has
 * already checked with a checksum of its own over them (the disk store's
 * entry files carry one): everything but the block's CRC is checked.
 */
relay_cache_entry_status_t
relay_cache_entry_decode_checked(apr_pool_t *pool, const char *buf,
                                 apr_size_t len, relay_cache_entry_t *e);

/* CRC-32 (IEEE 802.3, as zlib's crc32()) of buf[0, len). */
apr_uint32_t relay_cache_entry_checksum(const char *buf, apr_size_t len);

/*
 * The header fields of a response that are worth storing, copied into a
 * new table from `pool`: all but the hop-by-hop fields (RFC 9111 §3.1:
 * Connection, those it names, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade), the names in `ignore` (CacheIgnoreHeaders,
 * const char *; NULL for none; "None" is the caller's business), and the
 * fields a qualified no-cache or private names in `cc` (may be NULL), as
 * stock mod_cache leaves them out.
 */
apr_table_t *relay_cache_entry_store_headers(apr_pool_t *pool,
                                             const apr_table_t *headers,
                                             const apr_array_header_t *ignore,
                                             const relay_cache_control_t *cc);

#endif
