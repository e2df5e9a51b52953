/*
 * internal.h: the context's private layout and the helpers every module
 * shares (memory, Fenwick trees, pair stores, customer table, contributions).
 * Nothing here is exported; only include/retention.h is the ABI.
 */
#ifndef RTN_INTERNAL_H
#define RTN_INTERNAL_H

#include "retention.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RTN_UNUSED(x) ((void)(x))
/* Loads of 4 and 8 bytes from any address. */
static inline uint32_t rtn__load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t rtn__load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Byte equality for ids, which are short: from 4 bytes on, two loads from
 * each end (overlapping, never past n), which costs less than a call or a
 * loop. */
static inline int rtn__bytes_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i;
    if (n >= 8) {
        if (n > 16)
            return memcmp(a, b, n) == 0;
        return rtn__load64(x) == rtn__load64(y) && rtn__load64(x + n - 8) == rtn__load64(y + n - 8);
    }
    if (n >= 4)
        return rtn__load32(x) == rtn__load32(y) && rtn__load32(x + n - 4) == rtn__load32(y + n - 4);
    for (i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

#if defined(__GNUC__)
#define RTN_PREFETCH(p) __builtin_prefetch(p)
#else
#define RTN_PREFETCH(p) ((void)(p))
#endif

/* ---- time ---------------------------------------------------------------- */

#define RTN_MS_PER_HOUR INT64_C(3600000)
#define RTN_MS_PER_DAY INT64_C(86400000)
/* Accepted event times: 1970-01-01 .. 2200-01-01 (exclusive). */
#define RTN_TIME_MAX INT64_C(7258118400000)
/* Buckets are stored +1 in pair stores so 0 means "none before". */
#define RTN_NONE_BEFORE 0u
#define RTN_NONE_AFTER UINT32_MAX

/* ---- memory -------------------------------------------------------------- */

typedef struct rtn_mem {
    rtn_allocator a;
    uint64_t used;  /* bytes currently held */
    uint64_t cap;   /* 0 = unlimited */
} rtn_mem;

void *rtn__alloc(rtn_mem *m, size_t size);
void *rtn__calloc(rtn_mem *m, size_t size);
/* Resize a block of `old` bytes to `size`. On failure the block is intact. */
void *rtn__realloc(rtn_mem *m, void *p, size_t old, size_t size);
void rtn__free(rtn_mem *m, void *p, size_t size);
/* Grow an array so it holds at least `need` elements of `elem` bytes. */
int rtn__grow(rtn_mem *m, void **p, uint32_t *cap, uint32_t need, size_t elem);
/* *out = a copy of `size` bytes at p (NULL when p is NULL or size is 0). */
int rtn__dup(rtn_mem *m, void **out, const void *p, size_t size);

/* ---- sums per bucket over a growable range (values and block sums) ------ */

typedef struct rtn_fen {
    int64_t *t;     /* n bucket values, then sums of blocks of 64 and 4096 */
    uint32_t base;  /* first bucket covered */
    uint32_t n;     /* buckets covered: [base, base + n) */
} rtn_fen;

/* Make the sums cover `bucket`; may reallocate. Contents unchanged. The
 * covered case (almost every event) is inline; rtn__fen_grow grows. */
int rtn__fen_grow(rtn_mem *m, rtn_fen *f, uint32_t bucket);
static inline int rtn__fen_reserve(rtn_mem *m, rtn_fen *f, uint32_t bucket)
{
    if (f->n != 0 && bucket >= f->base && bucket - f->base < f->n)
        return RTN_OK;
    return rtn__fen_grow(m, f, bucket);
}
/* Add to a covered bucket. */
void rtn__fen_add(rtn_fen *f, uint32_t bucket, int64_t delta);
/* Sum over buckets < end. */
int64_t rtn__fen_prefix(const rtn_fen *f, uint32_t end);
/* Sum over buckets in [a, b). */
int64_t rtn__fen_range(const rtn_fen *f, uint32_t a, uint32_t b);
/* The value of one bucket. */
int64_t rtn__fen_get(const rtn_fen *f, uint32_t bucket);
void rtn__fen_free(rtn_mem *m, rtn_fen *f);
/* d = a copy of s (d empty on failure). */
int rtn__fen_clone(rtn_mem *m, rtn_fen *d, const rtn_fen *s);
/* Add every bucket of s to d, which grows to cover all of s's range (so
 * that anything s holds can later be taken out of d without reserving). */
int rtn__fen_add_tree(rtn_mem *m, rtn_fen *d, const rtn_fen *s);
/* Add s's values to d bucket by bucket; d must cover s's non-zero buckets. */
void rtn__fen_add_values(rtn_fen *d, const rtn_fen *s);

/* ---- pair / triple store: multiset of (a, b, c) keys with counts ---------- */

/* 16 bytes: a count is a number of customers (or events) holding the key,
 * below 2^31; scans read unused slots as count 0. */
typedef struct rtn_pslot {
    uint32_t a, b, c;
    unsigned int used : 1;   /* the slot holds a key (its count may be 0) */
    unsigned int count : 31; /* never negative once a change is applied */
} rtn_pslot;

typedef struct rtn_pairs {
    rtn_pslot *s;
    uint32_t cap;  /* power of two, or 0 */
    uint32_t used; /* slots holding a key */
} rtn_pairs;

int rtn__pairs_reserve(rtn_mem *m, rtn_pairs *p, uint32_t extra);
/* Whether `extra` new keys fit without growing: a caller adding at most
 * `extra` keys need not find out how many are new. */
int rtn__pairs_fits(const rtn_pairs *p, uint32_t extra);
void rtn__pairs_prefetch(const rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c);
/* Must have been reserved when the key may be new. */
void rtn__pairs_add(rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c, int64_t d);
int rtn__pairs_has(const rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c);
/* Sum of counts with a < x and b >= y. */
int64_t rtn__pairs_contain(const rtn_pairs *p, uint32_t x, uint32_t y);
/* Sum of counts with a < x, x <= b < y and c >= y. */
int64_t rtn__pairs_triple(const rtn_pairs *p, uint32_t x, uint32_t y);
void rtn__pairs_free(rtn_mem *m, rtn_pairs *p);
/* d = a copy of s (d empty on failure). */
int rtn__pairs_clone(rtn_mem *m, rtn_pairs *d, const rtn_pairs *s);
/* Add every key of s with its count to d. */
int rtn__pairs_add_all(rtn_mem *m, rtn_pairs *d, const rtn_pairs *s);

/* ---- byte arena for string ids -------------------------------------------- */

typedef struct rtn_arena {
    char *p;
    uint64_t len, cap;
} rtn_arena;

int rtn__arena_reserve(rtn_mem *m, rtn_arena *a, uint32_t extra);
/* Append (must be reserved); returns the offset. */
uint64_t rtn__arena_put(rtn_arena *a, const char *s, uint32_t len);
/* d = a copy of s (d empty on failure). */
int rtn__arena_clone(rtn_mem *m, rtn_arena *d, const rtn_arena *s);

uint64_t rtn__hash_bytes(const void *p, size_t n, uint64_t seed);
/* A 64-bit mixer (every input bit reaches every output bit); inline, as
 * every lookup hashes. */
static inline uint64_t rtn__hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* ---- customers ------------------------------------------------------------- */

/* Day-entry layout: bucket << 32 | purchases << 8 | flags. */
#define RTN_E_ANY 1u      /* any event in the bucket */
#define RTN_E_START 2u    /* a start event: acquire, purchase, activity, subscription > 0 */
#define RTN_E_CHURN 4u    /* an explicit churn event */
#define RTN_E_MRRLOSS 8u  /* total MRR fell from above 0 to 0 (set by revenue.c) */
#define RTN_E_VALUE 16u   /* a time-to-value event (set by journey.c) */
/* Every flag an entry may hold (snapshot loading refuses others). */
#define RTN_E_KNOWN (RTN_E_ANY | RTN_E_START | RTN_E_CHURN | RTN_E_MRRLOSS | RTN_E_VALUE)
#define RTN_E_FLAGS 0xffu
#define RTN_E_PURCH_MAX 0xffffffu

static inline uint32_t rtn__e_bucket(uint64_t e) { return (uint32_t)(e >> 32); }
static inline uint32_t rtn__e_purch(uint64_t e) { return (uint32_t)(e >> 8) & RTN_E_PURCH_MAX; }
static inline uint32_t rtn__e_flags(uint64_t e) { return (uint32_t)e & RTN_E_FLAGS; }
static inline uint64_t rtn__e_make(uint32_t bucket, uint32_t purch, uint32_t flags)
{
    return ((uint64_t)bucket << 32) | ((uint64_t)purch << 8) | flags;
}

#define RTN_CF_STRID 1u    /* key is an arena offset of a byte-string id */
#define RTN_CF_REFERRED 2u /* an acquire event carried a referrer */
#define RTN_CF_ALL 3u      /* every known flag: snapshot loading refuses others */
/* Internal, never saved: the customer changed since its contributions were
 * last applied (it has a record in ctx->dirty). */
#define RTN_CF_DIRTY 0x80u

/* 24 bytes a customer. A string id sits in the arena after its 16-bit
 * length; the entry capacity shares a word with the customer flags. */
typedef struct rtn_cust {
    uint64_t key;   /* numeric id, or arena offset of the string id's bytes */
    uint64_t *ent;  /* sorted day entries */
    uint32_t n;     /* entries */
    uint32_t meta;  /* capacity of ent (low 24 bits) | RTN_CF_* << 24 */
} rtn_cust;

#define RTN_CUST_CAP_MAX 0xffffffu

static inline uint32_t rtn__cust_cap(const rtn_cust *c) { return c->meta & RTN_CUST_CAP_MAX; }
static inline uint32_t rtn__cust_flags(const rtn_cust *c) { return c->meta >> 24; }
static inline void rtn__cust_set_cap(rtn_cust *c, uint32_t cap)
{
    c->meta = (c->meta & ~RTN_CUST_CAP_MAX) | cap;
}
static inline void rtn__cust_add_flags(rtn_cust *c, uint32_t f) { c->meta |= f << 24; }

typedef struct rtn_ctab {
    rtn_cust *c;
    uint32_t n, cap;  /* records */
    uint64_t *idx;    /* open addressing: hash tag << 32 | record index + 1, 0 = empty */
    uint32_t icap;    /* power of two */
    rtn_arena ids;
} rtn_ctab;

/* The tag half of an index slot: the high 32 bits of the key's hash. */
#define RTN_SLOT_TAG UINT64_C(0xffffffff00000000)

/* From slot *i on (t->icap > 0), the first slot that is empty (returns 0)
 * or whose tag agrees with hash (returns its record + 1, *i that slot).
 * A probe reads a record only when the tags agree. */
static inline uint32_t rtn__ctab_probe(const rtn_ctab *t, uint64_t hash, uint32_t *i)
{
    uint32_t mask = t->icap - 1;
    for (;; *i = (*i + 1) & mask) {
        uint64_t v = t->idx[*i];
        if ((uint32_t)v == 0 || (v & RTN_SLOT_TAG) == (hash & RTN_SLOT_TAG))
            return (uint32_t)v;
    }
}

/* A customer key as given by an event or a per-customer call. */
typedef struct rtn_ckey {
    uint64_t id;
    const char *s; /* NULL for numeric ids */
    uint32_t len;
    uint64_t hash;
} rtn_ckey;

void rtn__ckey_num(rtn_ckey *k, uint64_t id);
void rtn__ckey_str(rtn_ckey *k, const char *s, uint32_t len);
/* Index of the customer, or UINT32_MAX. */
uint32_t rtn__ctab_find(const rtn_ctab *t, const rtn_ckey *k);
/* Whether record ci is the customer k (k's hash is not used). */
int rtn__ctab_is(const rtn_ctab *t, uint32_t ci, const rtn_ckey *k);
int rtn__ctab_reserve(rtn_mem *m, rtn_ctab *t, const rtn_ckey *k);
/* Room for `records` more customers whose string ids take `bytes` of the
 * arena (with their length prefixes): the reserves that follow are free. */
int rtn__ctab_reserve_more(rtn_mem *m, rtn_ctab *t, uint32_t records, uint64_t bytes);
/* Insert (must be reserved); returns the new index. */
uint32_t rtn__ctab_insert(rtn_ctab *t, const rtn_ckey *k);
void rtn__ctab_free(rtn_mem *m, rtn_ctab *t);
/* d = a deep copy of s; on failure d holds part of it (rtn__ctab_free
 * releases it). With `share`, d's records point at s's entry arrays
 * (counted in m as d's): the owner of both must detach one side with
 * rtn__ctab_unshare before freeing it, and no shared array may be edited. */
int rtn__ctab_clone(rtn_mem *m, rtn_ctab *d, const rtn_ctab *s, int share);
/* Whether record ci of t shares its entry array with record ci of other. */
int rtn__ctab_shares(const rtn_ctab *t, uint32_t ci, const rtn_ctab *other);
/* Detach t's records from the entry arrays they share with other's (t's
 * such records are left empty; their bytes leave m's count). */
void rtn__ctab_unshare(rtn_mem *m, rtn_ctab *t, const rtn_ctab *other);
/* The string id of a customer (NULL for numeric ids) and its length. */
const char *rtn__cust_str(const rtn_ctab *t, const rtn_cust *c);
uint32_t rtn__cust_idlen(const rtn_ctab *t, const rtn_cust *c);
/* The lookup key of a customer of table t. */
void rtn__cust_key(rtn_ckey *k, const rtn_ctab *t, const rtn_cust *c);

/* ---- contributions ----------------------------------------------------------
 * Every per-customer accumulator is the sum over customers of a pure function
 * of the customer's day entries and flags: its contribution, a sorted list of
 * items. A change to a customer computes the old and new lists and applies
 * their difference, so results depend only on the set of events (order
 * independence), snapshot loading reduces to re-contributing, and merge to
 * adding the parts' sums and re-contributing the customers of both.
 */
enum rtn_ckind {
    /* core (status.c, purchase.c): 1..31 */
    RTN_K_ACQ = 1,      /* a: bucket */
    RTN_K_REACT = 2,    /* a: bucket */
    RTN_K_LOSS = 3,     /* a: bucket */
    RTN_K_REFACQ = 4,   /* a: acquisition bucket of a referred customer */
    RTN_K_IVL = 5,      /* pair (s+1, l+1 | NONE_AFTER): an active interval */
    RTN_K_AFIRST = 6,   /* a: first bucket with any event */
    RTN_K_ALAST = 7,    /* a: last bucket with any event */
    RTN_K_AGAP = 8,     /* pair (p+1, d+1): consecutive event buckets, d - p >= 2 */
    RTN_K_PFIRST = 9,   /* a: first purchase bucket */
    RTN_K_PLAST = 10,   /* a: last purchase bucket */
    RTN_K_PGAP = 11,    /* pair: consecutive purchase buckets, d - p >= 2 */
    RTN_K_P1 = 12,      /* triple (p+1 | 0, d+1, n+1 | NONE_AFTER): a single-purchase bucket */
    RTN_K_LOYON = 13,   /* a: instant from which the customer is loyal */
    RTN_K_LOYOFF = 14,  /* a: instant from which it no longer is */
    RTN_K_SURV = 15,    /* pair (s0 + 1, l0 + 1 | NONE_AFTER): first acquisition, first loss */
    /* engage.c: 32..39; journey.c: 40..47; revenue.c: 48..63; cohort.c: 64..95 */
    RTN_K_ENGAGE_FIRST = 32,
    RTN_K_JOURNEY_FIRST = 40,
    RTN_K_REVENUE_FIRST = 48,
    RTN_K_COHORT_FIRST = 64,
    RTN_K_MAX = 96
};

typedef struct rtn_citem {
    uint32_t kind, a, b, c;
} rtn_citem;

typedef struct rtn_clist {
    rtn_citem *v;
    uint32_t n, cap;
} rtn_clist;

/* An active interval of a customer: acquired/reactivated at s, lost at l. */
typedef struct rtn_ivl {
    uint32_t s;
    uint32_t l;        /* UINT32_MAX while still active */
    uint32_t react;    /* 0 for the first acquisition */
} rtn_ivl;

/* What generators see of one customer. */
/* Aspects of a customer's entries a change may alter. A generator (or a
 * section of one) is run, for the old and the new entries alike, only when
 * an aspect it reads changed; the items it would emit are otherwise equal
 * in both lists and cancel in the diff anyway. */
#define RTN_A_SET 1u     /* the set of buckets with an entry */
#define RTN_A_STATUS 2u  /* START, CHURN or MRRLOSS flags */
#define RTN_A_PSET 4u    /* which buckets have purchases */
#define RTN_A_P1 8u      /* which buckets have exactly one purchase */
#define RTN_A_PLOYAL 16u /* a purchase count below the loyalty threshold (before or after) */
#define RTN_A_PTTV 32u   /* a purchase count below 2 (before or after): time to value */
#define RTN_A_OTHER 64u  /* other entry flags (bits 4..7) */
#define RTN_A_CFLAGS 128u /* customer flags */
#define RTN_A_ALL 0xffu

typedef struct rtn_gen {
    const rtn_cust *cust;
    const uint64_t *ent;
    uint32_t n;
    const rtn_ivl *ivl; /* status intervals, in time order (when needed) */
    uint32_t nivl;
    uint32_t mask;      /* RTN_A_* aspects that changed */
} rtn_gen;

int rtn__clist_push(rtn_mem *m, rtn_clist *l, uint32_t kind, uint32_t a,
                    uint32_t b, uint32_t c);
/* Make room in p for the keys (a, b, c) of items[0..n) that it lacks; a
 * store that holds n more keys without growing is not probed. */
int rtn__pairs_reserve_items(rtn_mem *m, rtn_pairs *p, const rtn_citem *items, uint32_t n);

/* Per-module generators: append items of their own kinds, in sorted
 * (kind, a, b, c) order, kinds ascending. */
int rtn__core_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out);
int rtn__engage_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out);
int rtn__journey_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out);
int rtn__revenue_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out);
int rtn__cohort_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out);
/* Reserve room so that adding the `n` items (all of the module's kinds) and
 * removing any existing ones cannot fail. */
