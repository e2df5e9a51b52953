/*
 * push.c: the event path. An event is validated, turned into changes of
 * its customer's day entries and of the period sums, prepared (may fail,
 * changes nothing) and committed (cannot fail).
 */
#include "internal.h"

#include <string.h>

/* The event path and the batch look-ahead stages run for every event:
 * inline into the batch loop. */
#if defined(__GNUC__)
#define BATCH_INLINE __attribute__((always_inline)) inline
#else
#define BATCH_INLINE inline
#endif

static const char *const type_names[] = {
    NULL, "acquire", "churn", "purchase", "return", "subscription", "activity",
    "feature", "page_view", "share", "visit", "conversion", "cart_create",
    "cart_checkout", "contact_open", "contact_resolve", "contact_abandon",
    "nps", "csat", "ces"};

#define RTN_NTYPES ((int)(sizeof(type_names) / sizeof(type_names[0])))
/* Largest money amount accepted: its scaled sum stays far from int64 limits. */
#define RTN_AMOUNT_MAX 1e12
#define RTN_QUANTITY_MAX 1000000000

int rtn__event_type_count(void)
{
    return RTN_NTYPES - 1;
}

const char *rtn_event_type_name(int type)
{
    return type > 0 && type < RTN_NTYPES ? type_names[type] : NULL;
}

int rtn_event_type_from_name(const char *name)
{
    int i;
    if (name == NULL)
        return RTN_ETYPE;
    for (i = 1; i < RTN_NTYPES; i++)
        if (strcmp(name, type_names[i]) == 0)
            return i;
    return RTN_ETYPE;
}

int rtn_event_init(rtn_event *ev, uint32_t size)
{
    if (ev == NULL || size != sizeof(rtn_event))
        return RTN_EINVAL;
    memset(ev, 0, sizeof(*ev));
    ev->size = size;
    return RTN_OK;
}

static int check_score(rtn_ctx *ctx, const rtn_event *ev)
{
    double v = ev->value;
    int lo, hi;
    const char *what;
    switch (ev->type) {
    case RTN_EV_NPS: lo = 0; hi = 10; what = "NPS"; break;
    case RTN_EV_CSAT: lo = ctx->cfg.csat_min; hi = ctx->cfg.csat_max; what = "CSAT"; break;
    case RTN_EV_CES: lo = ctx->cfg.ces_min; hi = ctx->cfg.ces_max; what = "CES"; break;
    default: return RTN_OK;
    }
    if (!isfinite(v) || v != floor(v) || v < lo || v > hi)
        return rtn__fail(ctx, RTN_ESCORE, "%s score %g is not an integer in %d..%d", what, v, lo, hi);
    return RTN_OK;
}

/* What an event type's value and quantity must be: an amount of money, a
 * count of items, a survey score (check_score knows its scale). Types with
 * none of these are done after the common checks. */
enum { CK_MONEY = 1, CK_QUANTITY = 2, CK_SCORE = 4 };
static const unsigned char type_checks[RTN_NTYPES] = {
    [RTN_EV_PURCHASE] = CK_MONEY | CK_QUANTITY,
    [RTN_EV_RETURN] = CK_MONEY | CK_QUANTITY,
    [RTN_EV_SUBSCRIPTION] = CK_MONEY,
    [RTN_EV_NPS] = CK_SCORE,
    [RTN_EV_CSAT] = CK_SCORE,
    [RTN_EV_CES] = CK_SCORE,
};

/* What is wrong with an event, or FAULT_SCORE for a survey score (whose
 * scale check_score knows), or 0: the checks once, inline in the event
 * path; event_fail turns a fault into its error and message. */
