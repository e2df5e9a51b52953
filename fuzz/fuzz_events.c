/*
 * fuzz_events.c: libFuzzer target for the event path and queries. The input
 * is a program: each step pushes an event built from the bytes (types,
 * times, ids, values and references, valid or not), queries a metric or a
 * series, or folds a snapshot round trip or a merge in. Invariants checked:
 * a refused event changes nothing; E = S + N + R - L; a context fed the
 * accepted events in reverse order, and the merge of two halves, answer the
 * same; a snapshot round trip changes nothing.
 */
#include "fuzzutil.h"

#include <math.h>

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

static uint32_t take(fz_in *in, int bytes)
{
    uint32_t v = 0;
    int i;
    for (i = 0; i < bytes; i++) {
        v = v << 8 | (in->n ? *in->p : 0);
        if (in->n) {
            in->p++;
            in->n--;
        }
    }
    return v;
}

static const double values[] = {0, 1, 2.5, 7, 10, 99.99, -1, 1e13, 0.00005, 3};

static rtn_event make_event(fz_in *in, char *idbuf)
{
    rtn_event e;
    uint32_t t = take(in, 1), c = take(in, 1), f = take(in, 1);
    rtn_event_init(&e, sizeof e);
    e.type = (int)(t % 21); /* 0 and 20 are not event types */
    e.time = FZ_T0 + (int64_t)take(in, 2) * (FZ_DAY / 8);
    if (f & 1) {
        /* Out of range, or anywhere within two years around T0 (a wider span
         * is legal but makes every Fenwick tree megabytes: slow fuzzing). */
        uint32_t w = take(in, 4);
        e.time = w % 3 == 0   ? -1 - (int64_t)(w >> 8)
                 : w % 3 == 1 ? INT64_C(7258118400000) + (int64_t)(w >> 8)
                              : FZ_T0 - 365 * FZ_DAY + (int64_t)(w >> 2) % (730 * FZ_DAY);
    }
    e.customer = c % 16;
    if (f & 2) {
        idbuf[0] = 'c';
        idbuf[1] = (char)('a' + c % 8);
        e.customer_str = idbuf;
        e.customer_len = (f & 4) ? 0 : 2;
    }
    e.value = values[(f >> 3) % 10];
    if (e.type >= RTN_EV_NPS)
        e.value = (double)(take(in, 1) % 13) - 1;
    e.quantity = (int64_t)(take(in, 1) % 4) - ((f & 0x80) ? 1 : 0);
    e.ref = take(in, 1) % 5;
    return e;
}

static double q(rtn_ctx *ctx, int metric, int64_t from, int64_t to)
{
    rtn_value v;
    rtn_value_init(&v, sizeof v);
    if (rtn_query(&v, ctx, metric, from, to, NULL) != RTN_OK)
        abort();
    return v.value;
}

static void check_identity(rtn_ctx *ctx, int64_t from, int64_t to)
{
    double S = q(ctx, RTN_METRIC_CUSTOMERS_START, from, to),
           E = q(ctx, RTN_METRIC_CUSTOMERS_END, from, to);
    double N = q(ctx, RTN_METRIC_CUSTOMERS_NEW, from, to),
           R = q(ctx, RTN_METRIC_CUSTOMERS_REACTIVATED, from, to);
    double L = q(ctx, RTN_METRIC_CUSTOMERS_LOST, from, to);
    if (E != S + N + R - L || S < 0 || E < 0)
        abort();
}

/* Compare a few metrics exactly (bitwise, NaN equal to NaN). */
static void same(rtn_ctx *a, rtn_ctx *b)
{
    static const int metrics[] = {RTN_METRIC_CUSTOMERS_END, RTN_METRIC_CUSTOMERS_NEW,
                                  RTN_METRIC_CUSTOMERS_LOST, RTN_METRIC_PURCHASES,
                                  RTN_METRIC_REVENUE};
    rtn_stats sa, sb;
    size_t m;
    for (m = 0; m < sizeof metrics / sizeof metrics[0]; m++) {
        double x = q(a, metrics[m], FZ_T0, FZ_T0 + 400 * FZ_DAY),
               y = q(b, metrics[m], FZ_T0, FZ_T0 + 400 * FZ_DAY);
        if (memcmp(&x, &y, sizeof x) != 0 && !(isnan(x) && isnan(y)))
            abort();
    }
    rtn_stats_init(&sa, sizeof sa);
    rtn_stats_init(&sb, sizeof sb);
    rtn_ctx_stats(&sa, a);
    rtn_ctx_stats(&sb, b);
    if (sa.events != sb.events || sa.customers != sb.customers || sa.last_time != sb.last_time)
        abort();
}

