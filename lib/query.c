/*
 * query.c: the metric catalogue, query validation and dispatch to the
 * module that owns a metric, and calendar series.
 */
#include "internal.h"

#include <string.h>

typedef struct metric_def {
    int id;
    const char *name;
    const char *unit;
    uint32_t flags;
} metric_def;

#define R RTN_MF_RATE
#define C RTN_MF_COUNT
#define I RTN_MF_INSTANT
#define B RTN_MF_BOUNDS
#define F RTN_MF_NEEDS_FEATURE
#define M RTN_MF_MONEY
#define P RTN_MF_PERCENTILES

/* Sorted by id. */
static const metric_def metrics[] = {
    {RTN_METRIC_RETENTION_RATE, "retention_rate", "%", R | B},
    {RTN_METRIC_CHURN_RATE, "churn_rate", "%", R | B},
    {RTN_METRIC_CHURN_RATE_EXISTING, "churn_rate_existing", "%", R | B},
    {RTN_METRIC_CHURN_RATE_JOINED, "churn_rate_joined", "%", R | B},
    {RTN_METRIC_CUSTOMERS_START, "customers_start", "customers", C},
    {RTN_METRIC_CUSTOMERS_END, "customers_end", "customers", C},
    {RTN_METRIC_CUSTOMERS_NEW, "customers_new", "customers", C},
    {RTN_METRIC_CUSTOMERS_REACTIVATED, "customers_reactivated", "customers", C},
    {RTN_METRIC_CUSTOMERS_LOST, "customers_lost", "customers", C},
    {RTN_METRIC_REPEAT_PURCHASE_RATIO, "repeat_purchase_ratio", "%", R | B},
    {RTN_METRIC_PURCHASE_FREQUENCY, "purchase_frequency", "ratio", 0},
    {RTN_METRIC_AVERAGE_ORDER_VALUE, "average_order_value", "money", M},
    {RTN_METRIC_PRODUCT_RETURN_RATE, "product_return_rate", "%", R | B},
    {RTN_METRIC_LOYAL_CUSTOMER_RATE, "loyal_customer_rate", "%", R | B | I},
    {RTN_METRIC_CUSTOMER_LIFETIME_VALUE, "customer_lifetime_value", "money", M},
    {RTN_METRIC_REFERRALS, "referrals", "customers", C},
    {RTN_METRIC_REFERRAL_RATE, "referral_rate", "%", R | B},
    {RTN_METRIC_PURCHASES, "purchases", "count", C},
    {RTN_METRIC_REVENUE, "revenue", "money", M},
    {RTN_METRIC_BUYERS, "buyers", "customers", C},
    {RTN_METRIC_NPS, "nps", "score", B},
    {RTN_METRIC_CSAT, "csat", "%", R | B},
    {RTN_METRIC_CSAT_MEAN, "csat_mean", "score", B},
    {RTN_METRIC_CES, "ces", "score", B},
    {RTN_METRIC_ACTIVE_CUSTOMERS, "active_customers", "customers", C},
    {RTN_METRIC_DAU, "dau", "customers", C | I},
    {RTN_METRIC_WAU, "wau", "customers", C | I},
    {RTN_METRIC_MAU, "mau", "customers", C | I},
    {RTN_METRIC_STICKINESS, "stickiness", "%", R | I},
    {RTN_METRIC_FEATURE_ADOPTION_RATE, "feature_adoption_rate", "%", R | B | F},
    {RTN_METRIC_FEATURE_USAGE, "feature_usage", "count", C | F},
    {RTN_METRIC_PAGE_VIEWS, "page_views", "count", C},
    {RTN_METRIC_SHARES, "shares", "count", C},
    {RTN_METRIC_CONVERSION_RATE, "conversion_rate", "%", R | B},
    {RTN_METRIC_CART_ABANDONMENT_RATE, "cart_abandonment_rate", "%", R | B},
    {RTN_METRIC_CALL_ABANDONMENT_RATE, "call_abandonment_rate", "%", R | B},
    {RTN_METRIC_TIME_TO_RESOLUTION, "time_to_resolution", "hours", P},
    {RTN_METRIC_TIME_TO_VALUE, "time_to_value", "days", P},
    {RTN_METRIC_INTERACTION_CHANGE, "interaction_change", "%", R},
    {RTN_METRIC_HEALTH_SCORE, "health_score", "score", I},
    {RTN_METRIC_MRR, "mrr", "money", M | I},
    {RTN_METRIC_MRR_NEW, "mrr_new", "money", M},
    {RTN_METRIC_MRR_EXPANSION, "mrr_expansion", "money", M},
    {RTN_METRIC_MRR_CONTRACTION, "mrr_contraction", "money", M},
    {RTN_METRIC_MRR_CHURNED, "mrr_churned", "money", M},
    {RTN_METRIC_MRR_REACTIVATION, "mrr_reactivation", "money", M},
    {RTN_METRIC_REVENUE_CHURN_RATE, "revenue_churn_rate", "%", R},
    {RTN_METRIC_GROSS_REVENUE_RETENTION, "gross_revenue_retention", "%", R},
    {RTN_METRIC_NET_REVENUE_RETENTION, "net_revenue_retention", "%", R},
    {RTN_METRIC_QUICK_RATIO, "quick_ratio", "ratio", 0},
    {RTN_METRIC_ARPA, "arpa", "money", M | I},
    {RTN_METRIC_LIFECYCLE_NEW, "lifecycle_new", "customers", C},
    {RTN_METRIC_LIFECYCLE_RETURNING, "lifecycle_returning", "customers", C},
    {RTN_METRIC_LIFECYCLE_RESURRECTED, "lifecycle_resurrected", "customers", C},
    {RTN_METRIC_LIFECYCLE_DORMANT, "lifecycle_dormant", "customers", C},
};

