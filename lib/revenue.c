/*
 * revenue.c: subscription revenue. Each customer with subscriptions keeps
 * the MRR changes of each subscription per bucket; its MRR movements are a
 * pure function of them, kept as per-bucket sums (Fenwick trees) updated by
 * diffing the customer's old and new movements, so results are order
 * independent. It also sets the MRR-loss flag of the customer's day entries.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Movement kinds; the first six each have a Fenwick tree of sums. */
enum {
    K_NEW = 0,   /* MRR of a customer's first paying bucket */
    K_EXP = 1,   /* increase of a paying customer's MRR */
    K_CONTR = 2, /* decrease that leaves the customer paying */
    K_CHURN = 3, /* the whole MRR of a customer that falls to 0 */
    K_REACT = 4, /* MRR of a customer that pays again after paying before */
    K_PAY = 5,   /* +1 / -1: the customer starts / stops paying */
    K_LOSS = 6,  /* the customer's MRR falls to 0: an MRR-loss entry flag */
    K_NFEN = 6
};

/* Bound on a customer's MRR and on the sum of every movement amount kept,
 * in money units: any sum of four such values stays inside int64. */
#define REV_LIMIT (INT64_MAX / 4)

/* The winning MRR change of one subscription in one bucket. */
typedef struct rev_chg {
    int64_t t;   /* event time (ms) of the winning event */
    int64_t v;   /* MRR from this bucket on, money units */
    uint32_t b;  /* bucket */
    uint32_t sp; /* subscription index << 1 | 1 when an event in the bucket had MRR > 0 */
} rev_chg;

/* A subscription id: numeric, or bytes in the module's arena. */
typedef struct rev_sid {
    uint64_t key; /* numeric id, or arena offset */
    uint32_t len; /* bytes of a string id */
    uint32_t str; /* 1 for a string id */
} rev_sid;

/* One customer's subscriptions. */
typedef struct rev_cust {
    uint32_t ci; /* customer index */
    uint32_t nsub, subcap;
    uint32_t n, cap;
    rev_sid *sub;
    rev_chg *chg; /* sorted by (bucket, subscription) */
} rev_cust;

typedef struct rev_item {
    uint32_t b;
    uint32_t kind;
    int64_t amt;
} rev_item;

typedef struct rev_list {
    rev_item *v;
    uint32_t n, cap;
} rev_list;

/* A subscription id as an event gives it. */
typedef struct rev_key {
    uint64_t id;
    const char *s; /* NULL for numeric ids (0 = the customer's only one) */
    uint32_t len;
} rev_key;

typedef struct rtn_revenue rtn_revenue;

struct rtn_revenue {
    rtn_fen fen[K_NFEN];
    int64_t abs_total; /* sum of the amounts of all movements applied */
    rev_cust *rc;
    uint32_t nrc, rccap;
    uint32_t *idx; /* open addressing by customer index: record + 1 and a tag (rtn__itag) */
    uint32_t icap;
    rtn_arena ids; /* string subscription ids */
    /* scratch, reused by every change */
    rev_chg *sc;
    uint32_t nsc, sccap;
    rev_list oi, ni;
    int64_t *cur;
    uint32_t curcap;
    rev_chg *fresh_chg; /* arrays reserved for a new record */
    uint32_t fresh_chg_cap;
    rev_sid *fresh_sub;
    uint32_t fresh_sub_cap;
    /* the prepared change */
    int pend;
    uint32_t prec; /* record, or UINT32_MAX for a new one */
    uint32_t psub; /* subscription index (== nsub for a new one) */
    int64_t pabs;  /* change of abs_total */
};

static const uint32_t SP_POS = 1u;

/* ---- records ---------------------------------------------------------------- */

static uint64_t hash_ci(uint32_t ci)
{
    return rtn__hash_u64(ci);
}

static uint32_t rec_find(const rtn_revenue *r, uint32_t ci)
{
    rtn_ifind it;
    uint32_t rec;
    if (r == NULL || r->icap == 0)
        return UINT32_MAX;
    it = rtn__ifind(r->idx, r->icap, hash_ci(ci));
    while ((rec = rtn__ifind_next(&it)) != UINT32_MAX)
        if (r->rc[rec].ci == ci)
            return rec;
    return UINT32_MAX;
}

/* The hash of record i of revenue state r (for rtn__index_fill). */
static uint64_t rec_hash(const void *r, uint32_t i)
{
    return hash_ci(((const rtn_revenue *)r)->rc[i].ci);
}

/* Room for one more record. */
static int rec_reserve(rtn_mem *m, rtn_revenue *r)
{
    if (r->nrc == UINT32_MAX - 1)
        return RTN_ENOMEM;
    if (rtn__grow(m, (void **)&r->rc, &r->rccap, r->nrc + 1, sizeof(rev_cust)))
        return RTN_ENOMEM;
    if ((uint64_t)(r->nrc + 1) * 4 > (uint64_t)r->icap * 3) {
        uint32_t ncap = r->icap ? r->icap * 2 : 16;
        uint32_t *idx;
        if (ncap == 0)
            return RTN_ENOMEM;
        idx = rtn__calloc(m, (size_t)ncap * sizeof(uint32_t));
        if (idx == NULL)
            return RTN_ENOMEM;
        rtn__index_fill(idx, ncap, r->nrc, rec_hash, r);
        rtn__free(m, r->idx, (size_t)r->icap * sizeof(uint32_t));
        r->idx = idx;
        r->icap = ncap;
    }
    return RTN_OK;
}

/* Insert an empty record (must be reserved). */
static uint32_t rec_insert(rtn_revenue *r, uint32_t ci)
{
    rev_cust *c = &r->rc[r->nrc];
    memset(c, 0, sizeof(*c));
    c->ci = ci;
    rtn__index_put(r->idx, r->icap, hash_ci(ci), r->nrc);
    return r->nrc++;
}

/* Grow a per-customer array: exact for the few elements most customers
 * have, geometric beyond. */
