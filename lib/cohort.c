/*
 * cohort.c: cohort retention matrices (week or month, by first acquisition
 * or recurring), the Kaplan-Meier survival curve of customer lifetime, and
 * the lifecycle counts (new, returning, resurrected, dormant).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Contribution kinds, 64..95. Tables 0..3 are week/acquisition,
 * month/acquisition, week/recurring, month/recurring; each has a cell kind
 * (a: cohort period, b: offset of an active period) and a last-offset kind
 * (a: cohort period, b: offset of the last active period). A cohort's size
 * is its cell at offset 0: every member is active in its cohort period (the
 * acquisition is an event of it; a recurring membership is started by
 * activity in it), so no separate item is kept for it. */
enum {
    K_TAB = RTN_K_COHORT_FIRST, /* 64 + 2 * table + {0 cell, 1 last} */
    K_LLAST = RTN_K_COHORT_FIRST + 8, /* a: last event bucket of an acquired customer */
    K_PREGAP = RTN_K_COHORT_FIRST + 9 /* pair (p+1, d+1): an event gap ending at or before acquisition */
};

#define NTAB 4
#define TAB_WEEK 0
#define TAB_MONTH 1
#define TAB_RECUR 2 /* added to the week/month table index */

/* One cohort row: per offset k the members active in period k (cell; k = 0
 * is the cohort's size) and the members whose last active period is k. */
typedef struct coh_row {
    int64_t *v; /* 2 * cap counts: cell[0..cap), then last[0..cap) */
    uint32_t cap;
    uint32_t pad;
} coh_row;

/* Rows for periods [base, base + n). */
typedef struct coh_tab {
    coh_row *rows;
    uint32_t base, n;
} coh_tab;

struct rtn_cohort {
    coh_tab tab[NTAB];
    rtn_fen llast;     /* last event bucket of acquired customers */
    rtn_pairs pregap;  /* event gaps not after acquisition (all, for never-acquired) */
    uint32_t *wk, *mo; /* generator scratch: distinct active weeks and months */
    uint32_t wcap, mcap;
};

/* ---- calendar periods ------------------------------------------------------ */

/* ISO week index of a local day: week 0 starts Monday 1969-12-29 (day -3). */
static uint32_t week_of(uint32_t day)
{
    return (day + 3u) / 7u;
}

static int64_t week_start(uint32_t w)
{
    return (int64_t)w * 7 - 3;
}

/* Month index of a local day: 0 is January 1970. */
static uint32_t month_of(uint32_t day)
{
    int64_t y;
    unsigned m, d;
    rtn__civil_from_days(day, &y, &m, &d);
    return (uint32_t)((y - 1970) * 12 + (int64_t)m - 1);
}

static int64_t month_start(uint32_t mi)
{
    return rtn__days_from_civil(1970 + (int64_t)(mi / 12), mi % 12 + 1, 1);
}

static int64_t period_start(int every, uint32_t p)
{
    return every == RTN_EVERY_WEEK ? week_start(p) : month_start(p);
}

static uint32_t period_of(int every, uint32_t day)
{
    return every == RTN_EVERY_WEEK ? week_of(day) : month_of(day);
}

/* ---- state ------------------------------------------------------------------- */

static struct rtn_cohort *get(rtn_ctx *ctx)
{
    if (ctx->cohort == NULL)
        ctx->cohort = rtn__calloc(&ctx->mem, sizeof(struct rtn_cohort));
    return ctx->cohort;
}

static coh_row *row_of(const coh_tab *t, uint32_t p)
{
    if (t->n == 0 || p < t->base || p - t->base >= t->n)
        return NULL;
    return &t->rows[p - t->base];
}

