/*
 * test_engine.c: the contribution engine (contrib.c) on busy customers:
 * customers with hundreds of day entries, whose contribution lists differ
 * in the middle, at both ends or not at all from one change to the next,
 * give the same results whatever the order of events, including late
 * events and reactivations.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static int by_customer(const void *x, const void *y)
{
    const rtn_event *a = x, *b = y;
    if (a->customer != b->customer)
        return a->customer < b->customer ? -1 : 1;
    return a->time < b->time ? -1 : a->time > b->time;
}

static int by_time_desc(const void *x, const void *y)
{
    const rtn_event *a = x, *b = y;
    return a->time > b->time ? -1 : a->time < b->time;
}

/* A few customers with hundreds of events each, pushed in four orders:
 * generated (random), time order reversed (every event late), grouped by
 * customer in time order (every change at the end of the lists), and
 * shuffled. */
static void busy_orders(const rtn_config *cfg, uint64_t seed, uint32_t days)
{
    tu_stream s;
    rtn_ctx *ctx[4];
    char why[512];
    int k;
    tu_stream_gen(&s, seed, 4000, 10, days);
    for (k = 0; k < 4; k++) {
        ctx[k] = tu_ctx(cfg);
        if (k == 1)
            qsort(s.ev, s.n, sizeof *s.ev, by_time_desc);
        else if (k == 2)
            qsort(s.ev, s.n, sizeof *s.ev, by_customer);
        else if (k == 3)
            tu_shuffle(s.ev, s.n, seed + 99);
        tu_push_all(ctx[k], s.ev, s.n);
    }
    for (k = 1; k < 4; k++)
        ck_assert_msg(tu_compare_all(ctx[0], ctx[k], days, why, sizeof why) == 0,
                      "seed %llu order %d: %s", (unsigned long long)seed, k, why);
    for (k = 0; k < 4; k++)
        rtn_ctx_free(ctx[k]);
    tu_stream_free(&s);
}

START_TEST(busy_customers_order_independence)
{
    busy_orders(NULL, 1000 + (uint64_t)_i, 150);
}
END_TEST

START_TEST(busy_customers_inactivity_loyalty)
{
    rtn_config cfg;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 5;
    cfg.loyal_min_purchases = 4;
    cfg.loyal_window_days = 20;
    busy_orders(&cfg, 2000 + (uint64_t)_i, 200);
}
END_TEST

START_TEST(busy_customers_hours)
{
    rtn_config cfg;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.resolution = RTN_RESOLUTION_HOUR;
    cfg.inactivity_days = 2;
    cfg.day_offset_minutes = 330;
    busy_orders(&cfg, 3000 + (uint64_t)_i, 60);
}
END_TEST

/* E = S + N + R - L and the status counts against a direct count over
 * customers with hundreds of entries: one customer, a churn every 10 days
 * and activity on every other day. */
START_TEST(busy_customer_by_hand)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    int d;
    for (d = 0; d < 300; d += 2)
        tu_push(ctx, RTN_EV_ACTIVITY, TD(d), 1, 0);
    for (d = 9; d < 300; d += 10)
        tu_push(ctx, RTN_EV_CHURN, TD(d), 1, 0);
    /* Starts on even days; a churn on day 10m + 9 loses the customer, the
     * next even day (10m + 10) reactivates it: 30 losses, 29 reactivations. */
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_LOST, TD(0), TD(300)).value, 30);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, TD(0), TD(300)).value, 29);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(300)).value, 1);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, TD(0), TD(299)).value, 1);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_END, TD(0), TD(300)).value, 0);
    /* A late purchase on day 9 changes nothing in the status. */
    tu_push(ctx, RTN_EV_PURCHASE, TD(9), 1, 5);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_LOST, TD(0), TD(300)).value, 30);
    /* A late activity on day 139 (after the churn of 139? same bucket:
     * starts come first) keeps it lost at 139. */
    tu_push(ctx, RTN_EV_ACTIVITY, TD(139), 1, 0);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_LOST, TD(139), TD(140)).value, 1);
    ck_assert_double_eq(tu_query(ctx, RTN_METRIC_CUSTOMERS_LOST, TD(0), TD(300)).value, 30);
    rtn_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, busy_customers_order_independence, 0, 2);
    tcase_add_loop_test(tc, busy_customers_inactivity_loyalty, 0, 2);
    tcase_add_loop_test(tc, busy_customers_hours, 0, 2);
    tcase_add_test(tc, busy_customer_by_hand);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
