/*
 * test_abi.c: run-time introspection (abi.c): every public struct's size
 * equals sizeof here, every enum range matches what enumerating the
 * library gives, and bad input is refused without writing anything.
 */
#include "testutil.h"

#include <limits.h>

START_TEST(struct_sizes)
{
    static const struct {
        int which;
        size_t size;
    } want[] = {
        {RTN_STRUCT_CONFIG, sizeof(rtn_config)},
        {RTN_STRUCT_ALLOCATOR, sizeof(rtn_allocator)},
        {RTN_STRUCT_HEALTH_WEIGHTS, sizeof(rtn_health_weights)},
        {RTN_STRUCT_STATS, sizeof(rtn_stats)},
        {RTN_STRUCT_EVENT, sizeof(rtn_event)},
        {RTN_STRUCT_METRIC_INFO, sizeof(rtn_metric_info)},
        {RTN_STRUCT_VALUE, sizeof(rtn_value)},
        {RTN_STRUCT_QUERY_OPTS, sizeof(rtn_query_opts)},
        {RTN_STRUCT_CUSTOMER, sizeof(rtn_customer)},
        {RTN_STRUCT_HEALTH_ENTRY, sizeof(rtn_health_entry)},
        {RTN_STRUCT_COHORT_OPTS, sizeof(rtn_cohort_opts)},
        {RTN_STRUCT_COHORT_CELL, sizeof(rtn_cohort_cell)},
        {RTN_STRUCT_SURVIVAL_POINT, sizeof(rtn_survival_point)},
    };
    size_t i, got;
    int count, lo, hi;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        got = 0;
        ck_assert_int_eq(rtn_struct_size(&got, want[i].which), RTN_OK);
        ck_assert_msg(got == want[i].size, "struct %d: %zu, sizeof %zu", want[i].which, got,
                      want[i].size);
    }
    /* Versioned structs: the library's size is what *_init accepts. */
    ck_assert_int_eq(rtn_struct_size(&got, RTN_STRUCT_CONFIG), RTN_OK);
    ck_assert_uint_eq(got, RTN_CONFIG_VERSION);
    ck_assert_int_eq(rtn_struct_size(&got, RTN_STRUCT_EVENT), RTN_OK);
    ck_assert_uint_eq(got, RTN_EVENT_VERSION);
    ck_assert_int_eq(rtn_struct_size(&got, RTN_STRUCT_VALUE), RTN_OK);
    ck_assert_uint_eq(got, RTN_VALUE_VERSION);
    ck_assert_int_eq(rtn_struct_size(&got, RTN_STRUCT_COHORT_OPTS), RTN_OK);
    ck_assert_uint_eq(got, RTN_COHORT_OPTS_VERSION);
    /* The list above is every struct the library describes: 1 .. 13. */
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, RTN_ENUM_ABI_STRUCT), RTN_OK);
    ck_assert_int_eq(count, (int)(sizeof want / sizeof want[0]));
    ck_assert_int_eq(lo, RTN_STRUCT_CONFIG);
    ck_assert_int_eq(hi, RTN_STRUCT_SURVIVAL_POINT);
}
END_TEST

START_TEST(struct_size_bad_input)
{
    size_t got = 12345;
    ck_assert_int_eq(rtn_struct_size(&got, 0), RTN_EINVAL);
    ck_assert_int_eq(rtn_struct_size(&got, RTN_STRUCT_SURVIVAL_POINT + 1), RTN_EINVAL);
    ck_assert_int_eq(rtn_struct_size(&got, -1), RTN_EINVAL);
    ck_assert_int_eq(rtn_struct_size(&got, INT_MAX), RTN_EINVAL);
    ck_assert_int_eq(rtn_struct_size(&got, INT_MIN), RTN_EINVAL);
    ck_assert_uint_eq(got, 12345);
    ck_assert_int_eq(rtn_struct_size(NULL, RTN_STRUCT_CONFIG), RTN_EINVAL);
}
END_TEST

/* Status codes: every one from 0 down has its own message; the next one
 * down is unknown (the generic message). */
START_TEST(status_range)
{
    int count, lo, hi, code;
    const char *unknown = rtn_strerror(INT_MIN);
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, RTN_ENUM_STATUS), RTN_OK);
    ck_assert_int_eq(lo, RTN_EQUANTITY);
    ck_assert_int_eq(hi, RTN_OK);
    ck_assert_int_eq(count, 18);
    for (code = lo; code <= hi; code++)
        ck_assert_str_ne(rtn_strerror(code), unknown);
    ck_assert_str_eq(rtn_strerror(lo - 1), unknown);
    ck_assert_str_eq(rtn_strerror(hi + 1), unknown);
}
END_TEST

/* Event types: exactly the values rtn_event_type_name names. */
START_TEST(event_type_range)
{
    int count, lo, hi, t, named = 0, highest = 0;
    for (t = -5; t < 1000; t++)
        if (rtn_event_type_name(t) != NULL) {
            named++;
            highest = t;
        }
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, RTN_ENUM_EVENT_TYPE), RTN_OK);
    ck_assert_int_eq(count, named);
    ck_assert_int_eq(hi, highest);
    ck_assert_int_eq(lo, RTN_EV_ACQUIRE);
    ck_assert_int_eq(hi, RTN_EV_CES);
    ck_assert_int_eq(count, 19);
    for (t = lo; t <= hi; t++)
        ck_assert_ptr_nonnull(rtn_event_type_name(t));
}
END_TEST

