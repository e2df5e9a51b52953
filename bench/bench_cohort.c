/*
 * bench_cohort.c: builds a context of N customers (default 1 000 000) with
 * about a year of weekly activity decaying like a real retention curve, then
 * times cohort matrix, survival and lifecycle queries.
 * Usage: bench_cohort [customers] [query repetitions]
 */
#define _POSIX_C_SOURCE 200809L
#include "retention.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define DAY_MS INT64_C(86400000)
/* Mon 2025-01-06 00:00 UTC: the first cohort week. */
#define W0 INT64_C(1736121600000)
#define WEEKS 52

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x1234567;

static uint64_t next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double unit(void)
{
    return (double)(next() >> 11) * (1.0 / 9007199254740992.0);
}

static int push(rtn_ctx *ctx, int type, int64_t t, uint64_t c, double v)
{
    rtn_event e;
    int rc;
    rtn_event_init(&e, sizeof e);
    e.type = type;
    e.time = t;
    e.customer = c;
    e.value = v;
    rc = rtn_push(ctx, &e);
    if (rc != RTN_OK)
        fprintf(stderr, "push failed: %s\n", rtn_ctx_last_error(ctx));
    return rc;
}

int main(int argc, char **argv)
{
    uint64_t customers = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 2000;
    rtn_ctx *ctx;
    rtn_stats st;
    rtn_cohort_opts o;
    rtn_cohort_cell *cells;
    int64_t sizes[WEEKS];
    size_t rows, npts;
    uint64_t c, events = 0;
    double t0, t1, median, sink = 0;
    int i, mode;
    rtn_survival_point *pts;

    if (rtn_ctx_new(&ctx, NULL) != RTN_OK)
        return 1;
    t0 = now_s();
    for (c = 1; c <= customers; c++) {
        /* Acquired in a uniform week; active in each later week with a
         * probability falling from 40 % towards 8 %; 60 % of those whose
         * activity stops before the end churn explicitly after it. */
        int w = (int)(next() % WEEKS), k, last = w;
        int64_t day = (int64_t)w * 7 + (int64_t)(next() % 7);
        if (push(ctx, RTN_EV_ACQUIRE, W0 + day * DAY_MS + 36000000, c, 0))
            return 1;
        events++;
        for (k = 1; w + k < WEEKS; k++) {
            double p = 0.08 + 0.32 * pow(0.85, k - 1);
            if (unit() < p) {
                int64_t d = (int64_t)(w + k) * 7 + (int64_t)(next() % 7);
                int type = next() % 3 == 0 ? RTN_EV_PURCHASE : RTN_EV_ACTIVITY;
                if (push(ctx, type, W0 + d * DAY_MS + 43200000, c, type == RTN_EV_PURCHASE ? 20.0 : 0))
                    return 1;
                events++;
                last = w + k;
            }
        }
        if (last < WEEKS - 4 && unit() < 0.6) {
            if (push(ctx, RTN_EV_CHURN, W0 + ((int64_t)last * 7 + 10) * DAY_MS, c, 0))
                return 1;
            events++;
        }
    }
    /* The first query applies the pushes; it is part of ingestion. */
    {
        rtn_value v;
        rtn_value_init(&v, sizeof v);
        if (rtn_query(&v, ctx, RTN_METRIC_CUSTOMERS_END, W0, W0 + DAY_MS, NULL) != RTN_OK) {
            fprintf(stderr, "query failed: %s\n", rtn_ctx_last_error(ctx));
            return 1;
        }
    }
    t1 = now_s();
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, ctx);
    printf("customers %llu, events %llu: %.1f s with the first query, %.0f events/s, %.0f ns/event, %.0f bytes/customer\n",
           (unsigned long long)customers, (unsigned long long)events, t1 - t0,
           (double)events / (t1 - t0), (t1 - t0) * 1e9 / (double)events,
           (double)st.memory_bytes / (double)customers);

    cells = malloc(sizeof(rtn_cohort_cell) * WEEKS * WEEKS);
    if (cells == NULL)
        return 1;
    rtn_cohort_opts_init(&o, sizeof o);
    o.every = RTN_EVERY_WEEK;
    o.from = W0;
    o.to = W0 + (int64_t)WEEKS * 7 * DAY_MS;
    o.at = o.to + 3 * DAY_MS;
    o.max_periods = WEEKS;
    for (mode = 0; mode < 4; mode++) {
        o.mode = mode & 1;
        o.recurring = mode >> 1;
        if (o.recurring && o.max_periods > RTN_COHORT_RECURRING_MAX)
            o.max_periods = RTN_COHORT_RECURRING_MAX;
        t0 = now_s();
        for (i = 0; i < reps; i++) {
            if (rtn_cohort_retention(cells, NULL, sizes, WEEKS, &rows, ctx, &o) != RTN_OK)
                return 1;
            sink += cells[WEEKS + 1].share;
        }
        t1 = now_s();
        printf("cohort matrix %zux%u weekly, %s%s: %.0f ns/query (week-1 retention of cohort 0: %.1f %%)\n",
               rows, o.max_periods, o.mode ? "unbounded" : "N-period", o.recurring ? ", recurring" : "",
               (t1 - t0) * 1e9 / reps, cells[1].share);
    }

    if (rtn_survival(NULL, 0, &npts, NULL, ctx, o.at) != RTN_ERANGE)
        return 1;
    pts = malloc(sizeof(rtn_survival_point) * (npts + 1));
    if (pts == NULL)
        return 1;
    t0 = now_s();
    for (i = 0; i < 10; i++)
        if (rtn_survival(pts, npts, &npts, &median, ctx, o.at) != RTN_OK)
            return 1;
    t1 = now_s();
    printf("survival curve (%zu points, median %.0f days): %.2f ms/query\n", npts, median,
           (t1 - t0) * 1e3 / 10);

    {
        rtn_value v;
        rtn_value_init(&v, sizeof v);
        t0 = now_s();
        for (i = 0; i < 10; i++) {
            if (rtn_query(&v, ctx, RTN_METRIC_LIFECYCLE_RETURNING, W0 + 200 * DAY_MS,
                          W0 + 207 * DAY_MS, NULL) != RTN_OK)
                return 1;
            sink += v.value;
        }
        t1 = now_s();
        printf("lifecycle_returning (one week): %.2f ms/query (%.0f customers)\n",
               (t1 - t0) * 1e3 / 10, v.value);
    }
    if (sink == 42.4242)
        printf("\n");
    free(pts);
    free(cells);
    rtn_ctx_free(ctx);
    return 0;
}
