/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The policy of the cache, as functions of facts: storability (RFC 9111
 * §3 and stock mod_cache's rules, in its order and with its reasons),
 * freshness (§4.2.1, §4.2.2), age (§4.2.3), reuse of a stored response
 * (§4.2, §5.2.1, RFC 5861), validation (§4.3, RFC 9110 §13), the 304
 * refresh (§4.3.4) and invalidation (§4.4). Nothing here sees a request
 * object or a clock: the glue reads the facts and passes the times, so
 * every rule is tested as a table row.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "relay/relay_cache_policy.h"
#include "relay/relay_headers.h"

void relay_cache_settings_default(relay_cache_settings_t *s)
{
    s->default_expire = 3600;
    s->max_expire = 86400;
    s->min_expire = 0;
    s->last_modified_factor = 0.1;
    s->ignore_no_last_mod = 0;
    s->ignore_cache_control = 0;
    s->ignore_query_string = 0;
    s->store_expired = 0;
    s->store_private = 0;
    s->store_no_store = 0;
    s->stale_on_error = 1;
    s->rfc_heuristic_statuses = 0;
    s->stale_while_revalidate = 1;
    s->stale_if_error = 1;
}

void relay_cache_request_read(relay_cache_request_t *req, apr_pool_t *pool,
                              const char *method, const char *query,
                              const apr_table_t *headers)
{
    req->method = method != NULL ? method : "";
    req->has_query = query != NULL && *query != '\0';
    req->has_authorization = apr_table_get(headers, "Authorization") != NULL;
    relay_cache_control_read(&req->cc, pool, headers);
}

static relay_cache_field_t read_date(const apr_table_t *h, const char *name,
                                     apr_time_t *out)
{
    const char *v = apr_table_get(h, name);

    *out = 0;
    if (v == NULL) {
        return RELAY_CACHE_FIELD_ABSENT;
    }
    return relay_http_date_parse(v, strlen(v), out) ? RELAY_CACHE_FIELD_VALID
                                                    : RELAY_CACHE_FIELD_INVALID;
}

/* §5.1: the first member of Age; an invalid value is ignored (0). */
static apr_int64_t read_age(const char *v)
{
    const char *cursor = v, *elt;
    apr_size_t n, i;
    apr_int64_t age = 0;

    if (v == NULL || !relay_header_list_next(&cursor, &elt, &n) || n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (elt[i] < '0' || elt[i] > '9') {
            return 0;
        }
        if (age < RELAY_CC_DELTA_MAX) {
            age = age * 10 + (elt[i] - '0');
        }
    }
    return age > RELAY_CC_DELTA_MAX ? RELAY_CC_DELTA_MAX : age;
}

void relay_cache_response_read(relay_cache_response_t *resp, apr_pool_t *pool,
                               int status, const apr_table_t *headers)
{
    resp->status = status;
    relay_cache_control_read(&resp->cc, pool, headers);
    resp->date_state = read_date(headers, "Date", &resp->date);
    resp->expires_state = read_date(headers, "Expires", &resp->expires);
    resp->last_modified_state =
        read_date(headers, "Last-Modified", &resp->last_modified);
    resp->last_modified_value = apr_table_get(headers, "Last-Modified");
    resp->etag = apr_table_get(headers, "ETag");
    resp->age = read_age(apr_table_get(headers, "Age"));
    resp->vary = apr_table_getm(pool, headers, "Vary");
    resp->vary_star =
        resp->vary != NULL && relay_header_has_token(resp->vary, "*");
}

relay_cache_lookup_t
relay_cache_lookup_allowed(const relay_cache_settings_t *s,
                           const relay_cache_request_t *req, int quick_handler,
                           const char **reason)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        *reason = "Request method is neither GET nor HEAD";
        return RELAY_CACHE_LOOKUP_METHOD;
    }
    if (quick_handler && req->has_authorization) {
        *reason = "Authorization present; the quick handler runs before "
                  "authentication";
        return RELAY_CACHE_LOOKUP_AUTHORIZATION;
    }
    if (!s->ignore_cache_control && req->cc.no_store) {
        *reason = "Cache-Control: no-store present in request";
        return RELAY_CACHE_LOOKUP_NO_STORE;
    }
    *reason = "cacheable";
    return RELAY_CACHE_LOOKUP_OK;
}

