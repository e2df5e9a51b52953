/*
 * retention.c: the `retention` command-line tool. Reads event logs into a
 * context through the public API only and prints every metric the library
 * knows (report), metrics per calendar period (series), or writes a
 * synthetic shop log (sample).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "input.h"
#include "retention.h"
#include "sample.h"

#define DAY_MS INT64_C(86400000)
#define MAX_FEATURES 32
#define MAX_METRICS 256

/* Exit codes (documented in --help and docs/cli.md). */
enum {
    EX_OK = 0,      /* success (bad rows, if any, were reported and skipped) */
    EX_FAIL = 1,    /* the library failed (out of memory, metric unavailable for series) */
    EX_USAGE = 2,   /* bad command line */
    EX_DATA = 3,    /* a bad row under --strict, or an input that is not an event log */
    EX_IO = 4       /* a file cannot be read or written (input, output or state) */
};

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

typedef struct opts {
    int64_t from, to;
    int have_from, have_to;
    int format;
    const char *save, *load;
    int strict, quiet, stats, parse_only;
    long max_messages;
    int inactivity_days;
    int every;
    const char *features[MAX_FEATURES];
    int nfeatures;
    int metrics[MAX_METRICS];
    int nmetrics;
    const char **files;
    int nfiles;
} opts;

typedef struct run {
    uint64_t rows, bad;
    double seconds;
} run;

static const char *prog = "retention";

/* ---- help ------------------------------------------------------------------ */

static const char usage_text[] =
    "Usage:\n"
    "  retention report [OPTIONS] FILE...\n"
    "  retention series --every day|week|month|quarter [OPTIONS] METRIC... FILE...\n"
    "  retention sample [--customers N] [--days D] [--seed S] [--start DATE] [-o FILE]\n"
    "  retention metrics\n"
    "  retention --help | --version\n"
    "\n"
    "Reads customer event logs, pushes every event into a libretention context\n"
    "and prints retention, churn, loyalty and satisfaction metrics.\n"
    "\n"
    "Input (FILE): CSV with a header row (columns time,type,customer and optional\n"
    "value,quantity,ref in any order; extra columns ignored; RFC 4180 quoting), or\n"
    "JSON Lines (one object per line; chosen by a .jsonl/.ndjson name or a first\n"
    "character '{'). '-' reads standard input. Files ending in .gz (or any gzip\n"
    "input) are decompressed when the tool was built with zlib. time is ISO 8601\n"
    "(2026-03-01T12:00:00Z, fractions and +hh:mm offsets accepted) or integer\n"
    "milliseconds; customer and ref are always string ids.\n"
    "\n"
    "Commands:\n"
    "  report    Every metric of the library over one period.\n"
    "  series    One row per day/week/month/quarter for the METRICs named\n"
    "            (names as listed by `retention metrics`). Arguments that name a\n"
    "            metric are metrics; the first one that does not starts the files\n"
    "            (write ./NAME for a file called like a metric).\n"
    "  sample    Write a synthetic shop log (CSV) to standard output or -o FILE:\n"
    "            acquisitions with referrals, purchases with returns, subscriptions\n"
    "            with upgrades, downgrades, cancellations and reactivations,\n"
    "            activity, features, page views, shares, visits, conversions, carts,\n"
    "            support contacts, NPS/CSAT/CES answers and churn. The same options\n"
    "            give the same bytes.\n"
    "  metrics   List every metric name with its unit.\n"
    "\n"
    "Options of report and series:\n"
    "  --from DATE         Period start (YYYY-MM-DD, full ISO 8601 or ms); default:\n"
    "                      midnight UTC of the first event's day.\n"
    "  --to DATE           Period end, exclusive; default: midnight UTC after the\n"
    "                      last event's day. --to 2026-04-01 ends with March 31.\n"
    "  --format FMT        table (default), json or csv.\n"
    "  --feature NAME      Report feature_adoption_rate and feature_usage for this\n"
    "                      feature (repeatable). Without it they are left out.\n"
    "  --every UNIT        series only: day, week (ISO, Monday), month, quarter.\n"
    "  --save STATE        After reading, save the context to STATE (atomic).\n"
    "  --load STATE        Start from a context saved with --save, then add FILEs\n"
    "                      (none needed). The loaded state's settings win.\n"
    "  --inactivity-days N A customer with no start event for N days is lost\n"
    "                      (default 0: only churn events and ended subscriptions).\n"
    "  --strict            Stop at the first bad row (exit 3); rows are then pushed\n"
    "                      one by one in file order (otherwise in chunks grouped by\n"
    "                      customer, whose bad rows are reported in line order).\n"
    "  --max-messages N    Bad rows reported on standard error (default 100, 0 =\n"
    "                      all); every bad row is counted in the summary.\n"
    "  --quiet             No progress or summary on standard error.\n"
    "  --stats             Print rows read and rows per second on standard error.\n"
    "  --parse-only        Parse the input and count rows without building a\n"
    "                      context (a benchmark aid; implies --stats, no report).\n"
    "\n"
    "Options of sample:\n"
    "  --customers N       Customers who sign up over the period (default 300).\n"
    "  --days D            Days in the log (default 180).\n"
    "  --seed S            PRNG seed (default 42).\n"
    "  --start DATE        First day (default 2026-01-01).\n"
    "  -o, --output FILE   Write to FILE instead of standard output.\n"
    "\n"
    "Output: undefined values (a rate with a zero denominator) print as null in\n"
    "JSON, empty in CSV and 'undefined' in the table, never as 0. Metrics this\n"
    "build of the library cannot compute are listed under \"unavailable\".\n"
    "Rows that do not parse are reported as FILE:LINE: reason, counted and skipped.\n"
    "Progress (rows, rows/s) is shown on standard error when it is a terminal.\n"
    "\n"
    "Exit status:\n"
    "  0  success (bad rows, if any, were reported and skipped)\n"
    "  1  the library failed (out of memory, a series metric not available)\n"
    "  2  bad command line\n"
    "  3  bad row under --strict, or an input that is not an event log\n"
    "  4  a file cannot be read or written (input, output or state)\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
}

/* ---- small helpers ----------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *e;
    long v;
    errno = 0;
    v = strtol(s, &e, 10);
    if (*s == '\0' || *e != '\0' || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int64_t floor_day(int64_t ms)
{
    return (ms >= 0 ? ms / DAY_MS : -((-ms + DAY_MS - 1) / DAY_MS)) * DAY_MS;
}

static void fmt_date(char *buf, size_t len, int64_t ms)
{
    in_format_time(buf, len, ms);
    if (ms % DAY_MS == 0)
        buf[10] = '\0';
}

/* ---- reading ----------------------------------------------------------------- */

static void progress(const char *path, uint64_t rows, double t0, int final)
{
    double dt = now_s() - t0;
    if (final) {
        fprintf(stderr, "\r%-78s\r", "");
        return;
    }
    fprintf(stderr, "\r%s: %s: %llu rows (%.0f rows/s)   ", prog, path, (unsigned long long)rows,
            dt > 0 ? (double)rows / dt : 0.0);
}

