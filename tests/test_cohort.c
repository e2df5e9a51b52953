/*
 * test_cohort.c: cohort retention matrices, the Kaplan-Meier survival curve
 * and the lifecycle counts: hand-computed cases, identities, brute-force
 * comparisons on generated streams, order independence, bad options.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KMAX 4
#define EPS 1e-12

static rtn_cohort_opts opts(int every, int mode, int recurring, int64_t from, int64_t to,
                            int64_t at, uint32_t k)
{
    rtn_cohort_opts o;
    ck_assert_int_eq(rtn_cohort_opts_init(&o, sizeof o), RTN_OK);
    o.every = every;
    o.mode = mode;
    o.recurring = recurring;
    o.from = from;
    o.to = to;
    o.at = at;
    o.max_periods = k;
    return o;
}

/* Compute a matrix of at most 8 rows and check it against expected active
 * counts (row-major, KMAX columns), sizes and completeness. */
static void check_matrix(rtn_ctx *ctx, const rtn_cohort_opts *o, size_t rows,
                         const int64_t *starts, const int64_t *sizes, const int64_t *active,
                         const int *complete)
{
    rtn_cohort_cell cells[8 * KMAX];
    int64_t st[8], sz[8];
    size_t n = 99, r, k;
    int rc = rtn_cohort_retention(cells, st, sz, 8, &n, ctx, o);
    ck_assert_msg(rc == RTN_OK, "cohort: %d %s", rc, rtn_ctx_last_error(ctx));
    ck_assert_uint_eq(n, rows);
    for (r = 0; r < rows; r++) {
        ck_assert_int_eq(st[r], starts[r]);
        ck_assert_int_eq(sz[r], sizes[r]);
        for (k = 0; k < KMAX; k++) {
            const rtn_cohort_cell *c = &cells[r * KMAX + k];
            ck_assert_msg(c->active == active[r * KMAX + k], "row %zu k %zu: active %lld, want %lld",
                          r, k, (long long)c->active, (long long)active[r * KMAX + k]);
            ck_assert_msg(c->complete == complete[r * KMAX + k], "row %zu k %zu: complete %d", r, k,
                          c->complete);
            ck_assert(fabs(c->share - (double)active[r * KMAX + k] / (double)sizes[r] * 100.0) < EPS);
        }
    }
}

/*
 * Weekly cohorts. T0 = Thu 2026-01-01; ISO weeks W0 = [TD(4), TD(11)) (Mon
 * 5 Jan), W1 = [TD(11), TD(18)), W2 = [TD(18), TD(25)), W3 = [TD(25), TD(32)).
 *   c1: acquire TD(4) W0, activity TD(12) W1, activity TD(26) W3
 *   c2: acquire TD(6) W0, page view TD(19) W2
 *   c3: purchase TD(10) W0 (acquired by the purchase; Sunday)
 *   c4: acquire TD(13) W1, activity TD(14) W1, activity TD(20) W2, NPS TD(27) W3
 *   c5: acquire TD(15) W1, churn TD(16), activity TD(30) W3 (reactivated)
 *   c6: page view TD(5) W0 as a prospect, acquire TD(19) W2
 *   c7: NPS TD(8) only: never acquired, in no cohort
 * Rows W0..W2 (from TD(4), to TD(25)); at = TD(27), inside W3: periods up to
 * W2 have ended, W3 and later have not.
 */
static rtn_ctx *weekly_ctx(void)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(4) + 3600000, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(12), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(26), 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(6), 2, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(19), 2, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(10) + 23 * T_HOUR, 3, 10.0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(13), 4, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(14), 4, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(20), 4, 0);
    tu_push(ctx, RTN_EV_NPS, TD(27), 4, 9);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(15), 5, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(16), 5, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(30), 5, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(5), 6, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(19), 6, 0);
    tu_push(ctx, RTN_EV_NPS, TD(8), 7, 3);
    return ctx;
}

static const int64_t wk_starts[3] = {TD(4), TD(11), TD(18)};
/* Complete when W(r + k) ended by TD(27): r + k <= 2. */
static const int wk_complete[3 * KMAX] = {1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0};

