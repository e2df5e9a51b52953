/*
 * sample.h: the synthetic shop event-log generator behind `retention sample`.
 */
#ifndef RTN_TOOL_SAMPLE_H
#define RTN_TOOL_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

typedef struct sample_opts {
    uint32_t customers; /* customers who sign up over the period */
    uint32_t days;      /* length of the log in days */
    uint64_t seed;      /* same seed, same bytes */
    int64_t start_day;  /* first day, days since 1970-01-01 */
} sample_opts;

/* Write a CSV log (with header) to out. Returns rows written, or -1 on a
 * write or allocation failure. */
int64_t sample_write(FILE *out, const sample_opts *o);

#endif
