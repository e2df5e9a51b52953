/*
 * test_api.c: the public API contract: every bad input gets its own status
 * code and leaves every metric unchanged, messages, versions, the metric
 * catalogue, stats, struct sizes and batch pushes.
 */
#include "testutil.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS 60

/* Two contexts fed the same valid stream: `a` then receives bad calls and
 * must still answer exactly like `b`. */
typedef struct twin {
    rtn_ctx *a, *b;
    tu_stream s;
    rtn_stats st;
} twin;

static void twin_open(twin *t, const rtn_config *cfg)
{
    t->a = tu_ctx(cfg);
    t->b = tu_ctx(cfg);
    tu_stream_gen(&t->s, 77, 1500, 80, DAYS);
    tu_push_all(t->a, t->s.ev, t->s.n);
    tu_push_all(t->b, t->s.ev, t->s.n);
    rtn_stats_init(&t->st, sizeof t->st);
    ck_assert_int_eq(rtn_ctx_stats(&t->st, t->a), RTN_OK);
}

static void twin_check(twin *t)
{
    char why[512];
    rtn_stats st;
    rtn_stats_init(&st, sizeof st);
    ck_assert_int_eq(rtn_ctx_stats(&st, t->a), RTN_OK);
    ck_assert_uint_eq(st.events, t->st.events);
    ck_assert_uint_eq(st.customers, t->st.customers);
    ck_assert_int_eq(st.first_time, t->st.first_time);
    ck_assert_int_eq(st.last_time, t->st.last_time);
    ck_assert_msg(tu_compare_all(t->a, t->b, DAYS, why, sizeof why) == 0, "%s", why);
}

static void twin_close(twin *t)
{
    rtn_ctx_free(t->a);
    rtn_ctx_free(t->b);
    tu_stream_free(&t->s);
}

/* Push a bad event and require `code` and a detail message. */
static void bad(rtn_ctx *ctx, const rtn_event *e, int code)
{
    int rc = rtn_push(ctx, e);
    ck_assert_msg(rc == code, "type %d value %g time %lld: got %d (%s), want %d", e->type, e->value,
                  (long long)e->time, rc, rtn_ctx_last_error(ctx), code);
    ck_assert_str_ne(rtn_ctx_last_error(ctx), "");
}

