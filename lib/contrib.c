/*
 * contrib.c: changes to a customer. A change edits the customer's day
 * entries, regenerates its contribution list and applies the difference
 * from the old list to every accumulator, in a prepare step that may fail
 * and a commit step that cannot. Busy customers' latest lists are memoised
 * with the exact entries they were generated from, so their old list is
 * usually not generated again.
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

static int generate(rtn_ctx *ctx, const rtn_cust *c, const uint64_t *ent,
                    uint32_t n, rtn_clist *out)
{
    rtn_gen g;
    int rc;
    out->n = 0;
    g.cust = c;
    g.ent = ent;
    g.n = n;
    rc = rtn__status_intervals(ctx, ent, n, &ctx->ivl_buf, &ctx->ivl_cap, &g.nivl);
    if (rc)
        return rc;
    g.ivl = ctx->ivl_buf;
    if ((rc = rtn__core_gen(ctx, &g, out)) || (rc = rtn__engage_gen(ctx, &g, out)) ||
        (rc = rtn__journey_gen(ctx, &g, out)) || (rc = rtn__revenue_gen(ctx, &g, out)) ||
        (rc = rtn__cohort_gen(ctx, &g, out)))
        return rc;
    return RTN_OK;
}

/* Items compare as two 64-bit keys: (kind, a) then (b, c). */
static inline uint64_t key_hi(const rtn_citem *x)
{
    return (uint64_t)x->kind << 32 | x->a;
}

static inline uint64_t key_lo(const rtn_citem *x)
{
    return (uint64_t)x->b << 32 | x->c;
}

/* The multiset differences of two sorted lists: rem = old - new,
 * add = new - old. A change usually leaves long equal runs at both ends
 * (an event near the end of a busy customer's history), matched here with
 * block compares before the merge walks the rest. */
static int diff_lists(rtn_ctx *ctx, const rtn_clist *old, const rtn_clist *nw, rtn_clist *rem,
                      rtn_clist *add)
{
    uint32_t i = 0, j = 0, nr = 0, na = 0, on = old->n, nn = nw->n;
    uint32_t m = on < nn ? on : nn;
    if (rtn__grow(&ctx->mem, (void **)&rem->v, &rem->cap, old->n, sizeof(rtn_citem)) ||
        rtn__grow(&ctx->mem, (void **)&add->v, &add->cap, nw->n, sizeof(rtn_citem)))
        return RTN_ENOMEM;
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
    while (i < on && j < nn) {
        const rtn_citem *x = &old->v[i], *y = &nw->v[j];
        uint64_t xh = key_hi(x), yh = key_hi(y), xl, yl;
        if (xh == yh && (xl = key_lo(x)) == (yl = key_lo(y))) {
            i++;
            j++;
        } else if (xh < yh || (xh == yh && xl < yl)) {
            rem->v[nr++] = *x;
            i++;
        } else {
            add->v[na++] = *y;
            j++;
        }
    }
    while (i < on)
        rem->v[nr++] = old->v[i++];
    while (j < nn)
        add->v[na++] = nw->v[j++];
    rem->n = nr;
    add->n = na;
    return RTN_OK;
}

/* ---- the memo --------------------------------------------------------------
 * A customer's contribution list is a pure function of its entries and
 * flags (and of the context's configuration, which never changes), so a
 * list generated from exactly the entries and flags a customer has now *is*
 * its current list. The memo keeps the latest list of a few busy customers
 * (those with many entries, whose generation is expensive) together with a
 * copy of the entries and flags it came from; a lookup compares them all,
 * so a memoised list is used only when equality is certain, whoever changed
 * the entries since (a failed change, a merge, a snapshot load). Memo
 * memory is optional: when it cannot be had the memo is skipped, never the
 * call failed. */
#define MEMO_SLOTS 256u
#define MEMO_MIN_ENTRIES 32u
#define MEMO_BUDGET (UINT64_C(8) << 20)
#define MEMO_SCORE_MAX 4u

typedef struct memo_slot {
    uint32_t ci;     /* customer index; UINT32_MAX when empty */
    uint32_t score;  /* hits minus conflicting misses: eviction at 0 */
    uint32_t cflags; /* the customer's flags */
    uint32_t n, ecap;
    uint64_t *ent;   /* the entries the list was generated from */
    rtn_clist items; /* their contribution list */
} memo_slot;

struct rtn_engine {
    rtn_clist rem, add; /* the difference of the change being prepared */
    memo_slot *slot;    /* MEMO_SLOTS, allocated when first needed */
    uint64_t bytes;     /* held by the slots' buffers */
};

static struct rtn_engine *engine(rtn_ctx *ctx)
{
    if (ctx->engine == NULL)
        ctx->engine = rtn__calloc(&ctx->mem, sizeof(struct rtn_engine));
    return ctx->engine;
}

static uint64_t slot_bytes(const memo_slot *m)
{
    return (uint64_t)m->ecap * sizeof(uint64_t) + (uint64_t)m->items.cap * sizeof(rtn_citem);
}

