/*
 * core.c: the customer-base (status) and purchase accumulators: what each
 * customer contributes to them, and the metrics of both tables.
 */
#include "internal.h"

#include <string.h>

#define P1(b) ((b) + 1u) /* a bucket as stored in a pair store */

static int push(rtn_ctx *ctx, rtn_clist *o, uint32_t k, uint32_t a, uint32_t b, uint32_t c)
{
    return rtn__clist_push(&ctx->mem, o, k, a, b, c);
}

/* Loyal instants: purchases in [t - W, t) reach the threshold, intersected
 * with the active instants (s, l] of each interval. The purchase buckets are
 * first gathered into scratch (bucket, count), then swept: each adds its
 * count at bucket + 1 and removes it at bucket + W + 1. Loyal periods
 * [on, off) follow the purchases in the scratch. */
static int gen_loyal(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    uint32_t w = ctx->loyal_window, k = (uint32_t)ctx->cfg.loyal_min_purchases;
    uint32_t i, j = 0, np = 0, nl = 0, on = 0, x;
    uint64_t total = 0;
    int64_t f = 0;
    int loyal = 0;
    rtn_ivl *pb, *lv;
    for (i = 0; i < g->n; i++)
        if (rtn__e_purch(g->ent[i])) {
            np++;
            total += rtn__e_purch(g->ent[i]);
        }
    if (total < k)
        return RTN_OK; /* never loyal */
    if (rtn__grow(&ctx->mem, (void **)&ctx->ivl_buf2, &ctx->ivl_cap2, 2 * np + 1, sizeof(rtn_ivl)))
        return RTN_ENOMEM;
    pb = ctx->ivl_buf2;
    lv = ctx->ivl_buf2 + np;
    for (i = 0, np = 0; i < g->n; i++)
        if (rtn__e_purch(g->ent[i])) {
            pb[np].s = rtn__e_bucket(g->ent[i]);
            pb[np].l = rtn__e_purch(g->ent[i]);
            np++;
        }
    /* Buckets are distinct, so each instant has at most one addition and
     * one removal; additions come first at equal instants (W >= 1 keeps
     * them apart anyway). */
    i = 0;
    while (j < np) {
        uint32_t ta = i < np ? pb[i].s + 1 : UINT32_MAX, tr = pb[j].s + w + 1;
        uint32_t t = ta < tr ? ta : tr;
        if (ta == t)
            f += pb[i++].l;
        if (tr == t)
            f -= pb[j++].l;
        if (!loyal && f >= (int64_t)k) {
            loyal = 1;
            on = t;
        } else if (loyal && f < (int64_t)k) {
            loyal = 0;
            lv[nl].s = on;
            lv[nl].l = t;
            nl++;
        }
    }
    if (nl == 0)
        return RTN_OK;
    /* Intersect [on, off) with [s + 1, l + 1); emit starts, then ends. */
    for (x = 0; x < 2; x++) {
        uint32_t a = 0, b = 0;
        while (a < nl && b < g->nivl) {
            uint32_t s1 = lv[a].s, e1 = lv[a].l;
            uint32_t s2 = g->ivl[b].s + 1;
            uint32_t e2 = g->ivl[b].l == UINT32_MAX ? UINT32_MAX : g->ivl[b].l + 1;
            uint32_t s = s1 > s2 ? s1 : s2, e = e1 < e2 ? e1 : e2;
            if (s < e) {
                if (x == 0 && push(ctx, out, RTN_K_LOYON, s, 0, 0))
                    return RTN_ENOMEM;
                if (x == 1 && e != UINT32_MAX && push(ctx, out, RTN_K_LOYOFF, e, 0, 0))
                    return RTN_ENOMEM;
            }
            if (e1 < e2)
                a++;
            else
                b++;
        }
    }
    return RTN_OK;
}

/* Append without a capacity check: the caller reserved room. */
static inline void put(rtn_clist *o, uint32_t k, uint32_t a, uint32_t b, uint32_t c)
{
    rtn_citem *it = &o->v[o->n++];
    it->kind = k;
    it->a = a;
    it->b = b;
    it->c = c;
}

static int reserve_list(rtn_ctx *ctx, rtn_clist *o, uint64_t more)
{
    if (o->n + more > UINT32_MAX - 1)
        return RTN_ENOMEM;
    return rtn__grow(&ctx->mem, (void **)&o->v, &o->cap, (uint32_t)(o->n + more), sizeof(rtn_citem));
}