enum {
    FAULT_SIZE = 1, FAULT_TYPE, FAULT_TIME, FAULT_ID_LEN, FAULT_ID_ORPHAN, FAULT_REF,
    FAULT_AMOUNT, FAULT_QUANTITY, FAULT_SCORE
};
static BATCH_INLINE int event_fault(const rtn_ctx *ctx, const rtn_event *ev)
{
    unsigned checks;
    if (ev->size != sizeof(rtn_event))
        return FAULT_SIZE;
    if (ev->type <= 0 || ev->type >= RTN_NTYPES)
        return FAULT_TYPE;
    if (ev->time < 0 || ev->time >= RTN_TIME_MAX || ev->time + ctx->offset_ms < 0)
        return FAULT_TIME;
    if (ev->customer_str && (ev->customer_len == 0 || ev->customer_len > RTN_ID_MAX))
        return FAULT_ID_LEN;
    if (!ev->customer_str && ev->customer_len)
        return FAULT_ID_ORPHAN;
    if ((ev->ref_str && ev->ref_len > RTN_ID_MAX) || (!ev->ref_str && ev->ref_len))
        return FAULT_REF;
    checks = type_checks[ev->type];
    if (!checks)
        return 0; /* most events: nothing more to check */
    if ((checks & CK_MONEY) &&
        (!isfinite(ev->value) || ev->value < 0 || ev->value > RTN_AMOUNT_MAX))
        return FAULT_AMOUNT;
    if ((checks & CK_QUANTITY) && (ev->quantity < 0 || ev->quantity > RTN_QUANTITY_MAX))
        return FAULT_QUANTITY;
    return (checks & CK_SCORE) ? FAULT_SCORE : 0;
}

/* The error of an event's fault (from event_fault), with its message. */
static int event_fail(rtn_ctx *ctx, const rtn_event *ev, int fault)
{
    switch (fault) {
    case FAULT_SIZE:
        return rtn__fail(ctx, RTN_EINVAL, "event size %u: initialise events with rtn_event_init",
                         (unsigned)ev->size);
    case FAULT_TYPE:
        return rtn__fail(ctx, RTN_ETYPE, "unknown event type %d", (int)ev->type);
    case FAULT_TIME:
        return rtn__fail(ctx, RTN_ETIME, "event time %lld ms is outside 1970..2199",
                         (long long)ev->time);
    case FAULT_ID_LEN:
        return rtn__fail(ctx, RTN_EID, "customer id of %u bytes (1..%d allowed)",
                         (unsigned)ev->customer_len, RTN_ID_MAX);
    case FAULT_ID_ORPHAN:
        return rtn__fail(ctx, RTN_EID, "customer_len set without customer_str");
    case FAULT_REF:
        return rtn__fail(ctx, RTN_EID, "invalid reference id (%u bytes)", (unsigned)ev->ref_len);
    case FAULT_AMOUNT:
        return rtn__fail(ctx, RTN_EAMOUNT, "%s amount %g is not a finite number in 0..1e12",
                         rtn_event_type_name(ev->type), ev->value);
    case FAULT_QUANTITY:
        return rtn__fail(ctx, RTN_EQUANTITY, "quantity %lld outside 0..%d",
                         (long long)ev->quantity, RTN_QUANTITY_MAX);
    case FAULT_SCORE:
        return check_score(ctx, ev);
    default:
        return RTN_OK;
    }
}

static int has_ref(const rtn_event *ev)
{
    return ev->ref_str ? ev->ref_len > 0 : ev->ref != 0;
}

int64_t rtn__money(double v)
{
    return (int64_t)llround(v * RTN_MONEY_SCALE);
}

static int64_t quantity(const rtn_event *ev)
{
    return ev->quantity == 0 ? 1 : ev->quantity;
}

/* The flags an event sets on its bucket's entry. */
static uint32_t entry_flags(const rtn_event *ev)
{
    switch (ev->type) {
    case RTN_EV_ACQUIRE:
    case RTN_EV_ACTIVITY:
    case RTN_EV_PURCHASE: return RTN_E_ANY | RTN_E_START;
    case RTN_EV_SUBSCRIPTION: return ev->value > 0 ? RTN_E_ANY | RTN_E_START : RTN_E_ANY;
    case RTN_EV_CHURN: return RTN_E_ANY | RTN_E_CHURN;
    default: return RTN_E_ANY;
    }
}

/* The entry flags, and the period sums of the core tables. */
static int core_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t b)
{
    rtn_core *c = &ctx->core;
    rtn_mem *m = &ctx->mem;
    int rc = RTN_OK;
    switch (ev->type) {
    case RTN_EV_ACQUIRE:
        if (has_ref(ev))
            ctx->pend.set_cflags |= RTN_CF_REFERRED;
        break;
    case RTN_EV_PURCHASE:
        if ((rc = rtn__fen_reserve(m, &c->purchases, b)) || (rc = rtn__fen_reserve(m, &c->revenue, b)) ||
            (rc = rtn__fen_reserve(m, &c->items_sold, b)))
            return rc;
        break;
    case RTN_EV_RETURN:
        if ((rc = rtn__fen_reserve(m, &c->items_returned, b)))
            return rc;
        break;
    default:
        break;
    }
    return rtn__pending_mod(ctx, b, entry_flags(ev), 0, ev->type == RTN_EV_PURCHASE ? 1 : 0);
}

