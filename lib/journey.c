/*
 * journey.c: surveys (NPS, CSAT, CES), page views and shares, the funnel
 * (visits, conversions, carts), service contacts, time to value and the
 * per-customer health score. Definitions: docs/satisfaction.md, docs/journey.md.
 */
#include "internal.h"

#include <string.h>

#define P1(b) ((b) + 1u) /* a bucket as stored in a pair store */
#define NO_TIME INT64_C(-1)
#define Z95 1.959963984540054

/* Carts and contacts are objects keyed by (customer, kind, ref). Each keeps
 * the earliest time of each of its events, so the state depends only on the
 * set of events. */
enum { OBJ_CART = 0, OBJ_CONTACT = 1, OBJ_KIND = 1, OBJ_STRREF = 2 };
enum { T_CREATE = 0, T_CHECKOUT = 1, T_OPEN = 0, T_RESOLVE = 1, T_ABANDON = 2 };

typedef struct jobj {
    uint64_t ref;   /* numeric ref, or arena offset of a string ref */
    int64_t t[3];   /* earliest event times (ms), NO_TIME when none */
    uint32_t ci;    /* customer index */
    uint32_t flags; /* OBJ_CART or OBJ_CONTACT, | OBJ_STRREF */
    uint32_t reflen;
    uint32_t next; /* next contact of the same customer + 1, 0 = last */
} jobj;

/* A survey answer (NPS or CSAT; CES is not a satisfaction signal). */
typedef struct jans {
    int64_t time;
    int32_t type;
    int32_t score;
} jans;

/* Per-customer side record, for customers with journey state. */
typedef struct jrec {
    jans *ans; /* sorted by (time, type, score) */
    uint32_t nans, anscap;
    uint32_t contacts; /* first contact object + 1 */
    uint32_t reserved;
} jrec;

/* Per customer index: its record and its purchase revenue. Dense, so that
 * a purchase costs no per-event memory. */
typedef struct jcust {
    uint32_t rec;   /* record index + 1, 0 = none */
    uint32_t cents; /* revenue of all its purchases in 1/100 units, saturating */
} jcust;

struct rtn_journey {
    /* survey sums per bucket */
    rtn_fen nps_n, nps_pro, nps_det;
    rtn_fen csat_n, csat_sat, csat_sum, csat_sq;
    rtn_fen ces_n, ces_sum, ces_sq;
    /* counts per bucket */
    rtn_fen views, shares, visits, convs;
    /* carts: created per bucket; (create + 1, checkout + 1 | NONE_AFTER) */
    rtn_fen carts;
    rtn_pairs cartp;
    /* contacts: opened per bucket; (open + 1, abandon + 1 | NONE_AFTER);
     * resolutions per resolve bucket: count, ms sum, (bucket, bin) histogram */
    rtn_fen opened;
    rtn_pairs abandon;
    rtn_fen ttr_n, ttr_sum;
    rtn_pairs ttr_hist;
    /* contribution: (acquisition + 1, value event + 1) */
    rtn_pairs ttv;
    /* objects */
    jobj *obj;
    uint32_t nobj, objcap;
    uint32_t *oidx; /* open addressing: object index + 1 and a tag (rtn__itag) */
    uint32_t oicap;
    rtn_arena refs;
    /* customer index -> record index + 1 */
    jcust *cs;
    uint32_t ncs;
    jrec *rec;
    uint32_t nrec, reccap;
    void *spare; /* one list element for a new record (sizeof(jans)) */
    /* the object change being prepared */
    int p_change; /* 0: none; 1: update p_obj; 2: insert a new object */
    uint32_t p_obj;
    jobj p_new;
    uint64_t p_hash;
};

typedef struct rtn_journey rtn_journey;

/* ---- allocation helpers ----------------------------------------------------- */

static rtn_journey *journey_get(rtn_ctx *ctx)
{
    if (ctx->journey == NULL)
        ctx->journey = rtn__calloc(&ctx->mem, sizeof(rtn_journey));
    return ctx->journey;
}

/* Make the per-customer table cover customer ci (new slots 0). It grows
 * with the customer table's own capacity. */
static int cs_reserve(rtn_ctx *ctx, rtn_journey *j, uint32_t ci)
{
    uint64_t ncap;
    jcust *q;
    if (ci < j->ncs)
        return RTN_OK;
    ncap = (uint64_t)ctx->cust.cap > ci ? ctx->cust.cap : (uint64_t)ci + 1;
    if (ncap < (uint64_t)j->ncs + j->ncs / 4 + 16)
        ncap = (uint64_t)j->ncs + j->ncs / 4 + 16;
    if (ncap > UINT32_MAX)
        return RTN_ENOMEM;
    q = rtn__realloc(&ctx->mem, j->cs, (size_t)j->ncs * sizeof(jcust),
                     (size_t)ncap * sizeof(jcust));
    if (q == NULL)
        return RTN_ENOMEM;
    memset(q + j->ncs, 0, (size_t)(ncap - j->ncs) * sizeof(jcust));
    j->cs = q;
    j->ncs = (uint32_t)ncap;
    return RTN_OK;
}

/* Room to give customer `ci` a record at commit. */
static int rec_reserve(rtn_ctx *ctx, rtn_journey *j, uint32_t ci)
{
    int rc = cs_reserve(ctx, j, ci);
    if (rc)
        return rc;
    if (j->cs[ci].rec == 0 &&
        rtn__grow(&ctx->mem, (void **)&j->rec, &j->reccap, j->nrec + 1, sizeof(jrec)))
        return RTN_ENOMEM;
    return RTN_OK;
}

/* The record of a customer, created if reserved. */
static jrec *rec_commit(rtn_journey *j, uint32_t ci)
{
    if (j->cs[ci].rec == 0) {
        memset(&j->rec[j->nrec], 0, sizeof(jrec));
        j->cs[ci].rec = ++j->nrec;
    }
    return &j->rec[j->cs[ci].rec - 1];
}

static const jrec *rec_find(const rtn_journey *j, uint32_t ci)
{
    if (j == NULL || ci >= j->ncs || j->cs[ci].rec == 0)
        return NULL;
    return &j->rec[j->cs[ci].rec - 1];
}

/* Grow an answer list: exact for the one or two answers most customers
 * give, then by half. */
static int ans_grow(rtn_mem *m, jrec *r, uint32_t need)
{
    uint32_t ncap;
    jans *q;
    if (need <= r->anscap)
        return RTN_OK;
    ncap = need <= 2 ? need : need + need / 2;
    if (ncap < need)
        return RTN_ENOMEM;
    q = rtn__realloc(m, r->ans, (size_t)r->anscap * sizeof(jans), (size_t)ncap * sizeof(jans));
    if (q == NULL)
        return RTN_ENOMEM;
    r->ans = q;
    r->anscap = ncap;
    return RTN_OK;
}

/* Room for one more answer of customer ci. A customer without a record
 * gets its first answer slot from the spare block, allocated here and
 * adopted at commit. */
static int ans_reserve(rtn_ctx *ctx, rtn_journey *j, uint32_t ci)
{
    jrec *r;
    int rc = rec_reserve(ctx, j, ci);
    if (rc)
        return rc;
    if (j->cs[ci].rec == 0) {
        if (j->spare == NULL && (j->spare = rtn__alloc(&ctx->mem, sizeof(jans))) == NULL)
            return RTN_ENOMEM;
        return RTN_OK;
    }
    r = &j->rec[j->cs[ci].rec - 1];
    return ans_grow(&ctx->mem, r, r->nans + 1);
}

/* The record of customer ci with room for one more answer (reserved by
 * ans_reserve). */
static jrec *rec_ans(rtn_journey *j, uint32_t ci)
{
    jrec *r = rec_commit(j, ci);
    if (r->anscap == 0) {
        r->ans = j->spare;
        r->anscap = 1;
        j->spare = NULL;
    }
    return r;
}

/* Saturating addition of a purchase's revenue, in 1/100 units. */
static void add_cents(jcust *c, int64_t cents)
{
    c->cents = cents >= (int64_t)(UINT32_MAX - c->cents) ? UINT32_MAX : c->cents + (uint32_t)cents;
}

/* ---- objects ------------------------------------------------------------------ */

typedef struct okey {
    uint32_t ci, kind;
    const char *s; /* NULL for numeric refs */
    uint32_t len;
    uint64_t num;
    uint64_t hash;
} okey;

