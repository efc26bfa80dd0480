/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Text for the result codes of the core (relay_status.h). The glue puts
 * these words into its log lines next to the object that failed, so each
 * says what was wrong with the input, not what Relay did about it.
 */
#include "relay/relay_status.h"

const char *relay_status_describe(relay_status_t status)
{
    switch (status) {
    case RELAY_OK:
        return "complete";
    case RELAY_AGAIN:
        return "incomplete, more input needed";
    case RELAY_EBADSTATUS:
        return "malformed status line";
    case RELAY_EBADHEADER:
        return "malformed header field line";
    case RELAY_ETOOLARGE:
        return "header block or line over the limit";
    case RELAY_EBADLENGTH:
        return "invalid Content-Length value";
    case RELAY_EDUPLENGTH:
        return "several different Content-Length values";
    case RELAY_ELENGTHTE:
        return "Content-Length together with Transfer-Encoding";
    case RELAY_EBADTE:
        return "unsupported or malformed Transfer-Encoding";
    case RELAY_EBADCHUNK:
        return "malformed chunked framing";
    case RELAY_EOBSFOLD:
        return "obsolete line folding";
    case RELAY_EBADRECORD:
        return "malformed FastCGI record";
    case RELAY_ENOSPACE:
        return "no room left in the output buffer";
    case RELAY_ETRUNCATED:
        return "input ended before the unit was complete";
    case RELAY_EAJPMAGIC:
        return "AJP packet without the magic bytes of its sender";
    case RELAY_EAJPSIZE:
        return "AJP packet over the maximum packet size";
    case RELAY_EAJPCODE:
        return "unknown AJP prefix code or header code";
    case RELAY_EAJPOVERRUN:
        return "AJP field or string runs past the end of its packet";
    case RELAY_EAJPNUL:
        return "AJP string not terminated by a NUL";
    case RELAY_EAJPCOUNT:
        return "AJP header count does not match the headers in the packet";
    case RELAY_EAJPCHUNK:
        return "AJP body chunk longer than its packet";
    }
    return "unknown status";
}
