/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * HTTP-date (RFC 9110 §5.6.7): read from a field value of known length
 * (no NUL needed, never read past it) and written as an IMF-fixdate.
 */
#ifndef RELAY_HTTP_DATE_H
#define RELAY_HTTP_DATE_H

#include <apr_time.h>

/* Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT". */
#define RELAY_HTTP_DATE_LEN 29

/*
 * Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three forms:
 * IMF-fixdate, the obsolete RFC 850 form ("Sunday, 06-Nov-94 08:49:37
 * GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Surrounding whitespace
 * is allowed; names of days, months and GMT are matched without case; the
 * day name is not checked against the date. A two-digit year below 70 is
 * 20yy, otherwise 19yy (a fixed reading of §5.6.7's fifty-year rule, so
 * results do not depend on the clock). A second of 60 (leap) is accepted
 * as 59. Returns 1 and sets *out, or 0 for anything else.
 */
int relay_http_date_parse(const char *value, apr_size_t len, apr_time_t *out);

/*
 * Writes `t` as an IMF-fixdate plus a NUL into buf (RELAY_HTTP_DATE_LEN+1
 * bytes), whole seconds, rounding down. Times outside years 1..9999 are
 * clamped to the nearest representable one.
 */
void relay_http_date_format(char *buf, apr_time_t t);

#endif