START_TEST(bad_events)
{
    twin t;
    rtn_event e;
    static const int money_types[] = {RTN_EV_PURCHASE, RTN_EV_RETURN, RTN_EV_SUBSCRIPTION};
    static const double bad_amounts[] = {-0.01, -1e9, 1e13};
    size_t i;
    twin_open(&t, NULL);

    /* NULL pointers. */
    e = tu_ev(RTN_EV_ACQUIRE, TD(1), 5000, 0);
    ck_assert_int_eq(rtn_push(NULL, &e), RTN_EINVAL);
    ck_assert_int_eq(rtn_push(t.a, NULL), RTN_EINVAL);
    /* Wrong struct size. */
    e.size = 8;
    bad(t.a, &e, RTN_EINVAL);
    e.size = sizeof e + 8;
    bad(t.a, &e, RTN_EINVAL);
    /* Unknown types. */
    for (i = 0; i < 4; i++) {
        static const int types[] = {0, -1, 20, 1000};
        e = tu_ev(types[i], TD(1), 5000, 0);
        bad(t.a, &e, RTN_ETYPE);
    }
    /* Absurd times: before 1970, at or after 2200, huge. */
    e = tu_ev(RTN_EV_ACQUIRE, -1, 5000, 0);
    bad(t.a, &e, RTN_ETIME);
    e.time = INT64_C(7258118400000);
    bad(t.a, &e, RTN_ETIME);
    e.time = INT64_MAX;
    bad(t.a, &e, RTN_ETIME);
    e.time = INT64_MIN;
    bad(t.a, &e, RTN_ETIME);
    /* NaN, infinite, negative and too large amounts for every money type,
     * for a known and for a new customer. */
    for (i = 0; i < 3; i++) {
        size_t k;
        for (k = 0; k < 3; k++) {
            e = tu_ev(money_types[i], TD(2), k ? 3 : 5000, bad_amounts[k]);
            bad(t.a, &e, RTN_EAMOUNT);
        }
        e = tu_ev(money_types[i], TD(2), 3, NAN);
        bad(t.a, &e, RTN_EAMOUNT);
        e.value = INFINITY;
        bad(t.a, &e, RTN_EAMOUNT);
        e.value = -INFINITY;
        bad(t.a, &e, RTN_EAMOUNT);
    }
    /* Scores off their scale or not integral (defaults: NPS 0..10, CSAT
     * 1..5, CES 1..7). */
    {
        static const struct {
            int type;
            double v;
        } scores[] = {{RTN_EV_NPS, -1},  {RTN_EV_NPS, 11},       {RTN_EV_NPS, 5.5},
                      {RTN_EV_NPS, NAN}, {RTN_EV_NPS, INFINITY}, {RTN_EV_CSAT, 0},
                      {RTN_EV_CSAT, 6},  {RTN_EV_CSAT, 4.5},     {RTN_EV_CES, 0},
                      {RTN_EV_CES, 8},   {RTN_EV_CES, NAN}};
        for (i = 0; i < sizeof scores / sizeof scores[0]; i++) {
            e = tu_ev(scores[i].type, TD(3), 4, scores[i].v);
            bad(t.a, &e, RTN_ESCORE);
        }
    }
    /* Ids: empty or too long string ids, a length without a string. */
    e = tu_ev(RTN_EV_ACQUIRE, TD(1), 0, 0);
    e.customer_str = "x";
    e.customer_len = 0;
    bad(t.a, &e, RTN_EID);
    {
        char *longid = calloc(RTN_ID_MAX + 2, 1);
        memset(longid, 'a', RTN_ID_MAX + 1);
        e.customer_str = longid;
        e.customer_len = RTN_ID_MAX + 1;
        bad(t.a, &e, RTN_EID);
        e.customer_str = "x";
        e.customer_len = 1;
        e.ref_str = longid;
        e.ref_len = RTN_ID_MAX + 1;
        bad(t.a, &e, RTN_EID);
        free(longid);
    }
    e = tu_ev(RTN_EV_ACQUIRE, TD(1), 9, 0);
    e.customer_len = 3;
    bad(t.a, &e, RTN_EID);
    e = tu_ev(RTN_EV_ACQUIRE, TD(1), 9, 0);
    e.ref_len = 3;
    bad(t.a, &e, RTN_EID);
    /* Quantities. */
    e = tu_ev(RTN_EV_PURCHASE, TD(1), 9, 10);
    e.quantity = -1;
    bad(t.a, &e, RTN_EQUANTITY);
    e.quantity = INT64_C(1000000001);
    bad(t.a, &e, RTN_EQUANTITY);
    e.type = RTN_EV_RETURN;
    e.quantity = -5;
    bad(t.a, &e, RTN_EQUANTITY);

    twin_check(&t);
    twin_close(&t);
}
END_TEST

/* The boundaries of what is accepted. */
START_TEST(edge_values_accepted)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_event e;
    char longid[RTN_ID_MAX];
    e = tu_ev(RTN_EV_ACQUIRE, 0, 1, 0);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    e.time = INT64_C(7258118400000) - 1;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    e = tu_ev(RTN_EV_PURCHASE, TD(0), 2, 0);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    e.value = 1e12;
    e.quantity = 1000000000;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    e = tu_ev(RTN_EV_NPS, TD(0), 2, 0);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    e.value = 10;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    memset(longid, 'z', sizeof longid);
    e = tu_ev(RTN_EV_ACTIVITY, TD(0), 0, 0);
    e.customer_str = longid;
    e.customer_len = RTN_ID_MAX;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    /* A value on an event type that carries none is ignored. */
    e = tu_ev(RTN_EV_ACTIVITY, TD(0), 3, NAN);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    rtn_ctx_free(ctx);
}
END_TEST

/* A time that is valid UTC but before 1970 in the business's local day. */
START_TEST(time_before_local_epoch)
{
    rtn_config cfg;
    rtn_ctx *ctx;
    rtn_event e;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.day_offset_minutes = -300;
    ctx = tu_ctx(&cfg);
    e = tu_ev(RTN_EV_ACQUIRE, 1000, 1, 0);
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_ETIME);
    e.time = 5 * T_HOUR;
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_OK);
    rtn_ctx_free(ctx);
}
END_TEST

static void bad_config(void (*edit)(rtn_config *), int code)
{
    rtn_config cfg;
    rtn_ctx *ctx = (rtn_ctx *)&cfg; /* must be reset to NULL on failure */
    rtn_config_init(&cfg, sizeof cfg);
    edit(&cfg);
    ck_assert_int_eq(rtn_ctx_new(&ctx, &cfg), code);
    ck_assert_ptr_null(ctx);
}

