/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The origin's response head and the framing of its body.
 *
 * relay_response_parse() reads a status line and field lines out of a
 * caller's buffer without keeping state between calls: it first checks the
 * complete lines it can see, allocating nothing, and only once the empty
 * line that ends the head is there does it copy the fields into the pool.
 * Every line is judged when its LF arrives, and the limits are checked
 * against partial lines too, so a hostile origin is refused as early as the
 * bytes allow. relay_response_framing() then applies RFC 9112 §6.3 with the
 * ambiguous cases (the ones request smuggling is made of) turned into
 * errors.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "relay/relay_headers.h"
#include "relay/relay_response.h"

/* Limits used for a zero field of relay_response_limits_t. */
#define DEFAULT_MAX_HEAD 65536
#define DEFAULT_MAX_LINE 8192
#define DEFAULT_MAX_FIELDS 100

/* The largest value an apr_off_t can hold. */
#define OFF_MAX                                                                \
    ((apr_off_t)((((apr_uint64_t)1) << (sizeof(apr_off_t) * 8 - 1)) - 1))

/* A control character other than HTAB: never valid in a field value or a
 * reason phrase (RFC 9110 §5.5, RFC 9112 §4). Covers NUL and CR. */
static const unsigned char bad_ctl[256] = {
    /* 0x00 - 0x0f: all but HTAB */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1,
    /* 0x10 - 0x1f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* DEL */
    [0x7f] = 1};

static int is_bad_ctl(unsigned char c)
{
    return bad_ctl[c];
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * RFC 9112 §4: status-line = HTTP-version SP status-code SP [reason-phrase].
 * Only HTTP/1.0 and HTTP/1.1 are accepted, the code has exactly three digits
 * in 100..599, and a missing reason phrase with its SP is tolerated
 * ("HTTP/1.1 200"), as many origins send it so.
 */
static relay_status_t parse_status_line(const char *line, apr_size_t len,
                                        int *version, int *status,
                                        apr_size_t *reason_off)
{
    apr_size_t i;
    int code;

    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0) {
        return RELAY_EBADSTATUS;
    }
    if ((line[7] != '0' && line[7] != '1') || line[8] != ' ') {
        return RELAY_EBADSTATUS;
    }
    code = 0;
    for (i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9') {
            return RELAY_EBADSTATUS;
        }
        code = code * 10 + (line[i] - '0');
    }
    if (code < 100 || code > 599) {
        return RELAY_EBADSTATUS;
    }
    if (len > 12 && line[12] != ' ') {
        return RELAY_EBADSTATUS;
    }
    for (i = 13; i < len; i++) {
        if (is_bad_ctl((unsigned char)line[i])) {
            return RELAY_EBADSTATUS;
        }
    }
    *version = line[7] == '0' ? 10 : 11;
    *status = code;
    *reason_off = len > 12 ? 13 : 12;
    return RELAY_OK;
}

/*
 * RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. No
 * whitespace is allowed between the name and the colon (§5.1); a line that
 * starts with whitespace is obsolete line folding (§5.2), handled by the
 * caller. On success the name is line[0, *name_len) and the value, without
 * its surrounding OWS, line[*value_off, *value_end).
 */
static relay_status_t parse_field_line(const char *line, apr_size_t len,
                                       apr_size_t *name_len,
                                       apr_size_t *value_off,
                                       apr_size_t *value_end)
{
    apr_size_t i, start, end;

    for (i = 0; i < len && relay_header_is_tchar((unsigned char)line[i]); i++) {
    }
    if (i == 0 || i == len || line[i] != ':') {
        return RELAY_EBADHEADER;
    }
    *name_len = i;
    for (start = i + 1; start < len; start++) {
        if (is_bad_ctl((unsigned char)line[start])) {
            return RELAY_EBADHEADER;
        }
    }
    for (start = i + 1; start < len && is_ows(line[start]); start++) {
    }
    for (end = len; end > start && is_ows(line[end - 1]); end--) {
    }
    *value_off = start;
    *value_end = end;
    return RELAY_OK;
}

/* What the next folded line (RFC 9112 §5.2) would continue. */
enum {
    FOLD_NONE = 0, /* the status line: a fold here is malformed */
    FOLD_FIELD,    /* a field line: the fold joins its value */
    FOLD_FRAMING,  /* Content-Length or Transfer-Encoding: refused */
    FOLD_DROPPED   /* a line dropped under ProxyBadHeader Ignore */
};

static int fold_kind_of(const char *name, apr_size_t len)
{
    if ((len == 14 && strncasecmp(name, "Content-Length", 14) == 0) ||
        (len == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0)) {
        return FOLD_FRAMING;
    }
    return FOLD_FIELD;
}

