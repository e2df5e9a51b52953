/*
 * fuzz_snapshot.c: libFuzzer target for snapshot loading. The input is
 * loaded as is, then again with its length and checksums made right, so the
 * fuzzer also reaches the structural checks behind the CRC. A snapshot that
 * loads is queried, saved again and fed events. Saving must be canonical
 * where snapshot.c owns the bytes (header, configuration, meta, customers,
 * core sums: byte for byte the input), and a fixed point for the module
 * sections (a module may normalise what it accepted, but saving what it
 * loaded from its own output gives the same bytes).
 */
#include "fuzzutil.h"

#include <stdlib.h>
#include <string.h>

/* Bytes from the start to the end of the core section (header + 4 sections). */
static size_t core_prefix(const uint8_t *p, size_t size)
{
    size_t off = 32;
    int i;
    for (i = 0; i < 4 && off + 12 <= size; i++) {
        uint64_t len = (uint64_t)p[off + 4] | (uint64_t)p[off + 5] << 8 |
                       (uint64_t)p[off + 6] << 16 | (uint64_t)p[off + 7] << 24;
        off += 12 + (size_t)len;
    }
    return off;
}

static void save_or_abort(rtn_ctx *ctx, fz_buf *b)
{
    if (rtn_snapshot_save(ctx, fz_buf_write, b) != RTN_OK)
        abort();
}

static void exercise(rtn_ctx *ctx, const uint8_t *orig, size_t size)
{
    fz_buf b = {NULL, 0, 0}, b2 = {NULL, 0, 0};
    rtn_ctx *again = NULL;
    size_t pre;
    fz_query_all(ctx);
    save_or_abort(ctx, &b);
    pre = core_prefix(orig, size);
    if (b.len < pre || memcmp(b.p + 32, orig + 32, pre - 32) != 0)
        abort();
    if (rtn_snapshot_load_buffer(&again, NULL, b.p, b.len) != RTN_OK)
        abort();
    save_or_abort(again, &b2);
    if (b2.len != b.len || memcmp(b2.p, b.p, b.len) != 0)
        abort();
    fz_push_some(again);
    fz_query_all(again);
    rtn_ctx_free(again);
    free(b.p);
    free(b2.p);
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
