/*
 * input.c: streaming event-log readers. One large buffer per file, fields
 * are pointers into it (or into a scratch buffer for unescaped text), so a
 * row costs no allocation; memory stays constant whatever the input size.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef RTN_TOOL_HAVE_ZLIB
#include <zlib.h>
#endif
/* SSE2 is part of every x86-64; elsewhere (or with IN_PORTABLE, which the
 * tests build too) blocks are 8-byte words. */
#if defined(__SSE2__) && !defined(IN_PORTABLE)
#define IN_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(IN_PORTABLE)
#define IN_LE_WORDS 1 /* whole words may be read as little-endian numbers */
#endif

/* The usual row's path (csv_fast and what it calls) inline in its loop. */
#if defined(__GNUC__)
#define FAST_INLINE __attribute__((always_inline)) inline
#else
#define FAST_INLINE inline
#endif

#define IN_BUF (1u << 20)       /* read buffer; also the longest row accepted */
#define IN_SLACK 64             /* zero bytes kept after the buffer's data */
#define IN_MAXF 64              /* CSV columns looked at (later ones are ignored) */
#define IN_NCOL 6

enum { C_TIME, C_TYPE, C_CUSTOMER, C_VALUE, C_QUANTITY, C_REF };
static const char *const col_names[IN_NCOL] = {"time", "type", "customer", "value", "quantity", "ref"};

typedef struct fld {
    const char *p;
    size_t n;
} fld;

typedef struct type_cache {
    char name[24];
    size_t len;
    int type;
    uint64_t w[2], mask[2]; /* the name's first 16 bytes, zero-padded, and which count */
} type_cache;

struct in_file {
    int fd;
#ifdef RTN_TOOL_HAVE_ZLIB
    gzFile gz;
#endif
    int json;
    int eof;
    int started;
    int skipping; /* discarding the rest of an over-long row */
    char *buf;
    size_t start, end;
    char *scratch;
    size_t scratch_used;
    uint64_t line;     /* line number of buf[start] */
    uint64_t row_line; /* first line of the row last returned */
    int col[IN_NCOL];  /* CSV: column index of each known column, -1 if absent */
    int canon;         /* the header is time,type,customer,value,quantity,ref */
    fld val[IN_NCOL];
    type_cache types[32];
    int ntypes;
    unsigned char type_slot[64]; /* a cached type by a hash of its name: index + 1 */
    int64_t date_key, date_days;
    char date_str[10]; /* the date of date_days, as in the input */
    int date_ok;
    uint64_t date_w[2]; /* a time's first two words on that date, masked (time_words) */
    int min_ok;
    uint64_t min_w[2]; /* the first 16 bytes (YYYY-MM-DDTHH:MM) of the last usual time read */
    int64_t min_ms;    /* and that minute's start */
    char err[320];
};

/* ---- calendar ------------------------------------------------------------ */

/* Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * well-known era arithmetic, written out here). */
int64_t in_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void in_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

void in_format_time(char *buf, size_t len, int64_t ms)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000, y;
    unsigned m, d;
    in_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60), (unsigned)(rem / 1000 % 60));
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + c;
    }
    *out = v;
    return 0;
}

#if !defined(IN_LE_WORDS)
/* Two digits at s, or 100 if either is not a digit. */
static unsigned two_digits(const char *s)
{
    unsigned a = (unsigned char)s[0] - '0', b = (unsigned char)s[1] - '0';
    return a > 9 || b > 9 ? 100 : a * 10 + b;
}
#endif

/* The clock "HH:MM:SS" at s (its colons already checked): -1 unless all
 * six are digits. On little-endian machines, one word: every byte's high
 * half must be 3 (digits and ':'), the digits' low halves at most 9, and
 * w * 10 + (w >> 8) puts 10 * a + b of each pair in its first byte. */
static int clock_digits(const char *s, unsigned *hh, unsigned *mi, unsigned *ss)
{
#if defined(IN_LE_WORDS)
    const uint64_t digits = UINT64_C(0xffff00ffff00ffff); /* not the colons */
    uint64_t w, d, t;
    memcpy(&w, s, 8);
    if ((w & UINT64_C(0xf0f0f0f0f0f0f0f0)) != UINT64_C(0x3030303030303030))
        return -1;
    d = w & UINT64_C(0x0f0f0f0f0f0f0f0f);
    if (((d + UINT64_C(0x0606060606060606)) & UINT64_C(0xf0f0f0f0f0f0f0f0) & digits) != 0)
        return -1;
    t = d * 10 + (d >> 8);
    *hh = (unsigned)(t & 0xff);
    *mi = (unsigned)(t >> 24 & 0xff);
    *ss = (unsigned)(t >> 48 & 0xff);
    return 0;
#else
    *hh = two_digits(s);
    *mi = two_digits(s + 3);
    *ss = two_digits(s + 6);
    return *hh > 99 || *mi > 99 || *ss > 99 ? -1 : 0;
#endif
}

/* The fixed bytes of a time YYYY-MM-DDTHH:MM:SSZ as three words: bytes
 * 0..7 (all the date's), 8..15 (the date's last two and the T) and 12..19
 * (the colons at 13 and 16, and the Z). time_mask keeps the fixed bytes of
 * the second and third words (all of the first is fixed); time_tail holds
 * those of the third, f->date_w those of the first two (the date's). */
static const unsigned char time_mask[2][8] = {
    {255, 255, 255, 0, 0, 0, 0, 0},
    {0, 255, 0, 0, 255, 0, 0, 255}};