/* Rows are read into chunks and pushed sorted by customer: the results do
 * not depend on the order of events, and a customer's events pushed one
 * after the other find its records in the cache. */
#define CHUNK_ROWS 524288
/* A chunk is also flushed at this many bytes of ids (a row adds at most two
 * of IN_BUF), so that offsets into them fit in 32 bits. */
#define CHUNK_BYTES ((size_t)1 << 30)
/* Rows are pushed in blocks of this many, gathered in hash order. */
#define BLOCK_ROWS 1024

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* A bad row, reported when its chunk is done, in line order. */
typedef struct row_msg {
    uint64_t line;
    char *text;
} row_msg;

/* A parsed row: one cache line, read in hash order. The reader gives every
 * id as bytes (never a numeric id); a customer id or ref of up to CROW_ID
 * bytes sits in the row itself, so the row's one line is all its push
 * reads; a longer one is copied to the chunk's bytes (CROW_OUT). The line
 * is kept as its distance from the chunk's first row's (a chunk is flushed
 * before that passes 32 bits). */
#define CROW_ID 16
#define CROW_OUT 255 /* the id's length and bytes are in x (the chunk's bytes) */
typedef union crow_str {
    char in[CROW_ID]; /* length <= CROW_ID */
    struct {
        uint32_t off, len;
    } x;
} crow_str;
typedef struct crow {
    int64_t time, quantity;
    double value;
    uint32_t line;  /* its line in the file, less the chunk's line0 */
    uint8_t type;
    uint8_t clen;   /* the customer id's length, or CROW_OUT */
    uint8_t rlen;   /* the ref's length (0: no ref), or CROW_OUT */
    uint8_t unused;
    crow_str cid, ref;
} crow;
typedef char crow_is_one_line[sizeof(crow) == 64 ? 1 : -1];
#if IN_READABLE < CROW_ID
#error "the reader's strings must have CROW_ID readable bytes"
#endif

typedef struct chunk {
    crow *row;         /* aligned to a cache line */
    void *row_mem;     /* what was allocated for it */
    uint64_t *key, *tmp; /* sort keys: customer hash << 32 | row */
    rtn_event *blk;    /* one block of rows in sorted order */
    size_t *cnt;       /* rows per top 11 bits of the hash, 2048 */
    size_t n, cap;
    uint64_t line0;    /* the line of the chunk's first row */
    char *bytes;
    size_t nb, bcap;
    row_msg *msg;
    size_t nmsg, mcap;
    rtn_allocator al; /* where the arrays come from (the arena when there is one) */
} chunk;

static void *chunk_alloc(chunk *c, size_t n)
{
    return c->al.malloc_fn ? c->al.malloc_fn(n, c->al.user) : malloc(n);
}

static void chunk_release(chunk *c, void *p)
{
    if (c->al.free_fn)
        c->al.free_fn(p, c->al.user);
    else
        free(p);
}

static void chunk_free(chunk *c)
{
    size_t i;
    for (i = 0; i < c->nmsg; i++)
        free(c->msg[i].text);
    chunk_release(c, c->row_mem);
    chunk_release(c, c->key);
    chunk_release(c, c->tmp);
    chunk_release(c, c->cnt);
    chunk_release(c, c->blk);
    chunk_release(c, c->bytes);
    free(c->msg);
    memset(c, 0, sizeof(*c));
}

/* The arrays are large and read in hash order: from the arena (al, may be
 * all NULL), they sit on huge pages where the system has them. */
static int chunk_init(chunk *c, size_t cap, const rtn_allocator *al)
{
    size_t i;
    memset(c, 0, sizeof(*c));
    c->al = *al;
    c->cap = cap;
    /* Rows on cache lines: 63 bytes more than they need (the arena's large
     * blocks are aligned already; malloc's may not be). */
    if ((c->row_mem = chunk_alloc(c, cap * sizeof(*c->row) + 63)) != NULL)
        c->row = (crow *)(void *)(((uintptr_t)c->row_mem + 63) & ~(uintptr_t)63);
    c->key = chunk_alloc(c, cap * sizeof(*c->key));
    c->tmp = chunk_alloc(c, cap * sizeof(*c->tmp));
    if ((c->cnt = chunk_alloc(c, 2048 * sizeof(*c->cnt))) != NULL)
        memset(c->cnt, 0, 2048 * sizeof(*c->cnt));
    c->blk = chunk_alloc(c, BLOCK_ROWS * sizeof(*c->blk));
    if (!c->row || !c->key || !c->tmp || !c->cnt || !c->blk) {
        chunk_free(c);
        return -1;
    }
    for (i = 0; i < BLOCK_ROWS; i++)
        rtn_event_init(&c->blk[i], RTN_EVENT_VERSION);
    return 0;
}

/* Copy n bytes into the chunk; returns their offset or SIZE_MAX. The
 * bytes keep IN_READABLE bytes of room after their end, and a short string
 * (the reader's: IN_READABLE bytes readable) moves as two words. */
static size_t chunk_bytes(chunk *c, const char *p, size_t n)
{
    size_t off = c->nb;
    if (c->nb + n + IN_READABLE > c->bcap) {
        size_t ncap = c->bcap ? c->bcap : 65536;
        char *q;
        while (ncap < c->nb + n + IN_READABLE)
            ncap *= 2;
        if ((q = c->al.realloc_fn ? c->al.realloc_fn(c->bytes, ncap, c->al.user)
                                  : realloc(c->bytes, ncap)) == NULL)
            return SIZE_MAX;
        c->bytes = q;
        c->bcap = ncap;
    }
    if (n <= IN_READABLE)
        memcpy(c->bytes + off, p, IN_READABLE);
    else
        memcpy(c->bytes + off, p, n);
    c->nb += n;
    return off;
}

static int chunk_msg(chunk *c, uint64_t line, const char *text)
{
    if (c->nmsg == c->mcap) {
        size_t ncap = c->mcap ? c->mcap * 2 : 16;
        row_msg *q = realloc(c->msg, ncap * sizeof(*q));
        if (q == NULL)
            return -1;
        c->msg = q;
        c->mcap = ncap;
    }
    if ((c->msg[c->nmsg].text = strdup(text)) == NULL)
        return -1;
    c->msg[c->nmsg++].line = line;
    return 0;
}

static const char *crow_id(const chunk *c, const crow *r);
static uint32_t id_hash(const char *p, size_t n);

/* Put a string of the reader's (IN_READABLE bytes readable) in a row:
 * inline when it is short, else in the chunk's bytes. Its length byte, or
 * 0xffff on failure. */
static unsigned crow_put(chunk *c, crow_str *d, const char *p, uint32_t n)
{
    size_t off;
    if (n <= CROW_ID) {
        memcpy(d->in, p, CROW_ID);
        return n;
    }
    if ((off = chunk_bytes(c, p, n)) == SIZE_MAX)
        return 0xffff;
    d->x.off = (uint32_t)off;
    d->x.len = n;
    return CROW_OUT;
}

