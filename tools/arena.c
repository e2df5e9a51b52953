/*
 * arena.c: size classes carved from one address range (see arena.h).
 *
 * The range is reserved once without committing memory; the kernel
 * supplies pages as they are first touched, huge ones where it can. It is
 * cut into 64 KiB spans, each serving one size class from its first use,
 * with a byte per span naming the class, so a free needs no header. A
 * class keeps a list of freed blocks, threaded through the blocks. A
 * larger block takes whole spans, its span count kept at its first span;
 * a freed one gives its pages back to the system and is reused by a block
 * of the same span count. A large block grows in place when it ends the
 * used part of the range; elsewhere (on Linux) its pages are moved, not
 * copied, to fresh spans. Blocks of 8 MiB and more start on a huge-page
 * boundary, so that a move keeps their huge pages whole (smaller ones do
 * not: the unused end of a huge page before an aligned block is memory
 * taken for nothing).
 */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#define _GNU_SOURCE 1     /* mremap, where the system has it */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SPAN ((size_t)64 * 1024) /* also the largest block of a class */
#define NCLASS 48
#define HUGE_PAGE ((size_t)2 * 1024 * 1024)
#define LARGE 255             /* span class of the first span of a large block */
#define ALIGNED ((size_t)8 * 1024 * 1024) /* large blocks from this size start on a huge page */
#define NFREE 256             /* freed large blocks kept for reuse */

struct arena {
    char *base, *top, *end; /* the range, aligned to HUGE_PAGE; spans below top are in use */
    size_t len;             /* bytes mapped (from map) */
    char *map;
    unsigned char *span_class; /* class of each span */
    uint32_t *span_run;        /* spans of a large block, at its first span */
    char *run_free[NFREE];     /* freed large blocks, their pages given back */
    size_t nrun_free;
    char *cur[NCLASS], *cur_end[NCLASS]; /* the span a class carves from */
    void *free_list[NCLASS];
    size_t size[NCLASS];
};

/* Classes: 16 to 256 bytes by 16, then four per doubling up to 64 KiB. */
static unsigned class_of(size_t n)
{
    unsigned e = 15;
    size_t base;
    if (n <= 256)
        return n == 0 ? 0 : (unsigned)((n + 15) / 16 - 1);
    while (((size_t)1 << e) > n - 1)
        e--;
    base = (size_t)1 << e;
    return 16 + (e - 8) * 4 + (unsigned)((n - 1 - base) / (base / 4));
}

