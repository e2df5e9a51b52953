/*
 * test_journey.c: surveys, page views and shares, the funnel, carts,
 * service contacts, time to value, interaction change, health scores and
 * benchmarks: hand-computed cases, bad input, allocation failures and
 * order independence on generated streams.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9
#define Z 1.959963984540054

static void push_str_ref(rtn_ctx *ctx, int type, int64_t t, uint64_t c, const char *ref)
{
    rtn_event e = tu_ev(type, t, c, 0);
    e.ref_str = ref;
    e.ref_len = (uint32_t)strlen(ref);
    tu_push_ev(ctx, &e);
}

static rtn_customer cust(uint64_t id)
{
    rtn_customer c;
    rtn_customer_init(&c, sizeof c);
    c.id = id;
    return c;
}

static void wilson(double k, double n, double *lo, double *hi)
{
    double p = k / n, z2 = Z * Z, den = 1 + z2 / n;
    double c = (p + z2 / (2 * n)) / den, h = Z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den;
    *lo = (c - h) * 100;
    *hi = (c + h) * 100;
}

/* ---- surveys ------------------------------------------------------------------- */

START_TEST(nps_hand_computed)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    int scores[] = {10, 9, 9, 8, 7, 6, 3, 10, 10, 5}, i;
    rtn_value v;
    double half;
    for (i = 0; i < 10; i++)
        tu_push(ctx, RTN_EV_NPS, TD(i) + T_HOUR, (uint64_t)i + 1, scores[i]);
    tu_push(ctx, RTN_EV_NPS, TD(20), 1, 0); /* outside [day 0, day 10) */
    /* promoters 10 9 9 10 10 = 5, passives 8 7, detractors 6 3 5 = 3:
     * NPS = 50 - 30 = 20; p = .5, q = .3, var = (.8 - .04) / 10 = .076. */
    v = tu_query(ctx, RTN_METRIC_NPS, TD(0), TD(10));
    half = Z * sqrt(0.076) * 100;
    ck_assert_int_eq(v.defined, 1);
    ck_assert_int_eq(v.n, 10);
    ck_assert_double_eq_tol(v.value, 20.0, EPS);
    ck_assert_double_eq_tol(v.lo, 20.0 - half, 1e-9);
    ck_assert_double_eq_tol(v.hi, 20.0 + half, 1e-9);
    ck_assert_double_eq_tol(half, 54.0325, 1e-3); /* 1.96 * .27568 * 100 */
    /* Day 20 alone: one detractor: -100, interval clamped to -100..-100. */
    v = tu_query(ctx, RTN_METRIC_NPS, TD(20), TD(21));
    ck_assert_double_eq_tol(v.value, -100.0, EPS);
    ck_assert_double_eq_tol(v.lo, -100.0, EPS);
    ck_assert_double_eq_tol(v.hi, -100.0, EPS);
    /* No answers: undefined, never 0. */
    v = tu_query(ctx, RTN_METRIC_NPS, TD(11), TD(19));
    ck_assert_int_eq(v.defined, 0);
    ck_assert(isnan(v.value));
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(csat_and_ces_hand_computed)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    int cs[] = {5, 4, 3, 1, 4}, ce[] = {2, 3, 7}, i;
    rtn_value v;
    double lo, hi;
    for (i = 0; i < 5; i++)
        tu_push(ctx, RTN_EV_CSAT, TD(i), 1, cs[i]);
    for (i = 0; i < 3; i++)
        tu_push(ctx, RTN_EV_CES, TD(i), 2, ce[i]);
    /* CSAT: 4 or 5 are satisfied: 3 of 5 = 60 %, Wilson interval. */
    v = tu_query(ctx, RTN_METRIC_CSAT, TD(0), TD(5));
    wilson(3, 5, &lo, &hi);
    ck_assert_double_eq_tol(v.value, 60.0, EPS);
    ck_assert_double_eq_tol(v.lo, lo, 1e-9);
    ck_assert_double_eq_tol(v.hi, hi, 1e-9);
    ck_assert_double_eq_tol(v.lo, 23.0724, 1e-3);
    /* Mean 17 / 5 = 3.4; sample variance (67 - 17^2 / 5) / 4 = 2.3. */
    v = tu_query(ctx, RTN_METRIC_CSAT_MEAN, TD(0), TD(5));
    ck_assert_double_eq_tol(v.value, 3.4, EPS);
    ck_assert_int_eq(v.n, 5);
    ck_assert_double_eq_tol(v.hi - v.value, Z * sqrt(2.3 / 5), 1e-9);
    /* CES: (2 + 3 + 7) / 3 = 4; variance (62 - 144 / 3) / 2 = 7. */
    v = tu_query(ctx, RTN_METRIC_CES, TD(0), TD(5));
    ck_assert_double_eq_tol(v.value, 4.0, EPS);
    ck_assert_double_eq_tol(v.value - v.lo, Z * sqrt(7.0 / 3), 1e-9);
    /* One answer: a mean without an interval. */
    v = tu_query(ctx, RTN_METRIC_CES, TD(2), TD(3));
    ck_assert_double_eq_tol(v.value, 7.0, EPS);
    ck_assert(isnan(v.lo) && isnan(v.hi));
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(csat_configurable_scale)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_event e;
    rtn_value v;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.csat_min = 0;
    cfg.csat_max = 10;
    cfg.csat_satisfied = 8;
    cfg.ces_min = 1;
    cfg.ces_max = 5;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_CSAT, TD(0), 1, 8);
    tu_push(ctx, RTN_EV_CSAT, TD(0), 2, 7);
    tu_push(ctx, RTN_EV_CSAT, TD(0), 3, 10);
    tu_push(ctx, RTN_EV_CSAT, TD(0), 4, 0);
    /* 8 and 10 are satisfied: 2 / 4 = 50 %; mean 25 / 4. */
    v = tu_query(ctx, RTN_METRIC_CSAT, TD(0), TD(1));
    ck_assert_double_eq_tol(v.value, 50.0, EPS);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_CSAT_MEAN, TD(0), TD(1)).value, 6.25, EPS);
    e = tu_ev(RTN_EV_CSAT, TD(0), 5, 11);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_ESCORE);
    e = tu_ev(RTN_EV_CES, TD(0), 5, 6);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_ESCORE);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_CSAT, TD(0), TD(1)).value, 50.0, EPS);
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_CES, TD(0), TD(1)).defined, 0);
    rtn_ctx_free(ctx);
    /* A satisfied threshold off the scale is a configuration error. */
    rtn_config_init(&cfg, sizeof cfg);
    cfg.csat_satisfied = 6;
    ck_assert_int_eq(rtn_ctx_new(&ctx, &cfg), RTN_ECONFIG);
}
END_TEST