int rtn__core_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n);
int rtn__engage_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n);
int rtn__journey_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n);
int rtn__revenue_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n);
int rtn__cohort_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n);
/* The modules' indexes (features, feature uses, carts and contacts,
 * subscribers) are open-addressing tables of cap 32-bit slots, cap a power
 * of two, linearly probed from a hash's home slot (its low bits). A slot
 * is 0 when empty; else its bits under cap - 1 hold a record + 1 (an index
 * holds fewer records than slots, so that fits), and the bits above them
 * the same bits of the high half of the record's hash: a tag. A probe
 * reads a record only when the tag agrees, so that the other keys on the
 * way (a new key passes several) cost no read of their records, each a
 * miss in a table of megabytes. The tag has 32 - log2(cap) bits. */
static inline uint32_t rtn__itag(uint64_t hash, uint32_t cap)
{
    return (uint32_t)(hash >> 32) & ~(cap - 1);
}

/* The record a non-empty slot value v names. */
static inline uint32_t rtn__irec(uint32_t v, uint32_t cap)
{
    return (v & (cap - 1)) - 1;
}

/* From slot *i on, the first slot that is empty or carries tag: its value
 * (0 when empty), *i its place. */
static inline uint32_t rtn__iprobe(const uint32_t *idx, uint32_t cap, uint32_t tag, uint32_t *i)
{
    uint32_t mask = cap - 1, v;
    while ((v = idx[*i]) != 0 && (v & ~mask) != tag)
        *i = (*i + 1) & mask;
    return v;
}