/* Make the table cover period p (rows are added on both sides). */
static int tab_cover(rtn_mem *m, coh_tab *t, uint32_t p)
{
    uint64_t lo, hi, pad;
    coh_row *nr;
    if (row_of(t, p))
        return RTN_OK;
    pad = t->n / 2 + 8;
    if (t->n == 0) {
        lo = p >= 8 ? p - 8 : 0;
        hi = (uint64_t)p + 16;
    } else {
        lo = t->base;
        hi = (uint64_t)t->base + t->n;
        if (p < lo)
            lo = p >= pad ? p - pad : 0;
        else
            hi = (uint64_t)p + pad;
    }
    nr = rtn__calloc(m, (size_t)(hi - lo) * sizeof(coh_row));
    if (nr == NULL)
        return RTN_ENOMEM;
    if (t->n)
        memcpy(nr + (t->base - lo), t->rows, (size_t)t->n * sizeof(coh_row));
    rtn__free(m, t->rows, (size_t)t->n * sizeof(coh_row));
    t->rows = nr;
    t->base = (uint32_t)lo;
    t->n = (uint32_t)(hi - lo);
    return RTN_OK;
}

/* Make a row hold offsets 0..k. */
static int row_reserve(rtn_mem *m, coh_row *r, uint32_t k)
{
    uint64_t ncap;
    int64_t *nv;
    if (k < r->cap)
        return RTN_OK;
    ncap = r->cap ? (uint64_t)r->cap * 2 : 8;
    while (ncap <= k)
        ncap *= 2;
    nv = rtn__calloc(m, (size_t)ncap * 2 * sizeof(int64_t));
    if (nv == NULL)
        return RTN_ENOMEM;
    if (r->cap) {
        memcpy(nv, r->v, (size_t)r->cap * sizeof(int64_t));
        memcpy(nv + ncap, r->v + r->cap, (size_t)r->cap * sizeof(int64_t));
    }
    rtn__free(m, r->v, (size_t)r->cap * 2 * sizeof(int64_t));
    r->v = nv;
    r->cap = (uint32_t)ncap;
    return RTN_OK;
}

/* ---- contributions ------------------------------------------------------------ */

static int push(rtn_ctx *ctx, rtn_clist *o, uint32_t k, uint32_t a, uint32_t b)
{
    return rtn__clist_push(&ctx->mem, o, k, a, b, 0);
}

static rtn_citem *item(rtn_citem *it, uint32_t kind, uint32_t a, uint32_t b)
{
    it->kind = kind;
    it->a = a;
    it->b = b;
    it->c = 0;
    return it + 1;
}

/* Items of one table: by first acquisition, the cohort per[0] only, a cell
 * item per active period; recurring, every active period, each followed
 * for RTN_COHORT_RECURRING_MAX (64) periods, as one item per row whose b
 * and c hold the 64-bit mask of its active offsets (a row's cells change
 * together, and a customer active in n periods makes n items, not about
 * 32 n). The list is grown once and filled in place. */
static int gen_table(rtn_ctx *ctx, rtn_clist *out, uint32_t tab, const uint32_t *per,
                     uint32_t np, int recurring)
{
    uint32_t k0 = K_TAB + 2 * tab, i, j, end = 0, rows = recurring ? np : 1;
    uint32_t last = per[np - 1];
    uint64_t need = (uint64_t)out->n + rows + (recurring ? rows : np);
    rtn_citem *it;
    if (need > UINT32_MAX ||
        rtn__grow(&ctx->mem, (void **)&out->v, &out->cap, (uint32_t)need, sizeof(rtn_citem)))
        return RTN_ENOMEM;
    it = out->v + out->n;
    if (!recurring) {
        for (j = 0; j < np; j++)
            it = item(it, k0, per[0], per[j] - per[0]);
    } else {
        /* The mask of row i is row i - 1's shifted by the periods between
         * them, with the periods that come into its window added: O(np). */
        uint64_t mask = 0;
        for (i = 0; i < np; i++) {
            if (i > 0) {
                uint32_t d = per[i] - per[i - 1];
                mask = d >= 64 ? 0 : mask >> d;
            }
            for (; end < np && per[end] - per[i] < RTN_COHORT_RECURRING_MAX; end++)
                mask |= UINT64_C(1) << (per[end] - per[i]);
            it = item(it, k0, per[i], (uint32_t)mask);
            it[-1].c = (uint32_t)(mask >> 32);
        }
    }
    for (i = 0; i < rows; i++)
        it = item(it, k0 + 1, per[i], last - per[i]);
    out->n = (uint32_t)need;
    return RTN_OK;
}

