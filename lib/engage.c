/*
 * engage.c: engagement: active customers, DAU/WAU/MAU and stickiness from
 * the customers' activity, and feature usage and adoption from per-feature
 * sets of the buckets in which each customer used the feature.
 */
#include "internal.h"

#include <string.h>

#define P1(b) ((b) + 1u) /* a bucket as stored in a pair store */
#define NONE UINT32_MAX
/* Largest bucket a snapshot may name (hour resolution, year 2200, offset). */
#define MAX_BUCKET ((uint32_t)(RTN_TIME_MAX / RTN_MS_PER_HOUR) + 48u)

/* A run of consecutive active local days of a customer: a = first day,
 * b = the day after the last. One item per run keeps dense users cheap. */
#define RTN_K_EDAYS (RTN_K_ENGAGE_FIRST + 0)

/* Gaps of a feature's use sets: (p + 1, d + 1) keys with counts, in an
 * open-addressing table of 12-byte slots (p1 = 0 marks an empty slot; the
 * generic pair store's slots are twice that, and a feature may have a gap
 * key per user). */
typedef struct gslot {
    uint32_t p1, d1;
    uint32_t count;
} gslot;

typedef struct gaps {
    gslot *s;
    uint32_t cap;   /* power of two, or 0 */
    uint32_t used;  /* slots holding a key (its count may be 0) */
} gaps;

/* A feature: its id, its uses per bucket (an event sum), and the dominance
 * structures of its users' use-bucket sets (first, last, gaps), which give
 * the distinct users in any period exactly, as core.c does for activity. */
typedef struct feat {
    uint64_t key;        /* numeric id, or offset of the string in names */
    uint32_t len;        /* bytes of a string id */
    uint32_t isstr;      /* 1 for a string id */
    rtn_fen usage;
    rtn_fen first, last;
    gaps gap;            /* consecutive use buckets p, d of a user with d - p >= 2 */
} feat;

/* The buckets in which one customer used one feature: sorted, distinct;
 * up to FUSE_INLINE of them in the record itself (most customers use a
 * feature on one or two buckets), else in an array of cap. */
#define FUSE_INLINE 2u
typedef struct fuse {
    uint32_t f, ci;
    uint32_t n, cap;     /* cap 0 = inline */
    union {
        uint32_t *p;
        uint32_t in[FUSE_INLINE];
    } b;
} fuse;

static uint32_t *set_of(fuse *u)
{
    return u->cap ? u->b.p : u->b.in;
}

static const uint32_t *cset_of(const fuse *u)
{
    return u->cap ? u->b.p : u->b.in;
}

/* Slots of the cache of recent features (a power of two). */
#define FCACHE 16

/* Slots past nf / nu (up to the capacities) are spares: zeroed, or holding
 * allocations reserved by a prepare that did not commit, never any count. */
struct rtn_engage {
    rtn_fen dcnt, dsum;  /* day runs: +1 / -1 and +s / -e at starts / ends */
    feat *f;
    uint32_t nf, fcap;
    uint32_t *fidx;      /* open addressing: feature index + 1 and a tag (rtn__itag) */
    uint32_t ficap;
    rtn_arena names;
    fuse *u;
    uint32_t nu, ucap;
    uint32_t *uidx;      /* open addressing: use record index + 1 and a tag */
    uint32_t uicap;
    /* Recent features by a mix of their names' ends (fcache_slot): index
     * + 1, 0 = none. A hint, checked against the name before it is used. */
    uint32_t fcache[FCACHE];
    /* the feature use prepared by the current event */
    int pend;
    int pf_new, pu_new;
    uint32_t pf, pu;     /* feature and record slots (nf / nu when new) */
    uint32_t ppos;       /* insert position in the set, NONE when present */
    rtn_ckey pkey;
};

/* ---- lazily allocated state ------------------------------------------------ */

static struct rtn_engage *engage_get(rtn_ctx *ctx)
{
    if (ctx->engage == NULL)
        ctx->engage = rtn__calloc(&ctx->mem, sizeof(struct rtn_engage));
    return ctx->engage;
}

/* rtn__grow, with the new tail zeroed so spare slots start empty. */
static int grow_zero(rtn_mem *m, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    uint32_t old = *cap;
    if (rtn__grow(m, p, cap, need, elem))
        return RTN_ENOMEM;
    if (*cap > old)
        memset((char *)*p + (size_t)old * elem, 0, (size_t)(*cap - old) * elem);
    return RTN_OK;
}

/* Make an open-addressing index hold n + 1 entries at load <= 3/4. */
static int index_reserve(rtn_mem *m, uint32_t **idx, uint32_t *icap, uint32_t n,
                         uint64_t (*hash)(const void *e, uint32_t i), const struct rtn_engage *e)
{
    uint32_t ncap;
    uint32_t *ni;
    if ((uint64_t)(n + 1) * 4 <= (uint64_t)*icap * 3)
        return RTN_OK;
    if (*icap >= (UINT32_C(1) << 31))
        return RTN_ENOMEM;
    ncap = *icap ? *icap * 2 : 64;
    ni = rtn__calloc(m, (size_t)ncap * sizeof(uint32_t));
    if (ni == NULL)
        return RTN_ENOMEM;
    rtn__index_fill(ni, ncap, n, hash, e);
    rtn__free(m, *idx, (size_t)*icap * sizeof(uint32_t));
    *idx = ni;
    *icap = ncap;
    return RTN_OK;
}

/* ---- gap tables ------------------------------------------------------------------ */

