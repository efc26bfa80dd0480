/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_status.c: every status has its own description, and
 * an unknown value still gets one.
 */
#include <string.h>

#include "relay/relay_status.h"
#include "relay_test.h"

static const relay_status_t statuses[] = {
    RELAY_OK,        RELAY_AGAIN,       RELAY_EBADSTATUS, RELAY_EBADHEADER,
    RELAY_ETOOLARGE, RELAY_EBADLENGTH,  RELAY_EDUPLENGTH, RELAY_ELENGTHTE,
    RELAY_EBADTE,    RELAY_EBADCHUNK,   RELAY_EOBSFOLD,   RELAY_EBADRECORD,
    RELAY_ENOSPACE,  RELAY_ETRUNCATED,  RELAY_EAJPMAGIC,  RELAY_EAJPSIZE,
    RELAY_EAJPCODE,  RELAY_EAJPOVERRUN, RELAY_EAJPNUL,    RELAY_EAJPCOUNT,
    RELAY_EAJPCHUNK,
};

int main(void)
{
    int i, j;

    relay_test_init();
    for (i = 0; i < RELAY_TEST_COUNT(statuses); i++) {
        const char *text = relay_status_describe(statuses[i]);
        int unique = text != NULL && *text != '\0' &&
                     strcmp(text, relay_status_describe((relay_status_t)99));

        for (j = 0; unique && j < i; j++) {
            unique = strcmp(text, relay_status_describe(statuses[j])) != 0;
        }
        relay_test_ok(unique, "describe %d: %s", (int)statuses[i],
                      text != NULL ? text : "(null)");
    }
    relay_test_ok(strcmp(relay_status_describe((relay_status_t)99),
                         "unknown status") == 0,
                  "describe an unknown status");
    return relay_test_done();
}