/* Items in (kind, a, b, c) order. Everything but the loyalty items is
 * bounded by 4 per interval + 3 per entry + 5, reserved once so the loops
 * below store without checks (this runs twice per changing event). */
int rtn__core_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    const uint64_t *e = g->ent;
    uint32_t i, n = g->n, nivl = g->nivl, ifirst = UINT32_MAX, ilast = 0, prev;
    uint32_t mask = g->mask;
    if (reserve_list(ctx, out, 4 * (uint64_t)nivl + 3 * (uint64_t)n + 5))
        return RTN_ENOMEM;
    /* Each section runs only when an aspect it reads changed (RTN_A_*). */
    if (mask & (RTN_A_STATUS | RTN_A_CFLAGS)) {
        if (nivl && !g->ivl[0].react)
            put(out, RTN_K_ACQ, g->ivl[0].s, 0, 0);
        for (i = 0; i < nivl; i++)
            if (g->ivl[i].react)
                put(out, RTN_K_REACT, g->ivl[i].s, 0, 0);
        for (i = 0; i < nivl; i++)
            if (g->ivl[i].l != UINT32_MAX)
                put(out, RTN_K_LOSS, g->ivl[i].l, 0, 0);
        if (nivl && (rtn__cust_flags(g->cust) & RTN_CF_REFERRED))
            put(out, RTN_K_REFACQ, g->ivl[0].s, 0, 0);
        for (i = 0; i < nivl; i++)
            put(out, RTN_K_IVL, P1(g->ivl[i].s),
                g->ivl[i].l == UINT32_MAX ? RTN_NONE_AFTER : P1(g->ivl[i].l), 0);
    }
    if (n == 0)
        goto surv;
    if (mask & RTN_A_SET) {
        put(out, RTN_K_AFIRST, rtn__e_bucket(e[0]), 0, 0);
        put(out, RTN_K_ALAST, rtn__e_bucket(e[n - 1]), 0, 0);
        prev = rtn__e_bucket(e[0]);
        for (i = 0; i < n; i++) {
            uint32_t d = rtn__e_bucket(e[i]);
            if (d - prev >= 2)
                put(out, RTN_K_AGAP, P1(prev), P1(d), 0);
            prev = d;
        }
    }
    if (!(mask & (RTN_A_PSET | RTN_A_P1 | RTN_A_PLOYAL | RTN_A_STATUS)))
        goto surv;
    for (i = 0; i < n; i++)
        if (rtn__e_purch(e[i])) {
            if (ifirst == UINT32_MAX)
                ifirst = i;
            ilast = i;
        }
    if (ifirst == UINT32_MAX)
        goto surv;
    if (mask & RTN_A_PSET) {
        put(out, RTN_K_PFIRST, rtn__e_bucket(e[ifirst]), 0, 0);
        put(out, RTN_K_PLAST, rtn__e_bucket(e[ilast]), 0, 0);
        prev = rtn__e_bucket(e[ifirst]);
        for (i = ifirst + 1; i <= ilast; i++) {
            uint32_t d = rtn__e_bucket(e[i]);
            if (rtn__e_purch(e[i])) {
                if (d - prev >= 2)
                    put(out, RTN_K_PGAP, P1(prev), P1(d), 0);
                prev = d;
            }
        }
    }
    /* Single-purchase buckets with their neighbouring purchase buckets; a
     * bucket's item is written when the next purchase bucket is seen. */
    if (mask & (RTN_A_PSET | RTN_A_P1)) {
        uint32_t before = RTN_NONE_BEFORE, pend = UINT32_MAX, pend_before = 0;
        for (i = ifirst; i <= ilast; i++) {
            uint32_t np = rtn__e_purch(e[i]), d;
            if (!np)
                continue;
            d = rtn__e_bucket(e[i]);
            if (pend != UINT32_MAX)
                put(out, RTN_K_P1, pend_before, pend, P1(d));
            pend = np == 1 ? P1(d) : UINT32_MAX;
            pend_before = before;
            before = P1(d);
        }
        if (pend != UINT32_MAX)
            put(out, RTN_K_P1, pend_before, pend, RTN_NONE_AFTER);
    }
    if ((mask & (RTN_A_PLOYAL | RTN_A_STATUS)) && gen_loyal(ctx, g, out))
        return RTN_ENOMEM;