/* A row's string (an id or ref of length byte len): in the row, or in the
 * chunk's bytes. */
static const char *crow_str_at(const chunk *c, const crow_str *d, unsigned len)
{
    return len == CROW_OUT ? c->bytes + d->x.off : d->in;
}

static uint32_t crow_str_len(const crow_str *d, unsigned len)
{
    return len == CROW_OUT ? d->x.len : len;
}

/* Whether a row of this line can join the chunk: its distance from the
 * chunk's first line must fit a row's 32 bits (else flush first). */
static int chunk_fits_line(const chunk *c, uint64_t line)
{
    return c->n == 0 || line - c->line0 <= UINT32_MAX;
}

/* Add a parsed row (its strings are copied). The chunk is flushed before
 * its bytes pass CHUNK_BYTES, so offsets fit in 32 bits, and the caller
 * flushes it before a line too far from line0 (chunk_fits_line). */
static int chunk_add(chunk *c, const rtn_event *ev, uint64_t line)
{
    crow *r = &c->row[c->n];
    unsigned k;
    uint32_t h;
    if (ev->customer_str == NULL || ev->ref != 0 || (unsigned)ev->type > 255u)
        return -1; /* not from the reader */
    if (c->n == 0)
        c->line0 = line;
    r->time = ev->time;
    r->quantity = ev->quantity;
    r->value = ev->value;
    r->line = (uint32_t)(line - c->line0);
    r->type = (uint8_t)ev->type;
    if ((k = crow_put(c, &r->cid, ev->customer_str, ev->customer_len)) == 0xffff)
        return -1;
    r->clen = (uint8_t)k;
    r->rlen = 0;
    if (ev->ref_str && ev->ref_len) {
        if ((k = crow_put(c, &r->ref, ev->ref_str, ev->ref_len)) == 0xffff)
            return -1;
        r->rlen = (uint8_t)k;
    }
    h = id_hash(crow_id(c, r), ev->customer_len);
    c->key[c->n] = (uint64_t)h << 32 | c->n;
    c->cnt[h >> 21]++;
    c->n++;
    return 0;
}

/* A row's customer id. */
static const char *crow_id(const chunk *c, const crow *r)
{
    return crow_str_at(c, &r->cid, r->clen);
}

/* A row's line in the file. */
static uint64_t crow_line(const chunk *c, const crow *r)
{
    return c->line0 + r->line;
}

/* The event of a row, its ids pointing into the chunk (the row, or the
 * chunk's bytes). ev came from rtn_event_init (chunk_init), and only the
 * fields a row gives are ever set: the others stay as they were made. */
static void row_event(const chunk *c, const crow *r, rtn_event *ev)
{
    ev->type = r->type;
    ev->time = r->time;
    ev->customer_str = crow_id(c, r);
    ev->customer_len = crow_str_len(&r->cid, r->clen);
    ev->ref_str = r->rlen ? crow_str_at(c, &r->ref, r->rlen) : NULL;
    ev->ref_len = r->rlen ? crow_str_len(&r->ref, r->rlen) : 0;
    ev->value = r->value;
    ev->quantity = r->quantity;
}

/* Eight 0xff bytes, then eight zero bytes: the word at ones8 + 8 - n keeps
 * the first n bytes of a word loaded from memory, whatever the byte order. */
static const unsigned char ones8[16] = {255, 255, 255, 255, 255, 255, 255, 255};

/* A hash of a customer id for grouping rows, 8 bytes at a time. */
static uint32_t id_hash(const char *p, size_t n)
{
    uint64_t h = n * UINT64_C(0x9e3779b97f4a7c15);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        /* An id has room after it (in its row, or in the slack the chunk's
         * bytes keep): a whole word, masked. */
        uint64_t w, m;
        memcpy(&w, p, 8);
        memcpy(&m, ones8 + 8 - n, 8);
        h = (h ^ (w & m)) * UINT64_C(0xff51afd7ed558ccd);
    }
    h ^= h >> 32;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    return (uint32_t)(h >> 32);
}

#define SORT_PART 512
/* A chunk of fewer keys than this is sorted whole (see chunk_sort). */
#define SORT_SMALL 4096

/* Sort m keys from src into dst by insertion (dst may be src). Quick when
 * the keys are few or already almost in order. */
