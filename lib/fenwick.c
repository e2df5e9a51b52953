/*
 * fenwick.c: int64 sums per bucket over a bucket range that grows on
 * demand, in either direction, with prefix sums in O(log n).
 *
 * Two levels: the value of every bucket, flat, then a Fenwick (binary
 * indexed) tree over blocks of RTN_FEN_BLOCK buckets. An add writes one
 * value and walks the small block tree, which stays in the first-level
 * cache, where a tree over every bucket would touch a dozen lines spread
 * over the whole array; a prefix sum adds the blocks before it and the
 * values of its last, partial block. Layout of t (see rtn_fen): values
 * t[0 .. n), then the block tree t[n + 1 .. n + nblocks] (1-based).
 */
#include "internal.h"

#include <string.h>

#define BLOCK RTN_FEN_BLOCK

static uint32_t nblocks(uint32_t n)
{
    return (uint32_t)(((uint64_t)n + BLOCK - 1) / BLOCK);
}

/* Slots of t for n buckets. */
static size_t slots(uint32_t n)
{
    return n ? (size_t)n + nblocks(n) + 1 : 0;
}

/* Sum of the first k buckets of the range (k <= n). */
static int64_t prefix_raw(const rtn_fen *f, uint32_t k)
{
    const int64_t *tree = f->t + f->n;
    uint32_t b = k / BLOCK, i;
    int64_t s = 0;
    for (i = b; i > 0; i &= i - 1)
        s += tree[i];
    for (i = b * BLOCK; i < k; i++)
        s += f->t[i];
    return s;
}

/* Build the block tree from the values. */
static void build(rtn_fen *f)
{
    int64_t *tree = f->t + f->n;
    uint32_t nb = nblocks(f->n), b, i;
    for (b = 1; b <= nb; b++) {
        int64_t s = 0;
        uint32_t end = b * BLOCK < f->n ? b * BLOCK : f->n;
        for (i = (b - 1) * BLOCK; i < end; i++)
            s += f->t[i];
        tree[b] = s;
    }
    for (b = 1; b <= nb; b++) {
        uint32_t up = b + (b & (~b + 1));
        if (up <= nb)
            tree[up] += tree[b];
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
    /* Place the old values, then build the block tree in O(span). */
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
    uint32_t i = bucket - f->base, k;
    int64_t *tree = f->t + f->n;
    uint32_t nb = nblocks(f->n);
    f->t[i] += delta;
    for (k = i / BLOCK + 1; k <= nb; k += k & (~k + 1))
        tree[k] += delta;
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
        /* Same shape: values and block tree are linear, slot by slot. */
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