static gslot *gap_slot(const gaps *g, uint32_t p1, uint32_t d1)
{
    uint32_t mask = g->cap - 1;
    uint32_t i = (uint32_t)rtn__hash_u64((uint64_t)p1 << 32 | d1) & mask;
    for (;; i = (i + 1) & mask) {
        gslot *x = &g->s[i];
        if (x->p1 == 0 || (x->p1 == p1 && x->d1 == d1))
            return x;
    }
}

/* Room for `extra` new keys at load <= 3/4; a rehash drops keys whose
 * count fell to 0. */
static int gap_reserve(rtn_mem *m, gaps *g, uint32_t extra)
{
    uint64_t live = 0, ncap = 16;
    uint32_t i;
    gaps ng;
    if (g->cap != 0 && (uint64_t)g->used + extra <= (uint64_t)g->cap / 4 * 3)
        return RTN_OK;
    for (i = 0; i < g->cap; i++)
        live += g->s[i].count != 0;
    while (ncap / 4 * 3 < live + extra)
        ncap *= 2;
    if (ncap > (UINT64_C(1) << 31))
        return RTN_ENOMEM;
    ng.s = rtn__calloc(m, (size_t)ncap * sizeof(gslot));
    if (ng.s == NULL)
        return RTN_ENOMEM;
    ng.cap = (uint32_t)ncap;
    ng.used = 0;
    for (i = 0; i < g->cap; i++)
        if (g->s[i].count != 0) {
            *gap_slot(&ng, g->s[i].p1, g->s[i].d1) = g->s[i];
            ng.used++;
        }
    rtn__free(m, g->s, (size_t)g->cap * sizeof(gslot));
    *g = ng;
    return RTN_OK;
}

/* Add to a key's count (reserved when the key may be new). Counts never go
 * below 0: a gap is only removed after it was added. */
static void gap_add(gaps *g, uint32_t p, uint32_t d, int delta)
{
    gslot *x = gap_slot(g, P1(p), P1(d));
    if (x->p1 == 0) {
        x->p1 = P1(p);
        x->d1 = P1(d);
        g->used++;
    }
    x->count = (uint32_t)((int64_t)x->count + delta);
}

/* Users with a gap (p, d) such that p < fb and d >= tb: not users in [fb, tb). */
static int64_t gap_contain(const gaps *g, uint32_t fb, uint32_t tb)
{
    uint32_t i, x = P1(fb), y = P1(tb);
    int64_t n = 0;
    for (i = 0; i < g->cap; i++)
        if (g->s[i].p1 != 0 && g->s[i].p1 < x && g->s[i].d1 >= y)
            n += g->s[i].count;
    return n;
}

/* ---- features ---------------------------------------------------------------- */

static void feat_key(const struct rtn_engage *e, const feat *f, rtn_ckey *k)
{
    if (f->isstr)
        rtn__ckey_str(k, e->names.p + f->key, f->len);
    else
        rtn__ckey_num(k, f->key);
}

/* The hash of feature i of engage state e (for rtn__index_fill). */
static uint64_t feat_hash(const void *e, uint32_t i)
{
    const struct rtn_engage *en = e;
    rtn_ckey k;
    feat_key(en, &en->f[i], &k);
    return k.hash;
}

static int feat_eq(const struct rtn_engage *e, const feat *f, const rtn_ckey *k)
{
    if (k->s == NULL)
        return !f->isstr && f->key == k->id;
    return f->isstr && f->len == k->len && rtn__bytes_eq(e->names.p + f->key, k->s, k->len);
}

static uint32_t feat_find(const struct rtn_engage *e, const rtn_ckey *k)
{
    rtn_ifind it;
    uint32_t r;
    if (e == NULL || e->ficap == 0)
        return NONE;
    it = rtn__ifind(e->fidx, e->ficap, k->hash);
    while ((r = rtn__ifind_next(&it)) != UINT32_MAX)
        if (feat_eq(e, &e->f[r], k))
            return r;
    return NONE;
}

/* Room for one more feature (the spare slot nf). */
static int feat_reserve(rtn_mem *m, struct rtn_engage *e, const rtn_ckey *k)
{
    if (e->nf == NONE - 1)
        return RTN_ENOMEM;
    if (grow_zero(m, (void **)&e->f, &e->fcap, e->nf + 1, sizeof(feat)) ||
        index_reserve(m, &e->fidx, &e->ficap, e->nf, feat_hash, e) ||
        (k->s && rtn__arena_reserve(m, &e->names, k->len)))
        return RTN_ENOMEM;
    return RTN_OK;
}

/* Turn the spare slot into the feature k (reserved); keeps its reservations. */
static uint32_t feat_insert(struct rtn_engage *e, const rtn_ckey *k)
{
    feat *f = &e->f[e->nf];
    if (k->s) {
        f->key = rtn__arena_put(&e->names, k->s, k->len);
        f->len = k->len;
        f->isstr = 1;
    } else {
        f->key = k->id;
        f->len = 0;
        f->isstr = 0;
    }
    rtn__index_put(e->fidx, e->ficap, k->hash, e->nf);
    return e->nf++;
}

/* ---- use records ------------------------------------------------------------- */

static uint64_t use_hash_of(uint32_t f, uint32_t ci)
{
    return rtn__hash_u64(((uint64_t)f << 32 | ci) ^ UINT64_C(0xa4093822299f31d0));
}

/* The hash of use record i of engage state e (for rtn__index_fill). */
static uint64_t use_hash(const void *e, uint32_t i)
{
    const fuse *u = &((const struct rtn_engage *)e)->u[i];
    return use_hash_of(u->f, u->ci);
}