START_TEST(scores_off_scale_change_nothing)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    struct {
        int type;
        double v;
    } bad[] = {{RTN_EV_NPS, 11},  {RTN_EV_NPS, -1},       {RTN_EV_NPS, 7.5},
               {RTN_EV_NPS, NAN}, {RTN_EV_NPS, INFINITY}, {RTN_EV_CSAT, 0},
               {RTN_EV_CSAT, 6},  {RTN_EV_CSAT, 4.01},    {RTN_EV_CES, 0},
               {RTN_EV_CES, 8},   {RTN_EV_CES, -INFINITY}};
    size_t i;
    rtn_stats st;
    tu_push(ctx, RTN_EV_NPS, TD(0), 1, 9);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rtn_event e = tu_ev(bad[i].type, TD(0), 77, bad[i].v);
        ck_assert_int_eq(rtn_push(ctx, &e), RTN_ESCORE);
        ck_assert(strlen(rtn_ctx_last_error(ctx)) > 0);
    }
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, ctx);
    ck_assert_int_eq((int)st.events, 1);
    ck_assert_int_eq((int)st.customers, 1);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_NPS, TD(0), TD(1)).value, 100.0, EPS);
    ck_assert_int_eq((int)tu_query(ctx, RTN_METRIC_NPS, TD(0), TD(1)).n, 1);
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_CSAT, TD(0), TD(1)).defined, 0);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(nps_category_latest_by_time)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_customer c;
    int cat = -1;
    /* Customer 1: 5 on day 3 pushed before 9 on day 1: latest is 5. */
    tu_push(ctx, RTN_EV_NPS, TD(3), 1, 5);
    tu_push(ctx, RTN_EV_NPS, TD(1), 1, 9);
    c = cust(1);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, ctx, &c), RTN_OK);
    ck_assert_int_eq(cat, RTN_NPS_DETRACTOR);
    /* Customer 2: 10 and 8 at the same instant: the lower wins, either order. */
    tu_push(ctx, RTN_EV_NPS, TD(2), 2, 10);
    tu_push(ctx, RTN_EV_NPS, TD(2), 2, 8);
    tu_push(ctx, RTN_EV_CSAT, TD(4), 2, 1); /* CSAT does not touch the NPS category */
    c = cust(2);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, ctx, &c), RTN_OK);
    ck_assert_int_eq(cat, RTN_NPS_PASSIVE);
    tu_push(ctx, RTN_EV_NPS, TD(5), 2, 9);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, ctx, &c), RTN_OK);
    ck_assert_int_eq(cat, RTN_NPS_PROMOTER);
    /* Customer 3 has no answer; customer 4 is unknown. */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(0), 3, 0);
    c = cust(3);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, ctx, &c), RTN_OK);
    ck_assert_int_eq(cat, RTN_NPS_NONE);
    c = cust(4);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, ctx, &c), RTN_ENOTFOUND);
    ck_assert_int_eq(rtn_customer_nps_category(NULL, ctx, &c), RTN_EINVAL);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, ctx, NULL), RTN_EINVAL);
    ck_assert_int_eq(rtn_customer_nps_category(&cat, NULL, &c), RTN_EINVAL);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- counts and funnel ---------------------------------------------------------- */

