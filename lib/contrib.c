/*
 * contrib.c: changes to a customer. A change edits the customer's day
 * entries, regenerates its contribution list and applies the difference
 * from the old list to every accumulator, in a prepare step that may fail
 * and a commit step that cannot.
 */
#include "internal.h"

#include <string.h>

int rtn__clist_push(rtn_mem *m, rtn_clist *l, uint32_t kind, uint32_t a,
                    uint32_t b, uint32_t c)
{
    rtn_citem *it;
    if (l->n == l->cap &&
        rtn__grow(m, (void **)&l->v, &l->cap, l->n + 1, sizeof(rtn_citem)))
        return RTN_ENOMEM;
    it = &l->v[l->n++];
    it->kind = kind;
    it->a = a;
    it->b = b;
    it->c = c;
    return RTN_OK;
}

static int push_ivl(rtn_ctx *ctx, rtn_ivl **buf, uint32_t *cap, uint32_t *n,
                    uint32_t s, uint32_t l, uint32_t react)
{
    if (*n == *cap && rtn__grow(&ctx->mem, (void **)buf, cap, *n + 1, sizeof(rtn_ivl)))
        return RTN_ENOMEM;
    (*buf)[*n].s = s;
    (*buf)[*n].l = l;
    (*buf)[*n].react = react;
    (*n)++;
    return RTN_OK;
}

int rtn__status_intervals(rtn_ctx *ctx, const uint64_t *ent, uint32_t n,
                          rtn_ivl **buf, uint32_t *cap, uint32_t *nout)
{
    uint32_t i, w = ctx->inactivity, last_start = 0, cnt = 0;
    int active = 0, ever = 0;
    for (i = 0; i < n; i++) {
        uint32_t b = rtn__e_bucket(ent[i]), f = rtn__e_flags(ent[i]);
        if (w && active && b > last_start + w) {
            (*buf)[cnt - 1].l = last_start + w;
            active = 0;
        }
        if (f & RTN_E_START) {
            if (!active) {
                if (push_ivl(ctx, buf, cap, &cnt, b, UINT32_MAX, (uint32_t)ever))
                    return RTN_ENOMEM;
                ever = 1;
                active = 1;
            }
            last_start = b;
        }
        /* Within a bucket, start events come before losses. */
        if ((f & (RTN_E_CHURN | RTN_E_MRRLOSS)) && active) {
            (*buf)[cnt - 1].l = b;
            active = 0;
        }
    }
    if (w && active)
        (*buf)[cnt - 1].l = last_start + w;
    *nout = cnt;
    return RTN_OK;
}

/* Aspects each module's generator reads (core.c tests g->mask per section). */
#define DEPS_ENGAGE RTN_A_SET
#define DEPS_JOURNEY (RTN_A_STATUS | RTN_A_PTTV | RTN_A_OTHER)
#define DEPS_COHORT (RTN_A_SET | RTN_A_STATUS)
/* Readers of status intervals: core's status, loyalty and survival
 * sections, journey and cohorts. */
#define DEPS_IVL (RTN_A_STATUS | RTN_A_CFLAGS | RTN_A_PLOYAL | DEPS_JOURNEY | DEPS_COHORT)

static int generate(rtn_ctx *ctx, const rtn_cust *c, const uint64_t *ent,
                    uint32_t n, rtn_clist *out, uint32_t mask)
{
    rtn_gen g;
    int rc;
    out->n = 0;
    g.cust = c;
    g.ent = ent;
    g.n = n;
    g.mask = mask;
    g.nivl = 0;
    g.ivl = NULL;
    if (mask & DEPS_IVL) {
        rc = rtn__status_intervals(ctx, ent, n, &ctx->ivl_buf, &ctx->ivl_cap, &g.nivl);
        if (rc)
            return rc;
        g.ivl = ctx->ivl_buf;
    }
    if ((rc = rtn__core_gen(ctx, &g, out)) ||
        ((mask & DEPS_ENGAGE) && (rc = rtn__engage_gen(ctx, &g, out))) ||
        ((mask & DEPS_JOURNEY) && (rc = rtn__journey_gen(ctx, &g, out))) ||
        (rc = rtn__revenue_gen(ctx, &g, out)) ||
        ((mask & DEPS_COHORT) && (rc = rtn__cohort_gen(ctx, &g, out))))
        return rc;
    return RTN_OK;
}

