/*
 * test_internal.c: unit tests of the engine's building blocks through
 * lib/internal.h: Fenwick trees, pair stores and the calendar.
 */
#include "internal.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* Random adds in a growing range, checked against a plain array. */
START_TEST(fenwick_vs_naive)
{
    rtn_mem m;
    rtn_fen f;
    /* Buckets over 20000: several blocks of 4096, the range growing both
     * ways from the middle. */
    static int64_t naive[20000];
    tu_rng r = {12345};
    int i;
    memset(&m, 0, sizeof m);
    memset(&f, 0, sizeof f);
    memset(naive, 0, sizeof naive);
    for (i = 0; i < 6000; i++) {
        /* Start in the middle so the range grows both ways. */
        uint32_t b = i < 10 ? 9000 + (uint32_t)i : tu_below(&r, 20000);
        int64_t d = (int64_t)tu_below(&r, 21) - 10;
        ck_assert_int_eq(rtn__fen_reserve(&m, &f, b), RTN_OK);
        ck_assert(b >= f.base && b < f.base + f.n);
        rtn__fen_add(&f, b, d);
        naive[b] += d;
        if (i % 50 == 0) {
            uint32_t a = tu_below(&r, 20100), e = tu_below(&r, 20100), k;
            int64_t s = 0;
            if (a > e) {
                uint32_t t = a;
                a = e;
                e = t;
            }
            for (k = a; k < e && k < 20000; k++)
                s += naive[k];
            ck_assert_int_eq(rtn__fen_range(&f, a, e), s);
            ck_assert_int_eq(rtn__fen_get(&f, b), naive[b]);
        }
    }
    /* Every prefix, across block edges. */
    {
        int64_t s = 0;
        uint32_t k;
        for (k = 0; k <= 20100; k++) {
            ck_assert_int_eq(rtn__fen_prefix(&f, k), s);
            if (k < 20000)
                s += naive[k];
        }
    }
    /* Values, then the sums of blocks of 64 and of 4096 buckets. */
    ck_assert_uint_eq(m.used, (uint64_t)(f.n + (f.n + 63) / 64 + (f.n + 4095) / 4096) *
                                  sizeof(int64_t));
    /* A copy, added to a tree of the same shape and to one of another:
     * every bucket doubles. */
    {
        rtn_fen g, h;
        uint32_t k;
        memset(&h, 0, sizeof h);
        ck_assert_int_eq(rtn__fen_clone(&m, &g, &f), RTN_OK);
        ck_assert_int_eq(rtn__fen_add_tree(&m, &g, &f), RTN_OK);
        ck_assert_int_eq(rtn__fen_reserve(&m, &h, 30000), RTN_OK);
        ck_assert_int_eq(rtn__fen_add_tree(&m, &h, &f), RTN_OK);
        ck_assert_int_eq(rtn__fen_add_tree(&m, &h, &f), RTN_OK);
        for (k = 0; k < 20000; k += 7) {
            ck_assert_int_eq(rtn__fen_get(&g, k), 2 * naive[k]);
            ck_assert_int_eq(rtn__fen_get(&h, k), 2 * naive[k]);
            ck_assert_int_eq(rtn__fen_prefix(&g, k), rtn__fen_prefix(&h, k));
        }
        rtn__fen_free(&m, &g);
        rtn__fen_free(&m, &h);
    }
    rtn__fen_free(&m, &f);
    ck_assert_uint_eq(m.used, 0);
}
END_TEST

START_TEST(fenwick_empty)
{
    rtn_fen f;
    memset(&f, 0, sizeof f);
    ck_assert_int_eq(rtn__fen_prefix(&f, 100), 0);
    ck_assert_int_eq(rtn__fen_range(&f, 5, 1), 0);
}
END_TEST

