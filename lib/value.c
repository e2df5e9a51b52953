/*
 * value.c: filling query results: ratios that are undefined rather than 0
 * when their denominator is 0, counts, and Wilson intervals.
 */
#include "internal.h"

void rtn__value_reset(rtn_value *v)
{
    v->defined = 0;
    v->value = NAN;
    v->numerator = NAN;
    v->denominator = NAN;
    v->lo = NAN;
    v->hi = NAN;
    v->p50 = NAN;
    v->p90 = NAN;
    v->n = 0;
}

void rtn__value_ratio(rtn_value *v, double num, double den, double scale)
{
    v->numerator = num;
    v->denominator = den;
    if (den == 0 || !isfinite(num) || !isfinite(den)) {
        v->defined = 0;
        v->value = NAN;
        return;
    }
    v->defined = 1;
    v->value = num / den * scale;
}

void rtn__value_count(rtn_value *v, double count)
{
    v->defined = 1;
    v->value = count;
    v->numerator = count;
    v->denominator = 1;
}

void rtn__wilson(double k, double n, double *lo, double *hi)
{
    const double z = 1.959963984540054;
    double p, z2n, den, center, half;
    if (n <= 0) {
        *lo = *hi = NAN;
        return;
    }
    p = k / n;
    z2n = z * z / n;
    den = 1 + z2n;
    center = (p + z2n / 2) / den;
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den;
    /* At k = 0 or k = n the interval touches 0 or 100 exactly. */
    *lo = k <= 0 ? 0.0 : fmax(0.0, center - half) * 100.0;
    *hi = k >= n ? 100.0 : fmin(1.0, center + half) * 100.0;
}

void rtn__fixsum_add(rtn_fixsum *s, int64_t q)
{
    s->whole += q / RTN_FIXSUM_ONE;
    s->part += q % RTN_FIXSUM_ONE;
    if (s->part >= RTN_FIXSUM_ONE) {
        s->whole++;
        s->part -= RTN_FIXSUM_ONE;
    }
}

double rtn__fixsum_value(const rtn_fixsum *s)
{
    /* While the total fits in 64 bits it is formed exactly and divided
     * once, as a plain fixed-point sum would be. */
    if (s->whole <= (INT64_MAX - s->part) / RTN_FIXSUM_ONE)
        return (double)(s->whole * RTN_FIXSUM_ONE + s->part) / (double)RTN_FIXSUM_ONE;
    return (double)s->whole + (double)s->part / (double)RTN_FIXSUM_ONE;
}