static void okey_make(okey *k, uint32_t ci, uint32_t kind, const rtn_event *ev)
{
    uint64_t h = rtn__hash_u64(((uint64_t)ci << 1 | kind) + 0x51ed27);
    k->ci = ci;
    k->kind = kind;
    if (ev->ref_str && ev->ref_len > 0) {
        k->s = ev->ref_str;
        k->len = ev->ref_len;
        k->num = 0;
        k->hash = rtn__hash_bytes(k->s, k->len, h);
    } else {
        k->s = NULL;
        k->len = 0;
        k->num = ev->ref_str ? 0 : ev->ref; /* an empty string ref is "none", like 0 */
        k->hash = rtn__hash_u64(h ^ k->num);
    }
}

static uint64_t obj_hash(const rtn_journey *j, const jobj *o)
{
    uint64_t h = rtn__hash_u64(((uint64_t)o->ci << 1 | (o->flags & OBJ_KIND)) + 0x51ed27);
    if (o->flags & OBJ_STRREF)
        return rtn__hash_bytes(j->refs.p + o->ref, o->reflen, h);
    return rtn__hash_u64(h ^ o->ref);
}

static int obj_eq(const rtn_journey *j, const jobj *o, const okey *k)
{
    if (o->ci != k->ci || (o->flags & OBJ_KIND) != k->kind)
        return 0;
    if (k->s)
        return (o->flags & OBJ_STRREF) && o->reflen == k->len &&
               rtn__bytes_eq(j->refs.p + o->ref, k->s, k->len);
    return !(o->flags & OBJ_STRREF) && o->ref == k->num;
}

static uint32_t obj_find(const rtn_journey *j, const okey *k)
{
    rtn_ifind it;
    uint32_t r;
    if (j->oicap == 0)
        return UINT32_MAX;
    it = rtn__ifind(j->oidx, j->oicap, k->hash);
    while ((r = rtn__ifind_next(&it)) != UINT32_MAX)
        if (obj_eq(j, &j->obj[r], k))
            return r;
    return UINT32_MAX;
}

/* The hash of object i of journey state j (for rtn__index_fill). */
static uint64_t obj_hash_at(const void *j, uint32_t i)
{
    return obj_hash(j, &((const rtn_journey *)j)->obj[i]);
}

/* Size the index for `count` objects (load factor at most 1/2). */
static int oidx_reserve(rtn_ctx *ctx, rtn_journey *j, uint64_t count)
{
    if (count * 2 > j->oicap) {
        uint64_t ncap = j->oicap ? (uint64_t)j->oicap * 2 : 64;
        uint32_t *idx;
        while (ncap < count * 2)
            ncap *= 2;
        if (ncap > (UINT64_C(1) << 31))
            return RTN_ENOMEM;
        idx = rtn__calloc(&ctx->mem, (size_t)ncap * sizeof(uint32_t));
        if (idx == NULL)
            return RTN_ENOMEM;
        rtn__index_fill(idx, (uint32_t)ncap, j->nobj, obj_hash_at, j);
        rtn__free(&ctx->mem, j->oidx, (size_t)j->oicap * sizeof(uint32_t));
        j->oidx = idx;
        j->oicap = (uint32_t)ncap;
    }
    return RTN_OK;
}

/* Room for one more object with a ref of `len` bytes. */
static int obj_reserve_new(rtn_ctx *ctx, rtn_journey *j, uint32_t len)
{
    if (rtn__grow(&ctx->mem, (void **)&j->obj, &j->objcap, j->nobj + 1, sizeof(jobj)))
        return RTN_ENOMEM;
    if (len && rtn__arena_reserve(&ctx->mem, &j->refs, len))
        return RTN_ENOMEM;
    return oidx_reserve(ctx, j, (uint64_t)j->nobj + 1);
}

/* ---- what an object contributes to the period accumulators ------------------ */

/* Time-to-resolution histogram: bin 0 holds 0 ms; bin i + 1 holds values in
 * (G^(i-1), G^i] ms and reports 2 G^i / (G + 1), within (G - 1) / (G + 1)
 * (0.990 %) of every value in the bin. */
#define TTR_G 1.02
#define TTR_BINS 1600u

static uint32_t ttr_bin(int64_t ms)
{
    double i;
    if (ms <= 0)
        return 0;
    i = ceil(log((double)ms) / log(TTR_G));
    if (i < 0)
        i = 0;
    return (uint32_t)i + 1u;
}

static double ttr_rep(uint32_t bin)
{
    return bin == 0 ? 0.0 : 2.0 * pow(TTR_G, (double)(bin - 1)) / (TTR_G + 1.0);
}

typedef struct oderiv {
    int has_open;   /* carts: created; contacts: opened */
    uint32_t ob;    /* its bucket */
    uint32_t close; /* checkout / abandon bucket + 1, or NONE_AFTER */
    int has_ttr;    /* contacts: resolved at or after the open */
    uint32_t rb;    /* resolve bucket */
    int64_t ttr;    /* ms */
} oderiv;

static void obj_derive(const rtn_ctx *ctx, const jobj *o, oderiv *d)
{
    int contact = (o->flags & OBJ_KIND) == OBJ_CONTACT;
    int64_t close = o->t[contact ? T_ABANDON : T_CHECKOUT];
    memset(d, 0, sizeof(*d));
    d->has_open = o->t[0] != NO_TIME;
    if (!d->has_open)
        return;
    d->ob = rtn__bucket(ctx, o->t[0]);
    d->close = close == NO_TIME ? RTN_NONE_AFTER : P1(rtn__bucket(ctx, close));
    if (contact && o->t[T_RESOLVE] != NO_TIME && o->t[T_RESOLVE] >= o->t[T_OPEN]) {
        d->has_ttr = 1;
        d->rb = rtn__bucket(ctx, o->t[T_RESOLVE]);
        d->ttr = o->t[T_RESOLVE] - o->t[T_OPEN];
    }
}

static int pairs_reserve1(rtn_mem *m, rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c)
{
    return rtn__pairs_has(p, a, b, c) ? RTN_OK : rtn__pairs_reserve(m, p, 1);
}

static int obj_reserve_derived(rtn_ctx *ctx, rtn_journey *j, const jobj *o)
{
    rtn_mem *m = &ctx->mem;
    oderiv d;
    obj_derive(ctx, o, &d);
    if (!d.has_open)
        return RTN_OK;
    if ((o->flags & OBJ_KIND) == OBJ_CART)
        return rtn__fen_reserve(m, &j->carts, d.ob) ||
                       pairs_reserve1(m, &j->cartp, P1(d.ob), d.close, 0)
                   ? RTN_ENOMEM
                   : RTN_OK;
    if (rtn__fen_reserve(m, &j->opened, d.ob) ||
        pairs_reserve1(m, &j->abandon, P1(d.ob), d.close, 0))
        return RTN_ENOMEM;
    if (d.has_ttr &&
        (rtn__fen_reserve(m, &j->ttr_n, d.rb) || rtn__fen_reserve(m, &j->ttr_sum, d.rb) ||
         pairs_reserve1(m, &j->ttr_hist, d.rb, ttr_bin(d.ttr), 0)))
        return RTN_ENOMEM;
    return RTN_OK;
}

static void obj_apply(rtn_ctx *ctx, rtn_journey *j, const jobj *o, int64_t sign)
{
    oderiv d;
    obj_derive(ctx, o, &d);
    if (!d.has_open)
        return;
    if ((o->flags & OBJ_KIND) == OBJ_CART) {
        rtn__fen_add(&j->carts, d.ob, sign);
        rtn__pairs_add(&j->cartp, P1(d.ob), d.close, 0, sign);
        return;
    }
    rtn__fen_add(&j->opened, d.ob, sign);
    rtn__pairs_add(&j->abandon, P1(d.ob), d.close, 0, sign);
    if (d.has_ttr) {
        rtn__fen_add(&j->ttr_n, d.rb, sign);
        rtn__fen_add(&j->ttr_sum, d.rb, sign * d.ttr);
        rtn__pairs_add(&j->ttr_hist, d.rb, ttr_bin(d.ttr), 0, sign);
    }
}

/* ---- the event path ------------------------------------------------------------- */