/* A folded line's text, without the whitespace around it, is valid field
 * content: line[*off, *end). */
static relay_status_t parse_fold(const char *line, apr_size_t len,
                                 apr_size_t *off, apr_size_t *end)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (is_bad_ctl((unsigned char)line[i])) {
            return RELAY_EBADHEADER;
        }
    }
    for (*off = 0; *off < len && is_ows(line[*off]); (*off)++) {
    }
    for (*end = len; *end > *off && is_ows(line[*end - 1]); (*end)--) {
    }
    return RELAY_OK;
}

/* Appends a fold's text to the value of the field added last, joined by
 * one SP (an empty fold adds nothing). */
static void unfold_into(apr_pool_t *pool, apr_table_t *headers,
                        const char *text, apr_size_t len)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    apr_table_entry_t *last = &((apr_table_entry_t *)arr->elts)[arr->nelts - 1];

    if (len == 0) {
        return;
    }
    last->val = *last->val ? apr_pstrcat(pool, last->val, " ",
                                         apr_pstrmemdup(pool, text, len), NULL)
                           : apr_pstrmemdup(pool, text, len);
}

/*
 * One pass over buf[0, len) from where `pg` says earlier passes stopped:
 * checks every complete line and the limits and, when `pool` is not NULL,
 * fills `out` as it goes. The caller passes a pool only once the head is
 * complete (with `pg` zeroed, so that pass reads every line), so the lines
 * of a head still arriving are neither copied nor checked again at each
 * read. On RELAY_AGAIN `pg` records how far this pass got.
 */
static relay_status_t scan_head(const char *buf, apr_size_t len,
                                const relay_response_limits_t *lim,
                                relay_response_progress_t *pg, apr_pool_t *pool,
                                relay_response_head_t *out,
                                apr_size_t *head_len)
{
    apr_size_t pos = pg->checked, partial, n;
    const char *lf;
    int fields = pg->fields, bad_lines = pg->bad_lines, fold = pg->fold;

    /* Refuse a response that is not HTTP/1.x (an HTTP/0.9 body, say) from
     * its first bytes, before any limit, rather than waiting for a line end
     * that may never come. */
    n = len < 7 ? len : 7;
    lf = n > 0 ? memchr(buf, '\n', n) : NULL;
    if (lf != NULL || (n > 0 && memcmp(buf, "HTTP/1.", n) != 0)) {
        return RELAY_EBADSTATUS;
    }

    while (pos < len) {
        const char *line = buf + pos;
        /* The incomplete line an earlier pass stopped in has no LF up to
         * where that pass looked. */
        apr_size_t from = pos == pg->checked && pg->seen > pos ? pg->seen : pos;
        apr_size_t end, line_len, name_len, voff, vend;
        relay_status_t rv;

        lf = memchr(buf + from, '\n', len - from);
        if (lf == NULL) {
            break;
        }
        end = (apr_size_t)(lf - buf) + 1;
        if (end > lim->max_head) {
            return RELAY_ETOOLARGE;
        }
        /* RFC 9112 §2.2: a bare LF is accepted as a line terminator. */
        line_len = (apr_size_t)(lf - line);
        if (line_len > 0 && line[line_len - 1] == '\r') {
            line_len--;
        }
        if (line_len > lim->max_line) {
            return RELAY_ETOOLARGE;
        }
        if (pos == 0) {
            int version, status;
            apr_size_t reason_off;

            rv = parse_status_line(line, line_len, &version, &status,
                                   &reason_off);
            if (rv != RELAY_OK) {
                return rv;
            }
            if (pool != NULL) {
                out->version = version;
                out->status = status;
                out->reason = apr_pstrmemdup(pool, line + reason_off,
                                             line_len - reason_off);
            }
        }
        else if (line_len == 0) {
            if (pool != NULL) {
                out->bad_lines = bad_lines;
            }
            *head_len = end;
            return RELAY_OK;
        }
        else if (is_ows(line[0])) {
            if (fold == FOLD_NONE || fold == FOLD_FRAMING) {
                return RELAY_EOBSFOLD;
            }
            rv = parse_fold(line, line_len, &voff, &vend);
            if (rv != RELAY_OK) {
                if (lim->bad_header != RELAY_BAD_HEADER_IGNORE) {
                    return rv;
                }
                bad_lines++;
            }
            else if (fold == FOLD_FIELD && pool != NULL) {
                unfold_into(pool, out->headers, line + voff, vend - voff);
            }
        }
        else {
            rv = parse_field_line(line, line_len, &name_len, &voff, &vend);
            if (rv != RELAY_OK) {
                if (lim->bad_header != RELAY_BAD_HEADER_IGNORE) {
                    return rv;
                }
                bad_lines++;
                fold = FOLD_DROPPED;
            }
            else if (++fields > lim->max_fields) {
                return RELAY_ETOOLARGE;
            }
            else {
                fold = fold_kind_of(line, name_len);
                if (pool != NULL) {
                    apr_table_addn(
                        out->headers, apr_pstrmemdup(pool, line, name_len),
                        apr_pstrmemdup(pool, line + voff, vend - voff));
                }
            }
        }
        pos = end;
    }

    /* Incomplete. The head needs at least one byte more than it has, so a
     * buffer of max_head bytes without the empty line is already too much. */
    if (len >= lim->max_head) {
        return RELAY_ETOOLARGE;
    }
    partial = len - pos;
    if (partial > 0 && buf[len - 1] == '\r') {
        partial--;
    }
    if (partial > lim->max_line) {
        return RELAY_ETOOLARGE;
    }
    pg->checked = pos;
    pg->seen = len;
    pg->fields = fields;
    pg->bad_lines = bad_lines;
    pg->fold = fold;
    return RELAY_AGAIN;
}

