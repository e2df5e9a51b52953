/*
 * test_core.c: hand-computed cases for the customer-base and purchase
 * metrics (core.c), the three churn conventions, ids, undefined results
 * and calendar series. Each test states its events and the arithmetic.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9

static rtn_value q(rtn_ctx *ctx, int metric, int d0, int d1)
{
    return tu_query(ctx, metric, TD(d0), TD(d1));
}

static double qv(rtn_ctx *ctx, int metric, int d0, int d1)
{
    rtn_value v = q(ctx, metric, d0, d1);
    ck_assert_msg(v.defined == 1, "metric %d over [%d, %d) undefined", metric, d0, d1);
    return v.value;
}

static void assert_undefined(rtn_ctx *ctx, int metric, int d0, int d1)
{
    rtn_value v = q(ctx, metric, d0, d1);
    ck_assert_msg(v.defined == 0 && isnan(v.value), "metric %d over [%d, %d): defined=%d value=%g",
                  metric, d0, d1, v.defined, v.value);
}

static void push_str(rtn_ctx *ctx, int type, int64_t t, const char *id, double value)
{
    rtn_event e = tu_ev(type, t, 0, value);
    e.customer_str = id;
    e.customer_len = (uint32_t)strlen(id);
    tu_push_ev(ctx, &e);
}

/* METRICS.md worked example: 1000 customers active at `from`, 300 of them
 * churn in the period and 200 new ones are acquired: E = 1000 - 300 + 200
 * = 900, retention (900 - 200) / 1000 = 70 %, churn 300 / 1000 = 30 %. */
START_TEST(worked_example)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    uint64_t c;
    rtn_value v;
    for (c = 1; c <= 1000; c++)
        tu_push(ctx, RTN_EV_ACQUIRE, TD(0) + 3600000, c, 0);
    for (c = 1; c <= 300; c++)
        tu_push(ctx, RTN_EV_CHURN, TD(3), c, 0);
    for (c = 1001; c <= 1200; c++)
        tu_push(ctx, RTN_EV_ACQUIRE, TD(5), c, 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_START, 1, 11), 1000);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 1, 11), 900);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 1, 11), 200);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 1, 11), 300);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, 1, 11), 0);
    v = q(ctx, RTN_METRIC_RETENTION_RATE, 1, 11);
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq_tol(v.value, 70.0, EPS);
    ck_assert_double_eq(v.numerator, 700);
    ck_assert_double_eq(v.denominator, 1000);
    ck_assert_int_eq(v.n, 1000);
    /* Wilson 95 % for 700 / 1000, z = 1.959964: centre (0.7 + z^2/2000) /
     * (1 + z^2/1000) = 0.699234, half-width z * sqrt(0.21/1000 + z^2/4e6) /
     * (1 + z^2/1000) = 0.028358: [67.0876, 72.7592]. */
    ck_assert(v.lo < 70.0 && v.hi > 70.0);
    ck_assert_double_eq_tol(v.lo, 67.0876, 1e-3);
    ck_assert_double_eq_tol(v.hi, 72.7592, 1e-3);
    v = q(ctx, RTN_METRIC_CHURN_RATE, 1, 11);
    ck_assert_double_eq_tol(v.value, 30.0, EPS);
    ck_assert_double_eq_tol(v.value, 100.0 - 70.0, EPS); /* R = 0 */
    /* All 300 lost customers were in S. */
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_CHURN_RATE_EXISTING, 1, 11), 30.0, EPS);
    /* 300 / (1000 + 200) = 25 %. */
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_CHURN_RATE_JOINED, 1, 11), 25.0, EPS);
    rtn_ctx_free(ctx);
}
END_TEST

/* The seeds' formula taken literally: customers who join and leave within
 * the period are subtracted from E although E never counted them.
 * S = 2 (acquired day 0), N = 3 new on day 2 who all churn on day 4:
 * L = 3, E = 2 + 3 - 3 = 2, retention (2 - 3) / 2 = -50 %, churn 3 / 2 =
 * 150 %, churn_rate_existing 0 % (no customer of S left), churn_rate_joined
 * 3 / 5 = 60 %. Bounds are left NaN outside 0..100 %. */