surv:
    if (nivl && (mask & RTN_A_STATUS)) {
        if (reserve_list(ctx, out, 1))
            return RTN_ENOMEM;
        put(out, RTN_K_SURV, P1(g->ivl[0].s),
            g->ivl[0].l == UINT32_MAX ? RTN_NONE_AFTER : P1(g->ivl[0].l), 0);
    }
    return RTN_OK;
}

static rtn_fen *fen_of(rtn_core *c, uint32_t kind)
{
    switch (kind) {
    case RTN_K_ACQ: return &c->acq;
    case RTN_K_REACT: return &c->react;
    case RTN_K_LOSS: return &c->loss;
    case RTN_K_REFACQ: return &c->refacq;
    case RTN_K_AFIRST: return &c->afirst;
    case RTN_K_ALAST: return &c->alast;
    case RTN_K_PFIRST: return &c->pfirst;
    case RTN_K_PLAST: return &c->plast;
    case RTN_K_LOYON:
    case RTN_K_LOYOFF: return &c->loyal;
    default: return NULL;
    }
}

static rtn_pairs *pairs_of(rtn_core *c, uint32_t kind)
{
    switch (kind) {
    case RTN_K_IVL: return &c->ivl;
    case RTN_K_AGAP: return &c->agap;
    case RTN_K_PGAP: return &c->pgap;
    case RTN_K_P1: return &c->p1;
    case RTN_K_SURV: return &c->surv;
    default: return NULL;
    }
}

int rtn__core_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    uint32_t i = 0;
    while (i < n) {
        uint32_t kind = items[i].kind, j = i;
        rtn_fen *f = fen_of(&ctx->core, kind);
        rtn_pairs *p = pairs_of(&ctx->core, kind);
        while (j < n && items[j].kind == kind)
            j++;
        if (f) {
            for (; i < j; i++)
                if (rtn__fen_reserve(&ctx->mem, f, items[i].a))
                    return RTN_ENOMEM;
        } else if (p && rtn__pairs_reserve_items(&ctx->mem, p, items + i, j - i)) {
            return RTN_ENOMEM;
        }
        i = j;
    }
    return RTN_OK;
}

void rtn__core_prefetch(rtn_ctx *ctx, const rtn_citem *it)
{
    const rtn_pairs *p = pairs_of(&ctx->core, it->kind);
    if (p)
        rtn__pairs_prefetch(p, it->a, it->b, it->c);
}

void rtn__core_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    rtn_fen *f = fen_of(&ctx->core, it->kind);
    rtn_pairs *p = pairs_of(&ctx->core, it->kind);
    if (f)
        rtn__fen_add(f, it->a, it->kind == RTN_K_LOYOFF ? -sign : sign);
    else if (p)
        rtn__pairs_add(p, it->a, it->b, it->c, sign);
}

/* ---- queries ---------------------------------------------------------------- */

static int64_t active_at(const rtn_core *c, uint32_t t)
{
    return rtn__fen_prefix(&c->acq, t) + rtn__fen_prefix(&c->react, t) -
           rtn__fen_prefix(&c->loss, t);
}

typedef struct base_counts {
    int64_t s, e, n, r, l;
} base_counts;

static void base(const rtn_core *c, uint32_t fb, uint32_t tb, base_counts *b)
{
    b->s = active_at(c, fb);
    b->e = active_at(c, tb);
    b->n = rtn__fen_range(&c->acq, fb, tb);
    b->r = rtn__fen_range(&c->react, fb, tb);
    b->l = rtn__fen_range(&c->loss, fb, tb);
}

static int64_t buyers(const rtn_core *c, uint32_t fb, uint32_t tb)
{
    if (fb >= tb)
        return 0;
    return rtn__fen_prefix(&c->pfirst, tb) - rtn__fen_prefix(&c->plast, fb) -
           rtn__pairs_contain(&c->pgap, P1(fb), P1(tb));
}

int64_t rtn__core_active(const rtn_ctx *ctx, uint32_t fb, uint32_t tb)
{
    const rtn_core *c = &ctx->core;
    if (fb >= tb)
        return 0;
    return rtn__fen_prefix(&c->afirst, tb) - rtn__fen_prefix(&c->alast, fb) -
           rtn__pairs_contain(&c->agap, P1(fb), P1(tb));
}

