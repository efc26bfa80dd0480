/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * relay-cacheclean: the command-line cleaner of Relay's disk cache, with
 * htcacheclean's main options. It shares the layout, the entry checks and
 * the removal order with mod_cache_disk's own cleaner (relay_disk_clean.h):
 * temporary files of dead writers and damaged entries go, then expired
 * entries, then the least recently used, until the limits hold.
 *
 *   relay-cacheclean [-Dvtn] -p root [-l size] [-L entries]
 *   relay-cacheclean -d minutes [-P pidfile] [-vtn] -p root -l size|-L n
 *   relay-cacheclean [-Dv] -p root url ...   (removes those URLs' entries)
 *   relay-cacheclean -a|-A -p root           (lists the entries)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "relay/relay_cache_key.h"
#include "relay/relay_disk.h"
#include "relay/relay_disk_clean.h"

typedef struct options_t {
    const char *root;
    apr_off_t max_bytes;
    apr_int64_t max_entries;
    apr_int64_t interval_min; /* -d; 0: one pass */
    const char *pidfile;
    int dry_run, verbose, prune, nice, list;
} options_t;

static void usage(void)
{
    fprintf(stderr,
            "usage: relay-cacheclean [-Dvtn] -p root [-l size] [-L entries]\n"
            "       relay-cacheclean -d minutes [-P pidfile] [-vtn] -p root "
            "-l size|-L entries\n"
            "       relay-cacheclean [-Dv] -p root url ...\n"
            "       relay-cacheclean -a|-A -p root\n"
            "  -p root      the CacheRoot of the disk cache\n"
            "  -l size      keep at most this many bytes (K, M, G suffix)\n"
            "  -L entries   keep at most this many entries\n"
            "  -d minutes   run as a daemon, cleaning every so many minutes\n"
            "  -P pidfile   write the daemon's pid to this file\n"
            "  -n           be nice: lower priority, slower\n"
            "  -t           remove empty directories\n"
            "  -D           dry run: report, remove nothing\n"
            "  -v           verbose: statistics and progress\n"
            "  -a, -A       list the URLs (-A: with size, use and expiry)\n"
            "  url ...      remove the entries (and variants) of these URLs\n");
    exit(1);
}

static void progress(void *baton, int files)
{
    fprintf(stderr, "\rrelay-cacheclean: %d files scanned", files);
    fflush(stderr);
}

static void scan_or_die(apr_pool_t *pool, const options_t *o, int flags,
                        relay_disk_scan_t *scan)
{
    apr_status_t rv = relay_disk_scan(
        pool, o->root, flags | (o->dry_run ? RELAY_DISK_SCAN_KEEP : 0),
        apr_time_now(), o->verbose ? progress : NULL, NULL, scan);
    char err[256];

    if (o->verbose) {
        fprintf(stderr, "\n");
    }
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "relay-cacheclean: cannot read %s: %s\n", o->root,
                apr_strerror(rv, err, sizeof(err)));
        exit(1);
    }
}

/* The printable form of a key: a variant's separator as a space. */
static const char *printable(apr_pool_t *pool, const char *key)
{
    char *k = apr_pstrdup(pool, key), *p;

    for (p = k; *p; p++) {
        if (*p == '\001') {
            *p = ' ';
        }
    }
    return k;
}

static void list(apr_pool_t *pool, const options_t *o)
{
    relay_disk_scan_t scan;
    int i;

    scan_or_die(pool, o, RELAY_DISK_SCAN_KEEP, &scan);
    for (i = 0; i < scan.items->nelts; i++) {
        const relay_disk_item_t *it =
            &APR_ARRAY_IDX(scan.items, i, relay_disk_item_t);
        if (o->list == 'a') {
            if (!strchr(it->key, '\001')) {
                printf("%s\n", it->key);
            }
            continue;
        }
        printf("%s %" APR_OFF_T_FMT " %" APR_TIME_T_FMT " %" APR_TIME_T_FMT
               "\n",
               printable(pool, it->key), it->size, apr_time_sec(it->used),
               apr_time_sec(it->expires));
    }
}

/* Marks the entries of the URLs given (and their variants). */
static int mark_urls(apr_pool_t *pool, relay_disk_scan_t *scan,
                     const char *const *urls, int n)
{
    int i, j, marked = 0;

    for (j = 0; j < n; j++) {
        const char *key = relay_cache_key_from_url(pool, NULL, 0, urls[j]);
        apr_size_t len;
        if (!key) {
            key = urls[j];
        }
        len = strlen(key);
        for (i = 0; i < scan->items->nelts; i++) {
            relay_disk_item_t *it =
                &APR_ARRAY_IDX(scan->items, i, relay_disk_item_t);
            if (!strncmp(it->key, key, len) &&
                (it->key[len] == '\0' || it->key[len] == '\001') &&
                !it->remove) {
                it->remove = 1;
                marked++;
            }
        }
    }
    return marked;
}