/* What one entry's change alters (o, e: the entry before and after, 0 when
 * absent). */
static uint32_t entry_aspects(const rtn_ctx *ctx, uint64_t o, uint64_t e)
{
    uint32_t m = 0, fo = rtn__e_flags(o), fe = rtn__e_flags(e);
    uint32_t po = rtn__e_purch(o), pe = rtn__e_purch(e), lo = po < pe ? po : pe;
    const uint32_t st = RTN_E_START | RTN_E_CHURN | RTN_E_MRRLOSS;
    if ((o == 0) != (e == 0))
        m |= RTN_A_SET;
    if ((fo & st) != (fe & st))
        m |= RTN_A_STATUS;
    if ((fo & ~st & ~RTN_E_ANY) != (fe & ~st & ~RTN_E_ANY))
        m |= RTN_A_OTHER;
    if (po != pe) {
        if ((po == 0) != (pe == 0))
            m |= RTN_A_PSET;
        if ((po == 1) != (pe == 1))
            m |= RTN_A_P1;
        /* With both counts at or above the threshold, every window holding
         * this bucket is at the threshold before and after. */
        if (lo < (uint32_t)ctx->cfg.loyal_min_purchases)
            m |= RTN_A_PLOYAL;
        if (lo < 2)
            m |= RTN_A_PTTV;
    }
    return m;
}

static uint64_t entry_at(const uint64_t *e, uint32_t n, uint32_t bucket);

/* Items compare as two 64-bit keys: (kind, a) then (b, c). */
static inline uint64_t key_hi(const rtn_citem *x)
{
    return (uint64_t)x->kind << 32 | x->a;
}

static inline uint64_t key_lo(const rtn_citem *x)
{
    return (uint64_t)x->b << 32 | x->c;
}

/* Reduce old/new lists to their multiset differences, in place. A change
 * usually leaves long equal runs at both ends (an event near the end of a
 * busy customer's history), matched with block compares before the merge
 * walks the rest. */
static void diff_lists(rtn_clist *old, rtn_clist *nw)
{
    uint32_t i = 0, j, ro = 0, rn = 0, on = old->n, nn = nw->n;
    uint32_t m = on < nn ? on : nn;
    /* One list empty (a customer new since the last fold, or one left with
     * no entries): the other is the whole difference. */
    if (on == 0 || nn == 0)
        return;
    while (i + 8 <= m && memcmp(old->v + i, nw->v + i, 8 * sizeof(rtn_citem)) == 0)
        i += 8;
    while (i < m && memcmp(old->v + i, nw->v + i, sizeof(rtn_citem)) == 0)
        i++;
    j = i;
    while (on - i >= 8 && nn - j >= 8 &&
           memcmp(old->v + on - 8, nw->v + nn - 8, 8 * sizeof(rtn_citem)) == 0) {
        on -= 8;
        nn -= 8;
    }
    while (on > i && nn > j && memcmp(old->v + on - 1, nw->v + nn - 1, sizeof(rtn_citem)) == 0) {
        on--;
        nn--;
    }
    /* Writes trail reads (ro <= i, rn <= j), so compaction is in place. */
    while (i < on && j < nn) {
        const rtn_citem *x = &old->v[i], *y = &nw->v[j];
        uint64_t xh = key_hi(x), yh = key_hi(y), xl = key_lo(x), yl = key_lo(y);
        if (xh == yh && xl == yl) {
            i++;
            j++;
            /* Changes come in a few places: skip equal runs by blocks. */
            while (i + 8 <= on && j + 8 <= nn &&
                   memcmp(old->v + i, nw->v + j, 8 * sizeof(rtn_citem)) == 0) {
                i += 8;
                j += 8;
            }
        } else if (xh < yh || (xh == yh && xl < yl)) {
            old->v[ro++] = old->v[i++];
        } else {
            nw->v[rn++] = nw->v[j++];
        }
    }
    while (i < on)
        old->v[ro++] = old->v[i++];
    while (j < nn)
        nw->v[rn++] = nw->v[j++];
    old->n = ro;
    nw->n = rn;
}