const char *relay_cache_store_reason(relay_cache_store_t why)
{
    switch (why) {
    case RELAY_CACHE_STORE_OK:
        return "cacheable";
    case RELAY_CACHE_STORE_METHOD:
        return "Request method is not GET";
    case RELAY_CACHE_STORE_REQUEST_NO_STORE:
        return "Cache-Control: no-store present in request";
    case RELAY_CACHE_STORE_STATUS:
        return "Response status not cacheable without explicit freshness";
    case RELAY_CACHE_STORE_PARTIAL:
        return "Partial content (206) is not stored";
    case RELAY_CACHE_STORE_BROKEN_EXPIRES:
        return "Broken expires header";
    case RELAY_CACHE_STORE_EXPIRED:
        return "Expires header already expired; not cacheable";
    case RELAY_CACHE_STORE_NO_VALIDATOR_REVALIDATE:
        return "s-maxage or max-age zero and no Last-Modified or Etag; not "
               "cacheable";
    case RELAY_CACHE_STORE_QUERY:
        return "Query string present but no explicit expiration time";
    case RELAY_CACHE_STORE_NOT_MODIFIED:
        return "HTTP Status 304 Not Modified";
    case RELAY_CACHE_STORE_NO_LAST_MOD:
        return "No Last-Modified; Etag; Expires; Cache-Control:max-age or "
               "Cache-Control:s-maxage headers";
    case RELAY_CACHE_STORE_NO_STORE:
        return "Cache-Control: no-store present";
    case RELAY_CACHE_STORE_PRIVATE:
        return "Cache-Control: private present";
    case RELAY_CACHE_STORE_AUTHORIZATION:
        return "Authorization required";
    case RELAY_CACHE_STORE_VARY_STAR:
        return "Vary header contains '*'";
    case RELAY_CACHE_STORE_OLDER:
        return "updated entity is older than cached entity";
    case RELAY_CACHE_STORE_ENV_NO_CACHE:
        return "environment variable 'no-cache' is set";
    }
    return "unknown";
}

/*
 * Statuses that may be stored with a heuristic or default lifetime: stock
 * mod_cache's list, or RFC 9110 §15.1's "heuristically cacheable" codes
 * (206 aside: Relay's stores do not keep ranges).
 */
static int heuristic_status(const relay_cache_settings_t *s, int status)
{
    switch (status) {
    case 200:
    case 203:
    case 300:
    case 301:
        return 1;
    case 204:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
        return s->rfc_heuristic_statuses;
    }
    return 0;
}