START_TEST(page_views_shares_conversion)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    double lo, hi;
    int i;
    for (i = 0; i < 5; i++)
        tu_push(ctx, RTN_EV_PAGE_VIEW, TD(i), 1, 0);
    tu_push(ctx, RTN_EV_SHARE, TD(1), 1, 0);
    tu_push(ctx, RTN_EV_SHARE, TD(7), 2, 0);
    for (i = 0; i < 4; i++)
        tu_push(ctx, RTN_EV_VISIT, TD(i), (uint64_t)i, 0);
    tu_push(ctx, RTN_EV_CONVERSION, TD(2), 2, 0);
    tu_push(ctx, RTN_EV_CONVERSION, TD(9), 2, 0);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_PAGE_VIEWS, TD(0), TD(3)).value, 3.0, EPS);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_PAGE_VIEWS, TD(0), TD(30)).value, 5.0, EPS);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_SHARES, TD(0), TD(7)).value, 1.0, EPS);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_SHARES, TD(0), TD(8)).value, 2.0, EPS);
    /* [day 0, day 4): 1 conversion / 4 visits = 25 %. */
    v = tu_query(ctx, RTN_METRIC_CONVERSION_RATE, TD(0), TD(4));
    wilson(1, 4, &lo, &hi);
    ck_assert_double_eq_tol(v.value, 25.0, EPS);
    ck_assert_double_eq_tol(v.lo, lo, 1e-9);
    /* [day 5, day 10): a conversion without visits: undefined. */
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_CONVERSION_RATE, TD(5), TD(10)).defined, 0);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(cart_abandonment_hand_computed)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    /* Customer 1: cart 1 created day 1, checked out day 3; cart 2 created
     * day 2, never checked out; cart 3 created day 2, checked out day 12. */
    tu_push_ref(ctx, RTN_EV_CART_CREATE, TD(1), 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CART_CHECKOUT, TD(3), 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CART_CREATE, TD(2), 1, 0, 2);
    tu_push_ref(ctx, RTN_EV_CART_CHECKOUT, TD(12), 1, 0, 3);
    tu_push_ref(ctx, RTN_EV_CART_CREATE, TD(2), 1, 0, 3);
    /* Customer 2: its own cart 1, created and checked out on day 5; a
     * checkout of cart 9 without a create (not a cart created in any
     * period); cart "abc" created on day 8 and again on day 6 (earliest
     * counts). */
    tu_push_ref(ctx, RTN_EV_CART_CREATE, TD(5), 2, 0, 1);
    tu_push_ref(ctx, RTN_EV_CART_CHECKOUT, TD(5) + T_HOUR, 2, 0, 1);
    tu_push_ref(ctx, RTN_EV_CART_CHECKOUT, TD(4), 2, 0, 9);
    push_str_ref(ctx, RTN_EV_CART_CREATE, TD(8), 2, "abc");
    push_str_ref(ctx, RTN_EV_CART_CREATE, TD(6), 2, "abc");
    /* Customer 3: cart 4 checked out on day 1, "created" on day 2. */
    tu_push_ref(ctx, RTN_EV_CART_CHECKOUT, TD(1), 3, 0, 4);
    tu_push_ref(ctx, RTN_EV_CART_CREATE, TD(2), 3, 0, 4);
    /* [0, 10): created c1/1, c1/2, c1/3, c2/1, c2/abc, c3/4 = 6; not checked
     * out before day 10: c1/2, c1/3 (day 12), c2/abc = 3: 50 %. */
    v = tu_query(ctx, RTN_METRIC_CART_ABANDONMENT_RATE, TD(0), TD(10));
    ck_assert_double_eq_tol(v.numerator, 3.0, EPS);
    ck_assert_double_eq_tol(v.denominator, 6.0, EPS);
    ck_assert_double_eq_tol(v.value, 50.0, EPS);
    /* [0, 13): c1/3 is checked out by then: 2 / 6. */
    v = tu_query(ctx, RTN_METRIC_CART_ABANDONMENT_RATE, TD(0), TD(13));
    ck_assert_double_eq_tol(v.value, 100.0 / 3.0, 1e-9);
    /* [3, 10): c2/1 and c2/abc created; c2/abc abandoned: 50 %. */
    v = tu_query(ctx, RTN_METRIC_CART_ABANDONMENT_RATE, TD(3), TD(10));
    ck_assert_double_eq_tol(v.numerator, 1.0, EPS);
    ck_assert_double_eq_tol(v.denominator, 2.0, EPS);
    /* [2, 3): c1/2, c1/3, c3/4 created; c3/4 was checked out: 2 / 3. */
    v = tu_query(ctx, RTN_METRIC_CART_ABANDONMENT_RATE, TD(2), TD(3));
    ck_assert_double_eq_tol(v.numerator, 2.0, EPS);
    ck_assert_double_eq_tol(v.denominator, 3.0, EPS);
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_CART_ABANDONMENT_RATE, TD(20), TD(30)).defined, 0);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(contacts_hand_computed)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    /* c1/1: 10:00 -> 16:00 day 0 = 6 h; c1/2: day 1 -> day 3 = 48 h;
     * c2/1: day 2 12:00, abandoned 13:00; c2/2: day 2 -> day 4 06:00 = 54 h;
     * c3/7: opened day 5, open still; c3/8: resolved day 6, never opened. */
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(0) + 10 * T_HOUR, 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, TD(0) + 16 * T_HOUR, 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, TD(3), 1, 0, 2);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(1), 1, 0, 2);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(2) + 12 * T_HOUR, 2, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_ABANDON, TD(2) + 13 * T_HOUR, 2, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(2), 2, 0, 2);
    tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, TD(4) + 6 * T_HOUR, 2, 0, 2);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(5), 3, 0, 7);
    tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, TD(6), 3, 0, 8);
    /* Opened in [0, 7): 5; abandoned before day 7: c2/1: 20 %. */
    v = tu_query(ctx, RTN_METRIC_CALL_ABANDONMENT_RATE, TD(0), TD(7));
    ck_assert_double_eq_tol(v.numerator, 1.0, EPS);
    ck_assert_double_eq_tol(v.denominator, 5.0, EPS);
    ck_assert_double_eq_tol(v.value, 20.0, EPS);
    /* [2, 3): c2/1 opened and abandoned, c2/2 opened: 50 %. */
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_CALL_ABANDONMENT_RATE, TD(2), TD(3)).value,
                            50.0, EPS);
    /* Resolved in [0, 7) with an open: 6, 48, 54 h: mean 36; nearest-rank
     * median (2nd of 3) 48; p90 (3rd) 54; histogram within 1 %. */
    v = tu_query(ctx, RTN_METRIC_TIME_TO_RESOLUTION, TD(0), TD(7));
    ck_assert_int_eq((int)v.n, 3);
    ck_assert_double_eq_tol(v.value, 36.0, EPS);
    ck_assert(fabs(v.p50 - 48.0) <= 0.01 * 48.0);
    ck_assert(fabs(v.p90 - 54.0) <= 0.01 * 54.0);
    /* [0, 1): only c1/1: 6 h. */
    v = tu_query(ctx, RTN_METRIC_TIME_TO_RESOLUTION, TD(0), TD(1));
    ck_assert_double_eq_tol(v.value, 6.0, EPS);
    ck_assert(fabs(v.p50 - 6.0) <= 0.06 && fabs(v.p90 - 6.0) <= 0.06);
    /* An earlier open of c1/1 (08:00) lengthens it to 8 h; a later one
     * changes nothing. */
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(0) + 8 * T_HOUR, 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(0) + 9 * T_HOUR, 1, 0, 1);
    v = tu_query(ctx, RTN_METRIC_TIME_TO_RESOLUTION, TD(0), TD(7));
    ck_assert_double_eq_tol(v.value, (8.0 + 48 + 54) / 3, EPS);
    ck_assert_double_eq_tol(
        tu_query(ctx, RTN_METRIC_CALL_ABANDONMENT_RATE, TD(0), TD(7)).denominator, 5.0, EPS);
    /* c4/1 "resolved" on day 1 but opened on day 2 (clock skew): opened in
     * the period, left out of time to resolution. */
    tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, TD(1), 4, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(2), 4, 0, 1);
    v = tu_query(ctx, RTN_METRIC_TIME_TO_RESOLUTION, TD(0), TD(7));
    ck_assert_int_eq((int)v.n, 3);
    ck_assert_double_eq_tol(v.value, (8.0 + 48 + 54) / 3, EPS);
    ck_assert_double_eq_tol(
        tu_query(ctx, RTN_METRIC_CALL_ABANDONMENT_RATE, TD(0), TD(7)).denominator, 6.0, EPS);
    /* No resolutions: undefined mean and percentiles. */
    v = tu_query(ctx, RTN_METRIC_TIME_TO_RESOLUTION, TD(10), TD(20));
    ck_assert_int_eq(v.defined, 0);
    ck_assert(isnan(v.p50) && isnan(v.p90));
    rtn_ctx_free(ctx);
}
END_TEST

