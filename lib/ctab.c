/*
 * ctab.c: the customer table: records in insertion order, an open-addressing
 * index by id, and the arena that keeps byte-string ids exactly.
 */
#include "internal.h"

#include <string.h>

uint64_t rtn__hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = seed ^ (n * UINT64_C(0x9e3779b97f4a7c15));
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = rtn__hash_u64(h ^ w);
    }
    if (i < n) {
        /* The last r = 1..7 bytes as a little-endian number. On
         * little-endian machines, from loads that stay within the n bytes:
         * the word ending at n, shifted; or two overlapping 4-byte words. */
        size_t r = n - i;
        uint64_t w = 0;
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n >= 8)
            w = rtn__load64(s + n - 8) >> (8 * (8 - r));
        else if (r >= 4)
            w = rtn__load32(s) | (uint64_t)rtn__load32(s + r - 4) << (8 * (r - 4));
        else
#endif
        {
            size_t k;
            for (k = r; k > 0; k--)
                w = w << 8 | s[i + k - 1];
        }
        h = rtn__hash_u64(h ^ w ^ UINT64_C(0x5bd1e995));
    }
    return rtn__hash_u64(h);
}

int rtn__arena_reserve(rtn_mem *m, rtn_arena *a, uint32_t extra)
{
    uint64_t ncap;
    char *q;
    if (a->len + extra <= a->cap)
        return RTN_OK;
    ncap = a->cap ? a->cap : 256;
    while (ncap < a->len + extra)
        ncap *= 2;
    q = rtn__realloc(m, a->p, (size_t)a->cap, (size_t)ncap);
    if (q == NULL)
        return RTN_ENOMEM;
    a->p = q;
    a->cap = ncap;
    return RTN_OK;
}

uint64_t rtn__arena_put(rtn_arena *a, const char *s, uint32_t len)
{
    uint64_t off = a->len;
    memcpy(a->p + off, s, len);
    a->len += len;
    return off;
}

void rtn__ckey_num(rtn_ckey *k, uint64_t id)
{
    k->id = id;
    k->s = NULL;
    k->len = 0;
    k->hash = rtn__hash_u64(id ^ UINT64_C(0x243f6a8885a308d3));
}

void rtn__ckey_str(rtn_ckey *k, const char *s, uint32_t len)
{
    k->id = 0;
    k->s = s;
    k->len = len;
    /* A different seed keeps "42" and 42 apart in the hash too. */
    k->hash = rtn__hash_bytes(s, len, UINT64_C(0x13198a2e03707344));
}

const char *rtn__cust_str(const rtn_ctab *t, const rtn_cust *c)
{
    return (rtn__cust_flags(c) & RTN_CF_STRID) ? t->ids.p + c->key : NULL;
}

uint32_t rtn__cust_idlen(const rtn_ctab *t, const rtn_cust *c)
{
    uint16_t len;
    if (!(rtn__cust_flags(c) & RTN_CF_STRID))
        return 0;
    memcpy(&len, t->ids.p + c->key - 2, 2);
    return len;
}

void rtn__cust_key(rtn_ckey *k, const rtn_ctab *t, const rtn_cust *c)
{
    if (rtn__cust_flags(c) & RTN_CF_STRID)
        rtn__ckey_str(k, t->ids.p + c->key, rtn__cust_idlen(t, c));
    else
        rtn__ckey_num(k, c->key);
}

static int key_eq(const rtn_ctab *t, const rtn_cust *c, const rtn_ckey *k)
{
    if (k->s == NULL)
        return !(rtn__cust_flags(c) & RTN_CF_STRID) && c->key == k->id;
    return (rtn__cust_flags(c) & RTN_CF_STRID) && rtn__cust_idlen(t, c) == k->len &&
           rtn__bytes_eq(t->ids.p + c->key, k->s, k->len);
}

int rtn__ctab_is(const rtn_ctab *t, uint32_t ci, const rtn_ckey *k)
{
    return key_eq(t, &t->c[ci], k);
}

