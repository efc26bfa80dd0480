/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Cache-Control, Pragma and HTTP-date: the fields every cache decision
 * starts from. The Cache-Control parser walks a value once, honouring
 * quoted strings (a comma inside no-cache="a, b" does not end the
 * directive), and turns whatever it cannot read into the conservative
 * reading RFC 9111 §4.2.1 suggests instead of failing. The date parser is
 * written out rather than borrowed from apr_date so that it is bounded by
 * a length, needs no NUL, and converts to a time without the C library's
 * time zone.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "relay/relay_cache_control.h"
#include "relay/relay_headers.h"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

void relay_cache_control_init(relay_cache_control_t *cc)
{
    memset(cc, 0, sizeof(*cc));
    cc->max_age = RELAY_CC_UNSET;
    cc->s_maxage = RELAY_CC_UNSET;
    cc->max_stale = RELAY_CC_UNSET;
    cc->min_fresh = RELAY_CC_UNSET;
    cc->stale_while_revalidate = RELAY_CC_UNSET;
    cc->stale_if_error = RELAY_CC_UNSET;
}

/*
 * delta-seconds = 1*DIGIT (RFC 9111 §1.2.2). Returns the value, clamped
 * to 2^31, or -1 when arg[0, n) is not a non-empty run of digits.
 */
static apr_int64_t parse_delta(const char *arg, apr_size_t n)
{
    apr_int64_t v = 0;
    apr_size_t i;

    if (n == 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (arg[i] < '0' || arg[i] > '9') {
            return -1;
        }
        if (v < RELAY_CC_DELTA_MAX) {
            v = v * 10 + (arg[i] - '0');
        }
    }
    return v > RELAY_CC_DELTA_MAX ? RELAY_CC_DELTA_MAX : v;
}

/* Keeps the smaller of two values, either of which may be unset. */
static void keep_min(apr_int64_t *slot, apr_int64_t v)
{
    if (*slot == RELAY_CC_UNSET || v < *slot) {
        *slot = v;
    }
}

/*
 * Adds the field names of a qualified no-cache or private, arg[0, n)
 * already unquoted, lower-cased, to the ", "-joined list *list. The new
 * list is built in one allocation, so many directives cost linear space.
 */
static void add_fields(apr_pool_t *pool, const char **list, const char *arg,
                       apr_size_t n)
{
    apr_size_t old = *list != NULL ? strlen(*list) : 0, len, i;
    char *out = apr_palloc(pool, old + 2 * n + 3), *o = out;
    const char *cursor = apr_pstrmemdup(pool, arg, n), *elt;

    if (old > 0) {
        memcpy(o, *list, old);
        o += old;
    }
    while (relay_header_list_next(&cursor, &elt, &len)) {
        if (len == 0) {
            continue;
        }
        if (o > out) {
            *o++ = ',';
            *o++ = ' ';
        }
        for (i = 0; i < len; i++) {
            *o++ = (char)apr_tolower((unsigned char)elt[i]);
        }
    }
    *o = '\0';
    if (o > out + old) {
        *list = out;
    }
}