static uint32_t use_find(const struct rtn_engage *e, uint32_t f, uint32_t ci)
{
    rtn_ifind it;
    uint32_t r;
    if (e == NULL || e->uicap == 0)
        return NONE;
    it = rtn__ifind(e->uidx, e->uicap, use_hash_of(f, ci));
    while ((r = rtn__ifind_next(&it)) != UINT32_MAX)
        if (e->u[r].f == f && e->u[r].ci == ci)
            return r;
    return NONE;
}

static int use_reserve(rtn_mem *m, struct rtn_engage *e)
{
    if (e->nu == NONE - 1)
        return RTN_ENOMEM;
    if (grow_zero(m, (void **)&e->u, &e->ucap, e->nu + 1, sizeof(fuse)) ||
        index_reserve(m, &e->uidx, &e->uicap, e->nu, use_hash, e))
        return RTN_ENOMEM;
    return RTN_OK;
}

/* Turn the spare slot (empty set, maybe with a reserved array) into a record. */
static uint32_t use_insert(struct rtn_engage *e, uint32_t f, uint32_t ci)
{
    fuse *u = &e->u[e->nu];
    u->f = f;
    u->ci = ci;
    u->n = 0;
    rtn__index_put(e->uidx, e->uicap, use_hash_of(f, ci), e->nu);
    return e->nu++;
}

static uint32_t lower_bound(const uint32_t *v, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Grow a use set past its inline room: by half. */
static int grow_set(rtn_mem *m, fuse *u, uint32_t need)
{
    uint64_t ncap;
    uint32_t *q;
    if (need <= (u->cap ? u->cap : FUSE_INLINE))
        return RTN_OK;
    ncap = (uint64_t)need + need / 2;
    if (ncap >= NONE)
        ncap = NONE - 1;
    if (u->cap) {
        q = rtn__realloc(m, u->b.p, (size_t)u->cap * sizeof(uint32_t), (size_t)ncap * sizeof(uint32_t));
    } else {
        q = rtn__alloc(m, (size_t)ncap * sizeof(uint32_t));
        if (q)
            memcpy(q, u->b.in, (size_t)u->n * sizeof(uint32_t));
    }
    if (q == NULL)
        return RTN_ENOMEM;
    u->b.p = q;
    u->cap = (uint32_t)ncap;
    return RTN_OK;
}

/* Reserve what adding bucket b to u's set needs, for `more` new buckets in
 * all. Returns the insert position in *pos, NONE when b is already there. */
static int set_reserve(rtn_mem *m, feat *f, fuse *u, uint32_t b, uint32_t more, uint32_t *pos)
{
    uint32_t k = lower_bound(set_of(u), u->n, b);
    if (k < u->n && set_of(u)[k] == b) {
        *pos = NONE;
        return RTN_OK;
    }
    if (u->n == NONE - 1 ||
        grow_set(m, u, u->n + more) ||
        rtn__fen_reserve(m, &f->first, b) || rtn__fen_reserve(m, &f->last, b) ||
        gap_reserve(m, &f->gap, 2 * more))
        return RTN_ENOMEM;
    *pos = k;
    return RTN_OK;
}

/* Insert b at position k of u's set and move the feature's first / last /
 * gap items to match. Reserved by set_reserve; cannot fail. */
static void set_insert(feat *f, fuse *u, uint32_t k, uint32_t b)
{
    uint32_t *v = set_of(u);
    int hasp = k > 0, hasn = k < u->n;
    uint32_t p = hasp ? v[k - 1] : 0, d = hasn ? v[k] : 0;
    if (!hasp) {
        if (hasn)
            rtn__fen_add(&f->first, d, -1);
        rtn__fen_add(&f->first, b, 1);
    }
    if (!hasn) {
        if (hasp)
            rtn__fen_add(&f->last, p, -1);
        rtn__fen_add(&f->last, b, 1);
    }
    if (hasp && hasn && d - p >= 2)
        gap_add(&f->gap, p, d, -1);
    if (hasp && b - p >= 2)
        gap_add(&f->gap, p, b, 1);
    if (hasn && d - b >= 2)
        gap_add(&f->gap, b, d, 1);
    memmove(v + k + 1, v + k, (size_t)(u->n - k) * sizeof(uint32_t));
    v[k] = b;
    u->n++;
}

/* ---- the event path ------------------------------------------------------------ */

/* The key of the feature an event names, a name's hash not made yet
 * (feat_of makes it when it needs it); 0 when the event names none. */
static int feature_key(const rtn_event *ev, rtn_ckey *k)
{
    if (ev->ref_str) {
        if (ev->ref_len == 0)
            return 0;
        k->id = 0;
        k->s = ev->ref_str;
        k->len = ev->ref_len;
        k->hash = 0;
        return 1;
    }
    if (ev->ref == 0)
        return 0;
    rtn__ckey_num(k, ev->ref);
    return 1;
}

static unsigned fcache_slot(const char *s, uint32_t n)
{
    return (n + 3u * (unsigned char)s[0] + 5u * (unsigned char)s[n - 1]) & (FCACHE - 1);
}

/* The feature of a key from feature_key, NONE when unknown: a name in the
 * cache of recent ones is found without hashing it (features are few, and
 * a name's hash and probe cost a hundred instructions an event); else k's
 * hash is made and the index probed. */
static uint32_t feat_of(const struct rtn_engage *e, rtn_ckey *k)
{
    if (e == NULL)
        return NONE;
    if (k->s) {
        uint32_t v = e->fcache[fcache_slot(k->s, k->len)];
        if (v != 0 && v - 1 < e->nf && feat_eq(e, &e->f[v - 1], k))
            return v - 1;
        rtn__ckey_str(k, k->s, k->len);
    }
    return feat_find(e, k);
}

/* Look-ahead for batches (push.c): a feature event of a known customer
 * asks for its use's index slot. */
rtn_ahead rtn__engage_ahead(const rtn_ctx *ctx, const rtn_event *ev, uint32_t ci)
{
    const struct rtn_engage *e = ctx->engage;
    rtn_ahead none = {0, 0};
    rtn_ckey k;
    uint32_t f;
    if (e == NULL || e->uicap == 0 || ev->type != RTN_EV_FEATURE ||
        (ev->ref_str && ev->ref_len > RTN_ID_MAX) || !feature_key(ev, &k))
        return none;
    if ((f = feat_of(e, &k)) == NONE)
        return none;
    return rtn__ahead_slot(e->uidx, e->uicap, use_hash_of(f, ci));
}

/* Then the use record the slot leads to. */
void rtn__engage_ahead2(const rtn_ctx *ctx, rtn_ahead a)
{
    const struct rtn_engage *e = ctx->engage;
    if (e)
        rtn__ahead_record(e->uidx, e->uicap, a, e->u, sizeof(*e->u));
}

int rtn__engage_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    struct rtn_engage *e = ctx->engage;
    rtn_mem *m = &ctx->mem;
    rtn_ckey k;
    feat *f;
    fuse *u;
    if (e)
        e->pend = 0;
    /* Everything but a feature use costs this branch only. A feature event
     * without a feature is activity, but no use of any feature. */
    if (ev->type != RTN_EV_FEATURE || !feature_key(ev, &k))
        return RTN_OK;
    if ((e = engage_get(ctx)) == NULL)
        return RTN_ENOMEM;
    e->pf = feat_of(e, &k);
    e->pkey = k;
    e->pf_new = e->pf == NONE;
    if (e->pf_new) {
        if (feat_reserve(m, e, &k))
            return RTN_ENOMEM;
        e->pf = e->nf;
    }
    f = &e->f[e->pf];
    if (rtn__fen_reserve(m, &f->usage, bucket))
        return RTN_ENOMEM;
    e->pu = e->pf_new ? NONE : use_find(e, e->pf, ctx->pend.ci);
    e->pu_new = e->pu == NONE;
    if (e->pu_new) {
        if (use_reserve(m, e))
            return RTN_ENOMEM;
        e->pu = e->nu;
    }
    u = &e->u[e->pu];
    if (set_reserve(m, f, u, bucket, 1, &e->ppos))
        return RTN_ENOMEM;
    e->pend = 1;
    return RTN_OK;
}

