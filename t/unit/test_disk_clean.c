/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_disk_clean.c: which entries a size or entry limit
 * removes (expired first, then least recently used), which temporary
 * files count as leftovers, and a scan of a small tree with a good entry,
 * a corrupt one, a foreign file and temporary files.
 */
#include <string.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "relay/relay_disk.h"
#include "relay/relay_disk_clean.h"
#include "relay_test.h"

#define NOW apr_time_from_sec(1000000)
#define AGO(s) (NOW - apr_time_from_sec(s))

typedef struct plan_case_t {
    const char *desc;
    apr_off_t max_bytes;
    apr_int64_t max_entries;
    const char *removed; /* items marked, as letters a.. */
    int headroom;        /* relay_disk_plan_with_headroom() */
} plan_case_t;

/* a: 100 B used 50 s ago, expired; b: 100 B used 10 s ago; c: 100 B used
 * 40 s ago; d: 100 B used 5 s ago, expired; e: 100 B used 20 s ago,
 * expiry unknown. */
static const plan_case_t plans[] = {
    {"within limits: nothing", 1000, 10, ""},
    {"no limits: nothing", 0, 0, ""},
    {"one over in bytes: the oldest expired", 450, 0, "a"},
    {"two over: both expired ones", 300, 0, "ad"},
    {"three over: then the least recently used", 200, 0, "acd"},
    {"entry limit alone", 0, 2, "acd"},
    {"both limits: the stricter wins", 400, 1, "acde"},
    {"everything", 1, 0, "abcde"},
    {"headroom, within the limits: nothing", 500, 5, "", 1},
    {"headroom, over in bytes: down to 90% of the limit", 400, 0, "ad", 1},
    {"headroom, over in entries: at least one below", 0, 4, "ad", 1},
    {"headroom, no limits: nothing", 0, 0, "", 1},
};

static void items_make(relay_disk_item_t *it)
{
    static const int used[] = {50, 10, 40, 5, 20};
    static const int expired[] = {1, 0, 0, 1, -1};
    int i;

    memset(it, 0, 5 * sizeof(*it));
    for (i = 0; i < 5; i++) {
        it[i].size = 100;
        it[i].used = AGO(used[i]);
        it[i].expires = expired[i] < 0 ? 0
                        : expired[i]   ? AGO(1)
                                       : NOW + apr_time_from_sec(60);
    }
}

static int plan_row(const plan_case_t *c, apr_pool_t *pool)
{
    relay_disk_item_t it[5];
    char got[6];
    int i, n = 0, marked;

    items_make(it);
    marked = c->headroom
                 ? relay_disk_plan_with_headroom(it, 5, c->max_bytes,
                                                 c->max_entries, NOW)
                 : relay_disk_plan(it, 5, c->max_bytes, c->max_entries, NOW);
    for (i = 0; i < 5; i++) {
        if (it[i].remove) {
            got[n++] = (char)('a' + i);
        }
    }
    got[n] = '\0';
    if (strcmp(got, c->removed) || marked != n) {
        relay_test_diag("removed %s, want %s", got, c->removed);
        return 0;
    }
    return 1;
}

static int exists(apr_pool_t *pool, const char *path)
{
    apr_finfo_t fi;

    return apr_stat(&fi, path, APR_FINFO_TYPE, pool) == APR_SUCCESS;
}