START_TEST(weekly_n_period)
{
    rtn_ctx *ctx = weekly_ctx();
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_N_PERIOD, 0, TD(4), TD(25), TD(27), KMAX);
    /* W0 = {c1, c2, c3}: k0 all; k1 (W1) c1; k2 (W2) c2; k3 (W3) c1.
     * W1 = {c4, c5}: k0 both; k1 (W2) c4; k2 (W3) c4 and c5; k3 (W4) none.
     * W2 = {c6}: k0 c6; nothing after (its W0 page view predates it). */
    static const int64_t sizes[3] = {3, 2, 1};
    static const int64_t act[3 * KMAX] = {3, 1, 1, 1, 2, 1, 2, 0, 1, 0, 0, 0};
    check_matrix(ctx, &o, 3, wk_starts, sizes, act, wk_complete);
    /* Shares: W0 k1 = 1/3 * 100. */
    {
        rtn_cohort_cell cells[3 * KMAX];
        size_t n;
        ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 3, &n, ctx, &o), RTN_OK);
        ck_assert(fabs(cells[1].share - 100.0 / 3.0) < EPS);
        ck_assert(fabs(cells[0].share - 100.0) < EPS);
    }
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(weekly_unbounded)
{
    rtn_ctx *ctx = weekly_ctx();
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_UNBOUNDED, 0, TD(4), TD(25), TD(27), KMAX);
    /* Last active offsets: W0: c1 3, c2 2, c3 0; W1: c4 2, c5 2; W2: c6 0.
     * Column k counts last offsets >= k:
     * W0: 3, 2, 2, 1; W1: 2, 2, 2, 0; W2: 1, 0, 0, 0. */
    static const int64_t sizes[3] = {3, 2, 1};
    static const int64_t act[3 * KMAX] = {3, 2, 2, 1, 2, 2, 2, 0, 1, 0, 0, 0};
    check_matrix(ctx, &o, 3, wk_starts, sizes, act, wk_complete);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(weekly_recurring)
{
    rtn_ctx *ctx = weekly_ctx();
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_N_PERIOD, 1, TD(4), TD(25), TD(27), KMAX);
    /* Active weeks from acquisition on: c1 W0 W1 W3; c2 W0 W2; c3 W0;
     * c4 W1 W2 W3; c5 W1 W3; c6 W2 (not W0: before acquisition).
     * W0 = {c1, c2, c3}: 3; W1 c1; W2 c2; W3 c1          -> 3 1 1 1
     * W1 = {c1, c4, c5}: 3; W2 c4; W3 c1 c4 c5; W4 none  -> 3 1 3 0
     * W2 = {c2, c4, c6}: 3; W3 c4; later none            -> 3 1 0 0 */
    static const int64_t sizes[3] = {3, 3, 3};
    static const int64_t act[3 * KMAX] = {3, 1, 1, 1, 3, 1, 3, 0, 3, 1, 0, 0};
    /* Unbounded, by last active week (c1 W3, c2 W2, c3 W0, c4 W3, c5 W3, c6 W2):
     * W0: 3, 2 (c1 c2), 2, 1 (c1); W1: 3, 3, 3, 0; W2: 3, 1 (c4), 0, 0. */
    static const int64_t unb[3 * KMAX] = {3, 2, 2, 1, 3, 3, 3, 0, 3, 1, 0, 0};
    check_matrix(ctx, &o, 3, wk_starts, sizes, act, wk_complete);
    o.mode = RTN_COHORT_UNBOUNDED;
    check_matrix(ctx, &o, 3, wk_starts, sizes, unb, wk_complete);
    rtn_ctx_free(ctx);
}
END_TEST

/*
 * Monthly cohorts: Jan 2026 = [TD(0), TD(31)), Feb = [TD(31), TD(59)),
 * Mar = [TD(59), TD(90)), Apr from TD(90).
 *   m1: acquire Sat 10 Jan TD(9), activity 15 Feb TD(45), activity 2 Apr TD(91)
 *   m2: acquire 31 Jan TD(30), purchase 1 Mar TD(59)
 *   m3: acquire 1 Feb TD(31), nothing more
 * Rows Jan, Feb (from 1 Jan, to 1 Mar); at = 15 Mar TD(73): Jan and Feb
 * have ended, March has not.
 *   N-period  Jan {m1, m2}: k0 2, k1 (Feb) m1, k2 (Mar) m2, k3 (Apr) m1;
 *             Feb {m3}: 1, 0, 0, 0
 *   unbounded Jan: last offsets m1 3 (Apr), m2 2: 2, 2, 2, 1; Feb: 1, 0, 0, 0
 * Completeness: month r + k ended by 15 Mar when r + k <= 1.
 */
START_TEST(monthly)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_cohort_opts o = opts(RTN_EVERY_MONTH, RTN_COHORT_N_PERIOD, 0, TD(0), TD(59), TD(73), KMAX);
    static const int64_t starts[2] = {TD(0), TD(31)};
    static const int64_t sizes[2] = {2, 1};
    static const int64_t act[2 * KMAX] = {2, 1, 1, 1, 1, 0, 0, 0};
    static const int64_t unb[2 * KMAX] = {2, 2, 2, 1, 1, 0, 0, 0};
    static const int complete[2 * KMAX] = {1, 1, 0, 0, 1, 0, 0, 0};
    tu_push(ctx, RTN_EV_ACQUIRE, TD(9), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(45), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(91), 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(30), 2, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(59), 2, 25.0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(31), 3, 0);
    check_matrix(ctx, &o, 2, starts, sizes, act, complete);
    o.mode = RTN_COHORT_UNBOUNDED;
    check_matrix(ctx, &o, 2, starts, sizes, unb, complete);
    /* A month is complete at the instant it ends, not before. */
    o.at = TD(59);
    {
        rtn_cohort_cell cells[2 * KMAX];
        size_t n;
        ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 2, &n, ctx, &o), RTN_OK);
        ck_assert_int_eq(cells[1].complete, 1);
        o.at = TD(59) - 1;
        ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 2, &n, ctx, &o), RTN_OK);
        ck_assert_int_eq(cells[1].complete, 0);
        ck_assert_int_eq(cells[0].complete, 1);
    }
    rtn_ctx_free(ctx);
}
END_TEST

