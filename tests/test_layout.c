/*
 * test_layout.c: the memory layout of every public struct, as docs/abi.md
 * documents it for LP64 platforms (x86-64, AArch64): each field's offset and
 * size, each struct's size and alignment, and no implicit padding anywhere.
 * A layout change fails here even where abigail-tools is not installed.
 */
#include "testutil.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One row of the layout table: a field as the compiler lays it out, and as
 * documented. Documented sizes P and P4 mean one and four pointers (8 and
 * 32 bytes on LP64). */
typedef struct row {
    const char *type;
    const char *field;
    size_t off, size;
    size_t want_off, want_size;
} row;

#define F(T, f, o, s) {#T, #f, offsetof(T, f), sizeof(((T *)0)->f), o, s}
#define P 0
#define P4 1

/* Every field of every public struct, in declaration order. */
static const row rows[] = {
    F(rtn_allocator, malloc_fn, 0, P),
    F(rtn_allocator, realloc_fn, 8, P),
    F(rtn_allocator, free_fn, 16, P),
    F(rtn_allocator, user, 24, P),

    F(rtn_health_weights, recency, 0, 8),
    F(rtn_health_weights, frequency, 8, 8),
    F(rtn_health_weights, monetary, 16, 8),
    F(rtn_health_weights, satisfaction, 24, 8),
    F(rtn_health_weights, contacts, 32, 8),

    F(rtn_config, size, 0, 4),
    F(rtn_config, resolution, 4, 4),
    F(rtn_config, day_offset_minutes, 8, 4),
    F(rtn_config, inactivity_days, 12, 4),
    F(rtn_config, memory_cap, 16, 8),
    F(rtn_config, allocator, 24, P4),
    F(rtn_config, loyal_min_purchases, 56, 4),
    F(rtn_config, loyal_window_days, 60, 4),
    F(rtn_config, gross_margin, 64, 8),
    F(rtn_config, csat_min, 72, 4),
    F(rtn_config, csat_max, 76, 4),
    F(rtn_config, csat_satisfied, 80, 4),
    F(rtn_config, ces_min, 84, 4),
    F(rtn_config, ces_max, 88, 4),
    F(rtn_config, value_event, 92, 4),
    F(rtn_config, health, 96, 40),

    F(rtn_stats, size, 0, 4),
    F(rtn_stats, reserved, 4, 4),
    F(rtn_stats, events, 8, 8),
    F(rtn_stats, customers, 16, 8),
    F(rtn_stats, first_time, 24, 8),
    F(rtn_stats, last_time, 32, 8),
    F(rtn_stats, memory_bytes, 40, 8),

    F(rtn_event, size, 0, 4),
    F(rtn_event, type, 4, 4),
    F(rtn_event, time, 8, 8),
    F(rtn_event, customer, 16, 8),
    F(rtn_event, customer_str, 24, P),
    F(rtn_event, customer_len, 32, 4),
    F(rtn_event, ref_len, 36, 4),
    F(rtn_event, ref_str, 40, P),
    F(rtn_event, ref, 48, 8),
    F(rtn_event, value, 56, 8),
    F(rtn_event, quantity, 64, 8),

    F(rtn_metric_info, size, 0, 4),
    F(rtn_metric_info, metric, 4, 4),
    F(rtn_metric_info, name, 8, P),
    F(rtn_metric_info, unit, 16, P),
    F(rtn_metric_info, flags, 24, 4),
    F(rtn_metric_info, reserved, 28, 4),

    F(rtn_value, size, 0, 4),
    F(rtn_value, defined, 4, 4),
    F(rtn_value, from, 8, 8),
    F(rtn_value, to, 16, 8),
    F(rtn_value, value, 24, 8),
    F(rtn_value, numerator, 32, 8),
    F(rtn_value, denominator, 40, 8),
    F(rtn_value, lo, 48, 8),
    F(rtn_value, hi, 56, 8),
    F(rtn_value, p50, 64, 8),
    F(rtn_value, p90, 72, 8),
    F(rtn_value, n, 80, 8),

    F(rtn_query_opts, size, 0, 4),
    F(rtn_query_opts, feature_len, 4, 4),
    F(rtn_query_opts, feature_str, 8, P),
    F(rtn_query_opts, feature, 16, 8),

    F(rtn_customer, size, 0, 4),
    F(rtn_customer, id_len, 4, 4),
    F(rtn_customer, id_str, 8, P),
    F(rtn_customer, id, 16, 8),

    F(rtn_health_entry, id, 0, 8),
    F(rtn_health_entry, id_str, 8, P),
    F(rtn_health_entry, id_len, 16, 4),
    F(rtn_health_entry, reserved, 20, 4),
    F(rtn_health_entry, score, 24, 8),

    F(rtn_cohort_opts, size, 0, 4),
    F(rtn_cohort_opts, every, 4, 4),
    F(rtn_cohort_opts, mode, 8, 4),
    F(rtn_cohort_opts, recurring, 12, 4),
    F(rtn_cohort_opts, from, 16, 8),
    F(rtn_cohort_opts, to, 24, 8),
    F(rtn_cohort_opts, at, 32, 8),
    F(rtn_cohort_opts, max_periods, 40, 4),
    F(rtn_cohort_opts, reserved, 44, 4),

    F(rtn_cohort_cell, share, 0, 8),
    F(rtn_cohort_cell, active, 8, 8),
    F(rtn_cohort_cell, complete, 16, 4),
    F(rtn_cohort_cell, reserved, 20, 4),

    F(rtn_survival_point, t_days, 0, 8),
    F(rtn_survival_point, at_risk, 8, 8),
    F(rtn_survival_point, events, 16, 8),
    F(rtn_survival_point, s, 24, 8),
    F(rtn_survival_point, lo, 32, 8),
    F(rtn_survival_point, hi, 40, 8),
};