static void test_scan(apr_pool_t *pool)
{
    const char *root = apr_psprintf(pool, "/tmp/relay-test-clean-%d", getpid());
    const char *good = relay_disk_path(pool, root, 2, 2, "http://h/good");
    const char *bad = relay_disk_path(pool, root, 2, 2, "http://h/bad");
    const char *unservable =
        relay_disk_path(pool, root, 2, 2, "http://h/unservable");
    const char *foreign = apr_pstrcat(pool, root, "/README", NULL);
    const char *dead = apr_pstrcat(pool, root, "/relay-tmp.0.abcdef", NULL);
    const char *alive =
        apr_psprintf(pool, "%s/relay-tmp.%d.abcdef", root, (int)getpid());
    relay_disk_scan_t scan;
    relay_disk_item_t *it;
    apr_size_t mlen, hlen;
    apr_off_t good_size;
    char *meta, *head;
    int removed;

    apr_dir_make_recursive(apr_pstrndup(pool, good, strrchr(good, '/') - good),
                           APR_FPROT_OS_DEFAULT, pool);
    apr_dir_make_recursive(apr_pstrndup(pool, bad, strrchr(bad, '/') - bad),
                           APR_FPROT_OS_DEFAULT, pool);
    apr_dir_make_recursive(
        apr_pstrndup(pool, unservable, strrchr(unservable, '/') - unservable),
        APR_FPROT_OS_DEFAULT, pool);
    head =
        relay_test_entry_block(pool, 200, 3, "Content-Type: text/plain", &hlen);
    meta =
        relay_disk_meta_encode(pool, "http://h/good", 13, head, hlen, 3, &mlen);
    relay_test_write_file(pool, good, "abc", 3, meta, mlen);
    good_size = (apr_off_t)(3 + mlen);
    meta =
        relay_disk_meta_encode(pool, "http://h/bad", 12, head, hlen, 3, &mlen);
    relay_test_write_file(pool, bad, "abc", 3, meta, mlen - 1); /* truncated */
    /* A sound file whose head no lookup would serve (status 42). */
    head =
        relay_test_entry_block(pool, 42, 3, "Content-Type: text/plain", &hlen);
    meta = relay_disk_meta_encode(pool, "http://h/unservable", 19, head, hlen,
                                  3, &mlen);
    relay_test_write_file(pool, unservable, "abc", 3, meta, mlen);
    relay_test_write_file(pool, foreign, "hello", 5, "", 0);
    relay_test_write_file(pool, dead, "partial", 7, "", 0);
    relay_test_write_file(pool, alive, "partial", 7, "", 0);

    relay_test_ok(relay_disk_scan(pool, root, RELAY_DISK_SCAN_KEEP, NOW, NULL,
                                  NULL, &scan) == APR_SUCCESS &&
                      scan.items->nelts == 1 && exists(pool, bad) &&
                      exists(pool, unservable) && exists(pool, dead),
                  "a listing scan finds the good entry and removes nothing");
    relay_test_ok(relay_disk_scan(pool, root, RELAY_DISK_SCAN_PRUNE,
                                  apr_time_now(), NULL, NULL,
                                  &scan) == APR_SUCCESS,
                  "scan");
    it = (relay_disk_item_t *)scan.items->elts;
    relay_test_ok(scan.items->nelts == 1 && !strcmp(it->key, "http://h/good") &&
                      it->size == good_size,
                  "the good entry is listed with its key and size");
    relay_test_ok(scan.bad == 2 && !exists(pool, bad),
                  "the truncated entry is removed");
    relay_test_ok(!exists(pool, unservable),
                  "an entry whose head would not be served is removed");
    relay_test_ok(scan.leftovers == 1 && !exists(pool, dead) &&
                      exists(pool, alive),
                  "a dead writer's file is removed, a live one's kept");
    relay_test_ok(exists(pool, foreign), "a foreign file is left alone");
    relay_test_ok(scan.dirs >= 1, "the emptied directories are pruned");
    relay_disk_plan(it, 1, 1, 0, NOW);
    relay_test_ok(relay_disk_remove_marked(pool, &scan, &removed) > 0 &&
                      removed == 1 && !exists(pool, good),
                  "a marked entry is removed");
    relay_test_ok(relay_disk_leftover("relay-tmp.1.x", apr_time_now(),
                                      apr_time_now()) == 0,
                  "the file of a live process (init) is no leftover");
    relay_test_ok(relay_disk_leftover("relay-tmp.1.x", 0, apr_time_now()) == 1,
                  "a day-old temporary file is a leftover");
    relay_test_ok(relay_disk_leftover("other", 0, apr_time_now()) == 0,
                  "another name is never a leftover");
    relay_test_ok(relay_disk_remove_leftovers(pool, root, apr_time_now()) == 0,
                  "startup pass: nothing more to remove");
    apr_file_remove(alive, pool);
    apr_file_remove(foreign, pool);
    relay_disk_scan(pool, root, RELAY_DISK_SCAN_PRUNE, NOW, NULL, NULL, &scan);
    apr_dir_remove(root, pool);
    relay_test_ok(!exists(pool, root), "the tree is gone");
    relay_test_ok(relay_disk_scan(pool, root, 0, NOW, NULL, NULL, &scan) !=
                      APR_SUCCESS,
                  "a missing root is an error");
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    RELAY_TEST_TABLE(plans, plan_row, "plan", pool);
    test_scan(pool);
    return relay_test_done();
}