relay_status_t relay_response_parse_more(relay_response_progress_t *pg,
                                         const char *buf, apr_size_t len,
                                         const relay_response_limits_t *limits,
                                         apr_pool_t *pool,
                                         relay_response_head_t *out,
                                         apr_size_t *head_len)
{
    relay_response_limits_t lim;
    relay_response_progress_t whole = {0, 0, 0, 0, FOLD_NONE};
    relay_status_t rv;
    apr_size_t hlen = 0;

    lim.max_head = DEFAULT_MAX_HEAD;
    lim.max_line = DEFAULT_MAX_LINE;
    lim.max_fields = DEFAULT_MAX_FIELDS;
    lim.bad_header = RELAY_BAD_HEADER_ERROR;
    if (limits != NULL) {
        if (limits->max_head > 0) {
            lim.max_head = limits->max_head;
        }
        if (limits->max_line > 0) {
            lim.max_line = limits->max_line;
        }
        if (limits->max_fields > 0) {
            lim.max_fields = limits->max_fields;
        }
        lim.bad_header = limits->bad_header;
    }

    /* Checked from where the last call stopped; once the head is complete,
     * read whole in a second pass. */
    rv = scan_head(buf, len, &lim, pg, NULL, NULL, &hlen);
    if (rv != RELAY_OK) {
        return rv;
    }
    memset(out, 0, sizeof(*out));
    out->headers = apr_table_make(pool, 16);
    rv = scan_head(buf, len, &lim, &whole, pool, out, &hlen);
    if (rv == RELAY_OK) {
        *head_len = hlen;
    }
    return rv;
}

relay_status_t relay_response_parse(const char *buf, apr_size_t len,
                                    const relay_response_limits_t *limits,
                                    apr_pool_t *pool,
                                    relay_response_head_t *out,
                                    apr_size_t *head_len)
{
    relay_response_progress_t pg = {0, 0, 0, 0, FOLD_NONE};

    return relay_response_parse_more(&pg, buf, len, limits, pool, out,
                                     head_len);
}

/*
 * RFC 9112 §6.1 and §7: the transfer codings of every Transfer-Encoding
 * line, in order, must end with chunked, and chunked must not appear
 * earlier (a sender must not apply it twice). Anything else would leave a
 * body Relay cannot delimit: RFC 9112 §6.3 would read it to the close, but
 * Transfer-Encoding is hop-by-hop and an unknown coding cannot be passed on
 * without it, so the response is refused instead. Parameters on chunked
 * are not defined and refused too.
 */
static relay_status_t check_te(const apr_table_entry_t *e, int n)
{
    int i, chunked_seen = 0, last_chunked = 0;

    for (i = 0; i < n; i++) {
        const char *cursor, *elt;
        apr_size_t len, k;

        if (e[i].key == NULL ||
            !relay_header_name_is(e[i].key, "Transfer-Encoding")) {
            continue;
        }
        cursor = e[i].val;
        while (relay_header_list_next(&cursor, &elt, &len)) {
            if (len == 0) {
                continue;
            }
            for (k = 0; k < len && relay_header_is_tchar((unsigned char)elt[k]);
                 k++) {
            }
            if (k == 0) {
                return RELAY_EBADTE;
            }
            if (chunked_seen) {
                return RELAY_EBADTE;
            }
            if (k == 7 && strncasecmp(elt, "chunked", 7) == 0) {
                if (len != 7) {
                    return RELAY_EBADTE;
                }
                chunked_seen = 1;
                last_chunked = 1;
            }
            else {
                /* Whatever follows the coding name must be parameters. */
                while (k < len && is_ows(elt[k])) {
                    k++;
                }
                if (k < len && elt[k] != ';') {
                    return RELAY_EBADTE;
                }
                last_chunked = 0;
            }
        }
    }
    return last_chunked ? RELAY_OK : RELAY_EBADTE;
}