static void *fake_malloc(size_t n, void *u)
{
    (void)u;
    return malloc(n);
}
static void fake_free(void *p, void *u)
{
    (void)u;
    free(p);
}

static void c_res(rtn_config *c)
{
    c->resolution = 2;
}
static void c_res_neg(rtn_config *c)
{
    c->resolution = -1;
}
static void c_off_hi(rtn_config *c)
{
    c->day_offset_minutes = 1440;
}
static void c_off_lo(rtn_config *c)
{
    c->day_offset_minutes = -1440;
}
static void c_inact(rtn_config *c)
{
    c->inactivity_days = -1;
}
static void c_inact_hi(rtn_config *c)
{
    c->inactivity_days = 36501;
}
static void c_hooks(rtn_config *c)
{
    c->allocator.malloc_fn = fake_malloc;
    c->allocator.free_fn = fake_free;
}
static void c_loyal_k(rtn_config *c)
{
    c->loyal_min_purchases = 0;
}
static void c_loyal_w(rtn_config *c)
{
    c->loyal_window_days = 0;
}
static void c_margin0(rtn_config *c)
{
    c->gross_margin = 0;
}
static void c_margin_hi(rtn_config *c)
{
    c->gross_margin = 1.5;
}
static void c_margin_nan(rtn_config *c)
{
    c->gross_margin = NAN;
}
static void c_csat(rtn_config *c)
{
    c->csat_min = 5;
    c->csat_max = 5;
}
static void c_csat_sat(rtn_config *c)
{
    c->csat_satisfied = 6;
}
static void c_ces(rtn_config *c)
{
    c->ces_min = 7;
    c->ces_max = 1;
}
static void c_value_ev(rtn_config *c)
{
    c->value_event = 99;
}
static void c_health_neg(rtn_config *c)
{
    c->health.recency = -0.1;
}
static void c_health_zero(rtn_config *c)
{
    memset(&c->health, 0, sizeof c->health);
}
static void c_health_nan(rtn_config *c)
{
    c->health.monetary = NAN;
}
static void c_size_small(rtn_config *c)
{
    c->size = 8;
}
static void c_size_big(rtn_config *c)
{
    c->size = sizeof *c + 4;
}

START_TEST(config_errors)
{
    rtn_config cfg;
    rtn_ctx *ctx = NULL;
    bad_config(c_res, RTN_ECONFIG);
    bad_config(c_res_neg, RTN_ECONFIG);
    bad_config(c_off_hi, RTN_ECONFIG);
    bad_config(c_off_lo, RTN_ECONFIG);
    bad_config(c_inact, RTN_ECONFIG);
    bad_config(c_inact_hi, RTN_ECONFIG);
    bad_config(c_hooks, RTN_ECONFIG);
    bad_config(c_loyal_k, RTN_ECONFIG);
    bad_config(c_loyal_w, RTN_ECONFIG);
    bad_config(c_margin0, RTN_ECONFIG);
    bad_config(c_margin_hi, RTN_ECONFIG);
    bad_config(c_margin_nan, RTN_ECONFIG);
    bad_config(c_csat, RTN_ECONFIG);
    bad_config(c_csat_sat, RTN_ECONFIG);
    bad_config(c_ces, RTN_ECONFIG);
    bad_config(c_value_ev, RTN_ECONFIG);
    bad_config(c_health_neg, RTN_ECONFIG);
    bad_config(c_health_zero, RTN_ECONFIG);
    bad_config(c_health_nan, RTN_ECONFIG);
    bad_config(c_size_small, RTN_EINVAL);
    bad_config(c_size_big, RTN_EINVAL);
    /* Init with a size this library does not know, or NULL. */
    ck_assert_int_eq(rtn_config_init(&cfg, 4), RTN_EINVAL);
    ck_assert_int_eq(rtn_config_init(NULL, sizeof cfg), RTN_EINVAL);
    ck_assert_int_eq(rtn_ctx_new(NULL, NULL), RTN_EINVAL);
    /* An older caller's shorter config (up to the allocator) gets the
     * defaults for the fields it does not know. */
    rtn_config_init(&cfg, sizeof cfg);
    cfg.size = (uint32_t)offsetof(rtn_config, loyal_min_purchases);
    cfg.loyal_min_purchases = -7; /* beyond its size: ignored */
    ck_assert_int_eq(rtn_ctx_new(&ctx, &cfg), RTN_OK);
    rtn_ctx_free(ctx);
    /* NULL config: defaults. */
    ck_assert_int_eq(rtn_ctx_new(&ctx, NULL), RTN_OK);
    rtn_ctx_free(ctx);
    rtn_ctx_free(NULL);
}
END_TEST

