/*
 * revenue.c: subscription revenue metrics (in progress).
 */
#include "internal.h"

int rtn__revenue_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    RTN_UNUSED(ctx); RTN_UNUSED(g); RTN_UNUSED(out);
    return RTN_OK;
}
int rtn__revenue_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    RTN_UNUSED(ctx); RTN_UNUSED(items); RTN_UNUSED(n);
    return RTN_OK;
}
void rtn__revenue_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    RTN_UNUSED(ctx); RTN_UNUSED(it); RTN_UNUSED(sign);
}
int rtn__revenue_prepare(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    RTN_UNUSED(ctx); RTN_UNUSED(ev); RTN_UNUSED(bucket);
    return RTN_OK;
}
void rtn__revenue_commit(rtn_ctx *ctx, const rtn_event *ev, uint32_t bucket)
{
    RTN_UNUSED(ctx); RTN_UNUSED(ev); RTN_UNUSED(bucket);
}
int rtn__revenue_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out)
{
    RTN_UNUSED(ctx); RTN_UNUSED(metric); RTN_UNUSED(fb); RTN_UNUSED(tb); RTN_UNUSED(opts); RTN_UNUSED(out);
    return RTN_EMETRIC;
}
void rtn__revenue_free(rtn_ctx *ctx)
{
    RTN_UNUSED(ctx);
}

int rtn__revenue_save(rtn_ctx *ctx, rtn_wr *w)
{
    RTN_UNUSED(ctx); RTN_UNUSED(w);
    return RTN_OK;
}
int rtn__revenue_load(rtn_ctx *ctx, rtn_rd *r)
{
    RTN_UNUSED(ctx); RTN_UNUSED(r);
    return RTN_OK;
}
int rtn__revenue_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    RTN_UNUSED(dst); RTN_UNUSED(src); RTN_UNUSED(cmap);
    return RTN_OK;
}