static const unsigned char time_tail[8] = {0, ':', 0, 0, ':', 0, 0, 'Z'};

/* f->date_w from f->date_str. */
static void time_words(in_file *f)
{
    unsigned char b[16] = {0};
    uint64_t m;
    memcpy(b, f->date_str, 10);
    b[10] = 'T';
    memcpy(&f->date_w[0], b, 8);
    memcpy(&f->date_w[1], b + 8, 8);
    memcpy(&m, time_mask[0], 8);
    f->date_w[1] &= m;
}

static int parse_time_cached(in_file *f, const char *s, size_t n, int64_t *out)
{
    unsigned y, mo, d, hh = 0, mi = 0, ss = 0, ms = 0;
    int64_t days, key, off = 0;
    size_t i;
    if (n == 0)
        return -1;
    if (n >= 10 && s[4] == '-') {
        if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d))
            return -1;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
            return -1;
        i = 10;
        if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
            if (n < i + 6 || digits(s + i + 1, 2, &hh) || s[i + 3] != ':' ||
                digits(s + i + 4, 2, &mi))
                return -1;
            i += 6;
            if (i < n && s[i] == ':') {
                if (n < i + 3 || digits(s + i + 1, 2, &ss))
                    return -1;
                i += 3;
                if (i < n && (s[i] == '.' || s[i] == ',')) {
                    unsigned k = 0;
                    i++;
                    if (i >= n || (unsigned)(s[i] - '0') > 9)
                        return -1;
                    while (i < n && (unsigned)(s[i] - '0') <= 9) {
                        if (k < 3)
                            ms = ms * 10 + (unsigned)(s[i] - '0');
                        k++;
                        i++;
                    }
                    for (; k < 3; k++)
                        ms *= 10;
                }
            }
            if (hh > 23 || mi > 59 || ss > 60)
                return -1;
            if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
                i++;
            } else if (i < n && (s[i] == '+' || s[i] == '-')) {
                unsigned oh, om = 0;
                int sign = s[i] == '-' ? -1 : 1;
                if (n < i + 3 || digits(s + i + 1, 2, &oh))
                    return -1;
                i += 3;
                if (i < n && s[i] == ':')
                    i++;
                if (i < n) {
                    if (n < i + 2 || digits(s + i, 2, &om))
                        return -1;
                    i += 2;
                }
                if (oh > 23 || om > 59)
                    return -1;
                off = sign * (int64_t)(oh * 60 + om) * 60000;
            }
        }
        if (i != n)
            return -1;
        key = (int64_t)y * 10000 + mo * 100 + d;
        if (f && key == f->date_key) {
            days = f->date_days;
        } else {
            days = in_days_from_civil(y, mo, d);
            if (f) {
                f->date_key = key;
                f->date_days = days;
                memcpy(f->date_str, s, 10);
                f->date_ok = 1;
                time_words(f);
            }
        }
        *out = days * 86400000 + (int64_t)hh * 3600000 + (int64_t)mi * 60000 +
               (int64_t)ss * 1000 + ms - off;
        return 0;
    }
    /* Integer milliseconds. */
    {
        int64_t v = 0;
        int neg = 0;
        i = 0;
        if (s[0] == '-') {
            neg = 1;
            i = 1;
        }
        if (i == n || n - i > 18)
            return -1;
        for (; i < n; i++) {
            unsigned c = (unsigned char)s[i] - '0';
            if (c > 9)
                return -1;
            v = v * 10 + c;
        }
        *out = neg ? -v : v;
        return 0;
    }
}

/* The usual form, YYYY-MM-DDTHH:MM:SSZ, on the date of the row before:
 * 1 with *out set, 0 when it is not that (parse_time_cached decides), -1
 * for a bad clock. Inline, before the full parser. A time in the minute of
 * the last one read so (its first 16 bytes the same: logs have many rows a
 * minute) only has its seconds read; anything else about it is checked
 * the full way. */
static inline int time_same_date(in_file *f, const char *s, size_t n, int64_t *out)
{
    uint64_t w[3], m[2], tail;
    unsigned hh, mi, ss;
    if (n != 20)
        return 0;
    memcpy(w, s, 8);
    memcpy(w + 1, s + 8, 8);
    if (f->min_ok && w[0] == f->min_w[0] && w[1] == f->min_w[1]) {
        unsigned a = (unsigned char)s[17] - '0', b = (unsigned char)s[18] - '0';
        if (s[16] == ':' && s[19] == 'Z' && a <= 9 && b <= 9) {
            if ((ss = a * 10 + b) > 60)
                return -1;
            *out = f->min_ms + (int64_t)ss * 1000;
            return 1;
        }
    }
    if (!f->date_ok)
        return 0;
    /* Its fixed bytes as three words, against the cached date's. */
    memcpy(w + 2, s + 12, 8);
    memcpy(m, time_mask[0], 8);
    memcpy(m + 1, time_mask[1], 8);
    memcpy(&tail, time_tail, 8);
    if (w[0] != f->date_w[0] || (w[1] & m[0]) != f->date_w[1] || (w[2] & m[1]) != tail)
        return 0;
    if (clock_digits(s + 11, &hh, &mi, &ss) || hh > 23 || mi > 59 || ss > 60)
        return -1;
    f->min_ms = f->date_days * 86400000 + (int64_t)hh * 3600000 + (int64_t)mi * 60000;
    f->min_w[0] = w[0];
    f->min_w[1] = w[1];
    f->min_ok = 1;
    *out = f->min_ms + (int64_t)ss * 1000;
    return 1;
}