static void insertion_sort(const uint64_t *src, uint64_t *dst, size_t m)
{
    size_t i, j;
    for (i = 0; i < m; i++) {
        uint64_t k = src[i];
        for (j = i; j > 0 && dst[j - 1] > k; j--)
            dst[j] = dst[j - 1];
        dst[j] = k;
    }
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sort m keys in place without a counting pass: by insertion when they are
 * few (SORT_FEW), else by qsort (a small chunk, or a part too large for
 * insertion). */
#define SORT_FEW 16
static void sort_keys(uint64_t *p, size_t m)
{
    if (m <= SORT_FEW)
        insertion_sort(p, p, m);
    else
        qsort(p, m, sizeof(*p), cmp_key);
}

/* Order the rows by their customer's hash, then file order (c->key: hash
 * << 32 | row, unique, so sorting the keys does both). One pass over the
 * whole array scatters the keys by the hash's top 11 bits (chunk_add
 * counted them). Each of the 2048 parts, a few hundred keys on a full
 * chunk, is then sorted in the cache: a counting pass on the next 7 bits
 * leaves it nearly in order, and an insertion pass finishes it. A part of
 * more than SORT_PART keys (a customer with that many rows in the chunk,
 * or ids made to share hash bits) goes to qsort, so that no input makes
 * the insertion quadratic beyond that size. */
static void chunk_sort(chunk *c)
{
    /* Locals: the compiler need not reload them after every store. */
    size_t i, b, lo, n = c->n, *cnt = c->cnt, sum = 0;
    size_t loc[128];
    uint64_t *key = c->key, *tmp = c->tmp;
    if (n < SORT_SMALL) {
        /* For a few keys (under twice the 2048 parts) the passes over the
         * parts would cost more than the keys (a --strict run sorts one
         * row at a time): the keys are sorted where they are, and only
         * their counts cleared. */
        for (i = 0; i < n; i++)
            cnt[key[i] >> 53] = 0;
        sort_keys(key, n);
        return;
    }
    for (b = 0; b < 2048; b++) {
        size_t k = cnt[b];
        cnt[b] = sum;
        sum += k;
    }
    for (i = 0; i < n; i++) {
        uint64_t k = key[i];
        tmp[cnt[k >> 53]++] = k;
    }
    /* cnt[b] is now where part b ends; key is free for a part's pass. */
    for (b = lo = 0; b < 2048; lo = cnt[b++]) {
        size_t m = cnt[b] - lo;
        uint64_t *p = tmp + lo, *q = key + lo;
        if (m <= SORT_FEW || m > SORT_PART) {
            sort_keys(p, m);
            continue;
        }
        memset(loc, 0, sizeof(loc));
        for (i = 0; i < m; i++)
            loc[(p[i] >> 46) & 0x7f]++;
        for (i = 0, sum = 0; i < 128; i++) {
            size_t k = loc[i];
            loc[i] = sum;
            sum += k;
        }
        for (i = 0; i < m; i++)
            q[loc[(p[i] >> 46) & 0x7f]++] = p[i];
        insertion_sort(q, p, m);
    }
    memset(cnt, 0, 2048 * sizeof(*cnt));
    c->key = tmp;
    c->tmp = key;
}

static int cmp_msg(const void *a, const void *b)
{
    const row_msg *x = a, *y = b;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* How far ahead the gather asks for a row (rtn_push_batch asks for the
 * customer ids itself). */
#define AHEAD_ROW 64

/* Push a chunk's rows (sorted by customer) and report its bad rows in line
 * order. Returns EX_OK, or the exit code that ends the run. Rows are
 * gathered block by block into sorted order, the next rows requested
 * ahead, and each block is one rtn_push_batch call, which stops at a row
 * the library refuses: the row is noted and the block goes on after it. */
static int chunk_flush(chunk *c, rtn_ctx *ctx, const opts *o, run *r, const char *shown)
{
    size_t i, j;
    int rc = EX_OK;
    if (ctx && c->n)
        chunk_sort(c);
    for (i = 0; ctx && i < c->n && rc == EX_OK; i += BLOCK_ROWS) {
        size_t m = c->n - i < BLOCK_ROWS ? c->n - i : BLOCK_ROWS, done = 0;
        for (j = 0; j < m; j++) {
            size_t at = i + j;
            if (at + AHEAD_ROW < c->n) {
                PREFETCH(&c->row[c->key[at + AHEAD_ROW] & 0xffffffffu]);
            }
            row_event(c, &c->row[c->key[at] & 0xffffffffu], &c->blk[j]);
        }
        while (done < m) {
            size_t acc = 0;
            int prc = rtn_push_batch(ctx, c->blk + done, m - done, &acc);
            uint64_t line;
            done += acc;
            if (prc == RTN_OK)
                break;
            line = crow_line(c, &c->row[c->key[i + done] & 0xffffffffu]);
            if (prc == RTN_ENOMEM) {
                fprintf(stderr, "%s: %s:%llu: %s\n", prog, shown, (unsigned long long)line,
                        rtn_ctx_last_error(ctx));
                rc = EX_FAIL;
                break;
            }
            if (chunk_msg(c, line, rtn_ctx_last_error(ctx))) {
                fprintf(stderr, "%s: out of memory\n", prog);
                rc = EX_FAIL;
                break;
            }
            done++;
        }
    }
    if (c->nmsg > 1)
        qsort(c->msg, c->nmsg, sizeof(*c->msg), cmp_msg);
    for (i = 0; i < c->nmsg && rc == EX_OK; i++) {
        r->bad++;
        if (o->max_messages == 0 || r->bad <= (uint64_t)o->max_messages)
            fprintf(stderr, "%s:%llu: %s\n", shown, (unsigned long long)c->msg[i].line,
                    c->msg[i].text);
        else if (r->bad == (uint64_t)o->max_messages + 1 && !o->strict)
            fprintf(stderr, "%s: further bad rows are counted, not shown\n", prog);
        if (o->strict) {
            fprintf(stderr, "%s: stopping at the first bad row (--strict)\n", prog);
            rc = EX_DATA;
        }
    }
    for (i = 0; i < c->nmsg; i++)
        free(c->msg[i].text);
    c->nmsg = 0;
    c->n = 0;
    c->nb = 0;
    return rc;
}

/* Rows read at once when they are in the usual form (in_next_many). */
#define MANY_ROWS 64

/* Read every file into ctx (or only parse them when ctx is NULL). Under
 * --strict, rows are pushed one at a time, in order, so that the run stops
 * at the first bad one with nothing after it pushed. */
static int ingest(rtn_ctx *ctx, const rtn_allocator *al, const opts *o, run *r)
{
    int fi, show = !o->quiet && isatty(STDERR_FILENO), code = EX_OK;
    double t0 = now_s(), last = t0;
    rtn_event ev, many[MANY_ROWS];
    uint64_t lines[MANY_ROWS];
    chunk c;
    int i;
    if (chunk_init(&c, o->strict ? 1 : CHUNK_ROWS, al)) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EX_FAIL;
    }
    rtn_event_init(&ev, RTN_EVENT_VERSION);
    for (i = 0; i < MANY_ROWS; i++)
        rtn_event_init(&many[i], RTN_EVENT_VERSION);
    for (fi = 0; fi < o->nfiles && code == EX_OK; fi++) {
        const char *path = o->files[fi];
        const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
        char err[512];
        in_file *f = in_open(path, err, sizeof(err));
        unsigned tick = 0;
        int rc;
        if (f == NULL) {
            fprintf(stderr, "%s: %s\n", prog, err);
            code = EX_IO;
            break;
        }
        while (code == EX_OK) {
            /* Rows in the usual form come many at a time (in_next_many);
             * the next other one, and the input's end, one at a time. */
            size_t room = c.cap - c.n;
            int k = ctx ? in_next_many(f, many, lines, room < MANY_ROWS ? (int)room : MANY_ROWS) : 0;
            if (k > 0) {
                /* A chunk's lines are within 32 bits of its first. */
                if (!chunk_fits_line(&c, lines[k - 1]))
                    code = chunk_flush(&c, ctx, o, r, shown);
                for (i = 0; i < k && code == EX_OK; i++)
                    if (chunk_add(&c, &many[i], lines[i])) {
                        fprintf(stderr, "%s: out of memory\n", prog);
                        code = EX_FAIL;
                    }
                r->rows += (uint64_t)i;
                tick += (unsigned)i;
                if (code == EX_OK && (c.n == c.cap || c.nb >= CHUNK_BYTES))
                    code = chunk_flush(&c, ctx, o, r, shown);
            } else {
                if ((rc = in_next(f, &ev)) == IN_EOF)
                    break;
                if (rc == IN_IO) {
                    /* The rows read so far count; then the file's error. */
                    if ((code = chunk_flush(&c, ctx, o, r, shown)) == EX_OK)
                        code = strncmp(in_error(f), "read error", 10) == 0 ? EX_IO : EX_DATA;
                    fprintf(stderr, "%s%s: %s: %s\n", show ? "\n" : "", prog, shown, in_error(f));
                    break;
                }
                r->rows++;
                tick++;
                if (rc == IN_ROW && ctx && !chunk_fits_line(&c, in_line(f)) &&
                    (code = chunk_flush(&c, ctx, o, r, shown)) != EX_OK)
                    break;
                /* Parse-only runs keep no rows, only the bad ones' messages. */
                if ((rc == IN_BAD ? chunk_msg(&c, in_line(f), in_error(f))
                                  : ctx ? chunk_add(&c, &ev, in_line(f)) : 0)) {
                    fprintf(stderr, "%s: out of memory\n", prog);
                    code = EX_FAIL;
                    break;
                }
                /* Under --strict a chunk holds one row, so a bad row ends it. */
                if (c.n == c.cap || c.nmsg == c.cap || c.nb >= CHUNK_BYTES)
                    code = chunk_flush(&c, ctx, o, r, shown);
            }
            if (show && tick >= 65536) {
                double t = now_s();
                tick = 0;
                if (t - last >= 0.5) {
                    last = t;
                    progress(shown, r->rows, t0, 0);
                }
            }
        }
        if (code == EX_OK)
            code = chunk_flush(&c, ctx, o, r, shown);
        in_close(f);
    }
    chunk_free(&c);
    if (show && last != t0)
        progress("", 0, t0, 1);
    r->seconds = now_s() - t0;
    return code;
}

/* ---- metric values ----------------------------------------------------------- */

typedef struct result {
    const char *name;
    const char *feature; /* NULL unless a per-feature metric */
    rtn_metric_info info;
    rtn_value v;
} result;

static int finite(double x) { return isfinite(x) != 0; }

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void json_num(FILE *out, double x)
{
    if (!finite(x))
        fputs("null", out);
    else if (x == floor(x) && fabs(x) < 1e15)
        fprintf(out, "%.0f", x);
    else
        fprintf(out, "%.15g", x);
}

static void json_value(FILE *out, const result *r)
{
    const rtn_value *v = &r->v;
    fputs("{\"value\": ", out);
    json_num(out, v->defined ? v->value : NAN);
    if (finite(v->lo) && finite(v->hi)) {
        fputs(", \"lo\": ", out);
        json_num(out, v->lo);
        fputs(", \"hi\": ", out);
        json_num(out, v->hi);
    }
    if (!(r->info.flags & RTN_MF_COUNT) && finite(v->numerator) && finite(v->denominator)) {
        fputs(", \"numerator\": ", out);
        json_num(out, v->numerator);
        fputs(", \"denominator\": ", out);
        json_num(out, v->denominator);
    }
    if (finite(v->p50)) {
        fputs(", \"p50\": ", out);
        json_num(out, v->p50);
    }
    if (finite(v->p90)) {
        fputs(", \"p90\": ", out);
        json_num(out, v->p90);
    }
    if (!(r->info.flags & RTN_MF_COUNT))
        fprintf(out, ", \"n\": %lld", (long long)v->n);
    fputc('}', out);
}

static void text_num(char *buf, size_t len, const result *r, double x, int is_value)
{
    if (!finite(x) || (is_value && !r->v.defined))
        snprintf(buf, len, is_value ? "undefined" : "");
    else if ((r->info.flags & RTN_MF_COUNT) && x == floor(x))
        snprintf(buf, len, "%.0f", x);
    else
        snprintf(buf, len, "%.2f", x);
}

static void csv_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void display_name(char *buf, size_t len, const result *r)
{
    if (r->feature)
        snprintf(buf, len, "%s[%s]", r->name, r->feature);
    else
        snprintf(buf, len, "%s", r->name);
}

static int query_one(rtn_ctx *ctx, result *res, int metric, const char *feature, int64_t from,
                     int64_t to)
{
    rtn_query_opts q;
    rtn_query_opts_init(&q, sizeof(q));
    rtn_value_init(&res->v, RTN_VALUE_VERSION);
    if (feature) {
        q.feature_str = feature;
        q.feature_len = (uint32_t)strlen(feature);
    }
    return rtn_query(&res->v, ctx, metric, from, to, feature ? &q : NULL);
}

/* ---- report -------------------------------------------------------------------- */

static int report(rtn_ctx *ctx, const opts *o, int64_t from, int64_t to)
{
    static result res[MAX_METRICS];
    const char *unavailable[MAX_METRICS];
    int nres = 0, nun = 0, m, i;
    char a[40], b[40];
    FILE *out = stdout;
    rtn_stats st;
    rtn_stats_init(&st, sizeof(st));
    rtn_ctx_stats(&st, ctx);
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m)) {
        rtn_metric_info info;
        int nf, k;
        info.size = sizeof(info);
        if (rtn_metric_info_get(&info, m) != RTN_OK)
            continue;
        nf = (info.flags & RTN_MF_NEEDS_FEATURE) ? o->nfeatures : 1;
        for (k = 0; k < nf && nres < MAX_METRICS; k++) {
            result *r = &res[nres];
            int rc;
            r->name = info.name;
            r->info = info;
            r->feature = (info.flags & RTN_MF_NEEDS_FEATURE) ? o->features[k] : NULL;
            rc = query_one(ctx, r, m, r->feature, from, to);
            if (rc == RTN_EMETRIC) {
                if (nun < MAX_METRICS)
                    unavailable[nun++] = info.name;
                break;
            }
            if (rc != RTN_OK) {
                fprintf(stderr, "%s: %s: %s\n", prog, info.name, rtn_ctx_last_error(ctx));
                return EX_FAIL;
            }
            nres++;
        }
    }
    in_format_time(a, sizeof(a), from);
    in_format_time(b, sizeof(b), to);
    if (o->format == FMT_JSON) {
        int first = 1;
        fprintf(out, "{\"period\": {\"from\": \"%s\", \"to\": \"%s\"},\n", a, b);
        fprintf(out, " \"events\": %llu, \"customers\": %llu,\n", (unsigned long long)st.events,
                (unsigned long long)st.customers);
        fputs(" \"metrics\": {", out);
        for (i = 0; i < nres; i++) {
            if (res[i].feature)
                continue;
            fputs(first ? "\n  " : ",\n  ", out);
            first = 0;
            json_str(out, res[i].name);
            fputs(": ", out);
            json_value(out, &res[i]);
        }
        fputs("\n },\n \"features\": {", out);
        for (m = 0; m < o->nfeatures; m++) {
            int f1 = 1;
            fputs(m ? ",\n  " : "\n  ", out);
            json_str(out, o->features[m]);
            fputs(": {", out);
            for (i = 0; i < nres; i++) {
                if (res[i].feature != o->features[m])
                    continue;
                fputs(f1 ? "" : ", ", out);
                f1 = 0;
                json_str(out, res[i].name);
                fputs(": ", out);
                json_value(out, &res[i]);
            }
            fputs("}", out);
        }
        fputs(o->nfeatures ? "\n },\n \"unavailable\": [" : "},\n \"unavailable\": [", out);
        for (i = 0; i < nun; i++) {
            fputs(i ? ", " : "", out);
            json_str(out, unavailable[i]);
        }
        fputs("]}\n", out);
    } else if (o->format == FMT_CSV) {
        fputs("metric,value,lo,hi,n\n", out);
        for (i = 0; i < nres; i++) {
            char name[300], v[64], lo[64], hi[64];
            display_name(name, sizeof(name), &res[i]);
            csv_field(out, name);
            if (res[i].v.defined && finite(res[i].v.value))
                snprintf(v, sizeof(v), "%.15g", res[i].v.value);
            else
                v[0] = '\0';
            lo[0] = hi[0] = '\0';
            if (finite(res[i].v.lo) && finite(res[i].v.hi)) {
                snprintf(lo, sizeof(lo), "%.15g", res[i].v.lo);
                snprintf(hi, sizeof(hi), "%.15g", res[i].v.hi);
            }
            fprintf(out, ",%s,%s,%s,%lld\n", v, lo, hi, (long long)res[i].v.n);
        }
    } else {
        char fa[40], fb[40];
        fmt_date(fa, sizeof(fa), from);
        fmt_date(fb, sizeof(fb), to);
        fprintf(out, "Period %s .. %s (to exclusive), %llu events, %llu customers\n\n", fa, fb,
                (unsigned long long)st.events, (unsigned long long)st.customers);
        fprintf(out, "%-34s %12s  %-21s %9s  %s\n", "metric", "value", "95% interval", "n", "unit");
        for (i = 0; i < nres; i++) {
            char name[300], v[64], lo[64], hi[64], ci[160] = "";
            display_name(name, sizeof(name), &res[i]);
            text_num(v, sizeof(v), &res[i], res[i].v.value, 1);
            if (finite(res[i].v.lo) && finite(res[i].v.hi)) {
                text_num(lo, sizeof(lo), &res[i], res[i].v.lo, 0);
                text_num(hi, sizeof(hi), &res[i], res[i].v.hi, 0);
                snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
            }
            if (res[i].info.flags & RTN_MF_COUNT)
                fprintf(out, "%-34s %12s  %-21s %9s  %s", name, v, ci, "", res[i].info.unit);
            else
                fprintf(out, "%-34s %12s  %-21s %9lld  %s", name, v, ci, (long long)res[i].v.n,
                        res[i].info.unit);
            if (finite(res[i].v.p50))
                fprintf(out, "  median %.2f", res[i].v.p50);
            if (finite(res[i].v.p90))
                fprintf(out, "  p90 %.2f", res[i].v.p90);
            fputc('\n', out);
        }
        if (nun) {
            fputs("\nNot available in this build of the library:", out);
            for (i = 0; i < nun; i++)
                fprintf(out, " %s", unavailable[i]);
            fputc('\n', out);
        }
    }
    return EX_OK;
}