START_TEST(retention_formula_literal)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    uint64_t c;
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 2, 0);
    for (c = 3; c <= 5; c++) {
        tu_push(ctx, RTN_EV_ACQUIRE, TD(2), c, 0);
        tu_push(ctx, RTN_EV_CHURN, TD(4), c, 0);
    }
    v = q(ctx, RTN_METRIC_RETENTION_RATE, 1, 10);
    ck_assert_double_eq_tol(v.value, -50.0, EPS);
    ck_assert(isnan(v.lo) && isnan(v.hi));
    v = q(ctx, RTN_METRIC_CHURN_RATE, 1, 10);
    ck_assert_double_eq_tol(v.value, 150.0, EPS);
    ck_assert(isnan(v.lo));
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CHURN_RATE_EXISTING, 1, 10), 0);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_CHURN_RATE_JOINED, 1, 10), 60.0, EPS);
    rtn_ctx_free(ctx);
}
END_TEST

/* Customer 1 acquired day 0, churns day 5, active again day 10 (activity).
 * The loss is at bucket 5 (active at instant 5, not at 6); the
 * reactivation at bucket 10 (active from instant 11). */
START_TEST(reactivation)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(5) + 7200000, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(10) + 7200000, 1, 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 5), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 6), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 5, 6), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 5), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, 10, 11), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, 0, 10), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 10), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 11), 1);
    /* A reactivation is not a new customer. */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 0, 20), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 6, 20), 0);
    /* Over [3, 12): S = 1, N = 0, R = 1, L = 1, E = 1 = 1 + 0 + 1 - 1;
     * retention (1 - 0) / 1 = 100 % although the customer left and came back,
     * churn 1 / 1 = 100 %. */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_RETENTION_RATE, 3, 12), 100);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CHURN_RATE, 3, 12), 100);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CHURN_RATE_EXISTING, 3, 12), 100);
    rtn_ctx_free(ctx);
}
END_TEST

/* Inactivity window W = 30 days. Activity on days 0, 30 and 61:
 * - day 30 = 0 + W: still active (a start in the loss bucket comes first);
 * - day 61 > 30 + W: lost at bucket 60, reactivated at 61;
 * - after the last start (61) the customer is lost at bucket 91.
 * A page view (not a start event) does not keep anyone active. */
START_TEST(inactivity_window)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 30;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(30) + 1000, 1, 0);
    tu_push(ctx, RTN_EV_PAGE_VIEW, TD(45), 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(61) + 5000, 1, 10);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 60), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 60, 61), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 60), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 61), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, 61, 62), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 62), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 91), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 91, 92), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 92), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 200), 2);
    /* An explicit churn before the window ends takes precedence, and the
     * window then starts again from the next start event. */
    tu_push(ctx, RTN_EV_CHURN, TD(70), 1, 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 70, 71), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 71, 200), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 200), 2);
    rtn_ctx_free(ctx);
}
END_TEST

/* Hour resolution: the window is 24 * days buckets. Activity at hour 0,
 * inactivity 1 day: lost at hour 24, so active at 24:00, not at 25:00. */
START_TEST(inactivity_window_hours)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 1;
    cfg.resolution = RTN_RESOLUTION_HOUR;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACTIVITY, T0 + 10 * 60000, 1, 0);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, T0, T0 + 24 * T_HOUR).value, 1);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, T0, T0 + 25 * T_HOUR).value, 0);
    ck_assert_double_eq(
        tu_query(ctx, RTN_METRIC_CUSTOMERS_LOST, T0 + 24 * T_HOUR, T0 + 25 * T_HOUR).value, 1);
    rtn_ctx_free(ctx);
}
END_TEST

/* A churn for a customer who is not active changes nothing: never seen,
 * already lost, or churned twice. */