relay_cache_store_t relay_cache_storable(const relay_cache_settings_t *s,
                                         const relay_cache_request_t *req,
                                         const relay_cache_response_t *resp,
                                         const relay_cache_response_t *stored,
                                         apr_time_t request_time)
{
    const relay_cache_control_t *cc = &resp->cc;
    int explicit_age =
        cc->max_age != RELAY_CC_UNSET || cc->s_maxage != RELAY_CC_UNSET;
    int validator = resp->etag != NULL ||
                    resp->last_modified_state != RELAY_CACHE_FIELD_ABSENT;

    if (strcmp(req->method, "GET") != 0) {
        return RELAY_CACHE_STORE_METHOD;
    }
    /* RFC 9111 §5.2.1.5. */
    if (req->cc.no_store && !s->ignore_cache_control) {
        return RELAY_CACHE_STORE_REQUEST_NO_STORE;
    }
    if (resp->status == 206) {
        return RELAY_CACHE_STORE_PARTIAL;
    }
    /* RFC 9111 §3: a status not known to be heuristically cacheable is
     * stored only with explicit freshness or public. 304 is let through
     * here to get its own reason below. */
    if (resp->status != 304 && !heuristic_status(s, resp->status) &&
        resp->expires_state != RELAY_CACHE_FIELD_VALID && !explicit_age &&
        !cc->public_) {
        return RELAY_CACHE_STORE_STATUS;
    }
    if (resp->expires_state == RELAY_CACHE_FIELD_INVALID && !explicit_age) {
        return RELAY_CACHE_STORE_BROKEN_EXPIRES;
    }
    if (!explicit_age && !s->store_expired &&
        resp->expires_state == RELAY_CACHE_FIELD_VALID &&
        resp->expires < request_time) {
        return RELAY_CACHE_STORE_EXPIRED;
    }
    /* Stale from the start and never allowed to be served stale, with no
     * validator to revalidate with: useless to keep. */
    if (!s->store_expired && (cc->must_revalidate || cc->proxy_revalidate) &&
        (cc->s_maxage == 0 ||
         (cc->s_maxage == RELAY_CC_UNSET && cc->max_age == 0)) &&
        !validator) {
        return RELAY_CACHE_STORE_NO_VALIDATOR_REVALIDATE;
    }
    if (!s->ignore_query_string && req->has_query &&
        resp->expires_state == RELAY_CACHE_FIELD_ABSENT && !explicit_age) {
        return RELAY_CACHE_STORE_QUERY;
    }
    if (resp->status == 304) {
        return RELAY_CACHE_STORE_NOT_MODIFIED;
    }
    if (resp->status == 200 && !validator &&
        resp->expires_state == RELAY_CACHE_FIELD_ABSENT && !explicit_age &&
        !s->ignore_no_last_mod) {
        return RELAY_CACHE_STORE_NO_LAST_MOD;
    }
    if (cc->no_store && !s->store_no_store) {
        return RELAY_CACHE_STORE_NO_STORE;
    }
    if (cc->private_ && !s->store_private) {
        return RELAY_CACHE_STORE_PRIVATE;
    }
    /* RFC 9111 §3.5, with stock's proxy-revalidate. */
    if (req->has_authorization &&
        !(cc->s_maxage != RELAY_CC_UNSET || cc->must_revalidate ||
          cc->proxy_revalidate || cc->public_)) {
        return RELAY_CACHE_STORE_AUTHORIZATION;
    }
    if (resp->vary_star) {
        return RELAY_CACHE_STORE_VARY_STAR;
    }
    if (stored != NULL && resp->date_state == RELAY_CACHE_FIELD_VALID &&
        stored->date_state == RELAY_CACHE_FIELD_VALID &&
        resp->date < stored->date) {
        return RELAY_CACHE_STORE_OLDER;
    }
    return RELAY_CACHE_STORE_OK;
}

static apr_int64_t cap(apr_int64_t v, apr_int64_t max)
{
    return v > max ? max : v;
}

/* Whole seconds between two times, b - a, saturated. */
static apr_int64_t seconds_between(apr_time_t a, apr_time_t b)
{
    apr_int64_t d = apr_time_sec(b) - apr_time_sec(a);

    if (d > RELAY_CC_DELTA_MAX) {
        return RELAY_CC_DELTA_MAX;
    }
    return d < -RELAY_CC_DELTA_MAX ? -RELAY_CC_DELTA_MAX : d;
}

apr_int64_t relay_cache_freshness_lifetime(const relay_cache_settings_t *s,
                                           const relay_cache_response_t *resp,
                                           apr_time_t response_time,
                                           relay_cache_freshness_t *source)
{
    relay_cache_freshness_t src;
    apr_time_t date = resp->date_state == RELAY_CACHE_FIELD_VALID
                          ? resp->date
                          : response_time;
    apr_int64_t life;

    if (resp->cc.s_maxage != RELAY_CC_UNSET) {
        src = RELAY_CACHE_FRESHNESS_S_MAXAGE;
        life = cap(resp->cc.s_maxage, s->max_expire);
    }
    else if (resp->cc.max_age != RELAY_CC_UNSET) {
        src = RELAY_CACHE_FRESHNESS_MAX_AGE;
        life = cap(resp->cc.max_age, s->max_expire);
    }
    else if (resp->expires_state != RELAY_CACHE_FIELD_ABSENT) {
        src = RELAY_CACHE_FRESHNESS_EXPIRES;
        life = resp->expires_state == RELAY_CACHE_FIELD_VALID
                   ? seconds_between(date, resp->expires)
                   : 0;
        life = cap(life < 0 ? 0 : life, s->max_expire);
    }
    else if (resp->last_modified_state == RELAY_CACHE_FIELD_VALID &&
             resp->last_modified < date) {
        double h = (double)seconds_between(resp->last_modified, date) *
                   s->last_modified_factor;

        src = RELAY_CACHE_FRESHNESS_HEURISTIC;
        life = h >= (double)RELAY_CC_DELTA_MAX ? RELAY_CC_DELTA_MAX
               : h > 0                         ? (apr_int64_t)h
                                               : 0;
        if (life < s->min_expire) {
            life = s->min_expire;
        }
        life = cap(life, s->max_expire);
    }
    else {
        src = RELAY_CACHE_FRESHNESS_DEFAULT;
        life = s->default_expire;
    }
    if (source != NULL) {
        *source = src;
    }
    return life < 0 ? 0 : life;
}