void rtn__engage_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    struct rtn_engage *e = ctx->engage;
    feat *f;
    RTN_UNUSED(ev);
    if (e == NULL || !e->pend)
        return;
    if (e->pf_new)
        feat_insert(e, &e->pkey);
    if (e->pu_new)
        use_insert(e, e->pf, ctx->pend.ci);
    if (e->pkey.s)
        e->fcache[fcache_slot(e->pkey.s, e->pkey.len)] = e->pf + 1;
    f = &e->f[e->pf];
    rtn__fen_add(&f->usage, bucket, 1);
    if (e->ppos != NONE)
        set_insert(f, &e->u[e->pu], e->ppos, bucket);
    e->pend = 0;
}

/* ---- contributions: runs of active days ------------------------------------------ */

/* Write the runs of active days of entries ent[0..n) from it on; returns
 * the end. Inlined twice so that day resolution divides by a constant 1. */
static inline rtn_citem *emit_runs(const uint64_t *ent, uint32_t n, uint32_t bpd, rtn_citem *it)
{
    uint32_t i, s, prev;
    s = prev = rtn__e_bucket(ent[0]) / bpd;
    for (i = 1; i < n; i++) {
        uint32_t d = rtn__e_bucket(ent[i]) / bpd;
        if (d > prev + 1) {
            it->kind = RTN_K_EDAYS;
            it->a = s;
            it->b = prev + 1;
            it->c = 0;
            it++;
            s = d;
        }
        prev = d;
    }
    it->kind = RTN_K_EDAYS;
    it->a = s;
    it->b = prev + 1;
    it->c = 0;
    return it + 1;
}

/* Runs on every change of every customer: one pass, and the output list is
 * grown once (a customer has at most as many runs as entries). */
int rtn__engage_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    uint32_t bpd = rtn__buckets_per_day(ctx);
    rtn_citem *end;
    if (g->n == 0)
        return RTN_OK;
    if (out->cap - out->n < g->n &&
        rtn__grow(&ctx->mem, (void **)&out->v, &out->cap, out->n + g->n, sizeof(rtn_citem)))
        return RTN_ENOMEM;
    if (bpd == 1)
        end = emit_runs(g->ent, g->n, 1, out->v + out->n);
    else
        end = emit_runs(g->ent, g->n, bpd, out->v + out->n);
    out->n = (uint32_t)(end - out->v);
    return RTN_OK;
}

/* Trees grow as one range, so covering the lowest start and the highest
 * end covers every item. */
int rtn__engage_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    struct rtn_engage *e;
    uint32_t i, lo = UINT32_MAX, hi = 0;
    for (i = 0; i < n; i++) {
        if (items[i].kind != RTN_K_EDAYS)
            continue;
        if (items[i].a < lo)
            lo = items[i].a;
        if (items[i].b > hi)
            hi = items[i].b;
    }
    if (lo == UINT32_MAX)
        return RTN_OK;
    e = ctx->engage;
    if (e && e->dcnt.n && lo >= e->dcnt.base && hi - e->dcnt.base < e->dcnt.n && e->dsum.n &&
        lo >= e->dsum.base && hi - e->dsum.base < e->dsum.n)
        return RTN_OK; /* the common case: already covered */
    if ((e = engage_get(ctx)) == NULL || rtn__fen_reserve(&ctx->mem, &e->dcnt, lo) ||
        rtn__fen_reserve(&ctx->mem, &e->dcnt, hi) || rtn__fen_reserve(&ctx->mem, &e->dsum, lo) ||
        rtn__fen_reserve(&ctx->mem, &e->dsum, hi))
        return RTN_ENOMEM;
    return RTN_OK;
}