START_TEST(config_defaults)
{
    rtn_config cfg;
    ck_assert_int_eq(rtn_config_init(&cfg, RTN_CONFIG_VERSION), RTN_OK);
    ck_assert_uint_eq(cfg.size, sizeof cfg);
    ck_assert_int_eq(cfg.resolution, RTN_RESOLUTION_DAY);
    ck_assert_int_eq(cfg.day_offset_minutes, 0);
    ck_assert_int_eq(cfg.inactivity_days, 0);
    ck_assert_uint_eq(cfg.memory_cap, 0);
    ck_assert_ptr_null(cfg.allocator.malloc_fn);
    ck_assert_int_eq(cfg.loyal_min_purchases, 3);
    ck_assert_int_eq(cfg.loyal_window_days, 365);
    ck_assert_double_eq(cfg.gross_margin, 1.0);
    ck_assert_int_eq(cfg.csat_min, 1);
    ck_assert_int_eq(cfg.csat_max, 5);
    ck_assert_int_eq(cfg.csat_satisfied, 4);
    ck_assert_int_eq(cfg.ces_min, 1);
    ck_assert_int_eq(cfg.ces_max, 7);
}
END_TEST

static void bad_query(rtn_ctx *ctx, int metric, int64_t from, int64_t to, int code)
{
    rtn_value v;
    int rc;
    rtn_value_init(&v, sizeof v);
    rc = rtn_query(&v, ctx, metric, from, to, NULL);
    ck_assert_msg(rc == code, "metric %d [%lld, %lld): %d, want %d", metric, (long long)from,
                  (long long)to, rc, code);
    ck_assert_str_ne(rtn_ctx_last_error(ctx), "");
}

START_TEST(bad_queries)
{
    twin t;
    rtn_value v, arr[4];
    rtn_query_opts o;
    size_t n = 99;
    twin_open(&t, NULL);
    bad_query(t.a, 0, TD(0), TD(1), RTN_EMETRIC);
    bad_query(t.a, 99, TD(0), TD(1), RTN_EMETRIC);
    bad_query(t.a, 109, TD(0), TD(1), RTN_EMETRIC);
    bad_query(t.a, -7, TD(0), TD(1), RTN_EMETRIC);
    bad_query(t.a, RTN_METRIC_CHURN_RATE, TD(5), TD(4), RTN_EPERIOD);
    bad_query(t.a, RTN_METRIC_CHURN_RATE, -1, TD(4), RTN_ETIME);
    bad_query(t.a, RTN_METRIC_CHURN_RATE, TD(0), INT64_MAX, RTN_ETIME);
    /* NULL context, NULL or uninitialised result, bad option size. */
    rtn_value_init(&v, sizeof v);
    ck_assert_int_eq(rtn_query(&v, NULL, RTN_METRIC_CHURN_RATE, TD(0), TD(1), NULL), RTN_EINVAL);
    ck_assert_int_eq(rtn_query(NULL, t.a, RTN_METRIC_CHURN_RATE, TD(0), TD(1), NULL), RTN_EINVAL);
    v.size = 4;
    ck_assert_int_eq(rtn_query(&v, t.a, RTN_METRIC_CHURN_RATE, TD(0), TD(1), NULL), RTN_EINVAL);
    rtn_value_init(&v, sizeof v);
    rtn_query_opts_init(&o, sizeof o);
    o.size = 3;
    ck_assert_int_eq(rtn_query(&v, t.a, RTN_METRIC_CHURN_RATE, TD(0), TD(1), &o), RTN_EINVAL);
    ck_assert_int_eq(rtn_value_init(&v, 3), RTN_EINVAL);
    ck_assert_int_eq(rtn_value_init(NULL, sizeof v), RTN_EINVAL);
    ck_assert_int_eq(rtn_query_opts_init(&o, 3), RTN_EINVAL);
    /* A feature metric needs options. */
    bad_query(t.a, RTN_METRIC_FEATURE_USAGE, TD(0), TD(1), RTN_EINVAL);

    /* Series: unknown bucket, count first, too small a buffer. */
    rtn_value_init(&arr[0], sizeof arr[0]);
    ck_assert_int_eq(
        rtn_query_series(arr, 4, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(3), 0, NULL),
        RTN_EPERIOD);
    ck_assert_int_eq(
        rtn_query_series(arr, 4, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(3), 5, NULL),
        RTN_EPERIOD);
    ck_assert_int_eq(
        rtn_query_series(arr, 4, NULL, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(3), 1, NULL),
        RTN_EINVAL);
    ck_assert_int_eq(
        rtn_query_series(arr, 4, &n, NULL, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(3), 1, NULL),
        RTN_EINVAL);
    ck_assert_int_eq(
        rtn_query_series(NULL, 4, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(3), 1, NULL),
        RTN_EINVAL);
    ck_assert_int_eq(rtn_query_series(arr, 4, &n, t.a, 55, TD(0), TD(3), 1, NULL), RTN_EMETRIC);
    ck_assert_int_eq(
        rtn_query_series(arr, 4, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(3), TD(0), 1, NULL),
        RTN_EPERIOD);
    n = 0;
    ck_assert_int_eq(rtn_query_series(NULL, 0, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(10),
                                      RTN_EVERY_DAY, NULL),
                     RTN_ERANGE);
    ck_assert_uint_eq(n, 10);
    arr[0].value = 12345;
    ck_assert_int_eq(rtn_query_series(arr, 4, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(10),
                                      RTN_EVERY_DAY, NULL),
                     RTN_ERANGE);
    ck_assert_uint_eq(n, 10);
    ck_assert_double_eq(arr[0].value, 12345); /* nothing written */
    /* Weekly: [Thu Jan 1, Sat Jan 10) is two ISO weeks. */
    ck_assert_int_eq(rtn_query_series(NULL, 0, &n, t.a, RTN_METRIC_CUSTOMERS_NEW, TD(0), TD(9),
                                      RTN_EVERY_WEEK, NULL),
                     RTN_ERANGE);
    ck_assert_uint_eq(n, 2);
    twin_check(&t);
    twin_close(&t);
}
END_TEST