/* Pair stores: counts, zero-count keys dropped on growth, dominance sums. */
START_TEST(pairs_vs_naive)
{
    rtn_mem m;
    rtn_pairs p;
    enum { N = 600 };
    uint32_t ka[N], kb[N], kc[N];
    int64_t cnt[N];
    tu_rng r = {777};
    int i, j;
    memset(&m, 0, sizeof m);
    memset(&p, 0, sizeof p);
    for (i = 0; i < N; i++) {
        ka[i] = tu_below(&r, 50);
        kb[i] = ka[i] + tu_below(&r, 50);
        kc[i] = kb[i] + tu_below(&r, 50);
        cnt[i] = 0;
    }
    for (i = 0; i < 5000; i++) {
        int k = (int)tu_below(&r, N);
        int64_t d = cnt[k] > 0 && tu_below(&r, 3) == 0 ? -1 : 1;
        ck_assert_int_eq(rtn__pairs_reserve(&m, &p, 1), RTN_OK);
        rtn__pairs_add(&p, ka[k], kb[k], kc[k], d);
        /* The same key may have been drawn twice: keep counts per key. */
        for (j = 0; j < N; j++)
            if (ka[j] == ka[k] && kb[j] == kb[k] && kc[j] == kc[k])
                cnt[j] += d;
        if (i % 100 == 0) {
            uint32_t x = tu_below(&r, 60), y = x + tu_below(&r, 60);
            int64_t sc = 0, st = 0;
            for (j = 0; j < N; j++) {
                int first = 1, q;
                for (q = 0; q < j; q++)
                    if (ka[q] == ka[j] && kb[q] == kb[j] && kc[q] == kc[j])
                        first = 0;
                if (!first)
                    continue;
                if (ka[j] < x && kb[j] >= y)
                    sc += cnt[j];
                if (ka[j] < x && kb[j] >= x && kb[j] < y && kc[j] >= y)
                    st += cnt[j];
            }
            ck_assert_int_eq(rtn__pairs_contain(&p, x, y), sc);
            ck_assert_int_eq(rtn__pairs_triple(&p, x, y), st);
        }
    }
    ck_assert(rtn__pairs_has(&p, ka[0], kb[0], kc[0]) || cnt[0] == 0);
    rtn__pairs_free(&m, &p);
    ck_assert_uint_eq(m.used, 0);
}
END_TEST

/* The id hash as first written: whole words, then the last 1..7 bytes
 * gathered one by one as a little-endian number. The library's word loads
 * must give exactly these values (ids hash to the same index slots). */
static uint64_t hash_bytes_ref(const unsigned char *s, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (n * UINT64_C(0x9e3779b97f4a7c15));
    size_t i, k;
    for (i = 0; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (k = 8; k > 0; k--)
            w = w << 8 | s[i + k - 1];
        h = rtn__hash_u64(h ^ w);
    }
    if (i < n) {
        uint64_t w = 0;
        for (k = n - i; k > 0; k--)
            w = w << 8 | s[i + k - 1];
        h = rtn__hash_u64(h ^ w ^ UINT64_C(0x5bd1e995));
    }
    return rtn__hash_u64(h);
}

START_TEST(id_bytes)
{
    unsigned char a[48], b[48];
    size_t n, at, off;
    uint64_t x = 99;
    for (n = 0; n < sizeof(a); n++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        a[n] = (unsigned char)(x >> 40);
    }
    /* Every length from every offset (unaligned loads), against the
     * byte-by-byte hash; the hash reads no byte past n (ASan checks the
     * heap copy). */
    for (off = 0; off < 8; off++) {
        for (n = 0; n + off <= 40; n++) {
            unsigned char *h = malloc(n ? n : 1);
            ck_assert_ptr_nonnull(h);
            memcpy(h, a + off, n);
            ck_assert_uint_eq(rtn__hash_bytes(h, n, 7), hash_bytes_ref(a + off, n, 7));
            free(h);
        }
    }
    /* Equality: equal copies are equal; one byte changed anywhere is not. */
    for (n = 0; n <= 40; n++) {
        memcpy(b, a, n);
        ck_assert(rtn__bytes_eq(a, b, n));
        for (at = 0; at < n; at++) {
            b[at] ^= 0x20;
            ck_assert(!rtn__bytes_eq(a, b, n));
            ck_assert(!rtn__bytes_eq(b, a, n));
            b[at] ^= 0x20;
        }
    }
}
END_TEST

