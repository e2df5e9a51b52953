/*
 * test_merge.c: merging contexts: any split of a stream into parts, the
 * same customer in several parts included, merges into the context of the
 * whole stream; mismatched configs and allocation failures leave dst as it was.
 */
#include "snaputil.h"

#include <stdio.h>

static rtn_config settings(int variant)
{
    rtn_config cfg;
    rtn_config_init(&cfg, sizeof cfg);
    if (variant) {
        cfg.inactivity_days = 14;
        cfg.resolution = RTN_RESOLUTION_HOUR;
        cfg.day_offset_minutes = -300;
        cfg.loyal_min_purchases = 2;
        cfg.loyal_window_days = 30;
    }
    return cfg;
}

/* Split a stream at random into `parts` contexts and merge them, in a
 * random order, into one; it must equal the context of the whole stream. */
static void check_split(const rtn_config *cfg, uint64_t seed, int parts, size_t n,
                        uint32_t customers, uint32_t days)
{
    tu_stream s;
    rtn_ctx *whole = tu_ctx(cfg), *part[8] = {NULL};
    tu_rng r = {seed ^ 0xabcdef};
    char why[512];
    rtn_stats sw, sm;
    size_t i;
    int k, first;
    ck_assert_int_le(parts, 8);
    tu_stream_gen(&s, seed, n, customers, days);
    tu_push_all(whole, s.ev, s.n);
    for (k = 0; k < parts; k++)
        part[k] = tu_ctx(cfg);
    for (i = 0; i < s.n; i++)
        tu_push_ev(part[tu_below(&r, (uint32_t)parts)], &s.ev[i]);
    first = (int)tu_below(&r, (uint32_t)parts);
    for (k = 0; k < parts; k++)
        if (k != first) {
            int rc = rtn_ctx_merge(part[first], part[k]);
            ck_assert_msg(rc == RTN_OK, "seed %llu: merge %d: %s", (unsigned long long)seed, rc,
                          rtn_ctx_last_error(part[first]));
        }
    ck_assert_msg(tu_compare_all(whole, part[first], days, why, sizeof why) == 0,
                  "seed %llu, %d parts: %s", (unsigned long long)seed, parts, why);
    rtn_stats_init(&sw, sizeof sw);
    rtn_stats_init(&sm, sizeof sm);
    rtn_ctx_stats(&sw, whole);
    rtn_ctx_stats(&sm, part[first]);
    ck_assert_uint_eq(sw.events, sm.events);
    ck_assert_uint_eq(sw.customers, sm.customers);
    ck_assert_int_eq(sw.first_time, sm.first_time);
    ck_assert_int_eq(sw.last_time, sm.last_time);
    /* The merged context keeps accepting events like the whole one. */
    for (i = 0; i < 50; i++) {
        rtn_event e = s.ev[i];
        e.time += 5 * T_DAY;
        tu_push_ev(whole, &e);
        tu_push_ev(part[first], &e);
    }
    ck_assert_msg(tu_compare_all(whole, part[first], days + 5, why, sizeof why) == 0,
                  "seed %llu after more events: %s", (unsigned long long)seed, why);
    for (k = 0; k < parts; k++)
        rtn_ctx_free(part[k]);
    rtn_ctx_free(whole);
    tu_stream_free(&s);
}

static const int split_parts[] = {2, 3, 8};

START_TEST(random_splits)
{
    rtn_config cfg = settings(_i % 2);
    int parts = split_parts[_i / 2], k, rounds = su_quick() ? 1 : 3;
    for (k = 0; k < rounds; k++)
        check_split(&cfg, 500 + (uint64_t)(_i * 10 + k), parts, 2500, 120, 100);
}
END_TEST

