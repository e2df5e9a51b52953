/*
 * sample.c: a deterministic simulation of a shop with subscriptions and
 * surveys, day by day, written as a time-ordered CSV event log. Its own
 * PRNG (xoshiro256**, seeded by splitmix64) makes the bytes depend only on
 * the options, on every platform.
 */
#include "sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next(rng *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

/* Uniform in [0, 1) with 53 bits. */
static double u01(rng *r) { return (double)(next(r) >> 11) * (1.0 / 9007199254740992.0); }
static uint32_t below(rng *r, uint32_t n) { return (uint32_t)(((next(r) >> 32) * n) >> 32); }
static int chance(rng *r, double p) { return u01(r) < p; }

/* exp, log and sin from basic IEEE operations only, so the output does not
 * depend on the platform's libm (compiled with -ffp-contract=off). */
static double dexp(double x)
{
    const double ln2 = 0.6931471805599453;
    double k = floor(x / ln2 + 0.5), r = x - k * ln2, term = 1, sum = 1;
    int i;
    for (i = 1; i < 20; i++) {
        term = term * r / i;
        sum += term;
    }
    return ldexp(sum, (int)k);
}

static double dlog(double x)
{
    int e;
    double m = frexp(x, &e), z = (m - 1) / (m + 1), z2 = z * z, term = z, sum = 0;
    int i;
    for (i = 1; i < 60; i += 2) {
        sum += term / i;
        term *= z2;
    }
    return 2 * sum + e * 0.6931471805599453;
}

static double dsin(double x)
{
    const double twopi = 6.283185307179586;
    double term, sum;
    int i;
    x -= floor(x / twopi) * twopi;
    if (x > 3.141592653589793)
        x -= twopi;
    term = x;
    sum = x;
    for (i = 1; i < 14; i++) {
        term = -term * x * x / ((2 * i) * (2 * i + 1));
        sum += term;
    }
    return sum;
}

/* Event kinds of the simulation (the CSV type names are the library's). */
enum { K_ACQ, K_CHURN, K_PUR, K_RET, K_SUB, K_ACT, K_FEAT, K_PV, K_SHARE, K_VISIT, K_CONV,
       K_CART, K_CHECKOUT, K_COPEN, K_CRES, K_CABAN, K_NPS, K_CSAT, K_CES };
static const char *const kind_name[] = {
    "acquire", "churn", "purchase", "return", "subscription", "activity", "feature", "page_view",
    "share", "visit", "conversion", "cart_create", "cart_checkout", "contact_open",
    "contact_resolve", "contact_abandon", "nps", "csat", "ces"};
static const char *const features[] = {"search", "wishlist", "reviews", "export"};
static const double plans[] = {9.99, 19.99, 49.99};

/* How a row's ref is written. */
enum { R_NONE, R_CUST, R_ORDER, R_CART, R_CONTACT, R_SUB, R_FEATURE };

typedef struct event {
    int64_t t;
    uint32_t seq;
    uint32_t cust;
    uint8_t kind;
    uint8_t refkind;
    uint8_t money; /* value is cents (else an integer score or none) */
    uint8_t hasval;
    uint32_t ref;
    int64_t value;
    int32_t qty;
} event;

#define NPEND 4
typedef struct pend {
    int64_t t;     /* 0 = free slot */
    int64_t value; /* cents */
    uint32_t ref;
    uint8_t kind;
    uint8_t refkind;
    int16_t qty;
} pend;

typedef struct cust {
    int32_t acq_day;
    uint8_t state; /* 0 not yet, 1 active, 2 lost */
    uint8_t plan;  /* 0 = no subscription, else plan index + 1 */
    uint8_t mood;  /* 0..10: how this customer tends to answer surveys */
    uint8_t subs;  /* subscriptions started (ref numbering) */
    float engage;  /* activity level, ~0.3..1.6 */
    float spend;   /* purchase propensity */
    uint32_t orders, carts, contacts;
    pend p[NPEND];
} cust;

typedef struct sim {
    rng r;
    FILE *out;
    event *ev;
    size_t n, cap;
    uint32_t seq;
    int64_t rows;
    int failed;
    uint32_t *acquired; /* customers acquired so far, for referrals */
    uint32_t nacq;
} sim;