static int reserve_items(rtn_ctx *ctx, const rtn_clist *add)
{
    uint32_t i = 0, n = add->n;
    int rc;
    /* Items are sorted by kind, so each module's items are one run. */
    while (i < n && add->v[i].kind < RTN_K_ENGAGE_FIRST)
        i++;
    if ((rc = rtn__core_reserve(ctx, add->v, i)))
        return rc;
    {
        uint32_t s = i;
        while (i < n && add->v[i].kind < RTN_K_JOURNEY_FIRST)
            i++;
        if ((rc = rtn__engage_reserve(ctx, add->v + s, i - s)))
            return rc;
        s = i;
        while (i < n && add->v[i].kind < RTN_K_REVENUE_FIRST)
            i++;
        if ((rc = rtn__journey_reserve(ctx, add->v + s, i - s)))
            return rc;
        s = i;
        while (i < n && add->v[i].kind < RTN_K_COHORT_FIRST)
            i++;
        if ((rc = rtn__revenue_reserve(ctx, add->v + s, i - s)))
            return rc;
        if ((rc = rtn__cohort_reserve(ctx, add->v + i, n - i)))
            return rc;
    }
    return RTN_OK;
}

static void apply_items(rtn_ctx *ctx, const rtn_clist *l, int64_t sign)
{
    uint32_t i;
    for (i = 0; i < l->n; i++) {
        const rtn_citem *it = &l->v[i];
        /* Pair stores are large hash tables: slots are asked for ahead. */
        if (i + 6 < l->n && l->v[i + 6].kind < RTN_K_ENGAGE_FIRST)
            rtn__core_prefetch(ctx, &l->v[i + 6]);
        if (it->kind < RTN_K_ENGAGE_FIRST)
            rtn__core_apply(ctx, it, sign);
        else if (it->kind < RTN_K_JOURNEY_FIRST)
            rtn__engage_apply(ctx, it, sign);
        else if (it->kind < RTN_K_REVENUE_FIRST)
            rtn__journey_apply(ctx, it, sign);
        else if (it->kind < RTN_K_COHORT_FIRST)
            rtn__revenue_apply(ctx, it, sign);
        else
            break;
    }
    /* The cohort items are the last run (the most numerous). */
    if (i < l->n)
        rtn__cohort_apply_run(ctx, l->v + i, l->n - i, sign);
}

int rtn__pending_mod_grow(rtn_ctx *ctx, uint32_t bucket, uint32_t set,
                          uint32_t clear, int32_t dpurch)
{
    rtn_pending *p = &ctx->pend;
    if (rtn__grow(&ctx->mem, (void **)&p->mods, &p->modcap,
                  p->nmods < RTN_MAX_EMODS ? RTN_MAX_EMODS : p->nmods + 1, sizeof(rtn_emod)))
        return RTN_ENOMEM;
    return rtn__pending_mod(ctx, bucket, set, clear, dpurch);
}

static uint32_t lower_bound(const uint64_t *e, uint32_t n, uint32_t bucket)
{
    uint32_t lo = 0, hi = n;
    /* Events mostly come in time order: the last entry first, which spares
     * the cache lines a search would touch. */
    if (n && rtn__e_bucket(e[n - 1]) <= bucket)
        return rtn__e_bucket(e[n - 1]) == bucket ? n - 1 : n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rtn__e_bucket(e[mid]) < bucket)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The entry of `bucket`, or 0 when there is none (a real entry always has
 * a flag or a purchase, so it is never 0). */
static uint64_t entry_at(const uint64_t *e, uint32_t n, uint32_t bucket)
{
    uint32_t k = lower_bound(e, n, bucket);
    return k < n && rtn__e_bucket(e[k]) == bucket ? e[k] : 0;
}

/* Grow an entry array. */
static int grow_entries(rtn_mem *m, uint64_t **p, uint32_t *cap, uint32_t need)
{
    uint32_t ncap;
    uint64_t *q;
    if (need <= *cap)
        return RTN_OK;
    /* Exact up to 8 entries (most customers), then 1.5x for the busy ones. */
    ncap = need <= 8 ? need : need + need / 2;
    if (ncap > RTN_CUST_CAP_MAX)
        ncap = RTN_CUST_CAP_MAX;
    if (need > ncap)
        return RTN_ENOMEM;
    q = rtn__realloc(m, *p, (size_t)*cap * sizeof(uint64_t), (size_t)ncap * sizeof(uint64_t));
    if (q == NULL)
        return RTN_ENOMEM;
    *p = q;
    *cap = ncap;
    return RTN_OK;
}