/* Cell items of the recurring tables carry a mask of offsets. */
static int is_mask(uint32_t kind)
{
    return kind == K_TAB + 2 * (TAB_RECUR + TAB_WEEK) || kind == K_TAB + 2 * (TAB_RECUR + TAB_MONTH);
}

static uint64_t mask_of(const rtn_citem *it)
{
    return (uint64_t)it->c << 32 | it->b;
}

static uint32_t low_bit(uint64_t m)
{
#if defined(__GNUC__)
    return (uint32_t)__builtin_ctzll(m);
#else
    uint32_t k = 0;
    while (!(m & 1)) {
        m >>= 1;
        k++;
    }
    return k;
#endif
}

static uint32_t high_bit(uint64_t m)
{
#if defined(__GNUC__)
    return 63u - (uint32_t)__builtin_clzll(m);
#else
    uint32_t k = 63;
    while (!(m >> k))
        k--;
    return k;
#endif
}

/* Add sign to the cells of a mask item's row. */
static void add_mask(int64_t *v, uint64_t m, int64_t sign)
{
    for (; m; m &= m - 1)
        v[low_bit(m)] += sign;
}

int rtn__cohort_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    struct rtn_cohort *co;
    uint32_t bpd = rtn__buckets_per_day(ctx), i, nw = 0, nm = 0, s0 = UINT32_MAX;
    int acquired = g->nivl > 0;
    if (g->n == 0)
        return RTN_OK;
    if ((co = get(ctx)) == NULL)
        return RTN_ENOMEM;
    if (acquired) {
        uint32_t cw, cm, mend;
        s0 = g->ivl[0].s;
        cw = week_of(s0 / bpd);
        cm = month_of(s0 / bpd);
        mend = (uint32_t)month_start(cm + 1);
        if (rtn__grow(&ctx->mem, (void **)&co->wk, &co->wcap, g->n, sizeof(uint32_t)) ||
            rtn__grow(&ctx->mem, (void **)&co->mo, &co->mcap, g->n, sizeof(uint32_t)))
            return RTN_ENOMEM;
        /* Distinct active periods from the acquisition period on. Events of
         * the acquisition period before the acquisition add nothing (the
         * acquisition makes the period active), so the scan starts at it;
         * months advance by their start days, without calendar division. */
        co->wk[nw++] = cw;
        co->mo[nm++] = cm;
        for (i = 0; i < g->n; i++) {
            /* bpd is 24 or 1: divide by constants, not by a variable. */
            uint32_t b = rtn__e_bucket(g->ent[i]), day = bpd == 24 ? b / 24 : b, w = week_of(day);
            if (b < s0)
                continue;
            if (co->wk[nw - 1] != w)
                co->wk[nw++] = w;
            if (day >= mend) {
                while (day >= mend)
                    mend = (uint32_t)month_start(++cm + 1);
                co->mo[nm++] = cm;
            }
        }
        /* The acquisition is an event, so both lists start at the cohort. */
        if (gen_table(ctx, out, TAB_WEEK, co->wk, nw, 0) ||
            gen_table(ctx, out, TAB_MONTH, co->mo, nm, 0) ||
            gen_table(ctx, out, TAB_RECUR + TAB_WEEK, co->wk, nw, 1) ||
            gen_table(ctx, out, TAB_RECUR + TAB_MONTH, co->mo, nm, 1) ||
            push(ctx, out, K_LLAST, rtn__e_bucket(g->ent[g->n - 1]), 0))
            return RTN_ENOMEM;
    }
    for (i = 1; i < g->n; i++) {
        uint32_t p = rtn__e_bucket(g->ent[i - 1]), d = rtn__e_bucket(g->ent[i]);
        if (acquired && d > s0)
            break;
        if (d - p >= 2 && push(ctx, out, K_PREGAP, p + 1, d + 1))
            return RTN_ENOMEM;
    }
    return RTN_OK;
}

