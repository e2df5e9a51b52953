/*
 * test_arena.c: the tool's arena allocator. Random mallocs, reallocs and
 * frees across every size class and past the largest one, each block
 * filled with a pattern of its own and checked before it changes: a block
 * handed out twice, a realloc that loses bytes or a free list that links
 * a live block shows as a broken pattern. Then a context built on the
 * arena gives the same results as one on malloc.
 */
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

static int failures;

#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "test_arena: " __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

typedef struct blk {
    unsigned char *p;
    size_t n;
    unsigned char tag;
} blk;

static uint64_t rng = 88172645463325252u;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Sizes: mostly small, some at class edges, some beyond 64 KiB. */
static size_t pick_size(void)
{
    switch (next() % 8) {
    case 0: return 1 + next() % 16;
    case 1: return 256 << (next() % 8);            /* a class edge */
    case 2: return (256u << (next() % 8)) + 1;     /* just past one */
    case 3: return 65536 + 1 + next() % 70000;     /* beyond the classes */
    default: return 1 + next() % 2000;
    }
}

static void fill(blk *b)
{
    memset(b->p, b->tag, b->n);
}

static int intact(const blk *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (b->p[i] != b->tag)
            return 0;
    return 1;
}

static void random_ops(arena *a)
{
    rtn_allocator h;
    static blk s[SLOTS];
    size_t i, k;
    arena_hooks(a, &h);
    CHECK(h.malloc_fn && h.realloc_fn && h.free_fn && h.user == a, "hooks not set");
    for (k = 0; k < 60000; k++) {
        blk *b = &s[next() % SLOTS];
        int op = (int)(next() % 3);
        if (b->p && !intact(b, b->n)) {
            CHECK(0, "block of %zu bytes overwritten (op %zu)", b->n, k);
            return;
        }
        if (b->p == NULL) {
            b->n = pick_size();
            b->p = h.malloc_fn(b->n, h.user);
            CHECK(b->p != NULL, "malloc(%zu) failed", b->n);
            b->tag = (unsigned char)(1 + next() % 255);
            fill(b);
        } else if (op == 0) {
            h.free_fn(b->p, h.user);
            b->p = NULL;
        } else {
            size_t n = pick_size(), keep = n < b->n ? n : b->n;
            unsigned char *q = h.realloc_fn(b->p, n, h.user);
            CHECK(q != NULL, "realloc(%zu) failed", n);
            b->p = q;
            CHECK(intact(b, keep), "realloc from %zu to %zu lost bytes", b->n, n);
            b->n = n;
            fill(b);
        }
    }
    for (i = 0; i < SLOTS; i++) {
        if (s[i].p)
            CHECK(intact(&s[i], s[i].n), "block %zu overwritten at the end", i);
        h.free_fn(s[i].p, h.user);
        s[i].p = NULL;
    }
    h.free_fn(NULL, h.user);
    /* A freed block of a class is the next one of that class. */
    {
        void *x = h.malloc_fn(100, h.user), *y;
        h.free_fn(x, h.user);
        y = h.malloc_fn(97, h.user);
        CHECK(x == y, "a freed block is reused by its class");
        h.free_fn(y, h.user);
    }
    CHECK(arena_used(a) > 0, "the arena hands out spans");
}

/* A byte that depends on its position, so that moved or swapped pages show. */
static unsigned char at(size_t i, unsigned tag)
{
    return (unsigned char)((i >> 12) * 131 + (i >> 16) * 7 + i + tag);
}

/* Large blocks growing by doubling to 16 MiB, interleaved so that some end
 * the used range (growing in place) and some do not (moved), with freed
 * blocks and new ones between: every byte stays where it was. */