static int obj_prepare(rtn_ctx *ctx, rtn_journey *j, const rtn_event *ev, uint32_t kind, int slot)
{
    rtn_pending *p = &ctx->pend;
    okey k;
    uint32_t oi;
    int rc;
    okey_make(&k, p->ci, kind, ev);
    oi = p->is_new ? UINT32_MAX : obj_find(j, &k);
    if (oi != UINT32_MAX) {
        if (j->obj[oi].t[slot] != NO_TIME && j->obj[oi].t[slot] <= ev->time)
            return RTN_OK; /* an earlier event of this kind is already known */
        j->p_new = j->obj[oi];
        j->p_change = 1;
    } else {
        memset(&j->p_new, 0, sizeof(j->p_new));
        j->p_new.t[0] = j->p_new.t[1] = j->p_new.t[2] = NO_TIME;
        j->p_new.ci = p->ci;
        j->p_new.flags = kind | (k.s ? (uint32_t)OBJ_STRREF : 0u);
        j->p_new.ref = k.num;
        j->p_new.reflen = k.len;
        if ((rc = obj_reserve_new(ctx, j, k.len)))
            return rc;
        if (kind == OBJ_CONTACT && (rc = rec_reserve(ctx, j, p->ci)))
            return rc;
        j->p_change = 2;
    }
    j->p_obj = oi;
    j->p_new.t[slot] = ev->time;
    j->p_hash = k.hash;
    return obj_reserve_derived(ctx, j, &j->p_new);
}

static void obj_commit(rtn_ctx *ctx, rtn_journey *j, const rtn_event *ev)
{
    jobj *o;
    if (j->p_change == 1) {
        o = &j->obj[j->p_obj];
        obj_apply(ctx, j, o, -1);
        memcpy(o->t, j->p_new.t, sizeof(o->t));
    } else {
        uint32_t oi = j->nobj++;
        o = &j->obj[oi];
        *o = j->p_new;
        if (o->flags & OBJ_STRREF)
            o->ref = rtn__arena_put(&j->refs, ev->ref_str, ev->ref_len);
        rtn__index_put(j->oidx, j->oicap, j->p_hash, oi);
        if ((o->flags & OBJ_KIND) == OBJ_CONTACT) {
            jrec *r = rec_commit(j, o->ci);
            o->next = r->contacts;
            r->contacts = oi + 1;
        }
    }
    obj_apply(ctx, j, o, +1);
}

static int is_journey_event(int type)
{
    return type >= RTN_EV_PAGE_VIEW;
}

/* Look-ahead for batches (push.c): a cart or contact event of a known
 * customer asks for its object's index slot. */
rtn_ahead rtn__journey_ahead(const rtn_ctx *ctx, const rtn_event *ev, uint32_t ci)
{
    const rtn_journey *j = ctx->journey;
    rtn_ahead none = {0, 0};
    uint32_t kind;
    okey k;
    if (j == NULL || j->oicap == 0 || (ev->ref_str && ev->ref_len > RTN_ID_MAX))
        return none;
    switch (ev->type) {
    case RTN_EV_CART_CREATE:
    case RTN_EV_CART_CHECKOUT: kind = OBJ_CART; break;
    case RTN_EV_CONTACT_OPEN:
    case RTN_EV_CONTACT_RESOLVE:
    case RTN_EV_CONTACT_ABANDON: kind = OBJ_CONTACT; break;
    default: return none;
    }
    okey_make(&k, ci, kind, ev);
    return rtn__ahead_slot(j->oidx, j->oicap, k.hash);
}

/* Then the object the slot leads to. */
void rtn__journey_ahead2(const rtn_ctx *ctx, rtn_ahead a)
{
    const rtn_journey *j = ctx->journey;
    if (j)
        rtn__ahead_record(j->oidx, j->oicap, a, j->obj, sizeof(*j->obj));
}

/* The per-bucket count of page views, shares, visits or conversions. */
static rtn_fen *counter_of(rtn_journey *j, int type)
{
    switch (type) {
    case RTN_EV_PAGE_VIEW: return &j->views;
    case RTN_EV_SHARE: return &j->shares;
    case RTN_EV_VISIT: return &j->visits;
    default: return &j->convs;
    }
}

rtn_fen *rtn__journey_counter(rtn_ctx *ctx, int type)
{
    rtn_journey *j = journey_get(ctx);
    return j ? counter_of(j, type) : NULL;
}

int rtn__journey_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t b)
{
    rtn_journey *j;
    rtn_mem *m = &ctx->mem;
    int rc = RTN_OK, vt = ctx->cfg.value_event;
    if ((vt == RTN_VALUE_DEFAULT ? ev->type == RTN_EV_FEATURE : ev->type == vt) &&
        (rc = rtn__pending_mod(ctx, b, RTN_E_VALUE, 0, 0)))
        return rc;
    if (!is_journey_event(ev->type) && ev->type != RTN_EV_PURCHASE)
        return RTN_OK;
    if ((j = journey_get(ctx)) == NULL)
        return RTN_ENOMEM;
    j->p_change = 0;
    switch (ev->type) {
    case RTN_EV_PURCHASE:
        return cs_reserve(ctx, j, ctx->pend.ci);
    case RTN_EV_PAGE_VIEW:
    case RTN_EV_SHARE:
    case RTN_EV_VISIT:
    case RTN_EV_CONVERSION:
        return rtn__fen_reserve(m, counter_of(j, ev->type), b);
    case RTN_EV_CART_CREATE:
        return obj_prepare(ctx, j, ev, OBJ_CART, T_CREATE);
    case RTN_EV_CART_CHECKOUT:
        return obj_prepare(ctx, j, ev, OBJ_CART, T_CHECKOUT);
    case RTN_EV_CONTACT_OPEN:
        return obj_prepare(ctx, j, ev, OBJ_CONTACT, T_OPEN);
    case RTN_EV_CONTACT_RESOLVE:
        return obj_prepare(ctx, j, ev, OBJ_CONTACT, T_RESOLVE);
    case RTN_EV_CONTACT_ABANDON:
        return obj_prepare(ctx, j, ev, OBJ_CONTACT, T_ABANDON);
    case RTN_EV_NPS:
        if (rtn__fen_reserve(m, &j->nps_n, b) || rtn__fen_reserve(m, &j->nps_pro, b) ||
            rtn__fen_reserve(m, &j->nps_det, b))
            return RTN_ENOMEM;
        break;
    case RTN_EV_CSAT:
        if (rtn__fen_reserve(m, &j->csat_n, b) || rtn__fen_reserve(m, &j->csat_sat, b) ||
            rtn__fen_reserve(m, &j->csat_sum, b) || rtn__fen_reserve(m, &j->csat_sq, b))
            return RTN_ENOMEM;
        break;
    case RTN_EV_CES:
        return rtn__fen_reserve(m, &j->ces_n, b) || rtn__fen_reserve(m, &j->ces_sum, b) ||
                       rtn__fen_reserve(m, &j->ces_sq, b)
                   ? RTN_ENOMEM
                   : RTN_OK;
    default:
        return RTN_OK;
    }
    /* NPS and CSAT answers are kept per customer (latest answer, health). */
    return ans_reserve(ctx, j, ctx->pend.ci);
}

static int ans_cmp(const jans *x, const jans *y)
{
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->score < y->score ? -1 : x->score > y->score;
}

static void ans_insert(jrec *r, const jans *a)
{
    uint32_t i = r->nans;
    while (i > 0 && ans_cmp(&r->ans[i - 1], a) > 0)
        i--;
    memmove(r->ans + i + 1, r->ans + i, (r->nans - i) * sizeof(jans));
    r->ans[i] = *a;
    r->nans++;
}

void rtn__journey_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t b)
{
    rtn_journey *j = ctx->journey;
    int64_t s = (int64_t)ev->value;
    if (j == NULL || (!is_journey_event(ev->type) && ev->type != RTN_EV_PURCHASE))
        return;
    switch (ev->type) {
    case RTN_EV_PURCHASE:
        add_cents(&j->cs[ctx->pend.ci], llround(ev->value * 100.0));
        return;
    case RTN_EV_PAGE_VIEW:
    case RTN_EV_SHARE:
    case RTN_EV_VISIT:
    case RTN_EV_CONVERSION:
        rtn__fen_add(counter_of(j, ev->type), b, 1);
        return;
    case RTN_EV_CART_CREATE:
    case RTN_EV_CART_CHECKOUT:
    case RTN_EV_CONTACT_OPEN:
    case RTN_EV_CONTACT_RESOLVE:
    case RTN_EV_CONTACT_ABANDON:
        if (j->p_change)
            obj_commit(ctx, j, ev);
        j->p_change = 0;
        return;
    case RTN_EV_NPS:
        rtn__fen_add(&j->nps_n, b, 1);
        rtn__fen_add(&j->nps_pro, b, s >= 9);
        rtn__fen_add(&j->nps_det, b, s <= 6);
        break;
    case RTN_EV_CSAT:
        rtn__fen_add(&j->csat_n, b, 1);
        rtn__fen_add(&j->csat_sat, b, s >= ctx->cfg.csat_satisfied);
        rtn__fen_add(&j->csat_sum, b, s);
        rtn__fen_add(&j->csat_sq, b, s * s);
        break;
    case RTN_EV_CES:
        rtn__fen_add(&j->ces_n, b, 1);
        rtn__fen_add(&j->ces_sum, b, s);
        rtn__fen_add(&j->ces_sq, b, s * s);
        return;
    default:
        return;
    }
    {
        jans a;
        jrec *r = rec_ans(j, ctx->pend.ci);
        a.time = ev->time;
        a.type = ev->type;
        a.score = (int32_t)s;
        ans_insert(r, &a);
    }
}