static void core_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t b)
{
    rtn_core *c = &ctx->core;
    if (ev->type == RTN_EV_PURCHASE) {
        rtn__fen_add(&c->purchases, b, 1);
        rtn__fen_add(&c->revenue, b, rtn__money(ev->value));
        rtn__fen_add(&c->items_sold, b, quantity(ev));
    } else if (ev->type == RTN_EV_RETURN) {
        rtn__fen_add(&c->items_returned, b, quantity(ev));
    }
}

void rtn__pending_begin(rtn_ctx *ctx, const rtn_ckey *key)
{
    rtn__pending_begin_at(ctx, key, rtn__ctab_find(&ctx->cust, key));
}

void rtn__pending_begin_at(rtn_ctx *ctx, const rtn_ckey *key, uint32_t ci)
{
    rtn_pending *p = &ctx->pend;
    p->ci = ci;
    p->is_new = p->ci == UINT32_MAX;
    /* Only a new customer's key is used (to insert it). */
    if (p->is_new) {
        p->key = *key;
        p->ci = ctx->cust.n;
    }
    p->nmods = 0;
    p->set_cflags = 0;
    p->changed = 0;
}

/* The modules an event type concerns besides the core: a module is
 * prepared and committed only for them (each also checks the type itself).
 * The journey module also takes the configured value event. */
enum { M_ENGAGE = 1, M_JOURNEY = 2, M_REVENUE = 4, M_COUNT = 8, M_FLAGS = 16 };
/* M_COUNT: all the journey module does with the event is count it per
 * bucket (rtn__journey_counter), which the event path does itself.
 * M_FLAGS: all the core does with the event is set its entry's flags (no
 * period sum, no customer flag), and the event's modules (the engage or
 * journey one, never the revenue one) change no entry but to set the
 * value flag of the value event; so an event whose entry has its flags
 * already changes no entry, and one of a later bucket appends one (see
 * push_tail). */
static const unsigned char type_mods[RTN_NTYPES] = {
    [RTN_EV_CHURN] = M_FLAGS,
    [RTN_EV_ACTIVITY] = M_FLAGS,
    [RTN_EV_PURCHASE] = M_JOURNEY,
    [RTN_EV_SUBSCRIPTION] = M_REVENUE,
    [RTN_EV_FEATURE] = M_ENGAGE | M_FLAGS,
    [RTN_EV_PAGE_VIEW] = M_COUNT | M_FLAGS,
    [RTN_EV_SHARE] = M_COUNT | M_FLAGS,
    [RTN_EV_VISIT] = M_COUNT | M_FLAGS,
    [RTN_EV_CONVERSION] = M_COUNT | M_FLAGS,
    [RTN_EV_CART_CREATE] = M_JOURNEY | M_FLAGS,
    [RTN_EV_CART_CHECKOUT] = M_JOURNEY | M_FLAGS,
    [RTN_EV_CONTACT_OPEN] = M_JOURNEY | M_FLAGS,
    [RTN_EV_CONTACT_RESOLVE] = M_JOURNEY | M_FLAGS,
    [RTN_EV_CONTACT_ABANDON] = M_JOURNEY | M_FLAGS,
    [RTN_EV_NPS] = M_JOURNEY | M_FLAGS,
    [RTN_EV_CSAT] = M_JOURNEY | M_FLAGS,
    [RTN_EV_CES] = M_JOURNEY | M_FLAGS,
};

/* The type of the value event. */
static int value_type(const rtn_ctx *ctx)
{
    return ctx->cfg.value_event == RTN_VALUE_DEFAULT ? RTN_EV_FEATURE : ctx->cfg.value_event;
}

/* The modules of a (valid) event; vt: value_type(ctx). The value event
 * goes through the journey module (and then so does its count, if it has
 * one), which sets its entry's value flag. */