/* Weeks follow the business's local day: with UTC+2, Sun 4 Jan 23:00 UTC is
 * Monday 01:00 local, in the week starting Mon 5 Jan 00:00 local = TD(4) - 2 h. */
START_TEST(local_day_weeks)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_cohort_cell cells[2 * 2];
    int64_t st[2], sz[2];
    size_t n;
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_N_PERIOD, 0, TD(0), TD(10), TD(40), 2);
    rtn_config_init(&cfg, sizeof cfg);
    cfg.day_offset_minutes = 120;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(4) - T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(11) - T_HOUR, 1, 0); /* Monday 12 Jan local */
    /* Rows: week of 29 Dec (from TD(0)) and week of 5 Jan. */
    ck_assert_int_eq(rtn_cohort_retention(cells, st, sz, 2, &n, ctx, &o), RTN_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(st[1], TD(4) - 2 * T_HOUR);
    ck_assert_int_eq(sz[0], 0);
    ck_assert_int_eq(sz[1], 1);
    ck_assert(isnan(cells[0].share));
    ck_assert_int_eq(cells[2].active, 1);
    ck_assert_int_eq(cells[3].active, 1);
    rtn_ctx_free(ctx);
}
END_TEST

/* A long history: acquired Mon TD(4), active every third week for 150
 * weeks (offsets 0, 3, ..., 147). N-period over 160 columns: 1 at multiples
 * of 3 below 150, else 0. Unbounded over 10 columns: the last offset 147 is
 * beyond the table, so every column counts the customer. */
START_TEST(long_history)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_cohort_cell *cells = calloc(160, sizeof *cells);
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_N_PERIOD, 0, TD(4), TD(5), TD(2000), 160);
    size_t n, k;
    int w;
    ck_assert_ptr_nonnull(cells);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(4), 1, 0);
    for (w = 3; w < 150; w += 3)
        tu_push(ctx, RTN_EV_PAGE_VIEW, TD(4 + 7 * w + 2), 1, 0);
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 1, &n, ctx, &o), RTN_OK);
    ck_assert_uint_eq(n, 1);
    for (k = 0; k < 160; k++)
        ck_assert_int_eq(cells[k].active, k % 3 == 0 && k < 150);
    o.mode = RTN_COHORT_UNBOUNDED;
    o.max_periods = 10;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 1, &n, ctx, &o), RTN_OK);
    for (k = 0; k < 10; k++)
        ck_assert_int_eq(cells[k].active, 1);
    /* Recurring: 50 memberships; row W0's column 63 (W63) counts it. */
    o.mode = RTN_COHORT_N_PERIOD;
    o.recurring = 1;
    o.max_periods = RTN_COHORT_RECURRING_MAX;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 1, &n, ctx, &o), RTN_OK);
    ck_assert_int_eq(cells[63].active, 1);
    ck_assert_int_eq(cells[62].active, 0);
    free(cells);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(size_protocol)
{
    rtn_ctx *ctx = weekly_ctx();
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_N_PERIOD, 0, TD(4), TD(25), TD(27), KMAX);
    rtn_cohort_cell cells[2 * KMAX], sentinel;
    int64_t st[2] = {-7, -7}, sz[2] = {-7, -7};
    size_t n = 0, i;
    ck_assert_int_eq(rtn_cohort_retention(NULL, NULL, NULL, 0, &n, ctx, &o), RTN_ERANGE);
    ck_assert_uint_eq(n, 3);
    memset(&sentinel, 0xab, sizeof sentinel);
    for (i = 0; i < 2 * KMAX; i++)
        cells[i] = sentinel;
    n = 0;
    ck_assert_int_eq(rtn_cohort_retention(cells, st, sz, 2, &n, ctx, &o), RTN_ERANGE);
    ck_assert_uint_eq(n, 3);
    for (i = 0; i < 2 * KMAX; i++)
        ck_assert(memcmp(&cells[i], &sentinel, sizeof sentinel) == 0);
    ck_assert(st[0] == -7 && st[1] == -7 && sz[0] == -7 && sz[1] == -7);
    /* At the epoch: week 0 (from Mon 1969-12-29) starts before to = 0,
     * January 1970 does not. */
    o.from = o.to = 0;
    ck_assert_int_eq(rtn_cohort_retention(NULL, NULL, NULL, 0, &n, ctx, &o), RTN_ERANGE);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(rtn_cohort_retention(cells, st, sz, 1, &n, ctx, &o), RTN_OK);
    ck_assert_int_eq(st[0], -3 * T_DAY);
    ck_assert_int_eq(sz[0], 0);
    o.every = RTN_EVERY_MONTH;
    ck_assert_int_eq(rtn_cohort_retention(NULL, NULL, NULL, 0, &n, ctx, &o), RTN_OK);
    ck_assert_uint_eq(n, 0);
    o.every = RTN_EVERY_WEEK;
    /* An empty range has no rows and needs no buffer. */
    o.from = o.to = TD(4);
    ck_assert_int_eq(rtn_cohort_retention(NULL, NULL, NULL, 0, &n, ctx, &o), RTN_OK);
    ck_assert_uint_eq(n, 0);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(bad_options)
{
    rtn_ctx *ctx = weekly_ctx();
    rtn_cohort_opts o = opts(RTN_EVERY_WEEK, RTN_COHORT_N_PERIOD, 0, TD(4), TD(25), TD(27), KMAX);
    rtn_cohort_opts b;
    rtn_cohort_cell cells[8 * KMAX];
    size_t n;
    ck_assert_int_eq(rtn_cohort_opts_init(NULL, sizeof o), RTN_EINVAL);
    ck_assert_int_eq(rtn_cohort_opts_init(&b, sizeof b - 1), RTN_EINVAL);
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, NULL, &o), RTN_EINVAL);
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, NULL), RTN_EINVAL);
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, NULL, ctx, &o), RTN_EINVAL);
    ck_assert_int_eq(rtn_cohort_retention(NULL, NULL, NULL, 8, &n, ctx, &o), RTN_EINVAL);
    b = o, b.size = 8;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.every = RTN_EVERY_DAY;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EPERIOD);
    b = o, b.every = RTN_EVERY_QUARTER;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EPERIOD);
    b = o, b.every = 0;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EPERIOD);
    b = o, b.mode = 2;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.recurring = 2;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.reserved = 1;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.max_periods = 0;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.max_periods = RTN_COHORT_MAX_PERIODS + 1;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.max_periods = UINT32_MAX;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.recurring = 1, b.max_periods = RTN_COHORT_RECURRING_MAX + 1;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EINVAL);
    b = o, b.from = TD(26);
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_EPERIOD);
    b = o, b.from = -1;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_ETIME);
    b = o, b.at = INT64_MAX;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, NULL, 8, &n, ctx, &b), RTN_ETIME);
    /* Lifecycle periods: from > to. */
    {
        rtn_value v;
        rtn_value_init(&v, sizeof v);
        ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_LIFECYCLE_DORMANT, TD(5), TD(4), NULL),
                         RTN_EPERIOD);
    }
    /* The largest accepted sizes work. */
    b = o, b.recurring = 1, b.max_periods = RTN_COHORT_RECURRING_MAX;
    ck_assert_int_eq(rtn_cohort_retention(NULL, NULL, NULL, 0, &n, ctx, &b), RTN_ERANGE);
    ck_assert_uint_eq(n, 3);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- survival ---------------------------------------------------------------- */