/* ---- series -------------------------------------------------------------------- */

static const char *every_name(int every)
{
    switch (every) {
    case RTN_EVERY_DAY: return "day";
    case RTN_EVERY_WEEK: return "week";
    case RTN_EVERY_MONTH: return "month";
    default: return "quarter";
    }
}

static int series(rtn_ctx *ctx, const opts *o, int64_t from, int64_t to)
{
    int ncol = 0, i, c, rc = EX_OK;
    size_t nb = 0, k;
    result *cols = calloc(MAX_METRICS, sizeof(result));
    rtn_value *vals[MAX_METRICS];
    FILE *out = stdout;
    char a[40], b[40];
    memset(vals, 0, sizeof(vals));
    if (cols == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EX_FAIL;
    }
    for (i = 0; i < o->nmetrics; i++) {
        rtn_metric_info info;
        int nf, f;
        info.size = sizeof(info);
        rtn_metric_info_get(&info, o->metrics[i]);
        nf = (info.flags & RTN_MF_NEEDS_FEATURE) ? o->nfeatures : 1;
        if (nf == 0) {
            fprintf(stderr, "%s: %s needs --feature NAME\n", prog, info.name);
            rc = EX_USAGE;
            goto done;
        }
        for (f = 0; f < nf && ncol < MAX_METRICS; f++) {
            rtn_query_opts q;
            const char *feat = (info.flags & RTN_MF_NEEDS_FEATURE) ? o->features[f] : NULL;
            size_t n = 0;
            int qrc;
            rtn_query_opts_init(&q, sizeof(q));
            if (feat) {
                q.feature_str = feat;
                q.feature_len = (uint32_t)strlen(feat);
            }
            cols[ncol].name = info.name;
            cols[ncol].info = info;
            cols[ncol].feature = feat;
            qrc = rtn_query_series(NULL, 0, &n, ctx, o->metrics[i], from, to, o->every, feat ? &q : NULL);
            if (qrc == RTN_OK || qrc == RTN_ERANGE) {
                vals[ncol] = calloc(n ? n : 1, sizeof(rtn_value));
                if (vals[ncol] == NULL) {
                    fprintf(stderr, "%s: out of memory\n", prog);
                    rc = EX_FAIL;
                    goto done;
                }
                rtn_value_init(&vals[ncol][0], RTN_VALUE_VERSION);
                qrc = rtn_query_series(vals[ncol], n, &n, ctx, o->metrics[i], from, to, o->every,
                                       feat ? &q : NULL);
            }
            if (qrc != RTN_OK) {
                fprintf(stderr, "%s: %s: %s\n", prog, info.name,
                        qrc == RTN_EMETRIC ? "not available in this build of the library"
                                           : rtn_ctx_last_error(ctx));
                rc = EX_FAIL;
                goto done;
            }
            nb = n;
            ncol++;
        }
    }
    in_format_time(a, sizeof(a), from);
    in_format_time(b, sizeof(b), to);
    if (o->format == FMT_JSON) {
        fprintf(out, "{\"period\": {\"from\": \"%s\", \"to\": \"%s\"}, \"every\": \"%s\",\n \"series\": [",
                a, b, every_name(o->every));
        for (k = 0; k < nb; k++) {
            in_format_time(a, sizeof(a), vals[0][k].from);
            in_format_time(b, sizeof(b), vals[0][k].to);
            fprintf(out, "%s\n  {\"from\": \"%s\", \"to\": \"%s\", \"metrics\": {", k ? "," : "", a, b);
            for (c = 0; c < ncol; c++) {
                char name[300];
                result r = cols[c];
                r.v = vals[c][k];
                display_name(name, sizeof(name), &r);
                fputs(c ? ", " : "", out);
                json_str(out, name);
                fputs(": ", out);
                json_value(out, &r);
            }
            fputs("}}", out);
        }
        fputs("\n ]}\n", out);
    } else {
        int csv = o->format == FMT_CSV;
        char name[300];
        fputs(csv ? "from,to" : "from        to        ", out);
        for (c = 0; c < ncol; c++) {
            display_name(name, sizeof(name), &cols[c]);
            if (csv) {
                fputc(',', out);
                csv_field(out, name);
            } else {
                fprintf(out, "  %14s", name);
            }
        }
        fputc('\n', out);
        for (k = 0; k < nb; k++) {
            if (csv) {
                in_format_time(a, sizeof(a), vals[0][k].from);
                in_format_time(b, sizeof(b), vals[0][k].to);
                fprintf(out, "%s,%s", a, b);
            } else {
                fmt_date(a, sizeof(a), vals[0][k].from);
                fmt_date(b, sizeof(b), vals[0][k].to);
                fprintf(out, "%-10s  %-10s", a, b);
            }
            for (c = 0; c < ncol; c++) {
                char v[64];
                result r = cols[c];
                r.v = vals[c][k];
                if (csv) {
                    if (r.v.defined && finite(r.v.value))
                        fprintf(out, ",%.15g", r.v.value);
                    else
                        fputc(',', out);
                } else {
                    text_num(v, sizeof(v), &r, r.v.value, 1);
                    display_name(name, sizeof(name), &cols[c]);
                    fprintf(out, "  %*s", (int)(strlen(name) > 14 ? strlen(name) : 14), v);
                }
            }
            fputc('\n', out);
        }
    }
done:
    for (c = 0; c < MAX_METRICS; c++)
        free(vals[c]);
    free(cols);
    return rc;
}

