/*
 * test_engage.c: engagement metrics: active customers, DAU/WAU/MAU,
 * stickiness, feature usage and adoption; hand-computed cases, brute-force
 * cross-checks on generated streams, order independence, bad input,
 * failure atomicity, and the module's save / load / merge hooks.
 */
#include "testutil.h"
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------- */

static void push_feat(rtn_ctx *ctx, int64_t t, uint64_t c, uint64_t feature)
{
    tu_push_ref(ctx, RTN_EV_FEATURE, t, c, 0, feature);
}

static void push_feat_str(rtn_ctx *ctx, int64_t t, uint64_t c, const char *feature)
{
    rtn_event e = tu_ev(RTN_EV_FEATURE, t, c, 0);
    e.ref_str = feature;
    e.ref_len = (uint32_t)strlen(feature);
    tu_push_ev(ctx, &e);
}

static rtn_value qf(rtn_ctx *ctx, int metric, int64_t from, int64_t to, uint64_t feature,
                    const char *feature_str)
{
    rtn_value v;
    rtn_query_opts o;
    int rc;
    rtn_value_init(&v, sizeof v);
    rtn_query_opts_init(&o, sizeof o);
    o.feature = feature;
    if (feature_str) {
        o.feature_str = feature_str;
        o.feature_len = (uint32_t)strlen(feature_str);
    }
    rc = rtn_query(&v, ctx, metric, from, to, &o);
    ck_assert_msg(rc == RTN_OK, "query %d: %d %s", metric, rc, rtn_ctx_last_error(ctx));
    return v;
}

static double val(rtn_ctx *ctx, int metric, int64_t from, int64_t to)
{
    rtn_value v = tu_query(ctx, metric, from, to);
    ck_assert_int_eq(v.defined, 1);
    return v.value;
}

/* Wilson 95 % bounds in percent, written out independently of the library. */
static void wilson(double k, double n, double *lo, double *hi)
{
    double z = 1.959963984540054, p = k / n;
    double c = (p + z * z / (2 * n)) / (1 + z * z / n);
    double h = z / (1 + z * z / n) * sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    *lo = k == 0 ? 0 : 100 * (c - h);
    *hi = k == n ? 100 : 100 * (c + h);
}

/* ---- active customers ------------------------------------------------------- */

START_TEST(active_customers_hand)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    /* c1: activity day 0, purchase day 5; c2: page view day 3; c3: NPS day 10. */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(0) + T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(5), 1, 10);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(3) + 5 * T_HOUR, 2, 0);
    tu_push(ctx, RTN_EV_NPS, TD(10), 3, 9);
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(0), TD(1)), 1);  /* c1 */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(1), TD(5)), 1);  /* c2 */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(1), TD(3)), 0);  /* gaps */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(0), TD(11)), 3); /* all */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(4), TD(10)), 1); /* c1 day 5 */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(6), TD(10)), 0); /* to excluded */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(5), TD(5)), 0);  /* empty */
    /* from is floored: 23:00 on day 2 is day 2, so [2, 4) holds c2. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(2) + 23 * T_HOUR, TD(4)), 1);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- DAU / WAU / MAU / stickiness, day resolution ----------------------------- */

START_TEST(dau_wau_mau_stickiness_day)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    /* c1: days 0, 10, 29 (twice on 29); c2: 20, 28; c3: 29; c4: 22 (just
     * outside the week); c5: day -1 (just outside the month); c6: day 30
     * (at `to`, excluded); c7: days 25, 26, 27 (one run). */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(10), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(29), 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(29) + 3 * T_HOUR, 1, 5);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(20), 2, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(28), 2, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(29) + 23 * T_HOUR, 3, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(22), 4, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(-1), 5, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(30), 6, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(25), 7, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(26), 7, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(27), 7, 0);
    /* to = day 30: DAU [29, 30) = {c1, c3}; WAU [23, 30) = {c1, c2, c3, c7};
     * MAU [0, 30) = {c1, c2, c3, c4, c7}. `from` does not matter. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, TD(0), TD(30)), 2);
    ck_assert_double_eq(val(ctx, RTN_METRIC_WAU, TD(0), TD(30)), 4);
    ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, TD(0), TD(30)), 5);
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, TD(30), TD(30)), 2);
    /* `to` is floored: day 30 at 05:00 is day 30. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, TD(0), TD(30) + 5 * T_HOUR), 2);
    ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, TD(0), TD(30) + 5 * T_HOUR), 5);
    /* to = day 31: DAU [30, 31) = {c6}; WAU [24, 31) = {c1, c2, c3, c6, c7};
     * MAU [1, 31) = {c1, c2, c3, c4, c6, c7} (c1 by days 10 and 29). */
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, TD(0), TD(31)), 1);
    ck_assert_double_eq(val(ctx, RTN_METRIC_WAU, TD(0), TD(31)), 5);
    ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, TD(0), TD(31)), 6);
    /* to = day 0: MAU [-30, 0) = {c5}. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, TD(0), TD(0)), 1);
    /* Stickiness at day 30: (customer, day) pairs in [0, 30): c1 3 (0, 10,
     * 29), c2 2, c3 1, c4 1, c7 3 = 10; mean DAU = 10 / 30; MAU = 5;
     * stickiness = 10 / 30 / 5 * 100 = 6.666... %. */
    v = tu_query(ctx, RTN_METRIC_STICKINESS, TD(0), TD(30));
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq_tol(v.numerator, 10.0 / 30.0, 1e-12);
    ck_assert_double_eq(v.denominator, 5);
    ck_assert_double_eq_tol(v.value, 10.0 / 30.0 / 5.0 * 100.0, 1e-9);
    ck_assert_int_eq(v.n, 5);
    /* Stickiness at day 31: pairs in [1, 31): c1 2, c2 2, c3 1, c4 1, c6 1,
     * c7 3 = 10; MAU = 6: 10 / 30 / 6 * 100. */
    v = tu_query(ctx, RTN_METRIC_STICKINESS, TD(0), TD(31));
    ck_assert_double_eq_tol(v.value, 10.0 / 30.0 / 6.0 * 100.0, 1e-9);
    /* Nothing active in the 30 days before day 100: undefined, not 0. */
    v = tu_query(ctx, RTN_METRIC_STICKINESS, TD(0), TD(100));
    ck_assert_int_eq(v.defined, 0);
    ck_assert(isnan(v.value));
    ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, TD(0), TD(100)), 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- hour resolution and a day offset -------------------------------------------- */