#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

static const metric_def *find_metric(int id)
{
    size_t i;
    for (i = 0; i < NMETRICS; i++)
        if (metrics[i].id == id)
            return &metrics[i];
    return NULL;
}

int rtn_metric_info_get(rtn_metric_info *out, int metric)
{
    const metric_def *d;
    rtn_metric_info info;
    if (out == NULL || out->size < sizeof(uint32_t) || out->size > sizeof(rtn_metric_info))
        return RTN_EINVAL;
    d = find_metric(metric);
    if (d == NULL)
        return RTN_EMETRIC;
    memset(&info, 0, sizeof(info));
    info.size = out->size;
    info.metric = d->id;
    info.name = d->name;
    info.unit = d->unit;
    info.flags = d->flags;
    memcpy(out, &info, out->size);
    return RTN_OK;
}

void rtn__metric_range(int *count, int *lo, int *hi)
{
    *count = (int)NMETRICS;
    *lo = metrics[0].id;
    *hi = metrics[NMETRICS - 1].id;
}

int rtn_metric_next(int metric)
{
    size_t i;
    for (i = 0; i < NMETRICS; i++)
        if (metrics[i].id > metric)
            return metrics[i].id;
    return -1;
}

int rtn_metric_from_name(const char *name)
{
    size_t i;
    if (name == NULL)
        return RTN_EMETRIC;
    for (i = 0; i < NMETRICS; i++)
        if (strcmp(metrics[i].name, name) == 0)
            return metrics[i].id;
    return RTN_EMETRIC;
}

int rtn_value_init(rtn_value *v, uint32_t size)
{
    if (v == NULL || size != sizeof(rtn_value))
        return RTN_EINVAL;
    memset(v, 0, sizeof(*v));
    v->size = size;
    rtn__value_reset(v);
    return RTN_OK;
}

int rtn_query_opts_init(rtn_query_opts *opts, uint32_t size)
{
    if (opts == NULL || size != sizeof(rtn_query_opts))
        return RTN_EINVAL;
    memset(opts, 0, sizeof(*opts));
    opts->size = size;
    return RTN_OK;
}

