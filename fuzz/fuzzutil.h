/*
 * fuzzutil.h: helpers for the libFuzzer targets: a memory sink, checksum
 * repair, queries over every metric, and a few events.
 */
#ifndef RTN_FUZZUTIL_H
#define RTN_FUZZUTIL_H

#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define FZ_T0 INT64_C(1767225600000)
#define FZ_DAY INT64_C(86400000)

typedef struct fz_buf {
    unsigned char *p;
    size_t len, cap;
} fz_buf;

static inline int fz_buf_write(const void *data, size_t len, void *user)
{
    fz_buf *b = user;
    if (b->len + len > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        unsigned char *q;
        while (ncap < b->len + len)
            ncap *= 2;
        if ((q = realloc(b->p, ncap)) == NULL)
            return -1;
        b->p = q;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

static inline void fz_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Length field, header CRC and trailer CRC made consistent with the bytes. */
static inline void fz_fix_crcs(uint8_t *p, size_t size)
{
    fz_put32(p + 16, (uint32_t)size);
    fz_put32(p + 20, (uint32_t)((uint64_t)size >> 32));
    fz_put32(p + 24, rtn__crc32(0, p, 24));
    fz_put32(p + size - 4, rtn__crc32(0, p + 0, size - 4));
}

/* Every metric over a few periods, feature 1; cohorts and survival. Results
 * are not checked here (the test suites do); this is for crashes, leaks,
 * undefined behaviour and hangs. */
static inline void fz_query_all(rtn_ctx *ctx)
{
    static const int64_t periods[][2] = {{FZ_T0, FZ_T0 + 30 * FZ_DAY},
                                         {0, INT64_C(7258118400000)},
                                         {FZ_T0 + 3 * FZ_DAY, FZ_T0 + 3 * FZ_DAY}};
    rtn_stats st;
    size_t p, n = 0;
    int m;
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, ctx);
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m))
        for (p = 0; p < sizeof periods / sizeof periods[0]; p++) {
            rtn_value v;
            rtn_query_opts o;
            rtn_value_init(&v, sizeof v);
            rtn_query_opts_init(&o, sizeof o);
            o.feature = 1;
            (void)rtn_query(&v, ctx, m, periods[p][0], periods[p][1], &o);
        }
    (void)rtn_survival(NULL, 0, &n, NULL, ctx, st.last_time);
}

static inline void fz_push_some(rtn_ctx *ctx)
{
    static const int types[] = {RTN_EV_ACQUIRE,  RTN_EV_PURCHASE,     RTN_EV_CHURN,
                                RTN_EV_ACTIVITY, RTN_EV_SUBSCRIPTION, RTN_EV_NPS};
    size_t i;
    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        rtn_event e;
        rtn_event_init(&e, sizeof e);
        e.type = types[i];
        e.time = FZ_T0 + (int64_t)i * FZ_DAY;
        e.customer = 1 + i % 3;
        e.value = types[i] == RTN_EV_NPS ? 9 : 10;
        (void)rtn_push(ctx, &e);
    }
}

#endif