START_TEST(dau_stickiness_hour_offset)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_value v;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.resolution = RTN_RESOLUTION_HOUR;
    cfg.day_offset_minutes = 120; /* local time = UTC + 2 h */
    ctx = tu_ctx(&cfg);
    /* UTC hour h from T0 is local hour h + 2, local day (h + 2) / 24.
     * c2: h 21 (local day 0 23:00) and h 22 (local day 1 00:00);
     * c1: h 23, 23:30 and 25 (all local day 1);
     * c3: h 719 (local day 30 01:00). */
    tu_push(ctx, RTN_EV_ACTIVITY, T0 + 21 * T_HOUR, 2, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, T0 + 22 * T_HOUR, 2, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, T0 + 23 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, T0 + 23 * T_HOUR + 30 * 60000, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, T0 + 25 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, T0 + 719 * T_HOUR, 3, 0);
    /* DAU = the 24 hour buckets ending at `to`:
     * to = h 24: [h 0, h 24) holds c2 (21, 22) and c1 (23) = 2;
     * to = h 46: [h 22, h 46) holds c2 (22) and c1 = 2;
     * to = h 47: [h 23, h 47) holds c1 only = 1 (also at h 47:59, floored). */
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, T0, T0 + 24 * T_HOUR), 2);
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, T0, T0 + 46 * T_HOUR), 2);
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, T0, T0 + 47 * T_HOUR), 1);
    ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, T0, T0 + 47 * T_HOUR + 59 * 60000), 1);
    /* WAU at h 22 + 168 = 190: [h 22, h 190) holds c2 (22) and c1 = 2;
     * at h 191: c1 only = 1. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_WAU, T0, T0 + 190 * T_HOUR), 2);
    ck_assert_double_eq(val(ctx, RTN_METRIC_WAU, T0, T0 + 191 * T_HOUR), 1);
    /* to = h 725 (local day 30 07:00). MAU = 720 buckets: [h 5, h 725)
     * holds c1, c2 and c3 = 3. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, T0, T0 + 725 * T_HOUR), 3);
    /* Stickiness uses whole local days: `to` floored to local day 30, days
     * [0, 30). Pairs: c2 days 0 and 1, c1 day 1 (three hours, one day) = 3;
     * c3 (day 30) is outside. MAU over those days = 2. 3 / 30 / 2 * 100 = 5 %. */
    v = tu_query(ctx, RTN_METRIC_STICKINESS, T0, T0 + 725 * T_HOUR);
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq_tol(v.numerator, 3.0 / 30.0, 1e-12);
    ck_assert_double_eq(v.denominator, 2);
    ck_assert_double_eq_tol(v.value, 5.0, 1e-9);
    /* Active customers in local day 1 = [h 22, h 46): c1, c2 = 2. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, T0 + 22 * T_HOUR, T0 + 46 * T_HOUR), 2);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- features ------------------------------------------------------------------------ */

START_TEST(feature_usage_adoption_hand)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    rtn_event e;
    double lo, hi;
    /* c1: feature 7 on day 1 (twice) and day 3;
     * c2: feature 7 and feature "search" on day 2;
     * c3: activity day 1, feature "search" day 5;
     * c4: activity day 2;
     * c5: feature "7" (a string, not the number 7) on day 2;
     * c6: a feature event without a feature on day 8 (and one with an empty
     *     string) : activity only. */
    push_feat(ctx, TD(1), 1, 7);
    push_feat(ctx, TD(1) + T_HOUR, 1, 7);
    push_feat(ctx, TD(3), 1, 7);
    push_feat(ctx, TD(2), 2, 7);
    push_feat_str(ctx, TD(2), 2, "search");
    tu_push(ctx, RTN_EV_ACTIVITY, TD(1), 3, 0);
    push_feat_str(ctx, TD(5), 3, "search");
    tu_push(ctx, RTN_EV_ACTIVITY, TD(2), 4, 0);
    push_feat_str(ctx, TD(2), 5, "7");
    push_feat(ctx, TD(8), 6, 0);
    e = tu_ev(RTN_EV_FEATURE, TD(8), 6, 0);
    e.ref_str = "";
    tu_push_ev(ctx, &e);

    /* [0, 4): active c1..c5 = 5; uses of 7 = 2 + 1 + 1 = 4; users of 7 =
     * {c1, c2} = 2: 2 / 5 = 40 %. */
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(0), TD(4)), 5);
    v = qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(4), 7, NULL);
    ck_assert_double_eq(v.value, 4);
    v = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(4), 7, NULL);
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq_tol(v.value, 40.0, 1e-9);
    ck_assert_double_eq(v.numerator, 2);
    ck_assert_double_eq(v.denominator, 5);
    ck_assert_int_eq(v.n, 5);
    /* Wilson for 2 of 5: about 11.76 % .. 76.93 %. */
    wilson(2, 5, &lo, &hi);
    ck_assert_double_eq_tol(lo, 11.76, 0.01);
    ck_assert_double_eq_tol(hi, 76.93, 0.01);
    ck_assert_double_eq_tol(v.lo, lo, 1e-9);
    ck_assert_double_eq_tol(v.hi, hi, 1e-9);
    /* "search" in [0, 4): c2 only: 1 use, 1 / 5 = 20 %. */
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(4), 0, "search").value, 1);
    ck_assert_double_eq_tol(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(4), 0, "search").value,
                            20.0, 1e-9);
    /* The string "7" is its own feature: c5 only. */
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(4), 0, "7").value, 1);
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(4), 0, "7").numerator, 1);
    /* [3, 6): active c1 (3), c3 (5) = 2; users of 7 = {c1} = 50 %; of
     * "search" = {c3} = 50 %. */
    ck_assert_double_eq_tol(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(3), TD(6), 7, NULL).value,
                            50.0, 1e-9);
    ck_assert_double_eq_tol(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(3), TD(6), 0, "search").value,
                            50.0, 1e-9);
    /* [2, 3): c1 used 7 on days 1 and 3, not in between: users = {c2}; active
     * = {c2, c4, c5} = 3: 33.33 %; uses = 1. */
    v = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(2), TD(3), 7, NULL);
    ck_assert_double_eq(v.numerator, 1);
    ck_assert_double_eq(v.denominator, 3);
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(2), TD(3), 7, NULL).value, 1);
    /* [0, 10): active c1..c6 = 6 (c6's feature events count as activity);
     * users of 7 = 2: 33.33 %. */
    v = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(10), 7, NULL);
    ck_assert_double_eq(v.numerator, 2);
    ck_assert_double_eq(v.denominator, 6);
    /* An unknown feature: 0 uses, adoption 0 (defined) over 5 active. */
    v = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(4), 99, NULL);
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq(v.value, 0);
    ck_assert_double_eq(v.lo, 0);
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(4), 99, NULL).value, 0);
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(4), 0, "nope").value, 0);
    /* No one active: adoption undefined, usage 0. */
    v = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(10), TD(20), 7, NULL);
    ck_assert_int_eq(v.defined, 0);
    ck_assert(isnan(v.value));
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(10), TD(20), 7, NULL).value, 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* Names of one length, first and last byte share a slot of the event
 * path's cache of recent features, which must tell them apart by their
 * bytes: "search", "starch" and "sketch" alternate, one at a time and in a
 * batch (whose look-ahead reads the cache too). */