static void slot_release(rtn_ctx *ctx, memo_slot *m)
{
    ctx->engine->bytes -= slot_bytes(m);
    rtn__free(&ctx->mem, m->ent, (size_t)m->ecap * sizeof(uint64_t));
    rtn__free(&ctx->mem, m->items.v, (size_t)m->items.cap * sizeof(rtn_citem));
    memset(m, 0, sizeof(*m));
    m->ci = UINT32_MAX;
}

static memo_slot *memo_slot_of(const rtn_ctx *ctx, uint32_t ci)
{
    return &ctx->engine->slot[(uint32_t)rtn__hash_u64(ci) & (MEMO_SLOTS - 1)];
}

/* The memoised list of customer ci when it is exactly its current one. */
static const rtn_clist *memo_find(rtn_ctx *ctx, uint32_t ci, const rtn_cust *c)
{
    memo_slot *m;
    if (c->n < MEMO_MIN_ENTRIES || ctx->engine->slot == NULL)
        return NULL;
    m = memo_slot_of(ctx, ci);
    if (m->ci != ci || m->n != c->n || m->cflags != c->flags ||
        memcmp(m->ent, c->ent, (size_t)c->n * sizeof(uint64_t)) != 0)
        return NULL;
    if (m->score < MEMO_SCORE_MAX)
        m->score++;
    return &m->items;
}

/* Keep `list` (generated from ent[0..n) and cflags) as customer ci's memo.
 * Takes the list's buffer and gives back another one. */
static void memo_store(rtn_ctx *ctx, uint32_t ci, uint32_t cflags, const uint64_t *ent, uint32_t n,
                       rtn_clist *list)
{
    struct rtn_engine *e = ctx->engine;
    memo_slot *m;
    rtn_clist tmp;
    uint64_t before;
    uint32_t i;
    if (n < MEMO_MIN_ENTRIES || (ctx->mem.cap != 0 && ctx->mem.used > ctx->mem.cap / 2))
        return;
    if (e->slot == NULL) {
        e->slot = rtn__alloc(&ctx->mem, MEMO_SLOTS * sizeof(memo_slot));
        if (e->slot == NULL)
            return;
        memset(e->slot, 0, MEMO_SLOTS * sizeof(memo_slot));
        for (i = 0; i < MEMO_SLOTS; i++)
            e->slot[i].ci = UINT32_MAX;
    }
    m = memo_slot_of(ctx, ci);
    if (m->ci != ci && m->ci != UINT32_MAX && --m->score > 0)
        return; /* a busier customer keeps the slot for now */
    if (m->ci != ci)
        m->score = 1;
    m->ci = UINT32_MAX; /* invalid until complete */
    before = slot_bytes(m);
    if (n > m->ecap) {
        uint64_t *q = rtn__realloc(&ctx->mem, m->ent, (size_t)m->ecap * sizeof(uint64_t),
                                   (size_t)n * sizeof(uint64_t));
        if (q == NULL) {
            e->bytes += slot_bytes(m) - before;
            slot_release(ctx, m);
            return;
        }
        m->ent = q;
        m->ecap = n;
    }
    memcpy(m->ent, ent, (size_t)n * sizeof(uint64_t));
    tmp = m->items;
    m->items = *list;
    *list = tmp;
    list->n = 0;
    m->n = n;
    m->cflags = cflags;
    m->ci = ci;
    e->bytes += slot_bytes(m) - before;
    if (e->bytes > MEMO_BUDGET)
        slot_release(ctx, m);
}

void rtn__contrib_free(rtn_ctx *ctx)
{
    struct rtn_engine *e = ctx->engine;
    uint32_t i;
    if (e == NULL)
        return;
    if (e->slot) {
        for (i = 0; i < MEMO_SLOTS; i++)
            slot_release(ctx, &e->slot[i]);
        rtn__free(&ctx->mem, e->slot, MEMO_SLOTS * sizeof(memo_slot));
    }
    rtn__free(&ctx->mem, e->rem.v, (size_t)e->rem.cap * sizeof(rtn_citem));
    rtn__free(&ctx->mem, e->add.v, (size_t)e->add.cap * sizeof(rtn_citem));
    rtn__free(&ctx->mem, e, sizeof(*e));
    ctx->engine = NULL;
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
        if (it->kind < RTN_K_ENGAGE_FIRST)
            rtn__core_apply(ctx, it, sign);
        else if (it->kind < RTN_K_JOURNEY_FIRST)
            rtn__engage_apply(ctx, it, sign);
        else if (it->kind < RTN_K_REVENUE_FIRST)
            rtn__journey_apply(ctx, it, sign);
        else if (it->kind < RTN_K_COHORT_FIRST)
            rtn__revenue_apply(ctx, it, sign);
        else
            rtn__cohort_apply(ctx, it, sign);
    }
}