int in_parse_time(const char *s, size_t len, int64_t *out_ms)
{
    return parse_time_cached(NULL, s, len, out_ms);
}

static const double pow10tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A decimal number. The fast path (up to 15 significant digits, no
 * exponent) is exact: an integer mantissa below 2^53 divided by an exact
 * power of ten rounds once, as strtod does. */
static int parse_number(const char *s, size_t n, double *out)
{
    uint64_t mant = 0;
    size_t i = 0, nd = 0, frac = 0;
    int neg = 0, dot = 0;
    char tmp[80], *endp;
    if (n == 0)
        return -1;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    for (; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c <= 9) {
            if (mant != 0 || c != 0)
                nd++;
            mant = mant * 10 + c;
            frac += dot;
            if (nd > 15)
                break;
        } else if (s[i] == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    if (i == n && nd <= 15 && frac <= 22 && (n > (size_t)(neg || s[0] == '+') + dot)) {
        double v = (double)mant / pow10tab[frac];
        *out = neg ? -v : v;
        return 0;
    }
    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *out = strtod(tmp, &endp);
    if (endp != tmp + n || errno == ERANGE || !isfinite(*out))
        return -1;
    /* strtod accepts hex and "nan"/"inf"; we only take decimal numbers. */
    for (i = 0; i < n; i++)
        if (s[i] == 'x' || s[i] == 'X' || s[i] == 'n' || s[i] == 'N' || s[i] == 'i' || s[i] == 'I')
            return -1;
    return 0;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i = 0;
    int neg = 0;
    if (n == 0)
        return -1;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n || n - i > 18)
        return -1;
    for (; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + c;
    }
    *out = neg ? -v : v;
    return 0;
}

static void trim_slow(fld *x)
{
    while (x->n && (x->p[0] == ' ' || x->p[0] == '\t')) {
        x->p++;
        x->n--;
    }
    while (x->n && (x->p[x->n - 1] == ' ' || x->p[x->n - 1] == '\t'))
        x->n--;
}

/* Whether a field needs no trimming: no byte up to ' ' (a blank may be
 * one) at either end. The usual row's look (csv_fast) takes a field as it
 * is only when trim would leave it so. */
static inline int untrimmed(const char *p, size_t n)
{
    return n == 0 || ((unsigned char)p[0] > ' ' && (unsigned char)p[n - 1] > ' ');
}

/* Fields rarely have blanks around them: one test of each end first. */
static inline void trim(fld *x)
{
    if (!untrimmed(x->p, x->n))
        trim_slow(x);
}

/* ---- files ---------------------------------------------------------------- */

int in_have_gzip(void)
{
#ifdef RTN_TOOL_HAVE_ZLIB
    return 1;
#else
    return 0;
#endif
}

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

in_file *in_open(const char *path, char *err, size_t errlen)
{
    in_file *f = calloc(1, sizeof(*f));
    size_t n = strlen(path);
    int i;
    if (f == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    /* Zeroed, so that whole words may be read past the data. */
    f->buf = calloc(1, IN_BUF + IN_SLACK);
    f->scratch = calloc(1, IN_BUF + IN_SLACK);
    if (f->buf == NULL || f->scratch == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        in_close(f);
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        f->fd = STDIN_FILENO;
    } else {
        f->fd = open(path, O_RDONLY);
        if (f->fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            f->fd = -1;
            in_close(f);
            return NULL;
        }
    }
#ifdef RTN_TOOL_HAVE_ZLIB
    f->gz = gzdopen(f->fd, "rb");
    if (f->gz == NULL) {
        snprintf(err, errlen, "%s: cannot open for decompression", path);
        in_close(f);
        return NULL;
    }
    gzbuffer(f->gz, 1u << 18);
#endif
    if (ends_with(path, n, ".gz"))
        n -= 3;
    f->json = -1;
    if (n >= 6 && (strncmp(path + n - 6, ".jsonl", 6) == 0 || (n >= 7 && strncmp(path + n - 7, ".ndjson", 7) == 0)))
        f->json = 1;
    else if (n >= 4 && strncmp(path + n - 4, ".csv", 4) == 0)
        f->json = 0;
    f->line = 1;
    f->date_key = -1;
    for (i = 0; i < IN_NCOL; i++)
        f->col[i] = -1;
    return f;
}

void in_close(in_file *f)
{
    if (f == NULL)
        return;
#ifdef RTN_TOOL_HAVE_ZLIB
    if (f->gz)
        gzclose(f->gz); /* also closes fd */
    else
#endif
        if (f->fd > STDIN_FILENO)
        close(f->fd);
    free(f->buf);
    free(f->scratch);
    free(f);
}

uint64_t in_line(const in_file *f) { return f->row_line; }
const char *in_error(const in_file *f) { return f->err; }

/* Top the buffer up. Returns bytes added, 0 at end of input, -1 on error. */
static long fill(in_file *f)
{
    long got;
    if (f->start > 0) {
        memmove(f->buf, f->buf + f->start, f->end - f->start);
        f->end -= f->start;
        f->start = 0;
        memset(f->buf + f->end, 0, IN_SLACK);
    }
    if (f->end == IN_BUF)
        return 0;
    for (;;) {
#ifdef RTN_TOOL_HAVE_ZLIB
        int r = gzread(f->gz, f->buf + f->end, (unsigned)(IN_BUF - f->end));
        if (r < 0) {
            int zerr;
            const char *m = gzerror(f->gz, &zerr);
            snprintf(f->err, sizeof(f->err), "read error: %s", zerr == Z_ERRNO ? strerror(errno) : m);
            return -1;
        }
        got = r;
        if (r == 0) {
            /* A truncated or corrupt stream ends with an error, not at EOF. */
            int zerr;
            const char *m = gzerror(f->gz, &zerr);
            if (zerr != Z_OK) {
                snprintf(f->err, sizeof(f->err), "read error: %s", m);
                return -1;
            }
        }
        break;
#else
        ssize_t r = read(f->fd, f->buf + f->end, IN_BUF - f->end);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(f->err, sizeof(f->err), "read error: %s", strerror(errno));
            return -1;
        }
        got = (long)r;
        break;
#endif
    }
    f->end += (size_t)got;
    memset(f->buf + f->end, 0, IN_SLACK);
    if (got == 0)
        f->eof = 1;
    return got;
}