static int grow_small(rtn_mem *m, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    uint64_t ncap;
    void *q;
    if (need <= *cap)
        return RTN_OK;
    ncap = need <= 2 ? need : (uint64_t)need + need / 2;
    if (ncap > UINT32_MAX)
        ncap = UINT32_MAX;
    if (ncap * elem > SIZE_MAX / 2)
        return RTN_ENOMEM;
    q = rtn__realloc(m, *p, (size_t)*cap * elem, (size_t)ncap * elem);
    if (q == NULL)
        return RTN_ENOMEM;
    *p = q;
    *cap = (uint32_t)ncap;
    return RTN_OK;
}

static int rec_grow_chg(rtn_mem *m, rev_cust *c, uint32_t need)
{
    return grow_small(m, (void **)&c->chg, &c->cap, need, sizeof(rev_chg));
}

static int rec_grow_sub(rtn_mem *m, rev_cust *c, uint32_t need)
{
    return grow_small(m, (void **)&c->sub, &c->subcap, need, sizeof(rev_sid));
}

static void rec_free(rtn_mem *m, rev_cust *c)
{
    rtn__free(m, c->chg, (size_t)c->cap * sizeof(rev_chg));
    rtn__free(m, c->sub, (size_t)c->subcap * sizeof(rev_sid));
}

static void key_of_event(rev_key *k, const rtn_event *ev)
{
    k->s = NULL;
    k->len = 0;
    k->id = 0;
    if (ev->ref_str) {
        if (ev->ref_len > 0) {
            k->s = ev->ref_str;
            k->len = ev->ref_len;
        }
    } else {
        k->id = ev->ref;
    }
}

static int sid_is(const rtn_revenue *r, const rev_sid *s, const rev_key *k)
{
    if (k->s == NULL)
        return !s->str && s->key == k->id;
    return s->str && s->len == k->len && rtn__bytes_eq(r->ids.p + s->key, k->s, k->len);
}

static uint32_t sub_find(const rtn_revenue *r, const rev_cust *c, const rev_key *k)
{
    uint32_t i;
    for (i = 0; c && i < c->nsub; i++)
        if (sid_is(r, &c->sub[i], k))
            return i;
    return c ? c->nsub : 0;
}

/* The later event wins a bucket: later time, then larger MRR. */
static int chg_wins(int64_t t, int64_t v, const rev_chg *c)
{
    return t > c->t || (t == c->t && v > c->v);
}

static int chg_cmp(const void *x, const void *y)
{
    const rev_chg *a = x, *b = y;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    if ((a->sp >> 1) != (b->sp >> 1))
        return (a->sp >> 1) < (b->sp >> 1) ? -1 : 1;
    /* The winner of a (bucket, subscription) comes first. */
    if (a->t != b->t)
        return a->t > b->t ? -1 : 1;
    if (a->v != b->v)
        return a->v > b->v ? -1 : 1;
    return 0;
}

/* Sort changes and fold duplicates of a (bucket, subscription) into their
 * winner; returns the new count. */
static uint32_t chg_normalize(rev_chg *c, uint32_t n)
{
    uint32_t i, w = 0;
    if (n == 0)
        return 0;
    qsort(c, n, sizeof(rev_chg), chg_cmp);
    for (i = 1; i < n; i++) {
        if (c[i].b == c[w].b && (c[i].sp >> 1) == (c[w].sp >> 1))
            c[w].sp |= c[i].sp & SP_POS;
        else
            c[++w] = c[i];
    }
    return w + 1;
}

/* ---- movements: a pure function of one customer's changes ---------------- */

static int list_push(rtn_mem *m, rev_list *l, uint32_t b, uint32_t kind, int64_t amt)
{
    rev_item *it;
    if (l->n == l->cap && rtn__grow(m, (void **)&l->v, &l->cap, l->n + 1, sizeof(rev_item)))
        return RTN_ENOMEM;
    it = &l->v[l->n++];
    it->b = b;
    it->kind = kind;
    it->amt = amt;
    return RTN_OK;
}

/* Movements of a customer, sorted by (bucket, kind). At each bucket with
 * changes, the customer's MRR goes from m0 (end of the previous change
 * bucket) to m1 (end of this one). `r->cur` must hold nsub values. */
static int gen_items(rtn_ctx *ctx, rtn_revenue *r, const rev_chg *c, uint32_t n, uint32_t nsub,
                     rev_list *out)
{
    rtn_mem *m = &ctx->mem;
    int64_t total = 0;
    uint32_t i = 0;
    int ever = 0;
    out->n = 0;
    if (nsub)
        memset(r->cur, 0, (size_t)nsub * sizeof(int64_t));
    while (i < n) {
        uint32_t b = c[i].b, pos = 0;
        int64_t m0 = total;
        int rc = RTN_OK;
        for (; i < n && c[i].b == b; i++) {
            uint32_t s = c[i].sp >> 1;
            /* Checked per step: each MRR is at most 1e16 units. */
            total += c[i].v - r->cur[s];
            r->cur[s] = c[i].v;
            pos |= c[i].sp & SP_POS;
            if (total > REV_LIMIT)
                return rtn__fail(ctx, RTN_ERANGE, "a customer's MRR would exceed %lld money units",
                                 (long long)REV_LIMIT);
        }
        if (m0 == 0 && total > 0) {
            if ((rc = list_push(m, out, b, ever ? K_REACT : K_NEW, total)) == RTN_OK)
                rc = list_push(m, out, b, K_PAY, 1);
        } else if (m0 > 0 && total == 0) {
            if ((rc = list_push(m, out, b, K_CHURN, m0)) == RTN_OK &&
                (rc = list_push(m, out, b, K_PAY, -1)) == RTN_OK)
                rc = list_push(m, out, b, K_LOSS, 0);
        } else if (m0 > 0 && total > m0) {
            rc = list_push(m, out, b, K_EXP, total - m0);
        } else if (m0 > 0 && total < m0) {
            rc = list_push(m, out, b, K_CONTR, m0 - total);
        } else if (m0 == 0 && total == 0 && pos) {
            /* Paid and stopped within the bucket: starts come before
             * losses, so the customer is lost here (no MRR movement). */
            rc = list_push(m, out, b, K_LOSS, 0);
        }
        if (rc)
            return rc;
        if (pos)
            ever = 1;
    }
    return RTN_OK;
}