static void proportion(rtn_value *v, double k, double n)
{
    rtn__value_ratio(v, k, n, 100.0);
    if (v->defined && k >= 0 && k <= n)
        rtn__wilson(k, n, &v->lo, &v->hi);
}

static int64_t purchases_in(const rtn_core *c, uint32_t fb, uint32_t tb)
{
    return rtn__fen_range(&c->purchases, fb, tb);
}

int rtn__core_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                    const rtn_query_opts *opts, rtn_value *out)
{
    const rtn_core *c = &ctx->core;
    base_counts b;
    RTN_UNUSED(opts);
    base(c, fb, tb, &b);
    switch (metric) {
    case RTN_METRIC_RETENTION_RATE:
        rtn__value_ratio(out, (double)(b.e - b.n), (double)b.s, 100.0);
        if (out->defined && b.e - b.n >= 0 && b.e - b.n <= b.s)
            rtn__wilson((double)(b.e - b.n), (double)b.s, &out->lo, &out->hi);
        out->n = b.s;
        return RTN_OK;
    case RTN_METRIC_CHURN_RATE:
        proportion(out, (double)b.l, (double)b.s);
        out->n = b.s;
        return RTN_OK;
    case RTN_METRIC_CHURN_RATE_EXISTING: {
        int64_t lost = b.s - rtn__pairs_contain(&c->ivl, P1(fb), P1(tb));
        if (fb >= tb)
            lost = 0;
        proportion(out, (double)lost, (double)b.s);
        out->n = b.s;
        return RTN_OK;
    }
    case RTN_METRIC_CHURN_RATE_JOINED:
        proportion(out, (double)b.l, (double)(b.s + b.n));
        out->n = b.s + b.n;
        return RTN_OK;
    case RTN_METRIC_CUSTOMERS_START: rtn__value_count(out, (double)b.s); return RTN_OK;
    case RTN_METRIC_CUSTOMERS_END: rtn__value_count(out, (double)b.e); return RTN_OK;
    case RTN_METRIC_CUSTOMERS_NEW: rtn__value_count(out, (double)b.n); return RTN_OK;
    case RTN_METRIC_CUSTOMERS_REACTIVATED: rtn__value_count(out, (double)b.r); return RTN_OK;
    case RTN_METRIC_CUSTOMERS_LOST: rtn__value_count(out, (double)b.l); return RTN_OK;
    case RTN_METRIC_REPEAT_PURCHASE_RATIO: {
        int64_t k = buyers(c, fb, tb);
        int64_t one = fb < tb ? rtn__pairs_triple(&c->p1, P1(fb), P1(tb)) : 0;
        proportion(out, (double)(k - one), (double)k);
        out->n = k;
        return RTN_OK;
    }
    case RTN_METRIC_PURCHASE_FREQUENCY: {
        int64_t k = buyers(c, fb, tb);
        rtn__value_ratio(out, (double)purchases_in(c, fb, tb), (double)k, 1.0);
        out->n = k;
        return RTN_OK;
    }
    case RTN_METRIC_AVERAGE_ORDER_VALUE: {
        int64_t np = purchases_in(c, fb, tb);
        rtn__value_ratio(out, (double)rtn__fen_range(&c->revenue, fb, tb) / RTN_MONEY_SCALE,
                         (double)np, 1.0);
        out->n = np;
        return RTN_OK;
    }
    case RTN_METRIC_PRODUCT_RETURN_RATE: {
        int64_t sold = rtn__fen_range(&c->items_sold, fb, tb);
        int64_t ret = rtn__fen_range(&c->items_returned, fb, tb);
        proportion(out, (double)ret, (double)sold);
        out->n = sold;
        return RTN_OK;
    }
    case RTN_METRIC_LOYAL_CUSTOMER_RATE: {
        int64_t loyal = rtn__fen_prefix(&c->loyal, tb + 1);
        proportion(out, (double)loyal, (double)b.e);
        out->n = b.e;
        return RTN_OK;
    }
    case RTN_METRIC_CUSTOMER_LIFETIME_VALUE: {
        int64_t np = purchases_in(c, fb, tb), k = buyers(c, fb, tb);
        double rev = (double)rtn__fen_range(&c->revenue, fb, tb) / RTN_MONEY_SCALE;
        /* AOV * frequency = revenue / buyers; lifespan = 1 / churn. */
        if (np == 0 || k == 0 || b.s == 0 || b.l == 0) {
            rtn__value_ratio(out, 0, 0, 1.0);
        } else {
            double churn = (double)b.l / (double)b.s;
            rtn__value_ratio(out, rev / (double)k * ctx->cfg.gross_margin, churn, 1.0);
        }
        out->n = k;
        return RTN_OK;
    }
    case RTN_METRIC_REFERRALS:
        rtn__value_count(out, (double)rtn__fen_range(&c->refacq, fb, tb));
        return RTN_OK;
    case RTN_METRIC_REFERRAL_RATE:
        proportion(out, (double)rtn__fen_range(&c->refacq, fb, tb), (double)b.n);
        out->n = b.n;
        return RTN_OK;
    case RTN_METRIC_PURCHASES:
        rtn__value_count(out, (double)purchases_in(c, fb, tb));
        return RTN_OK;
    case RTN_METRIC_REVENUE:
        rtn__value_count(out, (double)rtn__fen_range(&c->revenue, fb, tb) / RTN_MONEY_SCALE);
        return RTN_OK;
    case RTN_METRIC_BUYERS:
        rtn__value_count(out, (double)buyers(c, fb, tb));
        return RTN_OK;
    default:
        return RTN_EMETRIC;
    }
}

