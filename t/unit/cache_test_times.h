/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The clock of the cache policy tests: T0 is Sun, 06 Nov 1994 08:49:37 GMT
 * (RFC 9110's example date); AT(s) is T0 plus s seconds, and the D_*
 * strings are HTTP-dates at fixed offsets from it (M: minus, P: plus).
 */
#ifndef CACHE_TEST_TIMES_H
#define CACHE_TEST_TIMES_H

#include <apr_time.h>

#define T0 784111777LL
#define AT(off) apr_time_from_sec(T0 + (off))

#define D0 "Sun, 06 Nov 1994 08:49:37 GMT"
#define D_M1S "Sun, 06 Nov 1994 08:49:36 GMT"
#define D_M1M "Sun, 06 Nov 1994 08:48:37 GMT"
#define D_M1H "Sun, 06 Nov 1994 07:49:37 GMT"
#define D_P1H "Sun, 06 Nov 1994 09:49:37 GMT"
#define D_P2H "Sun, 06 Nov 1994 10:49:37 GMT"
#define D_M1D "Sat, 05 Nov 1994 08:49:37 GMT"
#define D_P1D "Mon, 07 Nov 1994 08:49:37 GMT"
#define D_M10D "Thu, 27 Oct 1994 08:49:37 GMT"
#define D_M100D "Fri, 29 Jul 1994 08:49:37 GMT"

#endif