#define FZ_MAX_EVENTS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    rtn_ctx *ctx = NULL, *rev = NULL, *half[2] = {NULL, NULL};
    rtn_event acc[FZ_MAX_EVENTS];
    char ids[FZ_MAX_EVENTS][2];
    size_t nacc = 0, i;
    rtn_config cfg;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.inactivity_days = (int32_t)(take(&in, 1) % 3) * 7;
    cfg.resolution = take(&in, 1) & 1 ? RTN_RESOLUTION_HOUR : RTN_RESOLUTION_DAY;
    if (rtn_ctx_new(&ctx, &cfg) != RTN_OK || rtn_ctx_new(&half[0], &cfg) != RTN_OK ||
        rtn_ctx_new(&half[1], &cfg) != RTN_OK || rtn_ctx_new(&rev, &cfg) != RTN_OK)
        abort();
    while (in.n > 0 && nacc < FZ_MAX_EVENTS) {
        uint32_t op = take(&in, 1) % 8;
        if (op < 5) {
            rtn_event e = make_event(&in, ids[nacc]);
            rtn_stats before, after;
            int rc;
            rtn_stats_init(&before, sizeof before);
            rtn_stats_init(&after, sizeof after);
            rtn_ctx_stats(&before, ctx);
            rc = rtn_push(ctx, &e);
            rtn_ctx_stats(&after, ctx);
            if (rc == RTN_OK) {
                if (after.events != before.events + 1 || rtn_push(half[nacc % 2], &e) != RTN_OK)
                    abort();
                acc[nacc++] = e;
            } else if (after.events != before.events || after.customers != before.customers ||
                       after.memory_bytes != before.memory_bytes) {
                abort();
            }
        } else if (op == 5) {
            int64_t from = FZ_T0 + (int64_t)take(&in, 2) * (FZ_DAY / 4);
            int64_t to = from + (int64_t)take(&in, 2) * (FZ_DAY / 4);
            check_identity(ctx, from, to);
            /* One half applies its pushes now: the merge below then meets
             * halves with and without pending changes. */
            (void)q(half[take(&in, 1) & 1], RTN_METRIC_CUSTOMERS_END, from, to);
        } else if (op == 6) {
            rtn_value v[64];
            size_t n = 0;
            int every = (int)(take(&in, 1) % 6), metric = rtn_metric_next((int)take(&in, 2) % 1000);
            int64_t from = FZ_T0 + (int64_t)take(&in, 1) * FZ_DAY;
            v[0].size = sizeof v[0];
            rtn_value_init(&v[0], sizeof v[0]);
            (void)rtn_query_series(v, 64, &n, ctx, metric < 0 ? 1 : metric, from,
                                   from + 90 * FZ_DAY, every, NULL);
        } else {
            fz_buf b = {NULL, 0, 0};
            rtn_ctx *loaded = NULL;
            if (rtn_snapshot_save(ctx, fz_buf_write, &b) != RTN_OK ||
                rtn_snapshot_load_buffer(&loaded, NULL, b.p, b.len) != RTN_OK)
                abort();
            same(ctx, loaded);
            rtn_ctx_free(ctx);
            ctx = loaded;
            free(b.p);
        }
    }
    for (i = nacc; i > 0; i--)
        if (rtn_push(rev, &acc[i - 1]) != RTN_OK)
            abort();
    same(ctx, rev);
    if (rtn_ctx_merge(half[0], half[1]) != RTN_OK)
        abort();
    same(ctx, half[0]);
    fz_query_all(ctx);
    rtn_ctx_free(ctx);
    rtn_ctx_free(rev);
    rtn_ctx_free(half[0]);
    rtn_ctx_free(half[1]);
    return 0;
}
