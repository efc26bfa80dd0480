/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The parser of one-word directives, shared by every module's directive
 * table (see relay_keyword.h).
 */
#include "apr_strings.h"

#include "relay_keyword.h"

const char *relay_keyword_parse(cmd_parms *cmd, const char *arg,
                                const relay_keyword_t *words, int *out)
{
    const char *list = "";
    int i;

    for (i = 0; words[i].word; i++) {
        if (!strcasecmp(arg, words[i].word)) {
            *out = words[i].value;
            return NULL;
        }
        list = apr_pstrcat(cmd->temp_pool, list, *list ? ", " : "",
                           words[i].word, NULL);
    }
    return apr_psprintf(cmd->pool, "%s must be one of %s, not '%s'",
                        cmd->cmd->name, list, arg);
}