static unsigned event_mods(const rtn_event *ev, int vt)
{
    unsigned m = type_mods[ev->type];
    return ev->type == vt ? (m & ~(unsigned)M_COUNT) | M_JOURNEY : m;
}

/* *count: the journey count to add 1 to at commit (M_COUNT), else NULL. */
static int prepare(rtn_ctx *ctx, const rtn_event *ev, const rtn_ckey *key, uint32_t ci,
                   uint32_t b, unsigned mods, rtn_fen **count)
{
    int rc;
    rtn__pending_begin_at(ctx, key, ci);
    *count = NULL;
    if ((rc = core_prepare(ctx, ev, b)) ||
        ((mods & M_ENGAGE) && (rc = rtn__engage_prepare(ctx, ev, b))) ||
        ((mods & M_JOURNEY) && (rc = rtn__journey_prepare(ctx, ev, b))) ||
        ((mods & M_REVENUE) && (rc = rtn__revenue_prepare(ctx, ev, b))))
        return rc;
    if ((mods & M_COUNT) &&
        ((*count = rtn__journey_counter(ctx, ev->type)) == NULL || rtn__fen_reserve(&ctx->mem, *count, b)))
        return RTN_ENOMEM;
    return rtn__pending_prepare(ctx);
}

/* Whether the event's customer id is valid (its bytes may be read). */
static int id_valid(const rtn_event *ev)
{
    return ev->customer_str ? ev->customer_len > 0 && ev->customer_len <= RTN_ID_MAX
                            : ev->customer_len == 0;
}

/* The customer key of an event, without its hash; 0 when the event's id is
 * not valid (the key is then not set). */
static int event_key(const rtn_event *ev, rtn_ckey *key)
{
    if (!id_valid(ev))
        return 0;
    key->id = ev->customer_str ? 0 : ev->customer;
    key->s = ev->customer_str;
    key->len = ev->customer_str ? ev->customer_len : 0;
    key->hash = 0;
    return 1;
}

static void key_hash(rtn_ckey *key)
{
    if (key->s)
        rtn__ckey_str(key, key->s, key->len);
    else
        rtn__ckey_num(key, key->id);
}

/* What an event that only sets its entry's flags (M_FLAGS) does to
 * customer ci's entries, when it is simple: TAIL_HAS, the last entry is of
 * its bucket b and has the flags (nothing changes); TAIL_APPEND, the last
 * entry is of an earlier bucket and the customer is dirty since the last
 * fold (a new entry is appended, rtn__cust_append; a customer is dirty
 * only without a memory cap, under which every change is applied at
 * once); else TAIL_OTHER (the pending change decides). */
enum { TAIL_OTHER, TAIL_HAS, TAIL_APPEND };
static BATCH_INLINE int tail_kind(const rtn_ctx *ctx, uint32_t ci, uint32_t b, uint32_t flags)
{
    const rtn_cust *c = &ctx->cust.c[ci];
    uint64_t e;
    uint32_t last;
    if (c->n == 0)
        return TAIL_OTHER;
    e = c->ent[c->n - 1];
    last = rtn__e_bucket(e);
    if (last == b)
        return (rtn__e_flags(e) & flags) == flags ? TAIL_HAS : TAIL_OTHER;
    return last < b && (rtn__cust_flags(c) & RTN_CF_DIRTY) ? TAIL_APPEND : TAIL_OTHER;
}

/* The context's event count and time span take a pushed event. */
static BATCH_INLINE void event_counted(rtn_ctx *ctx, const rtn_event *ev)
{
    if (ctx->events == 0 || ev->time < ctx->first_time)
        ctx->first_time = ev->time;
    if (ctx->events == 0 || ev->time > ctx->last_time)
        ctx->last_time = ev->time;
    ctx->events++;
}

/* An event whose core part only sets its entry's flags (M_FLAGS), of a
 * known customer ci, in the simple cases of tail_kind: its modules' parts
 * (a feature's use, a cart or contact, a survey answer, a count) are
 * prepared, the entry appended when it is new, and the parts committed,
 * without the pending change, whose work would change nothing else (a
 * page view on a day the customer has an entry for, say, changes no
 * entry). 1: pushed; 0: not so simple, or a part refused (nothing changed
 * but reservations): the general path decides, and reports any error. */