int rtn__cohort_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    struct rtn_cohort *co;
    uint32_t i, gaps = 0;
    if (n == 0)
        return RTN_OK;
    if ((co = get(ctx)) == NULL)
        return RTN_ENOMEM;
    for (i = 0; i < n; i++) {
        const rtn_citem *it = &items[i];
        if (it->kind < K_LLAST) {
            /* One reservation per row: items of a (kind, cohort) are
             * together, and the row grows to their largest offset. */
            uint32_t t = (it->kind - K_TAB) / 2, bmax = is_mask(it->kind) ? high_bit(mask_of(it)) : it->b;
            coh_row *r;
            while (i + 1 < n && items[i + 1].kind == it->kind && items[i + 1].a == it->a) {
                i++;
                if (items[i].b > bmax)
                    bmax = items[i].b;
            }
            /* Usually the row is there and wide enough: no call. */
            if ((r = row_of(&co->tab[t], it->a)) == NULL) {
                if (tab_cover(&ctx->mem, &co->tab[t], it->a))
                    return RTN_ENOMEM;
                r = row_of(&co->tab[t], it->a);
            }
            if (bmax >= r->cap && row_reserve(&ctx->mem, r, bmax))
                return RTN_ENOMEM;
        } else if (it->kind == K_LLAST) {
            if (rtn__fen_reserve(&ctx->mem, &co->llast, it->a))
                return RTN_ENOMEM;
        } else {
            gaps++;
        }
    }
    /* Items are sorted by kind: the gaps (c = 0) are the last ones. */
    return rtn__pairs_reserve_items(&ctx->mem, &co->pregap, items + n - gaps, gaps);
}

/* Items it[0..n), all of this module and sorted by kind: the table cells
 * first (a row's in one loop), then the last event buckets and the gaps. */
void rtn__cohort_apply_run(rtn_ctx *ctx, const rtn_citem *it, uint32_t n, int64_t sign)
{
    struct rtn_cohort *co = ctx->cohort; /* allocated by gen */
    uint32_t i = 0;
    while (i < n && it[i].kind < K_LLAST) {
        uint32_t kind = it[i].kind, a = it[i].a;
        coh_row *r = row_of(&co->tab[(kind - K_TAB) / 2], a);
        int64_t *v = r->v + ((kind - K_TAB) & 1u) * r->cap;
        if (is_mask(kind))
            add_mask(v, mask_of(&it[i++]), sign);
        else
            for (; i < n && it[i].kind == kind && it[i].a == a; i++)
                v[it[i].b] += sign;
    }
    for (; i < n; i++) {
        if (it[i].kind == K_LLAST)
            rtn__fen_add(&co->llast, it[i].a, sign);
        else
            rtn__pairs_add(&co->pregap, it[i].a, it[i].b, 0, sign);
    }
}

/* ---- lifecycle ----------------------------------------------------------------- */

/* Distinct acquired customers with an event in [fb, tb) at or after their
 * acquisition bucket: the core's first acquisitions before tb, minus those
 * whose last event is before fb, minus those with a gap of events after
 * acquisition containing the range (the core's gaps less ours, which are the
 * gaps not after acquisition). */
static int64_t active_customers(const rtn_ctx *ctx, uint32_t fb, uint32_t tb)
{
    const struct rtn_cohort *co = ctx->cohort;
    int64_t n;
    if (fb >= tb || co == NULL)
        return 0;
    n = rtn__fen_prefix(&ctx->core.acq, tb) - rtn__fen_prefix(&co->llast, fb) -
        rtn__pairs_contain(&ctx->core.agap, fb + 1, tb + 1) +
        rtn__pairs_contain(&co->pregap, fb + 1, tb + 1);
    return n;
}