/* Add d to the count and d * day to the sum at `day`. */
static void runs_add(struct rtn_engage *e, uint32_t day, int64_t d)
{
    rtn__fen_add(&e->dcnt, day, d);
    rtn__fen_add(&e->dsum, day, d * (int64_t)day);
}

void rtn__engage_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    if (it->kind != RTN_K_EDAYS)
        return;
    runs_add(ctx->engage, it->a, sign);
    runs_add(ctx->engage, it->b, -sign);
}

/* ---- queries ------------------------------------------------------------------ */

/* (customer, day) pairs with the day before `day`: a run [s, e) adds
 * min(e, day) - s when s < day. */
static int64_t days_before(const struct rtn_engage *e, uint32_t day)
{
    return (int64_t)day * rtn__fen_prefix(&e->dcnt, day) - rtn__fen_prefix(&e->dsum, day);
}

static int64_t feature_users(const feat *f, uint32_t fb, uint32_t tb)
{
    if (fb >= tb)
        return 0;
    return rtn__fen_prefix(&f->first, tb) - rtn__fen_prefix(&f->last, fb) -
           gap_contain(&f->gap, fb, tb);
}

/* Distinct active customers in the `days` days (of the resolution) ending at tb. */
static int64_t active_window(const rtn_ctx *ctx, uint32_t tb, uint32_t days)
{
    uint32_t w = days * rtn__buckets_per_day(ctx);
    return rtn__core_active(ctx, tb >= w ? tb - w : 0, tb);
}

static int query_feature(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                         const rtn_query_opts *opts, rtn_value *out)
{
    const struct rtn_engage *e = ctx->engage;
    const feat *f = NULL;
    rtn_ckey k;
    uint32_t fi;
    if (opts->feature_str) {
        if (opts->feature_len == 0 || opts->feature_len > RTN_ID_MAX)
            return rtn__fail(ctx, RTN_EID, "feature id of %u bytes (1..%d allowed)",
                             (unsigned)opts->feature_len, RTN_ID_MAX);
        rtn__ckey_str(&k, opts->feature_str, opts->feature_len);
    } else {
        if (opts->feature_len)
            return rtn__fail(ctx, RTN_EID, "feature_len set without feature_str");
        if (opts->feature == 0)
            return rtn__fail(ctx, RTN_EID, "no feature given (feature 0 means none)");
        rtn__ckey_num(&k, opts->feature);
    }
    fi = feat_find(e, &k);
    if (fi != NONE)
        f = &e->f[fi];
    if (metric == RTN_METRIC_FEATURE_USAGE) {
        rtn__value_count(out, f ? (double)rtn__fen_range(&f->usage, fb, tb) : 0.0);
    } else {
        int64_t users = f ? feature_users(f, fb, tb) : 0;
        int64_t active = rtn__core_active(ctx, fb, tb);
        rtn__value_ratio(out, (double)users, (double)active, 100.0);
        if (out->defined)
            rtn__wilson((double)users, (double)active, &out->lo, &out->hi);
        out->n = active;
    }
    return RTN_OK;
}

int rtn__engage_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out)
{
    switch (metric) {
    case RTN_METRIC_ACTIVE_CUSTOMERS:
        rtn__value_count(out, (double)rtn__core_active(ctx, fb, tb));
        return RTN_OK;
    case RTN_METRIC_DAU:
        rtn__value_count(out, (double)active_window(ctx, tb, 1));
        return RTN_OK;
    case RTN_METRIC_WAU:
        rtn__value_count(out, (double)active_window(ctx, tb, 7));
        return RTN_OK;
    case RTN_METRIC_MAU:
        rtn__value_count(out, (double)active_window(ctx, tb, 30));
        return RTN_OK;
    case RTN_METRIC_STICKINESS: {
        /* Whole local days: with hour resolution `to` is floored to its day,
         * so that the 30 daily windows are the calendar days counted by the
         * day runs, and MAU is taken over the same 30 days. */
        uint32_t bpd = rtn__buckets_per_day(ctx), d1 = tb / bpd, d0 = d1 >= 30 ? d1 - 30 : 0;
        int64_t pairs = ctx->engage ? days_before(ctx->engage, d1) - days_before(ctx->engage, d0) : 0;
        int64_t mau = rtn__core_active(ctx, d0 * bpd, d1 * bpd);
        rtn__value_ratio(out, (double)pairs / 30.0, (double)mau, 100.0);
        out->n = mau;
        return RTN_OK;
    }
    case RTN_METRIC_FEATURE_USAGE:
    case RTN_METRIC_FEATURE_ADOPTION_RATE:
        if (opts == NULL)
            return rtn__fail(ctx, RTN_EINVAL, "feature metrics need a feature in rtn_query_opts");
        return query_feature(ctx, metric, fb, tb, opts, out);
    default:
        return RTN_EMETRIC;
    }
}