static void check_point(const rtn_survival_point *p, double t, int64_t n, int64_t d, double s,
                        double var)
{
    double half = 1.959963984540054 * sqrt(var);
    ck_assert_msg(p->t_days == t, "t %g, want %g", p->t_days, t);
    ck_assert_int_eq(p->at_risk, n);
    ck_assert_int_eq(p->events, d);
    ck_assert_msg(fabs(p->s - s) < EPS, "t %g: S %.17g, want %.17g", t, p->s, s);
    ck_assert_msg(fabs(p->lo - fmax(0.0, s - half)) < EPS, "t %g: lo %.17g", t, p->lo);
    ck_assert_msg(fabs(p->hi - fmin(1.0, s + half)) < EPS, "t %g: hi %.17g", t, p->hi);
}

/*
 * Textbook Kaplan-Meier with censoring, at = TD(100). Lifetimes (days from
 * first acquisition to first loss; + = censored):
 *   c1 acquire TD(0)  churn TD(3)    3      (reacquired TD(60): first loss counts)
 *   c2 acquire TD(10) churn TD(15)   5
 *   c3 acquire TD(20) churn TD(25)   5
 *   c4 acquire TD(95)                5+     (still active at TD(100))
 *   c5 acquire TD(30) churn TD(38)   8
 *   c6 acquire TD(91) churn TD(120)  9+     (lost after at: censored)
 *   c7 acquire TD(40) churn TD(52)  12
 *   c8 acquire TD(85)               15+
 *   c9 acquire TD(50) churn TD(70)  20
 *   c10 acquire TD(80)              20+
 *   c11 acquire TD(100), c12 acquire TD(101): not acquired before at; c13 page views only.
 *
 *   t   n  d  S(t)                          sum d/(n(n-d))              Var = S^2 * sum
 *   3  10  1  9/10 = 0.9                    1/90                         0.81 * 1/90
 *   5   9  2  0.9 * 7/9 = 0.7               1/90 + 2/63                  0.49 * (1/90 + 2/63)
 *   8   6  1  0.7 * 5/6 = 0.58333...        + 1/30                       S^2 * (... + 1/30)
 *  12   4  1  * 3/4 = 0.4375                + 1/12                       S^2 * (... + 1/12)
 *  20   2  1  * 1/2 = 0.21875               + 1/2                        S^2 * (... + 1/2)
 * (at t = 5 the censored c4 is still at risk; at t = 20, c10 too.)
 * Median: the first t with S(t) <= 0.5: 12 days.
 */