apr_int64_t relay_cache_current_age(const relay_cache_response_t *resp,
                                    apr_time_t request_time,
                                    apr_time_t response_time, apr_time_t now)
{
    apr_time_t date = resp->date_state == RELAY_CACHE_FIELD_VALID
                          ? resp->date
                          : response_time;
    apr_int64_t apparent_age, response_delay, corrected_age, initial, age;

    apparent_age = seconds_between(date, response_time);
    if (apparent_age < 0) {
        apparent_age = 0;
    }
    response_delay = seconds_between(request_time, response_time);
    if (response_delay < 0) {
        response_delay = 0;
    }
    corrected_age = resp->age + response_delay;
    initial = apparent_age > corrected_age ? apparent_age : corrected_age;
    age = initial +
          (now > response_time ? seconds_between(response_time, now) : 0);
    return age > RELAY_CC_DELTA_MAX ? RELAY_CC_DELTA_MAX : age;
}

void relay_cache_serve_decide(const relay_cache_settings_t *s,
                              const relay_cache_request_t *req,
                              const relay_cache_response_t *stored,
                              apr_time_t request_time, apr_time_t response_time,
                              apr_time_t now, relay_cache_serve_t *out)
{
    const relay_cache_control_t *rq = &req->cc, *rs = &stored->cc;
    int no_stale = rs->must_revalidate || rs->proxy_revalidate ||
                   rs->s_maxage != RELAY_CC_UNSET || rs->no_cache;
    int obey_client = !s->ignore_cache_control;
    apr_int64_t staleness, window;

    out->age =
        relay_cache_current_age(stored, request_time, response_time, now);
    out->lifetime =
        relay_cache_freshness_lifetime(s, stored, response_time, NULL);
    staleness = out->age - out->lifetime;

    /* RFC 5861 §4: either side's stale-if-error opens the window. */
    window = rs->stale_if_error;
    if (rq->stale_if_error != RELAY_CC_UNSET &&
        (window == RELAY_CC_UNSET || rq->stale_if_error > window)) {
        window = rq->stale_if_error;
    }
    out->may_serve_stale = !no_stale;
    out->stale_on_error =
        !no_stale &&
        (s->stale_on_error || (s->stale_if_error && window != RELAY_CC_UNSET &&
                               staleness <= window));

    if (rs->no_cache) {
        out->decision = RELAY_CACHE_SERVE_REVALIDATE;
        out->reason = "stored response has Cache-Control: no-cache";
    }
    else if (obey_client && relay_cache_control_request_no_cache(rq)) {
        out->decision = RELAY_CACHE_SERVE_REVALIDATE;
        out->reason = "client sent no-cache or max-age=0";
    }
    else if (obey_client && rq->max_age != RELAY_CC_UNSET &&
             out->age > rq->max_age) {
        out->decision = RELAY_CACHE_SERVE_REVALIDATE;
        out->reason = "older than the client's max-age";
    }
    else if (staleness < 0) {
        if (obey_client && rq->min_fresh != RELAY_CC_UNSET &&
            -staleness < rq->min_fresh) {
            out->decision = RELAY_CACHE_SERVE_REVALIDATE;
            out->reason = "fresh for less than the client's min-fresh";
        }
        else {
            out->decision = RELAY_CACHE_SERVE_FRESH;
            out->reason = "fresh";
        }
    }
    else if (!no_stale && rq->max_stale != RELAY_CC_UNSET &&
             staleness <= rq->max_stale) {
        out->decision = RELAY_CACHE_SERVE_STALE;
        out->reason = "stale within the client's max-stale";
    }
    else if (!no_stale && s->stale_while_revalidate &&
             rs->stale_while_revalidate != RELAY_CC_UNSET &&
             staleness <= rs->stale_while_revalidate) {
        out->decision = RELAY_CACHE_SERVE_STALE_REFRESH;
        out->reason = "stale within stale-while-revalidate";
    }
    else {
        out->decision = RELAY_CACHE_SERVE_REVALIDATE;
        out->reason = no_stale ? "stale and must be revalidated" : "stale";
    }
    /* RFC 9111 §5.2.1.7: only-if-cached never goes to the origin. */
    if (rq->only_if_cached && out->decision == RELAY_CACHE_SERVE_REVALIDATE) {
        out->decision = RELAY_CACHE_SERVE_GATEWAY_TIMEOUT;
        out->reason = "only-if-cached and the stored response needs "
                      "revalidation";
    }
}

