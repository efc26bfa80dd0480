/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_disk.c: the key hash and the directory layout, the
 * size syntax of CacheDiskLimit, and the entry file's trailer and
 * checksum, with every truncation and a flipped byte anywhere refused;
 * a head block that no stored response could give, in a file whose
 * checksum is right, refused by the decoding a disk hit runs.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "relay/relay_cache_entry.h"
#include "relay/relay_disk.h"
#include "relay_test.h"

typedef struct layout_case_t {
    const char *desc;
    int levels, length;
    int valid;
} layout_case_t;

static const layout_case_t layouts[] = {
    {"stock default 2 x 2", 2, 2, 1}, {"the seed's 5 x 3", 5, 3, 1},
    {"Debian's 2 x 1", 2, 1, 1},      {"the most: 20 x 1", 20, 1, 1},
    {"4 x 5 = 20", 4, 5, 1},          {"over: 7 x 3", 7, 3, 0},
    {"no levels", 0, 2, 0},           {"no length", 2, 0, 0},
};

static int layout_row(const layout_case_t *c, apr_pool_t *pool)
{
    return relay_disk_layout_valid(c->levels, c->length) == c->valid;
}

typedef struct size_case_t {
    const char *desc;
    const char *text;
    apr_off_t bytes; /* -1: refused */
} size_case_t;

static const size_case_t sizes[] = {
    {"bytes", "1000", 1000},
    {"K", "40K", 40 * 1024},
    {"k", "2k", 2048},
    {"M", "3M", 3 * 1024 * 1024},
    {"G", "2G", (apr_off_t)2 * 1024 * 1024 * 1024},
    {"zero", "0", -1},
    {"negative", "-5", -1},
    {"unit alone", "K", -1},
    {"unknown unit", "5T", -1},
    {"trailing text", "5KB", -1},
    {"empty", "", -1},
    {"overflow", "99999999999999999G", -1},
};

static int size_row(const size_case_t *c, apr_pool_t *pool)
{
    apr_off_t v = -1;
    apr_status_t rv = relay_disk_size_parse(c->text, &v);

    return c->bytes < 0 ? rv != APR_SUCCESS
                        : rv == APR_SUCCESS && v == c->bytes;
}

/* Path shape: root, levels directories of length chars, the rest. */
static int path_shape(apr_pool_t *pool, int levels, int length)
{
    const char *p = relay_disk_path(pool, "/c", levels, length, "http://h/x");
    const char *s = p + 2;
    int i;

    for (i = 0; i < levels; i++) {
        const char *slash = strchr(s + 1, '/');
        if (*s != '/' || !slash || slash - s - 1 != length) {
            return 0;
        }
        s = slash;
    }
    return strlen(s) ==
               1 + RELAY_DISK_HASH_LEN - levels * length + strlen(".rly") &&
           !strcmp(s + strlen(s) - 4, RELAY_DISK_SUFFIX);
}

static void test_layout(apr_pool_t *pool)
{
    char a[RELAY_DISK_HASH_LEN + 1], b[RELAY_DISK_HASH_LEN + 1];
    const char *variant, *vary_dir;
    apr_size_t i;
    int safe = 1;

    RELAY_TEST_TABLE(layouts, layout_row, "layout", pool);
    relay_disk_hash("http://h/x", 10, a);
    relay_disk_hash("http://h/y", 10, b);
    relay_test_ok(strlen(a) == RELAY_DISK_HASH_LEN, "hash is 22 characters");
    relay_test_ok(strcmp(a, b) != 0, "different keys, different hashes");
    relay_disk_hash("http://h/x", 10, b);
    relay_test_ok(!strcmp(a, b), "the hash is stable");
    for (i = 0; i < RELAY_DISK_HASH_LEN; i++) {
        safe &= (a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= 'a' && a[i] <= 'z') ||
                (a[i] >= '0' && a[i] <= '9') || a[i] == '_' || a[i] == '-';
    }
    relay_test_ok(safe, "hash characters are safe in file names");
    relay_disk_hash("", 0, a);
    relay_test_ok(!strcmp(a, "1B2M2Y8AsgTpgAmY7PhCfg"),
                  "MD5 of the empty key, written in the hash alphabet (%s)", a);
    relay_test_ok(path_shape(pool, 5, 3), "5 levels of 3 characters");
    relay_test_ok(path_shape(pool, 2, 2), "2 levels of 2 characters");
    relay_test_ok(path_shape(pool, 20, 1), "20 levels of 1 character");
    variant = relay_disk_path(pool, "/c", 2, 2, "http://h/x\001en");
    vary_dir = relay_disk_vary_dir(pool, "/c", 2, 2, "http://h/x");
    relay_test_ok(!strncmp(variant, vary_dir, strlen(vary_dir)) &&
                      variant[strlen(vary_dir)] == '/',
                  "a variant lives in its primary's vary directory");
    relay_test_ok(strcmp(variant, relay_disk_path(pool, "/c", 2, 2,
                                                  "http://h/x\001fr")) != 0,
                  "each variant has a file of its own");
}

