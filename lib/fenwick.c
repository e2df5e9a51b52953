/*
 * fenwick.c: Fenwick (binary indexed) trees of int64 sums per bucket over a
 * bucket range that grows on demand, in either direction.
 */
#include "internal.h"

#include <string.h>

static int64_t prefix_raw(const rtn_fen *f, uint32_t k) /* sum of first k */
{
    int64_t s = 0;
    if (k > f->n)
        k = f->n;
    while (k > 0) {
        s += f->t[k];
        k &= k - 1;
    }
    return s;
}

int rtn__fen_grow(rtn_mem *m, rtn_fen *f, uint32_t bucket)
{
    uint64_t lo, hi, span, i;
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
    t = rtn__alloc(m, (size_t)(span + 1) * sizeof(int64_t));
    if (t == NULL)
        return RTN_ENOMEM;
    memset(t, 0, (size_t)(span + 1) * sizeof(int64_t));
    /* Place the old values, then build the tree in O(span). */
    for (i = 0; i < f->n; i++) {
        int64_t v = prefix_raw(f, (uint32_t)(i + 1)) - prefix_raw(f, (uint32_t)i);
        t[f->base - lo + i + 1] = v;
    }
    for (i = 1; i <= span; i++) {
        uint64_t j = i + (i & (~i + 1));
        if (j <= span)
            t[j] += t[i];
    }
    rtn__free(m, f->t, f->n ? (size_t)(f->n + 1) * sizeof(int64_t) : 0);
    f->t = t;
    f->base = (uint32_t)lo;
    f->n = (uint32_t)span;
    return RTN_OK;
}

void rtn__fen_add(rtn_fen *f, uint32_t bucket, int64_t delta)
{
    uint32_t k = bucket - f->base + 1;
    while (k <= f->n) {
        f->t[k] += delta;
        k += k & (~k + 1);
    }
}

int64_t rtn__fen_prefix(const rtn_fen *f, uint32_t end)
{
    if (f->n == 0 || end <= f->base)
        return 0;
    return prefix_raw(f, end - f->base);
}

int64_t rtn__fen_range(const rtn_fen *f, uint32_t a, uint32_t b)
{
    if (b <= a)
        return 0;
    return rtn__fen_prefix(f, b) - rtn__fen_prefix(f, a);
}

int64_t rtn__fen_get(const rtn_fen *f, uint32_t bucket)
{
    return rtn__fen_range(f, bucket, bucket + 1);
}

void rtn__fen_free(rtn_mem *m, rtn_fen *f)
{
    if (f->n)
        rtn__free(m, f->t, (size_t)(f->n + 1) * sizeof(int64_t));
    f->t = NULL;
    f->n = 0;
    f->base = 0;
}

int rtn__fen_clone(rtn_mem *m, rtn_fen *d, const rtn_fen *s)
{
    *d = *s;
    if (s->n == 0)
        return RTN_OK;
    if (rtn__dup(m, (void **)&d->t, s->t, (size_t)(s->n + 1) * sizeof(int64_t))) {
        d->n = 0;
        d->base = 0;
        return RTN_ENOMEM;
    }
    return RTN_OK;
}

int rtn__fen_add_tree(rtn_mem *m, rtn_fen *d, const rtn_fen *s)
{
    uint32_t i;
    if (s->n == 0)
        return RTN_OK;
    if (rtn__fen_reserve(m, d, s->base) || rtn__fen_reserve(m, d, s->base + s->n - 1))
        return RTN_ENOMEM;
    if (d->base == s->base && d->n == s->n) {
        /* Same shape: a tree is linear in its values, node by node. */
        for (i = 1; i <= s->n; i++)
            d->t[i] += s->t[i];
        return RTN_OK;
    }
    rtn__fen_add_values(d, s);
    return RTN_OK;
}

void rtn__fen_add_values(rtn_fen *d, const rtn_fen *s)
{
    uint32_t i;
    for (i = 0; i < s->n; i++) {
        int64_t v = rtn__fen_get(s, s->base + i);
        if (v != 0)
            rtn__fen_add(d, s->base + i, v);
    }
}
