/*
 * snapshot.c: saving, loading and merging contexts (in progress).
 */
#include "internal.h"

int rtn_snapshot_save(rtn_ctx *ctx, rtn_write_fn write, void *user)
{
    RTN_UNUSED(ctx); RTN_UNUSED(write); RTN_UNUSED(user);
    return RTN_EIO;
}
int rtn_snapshot_save_file(rtn_ctx *ctx, const char *path)
{
    RTN_UNUSED(ctx); RTN_UNUSED(path);
    return RTN_EIO;
}
int rtn_snapshot_load(rtn_ctx **out, const rtn_config *cfg, rtn_read_fn read, void *user)
{
    RTN_UNUSED(out); RTN_UNUSED(cfg); RTN_UNUSED(read); RTN_UNUSED(user);
    return RTN_EIO;
}
int rtn_snapshot_load_file(rtn_ctx **out, const rtn_config *cfg, const char *path)
{
    RTN_UNUSED(out); RTN_UNUSED(cfg); RTN_UNUSED(path);
    return RTN_EIO;
}
int rtn_ctx_merge(rtn_ctx *dst, const rtn_ctx *src)
{
    RTN_UNUSED(dst); RTN_UNUSED(src);
    return RTN_EMISMATCH;
}