/* ---- CSV ----------------------------------------------------------------- */

/* Parse one CSV record from buf[start..end). Returns 1 with the record's
 * fields, 0 when more input is needed, -1 for a malformed record (err set,
 * *next = where to resume). */
static int csv_record(in_file *f, fld *fl, int *nf, size_t *next, unsigned *nl)
{
    const char *p = f->buf + f->start, *end = f->buf + f->end;
    char *out = f->scratch;
    int k = 0;
    unsigned lines = 0;
    for (;;) {
        fld x;
        if (p < end && *p == '"') {
            const char *q = p + 1, *seg = q;
            char *o = NULL;
            for (;;) {
                const char *c = memchr(q, '"', (size_t)(end - q));
                if (c == NULL) {
                    if (!f->eof)
                        return 0;
                    snprintf(f->err, sizeof(f->err), "unterminated quoted field");
                    *next = f->end;
                    *nl = lines;
                    return -1;
                }
                {
                    const char *s;
                    for (s = q; s < c; s++)
                        lines += *s == '\n';
                }
                if (c + 1 < end && c[1] == '"') {
                    if (o == NULL)
                        o = out;
                    memcpy(o, seg, (size_t)(c + 1 - seg));
                    o += c + 1 - seg;
                    q = seg = c + 2;
                    continue;
                }
                if (c + 1 == end && !f->eof)
                    return 0;
                if (o) {
                    memcpy(o, seg, (size_t)(c - seg));
                    o += c - seg;
                    x.p = out;
                    x.n = (size_t)(o - out);
                    out = o;
                } else {
                    x.p = seg;
                    x.n = (size_t)(c - seg);
                }
                p = c + 1;
                if (p < end && *p == '\r')
                    p++;
                if (p < end && *p != ',' && *p != '\n') {
                    /* Text after the closing quote: malformed. Skip the line. */
                    const char *e = memchr(p, '\n', (size_t)(end - p));
                    if (e == NULL && !f->eof)
                        return 0;
                    snprintf(f->err, sizeof(f->err), "text after a closing quote");
                    *next = e ? (size_t)(e + 1 - f->buf) : f->end;
                    *nl = lines + (e != NULL);
                    return -1;
                }
                break;
            }
        } else {
            const char *s = p;
            while (p < end && *p != ',' && *p != '\n')
                p++;
            if (p == end && !f->eof)
                return 0;
            x.p = s;
            x.n = (size_t)(p - s);
            if (x.n && (p == end || *p == '\n') && s[x.n - 1] == '\r')
                x.n--;
        }
        if (k < IN_MAXF)
            fl[k] = x;
        k++;
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        /* End of record: newline or end of input. */
        if (p < end) {
            p++;
            lines++;
        }
        *nf = k < IN_MAXF ? k : IN_MAXF;
        *next = (size_t)(p - f->buf);
        *nl = lines;
        return 1;
    }
}

/* The positions of a block's commas, newlines and quotes, one bit per byte
 * (bit i: byte i). */
typedef struct blk_bits {
    uint32_t comma, nl, quote;
} blk_bits;

#if defined(IN_SSE2)
#define IN_BLOCK 16
static blk_bits block_bits(const char *q)
{
    __m128i w = _mm_loadu_si128((const __m128i *)(const void *)q);
    blk_bits b;
    b.comma = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8(',')));
    b.nl = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('\n')));
    b.quote = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')));
    return b;
}
#else
#define IN_BLOCK 8
/* The top bit of each byte of w equal to c, gathered to bits 0..7. */
static uint32_t byte_bits(uint64_t w, uint64_t c)
{
    const uint64_t lo7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
    uint64_t x = w ^ (c * UINT64_C(0x0101010101010101));
    uint64_t m = ~(((x & lo7) + lo7) | x | lo7); /* exact: no carry crosses bytes */
    return (uint32_t)(((m >> 7) * UINT64_C(0x0102040810204080)) >> 56);
}

static blk_bits block_bits(const char *q)
{
    uint64_t w;
    blk_bits b;
    memcpy(&w, q, 8);
    b.comma = byte_bits(w, ',');
    b.nl = byte_bits(w, '\n');
    b.quote = byte_bits(w, '"');
    return b;
}
#endif

#if IN_SLACK < IN_BLOCK
#error "the last block of a line may read IN_BLOCK bytes past the data"
#endif

static unsigned low_bit(uint32_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(m);
#else
    unsigned k = 0;
    while (!(m & 1))
        m >>= 1, k++;
    return k;
#endif
}

/* The common record: one line without a quote. Its commas and its end are
 * found a block of bytes at a time; the buffer keeps IN_SLACK zero bytes
 * after its data, so the last block may run past it. Returns as csv_record
 * does, or -2 when the line has a quote, for csv_record. */