static void growing_blocks(arena *a)
{
    rtn_allocator h;
    unsigned char *b[3] = {NULL, NULL, NULL}, *extra = NULL;
    size_t n[3] = {0, 0, 0}, i, j, round;
    arena_hooks(a, &h);
    for (round = 0; round < 9; round++) {
        for (j = 0; j < 3; j++) {
            size_t m = (size_t)65536 << round, keep = n[j];
            unsigned char *q = h.realloc_fn(b[j], m + j * 5000, h.user);
            CHECK(q != NULL, "realloc to %zu failed", m);
            for (i = 0; i < keep; i++)
                if (q[i] != at(i, (unsigned)j)) {
                    CHECK(0, "block %zu: byte %zu changed growing from %zu to %zu", j, i, keep,
                          m + j * 5000);
                    return;
                }
            b[j] = q;
            n[j] = m + j * 5000;
            for (i = keep; i < n[j]; i++)
                b[j][i] = at(i, (unsigned)j);
        }
        /* A block freed and one taken between growths. */
        h.free_fn(extra, h.user);
        extra = h.malloc_fn((size_t)70000 << (round % 4), h.user);
        CHECK(extra != NULL, "malloc between growths failed");
        memset(extra, 0x5a, (size_t)70000 << (round % 4));
    }
    /* Shrinking keeps the front. */
    b[0] = h.realloc_fn(b[0], 100000, h.user);
    CHECK(b[0] != NULL, "shrink failed");
    for (i = 0; i < 100000; i++)
        if (b[0][i] != at(i, 0)) {
            CHECK(0, "byte %zu changed shrinking", i);
            break;
        }
    for (j = 0; j < 3; j++)
        h.free_fn(b[j], h.user);
    h.free_fn(extra, h.user);
    /* One block growing alone ends the used range, so it grows in place;
     * a block taken after it must not overlap it. */
    b[0] = NULL;
    n[0] = 0;
    for (round = 0; round < 6; round++) {
        size_t m = (size_t)100000 << round;
        unsigned char *q = h.realloc_fn(b[0], m, h.user);
        CHECK(q != NULL && (round < 2 || q == b[0]), "growth %zu moved the block at the top", round);
        b[0] = q;
        for (i = n[0]; i < m; i++)
            b[0][i] = at(i, 9);
        n[0] = m;
    }
    extra = h.malloc_fn(3000000, h.user);
    CHECK(extra != NULL, "malloc after growing in place failed");
    memset(extra, 0xa5, 3000000);
    for (i = 0; i < n[0]; i++)
        if (b[0][i] != at(i, 9)) {
            CHECK(0, "byte %zu of the block grown in place was overwritten", i);
            break;
        }
    h.free_fn(b[0], h.user);
    h.free_fn(extra, h.user);
}

/* The same events on the arena and on malloc give the same results. */
static void same_results(arena *a)
{
    rtn_config cfg;
    rtn_ctx *x = NULL, *y = NULL;
    rtn_event ev;
    rtn_value vx, vy;
    char id[32];
    int i, m;
    rtn_config_init(&cfg, RTN_CONFIG_VERSION);
    CHECK(rtn_ctx_new(&x, &cfg) == RTN_OK, "context on malloc");
    arena_hooks(a, &cfg.allocator);
    CHECK(rtn_ctx_new(&y, &cfg) == RTN_OK, "context on the arena");
    if (x == NULL || y == NULL)
        return;
    rtn_event_init(&ev, RTN_EVENT_VERSION);
    for (i = 0; i < 20000; i++) {
        static const int types[] = {RTN_EV_ACQUIRE, RTN_EV_PURCHASE, RTN_EV_ACTIVITY,
                                    RTN_EV_CHURN, RTN_EV_SUBSCRIPTION, RTN_EV_CART_CREATE};
        ev.type = types[next() % 6];
        ev.time = INT64_C(1767225600000) + (int64_t)(next() % 200) * 86400000;
        snprintf(id, sizeof id, "c%u", (unsigned)(next() % 700));
        ev.customer_str = id;
        ev.customer_len = (uint32_t)strlen(id);
        ev.value = ev.type == RTN_EV_PURCHASE || ev.type == RTN_EV_SUBSCRIPTION ? 10.0 : 0.0;
        ev.ref = next() % 50;
        CHECK(rtn_push(x, &ev) == RTN_OK && rtn_push(y, &ev) == RTN_OK, "push %d", i);
    }
    rtn_value_init(&vx, sizeof vx);
    rtn_value_init(&vy, sizeof vy);
    for (m = 0; m < 700; m++) { /* metric ids are sparse: unknown ones fail alike */
        int rx = rtn_query(&vx, x, m, INT64_C(1767225600000), INT64_C(1767225600000) + 120 * INT64_C(86400000), NULL);
        int ry = rtn_query(&vy, y, m, INT64_C(1767225600000), INT64_C(1767225600000) + 120 * INT64_C(86400000), NULL);
        CHECK(rx == ry, "metric %d: status %d on malloc, %d on the arena", m, rx, ry);
        if (rx == RTN_OK)
            CHECK(vx.defined == vy.defined && (!vx.defined || vx.value == vy.value),
                  "metric %d: %g on malloc, %g on the arena", m, vx.value, vy.value);
    }
    rtn_ctx_free(x);
    rtn_ctx_free(y);
}

int main(void)
{
    arena *a = arena_new();
    if (a == NULL) {
        /* The tool then runs on malloc; nothing here to test. */
        printf("test_arena: no address range on this system, skipped\n");
        return 77;
    }
    random_ops(a);
    growing_blocks(a);
    same_results(a);
    arena_free(a);
    if (failures)
        return 1;
    printf("test_arena: ok\n");
    return 0;
}