/* A lookup in a module index: the records whose tags agree with a hash's,
 * from its home slot on, up to the first empty slot. */
typedef struct rtn_ifind {
    const uint32_t *idx;
    uint32_t cap, tag, i;
} rtn_ifind;

static inline rtn_ifind rtn__ifind(const uint32_t *idx, uint32_t cap, uint64_t hash)
{
    rtn_ifind f;
    f.idx = idx;
    f.cap = cap;
    f.tag = rtn__itag(hash, cap);
    f.i = (uint32_t)hash & (cap - 1);
    return f;
}

/* The next such record (the caller compares its key), or UINT32_MAX when
 * the probe meets an empty slot. */
static inline uint32_t rtn__ifind_next(rtn_ifind *f)
{
    uint32_t v = rtn__iprobe(f->idx, f->cap, f->tag, &f->i);
    if (v == 0)
        return UINT32_MAX;
    f->i = (f->i + 1) & (f->cap - 1);
    return rtn__irec(v, f->cap);
}

/* Put record rec (rec + 1 < cap: the index has fewer records than slots)
 * at the first empty slot from its hash's home slot. */
static inline void rtn__index_put(uint32_t *idx, uint32_t cap, uint64_t hash, uint32_t rec)
{
    uint32_t mask = cap - 1, i = (uint32_t)hash & mask;
    while (idx[i] != 0)
        i = (i + 1) & mask;
    idx[i] = rtn__itag(hash, cap) | (rec + 1);
}