/* Shard by customer (what bench_parallel does): parts share no customer. */
START_TEST(customer_shards)
{
    tu_stream s;
    rtn_ctx *whole = tu_ctx(NULL), *a = tu_ctx(NULL), *b = tu_ctx(NULL);
    char why[512];
    size_t i;
    tu_stream_gen(&s, 4242, 3000, 200, 90);
    tu_push_all(whole, s.ev, s.n);
    for (i = 0; i < s.n; i++)
        tu_push_ev(s.ev[i].customer % 2 ? a : b, &s.ev[i]);
    ck_assert_int_eq(rtn_ctx_merge(a, b), RTN_OK);
    ck_assert_msg(tu_compare_all(whole, a, 90, why, sizeof why) == 0, "%s", why);
    rtn_ctx_free(whole);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}
END_TEST

/* Hand-computed: customer 1 buys on day 1 in part A and on day 1 and day 5
 * in part B. Merged: 3 purchases, revenue 10 + 20 + 30 = 60, 1 customer,
 * and day 1 holds 2 purchases of one customer. */
START_TEST(same_customer_both_parts)
{
    rtn_ctx *a = tu_ctx(NULL), *b = tu_ctx(NULL);
    rtn_stats st;
    tu_push(a, RTN_EV_PURCHASE, TD(1), 1, 10);
    tu_push(b, RTN_EV_PURCHASE, TD(1) + T_HOUR, 1, 20);
    tu_push(b, RTN_EV_PURCHASE, TD(5), 1, 30);
    ck_assert_int_eq(rtn_ctx_merge(a, b), RTN_OK);
    ck_assert_double_eq(tu_query(a, RTN_METRIC_PURCHASES, T0, TD(10)).value, 3);
    ck_assert_double_eq(tu_query(a, RTN_METRIC_REVENUE, T0, TD(10)).value, 60);
    ck_assert_double_eq(tu_query(a, RTN_METRIC_CUSTOMERS_NEW, T0, TD(10)).value, 1);
    ck_assert_double_eq(tu_query(a, RTN_METRIC_CUSTOMERS_END, T0, TD(10)).value, 1);
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, a);
    ck_assert_uint_eq(st.events, 3);
    ck_assert_uint_eq(st.customers, 1);
    ck_assert_int_eq(st.first_time, TD(1));
    ck_assert_int_eq(st.last_time, TD(5));
    /* src is unchanged. */
    ck_assert_double_eq(tu_query(b, RTN_METRIC_PURCHASES, T0, TD(10)).value, 2);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
}
END_TEST

/* Hand-computed: a contact resolved on day 300 in one part and opened on
 * day 0 in the other. Merged either way, it is one contact resolved in
 * 7,200 hours, in the bucket of day 300, which the part that held the
 * resolve alone never used (the fuzzer found the merge writing past that
 * accumulator). */
START_TEST(contact_joined_across_parts)
{
    int way;
    for (way = 0; way < 2; way++) {
        rtn_ctx *open = tu_ctx(NULL), *resolve = tu_ctx(NULL), *whole = tu_ctx(NULL);
        rtn_ctx *dst = way ? open : resolve, *src = way ? resolve : open;
        rtn_value v;
        char why[512];
        tu_push_ref(open, RTN_EV_CONTACT_OPEN, TD(0), 1, 0, 7);
        tu_push_ref(resolve, RTN_EV_CONTACT_RESOLVE, TD(300), 1, 0, 7);
        tu_push_ref(whole, RTN_EV_CONTACT_OPEN, TD(0), 1, 0, 7);
        tu_push_ref(whole, RTN_EV_CONTACT_RESOLVE, TD(300), 1, 0, 7);
        /* The part with the resolve alone has no time to resolution. */
        ck_assert_int_eq((int)tu_query(resolve, RTN_METRIC_TIME_TO_RESOLUTION, T0, TD(301)).n, 0);
        ck_assert_int_eq(rtn_ctx_merge(dst, src), RTN_OK);
        v = tu_query(dst, RTN_METRIC_TIME_TO_RESOLUTION, T0, TD(301));
        ck_assert_int_eq((int)v.n, 1);
        ck_assert_double_eq_tol(v.value, 7200.0, 1e-9);
        ck_assert_int_eq((int)tu_query(dst, RTN_METRIC_TIME_TO_RESOLUTION, TD(300), TD(301)).n, 1);
        ck_assert_int_eq((int)tu_query(dst, RTN_METRIC_TIME_TO_RESOLUTION, T0, TD(300)).n, 0);
        ck_assert_msg(tu_compare_all(whole, dst, 301, why, sizeof why) == 0, "way %d: %s", way, why);
        rtn_ctx_free(open);
        rtn_ctx_free(resolve);
        rtn_ctx_free(whole);
    }
}
END_TEST

