/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * Load-balancing methods of balancer:// (mod_proxy_balancer), as pure
 * functions over an array of members: which member serves the next
 * request. The caller owns the array, keeps it between picks (the running
 * scores live in it), serialises picks, and says which members are usable
 * right now (not in error state, not tried yet for this request).
 *
 * Selection, as stock: the lowest lbset that has a usable member wins;
 * inside it, hot standby members (+H) serve only when no other member of
 * the set is usable; disabled (+D) and stopped (+S) members never serve.
 */
#ifndef RELAY_LB_H
#define RELAY_LB_H

typedef enum relay_lb_method_e {
    RELAY_LB_BYREQUESTS = 0, /* weighted round robin by request count */
    RELAY_LB_BYBUSYNESS,     /* fewest requests in flight */
    RELAY_LB_BYTRAFFIC       /* fewest bytes per unit of loadfactor */
} relay_lb_method_t;

/* Member status flags (BalancerMember status=+X). */
#define RELAY_LB_STANDBY 0x01  /* +H hot standby */
#define RELAY_LB_DISABLED 0x02 /* +D */
#define RELAY_LB_STOPPED 0x04  /* +S */
#define RELAY_LB_IGNERR 0x08   /* +I ignore errors */
#define RELAY_LB_ERROR 0x10    /* +E starts in error state */
#define RELAY_LB_SPARE                                                         \
    0x80 /* +R hot spare: stands in for a member of                            \
          * its set that cannot serve */
/* Running states, kept in the worker's shared slot; the caller makes a
 * member with either one unusable for a pick. */
#define RELAY_LB_DRAIN 0x20  /* +N draining: sticky sessions only */
#define RELAY_LB_HCFAIL 0x40 /* +C failed its health checks */

typedef struct relay_lb_member_t {
    int lbfactor;               /* loadfactor in hundredths: 100 to 10000 */
    int lbset;                  /* lower sets are tried first */
    unsigned int flags;         /* RELAY_LB_* */
    int usable;                 /* set by the caller before each pick */
    int lbstatus;               /* running score, kept between picks */
    int busy;                   /* requests in flight */
    unsigned long long traffic; /* bytes carried */
} relay_lb_member_t;

/*
 * Picks a member of `m[0..n)` by `method` and updates the running scores.
 * Returns its index, or -1 when no member may serve.
 */
int relay_lb_pick(relay_lb_method_t method, relay_lb_member_t *m, int n);

/* "byrequests", "bybusyness", "bytraffic" (any case): 0, else -1. */
int relay_lb_method_parse(const char *name, relay_lb_method_t *out);

const char *relay_lb_method_name(relay_lb_method_t method);

#endif
