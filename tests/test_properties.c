/*
 * test_properties.c: the properties every change keeps, on generated
 * streams: order independence, independence from when queries apply the
 * pushed changes, and E = S + N + R - L.
 */
#include "testutil.h"

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

static void check_order_independence(const rtn_config *cfg, uint64_t seed, size_t n,
                                     uint32_t customers, uint32_t days)
{
    tu_stream s;
    rtn_ctx *a = tu_ctx(cfg), *b = tu_ctx(cfg);
    char why[512];
    tu_stream_gen(&s, seed, n, customers, days);
    tu_push_all(a, s.ev, s.n);
    tu_shuffle(s.ev, s.n, seed ^ 0x5eed);
    tu_push_all(b, s.ev, s.n);
    ck_assert_msg(tu_compare_all(a, b, days, why, sizeof why) == 0, "seed %llu: %s",
                  (unsigned long long)seed, why);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}

START_TEST(order_independence_default)
{
    uint64_t seed;
    for (seed = 1; seed <= 6; seed++)
        check_order_independence(NULL, seed * 7919 + (uint64_t)_i, 3000, 150, 120);
}
END_TEST

START_TEST(order_independence_inactivity_hour)
{
    rtn_config cfg;
    uint64_t seed;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 14;
    cfg.resolution = _i ? RTN_RESOLUTION_HOUR : RTN_RESOLUTION_DAY;
    cfg.day_offset_minutes = _i ? -300 : 120;
    cfg.loyal_min_purchases = 2;
    cfg.loyal_window_days = 30;
    for (seed = 1; seed <= 4; seed++)
        check_order_independence(&cfg, seed * 104729 + (uint64_t)_i, 2500, 120, 100);
}
END_TEST

/* Pushes leave contribution differences to the next query (or apply them
 * at once under a memory cap). The results do not depend on when that
 * happens: never until the end, after every few events, or at every push. */
static void check_fold_points(const rtn_config *cfg, uint64_t seed)
{
    tu_stream s;
    rtn_config capped = *cfg;
    rtn_ctx *a, *b, *c;
    char why[512];
    size_t i, next;
    uint64_t r = seed;
    capped.memory_cap = UINT64_C(1) << 40;
    a = tu_ctx(cfg);
    b = tu_ctx(cfg);
    c = tu_ctx(&capped);
    tu_stream_gen(&s, seed, 3000, 120, 100);
    tu_push_all(a, s.ev, s.n);
    /* Queries at random points: customers are changed, folded and changed again. */
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    next = (size_t)(r >> 59);
    for (i = 0; i < s.n; i++) {
        tu_push_ev(b, &s.ev[i]);
        tu_push_ev(c, &s.ev[i]);
        ck_assert_uint_eq(c->ndirty, 0);
        if (i == next) {
            rtn_value v;
            rtn_value_init(&v, sizeof v);
            ck_assert_uint_gt(b->ndirty, 0);
            ck_assert_int_eq(rtn_query(&v, b, RTN_METRIC_RETENTION_RATE, TD(0), TD(50), NULL),
                             RTN_OK);
            ck_assert_uint_eq(b->ndirty, 0);
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            next = i + 1 + (size_t)(r >> 58);
        }
    }
    ck_assert_msg(tu_compare_all(a, b, 100, why, sizeof why) == 0, "seed %llu, folds: %s",
                  (unsigned long long)seed, why);
    ck_assert_msg(tu_compare_all(a, c, 100, why, sizeof why) == 0, "seed %llu, capped: %s",
                  (unsigned long long)seed, why);
    for (i = 0; i < a->cust.n; i++)
        ck_assert_uint_eq(rtn__cust_flags(&a->cust.c[i]) & RTN_CF_DIRTY, 0);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    rtn_ctx_free(c);
    tu_stream_free(&s);
}

START_TEST(fold_points_do_not_matter)
{
    rtn_config cfg;
    uint64_t seed;
    rtn_config_init(&cfg, sizeof cfg);
    if (_i) {
        cfg.inactivity_days = 14;
        cfg.resolution = RTN_RESOLUTION_HOUR;
        cfg.loyal_min_purchases = 2;
        cfg.loyal_window_days = 30;
    }
    for (seed = 1; seed <= 3; seed++)
        check_fold_points(&cfg, seed * 15485863 + (uint64_t)_i);
}
END_TEST

START_TEST(identity_e_equals_s_n_r_l)
{
    rtn_config cfg;
    tu_stream s;
    rtn_ctx *ctx;
    int d0, d1;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = _i ? 10 : 0;
    ctx = tu_ctx(&cfg);
    tu_stream_gen(&s, 4242 + (uint64_t)_i, 6000, 300, 90);
    tu_push_all(ctx, s.ev, s.n);
    for (d0 = -5; d0 < 100; d0 += 7)
        for (d1 = d0; d1 < 130; d1 += 11) {
            double S = tu_query(ctx, RTN_METRIC_CUSTOMERS_START, TD(d0), TD(d1)).value;
            double E = tu_query(ctx, RTN_METRIC_CUSTOMERS_END, TD(d0), TD(d1)).value;
            double N = tu_query(ctx, RTN_METRIC_CUSTOMERS_NEW, TD(d0), TD(d1)).value;
            double R = tu_query(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, TD(d0), TD(d1)).value;
            double L = tu_query(ctx, RTN_METRIC_CUSTOMERS_LOST, TD(d0), TD(d1)).value;
            ck_assert_msg(E == S + N + R - L, "[%d,%d): E=%g S=%g N=%g R=%g L=%g", d0, d1, E, S, N, R, L);
            ck_assert(S >= 0 && E >= 0 && L <= S + N + R);
        }
    rtn_ctx_free(ctx);
    tu_stream_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("properties");
    TCase *tc = tcase_create("properties");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, order_independence_default, 0, 2);
    tcase_add_loop_test(tc, order_independence_inactivity_hour, 0, 2);
    tcase_add_loop_test(tc, fold_points_do_not_matter, 0, 2);
    tcase_add_loop_test(tc, identity_e_equals_s_n_r_l, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