static BATCH_INLINE int push_tail(rtn_ctx *ctx, const rtn_event *ev, const rtn_ckey *key, uint32_t ci,
                                  uint32_t b, unsigned mods, int vt)
{
    uint32_t flags = entry_flags(ev) | (ev->type == vt ? RTN_E_VALUE : 0u);
    int kind = tail_kind(ctx, ci, b, flags);
    rtn_fen *count = NULL;
    if (kind == TAIL_OTHER)
        return 0;
    rtn__pending_begin_at(ctx, key, ci);
    if (((mods & M_ENGAGE) && rtn__engage_prepare(ctx, ev, b)) ||
        ((mods & M_JOURNEY) && rtn__journey_prepare(ctx, ev, b)) ||
        ((mods & M_COUNT) &&
         ((count = rtn__journey_counter(ctx, ev->type)) == NULL || rtn__fen_reserve(&ctx->mem, count, b))) ||
        (kind == TAIL_APPEND && rtn__cust_append(ctx, &ctx->cust.c[ci], rtn__e_make(b, 0, flags)) != RTN_OK))
        return 0;
    /* The journey module's value flag (a pending entry change, not made)
     * is among the entry's flags. */
    ctx->last_ci = ci;
    if (mods & M_ENGAGE)
        rtn__engage_commit(ctx, ev, b);
    if (mods & M_JOURNEY)
        rtn__journey_commit(ctx, ev, b);
    if (count)
        rtn__fen_add(count, b, 1);
    event_counted(ctx, ev);
    return 1;
}

/* `made`: the event's key when the caller made it (a batch's look-ahead),
 * with its hash when `hashed`; NULL: made here. `known`: the record of the
 * event's customer when the caller knows it (the previous event of a
 * batch had the same id), else UINT32_MAX. `vt`: value_type(ctx). */
static BATCH_INLINE int push_one(rtn_ctx *ctx, const rtn_event *ev, const rtn_ckey *made, int hashed,
                                 uint32_t known, int vt)
{
    rtn_ckey own;
    const rtn_ckey *key = made;
    uint32_t b, ci;
    unsigned mods;
    rtn_fen *count;
    int rc, again;
    if ((rc = event_fault(ctx, ev)) != 0 && (rc = event_fail(ctx, ev, rc)) != RTN_OK)
        return rc;
    b = rtn__bucket(ctx, ev->time);
    if (key == NULL) {
        event_key(ev, &own);
        key = &own;
        hashed = 0;
    }
    /* Events of one customer often come together: the last customer pushed
     * is compared first, without hashing the id. */
    if (known < ctx->cust.n) {
        ci = known;
    } else if (ctx->last_ci < ctx->cust.n && rtn__ctab_is(&ctx->cust, ctx->last_ci, key)) {
        ci = ctx->last_ci;
    } else {
        if (!hashed) {
            if (key != &own)
                own = *key; /* the caller's key is const: hashed in a copy */
            key_hash(&own);
            key = &own;
        }
        ci = rtn__ctab_find(&ctx->cust, key);
    }
    mods = event_mods(ev, vt);
    /* The commonest events (a customer's second page view of a day, say,
     * or a feature used on a later day) only set their flags on the
     * customer's last entry, or on a new one after it, and do their
     * modules' parts: push_tail. */
    if ((mods & M_FLAGS) && ci < ctx->cust.n && push_tail(ctx, ev, key, ci, b, mods, vt))
        return RTN_OK;
    for (again = 1;; again = 0) {
        rc = prepare(ctx, ev, key, ci, b, mods, &count);
        /* Entries saved for the next fold hold memory: fold them and try
         * again (once) before giving up. */
        if (rc != RTN_ENOMEM || !again || !ctx->ndirty || rtn__fold(ctx) != RTN_OK)
            break;
        rtn__fold_release(ctx);
    }
    if (rc) {
        if (rc == RTN_ENOMEM)
            rtn__fail(ctx, rc, "out of memory (or over the memory cap of %llu bytes) pushing an event",
                      (unsigned long long)ctx->mem.cap);
        return rc;
    }
    if (ctx->pend.changed)
        rtn__pending_commit(ctx);
    if (ctx->pend.ci < ctx->cust.n)
        ctx->last_ci = ctx->pend.ci;
    core_commit(ctx, ev, b);
    if (mods & M_ENGAGE)
        rtn__engage_commit(ctx, ev, b);
    if (mods & M_JOURNEY)
        rtn__journey_commit(ctx, ev, b);
    if (mods & M_REVENUE)
        rtn__revenue_commit(ctx, ev, b);
    if (count)
        rtn__fen_add(count, b, 1);
    event_counted(ctx, ev);
    return RTN_OK;
}