START_TEST(calendar)
{
    int64_t y, d;
    unsigned mo, dd;
    ck_assert_int_eq(rtn__days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(rtn__days_from_civil(2026, 1, 1), 20454);
    ck_assert_int_eq(rtn__days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(rtn__days_from_civil(2199, 12, 31) + 1, INT64_C(7258118400000) / T_DAY);
    for (d = 0; d < 84000; d += 13) {
        rtn__civil_from_days(d, &y, &mo, &dd);
        ck_assert_int_eq(rtn__days_from_civil(y, mo, dd), d);
    }
    /* 2026-01-01 is a Thursday: its ISO week starts Monday 2025-12-29. */
    ck_assert_int_eq(rtn__every_start(RTN_EVERY_WEEK, 20454), rtn__days_from_civil(2025, 12, 29));
    ck_assert_int_eq(rtn__every_next(RTN_EVERY_WEEK, 20454), rtn__days_from_civil(2026, 1, 5));
    ck_assert_int_eq(rtn__every_start(RTN_EVERY_WEEK, 0), -3); /* Monday 1969-12-29 */
    ck_assert_int_eq(rtn__every_start(RTN_EVERY_MONTH, rtn__days_from_civil(2024, 2, 29)),
                     rtn__days_from_civil(2024, 2, 1));
    ck_assert_int_eq(rtn__every_next(RTN_EVERY_MONTH, rtn__days_from_civil(2024, 2, 29)),
                     rtn__days_from_civil(2024, 3, 1));
    ck_assert_int_eq(rtn__every_next(RTN_EVERY_MONTH, rtn__days_from_civil(2025, 12, 31)),
                     rtn__days_from_civil(2026, 1, 1));
    ck_assert_int_eq(rtn__every_start(RTN_EVERY_QUARTER, rtn__days_from_civil(2025, 12, 31)),
                     rtn__days_from_civil(2025, 10, 1));
    ck_assert_int_eq(rtn__every_next(RTN_EVERY_QUARTER, rtn__days_from_civil(2025, 11, 5)),
                     rtn__days_from_civil(2026, 1, 1));
    ck_assert_int_eq(rtn__every_next(RTN_EVERY_QUARTER, rtn__days_from_civil(2026, 5, 5)),
                     rtn__days_from_civil(2026, 7, 1));
    ck_assert_int_eq(rtn__every_next(RTN_EVERY_DAY, 100), 101);
}
END_TEST

START_TEST(money)
{
    ck_assert_int_eq(rtn__money(0.1), 1000);
    ck_assert_int_eq(rtn__money(19.99), 199900);
    ck_assert_int_eq(rtn__money(0.00005), 1);
    ck_assert_int_eq(rtn__money(1e12), INT64_C(10000000000000000));
}
END_TEST

START_TEST(wilson)
{
    double lo, hi;
    rtn__wilson(0, 10, &lo, &hi);
    ck_assert_double_eq(lo, 0);
    ck_assert_double_eq_tol(hi, 27.753, 1e-3); /* z^2 / (n + z^2) = 3.8415 / 13.8415 */
    rtn__wilson(10, 10, &lo, &hi);
    ck_assert_double_eq(hi, 100);
    ck_assert_double_eq_tol(lo, 72.247, 1e-3);
}
END_TEST

/* The modules' tagged index slots: record + 1 under cap - 1, the hash's
 * high bits above; a probe passes slots of other tags without their
 * records, and stops at an empty slot. */
START_TEST(tagged_index)
{
    uint32_t idx[16] = {0}, i, v;
    /* Home slot 3 (low bits) for all three; tags 0x5 and 0xa (bits 4 and
     * up of the high half: cap 16 leaves 28 tag bits). */
    const uint64_t h0 = UINT64_C(0x0000005000000003), h1 = UINT64_C(0x000000a000000013),
                   h2 = UINT64_C(0x0000005700000023);
    ck_assert_uint_eq(rtn__itag(h0, 16), 0x50);
    ck_assert_uint_eq(rtn__itag(h1, 16), 0xa0);
    ck_assert_uint_eq(rtn__itag(h2, 16), 0x50); /* bits under cap - 1 are dropped */
    rtn__index_put(idx, 16, h0, 0);
    rtn__index_put(idx, 16, h1, 1);
    rtn__index_put(idx, 16, h2, 14);
    ck_assert_uint_eq(idx[3], 0x50 | 1);
    ck_assert_uint_eq(idx[4], 0xa0 | 2);
    ck_assert_uint_eq(idx[5], 0x50 | 15);
    ck_assert_uint_eq(rtn__irec(idx[5], 16), 14);
    /* Tag 0xa: the slot of record 0 is passed. */
    i = 3;
    v = rtn__iprobe(idx, 16, 0xa0, &i);
    ck_assert_uint_eq(i, 4);
    ck_assert_uint_eq(rtn__irec(v, 16), 1);
    /* Tag 0x5: records 0, then (the caller's compare refusing it) 14. */
    i = 3;
    ck_assert_uint_eq(rtn__irec(rtn__iprobe(idx, 16, 0x50, &i), 16), 0);
    ck_assert_uint_eq(i, 3);
    i = 4;
    ck_assert_uint_eq(rtn__irec(rtn__iprobe(idx, 16, 0x50, &i), 16), 14);
    ck_assert_uint_eq(i, 5);
    /* An absent tag stops at the first empty slot, reading no record. */
    i = 3;
    ck_assert_uint_eq(rtn__iprobe(idx, 16, 0x70, &i), 0);
    ck_assert_uint_eq(i, 6);
    /* The probe wraps around the end. */
    rtn__index_put(idx, 16, UINT64_C(0x000000c00000000f), 5);
    rtn__index_put(idx, 16, UINT64_C(0x000000d00000000f), 6);
    ck_assert_uint_eq(idx[15], 0xc0 | 6);
    ck_assert_uint_eq(idx[0], 0xd0 | 7);
    i = 15;
    ck_assert_uint_eq(rtn__irec(rtn__iprobe(idx, 16, 0xd0, &i), 16), 6);
    ck_assert_uint_eq(i, 0);
    /* The largest index (2^31 slots) keeps one tag bit, the hash's top. */
    ck_assert_uint_eq(rtn__itag(UINT64_C(0x8000000000000000), UINT32_C(1) << 31), UINT32_C(0x80000000));
    ck_assert_uint_eq(rtn__itag(UINT64_C(0x7fffffffffffffff), UINT32_C(1) << 31), 0);
    ck_assert_uint_eq(rtn__irec(UINT32_C(0x80000000) | 42, UINT32_C(1) << 31), 41);
}
END_TEST

/* The health mean's sum: exact in 64 bits, and past them where a plain
 * int64 sum of scores (100e9 units each) would overflow beyond 92 million
 * customers. */
START_TEST(fixsum)
{
    rtn_fixsum s = {0, 0}, t = {0, 0};
    static const int64_t q[] = {100000000000, 0, 1, 999999999, 73250000001, 5};
    int64_t plain = 0;
    size_t i;
    for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        rtn__fixsum_add(&s, q[i]);
        rtn__fixsum_add(&t, q[sizeof(q) / sizeof(q[0]) - 1 - i]);
        plain += q[i];
    }
    /* 100 + 1e-9 + 0.999999999 + 73.250000001 + 5e-9 = 174.250000006 */
    ck_assert_int_eq(s.whole, 174);
    ck_assert_int_eq(s.part, 250000006);
    ck_assert_int_eq(t.whole, s.whole);
    ck_assert_int_eq(t.part, s.part);
    ck_assert(rtn__fixsum_value(&s) == (double)plain / 1e9);
    ck_assert(rtn__fixsum_value(&s) == 174.250000006);

    /* The largest total a plain sum holds is formed exactly. */
    memset(&s, 0, sizeof(s));
    rtn__fixsum_add(&s, INT64_MAX);
    ck_assert_int_eq(s.whole, INT64_C(9223372036));
    ck_assert_int_eq(s.part, INT64_C(854775807));
    ck_assert(rtn__fixsum_value(&s) == (double)INT64_MAX / 1e9);

    /* Past it: three times that, with the parts carried (854775807 * 3 =
     * 2564327421: two whole units carried). */
    rtn__fixsum_add(&s, INT64_MAX);
    rtn__fixsum_add(&s, INT64_MAX);
    ck_assert_int_eq(s.whole, INT64_C(27670116110));
    ck_assert_int_eq(s.part, INT64_C(564327421));
    ck_assert_double_eq_tol(rtn__fixsum_value(&s), 27670116110.564327421, 1e-5);

    /* 2^32 scores of 100 (every customer a context can hold): 429496729600. */
    memset(&s, 0, sizeof(s));
    for (i = 0; i < 4096; i++)
        rtn__fixsum_add(&s, INT64_C(100000000000) << 20);
    ck_assert_int_eq(s.whole, INT64_C(429496729600));
    ck_assert_int_eq(s.part, 0);
    ck_assert(rtn__fixsum_value(&s) == 429496729600.0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("internal");
    TCase *tc = tcase_create("internal");
    tcase_add_test(tc, fenwick_vs_naive);
    tcase_add_test(tc, fenwick_empty);
    tcase_add_test(tc, pairs_vs_naive);
    tcase_add_test(tc, id_bytes);
    tcase_add_test(tc, calendar);
    tcase_add_test(tc, money);
    tcase_add_test(tc, wilson);
    tcase_add_test(tc, fixsum);
    tcase_add_test(tc, tagged_index);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