static uint64_t cust_hash(const rtn_ctab *t, const rtn_cust *c)
{
    rtn_ckey k;
    rtn__cust_key(&k, t, c);
    return k.hash;
}

/* An index slot: the high half of the key's hash above the record index
 * + 1, so a probe reads a record only when the hashes agree. */
static inline uint64_t slot_of(uint64_t hash, uint32_t rec)
{
    return (hash & RTN_SLOT_TAG) | (uint64_t)(rec + 1);
}

uint32_t rtn__ctab_find(const rtn_ctab *t, const rtn_ckey *k)
{
    uint32_t i, rec;
    if (t->icap == 0)
        return UINT32_MAX;
    for (i = (uint32_t)k->hash & (t->icap - 1);; i = (i + 1) & (t->icap - 1)) {
        if ((rec = rtn__ctab_probe(t, k->hash, &i)) == 0)
            return UINT32_MAX;
        if (key_eq(t, &t->c[rec - 1], k))
            return rec - 1;
    }
}

static void index_put(uint64_t *idx, uint32_t icap, uint64_t hash, uint32_t rec)
{
    uint32_t mask = icap - 1, i = (uint32_t)hash & mask;
    while (idx[i] != 0)
        i = (i + 1) & mask;
    idx[i] = slot_of(hash, rec);
}

/* Rebuild the index with ncap slots. */
static int index_resize(rtn_mem *m, rtn_ctab *t, uint32_t ncap)
{
    uint32_t i;
    uint64_t *idx;
    if (ncap == 0)
        return RTN_ENOMEM;
    idx = rtn__calloc(m, (size_t)ncap * sizeof(uint64_t));
    if (idx == NULL)
        return RTN_ENOMEM;
    for (i = 0; i < t->n; i++)
        index_put(idx, ncap, cust_hash(t, &t->c[i]), i);
    rtn__free(m, t->idx, (size_t)t->icap * sizeof(uint64_t));
    t->idx = idx;
    t->icap = ncap;
    return RTN_OK;
}

int rtn__ctab_reserve(rtn_mem *m, rtn_ctab *t, const rtn_ckey *k)
{
    int rc;
    if (t->n == UINT32_MAX - 1)
        return RTN_ENOMEM;
    rc = rtn__grow(m, (void **)&t->c, &t->cap, t->n + 1, sizeof(rtn_cust));
    if (rc)
        return rc;
    if (k->s) {
        rc = rtn__arena_reserve(m, &t->ids, k->len + 2);
        if (rc)
            return rc;
    }
    if ((uint64_t)(t->n + 1) * 4 > (uint64_t)t->icap * 3)
        return index_resize(m, t, t->icap ? t->icap * 2 : 64);
    return RTN_OK;
}

int rtn__ctab_reserve_more(rtn_mem *m, rtn_ctab *t, uint32_t records, uint64_t bytes)
{
    uint64_t need = (uint64_t)t->n + records, ncap = t->icap ? t->icap : 64;
    if (need >= UINT32_MAX - 1 || bytes > UINT32_MAX)
        return RTN_ENOMEM;
    if (rtn__grow(m, (void **)&t->c, &t->cap, (uint32_t)need, sizeof(rtn_cust)) ||
        rtn__arena_reserve(m, &t->ids, (uint32_t)bytes))
        return RTN_ENOMEM;
    while (need * 4 > ncap * 3)
        ncap *= 2;
    if (ncap > (UINT64_C(1) << 31))
        return RTN_ENOMEM;
    return ncap > t->icap ? index_resize(m, t, (uint32_t)ncap) : RTN_OK;
}

uint32_t rtn__ctab_insert(rtn_ctab *t, const rtn_ckey *k)
{
    rtn_cust *c = &t->c[t->n];
    memset(c, 0, sizeof(*c));
    if (k->s) {
        uint16_t len = (uint16_t)k->len; /* ids are at most RTN_ID_MAX bytes */
        rtn__arena_put(&t->ids, (const char *)&len, 2);
        c->key = rtn__arena_put(&t->ids, k->s, k->len);
        c->meta = RTN_CF_STRID << 24;
    } else {
        c->key = k->id;
    }
    index_put(t->idx, t->icap, k->hash, t->n);
    return t->n++;
}