/* ---- argument parsing ------------------------------------------------------------ */

static int parse_date(const char *s, int64_t *out)
{
    return in_parse_time(s, strlen(s), out);
}

/* Matches "--name VALUE" and "--name=VALUE". */
static int opt_arg(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *val = NULL;
        return 1;
    }
    *val = argv[++*i];
    return 1;
}

static int parse_opts(int argc, char **argv, opts *o, int is_series)
{
    int i, only_files = 0, metrics_done = !is_series;
    o->files = calloc((size_t)argc + 1, sizeof(char *));
    if (o->files == NULL)
        return EX_FAIL;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        long l;
        if (!only_files && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                only_files = 1;
            } else if (opt_arg(argc, argv, &i, "--from", &v) || opt_arg(argc, argv, &i, "--to", &v)) {
                int is_from = strncmp(a, "--from", 6) == 0;
                int64_t t;
                if (v == NULL || parse_date(v, &t)) {
                    usage_error("bad or missing date after %s (YYYY-MM-DD or ISO 8601)", is_from ? "--from" : "--to");
                    return EX_USAGE;
                }
                if (is_from) {
                    o->from = t;
                    o->have_from = 1;
                } else {
                    o->to = t;
                    o->have_to = 1;
                }
            } else if (opt_arg(argc, argv, &i, "--format", &v)) {
                if (v && strcmp(v, "table") == 0) o->format = FMT_TABLE;
                else if (v && strcmp(v, "json") == 0) o->format = FMT_JSON;
                else if (v && strcmp(v, "csv") == 0) o->format = FMT_CSV;
                else {
                    usage_error("--format takes table, json or csv%s", "");
                    return EX_USAGE;
                }
            } else if (opt_arg(argc, argv, &i, "--every", &v)) {
                if (!is_series) {
                    usage_error("%s is an option of series", "--every");
                    return EX_USAGE;
                }
                if (v && strcmp(v, "day") == 0) o->every = RTN_EVERY_DAY;
                else if (v && strcmp(v, "week") == 0) o->every = RTN_EVERY_WEEK;
                else if (v && strcmp(v, "month") == 0) o->every = RTN_EVERY_MONTH;
                else if (v && strcmp(v, "quarter") == 0) o->every = RTN_EVERY_QUARTER;
                else {
                    usage_error("--every takes day, week, month or quarter%s", "");
                    return EX_USAGE;
                }
            } else if (opt_arg(argc, argv, &i, "--feature", &v)) {
                if (v == NULL || *v == '\0' || o->nfeatures == MAX_FEATURES) {
                    usage_error("--feature needs a name (at most 32 features)%s", "");
                    return EX_USAGE;
                }
                o->features[o->nfeatures++] = v;
            } else if (opt_arg(argc, argv, &i, "--save", &v)) {
                if (v == NULL) {
                    usage_error("%s needs a file name", "--save");
                    return EX_USAGE;
                }
                o->save = v;
            } else if (opt_arg(argc, argv, &i, "--load", &v)) {
                if (v == NULL) {
                    usage_error("%s needs a file name", "--load");
                    return EX_USAGE;
                }
                o->load = v;
            } else if (opt_arg(argc, argv, &i, "--inactivity-days", &v)) {
                if (v == NULL || parse_long(v, 0, 100000, &l)) {
                    usage_error("%s takes a number of days", "--inactivity-days");
                    return EX_USAGE;
                }
                o->inactivity_days = (int)l;
            } else if (opt_arg(argc, argv, &i, "--max-messages", &v)) {
                if (v == NULL || parse_long(v, 0, 1000000000, &l)) {
                    usage_error("%s takes a count", "--max-messages");
                    return EX_USAGE;
                }
                o->max_messages = l;
            } else if (strcmp(a, "--strict") == 0) {
                o->strict = 1;
            } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
                o->quiet = 1;
            } else if (strcmp(a, "--stats") == 0) {
                o->stats = 1;
            } else if (strcmp(a, "--parse-only") == 0) {
                o->parse_only = 1;
                o->stats = 1;
            } else {
                usage_error("unknown option %s", a);
                return EX_USAGE;
            }
            continue;
        }
        if (!metrics_done) {
            int m = rtn_metric_from_name(a);
            if (m >= 0 && o->nmetrics < MAX_METRICS) {
                o->metrics[o->nmetrics++] = m;
                continue;
            }
            metrics_done = 1;
        }
        o->files[o->nfiles++] = a;
    }
    if (is_series && o->nmetrics == 0) {
        usage_error("series needs at least one METRIC name (see `%s metrics`)", prog);
        return EX_USAGE;
    }
    if (is_series && o->every == 0) {
        usage_error("series needs %s", "--every day|week|month|quarter");
        return EX_USAGE;
    }
    if (o->nfiles == 0 && o->load == NULL) {
        usage_error("no input: give FILE... ('-' for standard input) or --load STATE%s", "");
        return EX_USAGE;
    }
    if (o->have_from && o->have_to && o->from > o->to) {
        usage_error("--from is after --to%s", "");
        return EX_USAGE;
    }
    return EX_OK;
}