START_TEST(feature_names_sharing_a_cache_slot)
{
    static const char *const names[3] = {"search", "starch", "sketch"};
    int pass;
    for (pass = 0; pass < 2; pass++) {
        rtn_ctx *ctx = tu_ctx(NULL);
        rtn_event evs[60];
        size_t n = 0, acc = 0;
        int i;
        /* Customer c (1..20) uses names[c % 3] on day 1, and "search" on
         * day 2 too when c is even. */
        for (i = 1; i <= 20; i++) {
            evs[n] = tu_ev(RTN_EV_FEATURE, TD(1), (uint64_t)i, 0);
            evs[n].ref_str = names[i % 3];
            evs[n].ref_len = 6;
            n++;
            if (i % 2 == 0) {
                evs[n] = tu_ev(RTN_EV_FEATURE, TD(2), (uint64_t)i, 0);
                evs[n].ref_str = "search";
                evs[n].ref_len = 6;
                n++;
            }
        }
        if (pass == 0) {
            for (i = 0; i < (int)n; i++)
                tu_push_ev(ctx, &evs[i]);
        } else {
            ck_assert_int_eq(rtn_push_batch(ctx, evs, n, &acc), RTN_OK);
            ck_assert_uint_eq(acc, n);
        }
        /* Day 1: c % 3 == 0 -> search (3, 6, ..., 18: 6), == 1 -> starch (1,
         * 4, ..., 19: 7), == 2 -> sketch (2, 5, ..., 20: 7). Day 2: the 10
         * even customers use search. */
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(1), TD(2), 0, "search").value, 6);
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(1), TD(2), 0, "starch").value, 7);
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(1), TD(2), 0, "sketch").value, 7);
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(1), TD(3), 0, "search").value, 16);
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(2), TD(3), 0, "starch").value, 0);
        /* Users of search over both days: 6 on day 1 plus the even ones not
         * among them (6, 12, 18 are both): 6 + 10 - 3 = 13 of 20 active. */
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(1), TD(3), 0, "search").numerator,
                            13);
        rtn_ctx_free(ctx);
    }
}
END_TEST

START_TEST(feature_hour_resolution)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.resolution = RTN_RESOLUTION_HOUR;
    cfg.day_offset_minutes = -60;
    ctx = tu_ctx(&cfg);
    /* c1 uses "x" at h 1 and h 5; c2 at h 3. Buckets are hours: [h 2, h 5)
     * holds c2's use (h 3) but none of c1's (gap 1..5): users 1; active 1. */
    push_feat_str(ctx, T0 + 1 * T_HOUR, 1, "x");
    push_feat_str(ctx, T0 + 5 * T_HOUR, 1, "x");
    push_feat_str(ctx, T0 + 3 * T_HOUR + 1000, 2, "x");
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, T0 + 2 * T_HOUR, T0 + 5 * T_HOUR, 0, "x")
                            .numerator, 1);
    ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, T0 + 2 * T_HOUR, T0 + 5 * T_HOUR), 1);
    /* [h 1, h 6): both, 3 uses: 100 %. */
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, T0 + T_HOUR, T0 + 6 * T_HOUR, 0, "x").value,
                        100);
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, T0 + T_HOUR, T0 + 6 * T_HOUR, 0, "x").value, 3);
    /* [h 3:30, h 5): floored to [h 3, h 5): c2 only, 1 use. */
    ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, T0 + 3 * T_HOUR + 1800000, T0 + 5 * T_HOUR, 0, "x")
                            .value, 1);
    rtn_ctx_free(ctx);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