/* Metrics: the count and bounds of what rtn_metric_next walks. */
START_TEST(metric_range)
{
    int count, lo, hi, m, walked = 0, first = -1, last = -1;
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m)) {
        if (first < 0)
            first = m;
        last = m;
        walked++;
    }
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, RTN_ENUM_METRIC), RTN_OK);
    ck_assert_int_eq(count, walked);
    ck_assert_int_eq(lo, first);
    ck_assert_int_eq(hi, last);
    /* 9 customer base, 11 purchases, 4 satisfaction, 16 engagement and
     * journey, 11 revenue, 4 lifecycle. */
    ck_assert_int_eq(count, 55);
    ck_assert_int_eq(lo, RTN_METRIC_RETENTION_RATE);
    ck_assert_int_eq(hi, RTN_METRIC_LIFECYCLE_DORMANT);
}
END_TEST

/* The small enums, and flags as bits. */
START_TEST(small_enums)
{
    static const struct {
        int which, count, lo, hi;
    } want[] = {
        {RTN_ENUM_RESOLUTION, 2, RTN_RESOLUTION_DAY, RTN_RESOLUTION_HOUR},
        {RTN_ENUM_METRIC_FLAG, 7, RTN_MF_RATE, RTN_MF_PERCENTILES},
        {RTN_ENUM_EVERY, 4, RTN_EVERY_DAY, RTN_EVERY_QUARTER},
        {RTN_ENUM_BENCH_CMP, 3, RTN_BENCH_BELOW, RTN_BENCH_ABOVE},
        {RTN_ENUM_NPS_CATEGORY, 4, RTN_NPS_NONE, RTN_NPS_PROMOTER},
        {RTN_ENUM_COHORT_MODE, 2, RTN_COHORT_N_PERIOD, RTN_COHORT_UNBOUNDED},
        {RTN_ENUM_ABI_STRUCT, 13, RTN_STRUCT_CONFIG, RTN_STRUCT_SURVIVAL_POINT},
        {RTN_ENUM_ABI_ENUM, 11, RTN_ENUM_STATUS, RTN_ENUM_ABI_ENUM},
    };
    size_t i;
    int count, lo, hi, e;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, want[i].which), RTN_OK);
        ck_assert_int_eq(count, want[i].count);
        ck_assert_int_eq(lo, want[i].lo);
        ck_assert_int_eq(hi, want[i].hi);
    }
    /* Each metric's flags lie within the flag bits. */
    for (e = rtn_metric_next(0); e >= 0; e = rtn_metric_next(e)) {
        rtn_metric_info info;
        info.size = sizeof info;
        ck_assert_int_eq(rtn_metric_info_get(&info, e), RTN_OK);
        ck_assert_uint_eq(info.flags & ~(unsigned)(2 * RTN_MF_PERCENTILES - 1), 0);
    }
    /* Every enum in the ABI range answers. */
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, RTN_ENUM_ABI_ENUM), RTN_OK);
    for (e = lo; e <= hi; e++) {
        int c2, l2, h2;
        ck_assert_int_eq(rtn_enum_range(&c2, &l2, &h2, e), RTN_OK);
        ck_assert_int_gt(c2, 0);
        ck_assert_int_le(l2, h2);
    }
}
END_TEST

START_TEST(enum_range_bad_input)
{
    int count = 7, lo = 8, hi = 9;
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, 0), RTN_EINVAL);
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, RTN_ENUM_ABI_ENUM + 1), RTN_EINVAL);
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, -3), RTN_EINVAL);
    ck_assert_int_eq(rtn_enum_range(&count, &lo, &hi, INT_MAX), RTN_EINVAL);
    ck_assert_int_eq(count, 7);
    ck_assert_int_eq(lo, 8);
    ck_assert_int_eq(hi, 9);
    ck_assert_int_eq(rtn_enum_range(NULL, &lo, &hi, RTN_ENUM_STATUS), RTN_EINVAL);
    ck_assert_int_eq(rtn_enum_range(&count, NULL, &hi, RTN_ENUM_STATUS), RTN_EINVAL);
    ck_assert_int_eq(rtn_enum_range(&count, &lo, NULL, RTN_ENUM_STATUS), RTN_EINVAL);
    ck_assert_int_eq(count, 7);
    ck_assert_int_eq(lo, 8);
    ck_assert_int_eq(hi, 9);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("abi");
    tcase_add_test(tc, struct_sizes);
    tcase_add_test(tc, struct_size_bad_input);
    tcase_add_test(tc, status_range);
    tcase_add_test(tc, event_type_range);
    tcase_add_test(tc, metric_range);
    tcase_add_test(tc, small_enums);
    tcase_add_test(tc, enum_range_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(suite());
}