/* Exact nearest-rank percentile of a sorted array. */
static double nearest_rank(const int64_t *x, size_t n, double q)
{
    size_t k = (size_t)ceil(q * (double)n);
    return (double)x[(k ? k : 1) - 1];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(resolution_percentiles_within_one_percent)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_rng r = {9001 + (uint64_t)_i};
    enum { N = 700 };
    int64_t d[N], res[N], sorted[N];
    int days = 10, k;
    size_t i, n;
    for (i = 0; i < N; i++) {
        int64_t open = TD(tu_below(&r, (uint32_t)days)) + tu_below(&r, 86400000);
        /* Durations from milliseconds to months, log-spread. */
        d[i] = (int64_t)pow(10.0, (double)tu_below(&r, 10000) / 1000.0) + (int64_t)tu_below(&r, 3);
        res[i] = open + d[i];
        tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, open, i % 50 + 1, 0, i + 1);
        tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, res[i], i % 50 + 1, 0, i + 1);
    }
    /* Periods of whole days: a contact counts when its resolve instant is
     * in the period. Exact mean; percentiles within 1 % of the exact
     * nearest-rank values. */
    for (k = 0; k < 9; k++) {
        int64_t from = k == 8 ? T0 : TD(k * 2), to = k == 8 ? TD(400) : TD(k * 2 + 1 + k * 3);
        rtn_value v = tu_query(ctx, RTN_METRIC_TIME_TO_RESOLUTION, from, to);
        double sum = 0, p50, p90;
        for (i = 0, n = 0; i < N; i++)
            if (res[i] >= from && res[i] < to) {
                sorted[n++] = d[i];
                sum += (double)d[i];
            }
        ck_assert_int_eq((int)v.n, (int)n);
        if (n == 0) {
            ck_assert_int_eq(v.defined, 0);
            continue;
        }
        qsort(sorted, n, sizeof sorted[0], cmp_i64);
        ck_assert_double_eq_tol(v.value, sum / (double)n / T_HOUR, 1e-9);
        p50 = nearest_rank(sorted, n, 0.5) / T_HOUR;
        p90 = nearest_rank(sorted, n, 0.9) / T_HOUR;
        ck_assert_msg(fabs(v.p50 - p50) <= 0.01 * p50, "p50 %g vs exact %g", v.p50, p50);
        ck_assert_msg(fabs(v.p90 - p90) <= 0.01 * p90, "p90 %g vs exact %g", v.p90, p90);
        if (k == 8)
            ck_assert_int_eq((int)n, N);
    }
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- time to value ---------------------------------------------------------------- */

START_TEST(time_to_value_default)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    /* c1: acquired day 0, second purchase day 5: 5 days.
     * c2: acquired day 1, first feature use day 3: 2 days.
     * c3: acquired day 2, one purchase: no value yet.
     * c4: acquired day 20 (first purchase), second purchase day 30.
     * c5: acquired day 4, feature use day 15 (after `to` = day 10). */
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(5), 1, 10);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0) + T_HOUR, 1, 10);
    tu_push_ref(ctx, RTN_EV_FEATURE, TD(3), 2, 0, 1);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(1), 2, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(2), 3, 10);
    tu_push(ctx, RTN_EV_PURCHASE, TD(30), 4, 10);
    tu_push(ctx, RTN_EV_PURCHASE, TD(20), 4, 10);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(4), 5, 0);
    tu_push_ref(ctx, RTN_EV_FEATURE, TD(15), 5, 0, 2);
    /* [0, 10): {5, 2}: mean 3.5, median (1st of 2) 2. */
    v = tu_query(ctx, RTN_METRIC_TIME_TO_VALUE, TD(0), TD(10));
    ck_assert_int_eq((int)v.n, 2);
    ck_assert_double_eq_tol(v.value, 3.5, EPS);
    ck_assert_double_eq_tol(v.p50, 2.0, EPS);
    ck_assert(isnan(v.p90));
    /* [0, 20): {5, 2, 11}: mean 6, median 5. */
    v = tu_query(ctx, RTN_METRIC_TIME_TO_VALUE, TD(0), TD(20));
    ck_assert_int_eq((int)v.n, 3);
    ck_assert_double_eq_tol(v.value, 6.0, EPS);
    ck_assert_double_eq_tol(v.p50, 5.0, EPS);
    /* [20, 40): c4: 10 days. */
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_TIME_TO_VALUE, TD(20), TD(40)).value, 10.0,
                            EPS);
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_TIME_TO_VALUE, TD(5), TD(15)).defined, 0);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(time_to_value_configured_event)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_value v;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.value_event = RTN_EV_SHARE;
    cfg.resolution = RTN_RESOLUTION_HOUR;
    ctx = tu_ctx(&cfg);
    /* c1: acquired day 0 00:00, feature use (ignored), share day 1 12:00:
     * 36 hours = 1.5 days. c2: two purchases, no share: no value. c3: a
     * share before its acquisition does not count; the next one does. */
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push_ref(ctx, RTN_EV_FEATURE, TD(0) + T_HOUR, 1, 0, 1);
    tu_push(ctx, RTN_EV_SHARE, TD(1) + 12 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 2, 1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(1), 2, 1);
    tu_push(ctx, RTN_EV_SHARE, TD(0), 3, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(0) + 2 * T_HOUR, 3, 0);
    tu_push(ctx, RTN_EV_SHARE, TD(0) + 8 * T_HOUR, 3, 0);
    v = tu_query(ctx, RTN_METRIC_TIME_TO_VALUE, TD(0), TD(5));
    /* {1.5 days, 6 hours = 0.25 days}: mean 0.875, median 0.25. */
    ck_assert_int_eq((int)v.n, 2);
    ck_assert_double_eq_tol(v.value, 0.875, EPS);
    ck_assert_double_eq_tol(v.p50, 0.25, EPS);
    /* The value event is still counted as a share, once each: 3 in all,
     * 2 on day 0. */
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_SHARES, TD(0), TD(5)).value, 3.0, EPS);
    ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_SHARES, TD(0), TD(1)).value, 2.0, EPS);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- interaction change ------------------------------------------------------------ */