/* ---- contribution: time to value ------------------------------------------------ */

/* A customer acquired (first start event) at bucket s reaches value at the
 * first bucket v >= s holding a value event (RTN_E_VALUE) or, with the
 * default value event, its second purchase. Item: (s + 1, v + 1). */
int rtn__journey_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    uint32_t i, s, purch = 0;
    int dflt = ctx->cfg.value_event == RTN_VALUE_DEFAULT;
    if (g->nivl == 0 || g->ivl[0].react)
        return RTN_OK;
    s = g->ivl[0].s;
    for (i = 0; i < g->n; i++) {
        uint64_t e = g->ent[i];
        uint32_t b = rtn__e_bucket(e);
        purch += rtn__e_purch(e);
        if (b < s)
            continue;
        if ((rtn__e_flags(e) & RTN_E_VALUE) || (dflt && purch >= 2))
            return rtn__clist_push(&ctx->mem, out, RTN_K_JOURNEY_FIRST, P1(s), P1(b), 0);
    }
    return RTN_OK;
}

int rtn__journey_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    rtn_journey *j;
    if (n == 0)
        return RTN_OK;
    if ((j = journey_get(ctx)) == NULL)
        return RTN_ENOMEM;
    return rtn__pairs_reserve_items(&ctx->mem, &j->ttv, items, n);
}

void rtn__journey_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    if (it->kind == RTN_K_JOURNEY_FIRST)
        rtn__pairs_add(&ctx->journey->ttv, it->a, it->b, it->c, sign);
}

/* ---- queries ----------------------------------------------------------------------- */

static const rtn_fen empty_fen;
#define FEN(j, f) ((j) ? &(j)->f : &empty_fen)

static int64_t sum(const rtn_journey *j, const rtn_fen *f, uint32_t fb, uint32_t tb)
{
    return j ? rtn__fen_range(f, fb, tb) : 0;
}

static void proportion(rtn_value *v, double k, double n)
{
    rtn__value_ratio(v, k, n, 100.0);
    if (v->defined && k >= 0 && k <= n)
        rtn__wilson(k, n, &v->lo, &v->hi);
    v->n = (int64_t)n;
}

/* Mean of n integer scores with sum s and sum of squares q; normal 95 %
 * interval from the sample variance when n >= 2. */
static void mean_value(rtn_value *v, int64_t n, int64_t s, int64_t q)
{
    rtn__value_ratio(v, (double)s, (double)n, 1.0);
    v->n = n;
    if (n >= 2) {
        double dn = (double)n, var = ((double)q - (double)s * (double)s / dn) / (dn - 1.0);
        double half = Z95 * sqrt(var > 0 ? var / dn : 0.0);
        v->lo = v->value - half;
        v->hi = v->value + half;
    }
}

static void nps_value(rtn_value *v, int64_t n, int64_t pro, int64_t det)
{
    rtn__value_ratio(v, (double)(pro - det), (double)n, 100.0);
    v->n = n;
    if (n > 0) {
        double p = (double)pro / (double)n, q = (double)det / (double)n;
        double var = (p + q - (p - q) * (p - q)) / (double)n;
        double half = Z95 * sqrt(var > 0 ? var : 0.0) * 100.0;
        v->lo = fmax(-100.0, v->value - half);
        v->hi = fmin(100.0, v->value + half);
    }
}

/* Objects opened in [fb, tb) whose close bucket (+1, or NONE_AFTER) is
 * before tb (closed = 1) or not (closed = 0). */
static int64_t closed_in(const rtn_pairs *p, uint32_t fb, uint32_t tb, int closed)
{
    int64_t s = 0;
    uint32_t i;
    for (i = 0; i < p->cap; i++) {
        const rtn_pslot *e = &p->s[i];
        if (e->a >= P1(fb) && e->a < P1(tb) && (e->b < P1(tb)) == closed)
            s += e->count;
    }
    return s;
}

/* Resolutions in buckets [fb, tb) whose histogram bin is <= x. */
static int64_t hist_upto(const rtn_pairs *p, uint32_t fb, uint32_t tb, uint32_t x)
{
    int64_t n = 0;
    uint32_t i;
    for (i = 0; i < p->cap; i++) {
        const rtn_pslot *e = &p->s[i];
        if (e->a >= fb && e->a < tb && e->b <= x)
            n += e->count; /* unused slots hold count 0 */
    }
    return n;
}

/* The representative value of the first bin whose cumulative count reaches
 * the nearest rank ceil(q n); a binary search over bins, so a query needs
 * no memory. */
static double hist_rank(const rtn_pairs *p, uint32_t fb, uint32_t tb, int64_t n, double q)
{
    int64_t k = (int64_t)ceil(q * (double)n);
    uint32_t lo = 0, hi = TTR_BINS;
    if (k < 1)
        k = 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hist_upto(p, fb, tb, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return ttr_rep(lo);
}

static void ttr_query(const rtn_journey *j, uint32_t fb, uint32_t tb, rtn_value *v)
{
    int64_t n = sum(j, FEN(j, ttr_n), fb, tb), ms = sum(j, FEN(j, ttr_sum), fb, tb);
    rtn__value_ratio(v, (double)ms / (double)RTN_MS_PER_HOUR, (double)n, 1.0);
    v->n = n;
    if (n > 0) {
        v->p50 = hist_rank(&j->ttr_hist, fb, tb, n, 0.5) / (double)RTN_MS_PER_HOUR;
        v->p90 = hist_rank(&j->ttr_hist, fb, tb, n, 0.9) / (double)RTN_MS_PER_HOUR;
    }
}

/* Customers acquired in [fb, tb) who reached value before tb, with time to
 * value d = v - s <= x (x = UINT32_MAX: all). */
static int64_t ttv_count(const rtn_pairs *p, uint32_t fb, uint32_t tb, uint32_t x, int64_t *total,
                         uint32_t *max)
{
    int64_t n = 0, t = 0;
    uint32_t i, mx = 0;
    for (i = 0; i < p->cap; i++) {
        const rtn_pslot *e = &p->s[i];
        if (e->count && e->a >= P1(fb) && e->a < P1(tb) && e->b < P1(tb) && e->b - e->a <= x) {
            n += e->count;
            t += e->count * (int64_t)(e->b - e->a);
            if (e->b - e->a > mx)
                mx = e->b - e->a;
        }
    }
    if (total)
        *total = t;
    if (max)
        *max = mx;
    return n;
}

static void ttv_query(rtn_ctx *ctx, const rtn_journey *j, uint32_t fb, uint32_t tb, rtn_value *v)
{
    double bpd = (double)rtn__buckets_per_day(ctx);
    int64_t n = 0, total = 0, k;
    uint32_t lo = 0, hi = 0;
    if (j && fb < tb)
        n = ttv_count(&j->ttv, fb, tb, UINT32_MAX, &total, &hi);
    rtn__value_ratio(v, (double)total / bpd, (double)n, 1.0);
    v->n = n;
    if (n == 0)
        return;
    /* Nearest-rank median: the least d with count(<= d) >= ceil(n / 2). */
    k = (n + 1) / 2;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ttv_count(&j->ttv, fb, tb, mid, NULL, NULL) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    v->p50 = (double)lo / bpd;
}

static double per_active(rtn_ctx *ctx, const rtn_journey *j, uint32_t fb, uint32_t tb, int64_t *act)
{
    *act = rtn__core_active(ctx, fb, tb);
    return *act ? (double)sum(j, FEN(j, opened), fb, tb) / (double)*act : NAN;
}

static int health_mean(rtn_ctx *ctx, uint32_t tb, rtn_value *v);

int rtn__journey_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                       const rtn_query_opts *opts, rtn_value *out)
{
    const rtn_journey *j = ctx->journey;
    RTN_UNUSED(opts);
    switch (metric) {
    case RTN_METRIC_NPS:
        nps_value(out, sum(j, FEN(j, nps_n), fb, tb), sum(j, FEN(j, nps_pro), fb, tb),
                  sum(j, FEN(j, nps_det), fb, tb));
        return RTN_OK;
    case RTN_METRIC_CSAT:
        proportion(out, (double)sum(j, FEN(j, csat_sat), fb, tb),
                   (double)sum(j, FEN(j, csat_n), fb, tb));
        return RTN_OK;
    case RTN_METRIC_CSAT_MEAN:
        mean_value(out, sum(j, FEN(j, csat_n), fb, tb), sum(j, FEN(j, csat_sum), fb, tb),
                   sum(j, FEN(j, csat_sq), fb, tb));
        return RTN_OK;
    case RTN_METRIC_CES:
        mean_value(out, sum(j, FEN(j, ces_n), fb, tb), sum(j, FEN(j, ces_sum), fb, tb),
                   sum(j, FEN(j, ces_sq), fb, tb));
        return RTN_OK;
    case RTN_METRIC_PAGE_VIEWS:
        rtn__value_count(out, (double)sum(j, FEN(j, views), fb, tb));
        return RTN_OK;
    case RTN_METRIC_SHARES:
        rtn__value_count(out, (double)sum(j, FEN(j, shares), fb, tb));
        return RTN_OK;
    case RTN_METRIC_CONVERSION_RATE:
        proportion(out, (double)sum(j, FEN(j, convs), fb, tb),
                   (double)sum(j, FEN(j, visits), fb, tb));
        return RTN_OK;
    case RTN_METRIC_CART_ABANDONMENT_RATE:
        proportion(out, j && fb < tb ? (double)closed_in(&j->cartp, fb, tb, 0) : 0.0,
                   (double)sum(j, FEN(j, carts), fb, tb));
        return RTN_OK;
    case RTN_METRIC_CALL_ABANDONMENT_RATE:
        proportion(out, j && fb < tb ? (double)closed_in(&j->abandon, fb, tb, 1) : 0.0,
                   (double)sum(j, FEN(j, opened), fb, tb));
        return RTN_OK;
    case RTN_METRIC_TIME_TO_RESOLUTION:
        ttr_query(j, fb, tb, out);
        return RTN_OK;
    case RTN_METRIC_TIME_TO_VALUE:
        ttv_query(ctx, j, fb, tb, out);
        return RTN_OK;
    case RTN_METRIC_INTERACTION_CHANGE: {
        int64_t act, pact;
        uint32_t len = tb - fb;
        double cur, prev;
        if (fb < len || len == 0) {
            rtn__value_ratio(out, NAN, 0, 100.0);
            return RTN_OK;
        }
        cur = per_active(ctx, j, fb, tb, &act);
        prev = per_active(ctx, j, fb - len, fb, &pact);
        if (isnan(cur) || isnan(prev) || prev == 0)
            rtn__value_ratio(out, NAN, 0, 100.0);
        else
            rtn__value_ratio(out, cur - prev, prev, 100.0);
        out->n = act;
        return RTN_OK;
    }
    case RTN_METRIC_HEALTH_SCORE:
        return health_mean(ctx, tb, out);
    default:
        return RTN_EMETRIC;
    }
}

