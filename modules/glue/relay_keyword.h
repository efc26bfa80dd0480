/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Directives that take one word from a fixed list (ProxyVia, SSLProxyVerify,
 * MCacheRemovalAlgorithm ...): one parser, one error message style.
 */
#ifndef RELAY_KEYWORD_H
#define RELAY_KEYWORD_H

#include "httpd.h"
#include "http_config.h"

/* One accepted word and the value it stands for; a list ends with NULL. */
typedef struct relay_keyword_t {
    const char *word;
    int value;
} relay_keyword_t;

/*
 * Sets *out to the value of `arg` among `words` (compared without case)
 * and returns NULL, or returns "<directive> must be one of a, b, c, not
 * 'arg'" for httpd to report with the file and line.
 */
const char *relay_keyword_parse(cmd_parms *cmd, const char *arg,
                                const relay_keyword_t *words, int *out);

#endif