/* One pass: scan, mark (URLs given, or to the limits), remove. */
static void clean(apr_pool_t *pool, const options_t *o, const char *const *urls,
                  int nurls)
{
    relay_disk_scan_t scan;
    apr_off_t before, freed = 0;
    int marked, removed = 0, i;

    scan_or_die(pool, o, o->prune ? RELAY_DISK_SCAN_PRUNE : 0, &scan);
    before = scan.bytes;
    marked = nurls ? mark_urls(pool, &scan, urls, nurls)
                   : relay_disk_plan((relay_disk_item_t *)scan.items->elts,
                                     scan.items->nelts, o->max_bytes,
                                     o->max_entries, apr_time_now());
    if (o->dry_run) {
        for (i = 0; i < scan.items->nelts; i++) {
            const relay_disk_item_t *it =
                &APR_ARRAY_IDX(scan.items, i, relay_disk_item_t);
            if (it->remove) {
                printf("would remove %s\n", printable(pool, it->key));
            }
        }
    }
    else if (marked) {
        freed = relay_disk_remove_marked(pool, &scan, &removed);
        if (o->prune) {
            /* the directories the removals emptied */
            relay_disk_scan_t again;
            scan_or_die(pool, o, RELAY_DISK_SCAN_PRUNE, &again);
            scan.dirs += again.dirs;
        }
    }
    if (o->verbose) {
        printf("Statistics:\n"
               "size before .... %" APR_OFF_T_FMT " bytes\n"
               "size after ..... %" APR_OFF_T_FMT " bytes\n"
               "entries ........ %d\n"
               "removed ........ %d entries, %" APR_OFF_T_FMT " bytes\n"
               "unfinished ..... %d removed\n"
               "damaged ........ %d removed\n"
               "directories .... %d removed\n",
               before, before - freed, scan.items->nelts - removed,
               o->dry_run ? marked : removed, freed, scan.leftovers, scan.bad,
               scan.dirs);
    }
}

static void parse(apr_pool_t *pool, int argc, const char *const *argv,
                  options_t *o, int *first_arg)
{
    apr_getopt_t *opt;
    const char *arg;
    char c;
    char *end;
    apr_status_t rv;

    memset(o, 0, sizeof(*o));
    apr_getopt_init(&opt, pool, argc, argv);
    while ((rv = apr_getopt(opt, "p:l:L:d:P:ntDvaA", &c, &arg)) ==
           APR_SUCCESS) {
        switch (c) {
        case 'p':
            o->root = arg;
            break;
        case 'l':
            if (relay_disk_size_parse(arg, &o->max_bytes) != APR_SUCCESS) {
                usage();
            }
            break;
        case 'L':
        case 'd':
            *(c == 'L' ? &o->max_entries : &o->interval_min) =
                apr_strtoi64(arg, &end, 10);
            if (*end || end == arg ||
                (c == 'L' ? o->max_entries : o->interval_min) <= 0) {
                usage();
            }
            break;
        case 'P':
            o->pidfile = arg;
            break;
        case 'n':
            o->nice = 1;
            break;
        case 't':
            o->prune = 1;
            break;
        case 'D':
            o->dry_run = 1;
            break;
        case 'v':
            o->verbose = 1;
            break;
        default:
            o->list = c;
            break;
        }
    }
    if (rv != APR_EOF || !o->root) {
        usage();
    }
    *first_arg = opt->ind;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool, *pass;
    options_t o;
    int first;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    parse(pool, argc, argv, &o, &first);
    if (o.nice && nice(10) == -1) {
        perror("relay-cacheclean: nice");
    }
    if (o.list) {
        list(pool, &o);
        return 0;
    }
    if (first < argc) {
        clean(pool, &o, argv + first, argc - first);
        return 0;
    }
    if (!o.max_bytes && !o.max_entries && o.interval_min) {
        usage(); /* a daemon with nothing to bound */
    }
    if (o.interval_min) {
        if (apr_proc_detach(APR_PROC_DETACH_DAEMONIZE) != APR_SUCCESS) {
            perror("relay-cacheclean: detach");
            return 1;
        }
        if (o.pidfile) {
            FILE *f = fopen(o.pidfile, "w");
            if (f) {
                fprintf(f, "%ld\n", (long)getpid());
                fclose(f);
            }
        }
    }
    apr_pool_create(&pass, pool);
    do {
        clean(pass, &o, NULL, 0);
        apr_pool_clear(pass);
        if (o.interval_min) {
            apr_sleep(apr_time_from_sec(o.interval_min * 60));
        }
    } while (o.interval_min);
    return 0;
}
