/* testutil.c: helpers shared by the test suites (see testutil.h). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rtn_event tu_ev(int type, int64_t time, uint64_t customer, double value)
{
    rtn_event e;
    rtn_event_init(&e, sizeof e);
    e.type = type;
    e.time = time;
    e.customer = customer;
    e.value = value;
    return e;
}

void tu_push_ev(rtn_ctx *ctx, const rtn_event *ev)
{
    int rc = rtn_push(ctx, ev);
    ck_assert_msg(rc == RTN_OK, "push type %d failed: %d %s", ev->type, rc, rtn_ctx_last_error(ctx));
}

void tu_push(rtn_ctx *ctx, int type, int64_t time, uint64_t customer, double value)
{
    rtn_event e = tu_ev(type, time, customer, value);
    tu_push_ev(ctx, &e);
}

void tu_push_ref(rtn_ctx *ctx, int type, int64_t time, uint64_t customer, double value, uint64_t ref)
{
    rtn_event e = tu_ev(type, time, customer, value);
    e.ref = ref;
    tu_push_ev(ctx, &e);
}

rtn_value tu_query(rtn_ctx *ctx, int metric, int64_t from, int64_t to)
{
    rtn_value v;
    int rc;
    rtn_value_init(&v, sizeof v);
    rc = rtn_query(&v, ctx, metric, from, to, NULL);
    ck_assert_msg(rc == RTN_OK, "query %d failed: %d %s", metric, rc, rtn_ctx_last_error(ctx));
    return v;
}

rtn_ctx *tu_ctx(const rtn_config *cfg)
{
    rtn_ctx *ctx = NULL;
    int rc = rtn_ctx_new(&ctx, cfg);
    ck_assert_int_eq(rc, RTN_OK);
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

static int fail_now(tu_failing *f)
{
    if (f->left < 0)
        return 0;
    if (f->left == 0) {
        if (!f->sticky)
            f->left = -1;
        return 1;
    }
    f->left--;
    return 0;
}

static void *fail_malloc(size_t n, void *u)
{
    return fail_now(u) ? NULL : malloc(n);
}

static void *fail_realloc(void *p, size_t n, void *u)
{
    return fail_now(u) ? NULL : realloc(p, n);
}

static void fail_free(void *p, void *u)
{
    (void)u;
    free(p);
}

void tu_failing_hooks(rtn_allocator *a, tu_failing *f)
{
    a->malloc_fn = fail_malloc;
    a->realloc_fn = fail_realloc;
    a->free_fn = fail_free;
    a->user = f;
}

int tu_buf_write(const void *data, size_t len, void *user)
{
    tu_buf *b = user;
    if (b->fail_after > 0 && b->len + len > b->fail_after)
        return -1;
    if (b->len + len > b->cap) {
        size_t ncap = b->cap ? b->cap : 1024;
        while (ncap < b->len + len)
            ncap *= 2;
        b->p = realloc(b->p, ncap);
        ck_assert_ptr_nonnull(b->p);
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return 0;
}

int64_t tu_buf_read(void *data, size_t len, void *user)
{
    tu_buf *b = user;
    size_t k = b->len - b->pos < len ? b->len - b->pos : len;
    memcpy(data, b->p + b->pos, k);
    b->pos += k;
    return (int64_t)k;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

uint64_t tu_next(tu_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint32_t tu_below(tu_rng *r, uint32_t n)
{
    return n ? (uint32_t)(tu_next(r) % n) : 0;
}

#define TU_STRLEN 12

void tu_stream_gen(tu_stream *s, uint64_t seed, size_t n, uint32_t customers, uint32_t days)
{
    tu_rng r = {seed};
    size_t i;
    s->ev = calloc(n ? n : 1, sizeof(rtn_event));
    s->strs = calloc(n ? n : 1, TU_STRLEN);
    s->n = n;
    ck_assert(s->ev && s->strs);
    for (i = 0; i < n; i++) {
        rtn_event *e = &s->ev[i];
        uint32_t c = tu_below(&r, customers) + 1, k = tu_below(&r, 100);
        rtn_event_init(e, sizeof *e);
        e->time = T0 + (int64_t)tu_below(&r, days) * T_DAY + (int64_t)tu_below(&r, 86400) * 1000;
        e->customer = c;
        if (c % 7 == 0) { /* some customers have string ids, one spelling a number */
            char *p = s->strs + i * TU_STRLEN;
            int len = snprintf(p, TU_STRLEN, c % 14 == 0 ? "%u" : "c-%u", c);
            e->customer_str = p;
            e->customer_len = (uint32_t)len;
        }
        if (k < 8) e->type = RTN_EV_ACQUIRE, e->ref = tu_below(&r, 4) == 0 ? c + 1 : 0;
        else if (k < 12) e->type = RTN_EV_CHURN;
        else if (k < 30) e->type = RTN_EV_PURCHASE, e->value = (double)(tu_below(&r, 20000)) / 100.0,
                         e->quantity = tu_below(&r, 3), e->ref = tu_next(&r) | 1;
        else if (k < 33) e->type = RTN_EV_RETURN, e->value = (double)(tu_below(&r, 5000)) / 100.0,
                         e->quantity = tu_below(&r, 2);
        else if (k < 40) e->type = RTN_EV_SUBSCRIPTION, e->ref = tu_below(&r, 2) + 1,
                         e->value = tu_below(&r, 4) == 0 ? 0.0 : (double)(tu_below(&r, 10) + 1) * 9.5;
        else if (k < 55) e->type = RTN_EV_ACTIVITY;
        else if (k < 62) e->type = RTN_EV_FEATURE, e->ref = tu_below(&r, 3) + 1;
        else if (k < 67) e->type = RTN_EV_PAGE_VIEW;
        else if (k < 69) e->type = RTN_EV_SHARE;
        else if (k < 73) e->type = RTN_EV_VISIT;
        else if (k < 75) e->type = RTN_EV_CONVERSION;
        else if (k < 79) e->type = RTN_EV_CART_CREATE, e->ref = tu_below(&r, 50) + 1;
        else if (k < 81) e->type = RTN_EV_CART_CHECKOUT, e->ref = tu_below(&r, 50) + 1;
        else if (k < 84) e->type = RTN_EV_CONTACT_OPEN, e->ref = tu_below(&r, 30) + 1;
        else if (k < 86) e->type = RTN_EV_CONTACT_RESOLVE, e->ref = tu_below(&r, 30) + 1;
        else if (k < 87) e->type = RTN_EV_CONTACT_ABANDON, e->ref = tu_below(&r, 30) + 1;
        else if (k < 92) e->type = RTN_EV_NPS, e->value = tu_below(&r, 11);
        else if (k < 96) e->type = RTN_EV_CSAT, e->value = tu_below(&r, 5) + 1;
        else e->type = RTN_EV_CES, e->value = tu_below(&r, 7) + 1;
    }
}