static int item_cmp(const rev_item *x, const rev_item *y)
{
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->amt != y->amt)
        return x->amt < y->amt ? -1 : 1;
    return 0;
}

/* Reduce two sorted lists to their differences, in place. */
static void diff_lists(rev_list *old, rev_list *nw)
{
    uint32_t i = 0, j = 0, ro = 0, rn = 0;
    while (i < old->n && j < nw->n) {
        int c = item_cmp(&old->v[i], &nw->v[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            old->v[ro++] = old->v[i++];
        } else {
            nw->v[rn++] = nw->v[j++];
        }
    }
    while (i < old->n)
        old->v[ro++] = old->v[i++];
    while (j < nw->n)
        nw->v[rn++] = nw->v[j++];
    old->n = ro;
    nw->n = rn;
}

/* Sum of movement amounts of a list (each below REV_LIMIT). */
static int list_abs(const rev_list *l, int64_t *out)
{
    int64_t s = 0;
    uint32_t i;
    for (i = 0; i < l->n; i++) {
        if (l->v[i].kind >= K_PAY)
            continue;
        s += l->v[i].amt;
        if (s > REV_LIMIT)
            return RTN_ERANGE;
    }
    *out = s;
    return RTN_OK;
}

static int reserve_items(rtn_ctx *ctx, rtn_revenue *r, const rev_list *l)
{
    uint32_t i;
    for (i = 0; i < l->n; i++)
        if (l->v[i].kind < K_NFEN && rtn__fen_reserve(&ctx->mem, &r->fen[l->v[i].kind], l->v[i].b))
            return RTN_ENOMEM;
    return RTN_OK;
}

static void apply_items(rtn_revenue *r, const rev_list *l, int64_t sign)
{
    uint32_t i;
    for (i = 0; i < l->n; i++)
        if (l->v[i].kind < K_NFEN)
            rtn__fen_add(&r->fen[l->v[i].kind], l->v[i].b, sign * l->v[i].amt);
}

/* Check that abs_total may change by d = new - old (both below REV_LIMIT). */
static int abs_ok(rtn_ctx *ctx, const rtn_revenue *r, int64_t d)
{
    if (r->abs_total + d > REV_LIMIT)
        return rtn__fail(ctx, RTN_ERANGE, "MRR movement totals would exceed %lld money units",
                         (long long)REV_LIMIT);
    return RTN_OK;
}

static int grow_cur(rtn_ctx *ctx, rtn_revenue *r, uint32_t nsub)
{
    return rtn__grow(&ctx->mem, (void **)&r->cur, &r->curcap, nsub ? nsub : 1, sizeof(int64_t));
}

/* Add to the pending change the entry modifications that make `ent`
 * carry RTN_E_MRRLOSS exactly at the loss buckets of the sorted list `l`. */
static int flag_mods(rtn_ctx *ctx, const rev_list *l, const uint64_t *ent, uint32_t n,
                     uint32_t also)
{
    uint32_t i = 0, j = 0;
    int rc;
    for (;;) {
        uint32_t lb = UINT32_MAX, eb = UINT32_MAX;
        while (i < l->n && l->v[i].kind != K_LOSS)
            i++;
        while (j < n && !(rtn__e_flags(ent[j]) & RTN_E_MRRLOSS))
            j++;
        if (i < l->n)
            lb = l->v[i].b;
        if (j < n)
            eb = rtn__e_bucket(ent[j]);
        if (i >= l->n && j >= n)
            return RTN_OK;
        if (lb == eb) {
            i++;
            j++;
        } else if (lb < eb) {
            if ((rc = rtn__pending_mod(ctx, lb, RTN_E_MRRLOSS | also, 0, 0)))
                return rc;
            i++;
        } else {
            if ((rc = rtn__pending_mod(ctx, eb, 0, RTN_E_MRRLOSS, 0)))
                return rc;
            j++;
        }
    }
}

/* ---- the event path ----------------------------------------------------------- */

static rtn_revenue *rev_get(rtn_ctx *ctx)
{
    if (ctx->revenue == NULL)
        ctx->revenue = rtn__calloc(&ctx->mem, sizeof(rtn_revenue));
    return ctx->revenue;
}

/* Look-ahead for batches (push.c): a subscription event of a known
 * customer asks for its record's index slot. */
rtn_ahead rtn__revenue_ahead(const rtn_ctx *ctx, const rtn_event *ev, uint32_t ci)
{
    const rtn_revenue *r = ctx->revenue;
    rtn_ahead none = {0, 0};
    if (r == NULL || r->icap == 0 || ev->type != RTN_EV_SUBSCRIPTION)
        return none;
    return rtn__ahead_slot(r->idx, r->icap, hash_ci(ci));
}

/* Then the record the slot leads to. */
void rtn__revenue_ahead2(const rtn_ctx *ctx, rtn_ahead a)
{
    const rtn_revenue *r = ctx->revenue;
    if (r)
        rtn__ahead_record(r->idx, r->icap, a, r->rc, sizeof(*r->rc));
}

int rtn__revenue_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    rtn_pending *p = &ctx->pend;
    rtn_mem *m = &ctx->mem;
    rtn_revenue *r;
    rev_cust *c = NULL;
    rev_key key;
    uint32_t s, nsub, n, k;
    int64_t v, oabs, nabs;
    int rc;

    if (ev->type != RTN_EV_SUBSCRIPTION)
        return RTN_OK;
    if ((r = rev_get(ctx)) == NULL)
        return RTN_ENOMEM;
    r->pend = 0;
    r->prec = p->is_new ? UINT32_MAX : rec_find(r, p->ci);
    if (r->prec != UINT32_MAX)
        c = &r->rc[r->prec];
    key_of_event(&key, ev);
    s = sub_find(r, c, &key);
    nsub = c ? c->nsub : 0;
    n = c ? c->n : 0;
    v = rtn__money(ev->value);

    /* The customer's changes after this event, in r->sc. */
    if (rtn__grow(m, (void **)&r->sc, &r->sccap, n + 1, sizeof(rev_chg)))
        return RTN_ENOMEM;
    if (n)
        memcpy(r->sc, c->chg, (size_t)n * sizeof(rev_chg));
    {
        uint32_t lo = 0, hi = n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (r->sc[mid].b < bucket || (r->sc[mid].b == bucket && (r->sc[mid].sp >> 1) < s))
                lo = mid + 1;
            else
                hi = mid;
        }
        k = lo;
    }
    if (k < n && r->sc[k].b == bucket && (r->sc[k].sp >> 1) == s) {
        rev_chg *x = &r->sc[k];
        uint32_t sp = x->sp | (ev->value > 0 ? SP_POS : 0);
        if (!chg_wins(ev->time, v, x) && sp == x->sp)
            return RTN_OK; /* the bucket's winner stays: nothing changes */
        if (chg_wins(ev->time, v, x)) {
            x->t = ev->time;
            x->v = v;
        }
        x->sp = sp;
        r->nsc = n;
    } else {
        memmove(r->sc + k + 1, r->sc + k, (size_t)(n - k) * sizeof(rev_chg));
        r->sc[k].t = ev->time;
        r->sc[k].v = v;
        r->sc[k].b = bucket;
        r->sc[k].sp = s << 1 | (ev->value > 0 ? SP_POS : 0);
        r->nsc = n + 1;
    }
    r->psub = s;

    /* Old and new movements, their difference, and the flags. */
    if ((rc = grow_cur(ctx, r, s == nsub ? nsub + 1 : nsub)))
        return rc;
    if (c && (rc = gen_items(ctx, r, c->chg, c->n, nsub, &r->oi)))
        return rc;
    if (!c)
        r->oi.n = 0;
    if ((rc = gen_items(ctx, r, r->sc, r->nsc, s == nsub ? nsub + 1 : nsub, &r->ni)))
        return rc;
    if (!p->is_new) {
        const rtn_cust *cu = &ctx->cust.c[p->ci];
        if ((rc = flag_mods(ctx, &r->ni, cu->ent, cu->n, 0)))
            return rc;
    } else {
        static const uint64_t no_entries[1] = {0};
        if ((rc = flag_mods(ctx, &r->ni, no_entries, 0, 0)))
            return rc;
    }
    diff_lists(&r->oi, &r->ni);
    if (list_abs(&r->oi, &oabs) || list_abs(&r->ni, &nabs) || abs_ok(ctx, r, nabs - oabs))
        return rtn__fail(ctx, RTN_ERANGE, "MRR movement totals would exceed %lld money units",
                         (long long)REV_LIMIT);
    r->pabs = nabs - oabs;
    if ((rc = reserve_items(ctx, r, &r->ni)))
        return rc;

    /* Room for the record, the subscription id and the changes. */
    if (c == NULL) {
        if ((rc = rec_reserve(m, r)))
            return rc;
        if (grow_small(m, (void **)&r->fresh_chg, &r->fresh_chg_cap, r->nsc, sizeof(rev_chg)) ||
            grow_small(m, (void **)&r->fresh_sub, &r->fresh_sub_cap, 1, sizeof(rev_sid)))
            return RTN_ENOMEM;
    } else {
        if ((rc = rec_grow_chg(m, c, r->nsc)))
            return rc;
        if (s == nsub && (rc = rec_grow_sub(m, c, nsub + 1)))
            return rc;
    }
    if (s == nsub && key.s && (rc = rtn__arena_reserve(m, &r->ids, key.len)))
        return rc;
    r->pend = 1;
    return RTN_OK;
}