/* Every public struct: its size and alignment, as compiled and on LP64. */
typedef struct whole {
    const char *type;
    size_t size, align;
    size_t want_size, want_align;
} whole;

#define S(T, s, a) {#T, sizeof(T), _Alignof(T), s, a}

static const whole structs[] = {
    S(rtn_allocator, 32, 8),   S(rtn_health_weights, 40, 8), S(rtn_config, 136, 8),
    S(rtn_stats, 48, 8),       S(rtn_event, 72, 8),          S(rtn_metric_info, 32, 8),
    S(rtn_value, 88, 8),       S(rtn_query_opts, 24, 8),     S(rtn_customer, 24, 8),
    S(rtn_health_entry, 32, 8), S(rtn_cohort_opts, 48, 8),   S(rtn_cohort_cell, 24, 8),
    S(rtn_survival_point, 48, 8),
};

#define N_ROWS (sizeof rows / sizeof rows[0])
#define N_STRUCTS (sizeof structs / sizeof structs[0])

static int lp64(void)
{
    return sizeof(void *) == 8 && sizeof(size_t) == 8;
}

/* The documented size of a row's field on this platform. */
static size_t want_size(const row *r)
{
    if (r->want_size == P)
        return sizeof(void *);
    if (r->want_size == P4)
        return 4 * sizeof(void *);
    return r->want_size;
}

/* Fixed-width fields have their width everywhere, pointers are pointers. */
START_TEST(field_sizes)
{
    size_t i;
    for (i = 0; i < N_ROWS; i++)
        ck_assert_msg(rows[i].size == want_size(&rows[i]), "%s.%s: size %zu, documented %zu",
                      rows[i].type, rows[i].field, rows[i].size, want_size(&rows[i]));
}
END_TEST