int relay_cache_serve_stale_on_error(const relay_cache_serve_t *d, int status)
{
    return d->stale_on_error &&
           (status == 0 || (status >= 500 && status <= 599));
}

int relay_cache_validators_add(apr_table_t *req_headers,
                               const apr_table_t *stored_headers)
{
    const char *etag = apr_table_get(stored_headers, "ETag");
    const char *lm = apr_table_get(stored_headers, "Last-Modified");
    apr_time_t t;
    int n = 0;

    apr_table_unset(req_headers, "If-None-Match");
    apr_table_unset(req_headers, "If-Modified-Since");
    if (etag != NULL && *etag != '\0') {
        apr_table_set(req_headers, "If-None-Match", etag);
        n++;
    }
    if (lm != NULL && relay_http_date_parse(lm, strlen(lm), &t)) {
        apr_table_set(req_headers, "If-Modified-Since", lm);
        n++;
    }
    return n;
}

/*
 * Reads one entity-tag (RFC 9110 §8.8.3) at *p: [W/] DQUOTE *etagc DQUOTE,
 * etagc = %x21 / %x23-7E / obs-text. Sets the opaque tag (quotes
 * included) and weakness and moves *p past it; 0 when malformed.
 */
static int read_etag(const char **p, const char **tag, apr_size_t *n, int *weak)
{
    const char *s = *p;

    *weak = 0;
    if (s[0] == 'W' && s[1] == '/') {
        *weak = 1;
        s += 2;
    }
    if (*s != '"') {
        return 0;
    }
    *tag = s++;
    while (*s != '"') {
        unsigned char c = (unsigned char)*s;

        if (c < 0x21 || c == 0x7f) {
            return 0;
        }
        s++;
    }
    s++;
    *n = (apr_size_t)(s - *tag);
    *p = s;
    return 1;
}

/* True when only OWS separates p from the next comma or the end. */
static int at_element_end(const char *p)
{
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return *p == '\0' || *p == ',';
}

int relay_cache_etag_match(const char *list, const char *etag, int weak)
{
    const char *p, *stag, *tag;
    apr_size_t sn, n;
    int sweak, w;

    if (list == NULL) {
        return 0;
    }
    p = etag != NULL ? etag : "";
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (!read_etag(&p, &stag, &sn, &sweak) || !at_element_end(p) || *p == ',') {
        stag = NULL;
    }
    p = list;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '\0') {
            return 0;
        }
        if (*p == '*') {
            /* "*" matches any current representation. */
            return 1;
        }
        if (!read_etag(&p, &tag, &n, &w) || !at_element_end(p)) {
            /* Skip the malformed element: it matches nothing. */
            while (*p != '\0' && *p != ',') {
                p++;
            }
            continue;
        }
        if (stag != NULL && n == sn && memcmp(tag, stag, n) == 0 &&
            (weak || (!w && !sweak))) {
            return 1;
        }
    }
}

static int date_field(const apr_table_t *t, const char *name, apr_time_t *out)
{
    const char *v = apr_table_get(t, name);

    return v != NULL && relay_http_date_parse(v, strlen(v), out);
}