START_TEST(bad_feature_input)
{
    rtn_ctx *ctx = tu_ctx(NULL), *ref = tu_ctx(NULL);
    rtn_value v;
    rtn_query_opts o;
    rtn_event e;
    static char longid[RTN_ID_MAX + 2];
    char why[512];
    memset(longid, 'a', sizeof longid - 1);
    push_feat(ctx, TD(1), 1, 7);
    push_feat(ref, TD(1), 1, 7);
    rtn_value_init(&v, sizeof v);
    /* A feature metric without options. */
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(5), NULL), RTN_EINVAL);
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(5), NULL), RTN_EINVAL);
    /* A string feature of 0 bytes, or too long. */
    rtn_query_opts_init(&o, sizeof o);
    o.feature_str = "x";
    o.feature_len = 0;
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(5), &o), RTN_EID);
    o.feature_str = longid;
    o.feature_len = RTN_ID_MAX + 1;
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(0), TD(5), &o), RTN_EID);
    o.feature_len = RTN_ID_MAX; /* the longest accepted */
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(5), &o), RTN_OK);
    ck_assert_double_eq(v.value, 0);
    /* A length without a string; no feature at all. */
    rtn_query_opts_init(&o, sizeof o);
    o.feature_len = 3;
    o.feature = 7;
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(5), &o), RTN_EID);
    rtn_query_opts_init(&o, sizeof o);
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(5), &o), RTN_EID);
    /* Options of an unknown size. */
    o.size = 3;
    o.feature = 7;
    ck_assert_int_eq(rtn_query(&v, ctx, RTN_METRIC_FEATURE_USAGE, TD(0), TD(5), &o), RTN_EINVAL);
    /* A feature event with a reference that is too long changes nothing. */
    e = tu_ev(RTN_EV_FEATURE, TD(2), 2, 0);
    e.ref_str = longid;
    e.ref_len = RTN_ID_MAX + 1;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_EID);
    e.ref_str = NULL;
    e.ref_len = 4;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_EID);
    ck_assert_msg(tu_compare_all(ctx, ref, 10, why, sizeof why) == 0, "%s", why);
    rtn_ctx_free(ctx);
    rtn_ctx_free(ref);
}
END_TEST

/* ---- brute force on generated streams ---------------------------------------------------- */

#define BF_DAYS 80
#define BF_CUST 60

/* Feature events of the generated stream: customer c's uses of feature f
 * (1..3) become the string "f<f>" when (c + f) is odd, to mix both kinds. */
static void stringify_features(tu_stream *s)
{
    static const char *names[] = {"", "f1", "f2", "f3"};
    size_t i;
    for (i = 0; i < s->n; i++) {
        rtn_event *e = &s->ev[i];
        if (e->type == RTN_EV_FEATURE && ((e->customer + e->ref) & 1)) {
            e->ref_str = names[e->ref];
            e->ref_len = 2;
        }
    }
}

typedef struct bf {
    unsigned char act[BF_CUST + 1][BF_DAYS];
    unsigned char use[4][2][BF_CUST + 1][BF_DAYS]; /* [feature][string][c][day] */
    int uses[4][2][BF_DAYS];
} bf;

static void bf_build(bf *b, const tu_stream *s)
{
    size_t i;
    memset(b, 0, sizeof *b);
    for (i = 0; i < s->n; i++) {
        const rtn_event *e = &s->ev[i];
        int d = (int)((e->time - T0) / T_DAY);
        b->act[e->customer][d] = 1;
        if (e->type == RTN_EV_FEATURE) {
            int str = e->ref_str != NULL;
            b->use[e->ref][str][e->customer][d] = 1;
            b->uses[e->ref][str][d]++;
        }
    }
}

static int bf_active(const bf *b, int d0, int d1)
{
    int c, d, n = 0;
    for (c = 1; c <= BF_CUST; c++)
        for (d = d0 < 0 ? 0 : d0; d < d1 && d < BF_DAYS; d++)
            if (b->act[c][d]) {
                n++;
                break;
            }
    return n;
}

/* At hour resolution (no offset) day-aligned bounds give the same windows;
 * `hour` also checks that stickiness floors `to` to its day. */
static void check_brute_force(rtn_ctx *ctx, const bf *b, int hour)
{
    int d0, d1, f, str;
    for (d0 = -3; d0 < BF_DAYS + 3; d0 += 5)
        for (d1 = d0; d1 < BF_DAYS + 40; d1 += 7) {
            int act = bf_active(b, d0, d1);
            ck_assert_double_eq(val(ctx, RTN_METRIC_ACTIVE_CUSTOMERS, TD(d0), TD(d1)), act);
            for (f = 1; f <= 3; f++)
                for (str = 0; str <= 1; str++) {
                    static const char *names[] = {"", "f1", "f2", "f3"};
                    int c, d, users = 0, uses = 0;
                    rtn_value v;
                    for (c = 1; c <= BF_CUST; c++)
                        for (d = d0 < 0 ? 0 : d0; d < d1 && d < BF_DAYS; d++)
                            if (b->use[f][str][c][d]) {
                                users++;
                                break;
                            }
                    for (d = d0 < 0 ? 0 : d0; d < d1 && d < BF_DAYS; d++)
                        uses += b->uses[f][str][d];
                    v = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(d0), TD(d1), (uint64_t)f,
                           str ? names[f] : NULL);
                    ck_assert_msg(v.numerator == users && v.denominator == act,
                                  "[%d,%d) feature %d%s: %g/%g, want %d/%d", d0, d1, f, str ? "s" : "",
                                  v.numerator, v.denominator, users, act);
                    v = qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(d0), TD(d1), (uint64_t)f,
                           str ? names[f] : NULL);
                    ck_assert_double_eq(v.value, uses);
                }
        }
    for (d1 = 0; d1 < BF_DAYS + 35; d1 += 3) {
        int c, d, pairs = 0;
        double mau = bf_active(b, d1 - 30, d1);
        rtn_value v;
        ck_assert_double_eq(val(ctx, RTN_METRIC_DAU, TD(0), TD(d1)), bf_active(b, d1 - 1, d1));
        ck_assert_double_eq(val(ctx, RTN_METRIC_WAU, TD(0), TD(d1)), bf_active(b, d1 - 7, d1));
        ck_assert_double_eq(val(ctx, RTN_METRIC_MAU, TD(0), TD(d1)), mau);
        for (c = 1; c <= BF_CUST; c++)
            for (d = d1 - 30 < 0 ? 0 : d1 - 30; d < d1 && d < BF_DAYS; d++)
                pairs += b->act[c][d];
        v = tu_query(ctx, RTN_METRIC_STICKINESS, TD(0), TD(d1));
        ck_assert_int_eq(v.defined, mau > 0);
        ck_assert_double_eq_tol(v.numerator * 30.0, pairs, 1e-9);
        if (mau > 0)
            ck_assert_double_eq_tol(v.value, pairs / 30.0 / mau * 100.0, 1e-9);
        if (hour) {
            rtn_value w = tu_query(ctx, RTN_METRIC_STICKINESS, TD(0), TD(d1) + 17 * T_HOUR);
            ck_assert(tu_same(v.value, w.value) && tu_same(v.numerator, w.numerator));
        }
    }
}

