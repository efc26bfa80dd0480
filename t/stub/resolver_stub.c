/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A resolver stub for t/modules/proxy_addressttl.t, preloaded into a test
 * httpd (LD_PRELOAD): the name in $RELAY_STUB_NAME resolves to the
 * address written in the file $RELAY_STUB_FILE, read again at every
 * lookup, so the test can change what the name resolves to while the
 * server runs. Every other name goes to the real getaddrinfo.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*getaddrinfo_fn)(const char *, const char *,
                              const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res)
{
    static getaddrinfo_fn real;
    const char *name = getenv("RELAY_STUB_NAME");
    const char *file = getenv("RELAY_STUB_FILE");
    char addr[64] = "";
    FILE *fh;

    if (!real) {
        real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    }
    if (node && name && file && !strcmp(node, name) &&
        (fh = fopen(file, "r")) != NULL) {
        if (fgets(addr, sizeof(addr), fh)) {
            addr[strcspn(addr, "\r\n")] = '\0';
        }
        fclose(fh);
        if (addr[0]) {
            return real(addr, service, hints, res);
        }
    }
    return real(node, service, hints, res);
}