relay_cache_cond_t relay_cache_conditional(const char *method,
                                           const apr_table_t *req_headers,
                                           const apr_table_t *stored_headers)
{
    const char *etag = apr_table_get(stored_headers, "ETag");
    const char *im = apr_table_get(req_headers, "If-Match");
    const char *inm = apr_table_get(req_headers, "If-None-Match");
    int get_or_head = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int any = 0;
    apr_time_t lm, when;
    int has_lm = date_field(stored_headers, "Last-Modified", &lm);

    /* §13.2.2 steps 1 and 2. */
    if (im != NULL) {
        any = 1;
        if (!relay_cache_etag_match(im, etag, 0)) {
            return RELAY_CACHE_COND_PRECONDITION_FAILED;
        }
    }
    else if (apr_table_get(req_headers, "If-Unmodified-Since") != NULL) {
        any = 1;
        if (has_lm && date_field(req_headers, "If-Unmodified-Since", &when) &&
            apr_time_sec(lm) > apr_time_sec(when)) {
            return RELAY_CACHE_COND_PRECONDITION_FAILED;
        }
    }
    /* Steps 3 and 4. */
    if (inm != NULL) {
        if (relay_cache_etag_match(inm, etag, 1)) {
            return get_or_head ? RELAY_CACHE_COND_NOT_MODIFIED
                               : RELAY_CACHE_COND_PRECONDITION_FAILED;
        }
        return RELAY_CACHE_COND_FULL;
    }
    if (get_or_head &&
        apr_table_get(req_headers, "If-Modified-Since") != NULL) {
        any = 1;
        if (has_lm && date_field(req_headers, "If-Modified-Since", &when) &&
            apr_time_sec(lm) <= apr_time_sec(when)) {
            return RELAY_CACHE_COND_NOT_MODIFIED;
        }
    }
    return any ? RELAY_CACHE_COND_FULL : RELAY_CACHE_COND_NONE;
}

/* Fields of a 304 that never replace stored ones (§4.3.4). */
static const char *const kept_fields[] = {"Connection",
                                          "Keep-Alive",
                                          "Proxy-Connection",
                                          "TE",
                                          "Trailer",
                                          "Transfer-Encoding",
                                          "Upgrade",
                                          "Content-Length",
                                          "Content-Encoding",
                                          "Content-Range",
                                          "Vary",
                                          NULL};

static int merge_skips(const char *name, const apr_table_t *fresh,
                       const apr_array_header_t *ignore)
{
    const char *conn = apr_table_get(fresh, "Connection");
    int i;

    for (i = 0; kept_fields[i] != NULL; i++) {
        if (strcasecmp(name, kept_fields[i]) == 0) {
            return 1;
        }
    }
    if (conn != NULL && relay_header_has_token(conn, name)) {
        return 1;
    }
    for (i = 0; ignore != NULL && i < ignore->nelts; i++) {
        if (strcasecmp(name, APR_ARRAY_IDX(ignore, i, const char *)) == 0) {
            return 1;
        }
    }
    return 0;
}

void relay_cache_merge_304(apr_table_t *stored, const apr_table_t *fresh,
                           const apr_array_header_t *ignore)
{
    const apr_array_header_t *arr = apr_table_elts(fresh);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    /* First drop every stored line a 304 field replaces, then add the 304's
     * lines, so a field sent on several lines keeps all of them. */
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key != NULL && !merge_skips(e[i].key, fresh, ignore)) {
            apr_table_unset(stored, e[i].key);
        }
    }
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key != NULL && e[i].val != NULL &&
            !merge_skips(e[i].key, fresh, ignore)) {
            apr_table_add(stored, e[i].key, e[i].val);
        }
    }
}

/* RFC 3986 §5.2.4: removes "." and ".." segments from an absolute path. */
static char *remove_dot_segments(apr_pool_t *pool, const char *in)
{
    apr_size_t len = strlen(in);
    char *out = apr_palloc(pool, len + 2);
    apr_size_t o = 0;
    const char *p = in;

    while (*p != '\0') {
        if (strncmp(p, "../", 3) == 0) {
            p += 3;
        }
        else if (strncmp(p, "./", 2) == 0) {
            p += 2;
        }
        else if (strncmp(p, "/./", 3) == 0) {
            p += 2;
        }
        else if (strcmp(p, "/.") == 0) {
            p = "/";
        }
        else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
            p = p[3] == '\0' ? "/" : p + 3;
            while (o > 0 && out[o - 1] != '/') {
                o--;
            }
            if (o > 0) {
                o--;
            }
        }
        else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
            break;
        }
        else {
            do {
                out[o++] = *p++;
            } while (*p != '\0' && *p != '/');
        }
    }
    out[o] = '\0';
    return out;
}