relay_status_t relay_response_framing(const relay_response_head_t *head,
                                      int request_was_head,
                                      relay_framing_t *out)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    int i, have_te = 0, have_cl = 0, bad = 0, dup = 0;
    apr_off_t length = 0;

    out->kind = RELAY_FRAMING_CLOSE;
    out->length = 0;

    /* RFC 9112 §6.3 (1): a response to HEAD and any 1xx, 204 or 304
     * response ends with its head, whatever its fields say. */
    if (request_was_head || (head->status >= 100 && head->status < 200) ||
        head->status == 204 || head->status == 304) {
        out->kind = RELAY_FRAMING_NONE;
        return RELAY_OK;
    }
    if (head->headers == NULL) {
        return RELAY_OK;
    }

    arr = apr_table_elts(head->headers);
    e = (const apr_table_entry_t *)arr->elts;
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key == NULL) {
            continue;
        }
        if (relay_header_name_is(e[i].key, "Transfer-Encoding")) {
            have_te = 1;
        }
        else if (relay_header_name_is(e[i].key, "Content-Length")) {
            have_cl = 1;
        }
    }

    if (have_te) {
        /* RFC 9112 §6.3 (3): both fields may be an attempt at smuggling;
         * a gateway that reused the connection after guessing would be
         * exposed, so the response is refused. */
        if (have_cl) {
            return RELAY_ELENGTHTE;
        }
        /* RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means
         * the framing is faulty. */
        if (head->version < 11) {
            return RELAY_EBADTE;
        }
        if (check_te(e, arr->nelts) != RELAY_OK) {
            return RELAY_EBADTE;
        }
        out->kind = RELAY_FRAMING_CHUNKED;
        return RELAY_OK;
    }

    if (have_cl) {
        /* RFC 9110 §8.6 and RFC 9112 §6.3 (5): several Content-Length
         * lines, or a list in one, are accepted only when every value is
         * the same valid number. */
        int first = 1;

        for (i = 0; i < arr->nelts; i++) {
            apr_off_t v;
            relay_status_t rv;

            if (e[i].key == NULL ||
                !relay_header_name_is(e[i].key, "Content-Length")) {
                continue;
            }
            rv = relay_content_length_parse(e[i].val, &v);
            if (rv == RELAY_EDUPLENGTH) {
                dup = 1;
            }
            else if (rv != RELAY_OK) {
                bad = 1;
            }
            else if (first) {
                length = v;
                first = 0;
            }
            else if (v != length) {
                dup = 1;
            }
        }
        if (bad) {
            return RELAY_EBADLENGTH;
        }
        if (dup) {
            return RELAY_EDUPLENGTH;
        }
        out->kind = RELAY_FRAMING_LENGTH;
        out->length = length;
        return RELAY_OK;
    }

    /* RFC 9112 §6.3 (8): no framing fields, the body runs to the close. */
    return RELAY_OK;
}

relay_status_t relay_content_length_parse(const char *value, apr_off_t *out)
{
    const char *cursor = value, *elt;
    apr_size_t len, k;
    apr_off_t first = 0;
    int have = 0, dup = 0;

    if (value == NULL) {
        return RELAY_EBADLENGTH;
    }
    /* RFC 9110 §8.6: Content-Length = 1*DIGIT; no sign, no empty list
     * element, and no value beyond what apr_off_t holds. */
    while (relay_header_list_next(&cursor, &elt, &len)) {
        apr_off_t v = 0;

        if (len == 0) {
            return RELAY_EBADLENGTH;
        }
        for (k = 0; k < len; k++) {
            int d;

            if (elt[k] < '0' || elt[k] > '9') {
                return RELAY_EBADLENGTH;
            }
            d = elt[k] - '0';
            if (v > (OFF_MAX - d) / 10) {
                return RELAY_EBADLENGTH;
            }
            v = v * 10 + d;
        }
        if (!have) {
            first = v;
            have = 1;
        }
        else if (v != first) {
            dup = 1;
        }
    }
    if (dup) {
        return RELAY_EDUPLENGTH;
    }
    *out = first;
    return RELAY_OK;
}