void tu_stream_free(tu_stream *s)
{
    free(s->ev);
    free(s->strs);
    memset(s, 0, sizeof(*s));
}

void tu_shuffle(rtn_event *ev, size_t n, uint64_t seed)
{
    tu_rng r = {seed};
    size_t i;
    for (i = n; i > 1; i--) {
        size_t j = tu_next(&r) % i;
        rtn_event t = ev[i - 1];
        ev[i - 1] = ev[j];
        ev[j] = t;
    }
}

void tu_push_all(rtn_ctx *ctx, const rtn_event *ev, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        tu_push_ev(ctx, &ev[i]);
}

int tu_same(double x, double y)
{
    if (isnan(x) && isnan(y))
        return 1;
    return memcmp(&x, &y, sizeof x) == 0;
}

static int same_value(const rtn_value *a, const rtn_value *b)
{
    return a->defined == b->defined && a->from == b->from && a->to == b->to &&
           tu_same(a->value, b->value) && tu_same(a->numerator, b->numerator) &&
           tu_same(a->denominator, b->denominator) && tu_same(a->lo, b->lo) &&
           tu_same(a->hi, b->hi) && tu_same(a->p50, b->p50) && tu_same(a->p90, b->p90) &&
           a->n == b->n;
}

static int compare_cohorts(rtn_ctx *a, rtn_ctx *b, uint32_t days, char *why, size_t whylen)
{
    int every, mode, rec;
    for (every = RTN_EVERY_WEEK; every <= RTN_EVERY_MONTH; every++)
        for (mode = 0; mode <= 1; mode++)
            for (rec = 0; rec <= 1; rec++) {
                rtn_cohort_opts o;
                rtn_cohort_cell ca[40 * 12], cb[40 * 12];
                int64_t sa[40], sb[40], za[40], zb[40];
                size_t ra = 0, rb = 0, i;
                int rca, rcb;
                if (rtn_cohort_opts_init(&o, sizeof o) != RTN_OK)
                    return 0; /* not in this build */
                o.every = every;
                o.mode = mode;
                o.recurring = rec;
                o.from = T0;
                o.to = TD(days);
                o.at = TD(days / 2 + 3);
                o.max_periods = 12;
                memset(ca, 0, sizeof ca);
                memset(cb, 0, sizeof cb);
                rca = rtn_cohort_retention(ca, sa, za, 40, &ra, a, &o);
                rcb = rtn_cohort_retention(cb, sb, zb, 40, &rb, b, &o);
                if (rca != rcb || ra != rb) {
                    snprintf(why, whylen, "cohort every=%d mode=%d rec=%d: rc %d/%d rows %zu/%zu",
                             every, mode, rec, rca, rcb, ra, rb);
                    return 1;
                }
                if (rca != RTN_OK)
                    continue;
                for (i = 0; i < ra; i++)
                    if (sa[i] != sb[i] || za[i] != zb[i]) {
                        snprintf(why, whylen, "cohort row %zu start/size differ", i);
                        return 1;
                    }
                for (i = 0; i < ra * 12; i++)
                    if (!tu_same(ca[i].share, cb[i].share) || ca[i].active != cb[i].active ||
                        ca[i].complete != cb[i].complete) {
                        snprintf(why, whylen, "cohort every=%d mode=%d rec=%d cell %zu: %lld vs %lld",
                                 every, mode, rec, i, (long long)ca[i].active, (long long)cb[i].active);
                        return 1;
                    }
            }
    return 0;
}