/* Records one directive; `arg` is NULL when it had no "=". */
static void apply(relay_cache_control_t *cc, apr_pool_t *pool, const char *name,
                  apr_size_t nlen, const char *arg, apr_size_t alen)
{
    apr_int64_t v = arg != NULL ? parse_delta(arg, alen) : -1;

#define IS(s) (nlen == sizeof(s) - 1 && strncasecmp(name, s, nlen) == 0)
    if (IS("max-age") || IS("s-maxage")) {
        apr_int64_t *slot = IS("max-age") ? &cc->max_age : &cc->s_maxage;

        if (v < 0) {
            /* §4.2.1: invalid freshness information means stale. */
            cc->invalid++;
            v = 0;
        }
        keep_min(slot, v);
    }
    else if (IS("max-stale")) {
        if (arg == NULL) {
            keep_min(&cc->max_stale, RELAY_CC_DELTA_MAX);
        }
        else if (v < 0) {
            cc->invalid++;
        }
        else {
            keep_min(&cc->max_stale, v);
        }
    }
    else if (IS("min-fresh")) {
        if (v < 0) {
            cc->invalid++;
        }
        else if (cc->min_fresh == RELAY_CC_UNSET || v > cc->min_fresh) {
            cc->min_fresh = v;
        }
    }
    else if (IS("stale-while-revalidate") || IS("stale-if-error")) {
        if (v < 0) {
            cc->invalid++;
        }
        else {
            keep_min(IS("stale-if-error") ? &cc->stale_if_error
                                          : &cc->stale_while_revalidate,
                     v);
        }
    }
    else if (IS("no-cache") || IS("private")) {
        int is_private = IS("private");
        const char *before =
            is_private ? cc->private_fields : cc->no_cache_fields;
        const char *after = before;

        if (arg != NULL) {
            add_fields(pool, &after, arg, alen);
        }
        if (after == before) {
            /* Unqualified, or a qualified form naming nothing: the whole
             * response is meant, which is the safe reading. */
            if (is_private) {
                cc->private_ = 1;
            }
            else {
                cc->no_cache = 1;
            }
        }
        else if (is_private) {
            cc->private_fields = after;
        }
        else {
            cc->no_cache_fields = after;
        }
    }
    else if (IS("no-store")) {
        cc->no_store = 1;
    }
    else if (IS("public")) {
        cc->public_ = 1;
    }
    else if (IS("must-revalidate")) {
        cc->must_revalidate = 1;
    }
    else if (IS("proxy-revalidate")) {
        cc->proxy_revalidate = 1;
    }
    else if (IS("only-if-cached")) {
        cc->only_if_cached = 1;
    }
    else if (IS("no-transform")) {
        cc->no_transform = 1;
    }
    else if (IS("immutable")) {
        cc->immutable = 1;
    }
    else if (IS("must-understand")) {
        cc->must_understand = 1;
    }
#undef IS
}

/* Moves *i past the next comma that is outside a quoted string. */
static void skip_element(const char *s, apr_size_t len, apr_size_t *i)
{
    int quoted = 0;

    while (*i < len) {
        char c = s[*i];

        (*i)++;
        if (quoted && c == '\\' && *i < len) {
            (*i)++;
        }
        else if (c == '"') {
            quoted = !quoted;
        }
        else if (c == ',' && !quoted) {
            return;
        }
    }
}

void relay_cache_control_parse(relay_cache_control_t *cc, apr_pool_t *pool,
                               const char *s, apr_size_t len)
{
    apr_size_t i = 0;

    cc->present = 1;
    while (i < len) {
        apr_size_t name_off, name_len, arg_len = 0;
        const char *arg = NULL;

        while (i < len && (is_ows(s[i]) || s[i] == ',')) {
            i++;
        }
        if (i == len) {
            break;
        }
        name_off = i;
        while (i < len && relay_header_is_tchar((unsigned char)s[i])) {
            i++;
        }
        name_len = i - name_off;
        while (i < len && is_ows(s[i])) {
            i++;
        }
        if (name_len > 0 && i < len && s[i] == '=') {
            i++;
            while (i < len && is_ows(s[i])) {
                i++;
            }
            if (i < len && s[i] == '"') {
                /* quoted-string: find its end, then copy it without the
                 * quotes and escapes into a buffer of just that size. */
                apr_size_t j = i + 1;
                char *buf;

                while (j < len && s[j] != '"') {
                    j += s[j] == '\\' && j + 1 < len ? 2 : 1;
                }
                if (j >= len) {
                    cc->invalid++;
                    return;
                }
                buf = apr_palloc(pool, j - i);
                for (i++; i < j; i++) {
                    if (s[i] == '\\') {
                        i++;
                    }
                    buf[arg_len++] = s[i];
                }
                i = j + 1;
                arg = buf;
            }
            else {
                arg = s + i;
                while (i < len && relay_header_is_tchar((unsigned char)s[i])) {
                    i++;
                }
                arg_len = (apr_size_t)(s + i - arg);
            }
            while (i < len && is_ows(s[i])) {
                i++;
            }
        }
        if (name_len == 0 || (i < len && s[i] != ',')) {
            cc->invalid++;
            skip_element(s, len, &i);
            continue;
        }
        apply(cc, pool, s + name_off, name_len, arg, arg_len);
    }
}

