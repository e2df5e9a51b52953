/*
 * fuzz_snapshot.c: libFuzzer target for snapshot loading. The input is
 * loaded as is, then again with its length and checksums made right, so the
 * fuzzer also reaches the structural checks behind the CRC. A snapshot that
 * loads is queried, saved again (the bytes must round-trip) and fed events.
 */
#include "fuzzutil.h"

#include <stdlib.h>
#include <string.h>

static void exercise(rtn_ctx *ctx, const uint8_t *orig, size_t size)
{
    fz_buf b = {NULL, 0, 0};
    rtn_ctx *again = NULL;
    fz_query_all(ctx);
    if (rtn_snapshot_save(ctx, fz_buf_write, &b) != RTN_OK)
        abort();
    /* What loads saves back to the same bytes. */
    if (b.len != size || memcmp(b.p, orig, size) != 0)
        abort();
    if (rtn_snapshot_load_buffer(&again, NULL, b.p, b.len) != RTN_OK)
        abort();
    fz_push_some(again);
    fz_query_all(again);
    rtn_ctx_free(again);
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rtn_config cfg;
    rtn_ctx *ctx = NULL;
    uint8_t *fixed;
    rtn_config_init(&cfg, sizeof cfg);
    cfg.memory_cap = (uint64_t)256 << 20;
    if (rtn_snapshot_load_buffer(&ctx, &cfg, data, size) == RTN_OK) {
        exercise(ctx, data, size);
        rtn_ctx_free(ctx);
    }
    if (size < 36)
        return 0;
    fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    fz_fix_crcs(fixed, size);
    ctx = NULL;
    if (rtn_snapshot_load_buffer(&ctx, &cfg, fixed, size) == RTN_OK) {
        exercise(ctx, fixed, size);
        rtn_ctx_free(ctx);
    }
    free(fixed);
    return 0;
}