/* ---- customers: latest NPS, health ---------------------------------------------- */

static int find_customer(rtn_ctx *ctx, const rtn_customer *c, uint32_t *ci)
{
    rtn_ckey k;
    if (c == NULL || c->size != sizeof(rtn_customer))
        return rtn__fail(ctx, RTN_EINVAL,
                         "customer is NULL or not initialised (rtn_customer_init)");
    if (c->id_str) {
        if (c->id_len == 0 || c->id_len > RTN_ID_MAX)
            return rtn__fail(ctx, RTN_EID, "customer id of %u bytes", (unsigned)c->id_len);
        rtn__ckey_str(&k, c->id_str, c->id_len);
    } else {
        if (c->id_len)
            return rtn__fail(ctx, RTN_EID, "id_len set without id_str");
        rtn__ckey_num(&k, c->id);
    }
    *ci = rtn__ctab_find(&ctx->cust, &k);
    if (*ci == UINT32_MAX)
        return rtn__fail(ctx, RTN_ENOTFOUND, "unknown customer");
    return RTN_OK;
}

int rtn_customer_nps_category(int *out, rtn_ctx *ctx, const rtn_customer *c)
{
    const jrec *r;
    uint32_t ci, i;
    int rc, cat = RTN_NPS_NONE;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (out == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "out is NULL");
    if ((rc = find_customer(ctx, c, &ci)))
        return rc;
    r = rec_find(ctx->journey, ci);
    /* Answers are sorted by (time, type, score): the latest NPS answer is
     * the last one; at equal times the lowest score wins. */
    for (i = r ? r->nans : 0; i > 0; i--) {
        const jans *a = &r->ans[i - 1];
        const jans *first = a;
        if (a->type != RTN_EV_NPS)
            continue;
        while (first > r->ans && first[-1].time == a->time && first[-1].type == RTN_EV_NPS)
            first--;
        cat = first->score >= 9   ? RTN_NPS_PROMOTER
              : first->score >= 7 ? RTN_NPS_PASSIVE
                                  : RTN_NPS_DETRACTOR;
        break;
    }
    *out = cat;
    return RTN_OK;
}

#define HEALTH_RECENCY_DAYS 90.0
#define HEALTH_YEAR_DAYS 365u
#define HEALTH_FREQ_CAP 12.0
#define HEALTH_MONEY_DECADES 4.0

/* Health of customer ci at the start of bucket tb (events in buckets < tb). */
static double health_of(rtn_ctx *ctx, uint32_t ci, uint32_t tb)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    const rtn_journey *j = ctx->journey;
    const jrec *r = rec_find(j, ci);
    const rtn_health_weights *w = &ctx->cfg.health;
    uint32_t bpd = rtn__buckets_per_day(ctx), win = HEALTH_YEAR_DAYS * bpd;
    uint32_t lo = tb > win ? tb - win : 0, i, last = 0;
    int have_start = 0, open = 0;
    int64_t purch = 0, all = 0, at = rtn__bucket_time(ctx, tb), lt = NO_TIME;
    double rec = 0, freq, mon = 0, sat = 0.5, total, scale;
    int e;
    for (i = 0; i < c->n; i++) {
        uint32_t b = rtn__e_bucket(c->ent[i]);
        all += rtn__e_purch(c->ent[i]);
        if (b >= tb)
            continue;
        if (rtn__e_flags(c->ent[i]) & RTN_E_START) {
            last = b;
            have_start = 1;
        }
        if (b >= lo)
            purch += rtn__e_purch(c->ent[i]);
    }
    if (have_start)
        rec = fmax(0.0, 1.0 - (double)(tb - 1 - last) / (double)bpd / HEALTH_RECENCY_DAYS);
    freq = fmin(1.0, (double)purch / HEALTH_FREQ_CAP);
    /* Spend of the window's purchases, estimated as their count times the
     * customer's average order value over all its purchases: exact
     * per-purchase amounts would cost memory on every purchase. */
    if (purch > 0 && j && ci < j->ncs && j->cs[ci].cents > 0) {
        double spend = (double)purch * ((double)j->cs[ci].cents / (double)all) / 100.0;
        mon = fmin(1.0, log10(1.0 + spend) / HEALTH_MONEY_DECADES);
    }
    if (r) {
        uint32_t oi;
        /* The latest NPS or CSAT answer before `at`; at equal times, the
         * lowest satisfaction. */
        for (i = 0; i < r->nans && r->ans[i].time < at; i++) {
            const jans *a = &r->ans[i];
            double s = a->type == RTN_EV_NPS ? a->score / 10.0
                                             : (double)(a->score - ctx->cfg.csat_min) /
                                                   (double)(ctx->cfg.csat_max - ctx->cfg.csat_min);
            if (a->time != lt || s < sat)
                sat = s;
            lt = a->time;
        }
        for (oi = r->contacts; oi; oi = j->obj[oi - 1].next) {
            const jobj *o = &j->obj[oi - 1];
            int64_t ob = o->t[T_OPEN];
            if (ob == NO_TIME || rtn__bucket(ctx, ob) >= tb)
                continue;
            if ((o->t[T_RESOLVE] != NO_TIME && rtn__bucket(ctx, o->t[T_RESOLVE]) < tb) ||
                (o->t[T_ABANDON] != NO_TIME && rtn__bucket(ctx, o->t[T_ABANDON]) < tb))
                continue;
            open = 1;
            break;
        }
    }
    /* The weights are any finite non-negative numbers, not all 0: scaled
     * by a power of two that brings the largest into [0.5, 1), so that
     * neither their sum nor the weighted one can overflow (a weight near
     * the largest double would make both infinite). A power of two scales
     * exactly: the score is the unscaled formula's, bit for bit. */
    frexp(fmax(fmax(fmax(w->recency, w->frequency), fmax(w->monetary, w->satisfaction)), w->contacts), &e);
    scale = ldexp(1.0, -e);
    total = scale * w->recency + scale * w->frequency + scale * w->monetary + scale * w->satisfaction +
            scale * w->contacts;
    return 100.0 *
           (scale * w->recency * rec + scale * w->frequency * freq + scale * w->monetary * mon +
            scale * w->satisfaction * sat + scale * w->contacts * (open ? 0.0 : 1.0)) /
           total;
}

