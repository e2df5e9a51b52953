/*
 * abi.c: run-time introspection for bindings: the size of every public
 * struct and the range of every public enum, taken from sizeof and from
 * the tables the other modules own.
 */
#include "internal.h"

/* Indexed by rtn_abi_struct. */
static const size_t struct_sizes[] = {
    [RTN_STRUCT_CONFIG] = sizeof(rtn_config),
    [RTN_STRUCT_ALLOCATOR] = sizeof(rtn_allocator),
    [RTN_STRUCT_HEALTH_WEIGHTS] = sizeof(rtn_health_weights),
    [RTN_STRUCT_STATS] = sizeof(rtn_stats),
    [RTN_STRUCT_EVENT] = sizeof(rtn_event),
    [RTN_STRUCT_METRIC_INFO] = sizeof(rtn_metric_info),
    [RTN_STRUCT_VALUE] = sizeof(rtn_value),
    [RTN_STRUCT_QUERY_OPTS] = sizeof(rtn_query_opts),
    [RTN_STRUCT_CUSTOMER] = sizeof(rtn_customer),
    [RTN_STRUCT_HEALTH_ENTRY] = sizeof(rtn_health_entry),
    [RTN_STRUCT_COHORT_OPTS] = sizeof(rtn_cohort_opts),
    [RTN_STRUCT_COHORT_CELL] = sizeof(rtn_cohort_cell),
    [RTN_STRUCT_SURVIVAL_POINT] = sizeof(rtn_survival_point),
};

#define NSTRUCTS ((int)(sizeof(struct_sizes) / sizeof(struct_sizes[0])) - 1)

/* The highest rtn_abi_enum value: rtn_enum_range answers 1 .. this (raise
 * it with each new enum; test_abi checks every value in between). */
#define NENUMS RTN_ENUM_ABI_ENUM

int rtn_struct_size(size_t *out, int which)
{
    if (out == NULL || which < 1 || which > NSTRUCTS)
        return RTN_EINVAL;
    *out = struct_sizes[which];
    return RTN_OK;
}

/* A contiguous range lo .. hi. */
static void contiguous(int r[3], int lo, int hi)
{
    r[0] = hi - lo + 1;
    r[1] = lo;
    r[2] = hi;
}

/* Single-bit values lo, 2 lo, 4 lo, ... hi. */
static void bits(int r[3], int lo, int hi)
{
    int f;
    r[0] = 0;
    for (f = lo; f <= hi; f <<= 1)
        r[0]++;
    r[1] = lo;
    r[2] = hi;
}

int rtn_enum_range(int *count, int *lo, int *hi, int which)
{
    int r[3];
    if (count == NULL || lo == NULL || hi == NULL)
        return RTN_EINVAL;
    switch (which) {
    case RTN_ENUM_STATUS: contiguous(r, 1 - rtn__status_count(), RTN_OK); break;
    case RTN_ENUM_RESOLUTION: contiguous(r, RTN_RESOLUTION_DAY, RTN_RESOLUTION_HOUR); break;
    case RTN_ENUM_EVENT_TYPE: contiguous(r, RTN_EV_ACQUIRE, rtn__event_type_count()); break;
    case RTN_ENUM_METRIC: rtn__metric_range(&r[0], &r[1], &r[2]); break;
    case RTN_ENUM_METRIC_FLAG: bits(r, RTN_MF_RATE, RTN_MF_PERCENTILES); break;
    case RTN_ENUM_EVERY: contiguous(r, RTN_EVERY_DAY, RTN_EVERY_QUARTER); break;
    case RTN_ENUM_BENCH_CMP: contiguous(r, RTN_BENCH_BELOW, RTN_BENCH_ABOVE); break;
    case RTN_ENUM_NPS_CATEGORY: contiguous(r, RTN_NPS_NONE, RTN_NPS_PROMOTER); break;
    case RTN_ENUM_COHORT_MODE: contiguous(r, RTN_COHORT_N_PERIOD, RTN_COHORT_UNBOUNDED); break;
    case RTN_ENUM_ABI_STRUCT: contiguous(r, RTN_STRUCT_CONFIG, NSTRUCTS); break;
    case RTN_ENUM_ABI_ENUM: contiguous(r, RTN_ENUM_STATUS, NENUMS); break;
    default: return RTN_EINVAL;
    }
    *count = r[0];
    *lo = r[1];
    *hi = r[2];
    return RTN_OK;
}
