/*
 * cohort.c: cohorts, survival curves and lifecycle (in progress).
 */
#include "internal.h"

int rtn__cohort_gen(rtn_ctx *ctx, const rtn_gen *g, rtn_clist *out)
{
    RTN_UNUSED(ctx); RTN_UNUSED(g); RTN_UNUSED(out);
    return RTN_OK;
}
int rtn__cohort_reserve(rtn_ctx *ctx, const rtn_citem *items, uint32_t n)
{
    RTN_UNUSED(ctx); RTN_UNUSED(items); RTN_UNUSED(n);
    return RTN_OK;
}
void rtn__cohort_apply(rtn_ctx *ctx, const rtn_citem *it, int64_t sign)
{
    RTN_UNUSED(ctx); RTN_UNUSED(it); RTN_UNUSED(sign);
}
int rtn__cohort_query(rtn_ctx *ctx, int metric, uint32_t fb, uint32_t tb,
                      const rtn_query_opts *opts, rtn_value *out)
{
    RTN_UNUSED(ctx); RTN_UNUSED(metric); RTN_UNUSED(fb); RTN_UNUSED(tb); RTN_UNUSED(opts); RTN_UNUSED(out);
    return RTN_EMETRIC;
}
void rtn__cohort_free(rtn_ctx *ctx)
{
    RTN_UNUSED(ctx);
}
int rtn_cohort_opts_init(rtn_cohort_opts *opts, uint32_t size)
{
    RTN_UNUSED(opts); RTN_UNUSED(size);
    return RTN_EINVAL;
}
int rtn_cohort_retention(rtn_cohort_cell *cells, int64_t *starts, int64_t *sizes, size_t rows_cap,
                         size_t *rows_out, rtn_ctx *ctx, const rtn_cohort_opts *opts)
{
    RTN_UNUSED(cells); RTN_UNUSED(starts); RTN_UNUSED(sizes); RTN_UNUSED(rows_cap);
    RTN_UNUSED(rows_out); RTN_UNUSED(ctx); RTN_UNUSED(opts);
    return RTN_EMETRIC;
}
int rtn_survival(rtn_survival_point *points, size_t cap, size_t *n_out, double *median_days,
                 rtn_ctx *ctx, int64_t at)
{
    RTN_UNUSED(points); RTN_UNUSED(cap); RTN_UNUSED(n_out); RTN_UNUSED(median_days);
    RTN_UNUSED(ctx); RTN_UNUSED(at);
    return RTN_EMETRIC;
}
int rtn__cohort_save(rtn_ctx *ctx, rtn_wr *w)
{
    RTN_UNUSED(ctx); RTN_UNUSED(w);
    return RTN_OK;
}
int rtn__cohort_load(rtn_ctx *ctx, rtn_rd *r)
{
    RTN_UNUSED(ctx); RTN_UNUSED(r);
    return RTN_OK;
}
int rtn__cohort_merge(rtn_ctx *dst, const rtn_ctx *src, const uint32_t *cmap)
{
    RTN_UNUSED(dst); RTN_UNUSED(src); RTN_UNUSED(cmap);
    return RTN_OK;
}