int rtn__cohort_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out)
{
    uint32_t len = tb - fb, pb = fb >= len ? fb - len : 0;
    int64_t act, prev, both, nw;
    RTN_UNUSED(opts);
    if (metric < RTN_METRIC_LIFECYCLE_NEW || metric > RTN_METRIC_LIFECYCLE_DORMANT)
        return RTN_EMETRIC;
    act = active_customers(ctx, fb, tb);
    prev = active_customers(ctx, pb, fb);
    both = prev + act - active_customers(ctx, pb, tb);
    nw = rtn__fen_range(&ctx->core.acq, fb, tb);
    switch (metric) {
    case RTN_METRIC_LIFECYCLE_NEW: rtn__value_count(out, (double)nw); break;
    case RTN_METRIC_LIFECYCLE_RETURNING: rtn__value_count(out, (double)both); break;
    case RTN_METRIC_LIFECYCLE_RESURRECTED: rtn__value_count(out, (double)(act - both - nw)); break;
    default: rtn__value_count(out, (double)(prev - both)); break;
    }
    return RTN_OK;
}

/* ---- cohort matrix ---------------------------------------------------------------- */

int rtn_cohort_opts_init(rtn_cohort_opts *opts, uint32_t size)
{
    if (opts == NULL || size != sizeof(rtn_cohort_opts))
        return RTN_EINVAL;
    memset(opts, 0, sizeof(*opts));
    opts->size = size;
    opts->every = RTN_EVERY_WEEK;
    opts->mode = RTN_COHORT_N_PERIOD;
    opts->recurring = 0;
    opts->max_periods = 12;
    return RTN_OK;
}

static int check_opts(rtn_ctx *ctx, const rtn_cohort_opts *o)
{
    if (o == NULL || o->size != sizeof(rtn_cohort_opts))
        return rtn__fail(ctx, RTN_EINVAL, "cohort options are NULL or of unknown size: use rtn_cohort_opts_init");
    if (o->every != RTN_EVERY_WEEK && o->every != RTN_EVERY_MONTH)
        return rtn__fail(ctx, RTN_EPERIOD, "cohort period %d: only weeks and months", (int)o->every);
    if (o->mode != RTN_COHORT_N_PERIOD && o->mode != RTN_COHORT_UNBOUNDED)
        return rtn__fail(ctx, RTN_EINVAL, "unknown cohort mode %d", (int)o->mode);
    if (o->recurring != 0 && o->recurring != 1)
        return rtn__fail(ctx, RTN_EINVAL, "recurring must be 0 or 1, not %d", (int)o->recurring);
    if (o->reserved != 0)
        return rtn__fail(ctx, RTN_EINVAL, "reserved field of cohort options is not 0");
    if (o->max_periods == 0 || o->max_periods > RTN_COHORT_MAX_PERIODS)
        return rtn__fail(ctx, RTN_EINVAL, "max_periods %u outside 1..%d", (unsigned)o->max_periods,
                         RTN_COHORT_MAX_PERIODS);
    if (o->recurring && o->max_periods > RTN_COHORT_RECURRING_MAX)
        return rtn__fail(ctx, RTN_EINVAL, "recurring cohorts have at most %d periods, not %u",
                         RTN_COHORT_RECURRING_MAX, (unsigned)o->max_periods);
    if (o->from < 0 || o->to < 0 || o->at < 0 || o->from > RTN_TIME_MAX || o->to > RTN_TIME_MAX ||
        o->at > RTN_TIME_MAX)
        return rtn__fail(ctx, RTN_ETIME, "cohort bounds outside 1970..2199");
    if (o->from > o->to)
        return rtn__fail(ctx, RTN_EPERIOD, "cohorts with from > to");
    return RTN_OK;
}

