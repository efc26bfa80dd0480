/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * HTTP-date (RFC 9110 §5.6.7), read and written. Written out rather than
 * borrowed from apr_date so that it is bounded by a length, needs no NUL,
 * and converts to a time without the C library's time zone; it runs on
 * every cache hit (Date, Last-Modified), so the form senders must use,
 * IMF-fixdate, is read at its fixed places before the general reader.
 */
#include <apr_strings.h>

#include "relay/relay_http_date.h"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

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
    int century, is_long;

    if (len != 29 || value[3] != ',' || value[4] != ' ' || value[7] != ' ' ||
        value[11] != ' ' || value[16] != ' ' || value[19] != ':' ||
        value[22] != ':' || value[25] != ' ' || !day_name(&c, &is_long) ||
        is_long) {
        return 0;
    }
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
    c.i = 8; /* the month */
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
