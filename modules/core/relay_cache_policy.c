/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The policy of the cache, as functions of facts: storability (RFC 9111
 * §3 and stock mod_cache's rules, in its order and with its reasons),
 * freshness (§4.2.1, §4.2.2), age (§4.2.3), reuse of a stored response
 * (§4.2, §5.2.1, RFC 5861). Validation, the 304 refresh and invalidation
 * are in relay_cache_validate.c. Nothing here sees a request
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

static relay_cache_field_t read_date(const char *v, apr_time_t *out)
{
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

/* The fields a response's facts come from, found in one pass over its
 * header table: the first line of each, every line of Vary. */
typedef struct response_fields_t {
    const char *date, *expires, *last_modified, *etag, *age;
    const char *vary;
} response_fields_t;

static void find_fields(apr_pool_t *pool, const apr_table_t *headers,
                        response_fields_t *f)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < arr->nelts; i++) {
        const char *k = e[i].key, **slot = NULL;

        if (k == NULL || e[i].val == NULL) {
            continue;
        }
        if (relay_header_name_is(k, "Date")) {
            slot = &f->date;
        }
        else if (relay_header_name_is(k, "Expires")) {
            slot = &f->expires;
        }
        else if (relay_header_name_is(k, "Last-Modified")) {
            slot = &f->last_modified;
        }
        else if (relay_header_name_is(k, "ETag")) {
            slot = &f->etag;
        }
        else if (relay_header_name_is(k, "Age")) {
            slot = &f->age;
        }
        else if (relay_header_name_is(k, "Vary")) {
            f->vary = f->vary == NULL
                          ? e[i].val
                          : apr_pstrcat(pool, f->vary, ",", e[i].val, NULL);
        }
        if (slot != NULL && *slot == NULL) {
            *slot = e[i].val;
        }
    }
}

/*
 * Vary's members: "*", field names, or something else (a name with a
 * space or a parameter: "Accept Encoding", "Accept-Encoding;"). A Vary
 * with no member at all ("Vary:") is no Vary.
 */
static void read_vary(apr_pool_t *pool, const char *vary,
                      relay_cache_response_t *resp)
{
    const char *cursor = vary, *elt;
    apr_size_t n;
    int members = 0;

    resp->vary_star = resp->vary_invalid = 0;
    while (vary != NULL && relay_header_list_next(&cursor, &elt, &n)) {
        const char *name;

        if (n == 0) {
            continue;
        }
        members++;
        name = apr_pstrmemdup(pool, elt, n);
        if (strcmp(name, "*") == 0) {
            resp->vary_star = 1;
        }
        else if (!relay_header_name_is_token(name)) {
            resp->vary_invalid = 1;
        }
    }
    resp->vary = members > 0 ? vary : NULL;
}

void relay_cache_response_read(relay_cache_response_t *resp, apr_pool_t *pool,
                               int status, const apr_table_t *headers)
{
    response_fields_t f;

    find_fields(pool, headers, &f);
    resp->status = status;
    relay_cache_control_read(&resp->cc, pool, headers);
    resp->date_state = read_date(f.date, &resp->date);
    resp->expires_state = read_date(f.expires, &resp->expires);
    resp->last_modified_state =
        read_date(f.last_modified, &resp->last_modified);
    resp->last_modified_value = f.last_modified;
    resp->etag = f.etag;
    resp->age = read_age(f.age);
    read_vary(pool, f.vary, resp);
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
    case RELAY_CACHE_STORE_VARY_INVALID:
        return "Vary header names something that is not a field name";
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
    if (resp->vary_invalid) {
        return RELAY_CACHE_STORE_VARY_INVALID;
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
    out->stale_on_error = !no_stale && s->stale_on_error;
    out->stale_if_error = !no_stale && s->stale_if_error &&
                          window != RELAY_CC_UNSET && staleness <= window;

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
    if (d->stale_on_error &&
        (status == 0 || (status >= 500 && status <= 599))) {
        return 1;
    }
    /* RFC 5861 §4: an error is a 500, 502, 503 or 504, or no answer. */
    return d->stale_if_error &&
           (status == 0 || status == 500 || status == 502 || status == 503 ||
            status == 504);
}