START_TEST(churn_inactive_noop)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_push(ctx, RTN_EV_CHURN, TD(1), 7, 0); /* never acquired */
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(2), 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(4), 1, 0); /* already lost */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 10), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 3, 10), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 0, 10), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 10), 0);
    /* Lost at bucket 2: active at instant 2, not at 3. Customer 7 exists
     * (it has an event) but was never active. */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_START, 2, 10), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_START, 3, 10), 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* Start and churn in the same bucket: the start comes first whatever the
 * times within the day, so the customer is acquired and lost at day 3 and
 * is active at no instant. */
START_TEST(start_and_churn_same_bucket)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_push(ctx, RTN_EV_CHURN, TD(3) + 1 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(3) + 20 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(3) + 1 * T_HOUR, 2, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(3) + 20 * T_HOUR, 2, 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 3, 4), 2);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 3, 4), 2);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_START, 3, 4), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 3, 4), 0);
    /* S = 0: retention and churn are undefined, never 0. */
    assert_undefined(ctx, RTN_METRIC_CHURN_RATE, 3, 4);
    assert_undefined(ctx, RTN_METRIC_RETENTION_RATE, 3, 4);
    /* churn_rate_joined = 2 / (0 + 2) = 100 %. */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CHURN_RATE_JOINED, 3, 4), 100);
    /* A lost customer with a start and a churn in one later bucket is
     * reactivated and lost there. */
    tu_push(ctx, RTN_EV_CHURN, TD(7) + 1000, 1, 0);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(7) + 2000, 1, 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, 7, 8), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 7, 8), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 8), 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* The three churn conventions over [1, 11) where they differ.
 * A, B, C, D acquired day 0: S = 4.
 * A churns day 3. B churns day 3, comes back day 5, churns day 7.
 * E is new on day 2 and churns day 4. F is new on day 6.
 * L = A + 2 * B + E = 4, N = 2, R = 1, E = C + D + F = 3 = 4 + 2 + 1 - 4.
 * churn_rate = 4 / 4 = 100 %; churn_rate_existing = {A, B} / 4 = 50 %;
 * churn_rate_joined = 4 / (4 + 2) = 66.67 %; retention (3 - 2) / 4 = 25 %. */
START_TEST(churn_conventions)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    uint64_t c;
    rtn_value v;
    for (c = 1; c <= 4; c++)
        tu_push(ctx, RTN_EV_ACQUIRE, TD(0), c, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(3), 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(3), 2, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(5), 2, 9.5);
    tu_push(ctx, RTN_EV_CHURN, TD(7), 2, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(2), 5, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(4), 5, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(6), 6, 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_START, 1, 11), 4);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 1, 11), 4);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 1, 11), 2);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, 1, 11), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 1, 11), 3);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_CHURN_RATE, 1, 11), 100.0, EPS);
    v = q(ctx, RTN_METRIC_CHURN_RATE_EXISTING, 1, 11);
    ck_assert_double_eq_tol(v.value, 50.0, EPS);
    ck_assert_double_eq(v.numerator, 2);
    ck_assert_double_eq(v.denominator, 4);
    v = q(ctx, RTN_METRIC_CHURN_RATE_JOINED, 1, 11);
    ck_assert_double_eq_tol(v.value, 400.0 / 6.0, EPS);
    ck_assert_double_eq(v.denominator, 6);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_RETENTION_RATE, 1, 11), 25.0, EPS);
    /* An empty period [5, 5): S = E = 4 - 2 + 1 = 3, nothing lost. */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CHURN_RATE_EXISTING, 5, 5), 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_RETENTION_RATE, 5, 5), 100);
    rtn_ctx_free(ctx);
}
END_TEST

/* Purchases over [1, 5):
 *   c1: day 1 10.00 (quantity 2), day 2 20.00       -> 2 purchases
 *   c2: day 1 5.00 and day 1 15.00 (same day)       -> 2
 *   c3: day 3 50.00                                  -> 1
 *   c4: day 0 1000, day 5 1000 (both outside)        -> not a buyer
 *   c5: day 0 7.00 (outside), day 2 100.00           -> 1
 * buyers 4, repeat buyers 2: 50 %; frequency 6 / 4 = 1.5;
 * revenue 200 / 6 purchases = 33.33; items sold 2+1+1+1+1+1 = 7,
 * returned 1 (c3 day 4; c1's return on day 6 is outside): 1 / 7. */