int rtn_push(rtn_ctx *ctx, const rtn_event *ev)
{
    if (ctx == NULL)
        return RTN_EINVAL;
    if (ev == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "event is NULL");
    return push_one(ctx, ev, NULL, 0, UINT32_MAX, value_type(ctx));
}

/* A batch looks ahead. LA_ID events before its turn, an event's customer
 * id bytes and ref bytes are requested; LA_HASH before, the id is hashed
 * and the index slot requested; LA_SLOT before, the slot is read and the
 * customer's record requested, with the index slot of the module state the
 * event's type looks up (a feature's use, a cart or contact, a
 * subscriber); LA_REC before, the record is read and its last entries and
 * id bytes requested, with the module state the slot names. By its turn,
 * the event finds its memory in the cache instead of waiting for it one
 * miss after another. It is all hints: nothing is changed. An event of the
 * previous event's customer needs no lookup of its own. */
#define LA_ID 16
#define LA_HASH 12
#define LA_SLOT 8
#define LA_REC 4
#define LA_RING 16 /* a power of two above LA_HASH */

static BATCH_INLINE void la_id(const rtn_event *ev)
{
    if (ev->customer_str && id_valid(ev))
        RTN_PREFETCH(ev->customer_str);
    /* A ref names a feature, cart, contact or subscription to look up. */
    if (ev->ref_str && ev->ref_len)
        RTN_PREFETCH(ev->ref_str);
}

typedef struct la_slot {
    rtn_ckey key;
    const uint64_t *ent; /* the last entry asked for */
    uint32_t rec;   /* record + 1, 0: none known */
    rtn_ahead mslot; /* a module's index slot asked for (slot1 0: none) */
    int mod;        /* which module: the event's type */
    int valid;      /* key holds the event's customer */
    int hashed;     /* and its hash */
} la_slot;

static const rtn_event *batch_at(const rtn_event *evs, size_t i)
{
    return evs + i;
}

static BATCH_INLINE void la_hash(la_slot *ring, const rtn_ctx *ctx, const rtn_event *evs, size_t j)
{
    la_slot *s = &ring[j % LA_RING];
    const la_slot *ps = j ? &ring[(j - 1) % LA_RING] : NULL;
    const rtn_ckey *prev = ps && ps->valid ? &ps->key : NULL;
    const rtn_ctab *t = &ctx->cust;
    s->hashed = 0;
    s->rec = 0;
    if (!(s->valid = event_key(batch_at(evs, j), &s->key)))
        return;
    /* The previous event's customer: its lookup serves this one. */
    if (prev && prev->len == s->key.len && prev->id == s->key.id && (prev->s == NULL) == (s->key.s == NULL) &&
        (prev->s == s->key.s || rtn__bytes_eq(prev->s, s->key.s, s->key.len)))
        return;
    key_hash(&s->key);
    s->hashed = 1;
    if (t->icap)
        RTN_PREFETCH(&t->idx[(uint32_t)s->key.hash & (t->icap - 1)]);
}

/* The customer's record (an event of the previous event's customer takes
 * its record), then the module state the event's type will look up. */