void rtn__ctab_free(rtn_mem *m, rtn_ctab *t)
{
    uint32_t i;
    for (i = 0; i < t->n; i++)
        rtn__free(m, t->c[i].ent, (size_t)rtn__cust_cap(&t->c[i]) * sizeof(uint64_t));
    rtn__free(m, t->c, (size_t)t->cap * sizeof(rtn_cust));
    rtn__free(m, t->idx, (size_t)t->icap * sizeof(uint64_t));
    rtn__free(m, t->ids.p, (size_t)t->ids.cap);
    memset(t, 0, sizeof(*t));
}

int rtn__arena_clone(rtn_mem *m, rtn_arena *d, const rtn_arena *s)
{
    *d = *s;
    if (rtn__dup(m, (void **)&d->p, s->p, (size_t)s->cap)) {
        memset(d, 0, sizeof(*d));
        return RTN_ENOMEM;
    }
    return RTN_OK;
}

int rtn__ctab_clone(rtn_mem *m, rtn_ctab *d, const rtn_ctab *s, int share)
{
    uint32_t i;
    uint64_t bytes = 0;
    memset(d, 0, sizeof(*d));
    if (rtn__dup(m, (void **)&d->c, s->c, (size_t)s->cap * sizeof(rtn_cust)))
        return RTN_ENOMEM;
    d->cap = d->c ? s->cap : 0;
    d->n = d->c ? s->n : 0;
    /* Every record owns no entries until its copy is made, so a failure
     * half-way leaves a table rtn__ctab_free releases exactly. */
    for (i = 0; i < d->n; i++) {
        d->c[i].ent = NULL;
        rtn__cust_set_cap(&d->c[i], 0);
    }
    if (rtn__dup(m, (void **)&d->idx, s->idx, (size_t)s->icap * sizeof(uint64_t)))
        return RTN_ENOMEM;
    d->icap = d->idx ? s->icap : 0;
    if (rtn__arena_clone(m, &d->ids, &s->ids))
        return RTN_ENOMEM;
    if (share) {
        /* Counted as held by the copy too, under its cap. */
        for (i = 0; i < d->n; i++)
            bytes += (uint64_t)rtn__cust_cap(&s->c[i]) * sizeof(uint64_t);
        if (m->cap != 0 && (bytes > m->cap || m->used > m->cap - bytes))
            return RTN_ENOMEM;
        m->used += bytes;
        for (i = 0; i < d->n; i++) {
            d->c[i].ent = s->c[i].ent;
            rtn__cust_set_cap(&d->c[i], rtn__cust_cap(&s->c[i]));
        }
        return RTN_OK;
    }
    for (i = 0; i < d->n; i++) {
        const rtn_cust *c = &s->c[i];
        if (rtn__dup(m, (void **)&d->c[i].ent, c->ent,
                     (size_t)rtn__cust_cap(c) * sizeof(uint64_t)))
            return RTN_ENOMEM;
        if (d->c[i].ent)
            rtn__cust_set_cap(&d->c[i], rtn__cust_cap(c));
    }
    return RTN_OK;
}

int rtn__ctab_shares(const rtn_ctab *t, uint32_t ci, const rtn_ctab *other)
{
    return ci < other->n && t->c[ci].ent != NULL && t->c[ci].ent == other->c[ci].ent;
}

void rtn__ctab_unshare(rtn_mem *m, rtn_ctab *t, const rtn_ctab *other)
{
    uint32_t i;
    for (i = 0; i < t->n; i++)
        if (rtn__ctab_shares(t, i, other)) {
            m->used -= (uint64_t)rtn__cust_cap(&t->c[i]) * sizeof(uint64_t);
            t->c[i].ent = NULL;
            t->c[i].n = 0;
            rtn__cust_set_cap(&t->c[i], 0);
        }
}