START_TEST(purchases)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_event e = tu_ev(RTN_EV_PURCHASE, TD(1), 1, 10.0);
    rtn_value v;
    e.quantity = 2;
    tu_push_ev(ctx, &e);
    tu_push(ctx, RTN_EV_PURCHASE, TD(2), 1, 20.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(1) + 1000, 2, 5.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(1) + 2000, 2, 15.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(3), 3, 50.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 4, 1000.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(5), 4, 1000.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 5, 7.0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(2), 5, 100.0);
    tu_push(ctx, RTN_EV_RETURN, TD(4), 3, 50.0);
    tu_push(ctx, RTN_EV_RETURN, TD(6), 1, 10.0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_BUYERS, 1, 5), 4);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_PURCHASES, 1, 5), 6);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_REVENUE, 1, 5), 200.0, EPS);
    v = q(ctx, RTN_METRIC_REPEAT_PURCHASE_RATIO, 1, 5);
    ck_assert_double_eq_tol(v.value, 50.0, EPS);
    ck_assert_double_eq(v.numerator, 2);
    ck_assert_double_eq(v.denominator, 4);
    ck_assert(v.lo < 50 && v.hi > 50);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_PURCHASE_FREQUENCY, 1, 5), 1.5, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_AVERAGE_ORDER_VALUE, 1, 5), 200.0 / 6.0, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_PRODUCT_RETURN_RATE, 1, 5), 100.0 / 7.0, EPS);
    /* Over [0, 6): every purchase: c1 2, c2 2, c3 1, c4 2, c5 2 -> buyers 5,
     * repeat 4 (80 %), 9 purchases, revenue 2207, items 10, returns 1. */
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_REPEAT_PURCHASE_RATIO, 0, 6), 80.0, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_PURCHASE_FREQUENCY, 0, 6), 9.0 / 5.0, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_AVERAGE_ORDER_VALUE, 0, 6), 2207.0 / 9.0, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_PRODUCT_RETURN_RATE, 0, 6), 10.0, EPS);
    /* Over [2, 3): c1 and c5 buy once each: repeat 0 of 2. */
    ck_assert_double_eq(qv(ctx, RTN_METRIC_REPEAT_PURCHASE_RATIO, 2, 3), 0);
    /* No purchase in [10, 20): undefined, not 0. */
    assert_undefined(ctx, RTN_METRIC_REPEAT_PURCHASE_RATIO, 10, 20);
    assert_undefined(ctx, RTN_METRIC_PURCHASE_FREQUENCY, 10, 20);
    assert_undefined(ctx, RTN_METRIC_AVERAGE_ORDER_VALUE, 10, 20);
    assert_undefined(ctx, RTN_METRIC_PRODUCT_RETURN_RATE, 10, 20);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_BUYERS, 10, 20), 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* Money keeps 1/10000 units exactly: 0.1 + 0.2 is 0.3. */
START_TEST(money_precision)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 1, 0.1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 2, 0.2);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 3, 0.00004); /* rounds to 0 */
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 4, 0.00005); /* rounds to 0.0001 */
    ck_assert(qv(ctx, RTN_METRIC_REVENUE, 0, 1) == 0.3001);
    rtn_ctx_free(ctx);
}
END_TEST

/* Loyalty with k = 2 purchases in the trailing W = 10 days, at `to`:
 *   A buys days 0 and 9; B buys twice on day 5; C buys days 1 and 2 and
 *   churns day 3 (active at instant 3, not at 4).
 * t=3:  active A, C; loyal C ([-7, 3) holds days 1, 2)       -> 50 %
 * t=4:  active A; A has 1 purchase in [-6, 4)                 -> 0 %
 * t=10: active A, B; A: days 0, 9 in [0, 10); B: 2 on day 5   -> 100 %
 * t=11: A: only day 9 in [1, 11)                              -> 50 %
 * t=15: B: day 5 in [5, 15); t=16: [6, 16) holds nothing      -> 50 %, 0 % */