void rtn__revenue_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    rtn_revenue *r = ctx->revenue;
    rev_cust *c;
    RTN_UNUSED(bucket);
    if (ev->type != RTN_EV_SUBSCRIPTION || r == NULL || !r->pend)
        return;
    r->pend = 0;
    if (r->prec == UINT32_MAX) {
        c = &r->rc[rec_insert(r, ctx->pend.ci)];
        c->chg = r->fresh_chg;
        c->cap = r->fresh_chg_cap;
        c->sub = r->fresh_sub;
        c->subcap = r->fresh_sub_cap;
        r->fresh_chg = NULL;
        r->fresh_chg_cap = 0;
        r->fresh_sub = NULL;
        r->fresh_sub_cap = 0;
    } else {
        c = &r->rc[r->prec];
    }
    if (r->psub == c->nsub) {
        rev_key key;
        rev_sid *sid = &c->sub[c->nsub++];
        key_of_event(&key, ev);
        sid->str = key.s != NULL;
        sid->len = key.len;
        sid->key = key.s ? rtn__arena_put(&r->ids, key.s, key.len) : key.id;
    }
    memcpy(c->chg, r->sc, (size_t)r->nsc * sizeof(rev_chg));
    c->n = r->nsc;
    apply_items(r, &r->oi, -1);
    apply_items(r, &r->ni, +1);
    r->abs_total += r->pabs;
}

/* The revenue module keeps its own per-subscription data, so it adds no
 * items to the contribution lists of day entries. */
int rtn__revenue_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    RTN_UNUSED(ctx);
    RTN_UNUSED(g);
    RTN_UNUSED(out);
    return RTN_OK;
}

int rtn__revenue_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    RTN_UNUSED(ctx);
    RTN_UNUSED(items);
    RTN_UNUSED(n);
    return RTN_OK;
}

void rtn__revenue_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    RTN_UNUSED(ctx);
    RTN_UNUSED(it);
    RTN_UNUSED(sign);
}

int rtn__revenue_fix_flags(rtn_ctx *ctx, uint32_t ci)
{
    rtn_revenue *r = ctx->revenue;
    rev_list none = {NULL, 0, 0};
    const rev_list *l = &none;
    const rtn_cust *cu;
    rtn_ckey key;
    uint32_t rec;
    int rc;
    if (ci >= ctx->cust.n)
        return rtn__fail(ctx, RTN_EINVAL, "customer index %u out of range", (unsigned)ci);
    rec = rec_find(r, ci);
    if (rec != UINT32_MAX) {
        const rev_cust *c = &r->rc[rec];
        if ((rc = grow_cur(ctx, r, c->nsub)) ||
            (rc = gen_items(ctx, r, c->chg, c->n, c->nsub, &r->ni)))
            return rc;
        l = &r->ni;
    }
    cu = &ctx->cust.c[ci];
    rtn__cust_key(&key, &ctx->cust, cu);
    rtn__pending_begin(ctx, &key);
    /* A loss bucket holds a subscription event, so RTN_E_ANY is true there
     * even if the caller has not merged that entry yet. */
    if ((rc = flag_mods(ctx, l, cu->ent, cu->n, RTN_E_ANY)))
        return rc;
    if (ctx->pend.nmods == 0)
        return RTN_OK;
    if ((rc = rtn__pending_prepare(ctx)))
        return rc;
    rtn__pending_commit(ctx);
    return RTN_OK;
}