START_TEST(brute_force_generated)
{
    tu_stream s;
    rtn_config cfg;
    rtn_ctx *ctx;
    bf *b = malloc(sizeof *b);
    rtn_config_init(&cfg, sizeof cfg);
    if (_i == 3)
        cfg.resolution = RTN_RESOLUTION_HOUR;
    ctx = tu_ctx(&cfg);
    ck_assert_ptr_nonnull(b);
    tu_stream_gen(&s, 777 + (uint64_t)_i, 2500, BF_CUST, BF_DAYS);
    stringify_features(&s);
    tu_shuffle(s.ev, s.n, 99 + (uint64_t)_i);
    tu_push_all(ctx, s.ev, s.n);
    bf_build(b, &s);
    check_brute_force(ctx, b, _i == 3);
    free(b);
    rtn_ctx_free(ctx);
    tu_stream_free(&s);
}
END_TEST

START_TEST(series_invariants)
{
    tu_stream s;
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value days[40], weeks[10];
    rtn_query_opts o;
    size_t nd = 0, nw = 0, i;
    int d1;
    tu_stream_gen(&s, 31 + (uint64_t)_i, 3000, 100, 70);
    tu_push_all(ctx, s.ev, s.n);
    /* Mean DAU * 30 = the sum of the 30 daily DAUs (= daily active counts). */
    for (d1 = 0; d1 <= 75; d1 += 5) {
        double sum = 0;
        int d;
        for (d = d1 - 30; d < d1; d++)
            sum += val(ctx, RTN_METRIC_DAU, TD(d + 1), TD(d + 1));
        ck_assert_double_eq_tol(tu_query(ctx, RTN_METRIC_STICKINESS, TD(d1), TD(d1)).numerator * 30, sum,
                                1e-9);
    }
    /* Daily feature usage sums to the period's; daily series of a feature
     * metric take the options. */
    rtn_query_opts_init(&o, sizeof o);
    o.feature = 2;
    rtn_value_init(&days[0], sizeof days[0]);
    rtn_value_init(&weeks[0], sizeof weeks[0]);
    ck_assert_int_eq(rtn_query_series(days, 40, &nd, ctx, RTN_METRIC_FEATURE_USAGE, TD(10), TD(40),
                                      RTN_EVERY_DAY, &o), RTN_OK);
    ck_assert_uint_eq(nd, 30);
    {
        double sum = 0;
        for (i = 0; i < nd; i++)
            sum += days[i].value;
        ck_assert_double_eq(sum, qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(10), TD(40), 2, NULL).value);
    }
    /* Weekly adoption: each week's users <= the sum of its days' users, and
     * >= the largest day's. */
    ck_assert_int_eq(rtn_query_series(weeks, 10, &nw, ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, TD(10),
                                      TD(40), RTN_EVERY_WEEK, &o), RTN_OK);
    for (i = 0; i < nw; i++) {
        double sum = 0, mx = 0;
        int64_t t;
        for (t = weeks[i].from; t < weeks[i].to; t += T_DAY) {
            double u = qf(ctx, RTN_METRIC_FEATURE_ADOPTION_RATE, t, t + T_DAY, 2, NULL).numerator;
            sum += u;
            mx = u > mx ? u : mx;
        }
        ck_assert(weeks[i].numerator <= sum && weeks[i].numerator >= mx);
    }
    ck_assert_int_eq(rtn_query_series(days, 40, &nd, ctx, RTN_METRIC_FEATURE_USAGE, TD(10), TD(40),
                                      RTN_EVERY_DAY, NULL), RTN_EINVAL);
    rtn_ctx_free(ctx);
    tu_stream_free(&s);
}
END_TEST

/* ---- order independence ----------------------------------------------------------------- */

static int compare_string_features(rtn_ctx *a, rtn_ctx *b, uint32_t days)
{
    static const char *names[] = {"f1", "f2", "f3", "zz", "brand-new"};
    uint32_t d0, d1, f;
    int m;
    for (d0 = 0; d0 < days; d0 += 9)
        for (d1 = d0; d1 < days + 20; d1 += 13)
            for (f = 0; f < 5; f++)
                for (m = RTN_METRIC_FEATURE_ADOPTION_RATE; m <= RTN_METRIC_FEATURE_USAGE; m++) {
                    rtn_value va = qf(a, m, TD(d0), TD(d1), 0, names[f]);
                    rtn_value vb = qf(b, m, TD(d0), TD(d1), 0, names[f]);
                    if (!tu_same(va.value, vb.value) || !tu_same(va.lo, vb.lo) || va.n != vb.n)
                        return 1;
                }
    return 0;
}

