/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Incremental decoder for the chunked transfer coding (RFC 9112 §7.1).
 *
 * The decoder holds only a few integers of state, so it can be fed a body
 * in pieces of any size, down to one byte at a time. It never copies data:
 * each call reports where the next run of payload bytes lies inside the
 * input it was given. Chunk extensions are skipped; trailer fields are
 * read and dropped (RFC 9112 §7.1.2 allows a recipient to discard them).
 */
#ifndef RELAY_CHUNKED_H
#define RELAY_CHUNKED_H

#include <apr.h>

#include "relay/relay_status.h"

typedef struct relay_chunked_t {
    int state;           /* private */
    apr_off_t remaining; /* payload bytes left in the current chunk */
    apr_size_t line_len; /* bytes of the current size or trailer line */
    int digits;          /* hex digits seen in the current size */
    apr_size_t max_line; /* longest size or trailer line accepted */
} relay_chunked_t;

/* Readies a decoder; max_line bounds size and trailer lines (0: 4096). */
void relay_chunked_init(relay_chunked_t *dec, apr_size_t max_line);

/*
 * Decodes from in[0..len). Sets *consumed to the input bytes used and,
 * when payload was found, *data_off and *data_len to where it lies in
 * `in` (inside the consumed part). Returns:
 *   RELAY_AGAIN  - input used up (or payload found); call again with the rest
 *   RELAY_OK     - the last chunk and its trailers are complete; bytes after
 *                  *consumed belong to the next message
 *   RELAY_EBADCHUNK / RELAY_ETOOLARGE - malformed framing
 * One call reports at most one run of payload, so a caller loops until the
 * input is consumed, handling each run as it comes.
 */
relay_status_t relay_chunked_decode(relay_chunked_t *dec, const char *in,
                                    apr_size_t len, apr_size_t *consumed,
                                    apr_size_t *data_off, apr_size_t *data_len);

/* True once the decoder has seen the whole chunked body. */
int relay_chunked_done(const relay_chunked_t *dec);

#endif
