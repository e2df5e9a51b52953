/*
 * journey.c: surveys, funnel, carts, service, time to value, health (in progress).
 */
#include "internal.h"

int rtn__journey_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    RTN_UNUSED(ctx); RTN_UNUSED(g); RTN_UNUSED(out);
    return RTN_OK;
}
int rtn__journey_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    RTN_UNUSED(ctx); RTN_UNUSED(items); RTN_UNUSED(n);
    return RTN_OK;
}
void rtn__journey_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    RTN_UNUSED(ctx); RTN_UNUSED(it); RTN_UNUSED(sign);
}
int rtn__journey_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    RTN_UNUSED(ctx); RTN_UNUSED(ev); RTN_UNUSED(bucket);
    return RTN_OK;
}
void rtn__journey_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    RTN_UNUSED(ctx); RTN_UNUSED(ev); RTN_UNUSED(bucket);
}
int rtn__journey_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out)
{
    RTN_UNUSED(ctx); RTN_UNUSED(metric); RTN_UNUSED(fb); RTN_UNUSED(tb); RTN_UNUSED(opts); RTN_UNUSED(out);
    return RTN_EMETRIC;
}
void rtn__journey_free(rtn_ctx *ctx)
{
    RTN_UNUSED(ctx);
}
int rtn_customer_nps_category(int *out, rtn_ctx *ctx, const rtn_customer *c)
{
    RTN_UNUSED(out); RTN_UNUSED(ctx); RTN_UNUSED(c);
    return RTN_EMETRIC;
}
int rtn_health_score(double *out, rtn_ctx *ctx, const rtn_customer *c, int64_t at)
{
    RTN_UNUSED(out); RTN_UNUSED(ctx); RTN_UNUSED(c); RTN_UNUSED(at);
    return RTN_EMETRIC;
}
int rtn_health_lowest(rtn_health_entry *out, size_t cap, size_t *n_out, rtn_ctx *ctx, int64_t at)
{
    RTN_UNUSED(out); RTN_UNUSED(cap); RTN_UNUSED(n_out); RTN_UNUSED(ctx); RTN_UNUSED(at);
    return RTN_EMETRIC;
}
int rtn__journey_save(rtn_ctx *ctx, rtn_wr *w)
{
    RTN_UNUSED(ctx); RTN_UNUSED(w);
    return RTN_OK;
}
int rtn__journey_load(rtn_ctx *ctx, rtn_rd *r)
{
    RTN_UNUSED(ctx); RTN_UNUSED(r);
    return RTN_OK;
}
int rtn__journey_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    RTN_UNUSED(dst); RTN_UNUSED(src); RTN_UNUSED(cmap);
    return RTN_OK;
}