START_TEST(interaction_change_hand_computed)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    int c;
    /* [0, 10): customers 1..4 active, 2 contacts opened: 0.5 per customer.
     * [10, 20): customers 1 and 2 active, 3 contacts: 1.5 per customer.
     * Change: 1.5 / 0.5 - 1 = +200 %. */
    for (c = 1; c <= 4; c++)
        tu_push(ctx, RTN_EV_ACTIVITY, TD(c), (uint64_t)c, 0);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(2), 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(3), 2, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(11), 1, 0, 2);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(12), 1, 0, 3);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(15), 2, 0, 2);
    v = tu_query(ctx, RTN_METRIC_INTERACTION_CHANGE, TD(10), TD(20));
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq_tol(v.value, 200.0, 1e-9);
    /* [20, 30) after [10, 20): no contacts and nobody active: undefined. */
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_INTERACTION_CHANGE, TD(20), TD(30)).defined, 0);
    /* [5, 10) after [0, 5): c4 active on day 7 without contacts: 0 per
     * customer vs 2 / 4: -100 %. */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(7), 4, 0);
    v = tu_query(ctx, RTN_METRIC_INTERACTION_CHANGE, TD(5), TD(10));
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq_tol(v.value, -100.0, 1e-9);
    /* The first period of the calendar has no previous one of equal length. */
    ck_assert_int_eq(tu_query(ctx, RTN_METRIC_INTERACTION_CHANGE, 0, TD(0)).defined, 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- health ---------------------------------------------------------------------- */

static void push_strid(rtn_ctx *ctx, int type, int64_t t, const char *id, double value)
{
    rtn_event e = tu_ev(type, t, 0, value);
    e.customer_str = id;
    e.customer_len = (uint32_t)strlen(id);
    tu_push_ev(ctx, &e);
}

static rtn_ctx *health_fixture_cfg(const rtn_config *cfg)
{
    rtn_ctx *ctx = tu_ctx(cfg);
    /* c1: acquired day 0; 3 purchases of 333 on day 30; NPS 8 on day 20,
     * CSAT 5 on day 25; a contact opened on day 35, not resolved. */
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(30), 1, 333);
    tu_push(ctx, RTN_EV_PURCHASE, TD(30) + T_HOUR, 1, 333);
    tu_push(ctx, RTN_EV_PURCHASE, TD(30) + 2 * T_HOUR, 1, 333);
    tu_push(ctx, RTN_EV_NPS, TD(20), 1, 8);
    tu_push(ctx, RTN_EV_CSAT, TD(25), 1, 5);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(35), 1, 0, 1);
    /* c2 and "zed": activity on day 39 only. */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(39), 2, 0);
    push_strid(ctx, RTN_EV_ACTIVITY, TD(39), "zed", 0);
    /* c3: acquired day 0, churned day 5. */
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 3, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(5), 3, 0);
    /* c5: activity and NPS 0 on day 39. */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(39), 5, 0);
    tu_push(ctx, RTN_EV_NPS, TD(39), 5, 0);
    return ctx;
}

static rtn_ctx *health_fixture(void)
{
    return health_fixture_cfg(NULL);
}

START_TEST(health_hand_computed)
{
    rtn_ctx *ctx = health_fixture();
    rtn_customer c = cust(1);
    rtn_health_entry e[10];
    size_t n = 99;
    double h = -1;
    rtn_value v;
    /* c1 at day 40 (weights .3 .2 .2 .2 .1): recency 1 - (40-1-30)/90 = .9;
     * frequency 3/12 = .25; monetary log10(1 + 999) / 4 = .75; satisfaction:
     * latest answer CSAT 5 -> (5-1)/4 = 1; an open contact -> 0.
     * 100 (.27 + .05 + .15 + .2 + 0) = 67. */
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
    ck_assert_double_eq_tol(h, 67.0, 1e-9);
    /* c1 at day 26: recency 1 - 25/90; no purchases yet; CSAT 5 on day 25
     * is before; no contact yet: 100 (.3 (65/90) + .2 + .1). */
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(26)), RTN_OK);
    ck_assert_double_eq_tol(h, 100 * (0.3 * 65.0 / 90 + 0.2 + 0.1), 1e-9);
    /* c1 at day 21: the NPS 8 of day 20 is the latest: satisfaction .8. */
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(21)), RTN_OK);
    ck_assert_double_eq_tol(h, 100 * (0.3 * 70.0 / 90 + 0.2 * 0.8 + 0.1), 1e-9);
    /* c2: recency 1, no purchases, no answer (0.5), no contact: 50. */
    c = cust(2);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
    ck_assert_double_eq_tol(h, 50.0, 1e-9);
    /* c3 (lost): recency 1 - 39/90: 100 (.3 * 51/90 + .1 + .1) = 37. */
    c = cust(3);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
    ck_assert_double_eq_tol(h, 37.0, 1e-9);
    /* c5: NPS 0 -> satisfaction 0: 40. */
    c = cust(5);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
    ck_assert_double_eq_tol(h, 40.0, 1e-9);
    /* Mean over customers active at day 40 (c1, c2, zed, c5; c3 is lost):
     * (67 + 50 + 50 + 40) / 4 = 51.75. */
    v = tu_query(ctx, RTN_METRIC_HEALTH_SCORE, TD(0), TD(40));
    ck_assert_int_eq((int)v.n, 4);
    ck_assert_double_eq_tol(v.value, 51.75, 1e-9);
    /* Call list: c5 (40), c2 (50), zed (50, string ids after numeric), c1. */
    ck_assert_int_eq(rtn_health_lowest(e, 3, &n, ctx, TD(40)), RTN_OK);
    ck_assert_int_eq((int)n, 3);
    ck_assert(e[0].id_str == NULL && e[0].id == 5);
    ck_assert(e[1].id_str == NULL && e[1].id == 2);
    ck_assert(e[2].id_str != NULL && e[2].id_len == 3 && memcmp(e[2].id_str, "zed", 3) == 0);
    ck_assert_double_eq_tol(e[2].score, 50.0, 1e-9);
    ck_assert_int_eq(rtn_health_lowest(e, 10, &n, ctx, TD(40)), RTN_OK);
    ck_assert_int_eq((int)n, 4);
    ck_assert(e[3].id == 1 && fabs(e[3].score - 67.0) < 1e-9);
    ck_assert_int_eq(rtn_health_lowest(NULL, 0, &n, ctx, TD(40)), RTN_OK);
    ck_assert_int_eq((int)n, 0);
    /* Bad input. */
    c = cust(42);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_ENOTFOUND);
    ck_assert_int_eq(rtn_health_score(NULL, ctx, &c, TD(40)), RTN_EINVAL);
    ck_assert_int_eq(rtn_health_score(&h, ctx, NULL, TD(40)), RTN_EINVAL);
    c = cust(1);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, -1), RTN_ETIME);
    ck_assert_int_eq(rtn_health_lowest(NULL, 3, &n, ctx, TD(40)), RTN_EINVAL);
    ck_assert_int_eq(rtn_health_lowest(e, 3, NULL, ctx, TD(40)), RTN_EINVAL);
    ck_assert_int_eq(rtn_health_lowest(e, 3, &n, NULL, TD(40)), RTN_EINVAL);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(health_weights_configurable)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_customer c = cust(1);
    double h;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.health.recency = 0;
    cfg.health.frequency = 0;
    cfg.health.monetary = 0;
    cfg.health.satisfaction = 0;
    cfg.health.contacts = 2.5;
    ctx = tu_ctx(&cfg);
    tu_push_ref(ctx, RTN_EV_CONTACT_OPEN, TD(1), 1, 0, 1);
    tu_push_ref(ctx, RTN_EV_CONTACT_RESOLVE, TD(3), 1, 0, 1);
    /* Open on days 1 and 2; resolved from day 3 on. */
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(1)), RTN_OK);
    ck_assert_double_eq_tol(h, 100.0, EPS);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(2)), RTN_OK);
    ck_assert_double_eq_tol(h, 0.0, EPS);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(4)), RTN_OK);
    ck_assert_double_eq_tol(h, 100.0, EPS);
    rtn_ctx_free(ctx);
    cfg.health.contacts = -1;
    ck_assert_int_eq(rtn_ctx_new(&ctx, &cfg), RTN_ECONFIG);
    cfg.health.contacts = 0;
    ck_assert_int_eq(rtn_ctx_new(&ctx, &cfg), RTN_ECONFIG);
}
END_TEST