static int csv_plain(in_file *f, fld *fl, int *nf, size_t *next, unsigned *nl)
{
    const char *p = f->buf + f->start, *end = f->buf + f->end, *le = end, *s, *q;
    int k = 0;
    for (s = q = p; q < end; q += IN_BLOCK) {
        blk_bits b = block_bits(q);
        uint32_t m = b.comma;
        if (b.nl) {
            /* The bytes before the line's end. */
            uint32_t before = (b.nl & (0u - b.nl)) - 1;
            if (b.quote & before)
                return -2;
            m &= before;
            le = q + low_bit(b.nl);
        } else if (b.quote) {
            return -2;
        }
        for (; m; m &= m - 1) {
            const char *c = q + low_bit(m);
            if (k < IN_MAXF) {
                fl[k].p = s;
                fl[k].n = (size_t)(c - s);
            }
            k++;
            s = c + 1;
        }
        if (b.nl)
            goto found;
    }
    if (!f->eof)
        return 0;
found:
    if (k < IN_MAXF) {
        fl[k].p = s;
        fl[k].n = (size_t)(le - s);
        if (fl[k].n && s[fl[k].n - 1] == '\r')
            fl[k].n--;
    }
    k++;
    *nf = k < IN_MAXF ? k : IN_MAXF;
    *next = (size_t)(le - f->buf) + (le < end);
    *nl = le < end;
    return 1;
}

static int lower_eq(const char *p, size_t n, const char *name)
{
    size_t i;
    if (strlen(name) != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return 0;
    }
    return 1;
}

static int csv_header(in_file *f, const fld *fl, int nf)
{
    int i, j;
    for (i = 0; i < nf; i++) {
        fld x = fl[i];
        if (i == 0 && x.n >= 3 && memcmp(x.p, "\xEF\xBB\xBF", 3) == 0) {
            x.p += 3;
            x.n -= 3;
        }
        trim(&x);
        for (j = 0; j < IN_NCOL; j++) {
            if (lower_eq(x.p, x.n, col_names[j])) {
                if (f->col[j] >= 0) {
                    snprintf(f->err, sizeof(f->err), "header names column \"%s\" twice", col_names[j]);
                    return -1;
                }
                f->col[j] = i;
            }
        }
    }
    f->canon = 1;
    for (j = 0; j < IN_NCOL; j++)
        f->canon &= f->col[j] == j;
    for (j = 0; j <= C_CUSTOMER; j++) {
        if (f->col[j] < 0) {
            snprintf(f->err, sizeof(f->err),
                     "header has no \"%s\" column (a CSV log starts with a header naming "
                     "time,type,customer[,value,quantity,ref])", col_names[j]);
            return -1;
        }
    }
    return 0;
}

/* ---- JSON Lines ---------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

static int hex4(const char *p, const char *e, unsigned *out)
{
    unsigned v = 0;
    int i;
    if (e - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* A JSON string at p (after the opening quote); fills x, returns the
 * position after the closing quote or NULL. */
static const char *json_string(in_file *f, const char *p, const char *e, fld *x)
{
    const char *s = p;
    char *o;
    while (p < e && *p != '"' && *p != '\\')
        p++;
    if (p < e && *p == '"') {
        x->p = s;
        x->n = (size_t)(p - s);
        return p + 1;
    }
    o = f->scratch + f->scratch_used;
    memcpy(o, s, (size_t)(p - s));
    x->p = o;
    o += p - s;
    while (p < e && *p != '"') {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        if (++p >= e)
            return NULL;
        switch (*p) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(p + 1, e, &cp))
                return NULL;
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && e - p > 6 && p[1] == '\\' && p[2] == 'u' &&
                hex4(p + 3, e, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o = put_utf8(o, cp);
            break;
        }
        default: return NULL;
        }
        p++;
    }
    if (p >= e)
        return NULL;
    x->n = (size_t)(o - x->p);
    f->scratch_used = (size_t)(o - f->scratch);
    return p + 1;
}

/* Skip any JSON value (used for nested values of unknown keys). */
static const char *json_skip(in_file *f, const char *p, const char *e)
{
    int depth = 0;
    fld tmp;
    do {
        p = skip_ws(p, e);
        if (p >= e)
            return NULL;
        if (*p == '"') {
            size_t keep = f->scratch_used;
            p = json_string(f, p + 1, e, &tmp);
            f->scratch_used = keep;
            if (p == NULL)
                return NULL;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else {
            while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '"')
                p++;
        }
        if (depth > 0) {
            p = skip_ws(p, e);
            if (p < e && (*p == ',' || *p == ':'))
                p++;
        }
    } while (depth > 0);
    return p;
}