START_TEST(into_empty_and_from_empty)
{
    tu_stream s;
    rtn_ctx *a = tu_ctx(NULL), *e = tu_ctx(NULL), *e2 = tu_ctx(NULL);
    char why[512];
    tu_stream_gen(&s, 99, 1500, 80, 60);
    tu_push_all(a, s.ev, s.n);
    ck_assert_int_eq(rtn_ctx_merge(e, a), RTN_OK);
    ck_assert_msg(tu_compare_all(a, e, 60, why, sizeof why) == 0, "into empty: %s", why);
    ck_assert_int_eq(rtn_ctx_merge(a, e2), RTN_OK);
    ck_assert_msg(tu_compare_all(a, e, 60, why, sizeof why) == 0, "from empty: %s", why);
    rtn_ctx_free(a);
    rtn_ctx_free(e);
    rtn_ctx_free(e2);
    tu_stream_free(&s);
}
END_TEST

/* merge(A, A) is the context of the stream fed twice. */
START_TEST(self_merge)
{
    tu_stream s;
    rtn_ctx *a = tu_ctx(NULL), *twice = tu_ctx(NULL);
    char why[512];
    tu_stream_gen(&s, 7, 800, 50, 40);
    tu_push_all(a, s.ev, s.n);
    tu_push_all(twice, s.ev, s.n);
    tu_push_all(twice, s.ev, s.n);
    ck_assert_int_eq(rtn_ctx_merge(a, a), RTN_OK);
    ck_assert_msg(tu_compare_all(a, twice, 40, why, sizeof why) == 0, "%s", why);
    rtn_ctx_free(a);
    rtn_ctx_free(twice);
    tu_stream_free(&s);
}
END_TEST

START_TEST(mismatched_configs)
{
    tu_stream s;
    rtn_config ca, cb;
    rtn_ctx *a, *b, *twin;
    char why[512];
    int field;
    tu_stream_gen(&s, 12, 600, 40, 30);
    for (field = 0; field < 9; field++) {
        rtn_config_init(&ca, sizeof ca);
        cb = ca;
        switch (field) {
        case 0:
            cb.resolution = RTN_RESOLUTION_HOUR;
            break;
        case 1:
            cb.day_offset_minutes = 60;
            break;
        case 2:
            cb.inactivity_days = 30;
            break;
        case 3:
            cb.loyal_min_purchases = 5;
            break;
        case 4:
            cb.loyal_window_days = 90;
            break;
        case 5:
            cb.gross_margin = 0.5;
            break;
        case 6:
            cb.csat_satisfied = 5;
            break;
        case 7:
            cb.value_event = RTN_EV_FEATURE;
            break;
        default:
            cb.health.recency = 0.9;
            break;
        }
        a = tu_ctx(&ca);
        twin = tu_ctx(&ca);
        b = tu_ctx(&cb);
        tu_push_all(a, s.ev, s.n / 2);
        tu_push_all(twin, s.ev, s.n / 2);
        tu_push_all(b, s.ev + s.n / 2, s.n - s.n / 2);
        ck_assert_int_eq(rtn_ctx_merge(a, b), RTN_EMISMATCH);
        ck_assert(strlen(rtn_ctx_last_error(a)) > 0);
        ck_assert_msg(tu_compare_all(a, twin, 30, why, sizeof why) == 0, "field %d: %s", field,
                      why);
        rtn_ctx_free(a);
        rtn_ctx_free(b);
        rtn_ctx_free(twin);
    }
    /* The allocator and the memory cap may differ. */
    rtn_config_init(&ca, sizeof ca);
    cb = ca;
    cb.memory_cap = 1 << 30;
    a = tu_ctx(&ca);
    b = tu_ctx(&cb);
    tu_push_all(b, s.ev, s.n);
    ck_assert_int_eq(rtn_ctx_merge(a, b), RTN_OK);
    ck_assert_int_eq(rtn_ctx_merge(NULL, b), RTN_EINVAL);
    ck_assert_int_eq(rtn_ctx_merge(a, NULL), RTN_EINVAL);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}