static rtn_ctx *km_ctx(void)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    static const int acq[] = {0, 10, 20, 95, 30, 91, 40, 85, 50, 80, 100, 101};
    static const int churn[] = {3, 15, 25, -1, 38, 120, 52, -1, 70, -1, -1, -1};
    int i;
    for (i = 0; i < 12; i++) {
        tu_push(ctx, RTN_EV_ACQUIRE, TD(acq[i]) + 5 * T_HOUR, (uint64_t)i + 1, 0);
        if (churn[i] >= 0)
            tu_push(ctx, RTN_EV_CHURN, TD(churn[i]) + 2 * T_HOUR, (uint64_t)i + 1, 0);
    }
    tu_push(ctx, RTN_EV_ACTIVITY, TD(60), 1, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(10), 13, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(70), 13, 0);
    return ctx;
}

START_TEST(km_textbook)
{
    rtn_ctx *ctx = km_ctx();
    rtn_survival_point pts[8];
    size_t n = 0;
    double median = 0, s = 1, sum = 0;
    ck_assert_int_eq(rtn_survival(pts, 8, &n, &median, ctx, TD(100)), RTN_OK);
    ck_assert_uint_eq(n, 5);
    s = 0.9, sum = 1.0 / 90;
    check_point(&pts[0], 3, 10, 1, s, s * s * sum);
    s *= 7.0 / 9, sum += 2.0 / 63;
    ck_assert(fabs(s - 0.7) < EPS);
    check_point(&pts[1], 5, 9, 2, s, s * s * sum);
    s *= 5.0 / 6, sum += 1.0 / 30;
    check_point(&pts[2], 8, 6, 1, s, s * s * sum);
    s *= 3.0 / 4, sum += 1.0 / 12;
    ck_assert(fabs(s - 0.4375) < EPS);
    check_point(&pts[3], 12, 4, 1, s, s * s * sum);
    s *= 1.0 / 2, sum += 1.0 / 2;
    ck_assert(fabs(s - 0.21875) < EPS);
    check_point(&pts[4], 20, 2, 1, s, s * s * sum);
    ck_assert(median == 12.0);
    /* Size protocol: cap 0 asks; a short buffer gets nothing. */
    {
        rtn_survival_point few[4];
        double m = -1;
        memset(few, 0x5a, sizeof few);
        ck_assert_int_eq(rtn_survival(NULL, 0, &n, NULL, ctx, TD(100)), RTN_ERANGE);
        ck_assert_uint_eq(n, 5);
        ck_assert_int_eq(rtn_survival(few, 4, &n, &m, ctx, TD(100)), RTN_ERANGE);
        ck_assert(m == -1);
        ck_assert(((unsigned char *)few)[0] == 0x5a && ((unsigned char *)few)[sizeof few - 1] == 0x5a);
        ck_assert_int_eq(rtn_survival(NULL, 4, &n, &m, ctx, TD(100)), RTN_EINVAL);
        ck_assert_int_eq(rtn_survival(few, 4, NULL, &m, ctx, TD(100)), RTN_EINVAL);
        ck_assert_int_eq(rtn_survival(few, 4, &n, &m, NULL, TD(100)), RTN_EINVAL);
        ck_assert_int_eq(rtn_survival(few, 4, &n, &m, ctx, -1), RTN_ETIME);
    }
    rtn_ctx_free(ctx);
}
END_TEST

/* A curve that reaches 0 (bands [0, 0], the limit of the Greenwood
 * variance), one whose median is undefined, and an empty one. */
START_TEST(km_median_and_zero)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_survival_point pts[4];
    size_t n;
    double median;
    /* a: lost after 3 days; b, c, d still active. */
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(3), 1, 0);
    ck_assert_int_eq(rtn_survival(pts, 4, &n, &median, ctx, TD(10)), RTN_OK);
    /* Only a: t 3, n 1, d 1, S 0, bands [0, 0]; median 3. */
    ck_assert_uint_eq(n, 1);
    check_point(&pts[0], 3, 1, 1, 0.0, 0.0);
    ck_assert(median == 3.0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(1), 2, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(2), 3, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(3), 4, 0);
    /* t 3: n 4 (b 9+, c 8+, d 7+), d 1: S = 3/4, never <= 0.5: median undefined.
     * Var = 0.5625 * 1/(4*3). */
    ck_assert_int_eq(rtn_survival(pts, 4, &n, &median, ctx, TD(10)), RTN_OK);
    ck_assert_uint_eq(n, 1);
    check_point(&pts[0], 3, 4, 1, 0.75, 0.5625 / 12);
    ck_assert(isnan(median));
    /* Nobody acquired before at: an empty curve, median undefined. */
    ck_assert_int_eq(rtn_survival(pts, 0, &n, &median, ctx, TD(0)), RTN_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert(isnan(median));
    rtn_ctx_free(ctx);
}
END_TEST

/* Hour resolution: lifetimes in fractional days. a: acquired TD(0), churn at
 * TD(0) + 36 h (1.5 days); b: acquired TD(1), censored at TD(3) (2 days).
 * t 1.5: n 2, d 1, S 0.5, Var 0.25 * 1/(2*1); median 1.5. */
START_TEST(km_hours)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_survival_point pts[2];
    size_t n;
    double median;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.resolution = RTN_RESOLUTION_HOUR;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(0) + 36 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(1), 2, 0);
    ck_assert_int_eq(rtn_survival(pts, 2, &n, &median, ctx, TD(3)), RTN_OK);
    ck_assert_uint_eq(n, 1);
    check_point(&pts[0], 1.5, 2, 1, 0.5, 0.25 * 0.5);
    ck_assert(median == 1.5);
    rtn_ctx_free(ctx);
}
END_TEST

