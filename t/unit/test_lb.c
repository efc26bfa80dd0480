/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Unit tests of relay_lb.c: byrequests follows the loadfactors exactly
 * over sum(loadfactor) picks (and within one pick at any prefix of a run),
 * bybusyness takes the least busy member, bytraffic the fewest bytes per
 * loadfactor; lbset priority, hot spares standing in one for one,
 * hot standby only when the rest of its set cannot serve, disabled and stopped
 * members never, -1 when nothing can.
 */
#include <stdlib.h>
#include <string.h>

#include "relay/relay_lb.h"
#include "relay_test.h"

static void init(relay_lb_member_t *m, int n)
{
    int i;

    memset(m, 0, sizeof(*m) * (size_t)n);
    for (i = 0; i < n; i++) {
        m[i].lbfactor = 1;
        m[i].usable = 1;
    }
}

/* Picks `picks` times and counts the winners in `count`. */
static void run(relay_lb_method_t method, relay_lb_member_t *m, int n,
                int picks, int *count)
{
    int i;

    memset(count, 0, sizeof(*count) * (size_t)n);
    for (i = 0; i < picks; i++) {
        int k = relay_lb_pick(method, m, n);
        if (k >= 0) {
            count[k]++;
        }
    }
}

static void test_byrequests(void)
{
    relay_lb_member_t m[3];
    int count[3], i, worst = 0;

    init(m, 2);
    m[0].lbfactor = 3;
    run(RELAY_LB_BYREQUESTS, m, 2, 40, count);
    relay_test_ok(count[0] == 30 && count[1] == 10,
                  "byrequests 3:1 over 40 picks: %d/%d", count[0], count[1]);

    init(m, 3);
    m[0].lbfactor = 5;
    m[1].lbfactor = 3;
    m[2].lbfactor = 2;
    run(RELAY_LB_BYREQUESTS, m, 3, 100, count);
    relay_test_ok(count[0] == 50 && count[1] == 30 && count[2] == 20,
                  "byrequests 5:3:2 over 100 picks: %d/%d/%d", count[0],
                  count[1], count[2]);

    /* Interleaved: at every prefix the share is off by less than one. */
    init(m, 2);
    m[0].lbfactor = 3;
    memset(count, 0, sizeof(count));
    for (i = 1; i <= 40; i++) {
        int diff;
        count[relay_lb_pick(RELAY_LB_BYREQUESTS, m, 2)]++;
        diff = abs(count[0] * 4 - i * 3);
        worst = diff > worst ? diff : worst;
    }
    relay_test_ok(worst < 4, "byrequests interleaves (worst offset %d/4)",
                  worst);

    init(m, 2);
    run(RELAY_LB_BYREQUESTS, m, 2, 10, count);
    relay_test_ok(count[0] == 5 && count[1] == 5, "equal factors alternate");
}

static void test_states(void)
{
    relay_lb_member_t m[4];
    int count[4];

    init(m, 3);
    m[2].flags = RELAY_LB_STANDBY;
    run(RELAY_LB_BYREQUESTS, m, 3, 10, count);
    relay_test_ok(count[2] == 0 && count[0] == 5 && count[1] == 5,
                  "hot standby unused while others can serve");
    m[0].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 3, 10, count);
    relay_test_ok(count[1] == 10 && count[2] == 0,
                  "hot standby unused while one other can serve");
    m[1].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 3, 10, count);
    relay_test_ok(count[2] == 10, "hot standby serves when the rest cannot");

    init(m, 4);
    m[0].lbset = 1;
    m[1].lbset = 1;
    m[2].lbset = 2;
    m[3].lbset = 2;
    m[3].flags = RELAY_LB_STANDBY;
    run(RELAY_LB_BYREQUESTS, m, 4, 10, count);
    relay_test_ok(count[0] == 5 && count[1] == 5 && !count[2] && !count[3],
                  "lowest lbset serves");
    m[0].usable = m[1].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 4, 10, count);
    relay_test_ok(count[2] == 10 && !count[3], "next lbset when one is down");
    m[0].usable = 1;
    m[0].flags = RELAY_LB_STANDBY;
    run(RELAY_LB_BYREQUESTS, m, 4, 10, count);
    relay_test_ok(count[0] == 10,
                  "a standby of a lower set before the next set");

    init(m, 3);
    m[0].flags = RELAY_LB_DISABLED;
    m[1].flags = RELAY_LB_STOPPED;
    run(RELAY_LB_BYREQUESTS, m, 3, 6, count);
    relay_test_ok(count[2] == 6, "disabled and stopped members never serve");
    m[2].usable = 0;
    relay_test_ok(relay_lb_pick(RELAY_LB_BYREQUESTS, m, 3) == -1,
                  "-1 when nothing can serve");
    relay_test_ok(relay_lb_pick(RELAY_LB_BYREQUESTS, m, 0) == -1,
                  "-1 without members");
}

