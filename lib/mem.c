/*
 * mem.c: every allocation of a context goes through here, so the caller's
 * allocator hooks are honoured and the memory cap is enforced.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int over_cap(const rtn_mem *m, size_t add)
{
    return m->cap != 0 && (add > m->cap || m->used > m->cap - add);
}

void *rtn__alloc(rtn_mem *m, size_t size)
{
    void *p;
    if (size == 0 || over_cap(m, size))
        return NULL;
    p = m->a.malloc_fn ? m->a.malloc_fn(size, m->a.user) : malloc(size);
    if (p)
        m->used += size;
    return p;
}

void *rtn__calloc(rtn_mem *m, size_t size)
{
    void *p = rtn__alloc(m, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *rtn__realloc(rtn_mem *m, void *p, size_t old, size_t size)
{
    void *q;
    if (p == NULL)
        return rtn__alloc(m, size);
    if (size == 0)
        return NULL;
    if (size > old && over_cap(m, size - old))
        return NULL;
    q = m->a.realloc_fn ? m->a.realloc_fn(p, size, m->a.user) : realloc(p, size);
    if (q)
        m->used = m->used - old + size;
    return q;
}

void rtn__free(rtn_mem *m, void *p, size_t size)
{
    if (p == NULL)
        return;
    m->used -= size;
    if (m->a.free_fn)
        m->a.free_fn(p, m->a.user);
    else
        free(p);
}

int rtn__grow(rtn_mem *m, void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    uint64_t ncap;
    void *q;
    if (need <= *cap)
        return RTN_OK;
    ncap = *cap ? (uint64_t)*cap : 4;
    while (ncap < need)
        ncap += ncap / 2 + 4;
    if (ncap > UINT32_MAX)
        ncap = UINT32_MAX;
    if (ncap < need || ncap * elem > SIZE_MAX / 2)
        return RTN_ENOMEM;
    q = rtn__realloc(m, *p, (size_t)*cap * elem, (size_t)ncap * elem);
    if (q == NULL)
        return RTN_ENOMEM;
    *p = q;
    *cap = (uint32_t)ncap;
    return RTN_OK;
}

int rtn__dup(rtn_mem *m, void **out, const void *p, size_t size)
{
    *out = NULL;
    if (p == NULL || size == 0)
        return RTN_OK;
    if ((*out = rtn__alloc(m, size)) == NULL)
        return RTN_ENOMEM;
    memcpy(*out, p, size);
    return RTN_OK;
}