START_TEST(loyal_rate)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_value v;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.loyal_min_purchases = 2;
    cfg.loyal_window_days = 10;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_PURCHASE, TD(0), 1, 1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(9), 1, 1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(5), 2, 1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(5) + 1000, 2, 1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(1), 3, 1);
    tu_push(ctx, RTN_EV_PURCHASE, TD(2), 3, 1);
    tu_push(ctx, RTN_EV_CHURN, TD(3), 3, 0);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 3, 3), 50, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 4, 4), 0, EPS);
    v = q(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 0, 10);
    ck_assert_double_eq_tol(v.value, 100, EPS);
    ck_assert_double_eq(v.denominator, 2);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 11, 11), 50, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 15, 15), 50, EPS);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 0, 16), 0, EPS);
    /* Instant metric: `from` does not matter. */
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 12, 15), 50, EPS);
    /* Nobody active at t = 0: undefined. */
    assert_undefined(ctx, RTN_METRIC_LOYAL_CUSTOMER_RATE, 0, 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* CLV with margin 0.5. c1..c4 acquired day 0 (S = 4 over [1, 11)).
 * c1 buys 100 (day 2) and 50 (day 3); c2 buys 30 (day 4); c3 churns day 5.
 * AOV 180 / 3 = 60, frequency 3 / 2 = 1.5, churn 1 / 4, lifespan 4:
 * 60 * 1.5 * 4 * 0.5 = 180. Over [1, 5) no one churns: undefined. */
START_TEST(clv)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    uint64_t c;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.gross_margin = 0.5;
    ctx = tu_ctx(&cfg);
    for (c = 1; c <= 4; c++)
        tu_push(ctx, RTN_EV_ACQUIRE, TD(0), c, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(2), 1, 100);
    tu_push(ctx, RTN_EV_PURCHASE, TD(3), 1, 50);
    tu_push(ctx, RTN_EV_PURCHASE, TD(4), 2, 30);
    tu_push(ctx, RTN_EV_CHURN, TD(5), 3, 0);
    ck_assert_double_eq_tol(qv(ctx, RTN_METRIC_CUSTOMER_LIFETIME_VALUE, 1, 11), 180.0, 1e-9);
    assert_undefined(ctx, RTN_METRIC_CUSTOMER_LIFETIME_VALUE, 1, 5);
    /* Churn but no purchase in the period: undefined too. */
    assert_undefined(ctx, RTN_METRIC_CUSTOMER_LIFETIME_VALUE, 5, 6);
    rtn_ctx_free(ctx);
}
END_TEST

/* Referrals over [0, 10): c1 acquired with numeric referrer 100, c2
 * without, c3 with string referrer "alice", c4 acquired before the period
 * with a referrer. referrals 2, referral_rate 2 / 3. */
START_TEST(referrals)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_event e;
    rtn_value v;
    tu_push_ref(ctx, RTN_EV_ACQUIRE, TD(1), 1, 0, 100);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(2), 2, 0);
    e = tu_ev(RTN_EV_ACQUIRE, TD(3), 3, 0);
    e.ref_str = "alice";
    e.ref_len = 5;
    tu_push_ev(ctx, &e);
    tu_push_ref(ctx, RTN_EV_ACQUIRE, TD(-3), 4, 0, 100);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_REFERRALS, 0, 10), 2);
    v = q(ctx, RTN_METRIC_REFERRAL_RATE, 0, 10);
    ck_assert_double_eq_tol(v.value, 200.0 / 3.0, EPS);
    ck_assert_double_eq(v.denominator, 3);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_REFERRALS, -5, 10), 3);
    assert_undefined(ctx, RTN_METRIC_REFERRAL_RATE, 20, 30);
    /* A referrer on a later acquire event marks the customer's first
     * acquisition as referred (c2's acquisition on day 2). */
    tu_push_ref(ctx, RTN_EV_ACQUIRE, TD(6), 2, 0, 5);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_REFERRALS, 2, 3), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_REFERRALS, 0, 10), 3);
    rtn_ctx_free(ctx);
}
END_TEST