static const char key[] = "http://example.com:80/a?b";
static const char head[] = "RLYC-head-block-bytes";

/* Checks an encoded file image of size n the way relay_disk_open() does. */
static relay_disk_status_t check_image(const char *img, apr_size_t n)
{
    relay_disk_trailer_t t;
    relay_disk_status_t st;
    char *copy;

    if (n < RELAY_DISK_TRAILER) {
        return RELAY_DISK_TRUNCATED;
    }
    copy = relay_test_dup(img, n);
    st = relay_disk_trailer_read(copy + n - RELAY_DISK_TRAILER, (apr_off_t)n,
                                 &t);
    if (st == RELAY_DISK_OK) {
        st = relay_disk_meta_check(copy + t.body_len, &t);
    }
    free(copy);
    return st;
}

static void test_format(apr_pool_t *pool)
{
    const char body[] = "0123456789";
    apr_size_t mlen, n, i;
    char *meta = relay_disk_meta_encode(pool, key, strlen(key), head,
                                        strlen(head), 10, &mlen);
    char *img;
    relay_disk_trailer_t t;
    int all = 1, cut = 1;

    img = apr_palloc(pool, 10 + mlen);
    memcpy(img, body, 10);
    memcpy(img + 10, meta, mlen);
    n = 10 + mlen;
    relay_test_ok(mlen == strlen(key) + strlen(head) + RELAY_DISK_TRAILER,
                  "key, head and trailer follow the body");
    relay_test_ok(check_image(img, n) == RELAY_DISK_OK, "a good entry passes");
    relay_disk_trailer_read(img + n - RELAY_DISK_TRAILER, (apr_off_t)n, &t);
    relay_test_ok(t.body_len == 10 && t.key_len == strlen(key) &&
                      t.head_len == strlen(head),
                  "the trailer gives the lengths back");
    for (i = 0; i < n; i++) {
        /* Every truncation: the trailer moves, nothing may pass. */
        cut &= check_image(img, i) != RELAY_DISK_OK;
    }
    relay_test_ok(cut, "every truncation is refused");
    for (i = 10; i < n; i++) {
        img[i] ^= 0x20;
        all &= check_image(img, n) != RELAY_DISK_OK;
        img[i] ^= 0x20;
    }
    relay_test_ok(all, "a flipped byte after the body is refused");
    img[n - RELAY_DISK_TRAILER + 5] = 2;
    relay_test_ok(check_image(img, n) == RELAY_DISK_BAD_VERSION,
                  "another version is refused as such");
    img[n - RELAY_DISK_TRAILER + 5] = 1;
    img[n - RELAY_DISK_TRAILER] = 'X';
    relay_test_ok(check_image(img, n) == RELAY_DISK_BAD_MAGIC,
                  "a foreign file is refused as such");
    img[n - RELAY_DISK_TRAILER] = 'R';
    relay_test_ok(check_image("GET / HTTP/1.1\r\n\r\nhello world, a file",
                              38) == RELAY_DISK_BAD_MAGIC,
                  "a text file is not an entry");
    relay_test_ok(check_image(img, n) == RELAY_DISK_OK, "restored");
}