START_TEST(order_independence)
{
    rtn_config cfg;
    uint64_t seed;
    rtn_config_init(&cfg, sizeof cfg);
    if (_i) {
        cfg.resolution = RTN_RESOLUTION_HOUR;
        cfg.day_offset_minutes = 330;
        cfg.inactivity_days = 20;
    }
    for (seed = 1; seed <= 3; seed++) {
        tu_stream s;
        rtn_ctx *a = tu_ctx(&cfg), *b = tu_ctx(&cfg);
        char why[512];
        uint64_t sd = seed * 31337 + (uint64_t)_i;
        tu_stream_gen(&s, sd, 3000, 120, 100);
        stringify_features(&s);
        tu_push_all(a, s.ev, s.n);
        tu_shuffle(s.ev, s.n, sd ^ 0xabc);
        tu_push_all(b, s.ev, s.n);
        ck_assert_msg(tu_compare_all(a, b, 100, why, sizeof why) == 0, "seed %llu: %s",
                      (unsigned long long)sd, why);
        ck_assert_msg(compare_string_features(a, b, 100) == 0, "seed %llu: string features differ",
                      (unsigned long long)sd);
        rtn_ctx_free(a);
        rtn_ctx_free(b);
        tu_stream_free(&s);
    }
}
END_TEST

/* ---- failed calls change nothing -------------------------------------------------------- */


START_TEST(failed_push_changes_nothing)
{
    tu_failing fl = {-1, 0};
    rtn_config cfg;
    rtn_ctx *ctx, *ref;
    tu_stream s;
    rtn_event extra[6];
    size_t i;
    char why[512];
    rtn_config_init(&cfg, sizeof cfg);
    tu_failing_hooks(&cfg.allocator, &fl);
    ctx = tu_ctx(&cfg);
    ref = tu_ctx(NULL);
    tu_stream_gen(&s, 4242, 400, 40, 40);
    stringify_features(&s);
    tu_push_all(ctx, s.ev, s.n);
    tu_push_all(ref, s.ev, s.n);
    /* New string feature and new customer; existing feature, new bucket in
     * the middle of a set; same bucket again; a far bucket (trees grow);
     * a plain event of a new customer. */
    extra[0] = tu_ev(RTN_EV_FEATURE, TD(20), 1000, 0);
    extra[0].ref_str = "brand-new";
    extra[0].ref_len = 9;
    extra[1] = tu_ev(RTN_EV_FEATURE, TD(20), 3, 0);
    extra[1].ref = 1;
    extra[2] = extra[1];
    extra[3] = tu_ev(RTN_EV_FEATURE, TD(2000), 3, 0);
    extra[3].ref = 2;
    extra[4] = tu_ev(RTN_EV_FEATURE, TD(-500), 1001, 0);
    extra[4].ref = 12345;
    extra[5] = tu_ev(RTN_EV_ACTIVITY, TD(30), 1002, 0);
    for (i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        long k;
        int rc = RTN_ENOMEM;
        for (k = 0; rc == RTN_ENOMEM; k++) {
            fl.left = k;
            rc = rtn_push(ctx, &extra[i]);
            fl.left = -1;
            if (rc == RTN_ENOMEM) {
                ck_assert_msg(tu_compare_all(ctx, ref, 40, why, sizeof why) == 0,
                              "event %zu, allocation %ld failed: %s", i, k, why);
                ck_assert_msg(compare_string_features(ctx, ref, 40) == 0,
                              "event %zu, allocation %ld failed: string features differ", i, k);
            }
            ck_assert_int_lt(k, 200);
        }
        ck_assert_int_eq(rc, RTN_OK);
        tu_push_ev(ref, &extra[i]);
        ck_assert_msg(tu_compare_all(ctx, ref, 40, why, sizeof why) == 0, "event %zu: %s", i, why);
        ck_assert_msg(compare_string_features(ctx, ref, 40) == 0, "event %zu: string features", i);
        ck_assert_double_eq(qf(ctx, RTN_METRIC_FEATURE_USAGE, TD(-600), TD(2100), 0, "brand-new").value, 1);
    }
    rtn_ctx_free(ctx);
    rtn_ctx_free(ref);
    tu_stream_free(&s);
}
END_TEST

/* ---- save / load / merge of the module's raw state -------------------------------------- */


/* Feature events become page views: the same day entries (both only mark
 * activity), so the customer table and every contribution are the same. */
static void strip_features(rtn_event *ev, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (ev[i].type == RTN_EV_FEATURE)
            ev[i].type = RTN_EV_PAGE_VIEW;
}

static void compare_engagement(rtn_ctx *a, rtn_ctx *b, uint32_t days)
{
    static const char *names[] = {NULL, NULL, NULL, NULL, "f1", "f2", "f3", "zz"};
    static const uint64_t ids[] = {1, 2, 3, 99, 0, 0, 0, 0};
    uint32_t d0, d1, f;
    int m;
    for (d0 = 0; d0 < days; d0 += 7)
        for (d1 = d0; d1 < days + 35; d1 += 11) {
            for (m = RTN_METRIC_ACTIVE_CUSTOMERS; m <= RTN_METRIC_STICKINESS; m++) {
                rtn_value va = tu_query(a, m, TD(d0), TD(d1)), vb = tu_query(b, m, TD(d0), TD(d1));
                ck_assert_msg(tu_same(va.value, vb.value), "metric %d [%u,%u)", m, d0, d1);
            }
            for (f = 0; f < 8; f++)
                for (m = RTN_METRIC_FEATURE_ADOPTION_RATE; m <= RTN_METRIC_FEATURE_USAGE; m++) {
                    rtn_value va = qf(a, m, TD(d0), TD(d1), ids[f], names[f]);
                    rtn_value vb = qf(b, m, TD(d0), TD(d1), ids[f], names[f]);
                    ck_assert_msg(tu_same(va.value, vb.value) && tu_same(va.hi, vb.hi) && va.n == vb.n,
                                  "metric %d feature %u [%u,%u): %g vs %g", m, f, d0, d1, va.value,
                                  vb.value);
                }
        }
}