/* Hot spares stand in one for one for plain members that cannot serve,
 * before any standby, within their own lbset. */
static void test_spares(void)
{
    relay_lb_member_t m[5];
    int count[5];

    init(m, 5);
    m[2].flags = RELAY_LB_SPARE;
    m[3].flags = RELAY_LB_SPARE;
    m[4].flags = RELAY_LB_STANDBY;
    run(RELAY_LB_BYREQUESTS, m, 5, 10, count);
    relay_test_ok(count[0] == 5 && count[1] == 5 && !count[2] && !count[3] &&
                      !count[4],
                  "spares and standby unused while the members serve");
    m[0].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 5, 10, count);
    relay_test_ok(count[1] == 5 && count[2] == 5 && !count[3] && !count[4],
                  "one member down: the first spare stands in, alone");
    m[2].flags |= RELAY_LB_DISABLED;
    run(RELAY_LB_BYREQUESTS, m, 5, 10, count);
    relay_test_ok(count[1] == 5 && count[3] == 5 && !count[2] && !count[4],
                  "that spare disabled: the next one stands in");
    m[2].flags = RELAY_LB_SPARE;
    m[1].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 5, 10, count);
    relay_test_ok(count[2] == 5 && count[3] == 5 && !count[4],
                  "both members down: both spares serve, no standby");
    m[2].usable = m[3].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 5, 10, count);
    relay_test_ok(count[4] == 10, "members and spares down: the standby");

    init(m, 3);
    m[0].lbset = 1;
    m[1].lbset = 2;
    m[2].lbset = 2;
    m[2].flags = RELAY_LB_SPARE;
    m[0].usable = 0;
    run(RELAY_LB_BYREQUESTS, m, 3, 10, count);
    relay_test_ok(count[1] == 10 && !count[2],
                  "a spare stands in only within its own lbset");
}

static void test_busy_traffic(void)
{
    relay_lb_member_t m[3];
    int count[3];

    init(m, 3);
    m[0].busy = 2;
    m[1].busy = 0;
    m[2].busy = 1;
    relay_test_ok(relay_lb_pick(RELAY_LB_BYBUSYNESS, m, 3) == 1,
                  "bybusyness takes the least busy");
    init(m, 2);
    m[0].lbfactor = 3;
    run(RELAY_LB_BYBUSYNESS, m, 2, 40, count);
    relay_test_ok(count[0] == 30 && count[1] == 10,
                  "bybusyness ties follow byrequests: %d/%d", count[0],
                  count[1]);

    init(m, 3);
    m[0].traffic = 3000;
    m[0].lbfactor = 3;   /* 1000 per unit */
    m[1].traffic = 1500; /* 1500 per unit */
    m[2].traffic = 900;
    m[2].lbfactor = 1; /* 900 per unit */
    relay_test_ok(relay_lb_pick(RELAY_LB_BYTRAFFIC, m, 3) == 2,
                  "bytraffic takes the fewest bytes per loadfactor");
    m[2].traffic = 1200;
    relay_test_ok(relay_lb_pick(RELAY_LB_BYTRAFFIC, m, 3) == 0,
                  "bytraffic weighs by loadfactor");
}

static void test_names(void)
{
    relay_lb_method_t m;

    relay_test_ok(!relay_lb_method_parse("ByBusyness", &m) &&
                      m == RELAY_LB_BYBUSYNESS,
                  "method names parse without case");
    relay_test_ok(relay_lb_method_parse("heartbeat", &m) == -1,
                  "unknown method refused");
    relay_test_ok(
        !strcmp(relay_lb_method_name(RELAY_LB_BYTRAFFIC), "bytraffic"),
        "method name");
}

int main(void)
{
    relay_test_init();
    test_byrequests();
    test_states();
    test_spares();
    test_busy_traffic();
    test_names();
    return relay_test_done();
}