static apr_port_t port_of(const apr_uri_t *u)
{
    return u->port_str != NULL ? u->port : apr_uri_port_of_scheme(u->scheme);
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static int has_scheme(const char *ref)
{
    const char *p = ref;

    if (!apr_isalpha(*p)) {
        return 0;
    }
    while (apr_isalnum(*p) || *p == '+' || *p == '-' || *p == '.') {
        p++;
    }
    return *p == ':';
}

/*
 * Resolves `ref` (a Location or Content-Location value) against the
 * absolute `base` (RFC 3986 §5.2), and returns it when it has the same
 * origin, NULL otherwise.
 */
static const char *same_origin(apr_pool_t *pool, const apr_uri_t *base,
                               const char *ref)
{
    const char *hash = strchr(ref, '#');
    const char *origin, *path, *query, *abs;
    apr_uri_t u;

    if (hash != NULL) {
        ref = apr_pstrmemdup(pool, ref, (apr_size_t)(hash - ref));
    }
    origin = apr_pstrcat(pool, base->scheme, "://", base->hostinfo, NULL);
    if (strncmp(ref, "//", 2) == 0) {
        abs = apr_pstrcat(pool, base->scheme, ":", ref, NULL);
    }
    else if (has_scheme(ref)) {
        abs = ref;
    }
    else {
        const char *q = strchr(ref, '?');

        path =
            q != NULL ? apr_pstrmemdup(pool, ref, (apr_size_t)(q - ref)) : ref;
        query = q;
        if (*path == '\0') {
            path = base->path != NULL ? base->path : "/";
            if (query == NULL && base->query != NULL) {
                query = apr_pstrcat(pool, "?", base->query, NULL);
            }
        }
        else if (*path != '/') {
            const char *bp = base->path != NULL ? base->path : "/";
            const char *slash = strrchr(bp, '/');

            path = apr_pstrcat(
                pool, apr_pstrmemdup(pool, bp, (apr_size_t)(slash - bp + 1)),
                path, NULL);
        }
        abs = apr_pstrcat(pool, origin, remove_dot_segments(pool, path), query,
                          NULL);
    }
    if (apr_uri_parse(pool, abs, &u) != APR_SUCCESS || u.scheme == NULL ||
        u.hostname == NULL || strcasecmp(u.scheme, base->scheme) != 0 ||
        strcasecmp(u.hostname, base->hostname) != 0 ||
        port_of(&u) != port_of(base)) {
        return NULL;
    }
    return abs;
}

apr_array_header_t *relay_cache_invalidations(apr_pool_t *pool,
                                              const char *method, int status,
                                              const char *effective_uri,
                                              const apr_table_t *resp_headers)
{
    static const char *const safe[] = {"GET", "HEAD", "OPTIONS", "TRACE", NULL};
    static const char *const fields[] = {"Location", "Content-Location", NULL};
    apr_array_header_t *out = apr_array_make(pool, 3, sizeof(const char *));
    apr_uri_t base;
    int i;

    for (i = 0; safe[i] != NULL; i++) {
        if (strcmp(method, safe[i]) == 0) {
            return out;
        }
    }
    if (status < 200 || status > 399 || effective_uri == NULL) {
        return out;
    }
    APR_ARRAY_PUSH(out, const char *) = effective_uri;
    if (apr_uri_parse(pool, effective_uri, &base) != APR_SUCCESS ||
        base.scheme == NULL || base.hostname == NULL) {
        return out;
    }
    for (i = 0; fields[i] != NULL; i++) {
        const char *v = apr_table_get(resp_headers, fields[i]);
        const char *abs;
        int j, dup = 0;

        if (v == NULL || *v == '\0' ||
            (abs = same_origin(pool, &base, v)) == NULL) {
            continue;
        }
        for (j = 0; j < out->nelts && !dup; j++) {
            dup = strcmp(APR_ARRAY_IDX(out, j, const char *), abs) == 0;
        }
        if (!dup) {
            APR_ARRAY_PUSH(out, const char *) = abs;
        }
    }
    return out;
}