/* The trees and pair stores of the core: the contribution accumulators
 * first (NCONTRIB_FEN of the trees), then the event sums. */
#define NFEN 13
#define NCONTRIB_FEN 9
#define NPAIRS 5

static void core_parts(rtn_core *c, rtn_fen *fens[NFEN], rtn_pairs *prs[NPAIRS])
{
    rtn_fen *f[NFEN] = {&c->acq,    &c->react,  &c->loss,    &c->refacq,     &c->loyal,
                        &c->afirst, &c->alast,  &c->pfirst,  &c->plast,      &c->purchases,
                        &c->revenue, &c->items_sold, &c->items_returned};
    rtn_pairs *p[NPAIRS] = {&c->ivl, &c->surv, &c->agap, &c->pgap, &c->p1};
    memcpy(fens, f, sizeof(f));
    memcpy(prs, p, sizeof(p));
}

void rtn__core_free(rtn_ctx *ctx)
{
    rtn_fen *fens[NFEN];
    rtn_pairs *prs[NPAIRS];
    size_t i;
    core_parts(&ctx->core, fens, prs);
    for (i = 0; i < NFEN; i++)
        rtn__fen_free(&ctx->mem, fens[i]);
    for (i = 0; i < NPAIRS; i++)
        rtn__pairs_free(&ctx->mem, prs[i]);
}

int rtn__core_clone(rtn_ctx *dst, const rtn_ctx *src)
{
    rtn_fen *df[NFEN], *sf[NFEN];
    rtn_pairs *dp[NPAIRS], *sp[NPAIRS];
    size_t i;
    core_parts(&dst->core, df, dp);
    core_parts((rtn_core *)(uintptr_t)&src->core, sf, sp);
    memset(&dst->core, 0, sizeof(dst->core));
    for (i = 0; i < NFEN; i++)
        if (rtn__fen_clone(&dst->mem, df[i], sf[i]))
            return RTN_ENOMEM;
    for (i = 0; i < NPAIRS; i++)
        if (rtn__pairs_clone(&dst->mem, dp[i], sp[i]))
            return RTN_ENOMEM;
    return RTN_OK;
}

/* The event sums (purchases, revenue, items) are raw state: merge adds them. */
int rtn__core_add_contrib(rtn_ctx *dst, const rtn_ctx *src)
{
    rtn_fen *df[NFEN], *sf[NFEN];
    rtn_pairs *dp[NPAIRS], *sp[NPAIRS];
    size_t i;
    core_parts(&dst->core, df, dp);
    core_parts((rtn_core *)(uintptr_t)&src->core, sf, sp);
    for (i = 0; i < NCONTRIB_FEN; i++)
        if (rtn__fen_add_tree(&dst->mem, df[i], sf[i]))
            return RTN_ENOMEM;
    for (i = 0; i < NPAIRS; i++)
        if (rtn__pairs_add_all(&dst->mem, dp[i], sp[i]))
            return RTN_ENOMEM;
    return RTN_OK;
}