/* Records a rebuilt index takes ahead of the one it puts (rtn__index_fill). */
#define RTN_REHASH_AHEAD 16

/* Put records 0 .. n-1 in order in the empty index idx of cap slots, as
 * rtn__index_put does, hash(user, i) giving record i's hash. Each record
 * is hashed, and its home slot requested, RTN_REHASH_AHEAD records before
 * it is put: in an index of megabytes each put is a miss, and the misses
 * then overlap instead of following one another. */
static inline void rtn__index_fill(uint32_t *idx, uint32_t cap, uint32_t n,
                                   uint64_t (*hash)(const void *user, uint32_t i), const void *user)
{
    uint64_t ring[RTN_REHASH_AHEAD];
    uint32_t i;
    for (i = 0; i < n + RTN_REHASH_AHEAD; i++) {
        /* Record i - RTN_REHASH_AHEAD is put; record i takes its place in
         * the ring. */
        if (i >= RTN_REHASH_AHEAD)
            rtn__index_put(idx, cap, ring[i % RTN_REHASH_AHEAD], i - RTN_REHASH_AHEAD);
        if (i < n) {
            ring[i % RTN_REHASH_AHEAD] = hash(user, i);
            RTN_PREFETCH(&idx[ring[i % RTN_REHASH_AHEAD] & (cap - 1)]);
        }
    }
}

/* A module's look-ahead: the home slot (+ 1, 0: none) and tag of a key,
 * asked for in stage one, its record in stage two. */