START_TEST(save_load_roundtrip)
{
    tu_stream s;
    rtn_ctx *a = tu_ctx(NULL), *b = tu_ctx(NULL), *empty = tu_ctx(NULL), *e2 = tu_ctx(NULL);
    tu_buf buf = TU_BUF_INIT, buf2 = TU_BUF_INIT;
    rtn_wr w;
    rtn_rd r;
    size_t len;
    tu_stream_gen(&s, 2024, 2000, 80, 60);
    stringify_features(&s);
    tu_push_all(a, s.ev, s.n);
    rtn__wr_init(&w, tu_buf_write, &buf);
    ck_assert_int_eq(rtn__engage_save(a, &w), RTN_OK);
    ck_assert_int_eq(rtn__wr_flush(&w), RTN_OK);
    strip_features(s.ev, s.n);
    tu_push_all(b, s.ev, s.n);
    tu_push_all(e2, s.ev, s.n);
    /* Every strict prefix is refused, never read past (e2 is scratch). */
    for (len = 0; len < buf.len; len += 1 + len / 64) {
        rtn__engage_free(e2);
        rtn__rd_init(&r, buf.p, len);
        ck_assert_int_ne(rtn__engage_load(e2, &r), RTN_OK);
    }
    rtn__engage_free(e2);
    rtn__engage_free(e2); /* freeing twice is harmless */
    rtn_ctx_free(e2);
    e2 = tu_ctx(NULL);
    /* The whole buffer loads, and is read to its end. */
    rtn__rd_init(&r, buf.p, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_OK);
    ck_assert_uint_eq(r.pos, buf.len);
    /* b's contributions were rebuilt by its own pushes. */
    compare_engagement(a, b, 60);
    /* b keeps accepting feature events like a. */
    push_feat_str(a, TD(30), 5, "f2");
    push_feat_str(b, TD(30), 5, "f2");
    push_feat(a, TD(61), 500, 3);
    push_feat(b, TD(61), 500, 3);
    compare_engagement(a, b, 70);
    /* An empty context saves and loads as empty. */
    rtn__wr_init(&w, tu_buf_write, &buf2);
    ck_assert_int_eq(rtn__engage_save(empty, &w), RTN_OK);
    ck_assert_int_eq(rtn__wr_flush(&w), RTN_OK);
    ck_assert_uint_eq(buf2.len, 8);
    rtn__rd_init(&r, buf2.p, buf2.len);
    ck_assert_int_eq(rtn__engage_load(e2, &r), RTN_OK);
    ck_assert_ptr_null(e2->engage);
    free(buf.p);
    free(buf2.p);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    rtn_ctx_free(empty);
    rtn_ctx_free(e2);
    tu_stream_free(&s);
}
END_TEST

START_TEST(load_rejects_bad_records)
{
    rtn_ctx *a = tu_ctx(NULL), *b = tu_ctx(NULL);
    tu_buf buf = TU_BUF_INIT;
    rtn_wr w;
    rtn_rd r;
    unsigned char *q;
    push_feat(a, TD(1), 1, 7);
    push_feat(a, TD(3), 1, 7);
    tu_push(b, RTN_EV_PAGE_VIEW, TD(1), 1, 0);
    tu_push(b, RTN_EV_PAGE_VIEW, TD(3), 1, 0);
    rtn__wr_init(&w, tu_buf_write, &buf);
    ck_assert_int_eq(rtn__engage_save(a, &w), RTN_OK);
    ck_assert_int_eq(rtn__wr_flush(&w), RTN_OK);
    /* Layout: nf=1 | kind 0 | id 7 | usage: nz=2, (b, v) x 2 | nrec=1 | f=0
     * | ci=0 | n=2 | b0 | b1. 4 + 4 + 8 + 4 + 24 + 4 + 4 + 4 + 4 + 8 = 68. */
    ck_assert_uint_eq(buf.len, 68);
    q = malloc(buf.len);
    /* Customer index out of range. */
    memcpy(q, buf.p, buf.len);
    q[52] = 1;
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    /* Buckets not increasing. */
    rtn__engage_free(b);
    memcpy(q, buf.p, buf.len);
    memcpy(q + 64, buf.p + 60, 4);
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    /* Huge record and bucket counts are refused before anything is allocated. */
    rtn__engage_free(b);
    memcpy(q, buf.p, buf.len);
    memset(q + 44, 0xff, 4);
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    rtn__engage_free(b);
    memcpy(q, buf.p, buf.len);
    memset(q + 56, 0xff, 4);
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    /* A record of no buckets. */
    rtn__engage_free(b);
    memcpy(q, buf.p, buf.len);
    memset(q + 56, 0, 4);
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    /* The same feature twice. */
    rtn__engage_free(b);
    {
        unsigned char twice[4 + 2 * 16 + 4];
        memset(twice, 0, sizeof twice);
        twice[0] = 2;
        memcpy(twice + 4, buf.p + 4, 12);  /* kind, id */
        memcpy(twice + 20, buf.p + 4, 12); /* both with empty usage */
        rtn__rd_init(&r, twice, sizeof twice);
        ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    }
    /* A use in a bucket where the customer has no event. */
    rtn__engage_free(b);
    memcpy(q, buf.p, buf.len);
    q[64] = (unsigned char)(q[64] + 1);
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    /* Bytes left over after the section. */
    rtn__engage_free(b);
    {
        unsigned char *longer = malloc(buf.len + 1);
        memcpy(longer, buf.p, buf.len);
        longer[buf.len] = 0;
        rtn__rd_init(&r, longer, buf.len + 1);
        ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
        free(longer);
    }
    /* Unknown feature kind. */
    rtn__engage_free(b);
    memcpy(q, buf.p, buf.len);
    q[4] = 2;
    rtn__rd_init(&r, q, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_EFORMAT);
    /* The intact buffer loads (into a context whose day runs are intact). */
    rtn_ctx_free(b);
    b = tu_ctx(NULL);
    tu_push(b, RTN_EV_PAGE_VIEW, TD(1), 1, 0);
    tu_push(b, RTN_EV_PAGE_VIEW, TD(3), 1, 0);
    rtn__rd_init(&r, buf.p, buf.len);
    ck_assert_int_eq(rtn__engage_load(b, &r), RTN_OK);
    compare_engagement(a, b, 5);
    free(q);
    free(buf.p);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
}
END_TEST

