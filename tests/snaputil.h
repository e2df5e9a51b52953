/*
 * snaputil.h: helpers for the snapshot and merge suites: an allocator that
 * counts requests and can fail the k-th one, an in-memory snapshot sink, a
 * digest of every query result, and iteration counts scaled for valgrind.
 */
#ifndef RTN_SNAPUTIL_H
#define RTN_SNAPUTIL_H

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Allocator hooks: counts calls and bytes; fails call number fail_at (1-based,
 * 0 = never) and every later one while fail_sticky is set. */
typedef struct su_alloc {
    uint64_t calls, bytes, max_request;
    uint64_t fail_at;
    int fail_sticky;
} su_alloc;

static inline int su_alloc_fails(su_alloc *a, size_t size)
{
    a->calls++;
    if (size > a->max_request)
        a->max_request = size;
    if (a->fail_at && (a->calls == a->fail_at || (a->fail_sticky && a->calls > a->fail_at)))
        return 1;
    a->bytes += size;
    return 0;
}

static inline void *su_malloc(size_t size, void *user)
{
    return su_alloc_fails(user, size) ? NULL : malloc(size);
}

static inline void *su_realloc(void *p, size_t size, void *user)
{
    return su_alloc_fails(user, size) ? NULL : realloc(p, size);
}

static inline void su_free(void *p, void *user)
{
    (void)user;
    free(p);
}

static inline void su_config(rtn_config *cfg, su_alloc *a)
{
    cfg->allocator.malloc_fn = su_malloc;
    cfg->allocator.realloc_fn = su_realloc;
    cfg->allocator.free_fn = su_free;
    cfg->allocator.user = a;
}

static inline void su_save(rtn_ctx *ctx, tu_buf *b)
{
    int rc;
    memset(b, 0, sizeof *b);
    rc = rtn_snapshot_save(ctx, tu_buf_write, b);
    ck_assert_msg(rc == RTN_OK, "save: %d %s", rc, rtn_ctx_last_error(ctx));
}

/* A reader over a buffer that returns at most `chunk` bytes per call. */
typedef struct su_reader {
    const unsigned char *p;
    size_t len, pos, chunk;
} su_reader;

static inline int64_t su_read(void *data, size_t len, void *user)
{
    su_reader *r = user;
    size_t k = r->len - r->pos;
    if (k > len)
        k = len;
    if (r->chunk && k > r->chunk)
        k = r->chunk;
    memcpy(data, r->p + r->pos, k);
    r->pos += k;
    return (int64_t)k;
}

static inline uint64_t su_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;
    for (i = 0; i < n; i++)
        h = (h ^ s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* A digest of every metric over several periods (and of the stats), so two
 * processes can compare contexts by one number. */
static inline uint64_t su_digest(rtn_ctx *ctx, uint32_t days)
{
    int64_t periods[][2] = {{T0, TD(days)},
                            {TD(1), TD(8)},
                            {TD(days / 3), TD(days / 2)},
                            {TD(days - 7), TD(days + 30)}};
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    rtn_stats st;
    size_t p;
    int m;
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, ctx);
    h = su_mix(h, &st.events, sizeof st.events);
    h = su_mix(h, &st.customers, sizeof st.customers);
    h = su_mix(h, &st.first_time, sizeof st.first_time);
    h = su_mix(h, &st.last_time, sizeof st.last_time);
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m))
        for (p = 0; p < sizeof periods / sizeof periods[0]; p++) {
            rtn_value v;
            rtn_query_opts o;
            int rc;
            rtn_value_init(&v, sizeof v);
            rtn_query_opts_init(&o, sizeof o);
            o.feature = 1;
            rc = rtn_query(&v, ctx, m, periods[p][0], periods[p][1], &o);
            h = su_mix(h, &rc, sizeof rc);
            if (rc == RTN_OK) {
                h = su_mix(h, &v.defined, sizeof v.defined);
                h = su_mix(h, &v.value, sizeof v.value);
                h = su_mix(h, &v.numerator, sizeof v.numerator);
                h = su_mix(h, &v.denominator, sizeof v.denominator);
            }
        }
    return h;
}

/* Iteration counts: under valgrind (seen through its preload library, as
 * in the valgrind preset) or with RTN_TEST_QUICK=1 (scripts/valgrind.sh),
 * the heaviest loops do less work. */
static inline int su_quick(void)
{
    const char *q = getenv("RTN_TEST_QUICK"), *pre = getenv("LD_PRELOAD");
    if (q != NULL && q[0] != '\0' && q[0] != '0')
        return 1;
    return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

#endif