typedef struct rtn_ahead {
    uint32_t slot1;
    uint32_t tag;
} rtn_ahead;

/* Stage one: ask for the home slot of hash in an index of cap (not 0)
 * slots. */
static inline rtn_ahead rtn__ahead_slot(const uint32_t *idx, uint32_t cap, uint64_t hash)
{
    rtn_ahead a;
    a.slot1 = ((uint32_t)hash & (cap - 1)) + 1;
    a.tag = rtn__itag(hash, cap);
    RTN_PREFETCH(&idx[a.slot1 - 1]);
    return a;
}

/* Stage two: ask for the record of the first slot from there that carries
 * the key's tag (nothing when none does: the key is new). */
static inline void rtn__ahead_record(const uint32_t *idx, uint32_t cap, rtn_ahead a,
                                     const void *recs, size_t size)
{
    uint32_t v, i;
    if (idx == NULL || a.slot1 == 0 || a.slot1 > cap)
        return;
    i = a.slot1 - 1;
    if ((v = rtn__iprobe(idx, cap, a.tag, &i)) != 0)
        RTN_PREFETCH((const char *)recs + (size_t)rtn__irec(v, cap) * size);
}
/* Batch look-ahead (push.c): for an event of customer ci, ask for a
 * module's index slot (a.slot1 0: nothing asked); later ask for the record
 * it leads to. Hints only: nothing is changed. */
rtn_ahead rtn__engage_ahead(const rtn_ctx *ctx, const rtn_event *ev, uint32_t ci);
void rtn__engage_ahead2(const rtn_ctx *ctx, rtn_ahead a);
rtn_ahead rtn__journey_ahead(const rtn_ctx *ctx, const rtn_event *ev, uint32_t ci);
void rtn__journey_ahead2(const rtn_ctx *ctx, rtn_ahead a);
rtn_ahead rtn__revenue_ahead(const rtn_ctx *ctx, const rtn_event *ev, uint32_t ci);
void rtn__revenue_ahead2(const rtn_ctx *ctx, rtn_ahead a);
void rtn__core_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign);
/* Ask for the memory an item's apply will touch (pair store slots). */
void rtn__core_prefetch(rtn_ctx *ctx, const rtn_citem *it);
void rtn__engage_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign);
void rtn__journey_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign);
void rtn__revenue_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign);
void rtn__cohort_apply_run(rtn_ctx *ctx, const rtn_citem *it, uint32_t n, int64_t sign);

/* A change to one customer's day entries. */
typedef struct rtn_emod {
    uint32_t bucket;
    uint32_t set;    /* RTN_E_* flags to set */
    uint32_t clear;  /* RTN_E_* flags to clear */
    int32_t dpurch;  /* change of the purchase count */
} rtn_emod;

/* Entry changes a pending change holds without growing; it grows beyond
 * (a late subscription event can move many MRR-loss flags at once). */
#define RTN_MAX_EMODS 64

/* The change being prepared by a push (or a merge step). */
typedef struct rtn_pending {
    uint32_t ci;          /* customer index */
    int is_new;           /* customer to insert at commit */
    rtn_ckey key;
    uint32_t set_cflags;  /* RTN_CF_* to set */
    rtn_emod *mods;       /* growable, reused by every change */
    uint32_t nmods, modcap;
    uint64_t *newent;     /* the customer's entries after the change */
    uint32_t nnew, newcap;
    uint64_t *fresh;      /* entry array reserved for a new customer */
    uint32_t fresh_cap;
    int changed;          /* the entries or customer flags change */
    int now;              /* contributions applied by the commit (memory cap) */
    int tail;             /* the change only sets entry tail_k to tail_e (newent unused) */
    uint32_t tail_k;
    uint64_t tail_e;
} rtn_pending;

/* A customer whose entries changed since its contributions were applied:
 * the entries and customer flags its applied contributions come from. */
typedef struct rtn_dirty {
    uint32_t ci;      /* customer index */
    uint32_t n;       /* entries then */
    uint32_t cflags;  /* RTN_CF_* then */
    uint32_t pad;
    uint64_t off;     /* first of them in ctx->dirty_ent */
} rtn_dirty;

/* Status intervals of a customer's entries (used by every generator). */
int rtn__status_intervals(rtn_ctx *ctx, const uint64_t *ent, uint32_t n,
                          rtn_ivl **buf, uint32_t *cap, uint32_t *nout);

/* Add an entry change to the pending change (inline below, after rtn_ctx;
 * this grows the list first). */
int rtn__pending_mod_grow(rtn_ctx *ctx, uint32_t bucket, uint32_t set,
                          uint32_t clear, int32_t dpurch);
/* Compute the new entries and the contribution diff; reserve everything
 * applying it needs. Fails without changing anything observable. */
int rtn__pending_prepare(rtn_ctx *ctx);
/* Append entry e, of a bucket after the customer's last, to a customer
 * already dirty since the last fold (its saved entries are what the fold
 * diffs from; there is no memory cap then): what a pending change of one
 * new tail entry would commit, without it. RTN_ENOMEM leaves c as it was. */
int rtn__cust_append(rtn_ctx *ctx, rtn_cust *c, uint64_t e);
/* Apply a prepared change to the entries (the customer becomes dirty; its
 * contributions follow at the next rtn__fold). Cannot fail. */
void rtn__pending_commit(rtn_ctx *ctx);
/* Apply the contribution differences of every dirty customer, one customer
 * at a time (each step whole or not at all). Every reader of contribution
 * accumulators calls this first. RTN_ENOMEM leaves the rest dirty. */