/* A byte-string id that spells a number is a different customer. */
START_TEST(string_ids_never_merged)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_stats st;
    tu_push(ctx, RTN_EV_ACQUIRE, TD(0), 42, 0);
    push_str(ctx, RTN_EV_ACQUIRE, TD(0), "42", 0);
    push_str(ctx, RTN_EV_ACQUIRE, TD(0), "042", 0);
    push_str(ctx, RTN_EV_CHURN, TD(2), "42", 0);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 0, 5), 3);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 5), 1);
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_END, 0, 5), 2);
    /* Bytes are kept exactly, including NUL and high bytes. */
    {
        rtn_event e = tu_ev(RTN_EV_ACQUIRE, TD(1), 0, 0);
        e.customer_str = "a\0b\xff";
        e.customer_len = 4;
        tu_push_ev(ctx, &e);
        e.customer_len = 3;
        tu_push_ev(ctx, &e);
        e.customer_len = 1;
        tu_push_ev(ctx, &e);
    }
    ck_assert_double_eq(qv(ctx, RTN_METRIC_CUSTOMERS_NEW, 0, 5), 6);
    rtn_stats_init(&st, sizeof st);
    ck_assert_int_eq(rtn_ctx_stats(&st, ctx), RTN_OK);
    ck_assert_uint_eq(st.customers, 6);
    ck_assert_uint_eq(st.events, 7);
    rtn_ctx_free(ctx);
}
END_TEST

/* Ratios with a zero denominator are undefined: NaN, defined 0, the
 * numerator and denominator still reported, no bounds. Counts are 0. */
START_TEST(undefined_results)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v = q(ctx, RTN_METRIC_CHURN_RATE, 0, 10);
    ck_assert_int_eq(v.defined, 0);
    ck_assert(isnan(v.value) && isnan(v.lo) && isnan(v.hi));
    ck_assert_double_eq(v.numerator, 0);
    ck_assert_double_eq(v.denominator, 0);
    v = q(ctx, RTN_METRIC_CUSTOMERS_LOST, 0, 10);
    ck_assert_int_eq(v.defined, 1);
    ck_assert_double_eq(v.value, 0);
    ck_assert_int_eq(v.from, TD(0));
    ck_assert_int_eq(v.to, TD(10));
    rtn_ctx_free(ctx);
}
END_TEST

/* Query bounds are floored to the resolution. */
START_TEST(bounds_floored)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v;
    tu_push(ctx, RTN_EV_ACQUIRE, TD(2) + 5 * T_HOUR, 1, 0);
    v = tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(2) + 12 * T_HOUR, TD(3) - 1);
    /* [day 2, day 2) after flooring: empty. */
    ck_assert_int_eq(v.from, TD(2));
    ck_assert_int_eq(v.to, TD(2));
    ck_assert_double_eq(v.value, 0);
    v = tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(2) + 12 * T_HOUR, TD(3));
    ck_assert_double_eq(v.value, 1);
    rtn_ctx_free(ctx);
}
END_TEST

static size_t series(rtn_ctx *ctx, int metric, int64_t from, int64_t to, int every, rtn_value *out,
                     size_t cap)
{
    size_t n = 0, i;
    int rc;
    for (i = 0; i < cap; i++)
        rtn_value_init(&out[i], sizeof out[i]);
    rc = rtn_query_series(out, cap, &n, ctx, metric, from, to, every, NULL);
    ck_assert_msg(rc == RTN_OK, "series: %d %s", rc, rtn_ctx_last_error(ctx));
    return n;
}

