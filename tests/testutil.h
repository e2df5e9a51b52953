/*
 * testutil.h: helpers shared by the test suites: event builders, a seeded
 * generator of realistic mixed event streams, and an exhaustive comparison
 * of two contexts over every metric.
 */
#ifndef RTN_TESTUTIL_H
#define RTN_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "retention.h"

#define T_DAY INT64_C(86400000)
#define T_HOUR INT64_C(3600000)
/* 2026-01-01T00:00:00Z, a Thursday. */
#define T0 INT64_C(1767225600000)
/* Instant of day d (from T0) plus h hours. */
#define TD(d) (T0 + (int64_t)(d) * T_DAY)

/* A filled event for a numeric customer. */
rtn_event tu_ev(int type, int64_t time, uint64_t customer, double value);
/* Push and require RTN_OK (fails the test with the context's detail). */
void tu_push(rtn_ctx *ctx, int type, int64_t time, uint64_t customer, double value);
void tu_push_ref(rtn_ctx *ctx, int type, int64_t time, uint64_t customer, double value,
                 uint64_t ref);
void tu_push_ev(rtn_ctx *ctx, const rtn_event *ev);
/* Query a metric; requires RTN_OK. */
rtn_value tu_query(rtn_ctx *ctx, int metric, int64_t from, int64_t to);
/* A new context with defaults (or cfg); requires success. */
rtn_ctx *tu_ctx(const rtn_config *cfg);

/* Allocator hooks that fail on demand: `left` allocations succeed, then one
 * fails (left < 0: none fails). With `sticky`, every later one fails too;
 * without, the hooks go back to succeeding (left becomes -1). */
typedef struct tu_failing {
    long left;
    int sticky;
} tu_failing;
void tu_failing_hooks(rtn_allocator *a, tu_failing *f);

/* A growable byte buffer serving as snapshot write and read callbacks. */
typedef struct tu_buf {
    unsigned char *p;
    size_t len, cap;
    size_t pos;        /* where tu_buf_read continues */
    size_t fail_after; /* > 0: a write fails once the buffer would pass this many bytes */
} tu_buf;
#define TU_BUF_INIT {NULL, 0, 0, 0, 0}
int tu_buf_write(const void *data, size_t len, void *user);
int64_t tu_buf_read(void *data, size_t len, void *user);

/* Run a suite; the process's exit status (every test file's main). */
int tu_run(Suite *s);

/* Deterministic PRNG. */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;
uint64_t tu_next(tu_rng *r);
uint32_t tu_below(tu_rng *r, uint32_t n);

/* A generated stream: events plus owned string storage. */
typedef struct tu_stream {
    rtn_event *ev;
    size_t n;
    char *strs;
} tu_stream;

/* Generate n events over `customers` customers and `days` days from T0, of
 * every type, with valid values (scores on the default scales), some string
 * customer ids, features 1..3, carts, contacts and subscriptions. */
void tu_stream_gen(tu_stream *s, uint64_t seed, size_t n, uint32_t customers, uint32_t days);
void tu_stream_free(tu_stream *s);
/* Shuffle events in place (Fisher-Yates). */
void tu_shuffle(rtn_event *ev, size_t n, uint64_t seed);
/* Push all events; requires success. */
void tu_push_all(rtn_ctx *ctx, const rtn_event *ev, size_t n);

/* Compare every metric (and cohort matrices and survival curves when the
 * build has them) of two contexts over many periods within [T0, T0+days+60d).
 * Returns 0 when identical, else fills why (first difference) and returns 1. */
int tu_compare_all(rtn_ctx *a, rtn_ctx *b, uint32_t days, char *why, size_t whylen);
/* Same-value test: both NaN, or bitwise-equal doubles. */
int tu_same(double x, double y);

#endif