static int json_record(in_file *f, const char *p, const char *e)
{
    int j;
    for (j = 0; j < IN_NCOL; j++)
        f->val[j].p = NULL, f->val[j].n = 0;
    f->scratch_used = 0;
    p = skip_ws(p, e);
    if (p >= e || *p != '{')
        goto bad;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}') {
        p++;
        goto done;
    }
    for (;;) {
        fld key, v;
        int which = -1;
        if (p >= e || *p != '"' || (p = json_string(f, p + 1, e, &key)) == NULL)
            goto bad;
        for (j = 0; j < IN_NCOL; j++)
            if (key.n == strlen(col_names[j]) && memcmp(key.p, col_names[j], key.n) == 0)
                which = j;
        p = skip_ws(p, e);
        if (p >= e || *p != ':')
            goto bad;
        p = skip_ws(p + 1, e);
        if (p >= e)
            goto bad;
        if (*p == '"') {
            if ((p = json_string(f, p + 1, e, &v)) == NULL)
                goto bad;
        } else if (*p == '{' || *p == '[') {
            if (which >= 0) {
                snprintf(f->err, sizeof(f->err), "\"%s\" must be a string or a number", col_names[which]);
                return -1;
            }
            if ((p = json_skip(f, p, e)) == NULL)
                goto bad;
            v.p = NULL;
            v.n = 0;
        } else {
            const char *s = p;
            while (p < e && *p != ',' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\r')
                p++;
            v.p = s;
            v.n = (size_t)(p - s);
            if (v.n == 4 && memcmp(s, "null", 4) == 0) {
                v.n = 0;
            } else if ((v.n == 4 && memcmp(s, "true", 4) == 0) ||
                       (v.n == 5 && memcmp(s, "false", 5) == 0)) {
                if (which >= 0) {
                    snprintf(f->err, sizeof(f->err), "\"%s\" must be a string or a number", col_names[which]);
                    return -1;
                }
            } else if (v.n == 0 || !((*s >= '0' && *s <= '9') || *s == '-')) {
                goto bad;
            }
        }
        if (which >= 0)
            f->val[which] = v;
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        if (p < e && *p == '}') {
            p++;
            break;
        }
        goto bad;
    }
done:
    p = skip_ws(p, e);
    if (p != e)
        goto bad;
    return 0;
bad:
    snprintf(f->err, sizeof(f->err), "malformed JSON object");
    return -1;
}

/* ---- rows to events ------------------------------------------------------ */

/* Whether the n bytes at p are the cached name: two words compared under
 * its mask (fields are followed by at least 16 readable bytes: the
 * buffers' slack; cached names are type names, at most 15 bytes). */
static int type_is(const type_cache *c, const char *p, size_t n)
{
    uint64_t a, b;
    if (c->len != n || n > 16)
        return 0;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    return ((a ^ c->w[0]) & c->mask[0]) == 0 && ((b ^ c->w[1]) & c->mask[1]) == 0;
}

static void type_words(type_cache *c)
{
    char w[16] = {0}, m[16] = {0};
    size_t n = c->len < 16 ? c->len : 16;
    memcpy(w, c->name, n);
    memset(m, 0xff, n);
    memcpy(c->w, w, 16);
    memcpy(c->mask, m, 16);
}

/* The slot of a type name in f->type_slot: the 19 type names take 19
 * different slots of this hash. */
static unsigned type_hash(const char *p, size_t n)
{
    return n ? (unsigned)(n + (unsigned char)p[0] + (unsigned char)p[n - 1] +
                          6u * (unsigned char)p[n >= 2 ? n - 2 : 0]) & 63u
             : 0;
}

static int lookup_type_slow(in_file *f, const char *p, size_t n, unsigned h);

/* The type a name names: the cached one in its slot when it agrees (inline:
 * every row asks), else lookup_type_slow. */
static FAST_INLINE int lookup_type(in_file *f, const char *p, size_t n)
{
    unsigned h = type_hash(p, n);
    if (f->type_slot[h]) {
        const type_cache *c = &f->types[f->type_slot[h] - 1];
        if (type_is(c, p, n))
            return c->type;
    }
    return lookup_type_slow(f, p, n, h);
}

static int lookup_type_slow(in_file *f, const char *p, size_t n, unsigned h)
{
    char name[24];
    int i, t;
    for (i = 0; i < f->ntypes; i++)
        if (type_is(&f->types[i], p, n)) {
            f->type_slot[h] = (unsigned char)(i + 1);
            return f->types[i].type;
        }
    if (n == 0 || n >= sizeof(name))
        return RTN_ETYPE;
    memcpy(name, p, n);
    name[n] = '\0';
    t = rtn_event_type_from_name(name);
    if (t > 0 && f->ntypes < (int)(sizeof(f->types) / sizeof(f->types[0]))) {
        memcpy(f->types[f->ntypes].name, name, n + 1);
        f->types[f->ntypes].len = n;
        f->types[f->ntypes].type = t;
        type_words(&f->types[f->ntypes]);
        f->ntypes++;
        f->type_slot[h] = (unsigned char)f->ntypes;
    }
    return t;
}