void rtn__engage_free(rtn_ctx *ctx)
{
    struct rtn_engage *e = ctx->engage;
    rtn_mem *m = &ctx->mem;
    uint32_t i;
    if (e == NULL)
        return;
    rtn__fen_free(m, &e->dcnt);
    rtn__fen_free(m, &e->dsum);
    for (i = 0; i < e->fcap; i++) {
        rtn__fen_free(m, &e->f[i].usage);
        rtn__fen_free(m, &e->f[i].first);
        rtn__fen_free(m, &e->f[i].last);
        rtn__free(m, e->f[i].gap.s, (size_t)e->f[i].gap.cap * sizeof(gslot));
    }
    for (i = 0; i < e->ucap; i++)
        if (e->u[i].cap)
            rtn__free(m, e->u[i].b.p, (size_t)e->u[i].cap * sizeof(uint32_t));
    rtn__free(m, e->f, (size_t)e->fcap * sizeof(feat));
    rtn__free(m, e->fidx, (size_t)e->ficap * sizeof(uint32_t));
    rtn__free(m, e->names.p, (size_t)e->names.cap);
    rtn__free(m, e->u, (size_t)e->ucap * sizeof(fuse));
    rtn__free(m, e->uidx, (size_t)e->uicap * sizeof(uint32_t));
    rtn__free(m, e, sizeof(*e));
    ctx->engage = NULL;
}

/* ---- snapshots and merge ------------------------------------------------------------
 * Raw state: the features (id and uses per bucket) and the use sets of each
 * (feature, customer). The day runs are contributions (rebuilt by the
 * caller); first / last / gaps are rebuilt here from the sets.
 *
 *   u32 features; per feature: u32 kind (0 numeric, 1 string), then u64 id
 *   or u32 len + bytes, then the usage tree (rtn__fen_save);
 *   u32 records; per record: u32 feature, u32 customer, u32 n, n x u32
 *   buckets, strictly increasing.
 */

int rtn__engage_save(rtn_ctx *ctx, rtn_wr *w)
{
    const struct rtn_engage *e = ctx->engage;
    uint32_t i, nrec = 0;
    if (e == NULL) {
        rtn__wr_u32(w, 0);
        rtn__wr_u32(w, 0);
        return w->err;
    }
    rtn__wr_u32(w, e->nf);
    for (i = 0; i < e->nf; i++) {
        const feat *f = &e->f[i];
        rtn__wr_u32(w, f->isstr);
        if (f->isstr) {
            rtn__wr_u32(w, f->len);
            rtn__wr_bytes(w, e->names.p + f->key, f->len);
        } else {
            rtn__wr_u64(w, f->key);
        }
        rtn__fen_save(w, &f->usage);
    }
    for (i = 0; i < e->nu; i++)
        nrec += e->u[i].n > 0;
    rtn__wr_u32(w, nrec);
    for (i = 0; i < e->nu; i++) {
        const fuse *u = &e->u[i];
        uint32_t j;
        if (u->n == 0)
            continue;
        rtn__wr_u32(w, u->f);
        rtn__wr_u32(w, u->ci);
        rtn__wr_u32(w, u->n);
        for (j = 0; j < u->n; j++)
            rtn__wr_u32(w, cset_of(u)[j]);
    }
    return w->err;
}

/* Reserve adding n buckets (sorted, distinct) to the use set of (fi, ci):
 * the record (an empty new one is not observable), the set, and both trees
 * over [b[0], b[n-1]] (a tree grows as one range). The pair store is
 * reserved by the caller: 2 new keys per bucket at most. */
static int uses_reserve(rtn_mem *m, struct rtn_engage *e, uint32_t fi, uint32_t ci,
                        const uint32_t *b, uint32_t n, uint32_t *ui)
{
    feat *f;
    fuse *u;
    *ui = use_find(e, fi, ci);
    if (n == 0)
        return RTN_OK;
    if (*ui == NONE) {
        if (use_reserve(m, e))
            return RTN_ENOMEM;
        *ui = use_insert(e, fi, ci);
    }
    f = &e->f[fi];
    u = &e->u[*ui];
    if ((uint64_t)u->n + n >= NONE ||
        grow_set(m, u, u->n + n) ||
        rtn__fen_reserve(m, &f->first, b[0]) || rtn__fen_reserve(m, &f->first, b[n - 1]) ||
        rtn__fen_reserve(m, &f->last, b[0]) || rtn__fen_reserve(m, &f->last, b[n - 1]))
        return RTN_ENOMEM;
    return RTN_OK;
}

static void uses_apply(struct rtn_engage *e, uint32_t fi, uint32_t ui, const uint32_t *b,
                       uint32_t n)
{
    uint32_t i;
    if (n && e->u[ui].n == 0) {
        /* Into an empty set (a record new to dst): the sorted buckets as
         * they are, with the first / last / gap items their one by one
         * insertion would leave. */
        fuse *u = &e->u[ui];
        feat *f = &e->f[fi];
        memcpy(set_of(u), b, (size_t)n * sizeof(uint32_t));
        u->n = n;
        rtn__fen_add(&f->first, b[0], 1);
        rtn__fen_add(&f->last, b[n - 1], 1);
        for (i = 1; i < n; i++)
            if (b[i] - b[i - 1] >= 2)
                gap_add(&f->gap, b[i - 1], b[i], 1);
        return;
    }
    for (i = 0; i < n; i++) {
        fuse *u = &e->u[ui];
        uint32_t pos = lower_bound(set_of(u), u->n, b[i]);
        if (pos == u->n || set_of(u)[pos] != b[i])
            set_insert(&e->f[fi], u, pos, b[i]);
    }
}