START_TEST(strerror_all)
{
    int code;
    const char *seen[18];
    for (code = 0; code >= -17; code--) {
        const char *m = rtn_strerror(code);
        int k;
        ck_assert_ptr_nonnull(m);
        ck_assert_str_ne(m, rtn_strerror(-1000));
        for (k = 0; k < -code; k++)
            ck_assert_str_ne(m, seen[k]);
        seen[-code] = m;
    }
    ck_assert_str_eq(rtn_strerror(RTN_OK), "success");
    ck_assert_ptr_nonnull(rtn_strerror(1));
    ck_assert_str_eq(rtn_strerror(1), rtn_strerror(-18));
    ck_assert_str_eq(rtn_strerror(INT32_MIN), rtn_strerror(-18));
    ck_assert_ptr_nonnull(rtn_ctx_last_error(NULL));
}
END_TEST

START_TEST(last_error_detail)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_event e = tu_ev(RTN_EV_NPS, TD(0), 1, 12);
    ck_assert_str_eq(rtn_ctx_last_error(ctx), "");
    ck_assert_int_eq(rtn_push(ctx, &e), RTN_ESCORE);
    ck_assert_ptr_nonnull(strstr(rtn_ctx_last_error(ctx), "NPS"));
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(version)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", RTN_VERSION_MAJOR, RTN_VERSION_MINOR, RTN_VERSION_PATCH);
    ck_assert_str_eq(rtn_version(), buf);
    ck_assert_int_eq(rtn_version_number(), RTN_VERSION_NUMBER);
    ck_assert_int_eq(RTN_VERSION_NUMBER,
                     RTN_VERSION_MAJOR * 10000 + RTN_VERSION_MINOR * 100 + RTN_VERSION_PATCH);
}
END_TEST