int rtn__revenue_set_flags(rtn_ctx *ctx, uint32_t ci)
{
    rtn_revenue *r = ctx->revenue;
    rtn_cust *cu;
    uint32_t rec, i, j, missing = 0, n;
    const rev_list *l = NULL;
    int rc;
    if (ci >= ctx->cust.n)
        return rtn__fail(ctx, RTN_EINVAL, "customer index %u out of range", (unsigned)ci);
    cu = &ctx->cust.c[ci];
    rec = rec_find(r, ci);
    if (rec != UINT32_MAX) {
        const rev_cust *c = &r->rc[rec];
        if ((rc = grow_cur(ctx, r, c->nsub)) ||
            (rc = gen_items(ctx, r, c->chg, c->n, c->nsub, &r->ni)))
            return rc;
        l = &r->ni;
        /* Loss buckets without an entry (the caller has not merged it). */
        for (i = 0, j = 0; i < l->n; i++) {
            if (l->v[i].kind != K_LOSS)
                continue;
            while (j < cu->n && rtn__e_bucket(cu->ent[j]) < l->v[i].b)
                j++;
            missing += j >= cu->n || rtn__e_bucket(cu->ent[j]) != l->v[i].b;
        }
    }
    if (missing) {
        uint64_t *e = rtn__alloc(&ctx->mem, (size_t)(cu->n + missing) * sizeof(uint64_t));
        if (e == NULL)
            return RTN_ENOMEM;
        for (i = 0, j = 0, n = 0; i < l->n || j < cu->n;) {
            while (i < l->n && l->v[i].kind != K_LOSS)
                i++;
            if (i < l->n && (j >= cu->n || l->v[i].b < rtn__e_bucket(cu->ent[j]))) {
                e[n++] = rtn__e_make(l->v[i].b, 0, RTN_E_ANY);
                i++;
            } else if (j < cu->n) {
                if (i < l->n && l->v[i].b == rtn__e_bucket(cu->ent[j]))
                    i++;
                e[n++] = cu->ent[j++];
            }
        }
        rtn__free(&ctx->mem, cu->ent, (size_t)rtn__cust_cap(cu) * sizeof(uint64_t));
        cu->ent = e;
        cu->n = n;
        rtn__cust_set_cap(cu, n);
    }
    /* Set the flag exactly at the loss buckets. */
    for (i = 0, j = 0; j < cu->n; j++) {
        uint32_t b = rtn__e_bucket(cu->ent[j]);
        while (l && i < l->n && (l->v[i].kind != K_LOSS || l->v[i].b < b))
            i++;
        if (l && i < l->n && l->v[i].b == b)
            cu->ent[j] |= RTN_E_MRRLOSS;
        else
            cu->ent[j] &= ~(uint64_t)RTN_E_MRRLOSS;
    }
    return RTN_OK;
}

/* ---- queries --------------------------------------------------------------- */

static int64_t pre(const rtn_revenue *r, int k, uint32_t t)
{
    return rtn__fen_prefix(&r->fen[k], t);
}

static int64_t mrr_at(const rtn_revenue *r, uint32_t t)
{
    return pre(r, K_NEW, t) + pre(r, K_EXP, t) + pre(r, K_REACT, t) - pre(r, K_CONTR, t) -
           pre(r, K_CHURN, t);
}

static double money(int64_t units)
{
    return (double)units / RTN_MONEY_SCALE;
}

int rtn__revenue_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                       const rtn_query_opts *opts, rtn_value *out)
{
    const rtn_revenue *r = ctx->revenue;
    int64_t mv[K_NFEN] = {0, 0, 0, 0, 0, 0}, m0 = 0, m1 = 0, pay0 = 0, pay1 = 0, lost;
    int k;
    RTN_UNUSED(opts);
    if (metric < RTN_METRIC_MRR || metric > RTN_METRIC_ARPA)
        return RTN_EMETRIC;
    if (r) {
        for (k = 0; k < K_NFEN; k++)
            mv[k] = rtn__fen_range(&r->fen[k], fb, tb);
        m0 = mrr_at(r, fb);
        m1 = mrr_at(r, tb);
        pay0 = pre(r, K_PAY, fb);
        pay1 = pre(r, K_PAY, tb);
    }
    lost = mv[K_CHURN] + mv[K_CONTR];
    switch (metric) {
    case RTN_METRIC_MRR:
        rtn__value_count(out, money(m1));
        out->n = pay1;
        return RTN_OK;
    case RTN_METRIC_MRR_NEW:
        rtn__value_count(out, money(mv[K_NEW]));
        return RTN_OK;
    case RTN_METRIC_MRR_EXPANSION:
        rtn__value_count(out, money(mv[K_EXP]));
        return RTN_OK;
    case RTN_METRIC_MRR_CONTRACTION:
        rtn__value_count(out, money(mv[K_CONTR]));
        return RTN_OK;
    case RTN_METRIC_MRR_CHURNED:
        rtn__value_count(out, money(mv[K_CHURN]));
        return RTN_OK;
    case RTN_METRIC_MRR_REACTIVATION:
        rtn__value_count(out, money(mv[K_REACT]));
        return RTN_OK;
    case RTN_METRIC_REVENUE_CHURN_RATE:
        rtn__value_ratio(out, money(lost), money(m0), 100.0);
        out->n = pay0;
        return RTN_OK;
    case RTN_METRIC_GROSS_REVENUE_RETENTION:
        rtn__value_ratio(out, money(m0 - lost), money(m0), 100.0);
        out->n = pay0;
        return RTN_OK;
    case RTN_METRIC_NET_REVENUE_RETENTION:
        rtn__value_ratio(out, money(m0 + mv[K_EXP] - lost), money(m0), 100.0);
        out->n = pay0;
        return RTN_OK;
    case RTN_METRIC_QUICK_RATIO:
        rtn__value_ratio(out, money(mv[K_NEW] + mv[K_EXP] + mv[K_REACT]), money(lost), 1.0);
        return RTN_OK;
    case RTN_METRIC_ARPA:
        rtn__value_ratio(out, money(m1), (double)pay1, 1.0);
        out->n = pay1;
        return RTN_OK;
    default:
        return RTN_EMETRIC;
    }
}

