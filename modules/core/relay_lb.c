/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * The load-balancing methods (see relay/relay_lb.h). byrequests is the
 * stock smooth weighted round robin: each pick adds every candidate's
 * loadfactor to its score, takes the highest score and subtracts the sum
 * of the loadfactors from it, so over sum(loadfactor) picks each member
 * serves exactly its loadfactor's share, interleaved. Within an lbset,
 * hot spares (+R) stand in one for one for the plain members that cannot
 * serve, and hot standbys (+H) serve only when no plain member or spare
 * can.
 */
#include <strings.h>

#include "relay/relay_lb.h"

static int may_serve(const relay_lb_member_t *m)
{
    return m->usable && !(m->flags & (RELAY_LB_DISABLED | RELAY_LB_STOPPED));
}

static int is_plain(const relay_lb_member_t *m)
{
    return !(m->flags & (RELAY_LB_STANDBY | RELAY_LB_SPARE));
}

/* How many plain members (neither standby nor spare) of `lbset` cannot
 * serve: as many hot spares of the set stand in for them. */
static int spares_wanted(const relay_lb_member_t *m, int n, int lbset)
{
    int i, down = 0;

    for (i = 0; i < n; i++) {
        if (m[i].lbset == lbset && is_plain(&m[i]) && !may_serve(&m[i])) {
            down++;
        }
    }
    return down;
}

/* Candidates of one pick among the members of `lbset`: the hot standbys
 * when `standby`; else the plain members that may serve and, in
 * configuration order, the first *spares servable spares (each one taken
 * counts down *spares). */
static int is_candidate(const relay_lb_member_t *m, int lbset, int standby,
                        int *spares)
{
    if (!may_serve(m) || m->lbset != lbset) {
        return 0;
    }
    if (standby) {
        return (m->flags & RELAY_LB_STANDBY) != 0;
    }
    if (m->flags & RELAY_LB_STANDBY) {
        return 0;
    }
    if (m->flags & RELAY_LB_SPARE) {
        if (*spares <= 0) {
            return 0;
        }
        (*spares)--;
    }
    return 1;
}

/* bytraffic: a's bytes per loadfactor below b's, without division. */
static int less_traffic(const relay_lb_member_t *a, const relay_lb_member_t *b)
{
    return a->traffic * (unsigned long long)b->lbfactor <
           b->traffic * (unsigned long long)a->lbfactor;
}

static int pick_among(relay_lb_method_t method, relay_lb_member_t *m, int n,
                      int lbset, int standby)
{
    int i, best = -1, total = 0;
    int spares = standby ? 0 : spares_wanted(m, n, lbset);

    for (i = 0; i < n; i++) {
        if (!is_candidate(&m[i], lbset, standby, &spares)) {
            continue;
        }
        if (method != RELAY_LB_BYTRAFFIC) {
            m[i].lbstatus += m[i].lbfactor;
            total += m[i].lbfactor;
        }
        if (best < 0) {
            best = i;
        }
        else if (method == RELAY_LB_BYREQUESTS) {
            if (m[i].lbstatus > m[best].lbstatus) {
                best = i;
            }
        }
        else if (method == RELAY_LB_BYBUSYNESS) {
            if (m[i].busy < m[best].busy ||
                (m[i].busy == m[best].busy &&
                 m[i].lbstatus > m[best].lbstatus)) {
                best = i;
            }
        }
        else if (less_traffic(&m[i], &m[best])) {
            best = i;
        }
    }
    if (best >= 0) {
        m[best].lbstatus -= total;
    }
    return best;
}

int relay_lb_pick(relay_lb_method_t method, relay_lb_member_t *m, int n)
{
    int have_set = 0, lbset = 0, prev = 0, started = 0;
    int i, best;

    for (;;) {
        /* The lowest lbset above the previous one with a servable member. */
        have_set = 0;
        for (i = 0; i < n; i++) {
            if (may_serve(&m[i]) && (!started || m[i].lbset > prev) &&
                (!have_set || m[i].lbset < lbset)) {
                lbset = m[i].lbset;
                have_set = 1;
            }
        }
        if (!have_set) {
            return -1;
        }
        best = pick_among(method, m, n, lbset, 0);
        if (best < 0) {
            best = pick_among(method, m, n, lbset, 1);
        }
        if (best >= 0) {
            return best;
        }
        prev = lbset;
        started = 1;
    }
}

static const char *const method_names[] = {"byrequests", "bybusyness",
                                           "bytraffic"};

int relay_lb_method_parse(const char *name, relay_lb_method_t *out)
{
    int i;

    for (i = 0; i < 3; i++) {
        if (!strcasecmp(name, method_names[i])) {
            *out = (relay_lb_method_t)i;
            return 0;
        }
    }
    return -1;
}

const char *relay_lb_method_name(relay_lb_method_t method)
{
    return (unsigned)method < 3 ? method_names[method] : "unknown";
}