/* Whether customer ci is active at the start of bucket tb. */
static int active_at(rtn_ctx *ctx, uint32_t ci, uint32_t tb, int *act)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    uint32_t n, i;
    *act = 0;
    if (rtn__status_intervals(ctx, c->ent, c->n, &ctx->ivl_buf, &ctx->ivl_cap, &n))
        return rtn__fail(ctx, RTN_ENOMEM, "out of memory computing health scores");
    for (i = 0; i < n; i++)
        if (ctx->ivl_buf[i].s < tb && (ctx->ivl_buf[i].l == UINT32_MAX || ctx->ivl_buf[i].l >= tb))
            *act = 1;
    return RTN_OK;
}

/* Scores (0 to 100) are summed in fixed point (1e-9) so that the mean does
 * not depend on the order of customers in the table; the sum is wide
 * enough for every customer a context can hold (rtn_fixsum). */
static int health_mean(rtn_ctx *ctx, uint32_t tb, rtn_value *v)
{
    rtn_fixsum total = {0, 0};
    int64_t n = 0;
    uint32_t ci;
    int rc, act;
    for (ci = 0; ci < ctx->cust.n; ci++) {
        if ((rc = active_at(ctx, ci, tb, &act)))
            return rc;
        if (act) {
            rtn__fixsum_add(&total, llround(health_of(ctx, ci, tb) * (double)RTN_FIXSUM_ONE));
            n++;
        }
    }
    rtn__value_ratio(v, rtn__fixsum_value(&total), (double)n, 1.0);
    v->n = n;
    return RTN_OK;
}

int rtn_health_score(double *out, rtn_ctx *ctx, const rtn_customer *c, int64_t at)
{
    uint32_t ci;
    int rc;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (out == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "out is NULL");
    if (at < 0 || at > RTN_TIME_MAX)
        return rtn__fail(ctx, RTN_ETIME, "instant %lld outside 1970..2199", (long long)at);
    if ((rc = find_customer(ctx, c, &ci)))
        return rc;
    *out = health_of(ctx, ci, rtn__bucket(ctx, at));
    return RTN_OK;
}

/* Order of the call list: lower score first, then numeric ids (ascending)
 * before string ids (bytewise, then shorter first). */
static int entry_cmp(const rtn_health_entry *x, const rtn_health_entry *y)
{
    size_t n;
    int c;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    if (!x->id_str != !y->id_str)
        return x->id_str ? 1 : -1;
    if (!x->id_str)
        return x->id < y->id ? -1 : x->id > y->id;
    n = x->id_len < y->id_len ? x->id_len : y->id_len;
    if ((c = memcmp(x->id_str, y->id_str, n)) != 0)
        return c < 0 ? -1 : 1;
    return x->id_len < y->id_len ? -1 : x->id_len > y->id_len;
}

int rtn_health_lowest(rtn_health_entry *out, size_t cap, size_t *n_out, rtn_ctx *ctx, int64_t at)
{
    uint32_t ci, tb;
    size_t n = 0;
    int rc, act;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (n_out == NULL || (cap > 0 && out == NULL))
        return rtn__fail(ctx, RTN_EINVAL, "n_out is NULL, or out is NULL with cap > 0");
    if (at < 0 || at > RTN_TIME_MAX)
        return rtn__fail(ctx, RTN_ETIME, "instant %lld outside 1970..2199", (long long)at);
    *n_out = 0;
    tb = rtn__bucket(ctx, at);
    for (ci = 0; ci < ctx->cust.n && cap > 0; ci++) {
        const rtn_cust *c = &ctx->cust.c[ci];
        rtn_health_entry e;
        size_t i;
        if ((rc = active_at(ctx, ci, tb, &act)))
            return rc;
        if (!act)
            continue;
        memset(&e, 0, sizeof(e));
        e.score = health_of(ctx, ci, tb);
        if (rtn__cust_flags(c) & RTN_CF_STRID) {
            e.id_str = rtn__cust_str(&ctx->cust, c);
            e.id_len = rtn__cust_idlen(&ctx->cust, c);
        } else {
            e.id = c->key;
        }
        if (n == cap && entry_cmp(&e, &out[n - 1]) >= 0)
            continue;
        i = n < cap ? n++ : n - 1;
        while (i > 0 && entry_cmp(&e, &out[i - 1]) < 0) {
            out[i] = out[i - 1];
            i--;
        }
        out[i] = e;
    }
    *n_out = n;
    return RTN_OK;
}

/* ---- life cycle, snapshots, merge ---------------------------------------------- */

/* The event-driven sums, in snapshot order. */
static rtn_fen *sums_of(rtn_journey *j, size_t i)
{
    rtn_fen *f[] = {&j->nps_n,    &j->nps_pro, &j->nps_det, &j->csat_n,  &j->csat_sat,
                    &j->csat_sum, &j->csat_sq, &j->ces_n,   &j->ces_sum, &j->ces_sq,
                    &j->views,    &j->shares,  &j->visits,  &j->convs};
    return i < sizeof(f) / sizeof(f[0]) ? f[i] : NULL;
}

void rtn__journey_free(rtn_ctx *ctx)
{
    rtn_journey *j = ctx->journey;
    rtn_mem *m = &ctx->mem;
    rtn_fen *derived[] = {NULL, NULL, NULL, NULL};
    size_t i;
    if (j == NULL)
        return;
    for (i = 0; sums_of(j, i); i++)
        rtn__fen_free(m, sums_of(j, i));
    derived[0] = &j->carts;
    derived[1] = &j->opened;
    derived[2] = &j->ttr_n;
    derived[3] = &j->ttr_sum;
    for (i = 0; i < 4; i++)
        rtn__fen_free(m, derived[i]);
    rtn__pairs_free(m, &j->cartp);
    rtn__pairs_free(m, &j->abandon);
    rtn__pairs_free(m, &j->ttr_hist);
    rtn__pairs_free(m, &j->ttv);
    rtn__free(m, j->obj, (size_t)j->objcap * sizeof(jobj));
    rtn__free(m, j->oidx, (size_t)j->oicap * sizeof(uint32_t));
    rtn__free(m, j->refs.p, (size_t)j->refs.cap);
    for (i = 0; i < j->nrec; i++) {
        rtn__free(m, j->rec[i].ans, (size_t)j->rec[i].anscap * sizeof(jans));
    }
    rtn__free(m, j->rec, (size_t)j->reccap * sizeof(jrec));
    rtn__free(m, j->cs, (size_t)j->ncs * sizeof(jcust));
    rtn__free(m, j->spare, sizeof(jans));
    rtn__free(m, j, sizeof(*j));
    ctx->journey = NULL;
}

#define JOURNEY_FORMAT 1u

/* Raw state: the event sums, the objects and the per-customer records. The
 * object accumulators are rebuilt from the objects on load; time to value
 * is a contribution, rebuilt by re-contributing customers. */
int rtn__journey_save(rtn_ctx *ctx, rtn_wr *w)
{
    rtn_journey *j = ctx->journey;
    uint32_t i, k, ci;
    rtn__wr_u32(w, JOURNEY_FORMAT);
    rtn__wr_u32(w, j != NULL);
    if (j == NULL)
        return w->err;
    for (i = 0; sums_of(j, i); i++)
        rtn__fen_save(w, sums_of(j, i));
    rtn__wr_u32(w, j->nobj);
    for (i = 0; i < j->nobj; i++) {
        const jobj *o = &j->obj[i];
        rtn__wr_u32(w, o->ci);
        rtn__wr_u32(w, o->flags);
        for (k = 0; k < 3; k++)
            rtn__wr_i64(w, o->t[k]);
        if (o->flags & OBJ_STRREF) {
            rtn__wr_u32(w, o->reflen);
            rtn__wr_bytes(w, j->refs.p + o->ref, o->reflen);
        } else {
            rtn__wr_u64(w, o->ref);
        }
    }
    rtn__wr_u32(w, j->nrec);
    for (ci = 0; ci < j->ncs; ci++) {
        const jrec *r = rec_find(j, ci);
        if (r == NULL)
            continue;
        rtn__wr_u32(w, ci);
        rtn__wr_u32(w, r->nans);
        for (k = 0; k < r->nans; k++) {
            rtn__wr_i64(w, r->ans[k].time);
            rtn__wr_u32(w, (uint32_t)r->ans[k].type);
            rtn__wr_u32(w, (uint32_t)r->ans[k].score);
        }
    }
    for (ci = 0, k = 0; ci < j->ncs; ci++)
        k += j->cs[ci].cents != 0;
    rtn__wr_u32(w, k);
    for (ci = 0; ci < j->ncs; ci++)
        if (j->cs[ci].cents != 0) {
            rtn__wr_u32(w, ci);
            rtn__wr_u32(w, j->cs[ci].cents);
        }
    return w->err;
}