static void huge_hint(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

arena *arena_new(void)
{
    /* 16, 4 and 1 GiB (64-bit builds only: the range must fit in size_t). */
    static const uint64_t tries[] = {UINT64_C(1) << 34, UINT64_C(1) << 32, UINT64_C(1) << 30};
    arena *a;
    size_t i, k;
    if (sizeof(size_t) < 8 || (a = calloc(1, sizeof(*a))) == NULL)
        return NULL;
#if defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE)
    for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        void *m = mmap(NULL, (size_t)tries[i] + HUGE_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m != MAP_FAILED) {
            a->map = m;
            a->len = (size_t)tries[i] + HUGE_PAGE;
            break;
        }
    }
#else
    (void)tries;
    (void)i;
#endif
    if (a->map == NULL) {
        free(a);
        return NULL;
    }
    a->base = (char *)(((uintptr_t)a->map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    a->top = a->base;
    a->end = a->base + (a->len - HUGE_PAGE);
    a->span_class = calloc((size_t)(a->end - a->base) / SPAN, 1);
    a->span_run = calloc((size_t)(a->end - a->base) / SPAN, sizeof(uint32_t));
    if (a->span_class == NULL || a->span_run == NULL) {
        free(a->span_class);
        free(a->span_run);
        munmap(a->map, a->len);
        free(a);
        return NULL;
    }
    huge_hint(a->base, (size_t)(a->end - a->base));
    for (k = 0; k < NCLASS; k++)
        a->size[k] = k < 16 ? (k + 1) * 16
                            : ((size_t)256 << ((k - 16) / 4)) / 4 * (4 + (k - 16) % 4 + 1);
    return a;
}

void arena_free(arena *a)
{
    if (a == NULL)
        return;
    munmap(a->map, a->len);
    free(a->span_class);
    free(a->span_run);
    free(a);
}

size_t arena_used(const arena *a)
{
    return a ? (size_t)(a->top - a->base) : 0;
}

static int owns(const arena *a, const void *p)
{
    return (const char *)p >= a->base && (const char *)p < a->top;
}

static size_t span_of(const arena *a, const void *p)
{
    return (size_t)((const char *)p - a->base) / SPAN;
}

/* A block of whole spans (record tables, indexes, pair stores): a freed
 * one of the same span count, else fresh spans, else malloc. */
/* k fresh spans at the top (on a huge-page boundary from ALIGNED on), or
 * NULL when the range is used up. */
static char *fresh_run(arena *a, size_t k)
{
    char *p = a->top;
    if (k * SPAN >= ALIGNED)
        p = a->base + ((size_t)(p - a->base) + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (p > a->end || k > (size_t)(a->end - p) / SPAN || k > UINT32_MAX)
        return NULL;
    a->span_class[span_of(a, p)] = LARGE;
    a->span_run[span_of(a, p)] = (uint32_t)k;
    a->top = p + k * SPAN;
    return p;
}

static void *large_malloc(arena *a, size_t n)
{
    size_t k = (n + SPAN - 1) / SPAN, i;
    void *p;
    if (k * SPAN < ALIGNED)
        for (i = a->nrun_free; i-- > 0;)
            if (a->span_run[span_of(a, a->run_free[i])] == k) {
                p = a->run_free[i];
                a->run_free[i] = a->run_free[--a->nrun_free];
                return p;
            }
    if ((p = fresh_run(a, k)) == NULL)
        return malloc(n);
    return p;
}

/* A freed large block gives its pages back (unless they are fresh
 * already) and waits for a block of its span count. */
static void run_free(arena *a, char *p, int fresh)
{
    size_t k = a->span_run[span_of(a, p)];
#ifdef MADV_DONTNEED
    if (!fresh)
        madvise(p, k * SPAN, MADV_DONTNEED);
#else
    (void)k;
    (void)fresh;
#endif
    if (a->nrun_free == NFREE)
        a->run_free[0] = a->run_free[--a->nrun_free]; /* forget the oldest */
    a->run_free[a->nrun_free++] = p;
}

static void *arena_malloc(size_t n, void *user)
{
    arena *a = user;
    unsigned k;
    void *p;
    if (n > SPAN)
        return large_malloc(a, n);
    k = class_of(n);
    if ((p = a->free_list[k]) != NULL) {
        memcpy(&a->free_list[k], p, sizeof(void *));
        return p;
    }
    if (a->cur[k] == NULL || (size_t)(a->cur_end[k] - a->cur[k]) < a->size[k]) {
        if ((size_t)(a->end - a->top) < SPAN)
            return malloc(n); /* the range is used up */
        a->span_class[span_of(a, a->top)] = (unsigned char)k;
        a->cur[k] = a->top;
        a->cur_end[k] = a->top + SPAN / a->size[k] * a->size[k];
        a->top += SPAN;
    }
    p = a->cur[k];
    a->cur[k] += a->size[k];
    return p;
}

/* Bytes usable in an arena block. */
static size_t usable(const arena *a, const void *p)
{
    size_t s = span_of(a, p);
    return a->span_class[s] == LARGE ? (size_t)a->span_run[s] * SPAN : a->size[a->span_class[s]];
}

static void arena_release(void *p, void *user)
{
    arena *a = user;
    size_t s;
    if (p == NULL)
        return;
    if (!owns(a, p)) {
        free(p);
        return;
    }
    s = span_of(a, p);
    if (a->span_class[s] == LARGE) {
        run_free(a, p, 0);
        return;
    }
    memcpy(p, &a->free_list[a->span_class[s]], sizeof(void *));
    a->free_list[a->span_class[s]] = p;
}

/* Grow the large block p (of `have` bytes) to n bytes without copying:
 * in place when it ends the used part of the range, else by moving its
 * pages to fresh spans (the range left behind is mapped again, untouched,
 * and reused). NULL when neither can be done. */
static void *large_grow(arena *a, char *p, size_t have, size_t n)
{
    size_t k = (n + SPAN - 1) / SPAN;
    char *q;
    if (p + have == a->top && k <= (size_t)(a->end - p) / SPAN && k <= UINT32_MAX) {
        a->span_run[span_of(a, p)] = (uint32_t)k;
        a->top = p + k * SPAN;
        return p;
    }
#if defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED)
    if ((q = fresh_run(a, k)) == NULL)
        return NULL;
    if (mremap(p, have, have, MREMAP_MAYMOVE | MREMAP_FIXED, q) != (void *)q) {
        run_free(a, q, 1);
        return NULL;
    }
    /* p's range is unmapped now: map it again (a failure leaves a hole,
     * which is never handed out again). */
    if (mmap(p, have, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
             -1, 0) == (void *)p) {
        huge_hint(p, have);
        run_free(a, p, 1);
    }
    return q;
#else
    (void)q;
    return NULL;
#endif
}

static void *arena_realloc(void *p, size_t n, void *user)
{
    arena *a = user;
    size_t have;
    void *q;
    if (p == NULL)
        return arena_malloc(n, a);
    if (!owns(a, p))
        return realloc(p, n);
    have = usable(a, p);
    if (n <= have && (n > have / 2 || have <= 16))
        return p;
    if (n > have && a->span_class[span_of(a, p)] == LARGE && (q = large_grow(a, p, have, n)) != NULL)
        return q;
    if ((q = arena_malloc(n, a)) == NULL)
        return NULL;
    memcpy(q, p, n < have ? n : have);
    arena_release(p, a);
    return q;
}

void arena_hooks(arena *a, rtn_allocator *out)
{
    memset(out, 0, sizeof(*out));
    if (a == NULL)
        return;
    out->malloc_fn = arena_malloc;
    out->realloc_fn = arena_realloc;
    out->free_fn = arena_release;
    out->user = a;
}