END_TEST

/* The k-th allocation fails, for every k: RTN_ENOMEM and dst unchanged.
 * Every allocation of the merge's private copy of dst is dst's; dst has
 * pending changes (loop 0; the copy applies them) or none (loop 1). */
START_TEST(alloc_failures)
{
    tu_stream s;
    su_alloc al;
    rtn_config cfg;
    rtn_ctx *dst, *twin, *src, *whole;
    char why[512];
    uint64_t k, step = su_quick() ? 7 : 1;
    int rc;
    size_t i;
    tu_stream_gen(&s, 2024, 500, 40, 40);
    rtn_config_init(&cfg, sizeof cfg);
    memset(&al, 0, sizeof al);
    su_config(&cfg, &al);
    dst = tu_ctx(&cfg);
    twin = tu_ctx(NULL);
    src = tu_ctx(NULL);
    whole = tu_ctx(NULL);
    for (i = 0; i < s.n; i++)
        if (i % 3 == 0) {
            tu_push_ev(dst, &s.ev[i]);
            tu_push_ev(twin, &s.ev[i]);
        } else {
            tu_push_ev(src, &s.ev[i]);
        }
    tu_push_all(whole, s.ev, s.n);
    if (_i == 1)
        (void)tu_query(dst, RTN_METRIC_CUSTOMERS_END, T0, TD(40));
    for (k = 1;; k += step) {
        uint64_t before;
        memset(&al, 0, sizeof al);
        al.fail_at = k;
        rc = rtn_ctx_merge(dst, src);
        before = al.calls;
        al.fail_at = 0;
        if (rc == RTN_OK)
            break;
        ck_assert_msg(rc == RTN_ENOMEM, "allocation %llu: rc %d", (unsigned long long)k, rc);
        ck_assert_uint_ge(before, k);
        ck_assert_msg(tu_compare_all(dst, twin, 40, why, sizeof why) == 0,
                      "allocation %llu: dst changed: %s", (unsigned long long)k, why);
        ck_assert_uint_lt(k, 100000);
    }
    ck_assert_msg(tu_compare_all(dst, whole, 40, why, sizeof why) == 0, "%s", why);
    rtn_ctx_free(dst);
    rtn_ctx_free(twin);
    rtn_ctx_free(src);
    rtn_ctx_free(whole);
    tu_stream_free(&s);
}
END_TEST

