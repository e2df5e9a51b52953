/*
 * time.c: instants to resolution buckets (with the business's day offset),
 * and the proleptic Gregorian calendar used by series buckets.
 */
#include "internal.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t rtn__resolution_ms(const rtn_ctx *ctx)
{
    return ctx->cfg.resolution == RTN_RESOLUTION_HOUR ? RTN_MS_PER_HOUR : RTN_MS_PER_DAY;
}

uint32_t rtn__buckets_per_day(const rtn_ctx *ctx)
{
    return ctx->cfg.resolution == RTN_RESOLUTION_HOUR ? 24u : 1u;
}

uint32_t rtn__bucket_before(const rtn_ctx *ctx, int64_t x)
{
    int64_t b = floor_div(x, rtn__resolution_ms(ctx));
    return b < 0 ? 0u : (uint32_t)b;
}

uint32_t rtn__query_bucket(const rtn_ctx *ctx, int64_t t)
{
    if (t < 0)
        t = 0;
    if (t > RTN_TIME_MAX)
        t = RTN_TIME_MAX;
    return rtn__bucket(ctx, t);
}

int64_t rtn__bucket_time(const rtn_ctx *ctx, uint32_t b)
{
    return (int64_t)b * rtn__resolution_ms(ctx) - ctx->offset_ms;
}

/* Days since 1970-01-01 of a civil date (any year). */
int64_t rtn__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void rtn__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t rtn__every_start(int every, int64_t day)
{
    int64_t y;
    unsigned m, d;
    switch (every) {
    case RTN_EVERY_DAY:
        return day;
    case RTN_EVERY_WEEK: /* 1970-01-01 was a Thursday; ISO weeks start Monday */
        return day - (((day + 3) % 7) + 7) % 7;
    case RTN_EVERY_MONTH:
        rtn__civil_from_days(day, &y, &m, &d);
        return rtn__days_from_civil(y, m, 1);
    default: /* quarter */
        rtn__civil_from_days(day, &y, &m, &d);
        return rtn__days_from_civil(y, (m - 1) / 3 * 3 + 1, 1);
    }
}

int64_t rtn__every_next(int every, int64_t day)
{
    int64_t y, s = rtn__every_start(every, day);
    unsigned m, d;
    switch (every) {
    case RTN_EVERY_DAY:
        return s + 1;
    case RTN_EVERY_WEEK:
        return s + 7;
    case RTN_EVERY_MONTH:
        rtn__civil_from_days(s, &y, &m, &d);
        return m == 12 ? rtn__days_from_civil(y + 1, 1, 1) : rtn__days_from_civil(y, m + 1, 1);
    default:
        rtn__civil_from_days(s, &y, &m, &d);
        return m >= 10 ? rtn__days_from_civil(y + 1, 1, 1) : rtn__days_from_civil(y, m + 3, 1);
    }
}