int rtn_customer_init(rtn_customer *c, uint32_t size)
{
    if (c == NULL || size != sizeof(rtn_customer))
        return RTN_EINVAL;
    memset(c, 0, sizeof(*c));
    c->size = size;
    return RTN_OK;
}

static int check_query(rtn_ctx *ctx, int metric, int64_t from, int64_t to,
                       const rtn_query_opts *opts)
{
    const metric_def *d = find_metric(metric);
    if (d == NULL)
        return rtn__fail(ctx, RTN_EMETRIC, "unknown metric %d", metric);
    if (from < 0 || to < 0 || from > RTN_TIME_MAX || to > RTN_TIME_MAX)
        return rtn__fail(ctx, RTN_ETIME, "query bounds outside 1970..2199");
    if (from > to)
        return rtn__fail(ctx, RTN_EPERIOD, "period with from > to");
    if (opts && opts->size != sizeof(rtn_query_opts))
        return rtn__fail(ctx, RTN_EINVAL, "query options size %u: use rtn_query_opts_init",
                         (unsigned)opts->size);
    if ((d->flags & RTN_MF_NEEDS_FEATURE) && opts == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "metric %s needs a feature in rtn_query_opts", d->name);
    return RTN_OK;
}

static int compute(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                   const rtn_query_opts *opts, rtn_value *v)
{
    int rc;
    rtn__value_reset(v);
    v->from = rtn__bucket_time(ctx, fb);
    v->to = rtn__bucket_time(ctx, tb);
    if (metric < 300)
        rc = rtn__core_query(ctx, metric, fb, tb, opts, v);
    else if (metric < 500) {
        rc = rtn__engage_query(ctx, metric, fb, tb, opts, v);
        if (rc == RTN_EMETRIC)
            rc = rtn__journey_query(ctx, metric, fb, tb, opts, v);
    }
    else if (metric < 600)
        rc = rtn__revenue_query(ctx, metric, fb, tb, opts, v);
    else
        rc = rtn__cohort_query(ctx, metric, fb, tb, opts, v);
    if (rc == RTN_EMETRIC)
        return rtn__fail(ctx, rc, "metric %d is not available in this build", metric);
    return rc;
}

static int out_ok(const rtn_value *out)
{
    return out && out->size >= offsetof(rtn_value, n) + sizeof(int64_t) &&
           out->size <= sizeof(rtn_value);
}

int rtn_query(rtn_value *out, rtn_ctx *ctx, int metric, int64_t from, int64_t to,
              const rtn_query_opts *opts)
{
    rtn_value v;
    int rc;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (!out_ok(out))
        return rtn__fail(ctx, RTN_EINVAL, "result is NULL or its size is unknown: use rtn_value_init");
    if ((rc = check_query(ctx, metric, from, to, opts)) || (rc = rtn__fold_query(ctx)))
        return rc;
    memset(&v, 0, sizeof(v));
    rc = compute(ctx, metric, rtn__bucket(ctx, from), rtn__bucket(ctx, to), opts, &v);
    if (rc)
        return rc;
    v.size = out->size;
    memcpy(out, &v, out->size);
    return RTN_OK;
}

