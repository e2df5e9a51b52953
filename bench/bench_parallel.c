/*
 * bench_parallel.c: ingestion of one event stream by one thread into one
 * context, against the same stream sharded by customer over two threads
 * into two contexts and merged. Prints both times and the speed-up, and
 * checks that the merged context answers as the single one. Every side's
 * time includes its first query, which applies the pushes (the shards'
 * queries run in their threads; the merged context's after the merge).
 *
 * usage: bench_parallel [events (default 4000000)] [seed]
 */
#define _POSIX_C_SOURCE 200809L
#include "retention.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01 */
#define DAYS 365

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Events in time order; customers Zipf-like (a few very active, a long
 * tail), a realistic mix of types. */
static rtn_event *generate(size_t n, uint64_t seed, uint32_t customers)
{
    rtn_event *ev = malloc(n * sizeof *ev);
    uint64_t s = seed;
    size_t i;
    if (ev == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        rtn_event *e = &ev[i];
        double u = (double)(rng_next(&s) >> 11) * 0x1p-53;
        uint32_t k = (uint32_t)(rng_next(&s) % 100);
        rtn_event_init(e, sizeof *e);
        e->time = T0 + (int64_t)((double)i / (double)n * DAYS * (double)DAY);
        e->customer = 1 + (uint64_t)(pow(u, 2.5) * customers);
        if (k < 5)
            e->type = RTN_EV_ACQUIRE;
        else if (k < 7)
            e->type = RTN_EV_CHURN;
        else if (k < 35)
            e->type = RTN_EV_PURCHASE, e->value = (double)(rng_next(&s) % 20000) / 100.0,
            e->quantity = 1 + (int64_t)(rng_next(&s) % 3);
        else if (k < 38)
            e->type = RTN_EV_RETURN, e->value = 10.0, e->quantity = 1;
        else if (k < 45)
            e->type = RTN_EV_SUBSCRIPTION, e->ref = 1 + rng_next(&s) % 2,
            e->value = (double)(rng_next(&s) % 5) * 10.0;
        else if (k < 75)
            e->type = RTN_EV_ACTIVITY;
        else if (k < 82)
            e->type = RTN_EV_FEATURE, e->ref = 1 + rng_next(&s) % 3;
        else if (k < 90)
            e->type = RTN_EV_PAGE_VIEW;
        else if (k < 95)
            e->type = RTN_EV_NPS, e->value = (double)(rng_next(&s) % 11);
        else
            e->type = RTN_EV_VISIT;
    }
    return ev;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct job {
    rtn_ctx *ctx;
    const rtn_event *ev;
    size_t n;
    int rc;
    double cpu; /* CPU seconds the thread used */
} job;

/* One query: pushes are applied lazily, by the first reading call, so a
 * fair time of ingestion includes it. */
static int first_query(rtn_ctx *ctx)
{
    rtn_value v;
    rtn_value_init(&v, sizeof v);
    return rtn_query(&v, ctx, RTN_METRIC_CUSTOMERS_END, T0, T0 + DAYS * DAY, NULL);
}

static void *ingest(void *arg)
{
    job *j = arg;
    size_t accepted = 0;
    double c0 = cpu_now();
    j->rc = rtn_push_batch(j->ctx, j->ev, j->n, &accepted);
    if (j->rc == RTN_OK)
        j->rc = first_query(j->ctx);
    j->cpu = cpu_now() - c0;
    return NULL;
}

static int check(rtn_ctx *a, rtn_ctx *b)
{
    static const int metrics[] = {RTN_METRIC_CUSTOMERS_END, RTN_METRIC_CUSTOMERS_NEW,
                                  RTN_METRIC_CUSTOMERS_LOST, RTN_METRIC_PURCHASES,
                                  RTN_METRIC_REVENUE};
    int64_t from[] = {T0, T0 + 30 * DAY, T0 + 200 * DAY},
            to[] = {T0 + DAYS * DAY, T0 + 90 * DAY, T0 + 201 * DAY};
    size_t m, p;
    int bad = 0;
    for (m = 0; m < sizeof metrics / sizeof metrics[0]; m++)
        for (p = 0; p < 3; p++) {
            rtn_value va, vb;
            rtn_value_init(&va, sizeof va);
            rtn_value_init(&vb, sizeof vb);
            if (rtn_query(&va, a, metrics[m], from[p], to[p], NULL) != RTN_OK ||
                rtn_query(&vb, b, metrics[m], from[p], to[p], NULL) != RTN_OK ||
                memcmp(&va.value, &vb.value, sizeof va.value) != 0) {
                printf("MISMATCH metric %d period %zu: %.17g vs %.17g\n", metrics[m], p, va.value,
                       vb.value);
                bad = 1;
            }
        }
    return bad;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 4000000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    uint32_t customers = (uint32_t)(n / 20 + 1);
    rtn_event *ev = generate(n, seed, customers), *shard[2];
    size_t ns[2] = {0, 0}, i;
    rtn_ctx *one = NULL, *part[2] = {NULL, NULL};
    pthread_t th[2];
    job jobs[2];
    rtn_stats st1, st2;
    double t0, t1, t_single, t_ingest, t_merge, c_single, c_merge, c_par;
    int k, bad;

    shard[0] = malloc(n * sizeof(rtn_event));
    shard[1] = malloc(n * sizeof(rtn_event));
    if (ev == NULL || shard[0] == NULL || shard[1] == NULL)
        return 1;
    /* Shard by customer (a host's dispatcher does this as events arrive). */
    for (i = 0; i < n; i++) {
        int s = (int)(ev[i].customer * UINT64_C(0x9e3779b97f4a7c15) >> 63);
        shard[s][ns[s]++] = ev[i];
    }

    if (rtn_ctx_new(&one, NULL) != RTN_OK)
        return 1;
    t0 = now();
    c_single = cpu_now();
    if (rtn_push_batch(one, ev, n, NULL) != RTN_OK || first_query(one) != RTN_OK)
        return 1;
    t_single = now() - t0;
    c_single = cpu_now() - c_single;

    for (k = 0; k < 2; k++)
        if (rtn_ctx_new(&part[k], NULL) != RTN_OK)
            return 1;
    t0 = now();
    for (k = 0; k < 2; k++) {
        jobs[k].ctx = part[k];
        jobs[k].ev = shard[k];
        jobs[k].n = ns[k];
        pthread_create(&th[k], NULL, ingest, &jobs[k]);
    }
    for (k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    t1 = now();
    t_ingest = t1 - t0;
    if (jobs[0].rc != RTN_OK || jobs[1].rc != RTN_OK)
        return 1;
    c_merge = cpu_now();
    if (rtn_ctx_merge(part[0], part[1]) != RTN_OK) {
        printf("merge failed: %s\n", rtn_ctx_last_error(part[0]));
        return 1;
    }
    if (first_query(part[0]) != RTN_OK)
        return 1;
    t_merge = now() - t1;
    c_merge = cpu_now() - c_merge;
    c_par = (jobs[0].cpu > jobs[1].cpu ? jobs[0].cpu : jobs[1].cpu) + c_merge;

    rtn_stats_init(&st1, sizeof st1);
    rtn_stats_init(&st2, sizeof st2);
    rtn_ctx_stats(&st1, one);
    rtn_ctx_stats(&st2, part[0]);
    bad = check(one, part[0]) || st1.events != st2.events || st1.customers != st2.customers;

    printf("events:             %zu (%llu customers; shards %zu + %zu)\n", n,
           (unsigned long long)st1.customers, ns[0], ns[1]);
    printf("1 thread:           %.3f s  (%.0f events/s)\n", t_single, (double)n / t_single);
    printf("2 threads + merge:  %.3f s  (ingest %.3f s, merge and first query %.3f s)\n", t_ingest + t_merge,
           t_ingest, t_merge);
    printf("speed-up:           %.2fx (wall clock)\n", t_single / (t_ingest + t_merge));
    /* On a machine shared with other work, wall clock understates what two
     * free cores give: the critical path in CPU time is the slower shard
     * plus the merge. */
    printf("CPU: 1 thread %.3f s; shards %.3f s + %.3f s, merge %.3f s\n", c_single, jobs[0].cpu,
           jobs[1].cpu, c_merge);
    printf("speed-up on 2 free cores (CPU critical path): %.2fx\n", c_single / c_par);
    printf("merged == single:   %s\n", bad ? "NO" : "yes");

    rtn_ctx_free(one);
    rtn_ctx_free(part[0]);
    rtn_ctx_free(part[1]);
    free(ev);
    free(shard[0]);
    free(shard[1]);
    return bad;
}
