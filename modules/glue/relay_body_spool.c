/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The spooled request body (relay_body_spool.h): a fixed memory part,
 * then a temporary file opened at the first byte past it.
 */
#include "apr_file_io.h"
#include "apr_strings.h"
#include "http_protocol.h"
#include "util_filter.h"

#include "relay_body_spool.h"

/* What is read back from the file at a time. */
#define REPLAY_PIECE 16384

struct relay_body_spool_t {
    request_rec *r;
    char memory[RELAY_BODY_SPOOL_MEMORY];
    apr_size_t in_memory;
    apr_file_t *file; /* NULL until the memory part is full */
    apr_off_t length;
};

static apr_status_t open_file(relay_body_spool_t *s)
{
    const char *dir = NULL;
    apr_status_t rv = apr_temp_dir_get(&dir, s->r->pool);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    return apr_file_mktemp(
        &s->file, apr_pstrcat(s->r->pool, dir, "/relay-body-XXXXXX", NULL),
        APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_EXCL |
            APR_FOPEN_DELONCLOSE,
        s->r->pool);
}

static apr_status_t keep(relay_body_spool_t *s, const char *data,
                         apr_size_t len)
{
    apr_size_t room = sizeof(s->memory) - s->in_memory;
    apr_status_t rv;

    if (len <= room && !s->file) {
        memcpy(s->memory + s->in_memory, data, len);
        s->in_memory += len;
        s->length += (apr_off_t)len;
        return APR_SUCCESS;
    }
    if (!s->file) {
        memcpy(s->memory + s->in_memory, data, room);
        s->in_memory += room;
        s->length += (apr_off_t)room;
        data += room;
        len -= room;
        if ((rv = open_file(s)) != APR_SUCCESS) {
            return rv;
        }
    }
    rv = apr_file_write_full(s->file, data, len, NULL);
    if (rv == APR_SUCCESS) {
        s->length += (apr_off_t)len;
    }
    return rv;
}

apr_status_t relay_body_read(request_rec *r, apr_bucket_brigade *bb,
                             apr_size_t read_size, relay_body_sink_t sink,
                             void *baton, int *client_failed)
{
    apr_status_t rv = APR_SUCCESS;
    int seen_eos = !ap_request_has_body(r);

    *client_failed = 0;
    while (!seen_eos && rv == APR_SUCCESS) {
        apr_bucket *b;

        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, read_size);
        if (rv != APR_SUCCESS) {
            *client_failed = 1;
            break;
        }
        for (b = APR_BRIGADE_FIRST(bb);
             b != APR_BRIGADE_SENTINEL(bb) && rv == APR_SUCCESS;
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t len;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                *client_failed = 1;
                break;
            }
            if (len > 0) {
                rv = sink(baton, data, len);
            }
        }
        apr_brigade_cleanup(bb);
    }
    apr_brigade_cleanup(bb);
    return rv;
}

static apr_status_t to_spool(void *baton, const char *data, apr_size_t len)
{
    return keep(baton, data, len);
}

apr_status_t relay_body_spool_read(request_rec *r, apr_bucket_brigade *bb,
                                   apr_size_t read_size,
                                   relay_body_spool_t **out, int *client_failed)
{
    relay_body_spool_t *s = apr_palloc(r->pool, sizeof(*s));

    s->r = r;
    s->in_memory = 0;
    s->file = NULL;
    s->length = 0;
    *out = s;
    return relay_body_read(r, bb, read_size, to_spool, s, client_failed);
}

apr_off_t relay_body_spool_length(const relay_body_spool_t *spool)
{
    return spool->length;
}

apr_status_t relay_body_spool_replay(relay_body_spool_t *s,
                                     relay_body_sink_t sink, void *baton)
{
    apr_off_t start = 0;
    apr_status_t rv = APR_SUCCESS;
    char *buf;

    if (s->in_memory > 0) {
        rv = sink(baton, s->memory, s->in_memory);
    }
    if (rv != APR_SUCCESS || !s->file) {
        return rv;
    }
    if ((rv = apr_file_seek(s->file, APR_SET, &start)) != APR_SUCCESS) {
        return rv;
    }
    buf = apr_palloc(s->r->pool, REPLAY_PIECE);
    while (rv == APR_SUCCESS) {
        apr_size_t n = REPLAY_PIECE;

        rv = apr_file_read(s->file, buf, &n);
        if (rv == APR_SUCCESS) {
            rv = sink(baton, buf, n);
        }
    }
    return APR_STATUS_IS_EOF(rv) ? APR_SUCCESS : rv;
}