/* The key of an object of another context (customer index already in j's
 * terms), with the event that names it. */
static void obj_key_of(const jobj *src, const char *refstr, okey *k, rtn_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->ref_str = (src->flags & OBJ_STRREF) ? refstr : NULL;
    ev->ref_len = (src->flags & OBJ_STRREF) ? src->reflen : 0;
    ev->ref = (src->flags & OBJ_STRREF) ? 0 : src->ref;
    okey_make(k, src->ci, src->flags & OBJ_KIND, ev);
}

/* Fold one object (customer index already in dst terms) into j: a known
 * object keeps the earliest time of each event. Must be reserved. */
static void obj_fold(rtn_ctx *ctx, rtn_journey *j, const jobj *src, const char *refstr)
{
    okey k;
    rtn_event ev;
    uint32_t oi, t;
    obj_key_of(src, refstr, &k, &ev);
    oi = obj_find(j, &k);
    if (oi == UINT32_MAX) {
        j->p_change = 2;
        j->p_new = *src;
        j->p_new.next = 0;
        j->p_hash = k.hash;
        obj_commit(ctx, j, &ev);
        return;
    }
    j->p_change = 1;
    j->p_obj = oi;
    j->p_new = j->obj[oi];
    for (t = 0; t < 3; t++)
        if (src->t[t] != NO_TIME && (j->p_new.t[t] == NO_TIME || src->t[t] < j->p_new.t[t]))
            j->p_new.t[t] = src->t[t];
    obj_commit(ctx, j, &ev);
}

/* Reserve room for `nobj` more objects with `bytes` of string refs, and
 * for their accumulator keys. */
static int reserve_objs(rtn_ctx *ctx, rtn_journey *j, uint32_t nobj, uint64_t bytes)
{
    rtn_mem *m = &ctx->mem;
    if (nobj == 0)
        return RTN_OK;
    if (bytes > UINT32_MAX || rtn__arena_reserve(m, &j->refs, (uint32_t)bytes) ||
        rtn__grow(m, (void **)&j->obj, &j->objcap, j->nobj + nobj, sizeof(jobj)) ||
        rtn__pairs_reserve(m, &j->cartp, nobj) || rtn__pairs_reserve(m, &j->abandon, nobj) ||
        rtn__pairs_reserve(m, &j->ttr_hist, nobj))
        return RTN_ENOMEM;
    return oidx_reserve(ctx, j, (uint64_t)j->nobj + nobj);
}

static int reserve_fen_like(rtn_mem *m, rtn_fen *f, const rtn_fen *like)
{
    if (like->n == 0)
        return RTN_OK;
    return rtn__fen_reserve(m, f, like->base) || rtn__fen_reserve(m, f, like->base + like->n - 1)
               ? RTN_ENOMEM
               : RTN_OK;
}

/* Reserve the derived accumulators for every bucket an object may use. */
static int reserve_obj_fens(rtn_ctx *ctx, rtn_journey *j, const jobj *o)
{
    uint32_t t;
    for (t = 0; t < 3; t++) {
        uint32_t b;
        if (o->t[t] == NO_TIME)
            continue;
        b = rtn__bucket(ctx, o->t[t]);
        if (rtn__fen_reserve(&ctx->mem, &j->carts, b) ||
            rtn__fen_reserve(&ctx->mem, &j->opened, b) ||
            rtn__fen_reserve(&ctx->mem, &j->ttr_n, b) ||
            rtn__fen_reserve(&ctx->mem, &j->ttr_sum, b))
            return RTN_ENOMEM;
    }
    return RTN_OK;
}

static int load_fail(rtn_ctx *ctx, int rc)
{
    return rc == RTN_ENOMEM ? RTN_ENOMEM
                            : rtn__fail(ctx, RTN_EFORMAT, "journey section is corrupt");
}

int rtn__journey_load(rtn_ctx *ctx, rtn_rd *r)
{
    rtn_journey *j;
    uint32_t ver = rtn__rd_u32(r), has = rtn__rd_u32(r), i, n, k;
    int rc;
    if (r->err || ver != JOURNEY_FORMAT || has > 1)
        return load_fail(ctx, RTN_EFORMAT);
    if (!has)
        return RTN_OK;
    if ((j = journey_get(ctx)) == NULL)
        return RTN_ENOMEM;
    for (i = 0; sums_of(j, i); i++)
        if ((rc = rtn__fen_load(&ctx->mem, r, sums_of(j, i))))
            return load_fail(ctx, rc);
    n = rtn__rd_u32(r);
    /* The smallest object: ci, flags, 3 times, a 1-byte string ref with its length. */
    if (r->err || (uint64_t)n * 37 > rtn__rd_left(r))
        return load_fail(ctx, RTN_EFORMAT);
    for (i = 0; i < n; i++) {
        jobj o;
        const char *s = NULL;
        memset(&o, 0, sizeof(o));
        o.ci = rtn__rd_u32(r);
        o.flags = rtn__rd_u32(r);
        for (k = 0; k < 3; k++)
            o.t[k] = rtn__rd_i64(r);
        if (o.flags & OBJ_STRREF) {
            o.reflen = rtn__rd_u32(r);
            if (o.reflen == 0 || o.reflen > RTN_ID_MAX)
                return load_fail(ctx, RTN_EFORMAT);
            s = rtn__rd_bytes(r, o.reflen);
        } else {
            o.ref = rtn__rd_u64(r);
        }
        if (r->err || o.ci >= ctx->cust.n || o.flags > 3)
            return load_fail(ctx, RTN_EFORMAT);
        for (k = 0; k < 3; k++)
            if (o.t[k] != NO_TIME &&
                (o.t[k] < 0 || o.t[k] >= RTN_TIME_MAX || o.t[k] + ctx->offset_ms < 0))
                return load_fail(ctx, RTN_EFORMAT);
        if ((o.flags & OBJ_KIND) == OBJ_CONTACT && rec_reserve(ctx, j, o.ci))
            return RTN_ENOMEM;
        if (reserve_objs(ctx, j, 1, o.reflen) || reserve_obj_fens(ctx, j, &o))
            return RTN_ENOMEM;
        obj_fold(ctx, j, &o, s);
    }
    n = rtn__rd_u32(r);
    /* The smallest record: ci and an answer count of 0 (a contact's record). */
    if (r->err || (uint64_t)n * 8 > rtn__rd_left(r))
        return load_fail(ctx, RTN_EFORMAT);
    for (i = 0; i < n; i++) {
        uint32_t ci = rtn__rd_u32(r), na;
        jrec *rec;
        if (r->err || ci >= ctx->cust.n || rec_reserve(ctx, j, ci) != RTN_OK)
            return load_fail(ctx, r->err || ci >= ctx->cust.n ? RTN_EFORMAT : RTN_ENOMEM);
        rec = rec_commit(j, ci);
        na = rtn__rd_u32(r);
        if (r->err || (uint64_t)na * 16 > rtn__rd_left(r))
            return load_fail(ctx, RTN_EFORMAT);
        if (rtn__grow(&ctx->mem, (void **)&rec->ans, &rec->anscap, rec->nans + na, sizeof(jans)))
            return RTN_ENOMEM;
        for (k = 0; k < na; k++) {
            jans a;
            a.time = rtn__rd_i64(r);
            a.type = (int32_t)rtn__rd_u32(r);
            a.score = (int32_t)rtn__rd_u32(r);
            if (r->err || a.time < 0 || a.time >= RTN_TIME_MAX ||
                (a.type == RTN_EV_NPS ? a.score < 0 || a.score > 10
                                      : a.type != RTN_EV_CSAT || a.score < ctx->cfg.csat_min ||
                                            a.score > ctx->cfg.csat_max))
                return load_fail(ctx, RTN_EFORMAT);
            ans_insert(rec, &a);
        }
    }
    n = rtn__rd_u32(r);
    if (r->err || (uint64_t)n * 8 > rtn__rd_left(r))
        return load_fail(ctx, RTN_EFORMAT);
    for (i = 0; i < n; i++) {
        uint32_t ci = rtn__rd_u32(r), cents = rtn__rd_u32(r);
        if (r->err || ci >= ctx->cust.n)
            return load_fail(ctx, RTN_EFORMAT);
        if (cs_reserve(ctx, j, ci))
            return RTN_ENOMEM;
        add_cents(&j->cs[ci], cents);
    }
    return r->err ? load_fail(ctx, RTN_EFORMAT) : RTN_OK;
}