int rtn_cohort_retention(rtn_cohort_cell *cells, int64_t *starts, int64_t *sizes, size_t rows_cap,
                         size_t *rows_out, rtn_ctx *ctx, const rtn_cohort_opts *opts)
{
    uint32_t bpd, fb, tb, atb, p0, kmax, r, nrows = 0;
    const coh_tab *tab;
    int rc, every;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (rows_out == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "rows_out is NULL");
    if ((rc = check_opts(ctx, opts)) || (rc = rtn__fold_query(ctx)))
        return rc;
    every = opts->every;
    bpd = rtn__buckets_per_day(ctx);
    fb = rtn__bucket(ctx, opts->from);
    tb = rtn__bucket(ctx, opts->to);
    atb = rtn__bucket(ctx, opts->at);
    p0 = period_of(every, fb / bpd);
    kmax = opts->max_periods;
    /* Rows: periods from p0 on that start before tb (week 0 starts before
     * the epoch, so with tb = 0 it is the only one). */
    if ((int64_t)tb > period_start(every, p0) * bpd)
        nrows = tb == 0 ? 1 : period_of(every, (tb - 1) / bpd) - p0 + 1;
    *rows_out = nrows;
    if (nrows > rows_cap)
        return rtn__fail(ctx, RTN_ERANGE, "the matrix has %u rows, the buffer holds %zu", nrows,
                         rows_cap);
    if (nrows && cells == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "cells is NULL");
    tab = ctx->cohort ? &ctx->cohort->tab[(every == RTN_EVERY_WEEK ? TAB_WEEK : TAB_MONTH) +
                                          (opts->recurring ? TAB_RECUR : 0)]
                      : NULL;
    for (r = 0; r < nrows; r++) {
        uint32_t p = p0 + r, k;
        const coh_row *row = tab ? row_of(tab, p) : NULL;
        int64_t size = row && row->cap ? row->v[0] : 0, tail = 0;
        rtn_cohort_cell *c = cells + (size_t)r * kmax;
        if (starts)
            starts[r] = period_start(every, p) * RTN_MS_PER_DAY - ctx->offset_ms;
        if (sizes)
            sizes[r] = size;
        /* Unbounded: customers whose last active offset is k or more. */
        if (opts->mode == RTN_COHORT_UNBOUNDED && row)
            for (k = kmax; k < row->cap; k++)
                tail += row->v[row->cap + k];
        for (k = kmax; k-- > 0;) {
            int64_t n = 0;
            if (row && k < row->cap) {
                if (opts->mode == RTN_COHORT_UNBOUNDED)
                    n = (tail += row->v[row->cap + k]);
                else
                    n = row->v[k];
            }
            c[k].active = n;
            c[k].share = size > 0 ? (double)n / (double)size * 100.0 : NAN;
            c[k].complete = period_start(every, p + k + 1) * bpd <= (int64_t)atb;
            c[k].reserved = 0;
        }
    }
    return RTN_OK;
}

/* ---- survival ------------------------------------------------------------------------ */

typedef struct surv_obs {
    uint32_t dur;   /* buckets from acquisition to loss or to the query instant */
    uint32_t event; /* 1 = lost, 0 = censored */
    int64_t count;
} surv_obs;

static int obs_cmp(const void *x, const void *y)
{
    const surv_obs *a = x, *b = y;
    if (a->dur != b->dur)
        return a->dur < b->dur ? -1 : 1;
    return (int)b->event - (int)a->event;
}

/* Two-sided 95 % standard normal quantile. */
#define Z95 1.959963984540054