/* ---- life cycle, snapshots and merge -------------------------------------- */

static void rev_destroy(rtn_mem *m, rtn_revenue *r)
{
    uint32_t i;
    if (r == NULL)
        return;
    for (i = 0; i < K_NFEN; i++)
        rtn__fen_free(m, &r->fen[i]);
    for (i = 0; i < r->nrc; i++)
        rec_free(m, &r->rc[i]);
    rtn__free(m, r->rc, (size_t)r->rccap * sizeof(rev_cust));
    rtn__free(m, r->idx, (size_t)r->icap * sizeof(uint32_t));
    rtn__free(m, r->ids.p, (size_t)r->ids.cap);
    rtn__free(m, r->sc, (size_t)r->sccap * sizeof(rev_chg));
    rtn__free(m, r->oi.v, (size_t)r->oi.cap * sizeof(rev_item));
    rtn__free(m, r->ni.v, (size_t)r->ni.cap * sizeof(rev_item));
    rtn__free(m, r->cur, (size_t)r->curcap * sizeof(int64_t));
    rtn__free(m, r->fresh_chg, (size_t)r->fresh_chg_cap * sizeof(rev_chg));
    rtn__free(m, r->fresh_sub, (size_t)r->fresh_sub_cap * sizeof(rev_sid));
    rtn__free(m, r, sizeof(*r));
}

void rtn__revenue_free(rtn_ctx *ctx)
{
    rev_destroy(&ctx->mem, ctx->revenue);
    ctx->revenue = NULL;
}

/* Rebuild every per-bucket sum from the records (load and merge). */
static int rebuild(rtn_ctx *ctx, rtn_revenue *r)
{
    uint32_t i;
    int rc;
    for (i = 0; i < r->nrc; i++) {
        const rev_cust *c = &r->rc[i];
        int64_t a;
        if ((rc = grow_cur(ctx, r, c->nsub)) ||
            (rc = gen_items(ctx, r, c->chg, c->n, c->nsub, &r->ni)))
            return rc;
        if (list_abs(&r->ni, &a) || abs_ok(ctx, r, a))
            return rtn__fail(ctx, RTN_ERANGE, "MRR movement totals would exceed %lld money units",
                             (long long)REV_LIMIT);
        if ((rc = reserve_items(ctx, r, &r->ni)))
            return rc;
        apply_items(r, &r->ni, +1);
        r->abs_total += a;
    }
    return RTN_OK;
}

/* Section layout: u32 version, u32 records; per record: u32 customer,
 * u32 subscriptions, each (u32 is_string, u64 id | u32 len + bytes),
 * u32 changes, each (i64 time, i64 mrr, u32 subscription << 1 | positive). */
#define REV_FORMAT 1u

int rtn__revenue_save(rtn_ctx *ctx, rtn_wr *w)
{
    const rtn_revenue *r = ctx->revenue;
    uint32_t i, j, n = 0;
    rtn__wr_u32(w, REV_FORMAT);
    for (i = 0; r && i < r->nrc; i++)
        n += r->rc[i].n > 0;
    rtn__wr_u32(w, n);
    for (i = 0; r && i < r->nrc; i++) {
        const rev_cust *c = &r->rc[i];
        if (c->n == 0)
            continue;
        rtn__wr_u32(w, c->ci);
        rtn__wr_u32(w, c->nsub);
        for (j = 0; j < c->nsub; j++) {
            rtn__wr_u32(w, c->sub[j].str);
            if (c->sub[j].str) {
                rtn__wr_u32(w, c->sub[j].len);
                rtn__wr_bytes(w, r->ids.p + c->sub[j].key, c->sub[j].len);
            } else {
                rtn__wr_u64(w, c->sub[j].key);
            }
        }
        rtn__wr_u32(w, c->n);
        for (j = 0; j < c->n; j++) {
            rtn__wr_i64(w, c->chg[j].t);
            rtn__wr_i64(w, c->chg[j].v);
            rtn__wr_u32(w, c->chg[j].sp);
        }
    }
    return w->err;
}

/* Subscription ids of one record are distinct. */
static int sids_distinct(const rtn_revenue *r, const rev_cust *c)
{
    uint32_t i, j;
    for (i = 0; i < c->nsub; i++)
        for (j = i + 1; j < c->nsub; j++) {
            const rev_sid *a = &c->sub[i], *b = &c->sub[j];
            if (a->str == b->str && a->len == b->len &&
                (a->str ? memcmp(r->ids.p + a->key, r->ids.p + b->key, a->len) == 0
                        : a->key == b->key))
                return 0;
        }
    return 1;
}