static void emit(sim *s, int64_t t, uint32_t c, int kind, int refkind, uint32_t ref, int money,
                 int hasval, int64_t value, int32_t qty)
{
    event *e;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4096;
        event *ne = realloc(s->ev, nc * sizeof(*ne));
        if (ne == NULL) {
            s->failed = 1;
            return;
        }
        s->ev = ne;
        s->cap = nc;
    }
    e = &s->ev[s->n++];
    e->t = t;
    e->seq = s->seq++;
    e->cust = c;
    e->kind = (uint8_t)kind;
    e->refkind = (uint8_t)refkind;
    e->ref = ref;
    e->money = (uint8_t)money;
    e->hasval = (uint8_t)hasval;
    e->value = value;
    e->qty = qty;
}

static int cmp_event(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char *put_u(char *o, uint64_t v)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *o++ = tmp[--k];
    return o;
}

static char *put2(char *o, unsigned v)
{
    *o++ = (char)('0' + v / 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

static void flush_day(sim *s, int64_t day)
{
    char date[16], line[256];
    int64_t y;
    unsigned m, d;
    size_t i;
    if (s->n == 0)
        return;
    qsort(s->ev, s->n, sizeof(event), cmp_event);
    in_civil_from_days(day, &y, &m, &d);
    snprintf(date, sizeof(date), "%04lld-%02u-%02uT", (long long)y, m, d);
    for (i = 0; i < s->n; i++) {
        const event *e = &s->ev[i];
        int64_t ms = e->t - day * 86400000;
        char *o = line;
        memcpy(o, date, 11);
        o += 11;
        o = put2(o, (unsigned)(ms / 3600000));
        *o++ = ':';
        o = put2(o, (unsigned)(ms / 60000 % 60));
        *o++ = ':';
        o = put2(o, (unsigned)(ms / 1000 % 60));
        *o++ = 'Z';
        *o++ = ',';
        {
            size_t k = strlen(kind_name[e->kind]);
            memcpy(o, kind_name[e->kind], k);
            o += k;
        }
        *o++ = ',';
        *o++ = 'c';
        o = put_u(o, e->cust + 1);
        *o++ = ',';
        if (e->hasval) {
            if (e->money) {
                o = put_u(o, (uint64_t)(e->value / 100));
                *o++ = '.';
                o = put2(o, (unsigned)(e->value % 100));
            } else {
                o = put_u(o, (uint64_t)e->value);
            }
        }
        *o++ = ',';
        if (e->qty > 0)
            o = put_u(o, (uint64_t)e->qty);
        *o++ = ',';
        switch (e->refkind) {
        case R_CUST: *o++ = 'c'; o = put_u(o, e->ref + 1); break;
        case R_ORDER: *o++ = 'o'; o = put_u(o, e->cust + 1); *o++ = '-'; o = put_u(o, e->ref); break;
        case R_CART: *o++ = 'k'; o = put_u(o, e->cust + 1); *o++ = '-'; o = put_u(o, e->ref); break;
        case R_CONTACT: *o++ = 't'; o = put_u(o, e->cust + 1); *o++ = '-'; o = put_u(o, e->ref); break;
        case R_SUB: *o++ = 's'; o = put_u(o, e->cust + 1); *o++ = '-'; o = put_u(o, e->ref); break;
        case R_FEATURE: {
            size_t k = strlen(features[e->ref]);
            memcpy(o, features[e->ref], k);
            o += k;
            break;
        }
        default: break;
        }
        *o++ = '\n';
        if (fwrite(line, 1, (size_t)(o - line), s->out) != (size_t)(o - line))
            s->failed = 1;
    }
    s->rows += (int64_t)s->n;
    s->n = 0;
}

/* Hour of day: a shop's traffic, low at night, peaks at lunch and evening. */
static int64_t time_in_day(rng *r, int64_t day)
{
    static const unsigned w[24] = {2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 11,
                                   13, 12, 10, 10, 11, 12, 14, 16, 15, 11, 7, 4};
    unsigned tot = 0, k, h = 0;
    for (k = 0; k < 24; k++)
        tot += w[k];
    k = below(r, tot);
    while (k >= w[h])
        k -= w[h++];
    return day * 86400000 + (int64_t)h * 3600000 + (int64_t)below(r, 3600) * 1000;
}

static int64_t clamp_day(int64_t t, int64_t day)
{
    int64_t last = day * 86400000 + 86399000;
    return t > last ? last : t;
}

static void schedule(cust *c, int64_t t, int kind, int refkind, uint32_t ref, int64_t value, int qty)
{
    int i;
    for (i = 0; i < NPEND; i++) {
        if (c->p[i].t == 0) {
            c->p[i].t = t;
            c->p[i].kind = (uint8_t)kind;
            c->p[i].refkind = (uint8_t)refkind;
            c->p[i].ref = ref;
            c->p[i].value = value;
            c->p[i].qty = (int16_t)qty;
            return;
        }
    }
}

/* A survey score drawn around the customer's mood, on lo..hi. */
static int64_t score(rng *r, const cust *c, int lo, int hi, int invert)
{
    double x = (c->mood / 10.0) * 0.75 + u01(r) * 0.35 - 0.05;
    int64_t v;
    if (x < 0) x = 0;
    if (x > 1) x = 1;
    if (invert)
        x = 1 - x;
    v = lo + (int64_t)floor(x * (hi - lo) + 0.5);
    return v < lo ? lo : v > hi ? hi : v;
}

static void purchase(sim *s, cust *c, uint32_t id, int64_t t, int64_t day)
{
    rng *r = &s->r;
    /* Order amounts: a skewed distribution around 45 with a long tail. */
    double u1 = u01(r), u2 = u01(r), u3 = u01(r), amount;
    int qty = 1;
    int64_t cents;
    amount = dexp(3.3 + 0.6 * (u1 + u2 + u3 - 1.5));
    if (chance(r, 0.5))
        qty += (int)below(r, 3);
    cents = (int64_t)(amount * 100) * qty / (qty > 1 ? 2 : 1);
    c->orders++;
    emit(s, t, id, K_PUR, R_ORDER, c->orders, 1, 1, cents, qty);
    if (chance(r, 0.09)) {
        int rq = 1 + (int)below(r, (uint32_t)qty);
        int64_t rt = time_in_day(r, day + 2 + below(r, 20));
        schedule(c, rt, K_RET, R_ORDER, c->orders, cents * rq / qty, rq);
    }
    if (chance(r, 0.15)) {
        /* One random draw per statement: argument evaluation order is unspecified. */
        int64_t ts = clamp_day(t + 600000 + below(r, 7200) * 1000, day);
        emit(s, ts, id, K_CSAT, R_NONE, 0, 0, 1, score(r, c, 1, 5, 0), 0);
    }
}

static void subscribe(sim *s, cust *c, uint32_t id, int64_t t)
{
    rng *r = &s->r;
    c->plan = (uint8_t)(1 + (chance(r, 0.6) ? 0 : chance(r, 0.7) ? 1 : 2));
    c->subs++;
    emit(s, t, id, K_SUB, R_SUB, c->subs, 1, 1, (int64_t)(plans[c->plan - 1] * 100 + 0.5), 0);
}

static void day_of(sim *s, cust *cs, uint32_t id, int64_t day, double rhythm)
{
    rng *r = &s->r;
    cust *c = &cs[id];
    double e = c->engage * rhythm;
    int i;
    /* Follow-ups scheduled earlier (returns, late resolutions). */
    for (i = 0; i < NPEND; i++) {
        pend *p = &c->p[i];
        if (p->t && p->t < (day + 1) * 86400000) {
            emit(s, p->t, id, p->kind, p->refkind, p->ref, p->kind == K_RET, p->kind == K_RET,
                 p->value, p->qty);
            if (p->kind == K_CRES && chance(r, 0.4))
                emit(s, clamp_day(p->t + 60000, day), id, K_CES, R_NONE, 0, 0, 1,
                     score(r, c, 1, 7, 1), 0);
            p->t = 0;
        }
    }
    if (c->state == 0) {
        int64_t t;
        if (c->acq_day != day)
            return;
        t = time_in_day(r, day);
        c->state = 1;
        if (s->nacq > 0 && chance(r, 0.15))
            emit(s, t, id, K_ACQ, R_CUST, s->acquired[below(r, s->nacq)], 0, 0, 0, 0);
        else
            emit(s, t, id, K_ACQ, R_NONE, 0, 0, 0, 0, 0);
        s->acquired[s->nacq++] = id;
        if (chance(r, 0.35))
            subscribe(s, c, id, clamp_day(t + 120000, day));
        else if (chance(r, 0.4))
            purchase(s, c, id, clamp_day(t + 300000 + below(r, 3600) * 1000, day), day);
        else
            emit(s, clamp_day(t + 60000, day), id, K_ACT, R_NONE, 0, 0, 0, 0, 0);
        return;
    }
    if (c->state == 2) {
        /* Lost customers sometimes come back: a purchase or a new plan. */
        if (chance(r, 0.004 * rhythm)) {
            int64_t t = time_in_day(r, day);
            c->state = 1;
            if (chance(r, 0.5))
                subscribe(s, c, id, t);
            else
                purchase(s, c, id, t, day);
        }
        return;
    }
    if (chance(r, 0.16 * e))
        emit(s, time_in_day(r, day), id, K_ACT, R_NONE, 0, 0, 0, 0, 0);
    if (chance(r, 0.10 * e)) {
        int64_t t = time_in_day(r, day);
        int k = 1 + (int)below(r, 3);
        for (i = 0; i < k; i++)
            emit(s, clamp_day(t + i * 45000, day), id, K_PV, R_NONE, 0, 0, 0, 0, 0);
    }
    if (chance(r, 0.06 * e)) {
        double u = u01(r);
        uint32_t f = u < 0.4 ? 0 : u < 0.65 ? 1 : u < 0.85 ? 2 : 3;
        emit(s, time_in_day(r, day), id, K_FEAT, R_FEATURE, f, 0, 0, 0, 0);
    }
    if (chance(r, 0.008 * e))
        emit(s, time_in_day(r, day), id, K_SHARE, R_NONE, 0, 0, 0, 0, 0);
    if (chance(r, 0.04 * e)) {
        int64_t t = time_in_day(r, day);
        emit(s, t, id, K_VISIT, R_NONE, 0, 0, 0, 0, 0);
        if (chance(r, 0.1))
            emit(s, clamp_day(t + 240000, day), id, K_CONV, R_NONE, 0, 0, 0, 0, 0);
    }
    if (chance(r, 0.03 * c->spend * rhythm)) {
        int64_t t = time_in_day(r, day);
        c->carts++;
        emit(s, t, id, K_CART, R_CART, c->carts, 0, 0, 0, 0);
        if (chance(r, 0.32)) {
            int64_t tc = clamp_day(t + 120000 + below(r, 1800) * 1000, day);
            emit(s, tc, id, K_CHECKOUT, R_CART, c->carts, 0, 0, 0, 0);
            purchase(s, c, id, tc, day);
        }
    }
    if (chance(r, 0.005 * (1.6 - c->mood / 10.0))) {
        int64_t t = time_in_day(r, day);
        c->contacts++;
        emit(s, t, id, K_COPEN, R_CONTACT, c->contacts, 0, 0, 0, 0);
        if (chance(r, 0.12)) {
            emit(s, clamp_day(t + (60 + below(r, 900)) * 1000, day), id, K_CABAN, R_CONTACT,
                 c->contacts, 0, 0, 0, 0);
        } else {
            /* Resolution: exponential with a mean of 16 hours. */
            int64_t rt = t + (int64_t)(-dlog(1 - u01(r)) * 16 * 3600000) + 60000;
            if (rt < (day + 1) * 86400000) {
                emit(s, rt, id, K_CRES, R_CONTACT, c->contacts, 0, 0, 0, 0);
                if (chance(r, 0.4))
                    emit(s, clamp_day(rt + 60000, day), id, K_CES, R_NONE, 0, 0, 1,
                         score(r, c, 1, 7, 1), 0);
            } else {
                schedule(c, rt, K_CRES, R_CONTACT, c->contacts, 0, 0);
            }
        }
    }
    if (chance(r, 0.004)) {
        int64_t tn = time_in_day(r, day);
        emit(s, tn, id, K_NPS, R_NONE, 0, 0, 1, score(r, c, 0, 10, 0), 0);
    }
    if (c->plan) {
        double u = u01(r);
        if (u < 0.003 && c->plan < 3) {
            c->plan++;
            emit(s, time_in_day(r, day), id, K_SUB, R_SUB, c->subs, 1, 1,
                 (int64_t)(plans[c->plan - 1] * 100 + 0.5), 0);
        } else if (u < 0.005 && c->plan > 1) {
            c->plan--;
            emit(s, time_in_day(r, day), id, K_SUB, R_SUB, c->subs, 1, 1,
                 (int64_t)(plans[c->plan - 1] * 100 + 0.5), 0);
        } else if (u < 0.005 + 0.0025 * (1.8 - c->mood / 10.0)) {
            /* Cancelling the only plan makes the customer lost. */
            c->plan = 0;
            c->state = 2;
            emit(s, time_in_day(r, day), id, K_SUB, R_SUB, c->subs, 1, 1, 0, 0);
        }
    } else if (chance(r, 0.0025 * (1.8 - c->mood / 10.0))) {
        c->state = 2;
        emit(s, time_in_day(r, day), id, K_CHURN, R_NONE, 0, 0, 0, 0, 0);
    } else if (chance(r, 0.0008)) {
        subscribe(s, c, id, time_in_day(r, day));
    }
}

int64_t sample_write(FILE *out, const sample_opts *o)
{
    sim s;
    cust *cs;
    double *cum;
    uint64_t x = o->seed;
    uint32_t i;
    int64_t d;
    memset(&s, 0, sizeof(s));
    for (i = 0; i < 4; i++)
        s.r.s[i] = splitmix(&x);
    s.out = out;
    cs = calloc(o->customers ? o->customers : 1, sizeof(cust));
    cum = calloc(o->days ? o->days : 1, sizeof(double));
    s.acquired = calloc(o->customers ? o->customers : 1, sizeof(uint32_t));
    if (cs == NULL || cum == NULL || s.acquired == NULL) {
        free(cs);
        free(cum);
        free(s.acquired);
        return -1;
    }
    /* Sign-ups per day: growing, seasonal (a year's wave), quieter at weekends. */
    for (d = 0; d < o->days; d++) {
        int64_t wd = (o->start_day + d + 3) % 7; /* 0 = Monday */
        double w = (1.0 + 0.8 * (double)d / o->days) *
                   (1.0 + 0.25 * dsin(2 * 3.141592653589793 * (double)(o->start_day + d) / 365.25)) *
                   (wd >= 5 ? 0.7 : 1.0);
        cum[d] = (d ? cum[d - 1] : 0) + w;
    }
    for (i = 0; i < o->customers; i++) {
        cust *c = &cs[i];
        double u = u01(&s.r) * cum[o->days - 1];
        uint32_t lo = 0, hi = o->days - 1;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (cum[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        c->acq_day = (int32_t)(o->start_day + lo);
        double u1 = u01(&s.r), u2 = u01(&s.r), u3 = u01(&s.r), u4 = u01(&s.r), u5 = u01(&s.r);
        c->engage = (float)(0.3 + 1.3 * u1 * u2 + 0.2 * u3);
        c->spend = (float)(0.3 + 1.7 * u4 * u5);
        c->mood = (uint8_t)(2 + below(&s.r, 9));
    }
    fputs("time,type,customer,value,quantity,ref\n", out);
    for (d = 0; d < o->days && !s.failed; d++) {
        int64_t day = o->start_day + d, wd = (day + 3) % 7;
        double rhythm = (1.0 + 0.15 * dsin(2 * 3.141592653589793 * (double)day / 365.25)) *
                        (wd >= 5 ? 0.75 : 1.05);
        for (i = 0; i < o->customers; i++)
            day_of(&s, cs, i, day, rhythm);
        flush_day(&s, day);
    }
    free(cs);
    free(cum);
    free(s.acquired);
    free(s.ev);
    if (fflush(out) != 0 || ferror(out))
        s.failed = 1;
    return s.failed ? -1 : s.rows;
}
