/*
 * fenwick.c: int64 sums per bucket over a bucket range that grows on
 * demand, in either direction. (Once a Fenwick tree, hence the name.)
 *
 * Three flat levels: the value of every bucket, the sum of every block of
 * 64 buckets, and the sum of every block of 4096. An add writes one slot
 * of each, with no loop and no branch; a prefix sum adds the whole large
 * blocks before it, then the small blocks and the values of its last
 * partial ones: at most n / 4096 + 126 slots, read in order. Layout of t
 * (see rtn_fen): values t[0 .. n), small blocks after them, large blocks
 * after those.
 */
#include "internal.h"

#include <string.h>

#define B1 6 /* log2 of the buckets in a small block */
#define B2 12 /* log2 of the buckets in a large block */

static uint32_t blocks(uint32_t n, int shift)
{
    return (uint32_t)(((uint64_t)n + ((uint64_t)1 << shift) - 1) >> shift);
}

/* Slots of t for n buckets. */
static size_t slots(uint32_t n)
{
    return n ? (size_t)n + blocks(n, B1) + blocks(n, B2) : 0;
}

static int64_t *small_of(const rtn_fen *f)
{
    return f->t + f->n;
}

static int64_t *large_of(const rtn_fen *f)
{
    return f->t + f->n + blocks(f->n, B1);
}

static int64_t sum(const int64_t *v, uint32_t from, uint32_t to)
{
    int64_t s = 0;
    for (; from < to; from++)
        s += v[from];
    return s;
}

/* Sum of the first k buckets of the range (k <= n). */
static int64_t prefix_raw(const rtn_fen *f, uint32_t k)
{
    uint32_t j2 = k >> B2, j1 = k >> B1;
    return sum(large_of(f), 0, j2) + sum(small_of(f), j2 << (B2 - B1), j1) + sum(f->t, j1 << B1, k);
}

/* The block sums from the values. */
static void build(rtn_fen *f)
{
    int64_t *s1 = small_of(f), *s2 = large_of(f);
    uint32_t i;
    memset(s1, 0, (size_t)(blocks(f->n, B1) + blocks(f->n, B2)) * sizeof(int64_t));
    for (i = 0; i < f->n; i++) {
        s1[i >> B1] += f->t[i];
        s2[i >> B2] += f->t[i];
    }
}

int rtn__fen_grow(rtn_mem *m, rtn_fen *f, uint32_t bucket)
{
    uint64_t lo, hi, span;
    int64_t *t;
    if (f->n != 0 && bucket >= f->base && bucket - f->base < f->n)
        return RTN_OK;
    if (f->n == 0) {
        lo = bucket >= 32 ? bucket - 32 : 0;
        hi = (uint64_t)bucket + 96;
    } else {
        /* Grow by at least half the span on the side that needs it. */
        uint64_t old_lo = f->base, old_hi = (uint64_t)f->base + f->n;
        uint64_t pad = f->n / 2 + 64;
        lo = old_lo;
        hi = old_hi;
        if (bucket < old_lo)
            lo = (uint64_t)bucket >= pad ? bucket - pad : 0;
        else
            hi = (uint64_t)bucket + pad;
    }
    if (hi > (uint64_t)UINT32_MAX)
        hi = UINT32_MAX;
    span = hi - lo;
    t = rtn__alloc(m, slots((uint32_t)span) * sizeof(int64_t));
    if (t == NULL)
        return RTN_ENOMEM;
    memset(t, 0, slots((uint32_t)span) * sizeof(int64_t));
    /* Place the old values, then sum the blocks in O(span). */
    if (f->n)
        memcpy(t + (f->base - lo), f->t, (size_t)f->n * sizeof(int64_t));
    rtn__free(m, f->t, slots(f->n) * sizeof(int64_t));
    f->t = t;
    f->base = (uint32_t)lo;
    f->n = (uint32_t)span;
    build(f);
    return RTN_OK;
}

void rtn__fen_add(rtn_fen *f, uint32_t bucket, int64_t delta)
{
    uint32_t i = bucket - f->base;
    f->t[i] += delta;
    small_of(f)[i >> B1] += delta;
    large_of(f)[i >> B2] += delta;
}

int64_t rtn__fen_prefix(const rtn_fen *f, uint32_t end)
{
    if (f->n == 0 || end <= f->base)
        return 0;
    return prefix_raw(f, end - f->base < f->n ? end - f->base : f->n);
}

int64_t rtn__fen_range(const rtn_fen *f, uint32_t a, uint32_t b)
{
    if (b <= a)
        return 0;
    return rtn__fen_prefix(f, b) - rtn__fen_prefix(f, a);
}

int64_t rtn__fen_get(const rtn_fen *f, uint32_t bucket)
{
    if (f->n == 0 || bucket < f->base || bucket - f->base >= f->n)
        return 0;
    return f->t[bucket - f->base];
}

void rtn__fen_free(rtn_mem *m, rtn_fen *f)
{
    if (f->n)
        rtn__free(m, f->t, slots(f->n) * sizeof(int64_t));
    f->t = NULL;
    f->n = 0;
    f->base = 0;
}

int rtn__fen_clone(rtn_mem *m, rtn_fen *d, const rtn_fen *s)
{
    *d = *s;
    if (s->n == 0)
        return RTN_OK;
    if (rtn__dup(m, (void **)&d->t, s->t, slots(s->n) * sizeof(int64_t))) {
        d->n = 0;
        d->base = 0;
        return RTN_ENOMEM;
    }
    return RTN_OK;
}

int rtn__fen_add_tree(rtn_mem *m, rtn_fen *d, const rtn_fen *s)
{
    size_t i;
    if (s->n == 0)
        return RTN_OK;
    if (rtn__fen_reserve(m, d, s->base) || rtn__fen_reserve(m, d, s->base + s->n - 1))
        return RTN_ENOMEM;
    if (d->base == s->base && d->n == s->n) {
        /* Same shape: values and block sums are linear, slot by slot. */
        for (i = 0; i < slots(s->n); i++)
            d->t[i] += s->t[i];
        return RTN_OK;
    }
    rtn__fen_add_values(d, s);
    return RTN_OK;
}

void rtn__fen_add_values(rtn_fen *d, const rtn_fen *s)
{
    uint32_t i;
    for (i = 0; i < s->n; i++)
        if (s->t[i] != 0)
            rtn__fen_add(d, s->base + i, s->t[i]);
}