int rtn__fold(rtn_ctx *ctx);
/* rtn__fold for a reading call: records the error detail. */
int rtn__fold_query(rtn_ctx *ctx);
/* Release the dirty list (when empty) and its saved entries. */
void rtn__fold_release(rtn_ctx *ctx);
/* Re-contribute a customer from scratch (sign +1 adds, -1 removes); used by
 * snapshot loading and merge. Needs a prior successful reserve via
 * rtn__contrib_reserve_customer. */
int rtn__contrib_reserve_customer(rtn_ctx *ctx, uint32_t ci);
void rtn__contrib_apply_customer(rtn_ctx *ctx, uint32_t ci, int64_t sign);
/* Both in one: generate once, reserve when adding, apply. On failure
 * (RTN_ENOMEM) nothing is applied. Removing (-1) only needs scratch space. */
int rtn__contrib_customer(rtn_ctx *ctx, uint32_t ci, int64_t sign);
/* Take out of ctx's accumulators the contributions of a customer given by
 * its record and entries (of another context with the same configuration,
 * whose accumulators were added to ctx's). Needs only scratch space. */
int rtn__contrib_withdraw(rtn_ctx *ctx, const rtn_cust *c, const uint64_t *ent, uint32_t n);

/* ---- modules -------------------------------------------------------------- */

struct rtn_core;    /* purchase and status accumulators (core.c) */
struct rtn_engage;  /* activity, DAU/WAU/MAU, features (engage.c) */
struct rtn_journey; /* surveys, funnel, carts, service, time to value, health (journey.c) */
struct rtn_revenue; /* subscription revenue (revenue.c) */
struct rtn_cohort;  /* cohorts, survival, lifecycle (cohort.c) */

/* Each module: prepare validates and reserves (may add entry mods to the
 * pending change); commit applies and cannot fail; query answers its own
 * metrics (RTN_EMETRIC when not its metric). */
int rtn__engage_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket);
void rtn__engage_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket);
int rtn__engage_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out);
void rtn__engage_free(rtn_ctx *ctx);

int rtn__journey_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket);
/* The per-bucket count of page views, shares, visits or conversions (the
 * event path adds to it itself: reserve, then add 1); NULL when the
 * journey module cannot be allocated. */
rtn_fen *rtn__journey_counter(rtn_ctx *ctx, int type);
void rtn__journey_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket);
int rtn__journey_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                       const rtn_query_opts *opts, rtn_value *out);
void rtn__journey_free(rtn_ctx *ctx);

int rtn__revenue_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket);
void rtn__revenue_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket);
int rtn__revenue_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                       const rtn_query_opts *opts, rtn_value *out);
void rtn__revenue_free(rtn_ctx *ctx);
/* Make customer ci's day entries carry RTN_E_MRRLOSS exactly where its
 * total MRR falls to 0 (revenue.c's loss buckets), through a pending change
 * (rtn__pending_begin/_mod/_prepare/_commit), so contributions follow. For
 * merge: call for each customer that had subscriptions in src, after its
 * entries and the revenue state are merged and while its contributions are
 * applied. Fails (ENOMEM, nothing changed) only in the prepare step. */
int rtn__revenue_fix_flags(rtn_ctx *ctx, uint32_t ci);
/* The same, editing customer ci's entries in place, for a caller that has
 * withdrawn the customer's contributions and re-adds them afterwards (the
 * merge framework: after its entries and the revenue state are merged).
 * May allocate (ENOMEM) but leaves no half-done state in the entries. */
int rtn__revenue_set_flags(rtn_ctx *ctx, uint32_t ci);

int rtn__cohort_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out);
void rtn__cohort_free(rtn_ctx *ctx);

int rtn__core_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                    const rtn_query_opts *opts, rtn_value *out);
void rtn__core_free(rtn_ctx *ctx);
/* Distinct customers with any event in [fb, tb) (from the activity
 * contributions AFIRST / ALAST / AGAP). */
int64_t rtn__core_active(const rtn_ctx *ctx, uint32_t fb, uint32_t tb);

/* Money is kept in integer units of 1/10000 of the currency unit. */
#define RTN_MONEY_SCALE 10000

/* ---- snapshot streams (serial.c) --------------------------------------------
 * Little-endian whatever the host. Writers and readers have sticky errors:
 * check ->err once at the end of a section. A reader works on a buffer in
 * memory and never reads past it; every count read from it must be checked
 * against rtn__rd_left() before anything is allocated for it.
 */
typedef struct rtn_wr {
    rtn_write_fn fn;  /* NULL: a measuring pass that only counts bytes */
    void *user;
    uint64_t total;   /* bytes written so far */
    uint32_t crc;     /* CRC-32 of the bytes written so far */
    int err;          /* first error (RTN_EIO), sticky */
    size_t len;
    unsigned char buf[4096];
} rtn_wr;

typedef struct rtn_rd {
    const unsigned char *p;
    size_t len, pos;
    int err;          /* RTN_EFORMAT once a read went past the end, sticky */
} rtn_rd;

uint32_t rtn__crc32(uint32_t crc, const void *p, size_t n);
void rtn__wr_init(rtn_wr *w, rtn_write_fn fn, void *user);
void rtn__wr_bytes(rtn_wr *w, const void *p, size_t n);
void rtn__wr_u32(rtn_wr *w, uint32_t v);
void rtn__wr_u64(rtn_wr *w, uint64_t v);
void rtn__wr_i64(rtn_wr *w, int64_t v);
void rtn__wr_f64(rtn_wr *w, double v);
int rtn__wr_flush(rtn_wr *w);
void rtn__rd_init(rtn_rd *r, const void *p, size_t len);
uint32_t rtn__rd_u32(rtn_rd *r);
uint64_t rtn__rd_u64(rtn_rd *r);
int64_t rtn__rd_i64(rtn_rd *r);
double rtn__rd_f64(rtn_rd *r);
/* Pointer to the next n bytes (NULL, and err set, when fewer are left). */
const void *rtn__rd_bytes(rtn_rd *r, size_t n);
size_t rtn__rd_left(const rtn_rd *r);
/* Save / load a Fenwick tree's per-bucket values. Loading refuses (RTN_EFORMAT)
 * buckets out of order, repeated, zero-valued or outside [lo, hi], and values
 * whose absolute sum exceeds 2^60 (so no sum of the tree can overflow). */