/* Grow a customer's entry array to hold `need` entries (its capacity is
 * kept in its record). */
static int cust_grow(rtn_mem *m, rtn_cust *c, uint32_t need)
{
    uint32_t cap = rtn__cust_cap(c);
    int rc = grow_entries(m, &c->ent, &cap, need);
    rtn__cust_set_cap(c, cap);
    return rc;
}

int rtn__cust_append(rtn_ctx *ctx, rtn_cust *c, uint64_t e)
{
    int rc;
    if (c->n == rtn__cust_cap(c) && (rc = cust_grow(&ctx->mem, c, c->n + 1)))
        return rc;
    c->ent[c->n++] = e;
    return RTN_OK;
}

/* One modification of an entry's flags and purchase count; 0 when the
 * count leaves its range. */
static int mod_entry(const rtn_emod *m, uint32_t *flags, int64_t *np)
{
    *flags = (*flags | m->set) & ~m->clear;
    *np += m->dpurch;
    return *np >= 0 && *np <= (int64_t)RTN_E_PURCH_MAX;
}

static int apply_mods(rtn_ctx *ctx, const rtn_cust *c)
{
    rtn_pending *p = &ctx->pend;
    uint32_t i, n = c ? c->n : 0;
    if (rtn__grow(&ctx->mem, (void **)&p->newent, &p->newcap, n + p->nmods + 1,
                  sizeof(uint64_t)))
        return RTN_ENOMEM;
    if (n)
        memcpy(p->newent, c->ent, n * sizeof(uint64_t));
    for (i = 0; i < p->nmods; i++) {
        const rtn_emod *m = &p->mods[i];
        uint32_t k = lower_bound(p->newent, n, m->bucket), flags, purch;
        int64_t np;
        if (k < n && rtn__e_bucket(p->newent[k]) == m->bucket) {
            flags = rtn__e_flags(p->newent[k]);
            purch = rtn__e_purch(p->newent[k]);
        } else {
            memmove(p->newent + k + 1, p->newent + k, (n - k) * sizeof(uint64_t));
            n++;
            flags = 0;
            purch = 0;
        }
        np = purch;
        if (!mod_entry(m, &flags, &np))
            return rtn__fail(ctx, RTN_ERANGE, "purchase count per customer and bucket out of range");
        if (flags == 0 && np == 0) {
            memmove(p->newent + k, p->newent + k + 1, (n - k - 1) * sizeof(uint64_t));
            n--;
        } else {
            p->newent[k] = rtn__e_make(m->bucket, (uint32_t)np, flags);
        }
    }
    p->nnew = n;
    return RTN_OK;
}

/* Whether every entry change leaves the customer as it is (the common
 * case of a busy customer's second event of a day): O(changes * log k)
 * instead of copying and comparing its k entries. Changes apply in turn,
 * and each one that changes nothing leaves the next one the same state. */
static int changes_nothing(const rtn_pending *p, const rtn_cust *c)
{
    uint32_t i;
    if ((rtn__cust_flags(c) | p->set_cflags) != rtn__cust_flags(c))
        return 0;
    for (i = 0; i < p->nmods; i++) {
        const rtn_emod *m = &p->mods[i];
        uint32_t k = lower_bound(c->ent, c->n, m->bucket), flags;
        if (m->dpurch != 0)
            return 0;
        if (k == c->n || rtn__e_bucket(c->ent[k]) != m->bucket) {
            if (m->set != 0)
                return 0;
            continue; /* would create an empty entry, which is dropped */
        }
        flags = rtn__e_flags(c->ent[k]);
        if (((flags | m->set) & ~m->clear) != flags)
            return 0;
    }
    return 1;
}

/* Whether the entries after the change differ from the customer's: only
 * the buckets a modification touches can. */
static int entries_differ(const rtn_pending *p, const rtn_cust *c)
{
    uint32_t i;
    for (i = 0; i < p->nmods; i++) {
        uint32_t b = p->mods[i].bucket;
        if (entry_at(c->ent, c->n, b) != entry_at(p->newent, p->nnew, b))
            return 1;
    }
    return 0;
}

/* The common change, decided at the customer's last entry without copying
 * its entries: modifications of one bucket (an event's, plus a module's
 * flag on it), the customer's last or a new one after it. Returns 0 when
 * they change nothing (each leaves the entry as it is, as changes_nothing
 * would say), 1 when they leave an entry there (the tail is set: the entry
 * and its index), -1 when the general path must decide (other buckets, an
 * entry dropped, a purchase count out of range). */
