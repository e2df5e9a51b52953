/*
 * pairs.c: a multiset of (a, b, c) bucket keys with counts, answering the
 * dominance counts that distinct-customer metrics reduce to (a customer with
 * a gap of activity containing a period is not active in it).
 */
#include "internal.h"

#include <string.h>

static uint64_t key_hash(uint32_t a, uint32_t b, uint32_t c)
{
    return rtn__hash_u64(((uint64_t)a << 32 | b) ^ rtn__hash_u64(c + 0x9e3779b9u));
}

static rtn_pslot *find_slot(const rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t mask = p->cap - 1, i = (uint32_t)key_hash(a, b, c) & mask;
    for (;;) {
        rtn_pslot *s = &p->s[i];
        if (!s->used || (s->a == a && s->b == b && s->c == c))
            return s;
        i = (i + 1) & mask;
    }
}

void rtn__pairs_prefetch(const rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c)
{
    if (p->cap)
        RTN_PREFETCH(&p->s[(uint32_t)key_hash(a, b, c) & (p->cap - 1)]);
}

int rtn__pairs_fits(const rtn_pairs *p, uint32_t extra)
{
    return p->cap != 0 && (uint64_t)p->used + extra <= (uint64_t)p->cap / 4 * 3;
}

int rtn__pairs_reserve_items(rtn_mem *m, rtn_pairs *p, const rtn_citem *items, uint32_t n)
{
    uint32_t i, fresh = 0;
    if (n == 0 || rtn__pairs_fits(p, n))
        return RTN_OK;
    for (i = 0; i < n; i++)
        fresh += !rtn__pairs_has(p, items[i].a, items[i].b, items[i].c);
    return fresh ? rtn__pairs_reserve(m, p, fresh) : RTN_OK;
}

int rtn__pairs_reserve(rtn_mem *m, rtn_pairs *p, uint32_t extra)
{
    uint64_t live = 0, need, ncap;
    uint32_t i;
    rtn_pslot *ns;
    rtn_pairs np;
    if (rtn__pairs_fits(p, extra))
        return RTN_OK;
    for (i = 0; i < p->cap; i++)
        live += p->s[i].used && p->s[i].count != 0;
    need = live + extra;
    ncap = 16;
    while (ncap / 4 * 3 < need)
        ncap *= 2;
    if (ncap > (UINT64_C(1) << 31))
        return RTN_ENOMEM;
    ns = rtn__calloc(m, (size_t)ncap * sizeof(rtn_pslot));
    if (ns == NULL)
        return RTN_ENOMEM;
    np.s = ns;
    np.cap = (uint32_t)ncap;
    np.used = 0;
    /* Keys whose count fell to 0 are dropped here. */
    for (i = 0; i < p->cap; i++) {
        const rtn_pslot *s = &p->s[i];
        if (s->used && s->count != 0) {
            rtn_pslot *d = find_slot(&np, s->a, s->b, s->c);
            *d = *s;
            np.used++;
        }
    }
    rtn__free(m, p->s, (size_t)p->cap * sizeof(rtn_pslot));
    *p = np;
    return RTN_OK;
}

void rtn__pairs_add(rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c, int64_t d)
{
    rtn_pslot *s = find_slot(p, a, b, c);
    if (!s->used) {
        s->used = 1;
        s->a = a;
        s->b = b;
        s->c = c;
        s->count = 0;
        p->used++;
    }
    /* Modulo 2^31, exact since the true count stays in [0, 2^31). */
    s->count = (unsigned int)((int64_t)s->count + d) & 0x7fffffffu;
}

int rtn__pairs_has(const rtn_pairs *p, uint32_t a, uint32_t b, uint32_t c)
{
    return p->cap != 0 && find_slot(p, a, b, c)->used;
}

int64_t rtn__pairs_contain(const rtn_pairs *p, uint32_t x, uint32_t y)
{
    int64_t s = 0;
    uint32_t i;
    for (i = 0; i < p->cap; i++) {
        const rtn_pslot *e = &p->s[i];
        /* Branch-free: the comparisons are unpredictable. Unused slots
         * hold count 0. */
        s += (int64_t)((e->a < x) & (e->b >= y)) * e->count;
    }
    return s;
}

int64_t rtn__pairs_triple(const rtn_pairs *p, uint32_t x, uint32_t y)
{
    int64_t s = 0;
    uint32_t i;
    for (i = 0; i < p->cap; i++) {
        const rtn_pslot *e = &p->s[i];
        s += (int64_t)((e->a < x) & (e->b >= x) & (e->b < y) & (e->c >= y)) * e->count;
    }
    return s;
}

void rtn__pairs_free(rtn_mem *m, rtn_pairs *p)
{
    rtn__free(m, p->s, (size_t)p->cap * sizeof(rtn_pslot));
    memset(p, 0, sizeof(*p));
}

int rtn__pairs_clone(rtn_mem *m, rtn_pairs *d, const rtn_pairs *s)
{
    *d = *s;
    if (rtn__dup(m, (void **)&d->s, s->s, (size_t)s->cap * sizeof(rtn_pslot))) {
        memset(d, 0, sizeof(*d));
        return RTN_ENOMEM;
    }
    return RTN_OK;
}

int rtn__pairs_add_all(rtn_mem *m, rtn_pairs *d, const rtn_pairs *s)
{
    uint32_t i, live = 0;
    for (i = 0; i < s->cap; i++)
        live += s->s[i].used && s->s[i].count != 0;
    if (live == 0)
        return RTN_OK;
    if (rtn__pairs_reserve(m, d, live))
        return RTN_ENOMEM;
    for (i = 0; i < s->cap; i++) {
        const rtn_pslot *x = &s->s[i];
        if (x->used && x->count != 0)
            rtn__pairs_add(d, x->a, x->b, x->c, x->count);
    }
    return RTN_OK;
}