/* relay_disk_open() on real files: good, other key, short, missing. */
static void test_open(apr_pool_t *pool)
{
    const char *dir = apr_psprintf(pool, "/tmp/relay-test-disk-%d", getpid());
    const char *path = apr_pstrcat(pool, dir, "/e.rly", NULL);
    apr_size_t mlen;
    char *meta = relay_disk_meta_encode(pool, key, strlen(key), head,
                                        strlen(head), 5, &mlen);
    relay_disk_file_t f;
    relay_disk_status_t st = RELAY_DISK_OK;
    apr_file_t *fd;
    apr_status_t rv;
    char buf[5];
    apr_off_t off;

    apr_dir_make(dir, APR_FPROT_OS_DEFAULT, pool);
    relay_test_write_file(pool, path, "abcde", 5, meta, mlen);
    rv = relay_disk_open(pool, path, 0, key, &f, &st);
    relay_test_ok(rv == APR_SUCCESS && st == RELAY_DISK_OK && f.body_len == 5 &&
                      f.head_len == strlen(head) &&
                      !memcmp(f.head, head, f.head_len) && !strcmp(f.key, key),
                  "an entry file opens with its key, head and body length");
    off = 0;
    apr_file_seek(f.fd, APR_SET, &off);
    relay_test_ok(apr_file_read_full(f.fd, buf, 5, NULL) == APR_SUCCESS &&
                      !memcmp(buf, "abcde", 5),
                  "the body is read at offset 0 of the open descriptor");
    apr_file_close(f.fd);
    rv = relay_disk_open(pool, path, 0, "http://other/", &f, &st);
    relay_test_ok(rv == APR_SUCCESS && st == RELAY_DISK_OTHER_KEY && !f.fd,
                  "a file of another key is refused");
    apr_file_open(&fd, path, APR_FOPEN_WRITE, 0600, pool);
    apr_file_trunc(fd, 20);
    apr_file_close(fd);
    rv = relay_disk_open(pool, path, 0, key, &f, &st);
    relay_test_ok(rv == APR_SUCCESS && st != RELAY_DISK_OK,
                  "a truncated file is refused (%s)", relay_disk_describe(st));
    apr_file_remove(path, pool);
    rv = relay_disk_open(pool, path, 0, key, &f, &st);
    relay_test_ok(APR_STATUS_IS_ENOENT(rv), "a missing file: ENOENT");
    apr_dir_remove(dir, pool);
}

/*
 * relay_disk_is_current(): what happens to an entry's name while the
 * entry is open, and what the name is then.
 */
typedef enum {
    AFTER_NOTHING,
    AFTER_RENAME_OVER, /* a new entry renamed over it (a commit) */
    AFTER_REMOVE,
    AFTER_REMOVE_WRITE, /* removed, then a new file made under the name */
    AFTER_MOVE_BACK     /* renamed away and back: still the same file */
} after_t;

typedef struct current_case_t {
    const char *desc;
    after_t after;
    apr_status_t want;
} current_case_t;

static const current_case_t currents[] = {
    {"untouched: current", AFTER_NOTHING, APR_SUCCESS},
    {"another entry renamed over it: not current", AFTER_RENAME_OVER,
     APR_EMISMATCH},
    {"removed: ENOENT", AFTER_REMOVE, APR_ENOENT},
    {"removed and made anew: not current", AFTER_REMOVE_WRITE, APR_EMISMATCH},
    {"renamed away and back: current", AFTER_MOVE_BACK, APR_SUCCESS},
};