static int tail_change(rtn_pending *p, const rtn_cust *c)
{
    const rtn_emod *m = p->mods;
    uint32_t i, k = c->n, flags = 0, purch = 0, cf = rtn__cust_flags(c);
    int64_t np;
    int same;
    if (p->nmods == 0)
        return -1;
    for (i = 1; i < p->nmods; i++)
        if (p->mods[i].bucket != m->bucket)
            return -1;
    if (c->n) {
        uint32_t last = rtn__e_bucket(c->ent[c->n - 1]);
        if (m->bucket < last)
            return -1;
        if (m->bucket == last) {
            k = c->n - 1;
            flags = rtn__e_flags(c->ent[k]);
            purch = rtn__e_purch(c->ent[k]);
        }
    }
    same = k < c->n && (cf | p->set_cflags) == cf;
    np = purch;
    for (i = 0; i < p->nmods; i++) {
        uint32_t before = flags;
        if (!mod_entry(&p->mods[i], &flags, &np))
            return -1;
        same &= flags == before && p->mods[i].dpurch == 0;
    }
    if (same)
        return 0;
    if (flags == 0 && np == 0)
        return -1;
    p->tail_k = k;
    p->tail_e = rtn__e_make(m->bucket, (uint32_t)np, flags);
    p->nnew = k == c->n ? c->n + 1 : c->n;
    return 1;
}

/* Grow the saved-entries buffer of dirty customers to hold `need`. */
static int grow_saved(rtn_ctx *ctx, uint64_t need)
{
    uint64_t ncap = ctx->dirty_ecap ? ctx->dirty_ecap : 1024;
    uint64_t *q;
    if (need <= ctx->dirty_ecap)
        return RTN_OK;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / sizeof(uint64_t))
        return RTN_ENOMEM;
    q = rtn__realloc(&ctx->mem, ctx->dirty_ent, (size_t)ctx->dirty_ecap * sizeof(uint64_t),
                     (size_t)ncap * sizeof(uint64_t));
    if (q == NULL)
        return RTN_ENOMEM;
    ctx->dirty_ent = q;
    ctx->dirty_ecap = ncap;
    return RTN_OK;
}

/* The aspects in which two entry arrays differ. */
static uint32_t entries_aspects(const rtn_ctx *ctx, const uint64_t *a, uint32_t na,
                                const uint64_t *b, uint32_t nb)
{
    uint32_t i = 0, j = 0, m = 0;
    while (i < na || j < nb) {
        uint32_t ba = i < na ? rtn__e_bucket(a[i]) : UINT32_MAX;
        uint32_t bb = j < nb ? rtn__e_bucket(b[j]) : UINT32_MAX;
        uint64_t o = 0, e = 0;
        if (i < na && ba <= bb)
            o = a[i++];
        if (j < nb && bb <= ba)
            e = b[j++];
        if (o != e)
            m |= entry_aspects(ctx, o, e);
    }
    return m;
}

/* The contribution difference between a customer's old state (record oc,
 * entries oe[0..on)) and its new one: both lists generated, for the aspects
 * that differ, reduced to their difference in ctx->old_items and
 * ctx->new_items, and reserved; apply_diff applies it. */
static int prepare_diff(rtn_ctx *ctx, const rtn_cust *oc, const uint64_t *oe, uint32_t on,
                        const rtn_cust *nc, const uint64_t *ne, uint32_t nn)
{
    uint32_t mask = RTN_A_ALL;
    int rc;
    if (on) {
        mask = entries_aspects(ctx, oe, on, ne, nn);
        if ((rtn__cust_flags(oc) & RTN_CF_ALL) != (rtn__cust_flags(nc) & RTN_CF_ALL))
            mask |= RTN_A_CFLAGS;
    }
    if ((rc = generate(ctx, oc, oe, on, &ctx->old_items, mask)) ||
        (rc = generate(ctx, nc, ne, nn, &ctx->new_items, mask)))
        return rc;
    diff_lists(&ctx->old_items, &ctx->new_items);
    return reserve_items(ctx, &ctx->new_items);
}

static void apply_diff(rtn_ctx *ctx)
{
    apply_items(ctx, &ctx->old_items, -1);
    apply_items(ctx, &ctx->new_items, +1);
}