void relay_cache_control_read(relay_cache_control_t *cc, apr_pool_t *pool,
                              const apr_table_t *headers)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    relay_cache_control_init(cc);
    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key == NULL || e[i].val == NULL) {
            continue;
        }
        if (relay_header_name_is(e[i].key, "Cache-Control")) {
            relay_cache_control_parse(cc, pool, e[i].val, strlen(e[i].val));
        }
        else if (relay_header_name_is(e[i].key, "Pragma") &&
                 relay_header_has_token(e[i].val, "no-cache")) {
            cc->pragma_no_cache = 1;
        }
    }
}

int relay_cache_control_request_no_cache(const relay_cache_control_t *cc)
{
    return cc->no_cache || cc->max_age == 0 ||
           (cc->pragma_no_cache && !cc->present);
}

/* HTTP-date. */

static const char *const weekday[] = {"Sunday",    "Monday",   "Tuesday",
                                      "Wednesday", "Thursday", "Friday",
                                      "Saturday"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static apr_int64_t days_from_civil(apr_int64_t y, int m, int d)
{
    apr_int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(apr_int64_t z, apr_int64_t *y, int *m, int *d)
{
    apr_int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(apr_int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

typedef struct cursor_t {
    const char *s;
    apr_size_t len, i;
} cursor_t;

/* The next character is `ch`. */
static int next_is(cursor_t *c, char ch)
{
    if (c->i >= c->len || c->s[c->i] != ch) {
        return 0;
    }
    c->i++;
    return 1;
}

/* Exactly n digits. */
static int digits(cursor_t *c, int n, int *out)
{
    int v = 0, k;

    if (c->len - c->i < (apr_size_t)n) {
        return 0;
    }
    for (k = 0; k < n; k++) {
        char ch = c->s[c->i + k];

        if (ch < '0' || ch > '9') {
            return 0;
        }
        v = v * 10 + (ch - '0');
    }
    c->i += n;
    *out = v;
    return 1;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The n letters at the cursor begin `name`, in any case. */
static int letters_begin(const cursor_t *c, apr_size_t n, const char *name)
{
    apr_size_t k;

    for (k = 0; k < n; k++) {
        if (name[k] == '\0' ||
            ascii_lower(c->s[c->i + k]) != ascii_lower(name[k])) {
            return 0;
        }
    }
    return 1;
}

/* The number of letters at the cursor. */
static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static apr_size_t letter_run(const cursor_t *c)
{
    apr_size_t n = 0;

    while (c->i + n < c->len && is_letter(c->s[c->i + n])) {
        n++;
    }
    return n;
}

/* Three letters packed into one number, for comparing names at once. */
#define PACK3(a, b, c)                                                         \
    (((apr_uint32_t)(unsigned char)(a) << 16) |                                \
     ((apr_uint32_t)(unsigned char)(b) << 8) |                                 \
     (apr_uint32_t)(unsigned char)(c))

/* The three letters at the cursor, lower case, packed. */
static apr_uint32_t packed3(const cursor_t *c)
{
    const char *s = c->s + c->i;

    return PACK3(ascii_lower(s[0]), ascii_lower(s[1]), ascii_lower(s[2]));
}

/* The index of `key` in names[0, n), -1 if absent. */
static int packed_index(const apr_uint32_t *names, int n, apr_uint32_t key)
{
    int k;

    for (k = 0; k < n; k++) {
        if (names[k] == key) {
            return k;
        }
    }
    return -1;
}

/* A day name, its first three letters or whole; *is_long tells which. */
static int day_name(cursor_t *c, int *is_long)
{
    static const apr_uint32_t days[7] = {
        PACK3('s', 'u', 'n'), PACK3('m', 'o', 'n'), PACK3('t', 'u', 'e'),
        PACK3('w', 'e', 'd'), PACK3('t', 'h', 'u'), PACK3('f', 'r', 'i'),
        PACK3('s', 'a', 't')};
    apr_size_t n = letter_run(c);
    int k;

    if (n < 3 || (k = packed_index(days, 7, packed3(c))) < 0 ||
        (n != 3 &&
         (!letters_begin(c, n, weekday[k]) || weekday[k][n] != '\0'))) {
        return 0;
    }
    c->i += n;
    *is_long = n != 3;
    return 1;
}

static int month(cursor_t *c, int *out)
{
    static const apr_uint32_t months[12] = {
        PACK3('j', 'a', 'n'), PACK3('f', 'e', 'b'), PACK3('m', 'a', 'r'),
        PACK3('a', 'p', 'r'), PACK3('m', 'a', 'y'), PACK3('j', 'u', 'n'),
        PACK3('j', 'u', 'l'), PACK3('a', 'u', 'g'), PACK3('s', 'e', 'p'),
        PACK3('o', 'c', 't'), PACK3('n', 'o', 'v'), PACK3('d', 'e', 'c')};
    int k;

    if (letter_run(c) != 3 || (k = packed_index(months, 12, packed3(c))) < 0) {
        return 0;
    }
    c->i += 3;
    *out = k + 1;
    return 1;
}

/* time-of-day = hour ":" minute ":" second */
static int time_of_day(cursor_t *c, int *h, int *mi, int *s)
{
    return digits(c, 2, h) && next_is(c, ':') && digits(c, 2, mi) &&
           next_is(c, ':') && digits(c, 2, s);
}

/* " GMT", the zone in any case. */
static int gmt(cursor_t *c)
{
    if (c->len - c->i != 4 || c->s[c->i] != ' ') {
        return 0;
    }
    c->i++;
    if (!letters_begin(c, 3, "gmt")) {
        return 0;
    }
    c->i += 3;
    return 1;
}

/* The fields of an HTTP-date, as read. */
typedef struct date_fields_t {
    int day, mon, year, h, mi, sec;
} date_fields_t;

/* Two digits at s, or -1. */
static int two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') {
        return -1;
    }
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * IMF-fixdate read at its fixed places ("Sun, 06 Nov 1994 08:49:37 GMT"):
 * the form every sender must use (RFC 9110 §5.6.7), so the one worth a
 * short path. 0 when value is not one: the general reader decides then.
 */
static int read_fixdate(const char *value, apr_size_t len, date_fields_t *f)
{
    cursor_t c = {value, len, 0};
    int century, k;

    if (len != 29 || value[3] != ',' || value[4] != ' ' || value[7] != ' ' ||
        value[11] != ' ' || value[16] != ' ' || value[19] != ':' ||
        value[22] != ':' || value[25] != ' ' || !day_name(&c, &k) || k) {
        return 0;
    }
    c.i = 8;
    century = two_digits(value + 12);
    f->year = two_digits(value + 14);
    f->day = two_digits(value + 5);
    f->h = two_digits(value + 17);
    f->mi = two_digits(value + 20);
    f->sec = two_digits(value + 23);
    c.i = 26;
    if (century < 0 || f->year < 0 || f->day < 0 || f->h < 0 || f->mi < 0 ||
        f->sec < 0 || packed3(&c) != PACK3('g', 'm', 't')) {
        return 0;
    }
    f->year += century * 100;
    c.i = 8;
    return month(&c, &f->mon);
}

/* Any of the three forms of RFC 9110 §5.6.7, through the cursor. */
static int read_date(const char *value, apr_size_t len, date_fields_t *f)
{
    cursor_t c = {value, len, 0};
    int is_long = 0, ok = 0;

    if (!day_name(&c, &is_long)) {
        return 0;
    }
    if (next_is(&c, ',')) {
        if (!next_is(&c, ' ') || !digits(&c, 2, &f->day)) {
            return 0;
        }
        if (!is_long && next_is(&c, ' ')) {
            /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
            ok = month(&c, &f->mon) && next_is(&c, ' ') &&
                 digits(&c, 4, &f->year) && next_is(&c, ' ');
        }
        else if (is_long && next_is(&c, '-')) {
            /* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
            ok = month(&c, &f->mon) && next_is(&c, '-') &&
                 digits(&c, 2, &f->year) && next_is(&c, ' ');
            f->year += f->year < 70 ? 2000 : 1900;
        }
        else {
            return 0;
        }
        ok = ok && time_of_day(&c, &f->h, &f->mi, &f->sec) && gmt(&c);
    }
    else if (!is_long && next_is(&c, ' ')) {
        /* asctime-date: Sun Nov  6 08:49:37 1994 */
        ok = month(&c, &f->mon) && next_is(&c, ' ');
        if (ok && next_is(&c, ' ')) {
            ok = digits(&c, 1, &f->day);
        }
        else {
            ok = ok && digits(&c, 2, &f->day);
        }
        ok = ok && next_is(&c, ' ') &&
             time_of_day(&c, &f->h, &f->mi, &f->sec) && next_is(&c, ' ') &&
             digits(&c, 4, &f->year);
    }
    return ok && c.i == c.len;
}

int relay_http_date_parse(const char *value, apr_size_t len, apr_time_t *out)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    date_fields_t f = {0, 0, 0, 0, 0, 0};
    apr_int64_t days;

    if (value == NULL) {
        return 0;
    }
    while (len > 0 && is_ows(value[0])) {
        value++;
        len--;
    }
    while (len > 0 && is_ows(value[len - 1])) {
        len--;
    }
    if (!read_fixdate(value, len, &f) && !read_date(value, len, &f)) {
        return 0;
    }
    if (f.year < 1 || f.day < 1 || f.h > 23 || f.mi > 59 || f.sec > 60 ||
        f.day > mdays[f.mon - 1] + (f.mon == 2 && is_leap(f.year))) {
        return 0;
    }
    if (f.sec == 60) {
        f.sec = 59;
    }
    days = days_from_civil(f.year, f.mon, f.day);
    *out = apr_time_from_sec(((days * 24 + f.h) * 60 + f.mi) * 60 + f.sec);
    return 1;
}

void relay_http_date_format(char *buf, apr_time_t t)
{
    /* 0001-01-01T00:00:00 and 9999-12-31T23:59:59, in seconds. */
    const apr_int64_t lo = days_from_civil(1, 1, 1) * 86400;
    const apr_int64_t hi = days_from_civil(9999, 12, 31) * 86400 + 86399;
    apr_int64_t secs, days, y, rem;
    int m, d;

    /* Floor division, so times before 1970 round down too. */
    secs = t / APR_USEC_PER_SEC;
    if (t % APR_USEC_PER_SEC < 0) {
        secs--;
    }
    if (secs < lo) {
        secs = lo;
    }
    if (secs > hi) {
        secs = hi;
    }
    days = secs / 86400;
    rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    /* 1970-01-01 was a Thursday. */
    apr_snprintf(
        buf, RELAY_HTTP_DATE_LEN + 1, "%.3s, %02d %s %04d %02d:%02d:%02d GMT",
        weekday[(((days + 4) % 7) + 7) % 7], d, month_names[m - 1], (int)y,
        (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}