int rtn__journey_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    const rtn_journey *s = src->journey;
    rtn_journey *j;
    rtn_mem *m = &dst->mem;
    uint64_t bytes = 0;
    uint32_t i, k, ci;
    if (s == NULL)
        return RTN_OK;
    if ((j = journey_get(dst)) == NULL)
        return RTN_ENOMEM;
    /* Reserve everything first, so that folding cannot fail. */
    for (i = 0; sums_of(j, i); i++)
        if (reserve_fen_like(m, sums_of(j, i), sums_of((rtn_journey *)(uintptr_t)s, i)))
            return RTN_ENOMEM;
    for (i = 0; i < s->nobj; i++) {
        jobj o = s->obj[i];
        okey key;
        rtn_event ev;
        uint32_t oi;
        o.ci = cmap[o.ci];
        if (o.flags & OBJ_STRREF)
            bytes += o.reflen;
        if (reserve_obj_fens(dst, j, &o) ||
            ((o.flags & OBJ_KIND) == OBJ_CONTACT && rec_reserve(dst, j, o.ci)))
            return RTN_ENOMEM;
        /* Folded into an object of dst, it may join a time of dst's to one
         * of its own (dst's resolve, its open): a time to resolution in a
         * bucket dst's object never used. Its times are reserved too. */
        obj_key_of(&o, (o.flags & OBJ_STRREF) ? s->refs.p + o.ref : NULL, &key, &ev);
        if ((oi = obj_find(j, &key)) != UINT32_MAX && reserve_obj_fens(dst, j, &j->obj[oi]))
            return RTN_ENOMEM;
    }
    if (reserve_objs(dst, j, s->nobj, bytes))
        return RTN_ENOMEM;
    for (ci = 0; ci < s->ncs; ci++) {
        const jrec *sr = rec_find(s, ci);
        if (sr && rec_reserve(dst, j, cmap[ci]))
            return RTN_ENOMEM;
    }
    /* Records are created below before their lists grow: reserve the
     * record slots for all new customers at once. */
    {
        uint32_t fresh = 0;
        for (ci = 0; ci < s->ncs; ci++)
            fresh += rec_find(s, ci) != NULL && j->cs[cmap[ci]].rec == 0;
        for (i = 0; i < s->nobj; i++)
            fresh +=
                (s->obj[i].flags & OBJ_KIND) == OBJ_CONTACT && j->cs[cmap[s->obj[i].ci]].rec == 0;
        if (rtn__grow(m, (void **)&j->rec, &j->reccap, j->nrec + fresh, sizeof(jrec)))
            return RTN_ENOMEM;
    }
    for (ci = 0; ci < s->ncs; ci++) {
        const jrec *sr = rec_find(s, ci);
        jrec *w;
        if (sr == NULL)
            continue;
        /* A record created here is empty until the fold, and an empty
         * record changes no result, so failing after it is harmless. */
        w = rec_commit(j, cmap[ci]);
        if (rtn__grow(m, (void **)&w->ans, &w->anscap, w->nans + sr->nans, sizeof(jans)))
            return RTN_ENOMEM;
    }
    for (ci = 0; ci < s->ncs; ci++)
        if (s->cs[ci].cents && cs_reserve(dst, j, cmap[ci]))
            return RTN_ENOMEM;
    /* Fold. */
    for (i = 0; sums_of(j, i); i++)
        rtn__fen_add_values(sums_of(j, i), sums_of((rtn_journey *)(uintptr_t)s, i));
    for (i = 0; i < s->nobj; i++) {
        jobj o = s->obj[i];
        o.ci = cmap[o.ci];
        obj_fold(dst, j, &o, (o.flags & OBJ_STRREF) ? s->refs.p + o.ref : NULL);
    }
    for (ci = 0; ci < s->ncs; ci++) {
        const jrec *sr = rec_find(s, ci);
        jrec *w;
        if (sr == NULL)
            continue;
        w = &j->rec[j->cs[cmap[ci]].rec - 1];
        for (k = 0; k < sr->nans; k++)
            ans_insert(w, &sr->ans[k]);
    }
    for (ci = 0; ci < s->ncs; ci++)
        if (s->cs[ci].cents)
            add_cents(&j->cs[cmap[ci]], s->cs[ci].cents);
    return RTN_OK;
}

/* ---- deep copy and contributions for merge ---------------------------------------- */

int rtn__journey_clone(rtn_ctx *dst, const rtn_ctx *src)
{
    rtn_journey *s = src->journey, *j;
    rtn_mem *m = &dst->mem;
    rtn_fen *dfen[18], *sfen[18];
    rtn_pairs *dp[4], *sp[4];
    size_t i, nf = 0;
    dst->journey = NULL;
    if (s == NULL)
        return RTN_OK;
    if ((j = rtn__calloc(m, sizeof(*j))) == NULL)
        return RTN_ENOMEM;
    dst->journey = j;
    for (i = 0; sums_of(j, i); i++, nf++) {
        dfen[nf] = sums_of(j, i);
        sfen[nf] = sums_of(s, i);
    }
    dfen[nf] = &j->carts, sfen[nf++] = &s->carts;
    dfen[nf] = &j->opened, sfen[nf++] = &s->opened;
    dfen[nf] = &j->ttr_n, sfen[nf++] = &s->ttr_n;
    dfen[nf] = &j->ttr_sum, sfen[nf++] = &s->ttr_sum;
    dp[0] = &j->cartp, sp[0] = &s->cartp;
    dp[1] = &j->abandon, sp[1] = &s->abandon;
    dp[2] = &j->ttr_hist, sp[2] = &s->ttr_hist;
    dp[3] = &j->ttv, sp[3] = &s->ttv;
    for (i = 0; i < nf; i++)
        if (rtn__fen_clone(m, dfen[i], sfen[i]))
            return RTN_ENOMEM;
    for (i = 0; i < 4; i++)
        if (rtn__pairs_clone(m, dp[i], sp[i]))
            return RTN_ENOMEM;
    if (rtn__dup(m, (void **)&j->obj, s->obj, (size_t)s->objcap * sizeof(jobj)))
        return RTN_ENOMEM;
    if (j->obj) {
        j->objcap = s->objcap;
        j->nobj = s->nobj;
    }
    if (rtn__dup(m, (void **)&j->oidx, s->oidx, (size_t)s->oicap * sizeof(uint32_t)))
        return RTN_ENOMEM;
    j->oicap = j->oidx ? s->oicap : 0;
    if (rtn__arena_clone(m, &j->refs, &s->refs) ||
        rtn__dup(m, (void **)&j->cs, s->cs, (size_t)s->ncs * sizeof(jcust)))
        return RTN_ENOMEM;
    j->ncs = j->cs ? s->ncs : 0;
    /* Records past nrec hold no list; each list is copied after the
     * record is counted, from a cleared pointer. */
    if (s->reccap) {
        if ((j->rec = rtn__calloc(m, (size_t)s->reccap * sizeof(jrec))) == NULL)
            return RTN_ENOMEM;
        j->reccap = s->reccap;
        for (i = 0; i < s->nrec; i++) {
            jrec *r = &j->rec[i];
            *r = s->rec[i];
            r->ans = NULL;
            r->anscap = 0;
            j->nrec = (uint32_t)i + 1;
            if (rtn__dup(m, (void **)&r->ans, s->rec[i].ans,
                         (size_t)s->rec[i].anscap * sizeof(jans)))
                return RTN_ENOMEM;
            if (r->ans)
                r->anscap = s->rec[i].anscap;
        }
    }
    return RTN_OK;
}

/* Time to value is the module's only contribution accumulator. */
int rtn__journey_add_contrib(rtn_ctx *dst, const rtn_ctx *src)
{
    const rtn_journey *s = src->journey;
    rtn_journey *j;
    if (s == NULL || s->ttv.used == 0)
        return RTN_OK;
    if ((j = journey_get(dst)) == NULL)
        return RTN_ENOMEM;
    return rtn__pairs_add_all(&dst->mem, &j->ttv, &s->ttv);
}