/* Error messages quote input: keep control bytes off the terminal. */
static int clean_err(in_file *f)
{
    char *c;
    for (c = f->err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return -1;
}

static int to_event_raw(in_file *f, const fld *val, rtn_event *ev);

/* The event of a row's known columns val[C_TIME..C_REF]. */
static int to_event(in_file *f, const fld *val, rtn_event *ev)
{
    return to_event_raw(f, val, ev) ? clean_err(f) : 0;
}

static int to_event_raw(in_file *f, const fld *val, rtn_event *ev)
{
    fld t = val[C_TIME], ty = val[C_TYPE], c = val[C_CUSTOMER];
    fld v = val[C_VALUE], q = val[C_QUANTITY], r = val[C_REF];
    int rc;
    trim(&t);
    trim(&ty);
    trim(&v);
    trim(&q);
    if (t.n == 0) {
        snprintf(f->err, sizeof(f->err), "empty time");
        return -1;
    }
    if ((rc = time_same_date(f, t.p, t.n, &ev->time)) < 0 ||
        (rc == 0 && parse_time_cached(f, t.p, t.n, &ev->time))) {
        snprintf(f->err, sizeof(f->err), "bad time \"%.*s\" (ISO 8601 or integer milliseconds)",
                 (int)(t.n > 40 ? 40 : t.n), t.p);
        return -1;
    }
    ev->type = lookup_type(f, ty.p, ty.n);
    if (ev->type <= 0) {
        snprintf(f->err, sizeof(f->err), "unknown event type \"%.*s\"", (int)(ty.n > 40 ? 40 : ty.n), ty.p);
        return -1;
    }
    if (c.n == 0) {
        snprintf(f->err, sizeof(f->err), "empty customer");
        return -1;
    }
    ev->customer = 0;
    ev->customer_str = c.p;
    ev->customer_len = (uint32_t)(c.n > UINT32_MAX ? UINT32_MAX : c.n);
    ev->value = 0;
    if (v.n && parse_number(v.p, v.n, &ev->value)) {
        snprintf(f->err, sizeof(f->err), "bad value \"%.*s\"", (int)(v.n > 40 ? 40 : v.n), v.p);
        return -1;
    }
    ev->quantity = 0;
    if (q.n && parse_int(q.p, q.n, &ev->quantity)) {
        snprintf(f->err, sizeof(f->err), "bad quantity \"%.*s\" (an integer)", (int)(q.n > 40 ? 40 : q.n), q.p);
        return -1;
    }
    ev->ref = 0;
    if (r.n) {
        ev->ref_str = r.p;
        ev->ref_len = (uint32_t)(r.n > UINT32_MAX ? UINT32_MAX : r.n);
    } else {
        ev->ref_str = NULL;
        ev->ref_len = 0;
    }
    return 0;
}

/* ---- the usual row, at once ------------------------------------------------ */

/* Bytes after the time's comma that the fast path looks at, 32 at a time:
 * the rest of a usual row. */
#define FAST_TAIL 64
#if IN_SLACK < FAST_TAIL || IN_BLOCK > 32
#error "the fast path reads FAST_TAIL bytes past a row's time, 32 at a time"
#endif

/* Commas, newlines and quotes among the 32 bytes at q, a bit a byte. */
static inline void tail_bits(const char *q, uint64_t *comma, uint64_t *nl, uint64_t *quote)
{
    uint32_t c = 0, n = 0, u = 0;
    unsigned i;
    for (i = 0; i < 32; i += IN_BLOCK) {
        blk_bits b = block_bits(q + i);
        c |= b.comma << i;
        n |= b.nl << i;
        u |= b.quote << i;
    }
    *comma = c;
    *nl = n;
    *quote = u;
}

static unsigned low_bit64(uint64_t m)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(m);
#else
    return (uint32_t)m ? low_bit((uint32_t)m) : 32 + low_bit((uint32_t)(m >> 32));
#endif
}

/* The row of a canonical CSV file as the tool's own sample writes it, and
 * as most logs are: whole in the buffer, its time YYYY-MM-DDTHH:MM:SSZ on
 * the date of the row before, its other five fields within FAST_TAIL bytes
 * after it, no quote, no blank a field would be trimmed of, a known type,
 * a customer, and a value and quantity that parse. Such a row is read
 * here with one look at its bytes instead of a block loop, a field array
 * and a trim of each field: 1, the event made and the row taken. 0 for
 * anything else, nothing taken: the general path reads the row, with its
 * own messages, and gives the same event. */
static FAST_INLINE int csv_fast(in_file *f, rtn_event *ev)
{
    const char *p = f->buf + f->start, *r = p + 21;
    uint64_t comma, nl, quote, c2, n2, q2, x;
    unsigned e, a0, a1, a2, a3;
    size_t vn, qn, rn;
    int type;
    /* The time, with the comma after it. The buffer's data is followed by
     * zero bytes (IN_SLACK), none of them a fixed byte of a time or the
     * comma: a row cut short by the buffer's end does not pass. */
    if (p[20] != ',' || time_same_date(f, p, 20, &ev->time) <= 0)
        return 0;
    tail_bits(r, &comma, &nl, &quote);
    if (nl == 0) {
        tail_bits(r + 32, &c2, &n2, &q2);
        if (n2 == 0)
            return 0;
        comma |= c2 << 32;
        nl = n2 << 32;
        quote |= q2 << 32;
    }
    e = low_bit64(nl);
    nl = (nl & (0u - nl)) - 1; /* the bytes before the newline */
    comma &= nl;
    /* Exactly four commas before it: three taken off leave one. */
    x = comma & (comma - 1);
    x &= x - 1;
    x &= x - 1;
    if ((quote & nl) || x == 0 || (x & (x - 1)) != 0)
        return 0;
    a0 = low_bit64(comma);
    comma &= comma - 1;
    a1 = low_bit64(comma);
    comma &= comma - 1;
    a2 = low_bit64(comma);
    a3 = low_bit64(x);
    vn = a2 - a1 - 1;
    qn = a3 - a2 - 1;
    rn = e - a3 - 1;
    if (a0 == 0 || a1 == a0 + 1 || !untrimmed(r, a0) || !untrimmed(r + a1 + 1, vn) ||
        !untrimmed(r + a2 + 1, qn) || (rn && r[e - 1] == '\r'))
        return 0;
    if ((type = lookup_type(f, r, a0)) <= 0)
        return 0;
    ev->value = 0;
    ev->quantity = 0;
    if ((vn && parse_number(r + a1 + 1, vn, &ev->value)) || (qn && parse_int(r + a2 + 1, qn, &ev->quantity)))
        return 0;
    ev->type = type;
    ev->customer = 0;
    ev->customer_str = r + a0 + 1;
    ev->customer_len = a1 - a0 - 1;
    ev->ref = 0;
    ev->ref_str = rn ? r + a3 + 1 : NULL;
    ev->ref_len = (uint32_t)rn;
    f->row_line = f->line++;
    f->start += 21 + (size_t)e + 1;
    return 1;
}