int rtn__pending_mod(rtn_ctx *ctx, uint32_t bucket, uint32_t set,
                     uint32_t clear, int32_t dpurch)
{
    rtn_pending *p = &ctx->pend;
    rtn_emod *m;
    if (p->nmods == RTN_MAX_EMODS)
        return rtn__fail(ctx, RTN_ERANGE, "too many entry changes in one event");
    m = &p->mods[p->nmods++];
    m->bucket = bucket;
    m->set = set;
    m->clear = clear;
    m->dpurch = dpurch;
    return RTN_OK;
}

static uint32_t lower_bound(const uint64_t *e, uint32_t n, uint32_t bucket)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rtn__e_bucket(e[mid]) < bucket)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Grow an entry array: exact for the small arrays most customers have. */
static int grow_entries(rtn_mem *m, uint64_t **p, uint32_t *cap, uint32_t need)
{
    uint32_t ncap;
    uint64_t *q;
    if (need <= *cap)
        return RTN_OK;
    ncap = need <= 2 ? need : need + need / 2;
    q = rtn__realloc(m, *p, (size_t)*cap * sizeof(uint64_t), (size_t)ncap * sizeof(uint64_t));
    if (q == NULL)
        return RTN_ENOMEM;
    *p = q;
    *cap = ncap;
    return RTN_OK;
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
        flags = (flags | m->set) & ~m->clear;
        np = (int64_t)purch + m->dpurch;
        if (np < 0 || np > (int64_t)RTN_E_PURCH_MAX)
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

int rtn__pending_prepare(rtn_ctx *ctx)
{
    rtn_pending *p = &ctx->pend;
    rtn_cust *c = p->is_new ? NULL : &ctx->cust.c[p->ci];
    const rtn_clist *old = &ctx->old_items;
    struct rtn_engine *e;
    rtn_cust nc;
    int rc;

    p->changed = 0;
    p->nrem = p->nadd = 0;
    if ((rc = apply_mods(ctx, c)))
        return rc;
    if (c && c->n == p->nnew &&
        memcmp(c->ent, p->newent, p->nnew * sizeof(uint64_t)) == 0 &&
        (c->flags | p->set_cflags) == c->flags)
        return RTN_OK;
    p->changed = 1;
    if ((e = engine(ctx)) == NULL)
        return RTN_ENOMEM;

    if (p->is_new) {
        memset(&nc, 0, sizeof(nc));
        if (p->key.s)
            nc.flags = RTN_CF_STRID;
        if ((rc = rtn__ctab_reserve(&ctx->mem, &ctx->cust, &p->key)))
            return rc;
        if (p->fresh_cap < p->nnew) {
            rtn__free(&ctx->mem, p->fresh, (size_t)p->fresh_cap * sizeof(uint64_t));
            p->fresh = NULL;
            p->fresh_cap = 0;
            if ((rc = grow_entries(&ctx->mem, &p->fresh, &p->fresh_cap, p->nnew)))
                return rc;
        }
        ctx->old_items.n = 0;
    } else {
        nc = *c;
        if ((rc = grow_entries(&ctx->mem, &c->ent, &c->cap, p->nnew)))
            return rc;
        if ((old = memo_find(ctx, p->ci, c)) == NULL) {
            if ((rc = generate(ctx, c, c->ent, c->n, &ctx->old_items)))
                return rc;
            old = &ctx->old_items;
        }
    }
    nc.flags |= p->set_cflags;
    if ((rc = generate(ctx, &nc, p->newent, p->nnew, &ctx->new_items)) ||
        (rc = diff_lists(ctx, old, &ctx->new_items, &e->rem, &e->add)) ||
        (rc = reserve_items(ctx, &e->add)))
        return rc;
    p->nrem = e->rem.n;
    p->nadd = e->add.n;
    memo_store(ctx, p->ci, nc.flags, p->newent, p->nnew, &ctx->new_items);
    return RTN_OK;
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
        c->cap = p->fresh_cap;
        p->fresh = NULL;
        p->fresh_cap = 0;
        p->is_new = 0;
    } else {
        c = &ctx->cust.c[p->ci];
    }
    c->flags |= p->set_cflags;
    if (p->nnew)
        memcpy(c->ent, p->newent, p->nnew * sizeof(uint64_t));
    c->n = p->nnew;
    apply_items(ctx, &ctx->engine->rem, -1);
    apply_items(ctx, &ctx->engine->add, +1);
    p->changed = 0;
}

int rtn__contrib_reserve_customer(rtn_ctx *ctx, uint32_t ci)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    int rc = generate(ctx, c, c->ent, c->n, &ctx->new_items);
    if (rc)
        return rc;
    return reserve_items(ctx, &ctx->new_items);
}

void rtn__contrib_apply_customer(rtn_ctx *ctx, uint32_t ci, int64_t sign)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    /* Generation was reserved by rtn__contrib_reserve_customer, so the
     * scratch list is large enough and this cannot fail. */
    if (generate(ctx, c, c->ent, c->n, &ctx->new_items) == RTN_OK)
        apply_items(ctx, &ctx->new_items, sign);
}