/* Weights are any finite non-negative numbers: near the largest double,
 * the weighted sum must not overflow. The default weights times 2^1020
 * give the default scores, bit for bit (a power of two scales exactly),
 * and a contacts weight of 1.8e307 against the others' small ones (a
 * snapshot the fuzzer made) gives the contacts part alone, finite. */
START_TEST(health_weights_near_the_largest_double)
{
    rtn_config cfg;
    rtn_ctx *base = health_fixture(), *ctx;
    rtn_customer c;
    rtn_value v0, v;
    double h0, h, k = ldexp(1.0, 1020);
    uint64_t id;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.health.recency *= k;
    cfg.health.frequency *= k;
    cfg.health.monetary *= k;
    cfg.health.satisfaction *= k;
    cfg.health.contacts *= k;
    ctx = health_fixture_cfg(&cfg);
    for (id = 1; id <= 5; id++) {
        if (id == 4)
            continue;
        c = cust(id);
        ck_assert_int_eq(rtn_health_score(&h0, base, &c, TD(40)), RTN_OK);
        ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
        ck_assert(h == h0);
    }
    v0 = tu_query(base, RTN_METRIC_HEALTH_SCORE, TD(0), TD(40));
    v = tu_query(ctx, RTN_METRIC_HEALTH_SCORE, TD(0), TD(40));
    ck_assert(v.value == v0.value && v.n == v0.n);
    ck_assert_double_eq_tol(v.value, 51.75, 1e-9);
    rtn_ctx_free(ctx);
    /* c1 at day 40 has an open contact (0), c2 none (100): contacts
     * dominate, the rest adds under 1e-300. */
    rtn_config_init(&cfg, sizeof cfg);
    cfg.health.contacts = 1.8e307;
    ctx = health_fixture_cfg(&cfg);
    c = cust(1);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
    ck_assert_double_eq_tol(h, 0.0, 1e-9);
    c = cust(2);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(40)), RTN_OK);
    ck_assert_double_eq_tol(h, 100.0, 1e-9);
    /* Mean over c1, c2, zed, c5: (0 + 100 + 100 + 100) / 4. */
    v = tu_query(ctx, RTN_METRIC_HEALTH_SCORE, TD(0), TD(40));
    ck_assert_int_eq((int)v.n, 4);
    ck_assert_double_eq_tol(v.value, 75.0, 1e-9);
    rtn_ctx_free(ctx);
    rtn_ctx_free(base);
}
END_TEST

START_TEST(health_monetary_estimate)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_customer c = cust(1);
    double h;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.health.recency = 0;
    cfg.health.frequency = 0;
    cfg.health.monetary = 1;
    cfg.health.satisfaction = 0;
    cfg.health.contacts = 0;
    ctx = tu_ctx(&cfg);
    /* Purchases of 1000 on day 0 and 10 on day 380. At day 400 only the
     * second is in the trailing 365 days: spend = 1 purchase * average
     * order value 1010 / 2 = 505: M = log10(506) / 4. At day 300 only the
     * first has happened; it is valued at the same average: 505. At day
     * 1000 none is in the window: 0. */
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 1, 1000);
    tu_push(ctx, RTN_EV_PURCHASE, TD(380), 1, 10);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(400)), RTN_OK);
    ck_assert_double_eq_tol(h, 100 * log10(506.0) / 4, 1e-9);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(300)), RTN_OK);
    ck_assert_double_eq_tol(h, 100 * log10(506.0) / 4, 1e-9);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(1000)), RTN_OK);
    ck_assert_double_eq_tol(h, 0.0, EPS);
    /* 20000 a year saturates M at 1. */
    tu_push(ctx, RTN_EV_PURCHASE, TD(390), 1, 38990);
    ck_assert_int_eq(rtn_health_score(&h, ctx, &c, TD(400)), RTN_OK);
    ck_assert_double_eq_tol(h, 100.0, EPS);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- benchmarks ---------------------------------------------------------------------- */