int rtn_query_series(rtn_value *out, size_t cap, size_t *n_out, rtn_ctx *ctx, int metric,
                     int64_t from, int64_t to, int every, const rtn_query_opts *opts)
{
    uint32_t fb, tb, bpd, lo;
    int64_t day;
    size_t count = 0, i, stride;
    int rc;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (n_out == NULL || (cap > 0 && !out_ok(out)))
        return rtn__fail(ctx, RTN_EINVAL, "n_out is NULL, or out is NULL or not initialised");
    if (every < RTN_EVERY_DAY || every > RTN_EVERY_QUARTER)
        return rtn__fail(ctx, RTN_EPERIOD, "unknown series bucket %d", every);
    if ((rc = check_query(ctx, metric, from, to, opts)) || (rc = rtn__fold_query(ctx)))
        return rc;
    fb = rtn__bucket(ctx, from);
    tb = rtn__bucket(ctx, to);
    bpd = rtn__buckets_per_day(ctx);
    for (lo = fb; lo < tb; count++) {
        int64_t next = rtn__every_next(every, lo / bpd) * bpd;
        lo = next >= tb ? tb : (uint32_t)next;
    }
    *n_out = count;
    if (count > cap)
        return count == 0 ? RTN_OK
                          : rtn__fail(ctx, RTN_ERANGE, "series has %zu buckets, buffer holds %zu",
                                      count, cap);
    stride = count ? out->size : 0;
    for (i = 0, lo = fb; i < count; i++) {
        rtn_value v;
        uint32_t hi;
        day = rtn__every_next(every, lo / bpd);
        hi = day * bpd >= tb ? tb : (uint32_t)(day * bpd);
        memset(&v, 0, sizeof(v));
        if ((rc = compute(ctx, metric, lo, hi, opts, &v)))
            return rc;
        v.size = (uint32_t)stride;
        memcpy((char *)out + i * stride, &v, stride);
        lo = hi;
    }
    return RTN_OK;
}

/* ---- benchmarks ---------------------------------------------------------- */

typedef struct bench_def {
    int metric;
    double lo, hi;
} bench_def;

/* Documented defaults (docs/benchmarks.md). */
static const bench_def bench_defaults[] = {
    {RTN_METRIC_CHURN_RATE, 3.0, 8.0},             /* SaaS monthly churn */
    {RTN_METRIC_CHURN_RATE_EXISTING, 3.0, 8.0},
    {RTN_METRIC_CHURN_RATE_JOINED, 3.0, 8.0},
    {RTN_METRIC_RETENTION_RATE, 92.0, 97.0},       /* its complement */
    {RTN_METRIC_CART_ABANDONMENT_RATE, 65.0, 75.0},/* about 70 % */
    {RTN_METRIC_REPEAT_PURCHASE_RATIO, 20.0, 30.0},
    {RTN_METRIC_PRODUCT_RETURN_RATE, 5.0, 15.0},
    {RTN_METRIC_NPS, 30.0, 50.0},
    {RTN_METRIC_CSAT, 75.0, 85.0},
    {RTN_METRIC_CALL_ABANDONMENT_RATE, 5.0, 8.0},
    {RTN_METRIC_CONVERSION_RATE, 2.0, 4.0},
    {RTN_METRIC_STICKINESS, 10.0, 25.0},
    {RTN_METRIC_REVENUE_CHURN_RATE, 1.0, 3.0},
    {RTN_METRIC_NET_REVENUE_RETENTION, 100.0, 120.0},
    {RTN_METRIC_GROSS_REVENUE_RETENTION, 85.0, 95.0},
};

int rtn_benchmark_default(double *lo, double *hi, int metric)
{
    size_t i;
    if (lo == NULL || hi == NULL)
        return RTN_EINVAL;
    for (i = 0; i < sizeof(bench_defaults) / sizeof(bench_defaults[0]); i++) {
        if (bench_defaults[i].metric == metric) {
            *lo = bench_defaults[i].lo;
            *hi = bench_defaults[i].hi;
            return RTN_OK;
        }
    }
    return RTN_ENOTFOUND;
}

int rtn_benchmark_compare(int *out, const rtn_value *v, double lo, double hi)
{
    if (out == NULL || v == NULL || !v->defined || !isfinite(v->value) || !isfinite(lo) ||
        !isfinite(hi) || lo > hi)
        return RTN_EINVAL;
    *out = v->value < lo ? RTN_BENCH_BELOW : v->value > hi ? RTN_BENCH_ABOVE : RTN_BENCH_WITHIN;
    return RTN_OK;
}