/* Find or add the feature k (an empty new feature is not observable). */
static int feat_get(rtn_mem *m, struct rtn_engage *e, const rtn_ckey *k, uint32_t *fi)
{
    *fi = feat_find(e, k);
    if (*fi != NONE)
        return RTN_OK;
    if (feat_reserve(m, e, k))
        return RTN_ENOMEM;
    *fi = feat_insert(e, k);
    return RTN_OK;
}

/* Make dst cover the non-zero buckets of src. */
static int fen_fold_reserve(rtn_mem *m, rtn_fen *dst, const rtn_fen *src)
{
    uint32_t i, lo = NONE, hi = 0;
    for (i = 0; i < src->n; i++)
        if (rtn__fen_get(src, src->base + i) != 0) {
            if (lo == NONE)
                lo = src->base + i;
            hi = src->base + i;
        }
    if (lo == NONE)
        return RTN_OK;
    return rtn__fen_reserve(m, dst, lo) || rtn__fen_reserve(m, dst, hi) ? RTN_ENOMEM : RTN_OK;
}

int rtn__engage_load(rtn_ctx *ctx, rtn_rd *r)
{
    struct rtn_engage *e;
    rtn_mem *m = &ctx->mem;
    uint32_t nf = rtn__rd_u32(r), i, fi, nrec;
    if (r->err || (uint64_t)nf * 13 > rtn__rd_left(r))
        return RTN_EFORMAT;
    if (nf == 0) {
        nrec = rtn__rd_u32(r);
        return r->err || nrec != 0 || rtn__rd_left(r) != 0 ? RTN_EFORMAT : RTN_OK;
    }
    if ((e = engage_get(ctx)) == NULL)
        return RTN_ENOMEM;
    for (i = 0; i < nf; i++) {
        uint32_t kind = rtn__rd_u32(r);
        rtn_ckey k;
        int rc;
        if (kind == 1) {
            uint32_t len = rtn__rd_u32(r);
            const char *s;
            if (r->err || len == 0 || len > RTN_ID_MAX || (s = rtn__rd_bytes(r, len)) == NULL)
                return RTN_EFORMAT;
            rtn__ckey_str(&k, s, len);
        } else {
            uint64_t id = rtn__rd_u64(r);
            if (r->err || kind != 0 || id == 0)
                return RTN_EFORMAT;
            rtn__ckey_num(&k, id);
        }
        if (feat_find(e, &k) != NONE)
            return RTN_EFORMAT; /* the same feature twice */
        if (feat_reserve(m, e, &k))
            return RTN_ENOMEM;
        fi = feat_insert(e, &k);
        if ((rc = rtn__fen_load(m, r, &e->f[fi].usage)))
            return rc;
    }
    nrec = rtn__rd_u32(r);
    if (r->err || (uint64_t)nrec * 16 > rtn__rd_left(r))
        return RTN_EFORMAT;
    for (i = 0; i < nrec; i++) {
        uint32_t f = rtn__rd_u32(r), ci = rtn__rd_u32(r), n = rtn__rd_u32(r), j, k, prev = 0, ui;
        const unsigned char *p;
        uint32_t *tmp;
        int rc;
        if (r->err || f >= e->nf || ci >= ctx->cust.n || n == 0 ||
            (uint64_t)n * 4 > rtn__rd_left(r) || use_find(e, f, ci) != NONE)
            return RTN_EFORMAT;
        p = rtn__rd_bytes(r, (size_t)n * 4);
        tmp = rtn__alloc(m, (size_t)n * sizeof(uint32_t));
        if (tmp == NULL)
            return RTN_ENOMEM;
        /* Every use is an event of the customer, so its bucket must be one
         * of the customer's entries: this also bounds what the trees cover. */
        for (j = 0, k = 0; j < n; j++) {
            const rtn_cust *c = &ctx->cust.c[ci];
            uint32_t b = (uint32_t)p[4 * j] | (uint32_t)p[4 * j + 1] << 8 |
                         (uint32_t)p[4 * j + 2] << 16 | (uint32_t)p[4 * j + 3] << 24;
            while (k < c->n && rtn__e_bucket(c->ent[k]) < b)
                k++;
            if (b > MAX_BUCKET || (j > 0 && b <= prev) || k == c->n || rtn__e_bucket(c->ent[k]) != b) {
                rtn__free(m, tmp, (size_t)n * sizeof(uint32_t));
                return RTN_EFORMAT;
            }
            tmp[j] = prev = b;
        }
        rc = gap_reserve(m, &e->f[f].gap, 2 * n) ? RTN_ENOMEM : RTN_OK;
        if (rc == RTN_OK && (rc = uses_reserve(m, e, f, ci, tmp, n, &ui)) == RTN_OK)
            uses_apply(e, f, ui, tmp, n);
        rtn__free(m, tmp, (size_t)n * sizeof(uint32_t));
        if (rc)
            return rc;
    }
    return rtn__rd_left(r) != 0 ? RTN_EFORMAT : RTN_OK; /* the section, entirely */
}

/* Two passes: the first reserves everything (and adds features and records
 * that stay empty, which no query can see), the second cannot fail. */