static int compare_survival(rtn_ctx *a, rtn_ctx *b, int64_t at, char *why, size_t whylen)
{
    size_t na = 0, nb = 0, i;
    double ma = NAN, mb = NAN;
    rtn_survival_point *pa, *pb;
    int rca = rtn_survival(NULL, 0, &na, NULL, a, at);
    int rcb = rtn_survival(NULL, 0, &nb, NULL, b, at);
    int bad = 0;
    if (rca == RTN_EMETRIC && rcb == RTN_EMETRIC)
        return 0;
    if (rca != rcb || na != nb) {
        snprintf(why, whylen, "survival sizes %zu/%zu rc %d/%d", na, nb, rca, rcb);
        return 1;
    }
    pa = calloc(na + 1, sizeof *pa);
    pb = calloc(nb + 1, sizeof *pb);
    rca = rtn_survival(pa, na, &na, &ma, a, at);
    rcb = rtn_survival(pb, nb, &nb, &mb, b, at);
    if (rca != rcb || !tu_same(ma, mb))
        bad = 1;
    for (i = 0; !bad && i < na; i++)
        if (!tu_same(pa[i].t_days, pb[i].t_days) || pa[i].at_risk != pb[i].at_risk ||
            pa[i].events != pb[i].events || !tu_same(pa[i].s, pb[i].s) ||
            !tu_same(pa[i].lo, pb[i].lo) || !tu_same(pa[i].hi, pb[i].hi))
            bad = 1;
    if (bad)
        snprintf(why, whylen, "survival curves differ at %lld", (long long)at);
    free(pa);
    free(pb);
    return bad;
}

int tu_compare_all(rtn_ctx *a, rtn_ctx *b, uint32_t days, char *why, size_t whylen)
{
    int64_t periods[][2] = {
        {T0, TD(days)}, {T0, TD(days + 60)}, {TD(1), TD(8)}, {TD(days / 3), TD(days / 2)},
        {TD(days / 2), TD(days / 2)}, {TD(days / 4), TD(3 * days / 4 + 1)},
        {TD(days - 7), TD(days + 30)}, {T0 - 30 * T_DAY, TD(5)}, {TD(2) + 5 * T_HOUR, TD(9) + 7 * T_HOUR}};
    uint64_t features[] = {1, 2, 3, 99};
    size_t p, f;
    int m;
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m)) {
        rtn_metric_info info;
        info.size = sizeof info;
        rtn_metric_info_get(&info, m);
        for (p = 0; p < sizeof periods / sizeof periods[0]; p++)
            for (f = 0; f < ((info.flags & RTN_MF_NEEDS_FEATURE) ? 4u : 1u); f++) {
                rtn_value va, vb;
                rtn_query_opts o;
                int rca, rcb;
                rtn_value_init(&va, sizeof va);
                rtn_value_init(&vb, sizeof vb);
                rtn_query_opts_init(&o, sizeof o);
                o.feature = features[f];
                rca = rtn_query(&va, a, m, periods[p][0], periods[p][1], &o);
                rcb = rtn_query(&vb, b, m, periods[p][0], periods[p][1], &o);
                if (rca != rcb || (rca == RTN_OK && !same_value(&va, &vb))) {
                    snprintf(why, whylen, "%s over period %zu (feature %llu): rc %d/%d value %.17g/%.17g "
                             "num %.17g/%.17g den %.17g/%.17g",
                             info.name, p, (unsigned long long)features[f], rca, rcb, va.value, vb.value,
                             va.numerator, vb.numerator, va.denominator, vb.denominator);
                    return 1;
                }
            }
    }
    if (compare_cohorts(a, b, days, why, whylen))
        return 1;
    if (compare_survival(a, b, TD(days / 2), why, whylen) || compare_survival(a, b, TD(days + 30), why, whylen))
        return 1;
    return 0;
}