static int cmd_analyse(int argc, char **argv, int is_series)
{
    opts o;
    run r;
    rtn_ctx *ctx = NULL;
    rtn_stats st;
    rtn_config cfg;
    arena *ar = NULL;
    int rc;
    int64_t from, to;
    memset(&o, 0, sizeof(o));
    memset(&r, 0, sizeof(r));
    o.max_messages = 100;
    rc = parse_opts(argc, argv, &o, is_series);
    if (rc)
        goto out;
    if (o.parse_only) {
        rtn_allocator none;
        memset(&none, 0, sizeof(none));
        rc = ingest(NULL, &none, &o, &r);
        if (!o.quiet)
            fprintf(stderr, "%s: parsed %llu rows (%llu bad) in %.3f s: %.0f rows/s\n", prog,
                    (unsigned long long)r.rows, (unsigned long long)r.bad, r.seconds,
                    r.seconds > 0 ? (double)r.rows / r.seconds : 0.0);
        goto out;
    }
    /* The context's memory comes from the tool's arena when the system
     * gives it one (see arena.h), else from malloc. */
    ar = arena_new();
    rtn_config_init(&cfg, RTN_CONFIG_VERSION);
    arena_hooks(ar, &cfg.allocator);
    cfg.inactivity_days = o.inactivity_days;
    if (o.load) {
        int lrc = rtn_snapshot_load_file(&ctx, &cfg, o.load);
        if (lrc != RTN_OK) {
            fprintf(stderr, "%s: cannot load state %s: %s\n", prog, o.load, rtn_strerror(lrc));
            rc = lrc == RTN_ENOMEM ? EX_FAIL : EX_IO;
            goto out;
        }
    } else {
        int crc = rtn_ctx_new(&ctx, &cfg);
        if (crc != RTN_OK) {
            fprintf(stderr, "%s: cannot create a context: %s\n", prog, rtn_strerror(crc));
            rc = EX_FAIL;
            goto out;
        }
    }
    rc = ingest(ctx, &cfg.allocator, &o, &r);
    if (rc)
        goto out;
    if (!o.quiet && (r.bad || o.stats))
        fprintf(stderr, "%s: %llu rows read, %llu bad rows skipped, %.3f s (%.0f rows/s)\n", prog,
                (unsigned long long)r.rows, (unsigned long long)r.bad, r.seconds,
                r.seconds > 0 ? (double)r.rows / r.seconds : 0.0);
    if (o.save) {
        int src = rtn_snapshot_save_file(ctx, o.save);
        if (src != RTN_OK) {
            const char *detail = rtn_ctx_last_error(ctx);
            fprintf(stderr, "%s: cannot save state %s: %s%s%s\n", prog, o.save, rtn_strerror(src),
                    *detail ? ": " : "", detail);
            rc = src == RTN_ENOMEM ? EX_FAIL : EX_IO;
            goto out;
        }
    }
    rtn_stats_init(&st, sizeof(st));
    rtn_ctx_stats(&st, ctx);
    if ((!o.have_from || !o.have_to) && st.events == 0) {
        fprintf(stderr, "%s: no events: give --from and --to to report on an empty period\n", prog);
        rc = EX_DATA;
        goto out;
    }
    from = o.have_from ? o.from : floor_day(st.first_time);
    to = o.have_to ? o.to : floor_day(st.last_time) + DAY_MS;
    if (from > to) {
        fprintf(stderr, "%s: the period's start is after its end\n", prog);
        rc = EX_USAGE;
        goto out;
    }
    rc = is_series ? series(ctx, &o, from, to) : report(ctx, &o, from, to);
    if (rc == EX_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "%s: cannot write the output: %s\n", prog, strerror(errno));
        rc = EX_IO;
    }