/* Inferred churn: with a 10-day inactivity window, a customer acquired at
 * TD(0) with no other start event is lost at TD(10); asked at TD(8) it is
 * censored at 8 days (its loss is not known yet), at TD(20) lost at 10. */
START_TEST(km_inactivity)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_survival_point pts[2];
    size_t n;
    double median;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 10;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    ck_assert_int_eq(rtn_survival(pts, 2, &n, &median, ctx, TD(8)), RTN_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert(isnan(median));
    ck_assert_int_eq(rtn_survival(pts, 2, &n, &median, ctx, TD(20)), RTN_OK);
    ck_assert_uint_eq(n, 1);
    check_point(&pts[0], 10, 1, 1, 0.0, 0.0);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- lifecycle ----------------------------------------------------------------- */

/*
 * Period A = [TD(14), TD(21)), previous P = [TD(7), TD(14)).
 *   a: acquire TD(2), activity TD(8) (P), activity TD(15) (A)   returning
 *   b: acquire TD(9) (P), nothing in A                           dormant
 *   c: acquire TD(1), activity TD(16) (A), nothing in P          resurrected
 *   d: page view TD(10) (P, before acquisition), acquire TD(17)  new (not returning)
 *   e: acquire TD(18)                                            new
 *   f: NPS TD(11) and TD(19), never acquired                     none
 *   g: acquire TD(3), churn TD(5), page views TD(12), TD(20)     returning (lost, but active)
 *   h: acquire TD(0), activity TD(13) (P)                        dormant
 * new 2, returning 2, resurrected 1, dormant 2; active(A) = {a c d e g} = 5
 * = 2 + 2 + 1; active(P) = {a b g h} = 4 = 2 + 2.
 */
START_TEST(lifecycle_hand)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(2), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(8), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(15), 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(9), 2, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(1), 3, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(16), 3, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(10), 4, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(17), 4, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(18), 5, 0);
    tu_push(ctx, RTN_EV_NPS, TD(11), 6, 8);
    tu_push(ctx, RTN_EV_NPS, TD(19), 6, 9);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(3), 7, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(5), 7, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(12), 7, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(20), 7, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 8, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(13), 8, 0);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_NEW, TD(14), TD(21)).value == 2);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_RETURNING, TD(14), TD(21)).value == 2);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_RESURRECTED, TD(14), TD(21)).value == 1);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_DORMANT, TD(14), TD(21)).value == 2);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_NEW, TD(14), TD(21)).defined == 1);
    /* P itself against [0, 7): new b; returning: a (TD(2)), g (TD(3): its
     * churn TD(5) and page view TD(12)), h (TD(0))... all of a, g, h were
     * active in [0, 7) and in P; c was active only at TD(1): dormant. */
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_NEW, TD(7), TD(14)).value == 1);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_RETURNING, TD(7), TD(14)).value == 3);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_RESURRECTED, TD(7), TD(14)).value == 0);
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_DORMANT, TD(7), TD(14)).value == 1);
    /* An empty period: everything 0 (the previous period is empty too). */
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_DORMANT, TD(14), TD(14)).value == 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- brute force on generated streams --------------------------------------------- */

#define BF_CUST 160
#define BF_DAYS 130

typedef struct bf {
    int acq_day[BF_CUST + 1]; /* -1 when never acquired */
    unsigned char ev[BF_CUST + 1][BF_DAYS + 1];
} bf;

static int is_start(const rtn_event *e)
{
    return e->type == RTN_EV_ACQUIRE || e->type == RTN_EV_PURCHASE || e->type == RTN_EV_ACTIVITY ||
           (e->type == RTN_EV_SUBSCRIPTION && e->value > 0);
}

static void bf_build(bf *b, const tu_stream *s)
{
    size_t i;
    int c;
    memset(b, 0, sizeof *b);
    for (c = 0; c <= BF_CUST; c++)
        b->acq_day[c] = -1;
    for (i = 0; i < s->n; i++) {
        const rtn_event *e = &s->ev[i];
        int d = (int)((e->time - T0) / T_DAY);
        ck_assert(e->customer <= BF_CUST && d >= 0 && d <= BF_DAYS);
        b->ev[e->customer][d] = 1;
        if (is_start(e) && (b->acq_day[e->customer] < 0 || d < b->acq_day[e->customer]))
            b->acq_day[e->customer] = d;
    }
}

/* Active in days [f, t) of the stream: an event at or after acquisition. */
static int bf_active(const bf *b, int c, int f, int t)
{
    int d;
    if (b->acq_day[c] < 0)
        return 0;
    if (f < b->acq_day[c])
        f = b->acq_day[c];
    for (d = f < 0 ? 0 : f; d < t && d <= BF_DAYS; d++)
        if (b->ev[c][d])
            return 1;
    return 0;
}