/* Every enum value of rtn_metric, from the header. */
static const int all_metrics[] = {RTN_METRIC_RETENTION_RATE,
                                  RTN_METRIC_CHURN_RATE,
                                  RTN_METRIC_CHURN_RATE_EXISTING,
                                  RTN_METRIC_CHURN_RATE_JOINED,
                                  RTN_METRIC_CUSTOMERS_START,
                                  RTN_METRIC_CUSTOMERS_END,
                                  RTN_METRIC_CUSTOMERS_NEW,
                                  RTN_METRIC_CUSTOMERS_REACTIVATED,
                                  RTN_METRIC_CUSTOMERS_LOST,
                                  RTN_METRIC_REPEAT_PURCHASE_RATIO,
                                  RTN_METRIC_PURCHASE_FREQUENCY,
                                  RTN_METRIC_AVERAGE_ORDER_VALUE,
                                  RTN_METRIC_PRODUCT_RETURN_RATE,
                                  RTN_METRIC_LOYAL_CUSTOMER_RATE,
                                  RTN_METRIC_CUSTOMER_LIFETIME_VALUE,
                                  RTN_METRIC_REFERRALS,
                                  RTN_METRIC_REFERRAL_RATE,
                                  RTN_METRIC_PURCHASES,
                                  RTN_METRIC_REVENUE,
                                  RTN_METRIC_BUYERS,
                                  RTN_METRIC_NPS,
                                  RTN_METRIC_CSAT,
                                  RTN_METRIC_CSAT_MEAN,
                                  RTN_METRIC_CES,
                                  RTN_METRIC_ACTIVE_CUSTOMERS,
                                  RTN_METRIC_DAU,
                                  RTN_METRIC_WAU,
                                  RTN_METRIC_MAU,
                                  RTN_METRIC_STICKINESS,
                                  RTN_METRIC_FEATURE_ADOPTION_RATE,
                                  RTN_METRIC_FEATURE_USAGE,
                                  RTN_METRIC_PAGE_VIEWS,
                                  RTN_METRIC_SHARES,
                                  RTN_METRIC_CONVERSION_RATE,
                                  RTN_METRIC_CART_ABANDONMENT_RATE,
                                  RTN_METRIC_CALL_ABANDONMENT_RATE,
                                  RTN_METRIC_TIME_TO_RESOLUTION,
                                  RTN_METRIC_TIME_TO_VALUE,
                                  RTN_METRIC_INTERACTION_CHANGE,
                                  RTN_METRIC_HEALTH_SCORE,
                                  RTN_METRIC_MRR,
                                  RTN_METRIC_MRR_NEW,
                                  RTN_METRIC_MRR_EXPANSION,
                                  RTN_METRIC_MRR_CONTRACTION,
                                  RTN_METRIC_MRR_CHURNED,
                                  RTN_METRIC_MRR_REACTIVATION,
                                  RTN_METRIC_REVENUE_CHURN_RATE,
                                  RTN_METRIC_GROSS_REVENUE_RETENTION,
                                  RTN_METRIC_NET_REVENUE_RETENTION,
                                  RTN_METRIC_QUICK_RATIO,
                                  RTN_METRIC_ARPA,
                                  RTN_METRIC_LIFECYCLE_NEW,
                                  RTN_METRIC_LIFECYCLE_RETURNING,
                                  RTN_METRIC_LIFECYCLE_RESURRECTED,
                                  RTN_METRIC_LIFECYCLE_DORMANT};

START_TEST(metric_catalogue)
{
    size_t i, count = 0;
    int m, prev = 0;
    rtn_metric_info info;
    /* Enumeration visits exactly the enum values, ascending. */
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m)) {
        ck_assert_int_gt(m, prev);
        ck_assert_int_lt(count, sizeof all_metrics / sizeof all_metrics[0]);
        ck_assert_int_eq(m, all_metrics[count]);
        prev = m;
        count++;
    }
    ck_assert_uint_eq(count, sizeof all_metrics / sizeof all_metrics[0]);
    for (i = 0; i < count; i++) {
        memset(&info, 0, sizeof info);
        info.size = sizeof info;
        ck_assert_int_eq(rtn_metric_info_get(&info, all_metrics[i]), RTN_OK);
        ck_assert_int_eq(info.metric, all_metrics[i]);
        ck_assert_ptr_nonnull(info.name);
        ck_assert_ptr_nonnull(info.unit);
        ck_assert_int_eq(rtn_metric_from_name(info.name), all_metrics[i]);
        ck_assert_uint_eq(info.reserved, 0);
        /* Rates are percentages; bounds only on rates, NPS and the survey
         * means (a normal interval from the sample variance). */
        if (info.flags & RTN_MF_RATE)
            ck_assert_str_eq(info.unit, "%");
        if (info.flags & RTN_MF_BOUNDS)
            ck_assert(info.flags & RTN_MF_RATE || all_metrics[i] == RTN_METRIC_NPS ||
                      all_metrics[i] == RTN_METRIC_CSAT_MEAN || all_metrics[i] == RTN_METRIC_CES);
    }
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    ck_assert_int_eq(rtn_metric_info_get(&info, RTN_METRIC_RETENTION_RATE), RTN_OK);
    ck_assert_str_eq(info.name, "retention_rate");
    ck_assert_uint_eq(info.flags, RTN_MF_RATE | RTN_MF_BOUNDS);
    ck_assert_int_eq(rtn_metric_info_get(&info, RTN_METRIC_LOYAL_CUSTOMER_RATE), RTN_OK);
    ck_assert(info.flags & RTN_MF_INSTANT);
    ck_assert_int_eq(rtn_metric_info_get(&info, 150), RTN_EMETRIC);
    ck_assert_int_eq(rtn_metric_info_get(NULL, 100), RTN_EINVAL);
    info.size = 0;
    ck_assert_int_eq(rtn_metric_info_get(&info, 100), RTN_EINVAL);
    /* An older, shorter info struct gets only what fits. */
    {
        rtn_metric_info small;
        memset(&small, 0xab, sizeof small);
        small.size = (uint32_t)offsetof(rtn_metric_info, name);
        ck_assert_int_eq(rtn_metric_info_get(&small, RTN_METRIC_CHURN_RATE), RTN_OK);
        ck_assert_int_eq(small.metric, RTN_METRIC_CHURN_RATE);
        ck_assert_uint_eq(small.reserved, 0xabababab);
    }
    ck_assert_int_eq(rtn_metric_from_name("no_such_metric"), RTN_EMETRIC);
    ck_assert_int_eq(rtn_metric_from_name(NULL), RTN_EMETRIC);
    ck_assert_int_eq(rtn_metric_next(RTN_METRIC_LIFECYCLE_DORMANT), -1);
}
END_TEST