int rtn_survival(rtn_survival_point *points, size_t cap, size_t *n_out, double *median_days,
                 rtn_ctx *ctx, int64_t at)
{
    const rtn_pairs *sv;
    surv_obs *obs = NULL;
    size_t nobs = 0, npts = 0, i, j, k;
    uint32_t atb, bpd;
    int64_t risk = 0;
    double s = 1.0, gw = 0.0, median = NAN;
    int dead = 0;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (n_out == NULL || (cap > 0 && points == NULL))
        return rtn__fail(ctx, RTN_EINVAL, "n_out is NULL, or points is NULL with cap > 0");
    if (at < 0 || at > RTN_TIME_MAX)
        return rtn__fail(ctx, RTN_ETIME, "survival instant outside 1970..2199");
    if (rtn__fold_query(ctx))
        return RTN_ENOMEM;
    atb = rtn__bucket(ctx, at);
    bpd = rtn__buckets_per_day(ctx);
    sv = &ctx->core.surv;
    for (i = 0; i < sv->cap; i++)
        nobs += sv->s[i].count != 0 && sv->s[i].a - 1 < atb;
    if (nobs) {
        obs = rtn__alloc(&ctx->mem, nobs * sizeof(surv_obs));
        if (obs == NULL)
            return rtn__fail(ctx, RTN_ENOMEM, "out of memory for %zu survival observations", nobs);
    }
    for (i = 0, j = 0; i < sv->cap; i++) {
        const rtn_pslot *e = &sv->s[i];
        uint32_t s0 = e->a - 1;
        if (e->count == 0 || s0 >= atb)
            continue;
        obs[j].event = e->b != RTN_NONE_AFTER && e->b - 1 < atb;
        obs[j].dur = (obs[j].event ? e->b - 1 : atb) - s0;
        obs[j].count = e->count;
        risk += e->count;
        j++;
    }
    if (nobs > 1)
        qsort(obs, nobs, sizeof(surv_obs), obs_cmp);
    /* Distinct loss durations are the curve's points. */
    for (i = 0; i < nobs; i++)
        npts += obs[i].event && (i == 0 || obs[i - 1].dur != obs[i].dur || !obs[i - 1].event);
    *n_out = npts;
    if (npts > cap) {
        rtn__free(&ctx->mem, obs, nobs * sizeof(surv_obs));
        return rtn__fail(ctx, RTN_ERANGE, "the curve has %zu points, the buffer holds %zu", npts, cap);
    }
    /* At a duration, customers censored then are still at risk (losses
     * first); both leave the risk set afterwards. */
    for (i = 0, k = 0; i < nobs; i = j) {
        int64_t d = 0, c = 0;
        for (j = i; j < nobs && obs[j].dur == obs[i].dur; j++) {
            if (obs[j].event)
                d += obs[j].count;
            else
                c += obs[j].count;
        }
        if (d > 0) {
            rtn_survival_point *pt = &points[k++];
            double half;
            s *= 1.0 - (double)d / (double)risk;
            if (d == risk)
                dead = 1; /* S = 0: the Greenwood variance tends to 0 */
            else
                gw += (double)d / ((double)risk * (double)(risk - d));
            pt->t_days = (double)obs[i].dur / (double)bpd;
            pt->at_risk = risk;
            pt->events = d;
            pt->s = dead ? 0.0 : s;
            half = dead ? 0.0 : Z95 * sqrt(s * s * gw);
            pt->lo = pt->s - half < 0.0 ? 0.0 : pt->s - half;
            pt->hi = pt->s + half > 1.0 ? 1.0 : pt->s + half;
            if (isnan(median) && pt->s <= 0.5)
                median = pt->t_days;
        }
        risk -= d + c;
    }
    rtn__free(&ctx->mem, obs, nobs * sizeof(surv_obs));
    if (median_days)
        *median_days = median;
    return RTN_OK;
}

/* ---- lifetime ------------------------------------------------------------------------- */

void rtn__cohort_free(rtn_ctx *ctx)
{
    struct rtn_cohort *co = ctx->cohort;
    rtn_mem *m = &ctx->mem;
    uint32_t t, i;
    if (co == NULL)
        return;
    for (t = 0; t < NTAB; t++) {
        for (i = 0; i < co->tab[t].n; i++)
            rtn__free(m, co->tab[t].rows[i].v, (size_t)co->tab[t].rows[i].cap * 2 * sizeof(int64_t));
        rtn__free(m, co->tab[t].rows, (size_t)co->tab[t].n * sizeof(coh_row));
    }
    rtn__fen_free(m, &co->llast);
    rtn__pairs_free(m, &co->pregap);
    rtn__free(m, co->wk, (size_t)co->wcap * sizeof(uint32_t));
    rtn__free(m, co->mo, (size_t)co->mcap * sizeof(uint32_t));
    rtn__free(m, co, sizeof(*co));
    ctx->cohort = NULL;
}