int in_next_many(in_file *f, rtn_event *evs, uint64_t *lines, int max)
{
    int n = 0;
    if (!f->started || f->json || !f->canon || f->skipping)
        return 0;
    while (n < max && csv_fast(f, &evs[n]))
        lines[n++] = f->row_line;
    return n;
}

/* Sniff the format from the first non-blank byte when the name did not say. */
static int start(in_file *f)
{
    size_t i;
    while (!f->eof && f->end < 4096)
        if (fill(f) < 0)
            return IN_IO;
    if (f->end >= 2 && (unsigned char)f->buf[0] == 0x1f && (unsigned char)f->buf[1] == 0x8b) {
        snprintf(f->err, sizeof(f->err), "gzip input, but this build has no zlib");
        return IN_IO;
    }
    if (f->json < 0) {
        f->json = 0;
        for (i = 0; i < f->end; i++) {
            char ch = f->buf[i];
            if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
                continue;
            f->json = ch == '{';
            break;
        }
    }
    f->started = 1;
    return IN_ROW;
}

int in_next(in_file *f, rtn_event *ev)
{
    if (!f->started) {
        int rc = start(f);
        if (rc != IN_ROW)
            return rc;
        if (!f->json) {
            /* The header. */
            fld fl[IN_MAXF];
            int nf = 0, r;
            size_t next;
            unsigned nl;
            for (;;) {
                r = csv_record(f, fl, &nf, &next, &nl);
                if (r != 0 || f->eof)
                    break;
                if (fill(f) < 0)
                    return IN_IO;
            }
            f->row_line = f->line;
            if (r == 0 || (nf == 1 && fl[0].n == 0)) {
                snprintf(f->err, sizeof(f->err), "empty input: no CSV header");
                return f->end == 0 ? IN_EOF : IN_IO;
            }
            if (r < 0 || csv_header(f, fl, nf))
                return IN_IO;
            f->start = next;
            f->line += nl;
        }
    }
    for (;;) {
        const char *p = f->buf + f->start, *e = f->buf + f->end;
        if (f->skipping) {
            const char *nlp = memchr(p, '\n', (size_t)(e - p));
            if (nlp == NULL) {
                f->start = f->end;
                if (f->eof)
                    return IN_EOF;
                if (fill(f) < 0)
                    return IN_IO;
                continue;
            }
            f->start = (size_t)(nlp + 1 - f->buf);
            f->line++;
            f->skipping = 0;
            continue;
        }
        if (p == e) {
            if (f->eof)
                return IN_EOF;
            if (fill(f) < 0)
                return IN_IO;
            continue;
        }
        if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
            f->start += *p == '\n' ? 1 : 2;
            f->line++;
            continue;
        }
        if (f->json) {
            const char *nlp = memchr(p, '\n', (size_t)(e - p));
            int bad;
            if (nlp == NULL && !f->eof) {
                if (f->start == 0 && f->end == IN_BUF)
                    goto too_long;
                if (fill(f) < 0)
                    return IN_IO;
                continue;
            }
            if (nlp == NULL)
                nlp = e;
            f->row_line = f->line;
            f->start = nlp < e ? (size_t)(nlp + 1 - f->buf) : f->end;
            f->line++;
            {
                const char *s = p;
                while (s < nlp && (*s == ' ' || *s == '\t' || *s == '\r'))
                    s++;
                if (s == nlp)
                    continue;
            }
            bad = json_record(f, p, nlp) || to_event(f, f->val, ev);
            return bad ? IN_BAD : IN_ROW;
        } else {
            fld fl[IN_MAXF];
            int nf = 0, r, j;
            size_t next;
            unsigned nl;
            if (f->canon && csv_fast(f, ev))
                return IN_ROW;
            f->scratch_used = 0;
            r = csv_plain(f, fl, &nf, &next, &nl);
            if (r == -2)
                r = csv_record(f, fl, &nf, &next, &nl);
            if (r == 0) {
                if (f->start == 0 && f->end == IN_BUF)
                    goto too_long;
                if (fill(f) < 0)
                    return IN_IO;
                continue;
            }
            f->row_line = f->line;
            f->start = next;
            f->line += nl;
            if (r < 0)
                return IN_BAD;
            if (f->canon && nf == IN_NCOL)
                return to_event(f, fl, ev) ? IN_BAD : IN_ROW;
            for (j = 0; j < IN_NCOL; j++) {
                int c = f->col[j];
                if (c >= 0 && c < nf) {
                    f->val[j] = fl[c];
                } else {
                    f->val[j].p = NULL;
                    f->val[j].n = 0;
                }
            }
            if (nf <= f->col[C_CUSTOMER] || nf <= f->col[C_TYPE] || nf <= f->col[C_TIME]) {
                snprintf(f->err, sizeof(f->err), "%d field%s, fewer than the header's", nf, nf == 1 ? "" : "s");
                return IN_BAD;
            }
            return to_event(f, f->val, ev) ? IN_BAD : IN_ROW;
        }
    too_long:
        f->row_line = f->line;
        snprintf(f->err, sizeof(f->err), "row longer than %u bytes", IN_BUF);
        f->start = f->end;
        f->skipping = 1;
        return IN_BAD;
    }
}
