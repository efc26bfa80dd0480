/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Result codes of Relay's httpd-independent core. Parsers and decoders
 * return one of these; the httpd glue maps them onto HTTP statuses and log
 * lines (relay_status_describe gives the text for the log).
 */
#ifndef RELAY_STATUS_H
#define RELAY_STATUS_H

typedef enum relay_status_e {
    RELAY_OK = 0,          /* complete: a value or a whole unit was parsed */
    RELAY_AGAIN = 1,       /* well-formed so far, more input is needed */
    RELAY_EBADSTATUS = -1, /* malformed status line */
    RELAY_EBADHEADER = -2, /* malformed header field line */
    RELAY_ETOOLARGE = -3,  /* header block or line over the limit */
    RELAY_EBADLENGTH = -4, /* invalid Content-Length value */
    RELAY_EDUPLENGTH = -5, /* several different Content-Length values */
    RELAY_ELENGTHTE = -6,  /* Content-Length together with Transfer-Encoding */
    RELAY_EBADTE = -7,     /* Transfer-Encoding Relay cannot decode */
    RELAY_EBADCHUNK = -8,  /* malformed chunk size, extension or CRLF */
    RELAY_EOBSFOLD = -9,   /* obsolete line folding (RFC 9112 §5.2) */

    RELAY_EBADRECORD = -10, /* malformed FastCGI record or record stream */
    RELAY_ENOSPACE = -11,   /* output does not fit in the caller's buffer */
    RELAY_ETRUNCATED = -12, /* input ended in the middle of a unit */

    RELAY_EAJPMAGIC = -13,   /* AJP packet without the magic of its sender */
    RELAY_EAJPSIZE = -14,    /* AJP packet over the maximum packet size */
    RELAY_EAJPCODE = -15,    /* AJP prefix or header code out of its table */
    RELAY_EAJPOVERRUN = -16, /* AJP field or string past its packet's end */
    RELAY_EAJPNUL = -17,     /* AJP string without its terminating NUL */
    RELAY_EAJPCOUNT = -18,   /* AJP header count unlike the packet's headers */
    RELAY_EAJPCHUNK = -19    /* AJP body chunk longer than its packet */
} relay_status_t;

/* A short English description of a status, for log lines. */
const char *relay_status_describe(relay_status_t status);

#endif