/* The contribution difference of the pending change, computed and reserved
 * now: with a memory cap, the cap is checked by the push itself, never by a
 * later query. */
static int prepare_now(rtn_ctx *ctx, const rtn_cust *c)
{
    rtn_pending *p = &ctx->pend;
    rtn_cust oc, nc;
    int rc;
    memset(&oc, 0, sizeof(oc));
    if (c)
        oc = *c;
    nc = oc;
    rtn__cust_add_flags(&nc, p->set_cflags);
    if ((rc = prepare_diff(ctx, &oc, oc.ent, oc.n, &nc, p->newent, p->nnew)))
        return rc;
    p->now = 1;
    return RTN_OK;
}

/* A change only edits the customer's entries: the first change since the
 * last fold saves the entries its applied contributions come from, and
 * rtn__fold applies the difference once for all the changes in between.
 * A customer with events on many days thus costs one regeneration per
 * fold instead of one per changing event. */
int rtn__pending_prepare(rtn_ctx *ctx)
{
    rtn_pending *p = &ctx->pend;
    rtn_cust *c = p->is_new ? NULL : &ctx->cust.c[p->ci];
    int rc;

    p->changed = 0;
    p->now = 0;
    p->tail = 0;
    rc = c && !ctx->mem.cap ? tail_change(p, c) : -1;
    if (rc == 0 || (rc < 0 && c && changes_nothing(p, c)))
        return RTN_OK;
    if (rc > 0) {
        p->tail = 1;
    } else {
        if ((rc = apply_mods(ctx, c)))
            return rc;
        if (c && !entries_differ(p, c) &&
            (rtn__cust_flags(c) | p->set_cflags) == rtn__cust_flags(c))
            return RTN_OK;
    }
    p->changed = 1;

    if (p->is_new) {
        if ((rc = rtn__ctab_reserve(&ctx->mem, &ctx->cust, &p->key)))
            return rc;
        if (p->fresh_cap < p->nnew) {
            rtn__free(&ctx->mem, p->fresh, (size_t)p->fresh_cap * sizeof(uint64_t));
            p->fresh = NULL;
            p->fresh_cap = 0;
            if ((rc = grow_entries(&ctx->mem, &p->fresh, &p->fresh_cap, p->nnew)))
                return rc;
        }
    } else {
        if ((rc = cust_grow(&ctx->mem, c, p->nnew)))
            return rc;
        if (rtn__cust_flags(c) & RTN_CF_DIRTY)
            return RTN_OK;
    }
    if (ctx->mem.cap)
        return prepare_now(ctx, c);
    if (ctx->ndirty == ctx->dirty_cap &&
        rtn__grow(&ctx->mem, (void **)&ctx->dirty, &ctx->dirty_cap, ctx->ndirty + 1,
                  sizeof(rtn_dirty)))
        return RTN_ENOMEM;
    return grow_saved(ctx, ctx->dirty_len + (c ? c->n : 0));
}

void rtn__pending_commit(rtn_ctx *ctx)
{
    rtn_pending *p = &ctx->pend;
    rtn_cust *c;
    if (!p->changed)
        return;
    if (p->is_new) {
        p->ci = rtn__ctab_insert(&ctx->cust, &p->key);
        c = &ctx->cust.c[p->ci];
        c->ent = p->fresh;
        rtn__cust_set_cap(c, p->fresh_cap);
        p->fresh = NULL;
        p->fresh_cap = 0;
        p->is_new = 0;
    } else {
        c = &ctx->cust.c[p->ci];
    }
    if (p->now) {
        apply_diff(ctx);
        p->now = 0;
    } else if (!(rtn__cust_flags(c) & RTN_CF_DIRTY)) {
        rtn_dirty *d = &ctx->dirty[ctx->ndirty++];
        d->ci = p->ci;
        d->n = c->n;
        d->cflags = rtn__cust_flags(c);
        d->pad = 0;
        d->off = ctx->dirty_len;
        if (c->n)
            memcpy(ctx->dirty_ent + ctx->dirty_len, c->ent, c->n * sizeof(uint64_t));
        ctx->dirty_len += c->n;
        rtn__cust_add_flags(c, RTN_CF_DIRTY);
    }
    rtn__cust_add_flags(c, p->set_cflags);
    if (p->tail)
        c->ent[p->tail_k] = p->tail_e;
    else if (p->nnew)
        memcpy(c->ent, p->newent, p->nnew * sizeof(uint64_t));
    c->n = p->nnew;
    p->changed = 0;
}