int rtn__engage_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    const struct rtn_engage *s = src->engage;
    struct rtn_engage *e;
    rtn_mem *m = &dst->mem;
    uint32_t i, *fmap;
    uint64_t *extra;
    size_t sz;
    int rc = RTN_ENOMEM;
    if (s == NULL || s->nf == 0)
        return RTN_OK;
    if ((e = engage_get(dst)) == NULL)
        return RTN_ENOMEM;
    sz = ((size_t)s->nf + (s->nf & 1)) * sizeof(uint32_t) + (size_t)s->nf * sizeof(uint64_t);
    if ((fmap = rtn__calloc(m, sz)) == NULL)
        return RTN_ENOMEM;
    extra = (uint64_t *)(void *)(fmap + s->nf + (s->nf & 1));
    for (i = 0; i < s->nf; i++) {
        rtn_ckey k;
        feat_key(s, &s->f[i], &k);
        if (feat_get(m, e, &k, &fmap[i]) || fen_fold_reserve(m, &e->f[fmap[i]].usage, &s->f[i].usage))
            goto out;
    }
    for (i = 0; i < s->nu; i++) {
        const fuse *u = &s->u[i];
        uint32_t ui;
        if (uses_reserve(m, e, fmap[u->f], cmap[u->ci], cset_of(u), u->n, &ui))
            goto out;
        extra[u->f] += 2 * (uint64_t)u->n;
    }
    for (i = 0; i < s->nf; i++)
        if (extra[i] && (extra[i] > UINT32_MAX / 2 ||
                         gap_reserve(m, &e->f[fmap[i]].gap, (uint32_t)extra[i])))
            goto out;
    for (i = 0; i < s->nf; i++)
        rtn__fen_add_values(&e->f[fmap[i]].usage, &s->f[i].usage);
    for (i = 0; i < s->nu; i++) {
        const fuse *u = &s->u[i];
        uses_apply(e, fmap[u->f], use_find(e, fmap[u->f], cmap[u->ci]), cset_of(u), u->n);
    }
    rc = RTN_OK;
out:
    rtn__free(m, fmap, sz);
    return rc;
}

/* ---- deep copy and contributions for merge -------------------------------------- */

int rtn__engage_clone(rtn_ctx *dst, const rtn_ctx *src)
{
    const struct rtn_engage *s = src->engage;
    struct rtn_engage *e;
    rtn_mem *m = &dst->mem;
    uint32_t i;
    dst->engage = NULL;
    if (s == NULL)
        return RTN_OK;
    if ((e = rtn__alloc(m, sizeof(*e))) == NULL)
        return RTN_ENOMEM;
    /* Every pointer is cleared before its copy is made, so that
     * rtn__engage_free releases a half-made copy exactly. */
    *e = *s;
    e->f = NULL;
    e->fcap = 0;
    e->fidx = NULL;
    e->ficap = 0;
    e->u = NULL;
    e->ucap = 0;
    e->uidx = NULL;
    e->uicap = 0;
    memset(&e->names, 0, sizeof(e->names));
    e->dcnt.n = e->dsum.n = 0;
    e->dcnt.t = e->dsum.t = NULL;
    e->pend = 0;
    dst->engage = e;
    if (rtn__fen_clone(m, &e->dcnt, &s->dcnt) || rtn__fen_clone(m, &e->dsum, &s->dsum) ||
        rtn__arena_clone(m, &e->names, &s->names) ||
        rtn__dup(m, (void **)&e->fidx, s->fidx, (size_t)s->ficap * sizeof(uint32_t)))
        return RTN_ENOMEM;
    e->ficap = e->fidx ? s->ficap : 0;
    if (rtn__dup(m, (void **)&e->uidx, s->uidx, (size_t)s->uicap * sizeof(uint32_t)))
        return RTN_ENOMEM;
    e->uicap = e->uidx ? s->uicap : 0;
    /* Spare slots past nf / nu start zeroed in the copy. */
    if (s->fcap) {
        if ((e->f = rtn__calloc(m, (size_t)s->fcap * sizeof(feat))) == NULL)
            return RTN_ENOMEM;
        e->fcap = s->fcap;
        for (i = 0; i < s->nf; i++) {
            const feat *sf = &s->f[i];
            feat *df = &e->f[i];
            df->key = sf->key;
            df->len = sf->len;
            df->isstr = sf->isstr;
            if (rtn__fen_clone(m, &df->usage, &sf->usage) ||
                rtn__fen_clone(m, &df->first, &sf->first) ||
                rtn__fen_clone(m, &df->last, &sf->last) ||
                rtn__dup(m, (void **)&df->gap.s, sf->gap.s, (size_t)sf->gap.cap * sizeof(gslot)))
                return RTN_ENOMEM;
            if (df->gap.s) {
                df->gap.cap = sf->gap.cap;
                df->gap.used = sf->gap.used;
            }
        }
    }
    if (s->ucap) {
        if ((e->u = rtn__calloc(m, (size_t)s->ucap * sizeof(fuse))) == NULL)
            return RTN_ENOMEM;
        e->ucap = s->ucap;
        for (i = 0; i < s->nu; i++) {
            const fuse *su = &s->u[i];
            fuse *du = &e->u[i];
            if (su->cap == 0) {
                *du = *su;
                continue;
            }
            du->f = su->f;
            du->ci = su->ci;
            du->n = su->n;
            if (rtn__dup(m, (void **)&du->b.p, su->b.p, (size_t)su->cap * sizeof(uint32_t)))
                return RTN_ENOMEM;
            du->cap = su->cap;
        }
    }
    return RTN_OK;
}

/* The day runs are the module's only contribution accumulators. */
int rtn__engage_add_contrib(rtn_ctx *dst, const rtn_ctx *src)
{
    const struct rtn_engage *s = src->engage;
    struct rtn_engage *e;
    if (s == NULL || (s->dcnt.n == 0 && s->dsum.n == 0))
        return RTN_OK;
    if ((e = engage_get(dst)) == NULL || rtn__fen_add_tree(&dst->mem, &e->dcnt, &s->dcnt) ||
        rtn__fen_add_tree(&dst->mem, &e->dsum, &s->dsum))
        return RTN_ENOMEM;
    return RTN_OK;
}