void rtn__fen_save(rtn_wr *w, const rtn_fen *f);
int rtn__fen_load(rtn_mem *m, rtn_rd *r, rtn_fen *f);
int rtn__fen_load_range(rtn_mem *m, rtn_rd *r, rtn_fen *f, uint32_t lo, uint32_t hi);

/* Module state in snapshots and merges. Only a module's *raw* state is saved
 * or merged (period sums kept per event, per-customer side tables); what
 * contributions derive is rebuilt by re-contributing customers afterwards.
 * Save writes the module's section body (snapshot.c frames it with a tag and
 * its length) and must write the same bytes when called twice.
 * Load runs on a fresh context whose customer table, meta (events, times)
 * and core sums are already loaded; r is bounded to exactly the module's
 * section, which it must consume entirely. The bytes may be hostile: check
 * every count against rtn__rd_left() before allocating, every customer
 * index against ctx->cust.n, every value's range; return RTN_EFORMAT (or
 * RTN_ENOMEM), never crash; ctx is freed with rtn_ctx_free on failure.
 * Merge folds src's raw state into dst; cmap[i] is dst's index of src's
 * customer i. Customers new to dst are already inserted (with their merged
 * entries) when module merges run; the contributions of the customers of
 * both are withdrawn before and re-added after (src's contribution sums are
 * added to dst's wholesale: rtn__X_add_contrib). dst is a private copy that
 * is discarded on failure, so a merge may fail half-way. */
int rtn__engage_save(rtn_ctx *ctx, rtn_wr *w);
int rtn__engage_load(rtn_ctx *ctx, rtn_rd *r);
int rtn__engage_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap);
int rtn__journey_save(rtn_ctx *ctx, rtn_wr *w);
int rtn__journey_load(rtn_ctx *ctx, rtn_rd *r);
int rtn__journey_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap);
int rtn__revenue_save(rtn_ctx *ctx, rtn_wr *w);
int rtn__revenue_load(rtn_ctx *ctx, rtn_rd *r);
int rtn__revenue_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap);
/* The same on dst's own state (a private copy: may fail half-way). */
int rtn__revenue_merge_in_place(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap);
int rtn__cohort_save(rtn_ctx *ctx, rtn_wr *w);
int rtn__cohort_load(rtn_ctx *ctx, rtn_rd *r);
int rtn__cohort_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap);
/* Deep copies for merge: dst->X = a copy of src->X (NULL when src has
 * none), allocated from dst->mem. On failure dst->X holds part of the copy
 * that the module's free function releases exactly. */
int rtn__core_clone(rtn_ctx *dst, const rtn_ctx *src);
int rtn__engage_clone(rtn_ctx *dst, const rtn_ctx *src);
int rtn__journey_clone(rtn_ctx *dst, const rtn_ctx *src);
int rtn__revenue_clone(rtn_ctx *dst, const rtn_ctx *src);
int rtn__cohort_clone(rtn_ctx *dst, const rtn_ctx *src);
/* Add src's contribution accumulators (only those: raw state is merged by
 * rtn__X_merge) to dst's, each growing to cover all of src's so that a
 * customer's contributions to src can then be withdrawn from dst. src must
 * have no dirty customers. Revenue has none (its sums are rebuilt by its
 * merge). */
int rtn__core_add_contrib(rtn_ctx *dst, const rtn_ctx *src);
int rtn__engage_add_contrib(rtn_ctx *dst, const rtn_ctx *src);
int rtn__journey_add_contrib(rtn_ctx *dst, const rtn_ctx *src);
int rtn__cohort_add_contrib(rtn_ctx *dst, const rtn_ctx *src);

/* ---- the context ---------------------------------------------------------- */

typedef struct rtn_core {
    /* status transitions, per bucket */
    rtn_fen acq, react, loss, refacq;
    rtn_fen loyal;         /* +1 / -1 at instants where loyalty starts / ends */
    rtn_pairs ivl;         /* active intervals */
    rtn_pairs surv;        /* first acquisition, first loss */
    /* any-event activity */
    rtn_fen afirst, alast;
    rtn_pairs agap;
    /* purchases */
    rtn_fen pfirst, plast;
    rtn_pairs pgap, p1;
    rtn_fen purchases, revenue, items_sold, items_returned;
} rtn_core;

struct rtn_ctx {
    rtn_config cfg;
    rtn_mem mem;
    uint32_t bucket_ms_div; /* resolution in ms / 1000 (day or hour) */
    int64_t offset_ms;
    uint32_t inactivity;    /* buckets, 0 = off */
    uint32_t loyal_window;  /* buckets */
    uint64_t events;
    int64_t first_time, last_time;
    rtn_ctab cust;
    uint32_t last_ci;       /* the customer of the last push (a hint, checked) */
    rtn_core core;
    struct rtn_engage *engage;
    struct rtn_journey *journey;
    struct rtn_revenue *revenue;
    struct rtn_cohort *cohort;
    /* scratch space, reused by every change */
    rtn_pending pend;
    rtn_clist old_items, new_items;
    rtn_ivl *ivl_buf;
    uint32_t ivl_cap;
    rtn_ivl *ivl_buf2;
    uint32_t ivl_cap2;
    /* customers changed since their contributions were applied */
    rtn_dirty *dirty;
    uint32_t ndirty, dirty_cap;
    uint64_t *dirty_ent;    /* their entries then, back to back */
    uint64_t dirty_len, dirty_ecap;
    char err[256];
};