static int load_record(rtn_ctx *ctx, rtn_revenue *r, rtn_rd *rd)
{
    rtn_mem *m = &ctx->mem;
    uint32_t ci = rtn__rd_u32(rd), nsub = rtn__rd_u32(rd), j, n;
    rev_cust *c;
    if (rd->err || ci >= ctx->cust.n || rec_find(r, ci) != UINT32_MAX)
        return RTN_EFORMAT;
    /* Each subscription id takes at least 8 bytes, each change 20. */
    if (nsub == 0 || nsub > rtn__rd_left(rd) / 8)
        return RTN_EFORMAT;
    if (rec_reserve(m, r))
        return RTN_ENOMEM;
    c = &r->rc[rec_insert(r, ci)];
    if (rec_grow_sub(m, c, nsub))
        return RTN_ENOMEM;
    for (j = 0; j < nsub; j++) {
        rev_sid *s = &c->sub[j];
        s->str = rtn__rd_u32(rd);
        if (s->str > 1)
            return RTN_EFORMAT;
        if (s->str) {
            const void *p;
            s->len = rtn__rd_u32(rd);
            if (rd->err || s->len == 0 || s->len > RTN_ID_MAX ||
                (p = rtn__rd_bytes(rd, s->len)) == NULL)
                return RTN_EFORMAT;
            if (rtn__arena_reserve(m, &r->ids, s->len))
                return RTN_ENOMEM;
            s->key = rtn__arena_put(&r->ids, p, s->len);
        } else {
            s->len = 0;
            s->key = rtn__rd_u64(rd);
        }
        c->nsub++;
    }
    if (rd->err || !sids_distinct(r, c))
        return RTN_EFORMAT;
    n = rtn__rd_u32(rd);
    if (rd->err || n == 0 || n > rtn__rd_left(rd) / 20)
        return RTN_EFORMAT;
    if (rec_grow_chg(m, c, n))
        return RTN_ENOMEM;
    for (j = 0; j < n; j++) {
        rev_chg *x = &c->chg[j];
        x->t = rtn__rd_i64(rd);
        x->v = rtn__rd_i64(rd);
        x->sp = rtn__rd_u32(rd);
        if (rd->err || x->t < 0 || x->t >= RTN_TIME_MAX || x->t + ctx->offset_ms < 0 || x->v < 0 ||
            x->v > (int64_t)1e12 * RTN_MONEY_SCALE || (x->sp >> 1) >= nsub ||
            (x->v > 0 && !(x->sp & SP_POS)))
            return RTN_EFORMAT;
        x->b = rtn__bucket(ctx, x->t);
        if (j > 0 && (x->b < x[-1].b || (x->b == x[-1].b && (x->sp >> 1) <= (x[-1].sp >> 1))))
            return RTN_EFORMAT;
        c->n++;
    }
    return RTN_OK;
}

int rtn__revenue_load(rtn_ctx *ctx, rtn_rd *rd)
{
    uint32_t ver = rtn__rd_u32(rd), n = rtn__rd_u32(rd), i;
    rtn_revenue *r;
    int rc;
    if (rd->err)
        return RTN_EFORMAT;
    if (ver != REV_FORMAT)
        return RTN_EFORMAT; /* the snapshot's own version is checked first */
    if (n == 0)
        return RTN_OK;
    /* A record takes at least 36 bytes. */
    if (n > rtn__rd_left(rd) / 36 || ctx->revenue != NULL)
        return RTN_EFORMAT;
    if ((r = rev_get(ctx)) == NULL)
        return RTN_ENOMEM;
    for (i = 0; i < n; i++)
        if ((rc = load_record(ctx, r, rd)))
            return rc;
    /* A saved state is within range: RTN_ERANGE here means corrupt bytes. */
    rc = rebuild(ctx, r);
    return rc == RTN_ERANGE ? RTN_EFORMAT : rc;
}

/* Fold the changes of record `c` of `from` into customer `ci` of `to`. */
static int fold_record(rtn_ctx *ctx, rtn_revenue *to, uint32_t ci, const rtn_revenue *from,
                       const rev_cust *c)
{
    rtn_mem *m = &ctx->mem;
    uint32_t rec = rec_find(to, ci), j, *map;
    rev_cust *d;
    int rc = RTN_OK;
    if (c->n == 0)
        return RTN_OK;
    if (rec == UINT32_MAX) {
        if (rec_reserve(m, to))
            return RTN_ENOMEM;
        rec = rec_insert(to, ci);
    }
    d = &to->rc[rec];
    if (rec_grow_sub(m, d, d->nsub + c->nsub) || rec_grow_chg(m, d, d->n + c->n))
        return RTN_ENOMEM;
    map = rtn__alloc(m, (size_t)c->nsub * sizeof(uint32_t));
    if (map == NULL)
        return RTN_ENOMEM;
    for (j = 0; j < c->nsub; j++) {
        const rev_sid *s = &c->sub[j];
        rev_key k;
        k.id = s->str ? 0 : s->key;
        k.s = s->str ? from->ids.p + s->key : NULL;
        k.len = s->len;
        map[j] = sub_find(to, d, &k);
        if (map[j] == d->nsub) {
            rev_sid *x = &d->sub[d->nsub];
            if (k.s && (rc = rtn__arena_reserve(m, &to->ids, k.len)))
                break;
            *x = *s;
            if (k.s)
                x->key = rtn__arena_put(&to->ids, from->ids.p + s->key, s->len);
            d->nsub++;
        }
    }
    if (rc == RTN_OK) {
        for (j = 0; j < c->n; j++) {
            rev_chg x = c->chg[j];
            x.sp = map[x.sp >> 1] << 1 | (x.sp & SP_POS);
            d->chg[d->n++] = x;
        }
        d->n = chg_normalize(d->chg, d->n);
    }
    rtn__free(m, map, (size_t)c->nsub * sizeof(uint32_t));
    return rc;
}

/* ---- deep copy and merge ---------------------------------------------------- */

/* *out = a deep copy of s (scratch space not copied); nothing on failure. */
static int rev_copy(rtn_mem *m, const rtn_revenue *s, rtn_revenue **out)
{
    rtn_revenue *r;
    uint32_t i;
    *out = NULL;
    if ((r = rtn__calloc(m, sizeof(*r))) == NULL)
        return RTN_ENOMEM;
    r->abs_total = s->abs_total;
    for (i = 0; i < K_NFEN; i++)
        if (rtn__fen_clone(m, &r->fen[i], &s->fen[i]))
            goto fail;
    if (rtn__dup(m, (void **)&r->idx, s->idx, (size_t)s->icap * sizeof(uint32_t)))
        goto fail;
    r->icap = r->idx ? s->icap : 0;
    if (rtn__arena_clone(m, &r->ids, &s->ids))
        goto fail;
    if (s->rccap) {
        if ((r->rc = rtn__calloc(m, (size_t)s->rccap * sizeof(rev_cust))) == NULL)
            goto fail;
        r->rccap = s->rccap;
        /* A record is counted before its arrays are copied from cleared
         * pointers, so rev_destroy releases a half-made copy exactly. */
        for (i = 0; i < s->nrc; i++) {
            const rev_cust *sc = &s->rc[i];
            rev_cust *c = &r->rc[i];
            *c = *sc;
            c->sub = NULL;
            c->chg = NULL;
            c->subcap = c->cap = 0;
            r->nrc = i + 1;
            if (rtn__dup(m, (void **)&c->sub, sc->sub, (size_t)sc->subcap * sizeof(rev_sid)))
                goto fail;
            c->subcap = c->sub ? sc->subcap : 0;
            if (rtn__dup(m, (void **)&c->chg, sc->chg, (size_t)sc->cap * sizeof(rev_chg)))
                goto fail;
            c->cap = c->chg ? sc->cap : 0;
        }
    }
    *out = r;
    return RTN_OK;
fail:
    rev_destroy(m, r);
    return RTN_ENOMEM;
}