START_TEST(event_type_names)
{
    int t;
    for (t = RTN_EV_ACQUIRE; t <= RTN_EV_CES; t++) {
        const char *n = rtn_event_type_name(t);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(rtn_event_type_from_name(n), t);
    }
    ck_assert_str_eq(rtn_event_type_name(RTN_EV_PAGE_VIEW), "page_view");
    ck_assert_ptr_null(rtn_event_type_name(0));
    ck_assert_ptr_null(rtn_event_type_name(20));
    ck_assert_int_eq(rtn_event_type_from_name("Purchase"), RTN_ETYPE);
    ck_assert_int_eq(rtn_event_type_from_name(NULL), RTN_ETYPE);
}
END_TEST

START_TEST(stats)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_stats st, st2;
    ck_assert_int_eq(rtn_stats_init(&st, 5), RTN_EINVAL);
    ck_assert_int_eq(rtn_stats_init(&st, sizeof st), RTN_OK);
    ck_assert_int_eq(rtn_ctx_stats(&st, NULL), RTN_EINVAL);
    ck_assert_int_eq(rtn_ctx_stats(NULL, ctx), RTN_EINVAL);
    ck_assert_int_eq(rtn_ctx_stats(&st, ctx), RTN_OK);
    ck_assert_uint_eq(st.events, 0);
    ck_assert_uint_eq(st.customers, 0);
    ck_assert_int_eq(st.first_time, 0);
    ck_assert_int_eq(st.last_time, 0);
    /* DESIGN.md: an empty context is small (at most 4 KiB). */
    ck_assert_uint_gt(st.memory_bytes, 0);
    ck_assert_uint_le(st.memory_bytes, 4096);
    tu_push(ctx, RTN_EV_ACQUIRE, TD(5), 1, 0);
    tu_push(ctx, RTN_EV_PURCHASE, TD(2), 2, 3);
    tu_push(ctx, RTN_EV_ACTIVITY, TD(9), 1, 0);
    rtn_stats_init(&st2, sizeof st2);
    ck_assert_int_eq(rtn_ctx_stats(&st2, ctx), RTN_OK);
    ck_assert_uint_eq(st2.events, 3);
    ck_assert_uint_eq(st2.customers, 2);
    ck_assert_int_eq(st2.first_time, TD(2));
    ck_assert_int_eq(st2.last_time, TD(9));
    ck_assert_uint_gt(st2.memory_bytes, st.memory_bytes);
    rtn_ctx_free(ctx);
}
END_TEST