static int64_t utc(int y, unsigned m, unsigned d)
{
    /* 2026-01-01 is T0; other dates by the day count from the library's
     * own convention checked in test_internal. */
    static const int64_t days_2026_01_01 = 20454;
    int64_t days;
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;
    return T0 + (days - days_2026_01_01) * T_DAY;
}

/* Weeks: ISO weeks start on Monday; 2025-12-29 is a Monday. From
 * Wednesday 2025-12-31 to Monday 2026-01-12: [Dec 31, Jan 5) clipped and
 * [Jan 5, Jan 12). Months and quarters across the year boundary. */
START_TEST(series_calendar)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_value v[8];
    size_t n;
    ck_assert_int_eq(utc(2026, 1, 1), T0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2025, 12, 31), 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2026, 1, 4) + 23 * T_HOUR, 2, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2026, 1, 5), 3, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2025, 11, 20), 4, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2026, 2, 3), 5, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2025, 9, 30), 6, 0);

    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, utc(2025, 12, 31), utc(2026, 1, 12), RTN_EVERY_WEEK,
               v, 8);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v[0].from, utc(2025, 12, 31));
    ck_assert_int_eq(v[0].to, utc(2026, 1, 5));
    ck_assert_int_eq(v[1].from, utc(2026, 1, 5));
    ck_assert_int_eq(v[1].to, utc(2026, 1, 12));
    ck_assert_double_eq(v[0].value, 2);
    ck_assert_double_eq(v[1].value, 1);

    /* [Nov 15, Feb 10): Nov 15..Dec 1, Dec, Jan, Feb 1..10. */
    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, utc(2025, 11, 15), utc(2026, 2, 10), RTN_EVERY_MONTH,
               v, 8);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(v[0].to, utc(2025, 12, 1));
    ck_assert_int_eq(v[1].from, utc(2025, 12, 1));
    ck_assert_int_eq(v[2].from, utc(2026, 1, 1));
    ck_assert_int_eq(v[3].from, utc(2026, 2, 1));
    ck_assert_int_eq(v[3].to, utc(2026, 2, 10));
    ck_assert_double_eq(v[0].value, 1);
    ck_assert_double_eq(v[1].value, 1);
    ck_assert_double_eq(v[2].value, 2);
    ck_assert_double_eq(v[3].value, 1);
    /* Each bucket equals the plain query over it. */
    ck_assert_double_eq(v[2].value,
                        tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, v[2].from, v[2].to).value);

    /* Quarters [Aug 1 2025, Apr 1 2026): Q3 (clipped), Q4, Q1. */
    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, utc(2025, 8, 1), utc(2026, 4, 1), RTN_EVERY_QUARTER,
               v, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(v[0].from, utc(2025, 8, 1));
    ck_assert_int_eq(v[1].from, utc(2025, 10, 1));
    ck_assert_int_eq(v[2].from, utc(2026, 1, 1));
    ck_assert_int_eq(v[2].to, utc(2026, 4, 1));
    ck_assert_double_eq(v[0].value, 1);
    ck_assert_double_eq(v[1].value, 2);
    ck_assert_double_eq(v[2].value, 3);

    /* Days; an instant metric per day. */
    n = series(ctx, RTN_METRIC_CUSTOMERS_END, utc(2026, 1, 3), utc(2026, 1, 6), RTN_EVERY_DAY, v,
               8);
    ck_assert_uint_eq(n, 3);
    ck_assert_double_eq(v[0].value, 3); /* at Jan 4: customers 6, 4, 1 */
    ck_assert_double_eq(v[1].value, 4); /* at Jan 5: + 2 (acquired Jan 4, 23:00) */
    ck_assert_double_eq(v[2].value, 5); /* at Jan 6: + 3 */

    /* An empty period has no buckets. */
    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, utc(2026, 1, 3), utc(2026, 1, 3), RTN_EVERY_DAY, v,
               8);
    ck_assert_uint_eq(n, 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* Local days at UTC+2: an acquisition at 2026-01-31T23:00Z is on
 * February 1st locally. Bucket bounds are local midnights. */
START_TEST(series_day_offset)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_value v[4];
    size_t n;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.day_offset_minutes = 120;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2026, 1, 31) + 23 * T_HOUR, 1, 0);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2026, 1, 31) + 21 * T_HOUR, 2, 0);
    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, utc(2026, 1, 1), utc(2026, 3, 1), RTN_EVERY_MONTH, v,
               4);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v[0].from, utc(2026, 1, 1) - 2 * T_HOUR);
    ck_assert_int_eq(v[1].from, utc(2026, 2, 1) - 2 * T_HOUR);
    ck_assert_int_eq(v[1].to, utc(2026, 3, 1) - 2 * T_HOUR);
    ck_assert_double_eq(v[0].value, 1);
    ck_assert_double_eq(v[1].value, 1);
    rtn_ctx_free(ctx);
    /* Negative offset (UTC-5): 2026-01-01T03:00Z is still Dec 31. */
    cfg.day_offset_minutes = -300;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACQUIRE, utc(2026, 1, 1) + 3 * T_HOUR, 1, 0);
    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, utc(2025, 12, 1) + 5 * T_HOUR,
               utc(2026, 2, 1) + 5 * T_HOUR, RTN_EVERY_MONTH, v, 4);
    ck_assert_uint_eq(n, 2);
    ck_assert_double_eq(v[0].value, 1);
    ck_assert_double_eq(v[1].value, 0);
    rtn_ctx_free(ctx);
}
END_TEST