START_TEST(benchmarks)
{
    double lo = 0, hi = 0;
    int cmp = 99;
    rtn_value v;
    rtn_value_init(&v, sizeof v);
    ck_assert_int_eq(rtn_benchmark_default(&lo, &hi, RTN_METRIC_CHURN_RATE), RTN_OK);
    ck_assert_double_eq_tol(lo, 3.0, EPS);
    ck_assert_double_eq_tol(hi, 8.0, EPS);
    ck_assert_int_eq(rtn_benchmark_default(&lo, &hi, RTN_METRIC_CART_ABANDONMENT_RATE), RTN_OK);
    ck_assert(lo <= 70.0 && hi >= 70.0);
    ck_assert_int_eq(rtn_benchmark_default(&lo, &hi, RTN_METRIC_PAGE_VIEWS), RTN_ENOTFOUND);
    ck_assert_int_eq(rtn_benchmark_default(NULL, &hi, RTN_METRIC_CHURN_RATE), RTN_EINVAL);
    v.defined = 1;
    v.value = 5.0;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_WITHIN);
    v.value = 3.0; /* bounds included */
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_WITHIN);
    v.value = 2.99;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_BELOW);
    v.value = 81.0;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 65, 75), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_ABOVE);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 9, 8), RTN_EINVAL);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, NAN, 8), RTN_EINVAL);
    ck_assert_int_eq(rtn_benchmark_compare(NULL, &v, 3, 8), RTN_EINVAL);
    v.defined = 0;
    v.value = NAN;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_EINVAL);
}
END_TEST

START_TEST(benchmark_on_a_real_rate)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    double lo, hi;
    int i, cmp;
    rtn_value v;
    /* 10 carts, 8 never checked out: 80 %, above the default range. */
    for (i = 1; i <= 10; i++) {
        tu_push_ref(ctx, RTN_EV_CART_CREATE, TD(1), (uint64_t)i, 0, 1);
        if (i <= 2)
            tu_push_ref(ctx, RTN_EV_CART_CHECKOUT, TD(2), (uint64_t)i, 0, 1);
    }
    v = tu_query(ctx, RTN_METRIC_CART_ABANDONMENT_RATE, TD(0), TD(30));
    ck_assert_double_eq_tol(v.value, 80.0, EPS);
    ck_assert_int_eq(rtn_benchmark_default(&lo, &hi, RTN_METRIC_CART_ABANDONMENT_RATE), RTN_OK);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, lo, hi), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_ABOVE);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 70, 90), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_WITHIN);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- allocation failures -------------------------------------------------------------- */


START_TEST(allocation_failures_change_nothing)
{
    tu_stream s;
    size_t i;
    long failures = 0;
    /* Small contexts, so that most events need memory. */
    tu_stream_gen(&s, 777 + (uint64_t)_i, 150, 12, 30);
    for (i = (size_t)_i * 75; i < s.n; i++) {
        long k;
        for (k = 0;; k++) {
            tu_failing fa = {-1, 1};
            rtn_config cfg;
            rtn_ctx *a, *ref;
            char why[512];
            int rc;
            rtn_config_init(&cfg, sizeof cfg);
            tu_failing_hooks(&cfg.allocator, &fa);
            a = tu_ctx(&cfg);
            ref = tu_ctx(NULL);
            tu_push_all(a, s.ev, i);
            tu_push_all(ref, s.ev, i);
            fa.left = k;
            rc = rtn_push(a, &s.ev[i]);
            fa.left = -1;
            if (rc == RTN_OK) {
                rtn_ctx_free(a);
                rtn_ctx_free(ref);
                break;
            }
            ck_assert_int_eq(rc, RTN_ENOMEM);
            failures++;
            ck_assert_msg(tu_compare_all(a, ref, 30, why, sizeof why) == 0,
                          "event %zu (type %d) failing allocation %ld: %s", i, s.ev[i].type, k,
                          why);
            rtn_ctx_free(a);
            rtn_ctx_free(ref);
        }
        if (i + 1 >= (size_t)(_i + 1) * 75)
            break;
    }
    ck_assert_msg(failures > 20, "only %ld allocation failures exercised", failures);
    tu_stream_free(&s);
}
END_TEST

/* ---- order independence ------------------------------------------------------------ */

static int same_customers(rtn_ctx *a, rtn_ctx *b, uint32_t customers, int64_t at)
{
    rtn_health_entry ea[32], eb[32];
    size_t na, nb, i;
    uint64_t id;
    if (rtn_health_lowest(ea, 32, &na, a, at) || rtn_health_lowest(eb, 32, &nb, b, at) || na != nb)
        return 0;
    for (i = 0; i < na; i++)
        if (!tu_same(ea[i].score, eb[i].score) || ea[i].id != eb[i].id ||
            !ea[i].id_str != !eb[i].id_str || ea[i].id_len != eb[i].id_len ||
            (ea[i].id_str && memcmp(ea[i].id_str, eb[i].id_str, ea[i].id_len) != 0))
            return 0;
    for (id = 1; id <= customers; id++) {
        rtn_customer c = cust(id);
        int ca = -1, cb = -2, ra, rb;
        double ha = 0, hb = 1;
        ra = rtn_customer_nps_category(&ca, a, &c);
        rb = rtn_customer_nps_category(&cb, b, &c);
        if (ra != rb || (ra == RTN_OK && ca != cb))
            return 0;
        ra = rtn_health_score(&ha, a, &c, at);
        rb = rtn_health_score(&hb, b, &c, at);
        if (ra != rb || (ra == RTN_OK && !tu_same(ha, hb)))
            return 0;
    }
    return 1;
}

static void order_check(const rtn_config *cfg, uint64_t seed)
{
    tu_stream s;
    rtn_ctx *a = tu_ctx(cfg), *b = tu_ctx(cfg);
    char why[512];
    uint32_t days = 90, customers = 80;
    tu_stream_gen(&s, seed, 2500, customers, days);
    tu_push_all(a, s.ev, s.n);
    tu_shuffle(s.ev, s.n, seed * 31 + 7);
    tu_push_all(b, s.ev, s.n);
    ck_assert_msg(tu_compare_all(a, b, days, why, sizeof why) == 0, "seed %llu: %s",
                  (unsigned long long)seed, why);
    ck_assert_msg(same_customers(a, b, customers, TD(days / 2)) &&
                      same_customers(a, b, customers, TD(days + 5)),
                  "seed %llu: per-customer answers differ", (unsigned long long)seed);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}

START_TEST(order_independence_journey)
{
    rtn_config cfg;
    rtn_config_init(&cfg, sizeof cfg);
    if (_i == 1) {
        cfg.value_event = RTN_EV_SHARE;
        cfg.inactivity_days = 20;
        cfg.health.monetary = 1.5;
    } else if (_i == 2) {
        cfg.resolution = RTN_RESOLUTION_HOUR;
        cfg.day_offset_minutes = 90;
        cfg.value_event = RTN_EV_PURCHASE;
    }
    order_check(&cfg, 4100 + (uint64_t)_i * 17);
    order_check(&cfg, 9100 + (uint64_t)_i * 17);
}
END_TEST