static uint32_t map_customer(const rtn_ctx *dst, const rtn_ctx *src, uint32_t i)
{
    const rtn_cust *c = &src->cust.c[i];
    rtn_ckey k;
    rtn__cust_key(&k, &src->cust, c);
    return rtn__ctab_find(&dst->cust, &k);
}

START_TEST(merge_raw_state)
{
    tu_stream s;
    rtn_ctx *full = tu_ctx(NULL), *dst = tu_ctx(NULL), *src = tu_ctx(NULL);
    uint32_t *cmap, i;
    size_t k;
    tu_stream_gen(&s, 555 + (uint64_t)_i, 2500, 70, 60);
    stringify_features(&s);
    tu_push_all(full, s.ev, s.n);
    /* dst: every event, but the feature events of odd positions as page
     * views; src: only those feature events. The same customers and
     * features appear on both sides. */
    for (k = 0; k < s.n; k++) {
        rtn_event e = s.ev[k];
        if (e.type == RTN_EV_FEATURE && (k & 1)) {
            tu_push_ev(src, &e);
            e.type = RTN_EV_PAGE_VIEW;
        }
        tu_push_ev(dst, &e);
    }
    cmap = malloc((src->cust.n + 1) * sizeof *cmap);
    for (i = 0; i < src->cust.n; i++) {
        cmap[i] = map_customer(dst, src, i);
        ck_assert_uint_ne(cmap[i], UINT32_MAX);
    }
    ck_assert_int_eq(rtn__engage_merge(dst, src, cmap), RTN_OK);
    compare_engagement(full, dst, 60);
    /* Merging an empty context changes nothing. */
    {
        rtn_ctx *none = tu_ctx(NULL);
        ck_assert_int_eq(rtn__engage_merge(dst, none, cmap), RTN_OK);
        rtn_ctx_free(none);
    }
    compare_engagement(full, dst, 60);
    free(cmap);
    rtn_ctx_free(full);
    rtn_ctx_free(dst);
    rtn_ctx_free(src);
    tu_stream_free(&s);
}
END_TEST

START_TEST(failed_merge_changes_nothing)
{
    tu_failing fl = {-1, 0};
    rtn_config cfg;
    tu_stream s;
    rtn_ctx *src = tu_ctx(NULL), *before = tu_ctx(NULL);
    uint32_t *cmap = NULL, i;
    long k;
    int rc = RTN_ENOMEM;
    rtn_config_init(&cfg, sizeof cfg);
    tu_failing_hooks(&cfg.allocator, &fl);
    tu_stream_gen(&s, 8080, 1200, 50, 40);
    stringify_features(&s);
    /* before: dst's state; src: the feature events of odd positions, plus
     * a feature only src has and uses far outside dst's range. */
    for (i = 0; i < s.n; i++) {
        rtn_event e = s.ev[i];
        if (e.type == RTN_EV_FEATURE && (i & 1)) {
            tu_push_ev(src, &e);
            e.type = RTN_EV_PAGE_VIEW;
        }
        tu_push_ev(before, &e);
    }
    push_feat_str(src, TD(300), 3, "only-src");
    push_feat(src, TD(-200), 4, 1);
    for (k = 0; rc == RTN_ENOMEM; k++) {
        rtn_ctx *dst = tu_ctx(&cfg);
        for (i = 0; i < s.n; i++) {
            rtn_event e = s.ev[i];
            if (e.type == RTN_EV_FEATURE && (i & 1))
                e.type = RTN_EV_PAGE_VIEW;
            tu_push_ev(dst, &e);
        }
        if (cmap == NULL) {
            cmap = malloc(src->cust.n * sizeof *cmap);
            for (i = 0; i < src->cust.n; i++) {
                cmap[i] = map_customer(dst, src, i);
                ck_assert_uint_ne(cmap[i], UINT32_MAX);
            }
        }
        fl.left = k;
        rc = rtn__engage_merge(dst, src, cmap);
        fl.left = -1;
        if (rc == RTN_ENOMEM)
            compare_engagement(before, dst, 40);
        else
            ck_assert_double_eq(qf(dst, RTN_METRIC_FEATURE_USAGE, TD(0), TD(400), 0, "only-src").value, 1);
        rtn_ctx_free(dst);
        ck_assert_int_lt(k, 500);
    }
    ck_assert_int_eq(rc, RTN_OK);
    ck_assert_int_gt(k, 1);
    free(cmap);
    rtn_ctx_free(src);
    rtn_ctx_free(before);
    tu_stream_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engage");
    TCase *tc = tcase_create("engage");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, active_customers_hand);
    tcase_add_test(tc, dau_wau_mau_stickiness_day);
    tcase_add_test(tc, dau_stickiness_hour_offset);
    tcase_add_test(tc, feature_usage_adoption_hand);
    tcase_add_test(tc, feature_names_sharing_a_cache_slot);
    tcase_add_test(tc, feature_hour_resolution);
    tcase_add_test(tc, bad_feature_input);
    tcase_add_loop_test(tc, brute_force_generated, 0, 4);
    tcase_add_loop_test(tc, series_invariants, 0, 2);
    tcase_add_loop_test(tc, order_independence, 0, 2);
    tcase_add_test(tc, failed_push_changes_nothing);
    tcase_add_test(tc, save_load_roundtrip);
    tcase_add_test(tc, load_rejects_bad_records);
    tcase_add_loop_test(tc, merge_raw_state, 0, 2);
    tcase_add_test(tc, failed_merge_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
