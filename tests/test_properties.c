/*
 * test_properties.c: the properties every change keeps, on generated
 * streams: order independence, independence from when queries apply the
 * pushed changes, batches against single pushes, and E = S + N + R - L.
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

/* rtn_push_batch looks ahead at the events after the current one. Whatever
 * the batch sizes, runs of one customer, numeric and string ids and refused
 * events among them, it accepts and refuses exactly what rtn_push does,
 * one event at a time, and leaves the same context. The refused ids are
 * never read: their lengths exceed the 4 bytes behind them, which the
 * sanitizers would catch. */
static void check_batch(uint64_t seed)
{
    static const char tiny[4] = {'a', 'b', 'c', 'd'};
    tu_stream s;
    rtn_ctx *a = tu_ctx(NULL), *b = tu_ctx(NULL);
    tu_rng r = {seed};
    char why[512];
    size_t i, nbad = 0, nfail = 0;
    unsigned char *bad;
    tu_stream_gen(&s, seed, 4000, 200, 90);
    /* Runs of one customer: events next to each other share it. */
    for (i = 1; i < s.n; i++)
        if (tu_below(&r, 3) == 0) {
            s.ev[i].customer = s.ev[i - 1].customer;
            s.ev[i].customer_str = s.ev[i - 1].customer_str;
            s.ev[i].customer_len = s.ev[i - 1].customer_len;
        }
    for (i = 0; i < s.n; i += 1 + tu_below(&r, 40)) {
        rtn_event *e = &s.ev[i];
        switch (tu_below(&r, 4)) {
        case 0: e->customer_str = tiny; e->customer_len = RTN_ID_MAX + 1; break;
        case 1: e->customer_str = NULL; e->customer_len = 7; break;
        case 2: e->customer_str = tiny; e->customer_len = 0; break;
        default: e->type = 999; break;
        }
    }
    bad = calloc(s.n, 1);
    ck_assert_ptr_nonnull(bad);
    for (i = 0; i < s.n; i++)
        if (rtn_push(a, &s.ev[i]) != RTN_OK) {
            bad[i] = 1;
            nbad++;
        }
    ck_assert_uint_gt(nbad, 50);
    for (i = 0; i < s.n;) {
        size_t m = 1 + tu_below(&r, 300), acc = 99;
        int rc;
        if (m > s.n - i)
            m = s.n - i;
        rc = rtn_push_batch(b, s.ev + i, m, &acc);
        ck_assert_uint_le(acc, m);
        for (; acc > 0; acc--, i++)
            ck_assert_msg(!bad[i], "seed %llu: event %zu accepted in a batch", (unsigned long long)seed, i);
        if (rc != RTN_OK) {
            ck_assert_msg(bad[i], "seed %llu: event %zu refused in a batch (%s)", (unsigned long long)seed,
                          i, rtn_ctx_last_error(b));
            nfail++;
            i++;
        }
    }
    ck_assert_uint_eq(nfail, nbad);
    ck_assert_uint_eq(a->events, b->events);
    ck_assert_uint_eq(a->cust.n, b->cust.n);
    ck_assert_msg(tu_compare_all(a, b, 90, why, sizeof why) == 0, "seed %llu: %s",
                  (unsigned long long)seed, why);
    free(bad);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}

START_TEST(batch_equals_single_pushes)
{
    uint64_t seed;
    for (seed = 1; seed <= 3; seed++)
        check_batch(seed * 7727 + (uint64_t)_i);
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
    tcase_add_loop_test(tc, batch_equals_single_pushes, 0, 2);
    tcase_add_loop_test(tc, identity_e_equals_s_n_r_l, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