START_TEST(batch)
{
    rtn_ctx *a = tu_ctx(NULL), *b = tu_ctx(NULL);
    rtn_event ev[5];
    size_t acc = 99;
    char why[512];
    int i;
    for (i = 0; i < 5; i++)
        ev[i] = tu_ev(RTN_EV_PURCHASE, TD(i), (uint64_t)i % 2 + 1, 10.0 * (i + 1));
    ev[2].value = -3; /* the third event is bad */
    ck_assert_int_eq(rtn_push_batch(a, ev, 5, &acc), RTN_EAMOUNT);
    ck_assert_uint_eq(acc, 2);
    tu_push_ev(b, &ev[0]);
    tu_push_ev(b, &ev[1]);
    ck_assert_msg(tu_compare_all(a, b, 10, why, sizeof why) == 0, "%s", why);
    /* The rest after fixing it. */
    ev[2].value = 3;
    ck_assert_int_eq(rtn_push_batch(a, ev + 2, 3, &acc), RTN_OK);
    ck_assert_uint_eq(acc, 3);
    tu_push_all(b, ev + 2, 3);
    ck_assert_msg(tu_compare_all(a, b, 10, why, sizeof why) == 0, "%s", why);
    ck_assert_double_eq(tu_query(a, RTN_METRIC_PURCHASES, TD(0), TD(5)).value, 5);
    /* Degenerate calls. */
    ck_assert_int_eq(rtn_push_batch(a, NULL, 0, &acc), RTN_OK);
    ck_assert_uint_eq(acc, 0);
    ck_assert_int_eq(rtn_push_batch(a, NULL, 2, &acc), RTN_EINVAL);
    ck_assert_int_eq(rtn_push_batch(NULL, ev, 2, &acc), RTN_EINVAL);
    ev[0].size = 12;
    ck_assert_int_eq(rtn_push_batch(a, ev, 2, NULL), RTN_EINVAL);
    ck_assert_double_eq(tu_query(a, RTN_METRIC_PURCHASES, TD(0), TD(5)).value, 5);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
}
END_TEST

START_TEST(struct_inits)
{
    rtn_event e;
    rtn_customer c;
    rtn_value v;
    ck_assert_int_eq(rtn_event_init(&e, sizeof e - 1), RTN_EINVAL);
    ck_assert_int_eq(rtn_event_init(NULL, sizeof e), RTN_EINVAL);
    ck_assert_int_eq(rtn_event_init(&e, RTN_EVENT_VERSION), RTN_OK);
    ck_assert_uint_eq(e.size, sizeof e);
    ck_assert_int_eq(e.quantity, 0);
    ck_assert_ptr_null(e.customer_str);
    ck_assert_int_eq(rtn_customer_init(&c, 1), RTN_EINVAL);
    ck_assert_int_eq(rtn_customer_init(&c, sizeof c), RTN_OK);
    ck_assert_int_eq(rtn_value_init(&v, RTN_VALUE_VERSION), RTN_OK);
    ck_assert(isnan(v.value) && isnan(v.lo) && v.defined == 0);
}
END_TEST

START_TEST(benchmark_reference)
{
    double lo = 0, hi = 0;
    int cmp = 7;
    rtn_value v;
    ck_assert_int_eq(rtn_benchmark_default(&lo, &hi, RTN_METRIC_CHURN_RATE), RTN_OK);
    ck_assert_double_eq(lo, 3.0);
    ck_assert_double_eq(hi, 8.0);
    ck_assert_int_eq(rtn_benchmark_default(&lo, &hi, RTN_METRIC_CUSTOMERS_NEW), RTN_ENOTFOUND);
    ck_assert_int_eq(rtn_benchmark_default(NULL, &hi, RTN_METRIC_CHURN_RATE), RTN_EINVAL);
    rtn_value_init(&v, sizeof v);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_EINVAL); /* undefined */
    v.defined = 1;
    v.value = 8;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_WITHIN);
    v.value = 8.5;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_ABOVE);
    v.value = 2;
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 3, 8), RTN_OK);
    ck_assert_int_eq(cmp, RTN_BENCH_BELOW);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, 8, 3), RTN_EINVAL);
    ck_assert_int_eq(rtn_benchmark_compare(&cmp, &v, NAN, 3), RTN_EINVAL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bad_events);
    tcase_add_test(tc, edge_values_accepted);
    tcase_add_test(tc, time_before_local_epoch);
    tcase_add_test(tc, config_errors);
    tcase_add_test(tc, config_defaults);
    tcase_add_test(tc, bad_queries);
    tcase_add_test(tc, strerror_all);
    tcase_add_test(tc, last_error_detail);
    tcase_add_test(tc, version);
    tcase_add_test(tc, metric_catalogue);
    tcase_add_test(tc, event_type_names);
    tcase_add_test(tc, stats);
    tcase_add_test(tc, batch);
    tcase_add_test(tc, struct_inits);
    tcase_add_test(tc, benchmark_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
