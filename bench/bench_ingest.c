/*
 * bench_ingest.c: ingestion throughput and memory. Generates 10 million
 * mixed events over 1 million customers (Zipf-like activity, about one
 * year, mostly in time order with some late events) in memory, pushes them
 * into one context on one thread, and prints events/s, ns/event, bytes per
 * customer, the size of an empty context and the cost of a few queries.
 *
 * Usage: bench_ingest [events] [customers] [batch]
 * batch: events per rtn_push_batch call (default 1: one rtn_push each)
 */
#define _POSIX_C_SOURCE 200809L
#include "retention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS INT64_C(86400000)
/* 2025-01-01T00:00:00Z */
#define START_MS INT64_C(1735689600000)

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double unif(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this process: less sensitive to other load on the machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_time(const void *a, const void *b)
{
    const rtn_event *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time;
}

/* A Zipf-like rank in [0, n): P(rank r) roughly proportional to 1 / (r + 1). */
static uint32_t zipf(uint32_t n)
{
    double r = exp(unif() * log((double)n + 1.0)) - 1.0;
    uint32_t k = (uint32_t)r;
    return k >= n ? n - 1 : k;
}

static void make_event(rtn_event *e, int64_t t, uint64_t cust)
{
    uint32_t k = (uint32_t)(rng() % 100);
    rtn_event_init(e, sizeof *e);
    e->time = t;
    e->customer = cust;
    if (k < 30) {
        e->type = RTN_EV_PURCHASE;
        e->value = (double)(rng() % 20000) / 100.0;
        e->quantity = (int64_t)(rng() % 3);
    } else if (k < 33) {
        e->type = RTN_EV_RETURN;
        e->value = (double)(rng() % 5000) / 100.0;
    } else if (k < 70) {
        e->type = RTN_EV_ACTIVITY;
    } else if (k < 82) {
        e->type = RTN_EV_PAGE_VIEW;
    } else if (k < 88) {
        e->type = RTN_EV_FEATURE;
        e->ref = rng() % 20 + 1;
    } else if (k < 91) {
        e->type = RTN_EV_CHURN;
    } else if (k < 94) {
        e->type = RTN_EV_SUBSCRIPTION;
        e->ref = 1;
        e->value = (rng() % 4) ? (double)(rng() % 10 + 1) * 10.0 : 0.0;
    } else if (k < 97) {
        e->type = RTN_EV_NPS;
        e->value = (double)(rng() % 11);
    } else {
        e->type = RTN_EV_VISIT;
    }
}

static size_t arg(int argc, char **argv, int i, size_t def)
{
    return argc > i ? (size_t)strtoull(argv[i], NULL, 10) : def;
}

int main(int argc, char **argv)
{
    size_t n_events = arg(argc, argv, 1, 10000000), n_cust = arg(argc, argv, 2, 1000000);
    size_t batch = arg(argc, argv, 3, 1);
    size_t i, late = 0;
    uint32_t *perm;
    rtn_event *ev;
    rtn_ctx *ctx = NULL;
    rtn_config cfg;
    rtn_stats st;
    double t0, t1, c0, c1;
    int rc;
    static const int qm[] = {RTN_METRIC_RETENTION_RATE,        RTN_METRIC_CHURN_RATE_EXISTING,
                             RTN_METRIC_REPEAT_PURCHASE_RATIO, RTN_METRIC_BUYERS,
                             RTN_METRIC_LOYAL_CUSTOMER_RATE,   RTN_METRIC_CUSTOMER_LIFETIME_VALUE};

    if (n_cust == 0 || n_events < n_cust) {
        fprintf(stderr, "usage: bench_ingest [events >= customers] [customers > 0]\n");
        return 2;
    }
    ev = malloc(n_events * sizeof *ev);
    perm = malloc(n_cust * sizeof *perm);
    if (ev == NULL || perm == NULL)
        return 1;
    /* Ranks map to customer ids through a random permutation. */
    for (i = 0; i < n_cust; i++)
        perm[i] = (uint32_t)i;
    for (i = n_cust; i > 1; i--) {
        size_t j = rng() % i;
        uint32_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    /* Every customer is acquired once at a random time; the other events
     * pick their customer by Zipf-like activity. */
    for (i = 0; i < n_events; i++) {
        int64_t t = START_MS + (int64_t)(unif() * 365.0 * (double)DAY_MS);
        if (i < n_cust) {
            rtn_event_init(&ev[i], sizeof ev[i]);
            ev[i].type = RTN_EV_ACQUIRE;
            ev[i].time = t;
            ev[i].customer = (uint64_t)i + 1;
            ev[i].ref = (rng() % 10 == 0) ? rng() % n_cust + 1 : 0;
        } else {
            make_event(&ev[i], t, (uint64_t)perm[zipf((uint32_t)n_cust)] + 1);
        }
    }
    qsort(ev, n_events, sizeof *ev, cmp_time);
    /* About 3 % of events arrive late: up to two weeks after their time. */
    for (i = 0; i < n_events; i++)
        if (rng() % 100 < 3) {
            int64_t back = (int64_t)(unif() * 14.0 * (double)DAY_MS);
            if (ev[i].time - back > START_MS) {
                ev[i].time -= back;
                late++;
            }
        }

    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = 90;
    rc = rtn_ctx_new(&ctx, &cfg);
    if (rc) {
        fprintf(stderr, "rtn_ctx_new: %s\n", rtn_strerror(rc));
        return 1;
    }
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, ctx);
    printf("empty context:      %llu bytes\n", (unsigned long long)st.memory_bytes);

    t0 = now_s();
    c0 = cpu_s();
    for (i = 0; i < n_events; i += batch) {
        size_t m = n_events - i < batch ? n_events - i : batch, acc = 0;
        rc = batch == 1 ? rtn_push(ctx, &ev[i]) : rtn_push_batch(ctx, &ev[i], m, &acc);
        if (rc) {
            fprintf(stderr, "push %zu: %s (%s)\n", i + acc, rtn_strerror(rc), rtn_ctx_last_error(ctx));
            return 1;
        }
    }
    t1 = now_s();
    c1 = cpu_s();
    rtn_ctx_stats(&st, ctx);
    printf("events:             %zu (%zu late), customers %llu\n", n_events, late,
           (unsigned long long)st.customers);
    printf("push:               %.3f s, %.0f events/s, %.1f ns/event\n", t1 - t0,
           (double)n_events / (t1 - t0), (t1 - t0) * 1e9 / (double)n_events);
    printf("push (cpu time):    %.3f s, %.0f events/s, %.1f ns/event\n", c1 - c0,
           (double)n_events / (c1 - c0), (c1 - c0) * 1e9 / (double)n_events);
    printf("memory after push:  %llu bytes, %.1f bytes/customer\n",
           (unsigned long long)st.memory_bytes,
           (double)st.memory_bytes / (double)(st.customers ? st.customers : 1));
    /* The first query applies every change pushed since the last one. */
    {
        rtn_value v;
        double f0 = now_s(), fc0 = cpu_s(), f1, fc1;
        rtn_value_init(&v, sizeof v);
        rc = rtn_query(&v, ctx, RTN_METRIC_CUSTOMERS_END, START_MS, START_MS + 365 * DAY_MS, NULL);
        f1 = now_s();
        fc1 = cpu_s();
        if (rc) {
            fprintf(stderr, "query: %s\n", rtn_strerror(rc));
            return 1;
        }
        printf("first query:        %.3f s (cpu %.3f s): applies the pushed changes\n", f1 - f0,
               fc1 - fc0);
        printf("ingest (push + first query, cpu time): %.0f events/s, %.1f ns/event\n",
               (double)n_events / (c1 - c0 + fc1 - fc0),
               (c1 - c0 + fc1 - fc0) * 1e9 / (double)n_events);
    }
    rtn_ctx_stats(&st, ctx);
    printf("memory:             %llu bytes, %.1f bytes/customer\n",
           (unsigned long long)st.memory_bytes,
           (double)st.memory_bytes / (double)(st.customers ? st.customers : 1));

    for (i = 0; i < sizeof qm / sizeof qm[0]; i++) {
        rtn_value v;
        rtn_metric_info info;
        int reps = 20, k;
        double q0, q1;
        info.size = sizeof info;
        rtn_metric_info_get(&info, qm[i]);
        rtn_value_init(&v, sizeof v);
        q0 = now_s();
        for (k = 0; k < reps; k++) {
            int64_t from = START_MS + (int64_t)(k * 7) * DAY_MS;
            rc = rtn_query(&v, ctx, qm[i], from, from + 30 * DAY_MS, NULL);
            if (rc) {
                fprintf(stderr, "query %s: %s\n", info.name, rtn_strerror(rc));
                return 1;
            }
        }
        q1 = now_s();
        printf("query %-24s %10.0f ns/query (last value %.4g)\n", info.name, (q1 - q0) * 1e9 / reps,
               v.value);
    }
    rtn_ctx_free(ctx);
    free(ev);
    free(perm);
    return 0;
}