/* Add an entry change to the pending change. */
static inline int rtn__pending_mod(rtn_ctx *ctx, uint32_t bucket, uint32_t set,
                                   uint32_t clear, int32_t dpurch)
{
    rtn_pending *p = &ctx->pend;
    rtn_emod *m;
    if (p->nmods == p->modcap)
        return rtn__pending_mod_grow(ctx, bucket, set, clear, dpurch);
    m = &p->mods[p->nmods++];
    m->bucket = bucket;
    m->set = set;
    m->clear = clear;
    m->dpurch = dpurch;
    return RTN_OK;
}

/* Record error detail and return code. */
int rtn__fail(rtn_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void rtn__clear_error(rtn_ctx *ctx);
/* Defaults overlaid with a caller's config (of any known size), checked. */
int rtn__config_resolve(rtn_config *out, const rtn_config *cfg, char *buf, size_t len);
/* A new empty context for a checked config. */
int rtn__ctx_create(rtn_ctx **out, const rtn_config *cfg);
/* Free everything a context holds except the context itself (merge swaps
 * a merged copy's contents in). */
void rtn__ctx_free_contents(rtn_ctx *ctx);
/* A deep copy of a context (customers, accumulators, module state, dirty
 * customers with their saved entries), allocated with its allocator and
 * under its memory cap; scratch space is not copied. With `share`, the
 * customers' entry arrays are src's (see rtn__ctab_clone). */
int rtn__ctx_clone(rtn_ctx **out, const rtn_ctx *src, int share);

/* ---- time helpers (time.c) ---------------------------------------------- */

int64_t rtn__resolution_ms(const rtn_ctx *ctx);
/* Bucket of an instant offset by the day offset, x < 0 (bucket 0). */
uint32_t rtn__bucket_before(const rtn_ctx *ctx, int64_t x);
/* Bucket of an instant (floor); time must be validated. Inline: every
 * event asks. Both resolutions as constants: a division by a constant is
 * a multiplication, where one by a variable takes tens of cycles. */
static inline uint32_t rtn__bucket(const rtn_ctx *ctx, int64_t t)
{
    int64_t x = t + ctx->offset_ms;
    if (x < 0)
        return rtn__bucket_before(ctx, x);
    if (ctx->cfg.resolution == RTN_RESOLUTION_HOUR)
        return (uint32_t)((uint64_t)x / (uint64_t)RTN_MS_PER_HOUR);
    return (uint32_t)((uint64_t)x / (uint64_t)RTN_MS_PER_DAY);
}
/* Start instant (ms, UTC) of a bucket. */
int64_t rtn__bucket_time(const rtn_ctx *ctx, uint32_t b);
/* Buckets per day (1 or 24). */
uint32_t rtn__buckets_per_day(const rtn_ctx *ctx);
/* Clamp a query instant into the supported range and bucket it. */
uint32_t rtn__query_bucket(const rtn_ctx *ctx, int64_t t);
/* Calendar: days since epoch <-> civil date. */
int64_t rtn__days_from_civil(int64_t y, unsigned m, unsigned d);
void rtn__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Start (local day number) of the calendar bucket containing local day `day`,
 * and of the next one. */
int64_t rtn__every_start(int every, int64_t day);
int64_t rtn__every_next(int every, int64_t day);

/* ---- events (push.c) ------------------------------------------------------ */

/* Start a pending change for the customer `key` (found or new). */
void rtn__pending_begin(rtn_ctx *ctx, const rtn_ckey *key);
/* The same for a customer already looked up: ci is its index, or UINT32_MAX
 * for a new one (whose key must then carry its hash). */
void rtn__pending_begin_at(rtn_ctx *ctx, const rtn_ckey *key, uint32_t ci);
/* A money amount in integer units of 1/RTN_MONEY_SCALE. */
int64_t rtn__money(double v);

/* ---- catalogues: the tables behind the public enums (abi.c reports them) - */

/* Status codes known to rtn_strerror: 0 down to -(count - 1) (ctx.c). */
int rtn__status_count(void);
/* Event types with a name: 1 .. count (push.c). */
int rtn__event_type_count(void);
/* Metrics in the catalogue, the lowest and the highest (query.c). */
void rtn__metric_range(int *count, int *lo, int *hi);

/* ---- values --------------------------------------------------------------- */

void rtn__value_reset(rtn_value *v);
/* Set a ratio num/den * scale; undefined when den == 0. */
void rtn__value_ratio(rtn_value *v, double num, double den, double scale);
void rtn__value_count(rtn_value *v, double count);
/* Wilson 95 % interval for k successes in n, in percent. */
void rtn__wilson(double k, double n, double *lo, double *hi);

/* A sum of non-negative fixed-point amounts (units of 1/RTN_FIXSUM_ONE)
 * that cannot overflow: whole units and the units below one are kept
 * apart, so that 2^32 amounts up to 1e13 units each (a score of 100 in
 * units of 1e-9, times 100) fit. Its value is exact while the total fits
 * in 64 bits, as a plain int64 sum would be, and rounded once after. */
#define RTN_FIXSUM_ONE INT64_C(1000000000)
typedef struct rtn_fixsum {
    int64_t whole; /* units of RTN_FIXSUM_ONE */
    int64_t part;  /* 0 .. RTN_FIXSUM_ONE - 1 */
} rtn_fixsum;
/* Add q >= 0 units. */
void rtn__fixsum_add(rtn_fixsum *s, int64_t q);
/* The sum in whole units. */
double rtn__fixsum_value(const rtn_fixsum *s);

#endif /* RTN_INTERNAL_H */