/* Over the cap, merge fails with RTN_ENOMEM and dst is unchanged. */
START_TEST(merge_over_cap)
{
    tu_stream s;
    rtn_config cfg;
    rtn_ctx *dst, *twin, *src;
    rtn_stats st;
    char why[512];
    tu_stream_gen(&s, 3, 3000, 300, 60);
    rtn_config_init(&cfg, sizeof cfg);
    dst = tu_ctx(NULL);
    tu_push_all(dst, s.ev, 100);
    /* Measured with the contributions applied, as a capped context keeps them. */
    (void)tu_query(dst, RTN_METRIC_CUSTOMERS_END, T0, TD(60));
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, dst);
    rtn_ctx_free(dst);
    cfg.memory_cap = st.memory_bytes + 4096;
    dst = tu_ctx(&cfg);
    twin = tu_ctx(NULL);
    src = tu_ctx(NULL);
    tu_push_all(dst, s.ev, 100);
    tu_push_all(twin, s.ev, 100);
    tu_push_all(src, s.ev + 100, s.n - 100);
    ck_assert_int_eq(rtn_ctx_merge(dst, src), RTN_ENOMEM);
    ck_assert_msg(tu_compare_all(dst, twin, 60, why, sizeof why) == 0, "%s", why);
    rtn_ctx_stats(&st, dst);
    ck_assert_uint_le(st.memory_bytes, cfg.memory_cap);
    rtn_ctx_free(dst);
    rtn_ctx_free(twin);
    rtn_ctx_free(src);
    tu_stream_free(&s);
}
END_TEST

/* Merge, then more events for both contexts: the merged one keeps equal
 * to the one fed everything. */
static void check_more_events(rtn_ctx *whole, rtn_ctx *merged, const tu_stream *s, uint32_t days)
{
    char why[512];
    size_t i;
    for (i = 0; i < s->n && i < 200; i += 3) {
        rtn_event e = s->ev[i];
        e.time += (int64_t)(i % 11) * T_DAY;
        tu_push_ev(whole, &e);
        tu_push_ev(merged, &e);
    }
    ck_assert_msg(tu_compare_all(whole, merged, days + 11, why, sizeof why) == 0,
                  "after more events: %s", why);
}

/* Parts with pending (unqueried) or applied changes on either side, sharing
 * customers (split by event) or not (split by customer): the merge applies
 * src's pending changes and dst's copy's, and equals the whole stream. */
START_TEST(pending_changes_either_side)
{
    int by_customer = _i & 1, query_dst = (_i >> 1) & 1, query_src = (_i >> 2) & 1;
    rtn_config cfg = settings(_i >= 8 ? 1 : 0);
    tu_stream s;
    rtn_ctx *whole = tu_ctx(&cfg), *a = tu_ctx(&cfg), *b = tu_ctx(&cfg);
    char why[512];
    rtn_value before;
    size_t i;
    tu_stream_gen(&s, 77 + (uint64_t)_i, 2000, 90, 70);
    tu_push_all(whole, s.ev, s.n);
    for (i = 0; i < s.n; i++) {
        int to_a = by_customer ? s.ev[i].customer % 3 == 0 : i % 2 == 0;
        tu_push_ev(to_a ? a : b, &s.ev[i]);
    }
    if (query_dst)
        (void)tu_query(a, RTN_METRIC_CUSTOMERS_END, T0, TD(70));
    if (query_src)
        (void)tu_query(b, RTN_METRIC_CUSTOMERS_END, T0, TD(70));
    ck_assert_int_eq(rtn_ctx_merge(a, b), RTN_OK);
    ck_assert_msg(tu_compare_all(whole, a, 70, why, sizeof why) == 0,
                  "by customer %d, query dst %d, src %d: %s", by_customer, query_dst, query_src,
                  why);
    /* src answers as before: every event it was given, nothing else. */
    before = tu_query(b, RTN_METRIC_PURCHASES, T0, TD(80));
    {
        rtn_ctx *bt = tu_ctx(&cfg);
        for (i = 0; i < s.n; i++) {
            int to_a = by_customer ? s.ev[i].customer % 3 == 0 : i % 2 == 0;
            if (!to_a)
                tu_push_ev(bt, &s.ev[i]);
        }
        ck_assert(tu_same(before.value, tu_query(bt, RTN_METRIC_PURCHASES, T0, TD(80)).value));
        ck_assert_msg(tu_compare_all(bt, b, 70, why, sizeof why) == 0, "src changed: %s", why);
        rtn_ctx_free(bt);
    }
    check_more_events(whole, a, &s, 70);
    rtn_ctx_free(whole);
    rtn_ctx_free(a);
    rtn_ctx_free(b);
    tu_stream_free(&s);
}
END_TEST