static int current_row(const current_case_t *c, apr_pool_t *pool)
{
    const char *dir = apr_psprintf(pool, "/tmp/relay-test-cur-%d", getpid());
    const char *path = apr_pstrcat(pool, dir, "/e.rly", NULL);
    const char *other = apr_pstrcat(pool, dir, "/other", NULL);
    apr_size_t mlen;
    char *meta = relay_disk_meta_encode(pool, key, strlen(key), head,
                                        strlen(head), 5, &mlen);
    relay_disk_file_t f;
    relay_disk_status_t st = RELAY_DISK_OK;
    apr_status_t rv;
    char buf[5];
    apr_off_t off = 0;
    int ok;

    apr_dir_make(dir, APR_FPROT_OS_DEFAULT, pool);
    relay_test_write_file(pool, path, "abcde", 5, meta, mlen);
    if (relay_disk_open(pool, path, 0, key, &f, &st) != APR_SUCCESS ||
        st != RELAY_DISK_OK) {
        return 0;
    }
    switch (c->after) {
    case AFTER_RENAME_OVER:
        relay_test_write_file(pool, other, "vwxyz", 5, meta, mlen);
        apr_file_rename(other, path, pool);
        break;
    case AFTER_REMOVE:
        apr_file_remove(path, pool);
        break;
    case AFTER_REMOVE_WRITE:
        apr_file_remove(path, pool);
        relay_test_write_file(pool, path, "vwxyz", 5, meta, mlen);
        break;
    case AFTER_MOVE_BACK:
        apr_file_rename(path, other, pool);
        apr_file_rename(other, path, pool);
        break;
    default:
        break;
    }
    rv = relay_disk_is_current(pool, path, &f);
    ok = rv == c->want || (c->want == APR_ENOENT && APR_STATUS_IS_ENOENT(rv));
    if (!ok) {
        relay_test_diag("got status %d", rv);
    }
    /* Whatever the name is now, the open entry still reads its own body. */
    ok = ok && apr_file_seek(f.fd, APR_SET, &off) == APR_SUCCESS &&
         apr_file_read_full(f.fd, buf, 5, NULL) == APR_SUCCESS &&
         !memcmp(buf, "abcde", 5);
    apr_file_close(f.fd);
    apr_file_remove(path, pool);
    apr_file_remove(other, pool);
    apr_dir_remove(dir, pool);
    return ok;
}

/* Writes an entry file of a body of body_len bytes and the head given. */
static void write_entry(apr_pool_t *pool, const char *path, apr_size_t body_len,
                        const char *head_text, apr_size_t head_len)
{
    char *body = apr_palloc(pool, body_len + 1);
    apr_size_t mlen;
    char *meta = relay_disk_meta_encode(pool, key, strlen(key), head_text,
                                        head_len, (apr_off_t)body_len, &mlen);

    memset(body, 'b', body_len);
    relay_test_write_file(pool, path, body, body_len, meta, mlen);
}

/*
 * relay_disk_open() reads the file's last RELAY_DISK_TAIL_READ bytes at
 * once: heads whose key, head and trailer fit in them, fill them exactly,
 * or need a second read, behind bodies shorter and longer than that.
 */
static void test_open_sizes(apr_pool_t *pool)
{
    const char *dir =
        apr_psprintf(pool, "/tmp/relay-test-disk-sizes-%d", getpid());
    const char *path = apr_pstrcat(pool, dir, "/e.rly", NULL);
    apr_size_t fit = RELAY_DISK_TAIL_READ - RELAY_DISK_TRAILER - strlen(key);
    const apr_size_t heads[] = {1, 300, fit - 1, fit, fit + 1, 3 * fit};
    const apr_size_t bodies[] = {0, 7, RELAY_DISK_TAIL_READ, 70000};
    apr_size_t i, j;

    apr_dir_make(dir, APR_FPROT_OS_DEFAULT, pool);
    for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        char *h = apr_palloc(pool, heads[i]);
        apr_size_t k;

        for (k = 0; k < heads[i]; k++) {
            h[k] = (char)('a' + (k * 7 + i) % 26);
        }
        for (j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++) {
            relay_disk_file_t f;
            relay_disk_status_t st = RELAY_DISK_OK;
            apr_status_t rv;
            int small;

            write_entry(pool, path, bodies[j], h, heads[i]);
            rv = relay_disk_open(pool, path, 0, key, &f, &st);
            relay_test_ok(rv == APR_SUCCESS && st == RELAY_DISK_OK &&
                              f.head_len == heads[i] &&
                              !memcmp(f.head, h, heads[i]) &&
                              f.body_len == (apr_off_t)bodies[j],
                          "head of %" APR_SIZE_T_FMT " bytes behind a body of "
                          "%" APR_SIZE_T_FMT " opens whole",
                          heads[i], bodies[j]);
            small = bodies[j] + heads[i] + strlen(key) + RELAY_DISK_TRAILER <=
                    RELAY_DISK_TAIL_READ;
            relay_test_ok(small ? f.body != NULL &&
                                      strspn(f.body, "b") >= bodies[j]
                                : f.body == NULL,
                          "the body of a file of %s 4 KiB is %s",
                          small ? "at most" : "over",
                          small ? "read with the head" : "left in the file");
            if (f.fd) {
                apr_file_close(f.fd);
            }
        }
    }
    apr_file_remove(path, pool);
    apr_dir_remove(dir, pool);
}