out:
    rtn_ctx_free(ctx);
    arena_free(ar);
    free(o.files);
    return rc;
}

/* ---- sample ---------------------------------------------------------------------- */

static int cmd_sample(int argc, char **argv)
{
    sample_opts so;
    const char *path = NULL;
    FILE *out = stdout;
    int64_t rows;
    int i;
    so.customers = 300;
    so.days = 180;
    so.seed = 42;
    so.start_day = in_days_from_civil(2026, 1, 1);
    for (i = 0; i < argc; i++) {
        const char *v;
        long l;
        if (opt_arg(argc, argv, &i, "--customers", &v)) {
            if (v == NULL || parse_long(v, 1, 100000000, &l)) {
                usage_error("%s takes a count from 1", "--customers");
                return EX_USAGE;
            }
            so.customers = (uint32_t)l;
        } else if (opt_arg(argc, argv, &i, "--days", &v)) {
            if (v == NULL || parse_long(v, 1, 36500, &l)) {
                usage_error("%s takes 1..36500", "--days");
                return EX_USAGE;
            }
            so.days = (uint32_t)l;
        } else if (opt_arg(argc, argv, &i, "--seed", &v)) {
            char *e;
            if (v == NULL || *v == '\0' || *v == '-') {
                usage_error("%s takes a non-negative integer", "--seed");
                return EX_USAGE;
            }
            errno = 0;
            so.seed = strtoull(v, &e, 10);
            if (*e || errno) {
                usage_error("%s takes a non-negative integer", "--seed");
                return EX_USAGE;
            }
        } else if (opt_arg(argc, argv, &i, "--start", &v)) {
            int64_t t;
            if (v == NULL || parse_date(v, &t) || t < 0 || t % DAY_MS) {
                usage_error("%s takes a date YYYY-MM-DD from 1970", "--start");
                return EX_USAGE;
            }
            so.start_day = t / DAY_MS;
        } else if (opt_arg(argc, argv, &i, "--output", &v) || opt_arg(argc, argv, &i, "-o", &v)) {
            if (v == NULL) {
                usage_error("%s needs a file name", "--output");
                return EX_USAGE;
            }
            path = v;
        } else {
            usage_error("unknown argument %s for sample", argv[i]);
            return EX_USAGE;
        }
    }
    if (so.start_day + so.days > in_days_from_civil(2199, 1, 1)) {
        usage_error("%s: the log would end after 2199", "--start/--days");
        return EX_USAGE;
    }
    if (path) {
        out = fopen(path, "wb");
        if (out == NULL) {
            fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
            return EX_IO;
        }
    }
    rows = sample_write(out, &so);
    if (path && fclose(out) != 0)
        rows = -1;
    if (rows < 0) {
        fprintf(stderr, "%s: cannot write the sample: %s\n", prog, strerror(errno));
        return EX_IO;
    }
    return EX_OK;
}

static int cmd_metrics(void)
{
    int m;
    for (m = rtn_metric_next(0); m >= 0; m = rtn_metric_next(m)) {
        rtn_metric_info info;
        info.size = sizeof(info);
        if (rtn_metric_info_get(&info, m) == RTN_OK)
            printf("%-26s %-10s%s\n", info.name, info.unit,
                   (info.flags & RTN_MF_NEEDS_FEATURE) ? "  (needs --feature)" : "");
    }
    return EX_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;
    int i;
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EX_USAGE;
    }
    cmd = argv[1];
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return EX_OK;
        }
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return EX_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("retention (libretention %s)%s\n", rtn_version(),
               in_have_gzip() ? ", gzip input" : ", no gzip input");
        return EX_OK;
    }
    if (strcmp(cmd, "report") == 0)
        return cmd_analyse(argc - 2, argv + 2, 0);
    if (strcmp(cmd, "series") == 0)
        return cmd_analyse(argc - 2, argv + 2, 1);
    if (strcmp(cmd, "sample") == 0)
        return cmd_sample(argc - 2, argv + 2);
    if (strcmp(cmd, "metrics") == 0)
        return cmd_metrics();
    usage_error("unknown command %s", cmd);
    return EX_USAGE;
}