int rtn__revenue_clone(rtn_ctx *dst, const rtn_ctx *src)
{
    dst->revenue = NULL;
    return src->revenue ? rev_copy(&dst->mem, src->revenue, &dst->revenue) : RTN_OK;
}

/* Add (sign +1) or withdraw (-1) the movements of a record's changes. */
static int record_items(rtn_ctx *ctx, rtn_revenue *r, const rev_cust *c, int64_t sign)
{
    int64_t a;
    int rc;
    if ((rc = grow_cur(ctx, r, c->nsub)) ||
        (rc = gen_items(ctx, r, c->chg, c->n, c->nsub, &r->ni)))
        return rc;
    if (list_abs(&r->ni, &a) || (sign > 0 && abs_ok(ctx, r, a)))
        return rtn__fail(ctx, RTN_ERANGE, "MRR movement totals would exceed %lld money units",
                         (long long)REV_LIMIT);
    if (sign > 0 && (rc = reserve_items(ctx, r, &r->ni)))
        return rc;
    apply_items(r, &r->ni, sign);
    r->abs_total += sign * a;
    return RTN_OK;
}

/* Copy record c of `from` as the new record of customer ci of `to`. */
static int copy_record(rtn_ctx *ctx, rtn_revenue *to, uint32_t ci, const rtn_revenue *from,
                       const rev_cust *c)
{
    rtn_mem *m = &ctx->mem;
    uint64_t bytes = 0;
    uint32_t j;
    rev_cust *d;
    if (c->n == 0)
        return RTN_OK;
    for (j = 0; j < c->nsub; j++)
        bytes += c->sub[j].str ? c->sub[j].len : 0;
    if (bytes > UINT32_MAX || rtn__arena_reserve(m, &to->ids, (uint32_t)bytes) ||
        rec_reserve(m, to))
        return RTN_ENOMEM;
    d = &to->rc[rec_insert(to, ci)];
    if (rtn__dup(m, (void **)&d->sub, c->sub, (size_t)c->nsub * sizeof(rev_sid)))
        return RTN_ENOMEM;
    d->subcap = d->sub ? c->nsub : 0;
    if (rtn__dup(m, (void **)&d->chg, c->chg, (size_t)c->n * sizeof(rev_chg)))
        return RTN_ENOMEM;
    d->cap = c->n;
    for (j = 0; j < c->nsub; j++)
        if (c->sub[j].str)
            d->sub[j].key = rtn__arena_put(&to->ids, from->ids.p + c->sub[j].key, c->sub[j].len);
    d->nsub = c->nsub;
    d->n = c->n;
    return RTN_OK;
}

/* The movement sums are sums over records, so src's are added wholesale
 * and only a customer with records on both sides is generated again:
 * both parts' movements withdrawn, the merged record's added. */
static int merge_records(rtn_ctx *dst, const rtn_revenue *b, const uint32_t *cmap)
{
    rtn_revenue *r;
    uint32_t i, k;
    int rc;
    if (b == NULL || b->nrc == 0)
        return RTN_OK;
    if ((r = rev_get(dst)) == NULL)
        return RTN_ENOMEM;
    for (k = 0; k < K_NFEN; k++)
        if (rtn__fen_add_tree(&dst->mem, &r->fen[k], &b->fen[k]))
            return RTN_ENOMEM;
    r->abs_total += b->abs_total; /* both at most REV_LIMIT: no overflow */
    for (i = 0; i < b->nrc; i++) {
        const rev_cust *sc = &b->rc[i];
        uint32_t ci = cmap[sc->ci], rec;
        if (ci >= dst->cust.n)
            return RTN_EINVAL;
        rec = rec_find(r, ci);
        if (rec != UINT32_MAX) {
            if ((rc = record_items(dst, r, &r->rc[rec], -1)) ||
                (rc = record_items(dst, r, sc, -1)))
                return rc;
        }
        if (rec == UINT32_MAX) {
            /* Its movements came with the sums. */
            if ((rc = copy_record(dst, r, ci, b, sc)))
                return rc;
            continue;
        }
        if ((rc = fold_record(dst, r, ci, b, sc)) ||
            (rc = record_items(dst, r, &r->rc[rec], +1)))
            return rc;
    }
    if (r->abs_total > REV_LIMIT)
        return rtn__fail(dst, RTN_ERANGE, "MRR movement totals would exceed %lld money units",
                         (long long)REV_LIMIT);
    return RTN_OK;
}

int rtn__revenue_merge_in_place(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    return merge_records(dst, src->revenue, cmap);
}

/* rtn__revenue_merge_in_place on a copy, swapped in on success. */
int rtn__revenue_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    rtn_revenue *old = dst->revenue, *r = NULL;
    const rtn_revenue *b = src->revenue; /* read before dst's is replaced (dst may be src) */
    int rc;
    if (b == NULL || b->nrc == 0)
        return RTN_OK;
    if (old && rev_copy(&dst->mem, old, &r))
        return RTN_ENOMEM;
    dst->revenue = r;
    if ((rc = merge_records(dst, b, cmap))) {
        rev_destroy(&dst->mem, dst->revenue);
        dst->revenue = old;
        return rc;
    }
    rev_destroy(&dst->mem, old);
    return RTN_OK;
}