START_TEST(lifecycle_brute_force)
{
    tu_stream s;
    bf *b = malloc(sizeof *b);
    rtn_ctx *ctx = tu_ctx(NULL);
    uint64_t seed = 9001 + (uint64_t)_i;
    int f, len;
    ck_assert_ptr_nonnull(b);
    tu_stream_gen(&s, seed, 2500, BF_CUST, 110);
    tu_push_all(ctx, s.ev, s.n);
    bf_build(b, &s);
    for (f = 0; f < 120; f += 9)
        for (len = 1; len < 40; len += 6) {
            int c, t = f + len, p = f - len < 0 ? 0 : f - len;
            int64_t nw = 0, ret = 0, res = 0, dor = 0, actA = 0, actP = 0;
            double v[4];
            for (c = 1; c <= BF_CUST; c++) {
                int a = bf_active(b, c, f, t), pr = bf_active(b, c, p, f);
                int isnew = b->acq_day[c] >= f && b->acq_day[c] < t;
                nw += isnew;
                ret += a && pr;
                res += a && !pr && !isnew;
                dor += pr && !a;
                actA += a;
                actP += pr;
            }
            v[0] = tu_query(ctx, RTN_METRIC_LIFECYCLE_NEW, TD(f), TD(t)).value;
            v[1] = tu_query(ctx, RTN_METRIC_LIFECYCLE_RETURNING, TD(f), TD(t)).value;
            v[2] = tu_query(ctx, RTN_METRIC_LIFECYCLE_RESURRECTED, TD(f), TD(t)).value;
            v[3] = tu_query(ctx, RTN_METRIC_LIFECYCLE_DORMANT, TD(f), TD(t)).value;
            ck_assert_msg(v[0] == nw && v[1] == ret && v[2] == res && v[3] == dor,
                          "seed %llu [%d,%d): got %g %g %g %g, want %lld %lld %lld %lld",
                          (unsigned long long)seed, f, t, v[0], v[1], v[2], v[3], (long long)nw,
                          (long long)ret, (long long)res, (long long)dor);
            /* The identities linking them to the active counts. */
            ck_assert(v[0] + v[1] + v[2] == (double)actA);
            ck_assert(v[1] + v[3] == (double)actP);
        }
    rtn_ctx_free(ctx);
    tu_stream_free(&s);
    free(b);
}
END_TEST

static uint32_t bf_period(int every, int day)
{
    int64_t ed = (T0 / T_DAY) + day;
    if (every == RTN_EVERY_WEEK)
        return (uint32_t)((ed + 3) / 7);
    {
        time_t tt = (time_t)(ed * 86400);
        struct tm *tm = gmtime(&tt);
        return (uint32_t)((tm->tm_year + 1900 - 1970) * 12 + tm->tm_mon);
    }
}

/* Every cohort matrix, checked cell by cell against a brute force over the
 * customers, and the identity that column 0 of an N-period row is 100 %. */
START_TEST(matrix_brute_force)
{
    tu_stream s;
    bf *b = malloc(sizeof *b);
    rtn_ctx *ctx = tu_ctx(NULL);
    uint64_t seed = 4711 + (uint64_t)_i;
    int every, mode, rec;
    enum { R = 24, K = 10 };
    ck_assert_ptr_nonnull(b);
    tu_stream_gen(&s, seed, 3000, BF_CUST, 120);
    tu_push_all(ctx, s.ev, s.n);
    bf_build(b, &s);
    for (every = RTN_EVERY_WEEK; every <= RTN_EVERY_MONTH; every++)
        for (mode = 0; mode <= 1; mode++)
            for (rec = 0; rec <= 1; rec++) {
                rtn_cohort_opts o = opts(every, mode, rec, T0, TD(120), TD(70), K);
                rtn_cohort_cell cells[R * K];
                int64_t sizes[R], want_size[R] = {0}, want[R * K];
                size_t n, r, k;
                uint32_t p0 = bf_period(every, 0);
                int c, d;
                memset(want, 0, sizeof want);
                ck_assert_int_eq(rtn_cohort_retention(cells, NULL, sizes, R, &n, ctx, &o), RTN_OK);
                ck_assert_uint_eq(n, bf_period(every, 119) - p0 + 1);
                for (c = 1; c <= BF_CUST; c++) {
                    unsigned char act[64] = {0};
                    uint32_t cp, last = 0;
                    if (b->acq_day[c] < 0)
                        continue;
                    cp = bf_period(every, b->acq_day[c]) - p0;
                    for (d = b->acq_day[c]; d <= BF_DAYS; d++)
                        if (b->ev[c][d]) {
                            act[bf_period(every, d) - p0] = 1;
                            last = bf_period(every, d) - p0;
                        }
                    for (r = 0; r < n; r++) {
                        if (rec ? !act[r] : r != cp)
                            continue;
                        want_size[r]++;
                        for (k = 0; k < K && r + k < 64; k++)
                            want[r * K + k] += mode ? (last >= r + k) : act[r + k];
                    }
                }
                for (r = 0; r < n; r++) {
                    ck_assert_int_eq(sizes[r], want_size[r]);
                    for (k = 0; k < K; k++)
                        ck_assert_msg(cells[r * K + k].active == want[r * K + k],
                                      "seed %llu every %d mode %d rec %d row %zu k %zu: %lld want %lld",
                                      (unsigned long long)seed, every, mode, rec, r, k,
                                      (long long)cells[r * K + k].active, (long long)want[r * K + k]);
                    if (sizes[r] > 0) {
                        ck_assert(cells[r * K].share == 100.0);
                    } else {
                        ck_assert(isnan(cells[r * K].share));
                    }
                }
            }
    rtn_ctx_free(ctx);
    tu_stream_free(&s);
    free(b);
}
END_TEST