/* A capped dst (pushes apply their contributions at once) merges within
 * its cap, and keeps working after the merge. */
START_TEST(merge_into_capped)
{
    tu_stream s;
    rtn_config cfg;
    rtn_ctx *dst, *src, *whole;
    rtn_stats st;
    char why[512];
    size_t i;
    tu_stream_gen(&s, 31, 2400, 150, 60);
    rtn_config_init(&cfg, sizeof cfg);
    cfg.memory_cap = 64u << 20;
    dst = tu_ctx(&cfg);
    src = tu_ctx(NULL);
    whole = tu_ctx(NULL);
    tu_push_all(whole, s.ev, s.n);
    for (i = 0; i < s.n; i++)
        tu_push_ev(i % 4 == 0 ? dst : src, &s.ev[i]);
    ck_assert_int_eq(rtn_ctx_merge(dst, src), RTN_OK);
    ck_assert_msg(tu_compare_all(whole, dst, 60, why, sizeof why) == 0, "%s", why);
    rtn_stats_init(&st, sizeof st);
    rtn_ctx_stats(&st, dst);
    ck_assert_uint_le(st.memory_bytes, cfg.memory_cap);
    ck_assert_uint_gt(st.memory_bytes, 0);
    check_more_events(whole, dst, &s, 60);
    rtn_ctx_stats(&st, dst);
    ck_assert_uint_le(st.memory_bytes, cfg.memory_cap);
    rtn_ctx_free(dst);
    rtn_ctx_free(src);
    rtn_ctx_free(whole);
    tu_stream_free(&s);
}
END_TEST

/* An allocator that knows how many bytes are live (a size header per block). */
typedef struct live_alloc {
    int64_t live;
} live_alloc;

static void *live_malloc(size_t size, void *user)
{
    uint64_t *p = malloc(size + 16);
    if (p == NULL)
        return NULL;
    p[0] = size;
    ((live_alloc *)user)->live += (int64_t)size;
    return p + 2;
}

static void *live_realloc(void *q, size_t size, void *user)
{
    uint64_t *p = (uint64_t *)q - 2, old = p[0];
    uint64_t *n = realloc(p, size + 16);
    if (n == NULL)
        return NULL;
    n[0] = size;
    ((live_alloc *)user)->live += (int64_t)size - (int64_t)old;
    return n + 2;
}

static void live_free(void *q, void *user)
{
    uint64_t *p = (uint64_t *)q - 2;
    ((live_alloc *)user)->live -= (int64_t)p[0];
    free(p);
}

/* The memory a context reports is exactly what its allocator holds for it,
 * after merges (of a deep copy) and after more events. */
START_TEST(merged_memory_accounting)
{
    tu_stream s;
    live_alloc al = {0};
    rtn_config cfg;
    rtn_ctx *dst, *src, *whole;
    rtn_stats st;
    size_t i;
    int round;
    tu_stream_gen(&s, 5, 1500, 100, 50);
    rtn_config_init(&cfg, sizeof cfg);
    cfg.allocator.malloc_fn = live_malloc;
    cfg.allocator.realloc_fn = live_realloc;
    cfg.allocator.free_fn = live_free;
    cfg.allocator.user = &al;
    rtn_stats_init(&st, sizeof st);
    for (round = 0; round < 2; round++) {
        dst = tu_ctx(&cfg);
        src = tu_ctx(NULL);
        whole = tu_ctx(NULL);
        tu_push_all(whole, s.ev, s.n);
        for (i = 0; i < s.n; i++)
            tu_push_ev(i % 3 == 0 ? dst : src, &s.ev[i]);
        if (round)
            (void)tu_query(dst, RTN_METRIC_CUSTOMERS_END, T0, TD(50));
        ck_assert_int_eq(rtn_ctx_merge(dst, src), RTN_OK);
        rtn_ctx_stats(&st, dst);
        ck_assert_int_eq((int64_t)st.memory_bytes, al.live);
        check_more_events(whole, dst, &s, 50);
        ck_assert_int_eq(rtn_ctx_merge(dst, src), RTN_OK); /* src's events twice */
        rtn_ctx_stats(&st, dst);
        ck_assert_int_eq((int64_t)st.memory_bytes, al.live);
        rtn_ctx_free(dst);
        ck_assert_int_eq(al.live, 0);
        rtn_ctx_free(src);
        rtn_ctx_free(whole);
    }
    tu_stream_free(&s);
}
END_TEST