static BATCH_INLINE void la_slot_read(la_slot *ring, const rtn_ctx *ctx, const rtn_event *evs, size_t j)
{
    la_slot *s = &ring[j % LA_RING];
    const rtn_ctab *t = &ctx->cust;
    const rtn_event *ev = batch_at(evs, j);
    s->mod = 0;
    s->mslot.slot1 = 0;
    if (s->hashed && t->icap) {
        /* The first record whose tag agrees: almost always the customer. */
        uint32_t i = (uint32_t)s->key.hash & (t->icap - 1);
        if ((s->rec = rtn__ctab_probe(t, s->key.hash, &i)) != 0)
            RTN_PREFETCH(&t->c[s->rec - 1]);
    } else if (s->valid && !s->hashed && j > 0) {
        s->rec = ring[(j - 1) % LA_RING].rec;
    }
    if (s->rec == 0)
        return;
    s->mod = ev->type;
    switch (ev->type) {
    case RTN_EV_FEATURE: s->mslot = rtn__engage_ahead(ctx, ev, s->rec - 1); break;
    case RTN_EV_SUBSCRIPTION: s->mslot = rtn__revenue_ahead(ctx, ev, s->rec - 1); break;
    case RTN_EV_CART_CREATE:
    case RTN_EV_CART_CHECKOUT:
    case RTN_EV_CONTACT_OPEN:
    case RTN_EV_CONTACT_RESOLVE:
    case RTN_EV_CONTACT_ABANDON: s->mslot = rtn__journey_ahead(ctx, ev, s->rec - 1); break;
    default: break;
    }
}

/* It records what it asked for: a function that only prefetches counts as
 * pure to the compiler, and its calls would be dropped. */
static BATCH_INLINE void la_rec_read(la_slot *s, const rtn_ctx *ctx)
{
    const rtn_ctab *t = &ctx->cust;
    const rtn_cust *c;
    if (s->mslot.slot1) {
        if (s->mod == RTN_EV_FEATURE)
            rtn__engage_ahead2(ctx, s->mslot);
        else if (s->mod == RTN_EV_SUBSCRIPTION)
            rtn__revenue_ahead2(ctx, s->mslot);
        else
            rtn__journey_ahead2(ctx, s->mslot);
    }
    if (!s->hashed || s->rec == 0 || s->rec > t->n)
        return;
    c = &t->c[s->rec - 1];
    s->ent = c->n ? c->ent + c->n - 1 : NULL;
    if (s->ent)
        RTN_PREFETCH(s->ent);
    if (rtn__cust_flags(c) & RTN_CF_STRID)
        RTN_PREFETCH(t->ids.p + c->key);
}

int rtn_push_batch(rtn_ctx *ctx, const rtn_event *evs, size_t n, size_t *accepted)
{
    la_slot ring[LA_RING];
    size_t i, j;
    uint32_t prev = UINT32_MAX; /* the record of the previous event's customer */
    int rc = RTN_OK, vt;
    if (accepted)
        *accepted = 0;
    if (ctx == NULL)
        return RTN_EINVAL;
    if (n == 0)
        return RTN_OK;
    if (evs == NULL)
        return rtn__fail(ctx, RTN_EINVAL, "events array is NULL");
    if (evs[0].size != sizeof(rtn_event))
        return rtn__fail(ctx, RTN_EINVAL, "event size %u: initialise events with rtn_event_init",
                         (unsigned)evs[0].size);
    vt = value_type(ctx);
    for (j = 0; j < n && j < LA_HASH; j++)
        la_hash(ring, ctx, evs, j);
    for (j = 0; j < n && j < LA_SLOT; j++)
        la_slot_read(ring, ctx, evs, j);
    for (j = 0; j < n && j < LA_REC; j++)
        la_rec_read(&ring[j % LA_RING], ctx);
    for (j = LA_HASH; j < n && j < LA_ID; j++)
        la_id(batch_at(evs, j));
    for (i = 0; i < n; i++) {
        const la_slot *s = &ring[i % LA_RING];
        if (i + LA_ID < n)
            la_id(batch_at(evs, i + LA_ID));
        if (i + LA_HASH < n)
            la_hash(ring, ctx, evs, i + LA_HASH);
        if (i + LA_SLOT < n)
            la_slot_read(ring, ctx, evs, i + LA_SLOT);
        if (i + LA_REC < n)
            la_rec_read(&ring[(i + LA_REC) % LA_RING], ctx);
        /* Valid and not hashed: the previous event's customer, whose push
         * (it succeeded, or the batch would have stopped) found its record. */
        if ((rc = push_one(ctx, batch_at(evs, i), s->valid ? &s->key : NULL, s->hashed,
                           s->valid && !s->hashed ? prev : UINT32_MAX, vt)))
            break;
        prev = ctx->pend.ci < ctx->cust.n ? ctx->pend.ci : UINT32_MAX;
    }
    if (accepted)
        *accepted = i;
    return rc;
}