int rtn__fold(rtn_ctx *ctx)
{
    int rc;
    while (ctx->ndirty) {
        const rtn_dirty *d = &ctx->dirty[ctx->ndirty - 1];
        rtn_cust *c = &ctx->cust.c[d->ci];
        /* Customers are taken from the end of the list: the record of the
         * fourth next and the entries of the second next are requested
         * while this one is worked on. */
        if (ctx->ndirty > 4)
            RTN_PREFETCH(&ctx->cust.c[ctx->dirty[ctx->ndirty - 5].ci]);
        if (ctx->ndirty > 2) {
            const rtn_cust *nx = &ctx->cust.c[ctx->dirty[ctx->ndirty - 3].ci];
            if (nx->n)
                RTN_PREFETCH(nx->ent);
            if (nx->n > 8)
                RTN_PREFETCH(nx->ent + 8);
        }
        rtn_cust oc = *c;
        const uint64_t *old = d->n ? ctx->dirty_ent + d->off : NULL;
        oc.meta = (oc.meta & RTN_CUST_CAP_MAX) | (d->cflags << 24);
        if ((rc = prepare_diff(ctx, &oc, old, d->n, c, c->ent, c->n)))
            return rc;
        apply_diff(ctx);
        c->meta &= ~(RTN_CF_DIRTY << 24);
        ctx->dirty_len = d->off;
        ctx->ndirty--;
    }
    /* Keep small buffers for the next changes; give large ones back. */
    if (ctx->dirty_ecap > 4096 || ctx->dirty_cap > 1024)
        rtn__fold_release(ctx);
    return RTN_OK;
}

int rtn__fold_query(rtn_ctx *ctx)
{
    int rc = rtn__fold(ctx);
    if (rc)
        return rtn__fail(ctx, rc,
                         "out of memory (or over the memory cap of %llu bytes) applying "
                         "the changes of %u customers",
                         (unsigned long long)ctx->mem.cap, (unsigned)ctx->ndirty);
    return RTN_OK;
}

void rtn__fold_release(rtn_ctx *ctx)
{
    if (ctx->ndirty)
        return;
    rtn__free(&ctx->mem, ctx->dirty, (size_t)ctx->dirty_cap * sizeof(rtn_dirty));
    rtn__free(&ctx->mem, ctx->dirty_ent, (size_t)ctx->dirty_ecap * sizeof(uint64_t));
    ctx->dirty = NULL;
    ctx->dirty_ent = NULL;
    ctx->dirty_cap = 0;
    ctx->dirty_ecap = 0;
    ctx->dirty_len = 0;
}

int rtn__contrib_reserve_customer(rtn_ctx *ctx, uint32_t ci)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    int rc = generate(ctx, c, c->ent, c->n, &ctx->new_items, RTN_A_ALL);
    if (rc)
        return rc;
    return reserve_items(ctx, &ctx->new_items);
}

void rtn__contrib_apply_customer(rtn_ctx *ctx, uint32_t ci, int64_t sign)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    /* Generation was reserved by rtn__contrib_reserve_customer, so the
     * scratch list is large enough and this cannot fail. */
    if (generate(ctx, c, c->ent, c->n, &ctx->new_items, RTN_A_ALL) == RTN_OK)
        apply_items(ctx, &ctx->new_items, sign);
}

int rtn__contrib_withdraw(rtn_ctx *ctx, const rtn_cust *c, const uint64_t *ent, uint32_t n)
{
    int rc = generate(ctx, c, ent, n, &ctx->new_items, RTN_A_ALL);
    if (rc == RTN_OK)
        apply_items(ctx, &ctx->new_items, -1);
    return rc;
}

int rtn__contrib_customer(rtn_ctx *ctx, uint32_t ci, int64_t sign)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    int rc;
    if (sign < 0)
        return rtn__contrib_withdraw(ctx, c, c->ent, c->n);
    rc = generate(ctx, c, c->ent, c->n, &ctx->new_items, RTN_A_ALL);
    if (rc == RTN_OK)
        rc = reserve_items(ctx, &ctx->new_items);
    if (rc == RTN_OK)
        apply_items(ctx, &ctx->new_items, sign);
    return rc;
}