/* Allocation k of src's pending changes fails, for every k: RTN_ENOMEM,
 * dst unchanged, src still answers as before; then the merge succeeds. */
START_TEST(src_fold_failures)
{
    tu_stream s;
    su_alloc al;
    rtn_config cfg;
    rtn_ctx *dst, *twin, *src, *src_twin, *whole;
    char why[512];
    uint64_t k, step = su_quick() ? 5 : 1;
    int rc;
    size_t i;
    tu_stream_gen(&s, 808, 400, 40, 40);
    rtn_config_init(&cfg, sizeof cfg);
    memset(&al, 0, sizeof al);
    su_config(&cfg, &al);
    dst = tu_ctx(NULL);
    twin = tu_ctx(NULL);
    src = tu_ctx(&cfg);
    src_twin = tu_ctx(NULL);
    whole = tu_ctx(NULL);
    for (i = 0; i < s.n; i++)
        if (i % 2 == 0) {
            tu_push_ev(dst, &s.ev[i]);
            tu_push_ev(twin, &s.ev[i]);
        } else {
            tu_push_ev(src, &s.ev[i]);
            tu_push_ev(src_twin, &s.ev[i]);
        }
    tu_push_all(whole, s.ev, s.n);
    for (k = 1;; k += step) {
        al.calls = 0;
        al.fail_at = k;
        al.fail_sticky = 1;
        rc = rtn_ctx_merge(dst, src);
        al.fail_at = 0;
        al.fail_sticky = 0;
        if (rc == RTN_OK)
            break;
        ck_assert_int_eq(rc, RTN_ENOMEM);
        ck_assert_msg(tu_compare_all(dst, twin, 40, why, sizeof why) == 0,
                      "allocation %llu: dst changed: %s", (unsigned long long)k, why);
        ck_assert_uint_lt(k, 100000);
    }
    ck_assert_msg(tu_compare_all(dst, whole, 40, why, sizeof why) == 0, "%s", why);
    ck_assert_msg(tu_compare_all(src, src_twin, 40, why, sizeof why) == 0, "src: %s", why);
    rtn_ctx_free(dst);
    rtn_ctx_free(twin);
    rtn_ctx_free(src);
    rtn_ctx_free(src_twin);
    rtn_ctx_free(whole);
    tu_stream_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("merge");
    TCase *tc = tcase_create("merge");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, random_splits, 0, 6);
    tcase_add_test(tc, customer_shards);
    tcase_add_test(tc, same_customer_both_parts);
    tcase_add_test(tc, contact_joined_across_parts);
    tcase_add_test(tc, into_empty_and_from_empty);
    tcase_add_test(tc, self_merge);
    tcase_add_test(tc, mismatched_configs);
    tcase_add_loop_test(tc, alloc_failures, 0, 2);
    tcase_add_test(tc, merge_over_cap);
    tcase_add_loop_test(tc, pending_changes_either_side, 0, 16);
    tcase_add_test(tc, merge_into_capped);
    tcase_add_test(tc, merged_memory_accounting);
    tcase_add_test(tc, src_fold_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