/* Hour resolution: an acquisition at 10:30 is in the 10:00 bucket; daily
 * series buckets are 24 hours; query bounds floor to the hour. */
START_TEST(hour_resolution)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_value v[4];
    size_t n;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.resolution = RTN_RESOLUTION_HOUR;
    ctx = tu_ctx(&cfg);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(1) + 10 * T_HOUR + 30 * 60000, 1, 0);
    tu_push(ctx, RTN_EV_CHURN, TD(1) + 15 * T_HOUR, 1, 0);
    ck_assert_double_eq(
        tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(1) + 10 * T_HOUR, TD(1) + 11 * T_HOUR).value, 1);
    ck_assert_double_eq(
        tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(1) + 11 * T_HOUR, TD(1) + 12 * T_HOUR).value, 0);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, T0, TD(1) + 11 * T_HOUR - 1).value,
                        0);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, T0, TD(1) + 11 * T_HOUR).value, 1);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, T0, TD(1) + 15 * T_HOUR).value, 1);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, T0, TD(1) + 16 * T_HOUR).value, 0);
    n = series(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(0) + 12 * T_HOUR, TD(2) + 6 * T_HOUR,
               RTN_EVERY_DAY, v, 4);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(v[0].from, TD(0) + 12 * T_HOUR);
    ck_assert_int_eq(v[0].to, TD(1));
    ck_assert_int_eq(v[1].to, TD(2));
    ck_assert_int_eq(v[2].to, TD(2) + 6 * T_HOUR);
    ck_assert_double_eq(v[0].value, 0);
    ck_assert_double_eq(v[1].value, 1);
    ck_assert_double_eq(v[2].value, 0);
    rtn_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, worked_example);
    tcase_add_test(tc, retention_formula_literal);
    tcase_add_test(tc, reactivation);
    tcase_add_test(tc, inactivity_window);
    tcase_add_test(tc, inactivity_window_hours);
    tcase_add_test(tc, churn_inactive_noop);
    tcase_add_test(tc, start_and_churn_same_bucket);
    tcase_add_test(tc, churn_conventions);
    tcase_add_test(tc, purchases);
    tcase_add_test(tc, money_precision);
    tcase_add_test(tc, loyal_rate);
    tcase_add_test(tc, clv);
    tcase_add_test(tc, referrals);
    tcase_add_test(tc, string_ids_never_merged);
    tcase_add_test(tc, undefined_results);
    tcase_add_test(tc, bounds_floored);
    tcase_add_test(tc, series_calendar);
    tcase_add_test(tc, series_day_offset);
    tcase_add_test(tc, hour_resolution);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