/* Offsets, struct sizes and alignments as docs/abi.md gives them for LP64. */
START_TEST(lp64_layout)
{
    size_t i;
    if (!lp64())
        return; /* the documented table is for LP64; field_sizes still runs */
    for (i = 0; i < N_ROWS; i++)
        ck_assert_msg(rows[i].off == rows[i].want_off, "%s.%s: offset %zu, documented %zu",
                      rows[i].type, rows[i].field, rows[i].off, rows[i].want_off);
    for (i = 0; i < N_STRUCTS; i++) {
        ck_assert_msg(structs[i].size == structs[i].want_size, "sizeof(%s) = %zu, documented %zu",
                      structs[i].type, structs[i].size, structs[i].want_size);
        ck_assert_msg(structs[i].align == structs[i].want_align, "_Alignof(%s) = %zu, documented %zu",
                      structs[i].type, structs[i].align, structs[i].want_align);
    }
}
END_TEST

/* No implicit padding: each struct's fields in the table start at 0, follow
 * one another without gaps and end at its size. This also proves the table
 * lists every field (a missing one leaves a gap or a short end). */
START_TEST(no_padding)
{
    size_t i, j, end = 0;
    int structs_seen = 0;
    if (!lp64())
        return;
    for (i = 0; i < N_ROWS; i++) {
        int first = i == 0 || strcmp(rows[i].type, rows[i - 1].type) != 0;
        if (first) {
            ck_assert_msg(rows[i].off == 0, "%s starts with %s at %zu", rows[i].type, rows[i].field,
                          rows[i].off);
            end = 0;
            structs_seen++;
        }
        ck_assert_msg(rows[i].off == end, "%s.%s at offset %zu, not right after the field before (%zu)",
                      rows[i].type, rows[i].field, rows[i].off, end);
        end = rows[i].off + rows[i].size;
        if (i + 1 == N_ROWS || strcmp(rows[i].type, rows[i + 1].type) != 0) {
            for (j = 0; j < N_STRUCTS; j++)
                if (strcmp(structs[j].type, rows[i].type) == 0)
                    break;
            ck_assert_msg(j < N_STRUCTS, "%s missing from the struct table", rows[i].type);
            ck_assert_msg(end == structs[j].size, "%s: %zu bytes of padding at the end",
                          rows[i].type, structs[j].size - end);
        }
    }
    ck_assert_int_eq(structs_seen, (int)N_STRUCTS);
}
END_TEST

/* The *_VERSION macros a caller passes to *_init are the current sizes. */
START_TEST(version_macros)
{
    ck_assert_uint_eq(RTN_CONFIG_VERSION, sizeof(rtn_config));
    ck_assert_uint_eq(RTN_EVENT_VERSION, sizeof(rtn_event));
    ck_assert_uint_eq(RTN_VALUE_VERSION, sizeof(rtn_value));
    ck_assert_uint_eq(RTN_COHORT_OPTS_VERSION, sizeof(rtn_cohort_opts));
}
END_TEST

/* The reserved fields the library fills are zero, whatever the caller left
 * there, so they can take a meaning in a later minor version. */
START_TEST(reserved_zero)
{
    rtn_ctx *ctx = tu_ctx(NULL);
    rtn_stats st;
    rtn_metric_info mi;
    ck_assert_int_eq(rtn_stats_init(&st, sizeof st), RTN_OK);
    ck_assert_uint_eq(st.reserved, 0);
    st.reserved = 0xdeadbeefu;
    ck_assert_int_eq(rtn_ctx_stats(&st, ctx), RTN_OK);
    ck_assert_uint_eq(st.reserved, 0);
    memset(&mi, 0xff, sizeof mi);
    mi.size = sizeof mi;
    ck_assert_int_eq(rtn_metric_info_get(&mi, RTN_METRIC_CHURN_RATE), RTN_OK);
    ck_assert_uint_eq(mi.reserved, 0);
    rtn_ctx_free(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("layout");
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, field_sizes);
    tcase_add_test(tc, lp64_layout);
    tcase_add_test(tc, no_padding);
    tcase_add_test(tc, version_macros);
    tcase_add_test(tc, reserved_zero);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