/* Generated streams against a brute-force recomputation of the event-sum
 * metrics from the raw events. */
START_TEST(generated_matches_brute_force)
{
    tu_stream s;
    rtn_ctx *ctx = tu_ctx(NULL);
    size_t i;
    int f, t;
    tu_stream_gen(&s, 31337, 3000, 100, 60);
    tu_push_all(ctx, s.ev, s.n);
    for (f = 0; f < 60; f += 9)
        for (t = f; t <= 70; t += 13) {
            int64_t from = TD(f), to = TD(t);
            int64_t n = 0, pro = 0, det = 0, pv = 0, sh = 0, vis = 0, conv = 0, cs = 0, csat = 0;
            rtn_value v;
            for (i = 0; i < s.n; i++) {
                const rtn_event *e = &s.ev[i];
                if (e->time < from || e->time >= to)
                    continue;
                switch (e->type) {
                case RTN_EV_NPS:
                    n++;
                    pro += e->value >= 9;
                    det += e->value <= 6;
                    break;
                case RTN_EV_PAGE_VIEW:
                    pv++;
                    break;
                case RTN_EV_SHARE:
                    sh++;
                    break;
                case RTN_EV_VISIT:
                    vis++;
                    break;
                case RTN_EV_CONVERSION:
                    conv++;
                    break;
                case RTN_EV_CSAT:
                    cs++;
                    csat += e->value >= 4;
                    break;
                default:
                    break;
                }
            }
            v = tu_query(ctx, RTN_METRIC_NPS, from, to);
            ck_assert_int_eq((int)v.n, (int)n);
            if (n)
                ck_assert_double_eq_tol(v.value, 100.0 * (double)(pro - det) / (double)n, 1e-9);
            ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_PAGE_VIEWS, from, to).value,
                                    (double)pv, EPS);
            ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_SHARES, from, to).value, (double)sh,
                                    EPS);
            v = tu_query(ctx, RTN_METRIC_CONVERSION_RATE, from, to);
            ck_assert(v.numerator == (double)conv && v.denominator == (double)vis);
            v = tu_query(ctx, RTN_METRIC_CSAT, from, to);
            ck_assert(v.numerator == (double)csat && v.denominator == (double)cs);
        }
    rtn_ctx_free(ctx);
    tu_stream_free(&s);
}
END_TEST

/* ---- snapshots and merge ---------------------------------------------------------- */


static rtn_ctx *round_trip(rtn_ctx *a)
{
    tu_buf b = TU_BUF_INIT;
    rtn_ctx *c = NULL;
    ck_assert_int_eq(rtn_snapshot_save(a, tu_buf_write, &b), RTN_OK);
    ck_assert_int_eq(rtn_snapshot_load(&c, NULL, tu_buf_read, &b), RTN_OK);
    free(b.p);
    return c;
}

START_TEST(snapshot_and_merge_keep_journey_state)
{
    rtn_config cfg;
    tu_stream s;
    rtn_ctx *all, *loaded, *p, *q;
    char why[512];
    uint32_t days = 60, customers = 60;
    size_t i, half;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.value_event = _i ? RTN_EV_SHARE : RTN_VALUE_DEFAULT;
    all = tu_ctx(&cfg);
    p = tu_ctx(&cfg);
    q = tu_ctx(&cfg);
    tu_stream_gen(&s, 2024 + (uint64_t)_i, 2400, customers, days);
    half = s.n / 2;
    for (i = 0; i < s.n; i++)
        tu_push_ev(i % 3 ? p : q, &s.ev[i]);
    tu_push_all(all, s.ev, half);
    /* Save and load half way, then both keep accepting events (the rest of
     * the stream, new carts and contacts included). */
    loaded = round_trip(all);
    ck_assert_msg(tu_compare_all(all, loaded, days, why, sizeof why) == 0, "after load: %s", why);
    ck_assert(same_customers(all, loaded, customers, TD(days / 2)));
    tu_push_all(all, s.ev + half, s.n - half);
    tu_push_all(loaded, s.ev + half, s.n - half);
    ck_assert_msg(tu_compare_all(all, loaded, days, why, sizeof why) == 0, "after more events: %s",
                  why);
    ck_assert(same_customers(all, loaded, customers, TD(days + 5)));
    /* Two shards with the same customers in both, merged. */
    ck_assert_int_eq(rtn_ctx_merge(p, q), RTN_OK);
    ck_assert_msg(tu_compare_all(all, p, days, why, sizeof why) == 0, "after merge: %s", why);
    ck_assert(same_customers(all, p, customers, TD(days / 2)));
    ck_assert(same_customers(all, p, customers, TD(days + 5)));
    rtn_ctx_free(all);
    rtn_ctx_free(loaded);
    rtn_ctx_free(p);
    rtn_ctx_free(q);
    tu_stream_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("journey");
    TCase *tc = tcase_create("journey");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, nps_hand_computed);
    tcase_add_test(tc, csat_and_ces_hand_computed);
    tcase_add_test(tc, csat_configurable_scale);
    tcase_add_test(tc, scores_off_scale_change_nothing);
    tcase_add_test(tc, nps_category_latest_by_time);
    tcase_add_test(tc, page_views_shares_conversion);
    tcase_add_test(tc, cart_abandonment_hand_computed);
    tcase_add_test(tc, contacts_hand_computed);
    tcase_add_loop_test(tc, resolution_percentiles_within_one_percent, 0, 3);
    tcase_add_test(tc, time_to_value_default);
    tcase_add_test(tc, time_to_value_configured_event);
    tcase_add_test(tc, interaction_change_hand_computed);
    tcase_add_test(tc, health_hand_computed);
    tcase_add_test(tc, health_weights_configurable);
    tcase_add_test(tc, health_weights_near_the_largest_double);
    tcase_add_test(tc, health_monetary_estimate);
    tcase_add_test(tc, benchmarks);
    tcase_add_test(tc, benchmark_on_a_real_rate);
    tcase_add_loop_test(tc, allocation_failures_change_nothing, 0, 2);
    tcase_add_loop_test(tc, order_independence_journey, 0, 3);
    tcase_add_test(tc, generated_matches_brute_force);
    tcase_add_loop_test(tc, snapshot_and_merge_keep_journey_state, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