/*
 * The disk store's checksum covers the head block, so a disk hit decodes
 * it with relay_cache_entry_decode_checked(); a file written by someone
 * else, right checksum and all, must still be refused there when its head
 * is no response to serve. The file layer opens it: it does not read
 * heads.
 */
typedef struct forged_head_case_t {
    const char *desc;
    int status;
    const char *fields;
    relay_cache_entry_status_t expect;
} forged_head_case_t;

static const forged_head_case_t forged_heads[] = {
    {"Transfer-Encoding", 200, "Transfer-Encoding: chunked", 0},
    {"Connection", 200, "Connection: close", 0},
    {"Content-Length not the body's", 200, "Content-Length: 6", 0},
    {"status 101", 101, "Upgrade: websocket", 0},
    {"LF in a value", 200, "X-A: b\r\nSet-Cookie: c=d", 0},
    {"a normal head", 200, "Content-Type: text/plain|Content-Length: 5", 1},
};

static int forged_head_row(const forged_head_case_t *c, apr_pool_t *pool)
{
    const char *dir =
        apr_psprintf(pool, "/tmp/relay-test-disk-forged-%d", getpid());
    const char *path = apr_pstrcat(pool, dir, "/e.rly", NULL);
    relay_cache_entry_status_t rv;
    relay_cache_entry_t e;
    relay_disk_file_t f;
    relay_disk_status_t st = RELAY_DISK_OK;
    apr_size_t hlen, mlen;
    char *block = relay_test_entry_block(pool, c->status, 5, c->fields, &hlen);
    char *meta =
        relay_disk_meta_encode(pool, key, strlen(key), block, hlen, 5, &mlen);
    int ok;

    apr_dir_make(dir, APR_FPROT_OS_DEFAULT, pool);
    relay_test_write_file(pool, path, "hello", 5, meta, mlen);
    ok = relay_disk_open(pool, path, 0, key, &f, &st) == APR_SUCCESS &&
         st == RELAY_DISK_OK;
    if (!ok) {
        relay_test_diag("the file is refused: %s", relay_disk_describe(st));
    }
    else {
        rv = relay_cache_entry_decode_checked(pool, f.head, f.head_len, &e);
        ok = c->expect ? rv == RELAY_CACHE_ENTRY_OK
                       : rv == RELAY_CACHE_ENTRY_NOT_SERVABLE ||
                             rv == RELAY_CACHE_ENTRY_MALFORMED;
        if (!ok) {
            relay_test_diag("decode_checked: %s",
                            relay_cache_entry_describe(rv));
        }
        apr_file_close(f.fd);
    }
    apr_file_remove(path, pool);
    apr_dir_remove(dir, pool);
    return ok;
}

int main(void)
{
    apr_pool_t *pool = relay_test_init();

    test_layout(pool);
    RELAY_TEST_TABLE(sizes, size_row, "size", pool);
    test_format(pool);
    test_open(pool);
    test_open_sizes(pool);
    RELAY_TEST_TABLE(currents, current_row, "is current", pool);
    RELAY_TEST_TABLE(forged_heads, forged_head_row, "disk hit, forged head",
                     pool);
    return relay_test_done();
}