/* Same events in another order (and split in two pushes of each customer's
 * history): identical matrices, curves and lifecycle counts. */
START_TEST(order_independence)
{
    rtn_config cfg;
    tu_stream s;
    rtn_ctx *a, *b;
    char why[512];
    uint64_t seed = 77 + (uint64_t)_i * 1000;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = _i % 2 ? 12 : 0;
    cfg.resolution = _i >= 2 ? RTN_RESOLUTION_HOUR : RTN_RESOLUTION_DAY;
    cfg.day_offset_minutes = _i >= 2 ? -420 : 0;
    a = tu_ctx(&cfg);
    b = tu_ctx(&cfg);
    tu_stream_gen(&s, seed, 4000, 200, 200);
    tu_push_all(a, s.ev, s.n);
    tu_shuffle(s.ev, s.n, seed * 31 + 7);
    tu_push_all(b, s.ev, s.n);
    ck_assert_msg(tu_compare_all(a, b, 200, why, sizeof why) == 0, "seed %llu: %s",
                  (unsigned long long)seed, why);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}
END_TEST

/* ---- failing allocations ------------------------------------------------------------- */


/* Fail the k-th allocation of a push for every k: the push reports
 * RTN_ENOMEM and the results are those of the context before it. */
START_TEST(enomem_leaves_state)
{
    tu_stream s;
    tu_failing fl = {-1, 1};
    rtn_config cfg;
    rtn_ctx *ctx, *ref;
    size_t i;
    char why[512];
    rtn_config_init(&cfg, sizeof cfg);
    tu_failing_hooks(&cfg.allocator, &fl);
    ctx = tu_ctx(&cfg);
    ref = tu_ctx(NULL);
    tu_stream_gen(&s, 31337, 300, 40, 60);
    for (i = 0; i < s.n; i++) {
        long k;
        int rc = RTN_ENOMEM;
        for (k = 0; rc == RTN_ENOMEM; k++) {
            fl.left = k;
            rc = rtn_push(ctx, &s.ev[i]);
            fl.left = -1;
            if (rc == RTN_ENOMEM && i % 37 == 0)
                ck_assert_msg(tu_compare_all(ctx, ref, 60, why, sizeof why) == 0,
                              "event %zu, allocation %ld: %s", i, k, why);
        }
        ck_assert_int_eq(rc, RTN_OK);
        tu_push_ev(ref, &s.ev[i]);
    }
    ck_assert_msg(tu_compare_all(ctx, ref, 60, why, sizeof why) == 0, "%s", why);
    /* A survival query that cannot get its temporary space fails cleanly. */
    {
        size_t n;
        fl.left = 0;
        ck_assert_int_eq(rtn_survival(NULL, 0, &n, NULL, ctx, TD(70)), RTN_ENOMEM);
        fl.left = -1;
    }
    rtn_ctx_free(ctx);
    rtn_ctx_free(ref);
    tu_stream_free(&s);
}
END_TEST

/* An empty context answers empty results and stays small. */
START_TEST(empty_context)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_cohort_opts o = opts(RTN_EVERY_MONTH, RTN_COHORT_UNBOUNDED, 0, T0, TD(59), TD(60), 3);
    rtn_cohort_cell cells[2 * 3];
    int64_t sizes[2];
    size_t n;
    double median = 0;
    rtn_stats st;
    ck_assert_int_eq(rtn_cohort_retention(cells, NULL, sizes, 2, &n, ctx, &o), RTN_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(sizes[0] == 0 && cells[0].active == 0 && isnan(cells[0].share));
    ck_assert_int_eq(rtn_survival(NULL, 0, &n, &median, ctx, TD(60)), RTN_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert(isnan(median));
    ck_assert(tu_query(ctx, RTN_METRIC_LIFECYCLE_RETURNING, TD(7), TD(14)).value == 0);
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, ctx);
    ck_assert_uint_lt(st.memory_bytes, 4096);
    rtn_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cohort");
    TCase *tc = tcase_create("cohort");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, weekly_n_period);
    tcase_add_test(tc, weekly_unbounded);
    tcase_add_test(tc, weekly_recurring);
    tcase_add_test(tc, monthly);
    tcase_add_test(tc, local_day_weeks);
    tcase_add_test(tc, long_history);
    tcase_add_test(tc, size_protocol);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, km_textbook);
    tcase_add_test(tc, km_median_and_zero);
    tcase_add_test(tc, km_hours);
    tcase_add_test(tc, km_inactivity);
    tcase_add_test(tc, lifecycle_hand);
    tcase_add_loop_test(tc, lifecycle_brute_force, 0, 3);
    tcase_add_loop_test(tc, matrix_brute_force, 0, 3);
    tcase_add_loop_test(tc, order_independence, 0, 4);
    tcase_add_test(tc, enomem_leaves_state);
    tcase_add_test(tc, empty_context);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