/* Every accumulator of this module is derived from contributions, which
 * snapshot loading and merging rebuild by re-contributing customers: there
 * is no raw state to save, load or merge. */
int rtn__cohort_save(rtn_ctx *ctx, rtn_wr *w)
{
    RTN_UNUSED(ctx);
    RTN_UNUSED(w);
    return RTN_OK;
}

int rtn__cohort_load(rtn_ctx *ctx, rtn_rd *r)
{
    RTN_UNUSED(ctx);
    RTN_UNUSED(r);
    return RTN_OK;
}

int rtn__cohort_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    RTN_UNUSED(dst);
    RTN_UNUSED(src);
    RTN_UNUSED(cmap);
    return RTN_OK;
}

/* ---- deep copy and contributions for merge ------------------------------------------ */

int rtn__cohort_clone(rtn_ctx *dst, const rtn_ctx *src)
{
    const struct rtn_cohort *s = src->cohort;
    struct rtn_cohort *co;
    rtn_mem *m = &dst->mem;
    uint32_t t, i;
    dst->cohort = NULL;
    if (s == NULL)
        return RTN_OK;
    if ((co = rtn__calloc(m, sizeof(*co))) == NULL)
        return RTN_ENOMEM;
    dst->cohort = co;
    for (t = 0; t < NTAB; t++) {
        const coh_tab *st = &s->tab[t];
        coh_tab *dt = &co->tab[t];
        if (st->n == 0)
            continue;
        /* Rows start empty; each row's counts are copied into it. */
        if ((dt->rows = rtn__calloc(m, (size_t)st->n * sizeof(coh_row))) == NULL)
            return RTN_ENOMEM;
        dt->base = st->base;
        dt->n = st->n;
        for (i = 0; i < st->n; i++) {
            coh_row *dr = &dt->rows[i];
            const coh_row *sr = &st->rows[i];
            if (rtn__dup(m, (void **)&dr->v, sr->v, (size_t)sr->cap * 2 * sizeof(int64_t)))
                return RTN_ENOMEM;
            dr->cap = dr->v ? sr->cap : 0;
        }
    }
    if (rtn__fen_clone(m, &co->llast, &s->llast) || rtn__pairs_clone(m, &co->pregap, &s->pregap))
        return RTN_ENOMEM;
    return RTN_OK;
}

/* Every accumulator of this module is a contribution accumulator. */
int rtn__cohort_add_contrib(rtn_ctx *dst, const rtn_ctx *src)
{
    const struct rtn_cohort *s = src->cohort;
    struct rtn_cohort *co;
    rtn_mem *m = &dst->mem;
    uint32_t t, i, k;
    if (s == NULL)
        return RTN_OK;
    if ((co = get(dst)) == NULL)
        return RTN_ENOMEM;
    for (t = 0; t < NTAB; t++) {
        const coh_tab *st = &s->tab[t];
        for (i = 0; i < st->n; i++) {
            const coh_row *sr = &st->rows[i];
            coh_row *dr;
            uint32_t p = st->base + i;
            if (sr->cap == 0)
                continue;
            /* The whole row, so anything src holds can be taken out again. */
            if (tab_cover(m, &co->tab[t], p) ||
                row_reserve(m, row_of(&co->tab[t], p), sr->cap - 1))
                return RTN_ENOMEM;
            dr = row_of(&co->tab[t], p);
            for (k = 0; k < sr->cap; k++) {
                dr->v[k] += sr->v[k];
                dr->v[dr->cap + k] += sr->v[sr->cap + k];
            }
        }
    }
    if (rtn__fen_add_tree(m, &co->llast, &s->llast) ||
        rtn__pairs_add_all(m, &co->pregap, &s->pregap))
        return RTN_ENOMEM;
    return RTN_OK;
}
