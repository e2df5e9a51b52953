/*
 * ctx.c: configuration, context life cycle, error detail, version and
 * status messages.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RTN_STR2(x) #x
#define RTN_STR(x) RTN_STR2(x)

const char *rtn_version(void)
{
    return RTN_STR(RTN_VERSION_MAJOR) "." RTN_STR(RTN_VERSION_MINOR) "." RTN_STR(RTN_VERSION_PATCH);
}

int rtn_version_number(void)
{
    return RTN_VERSION_NUMBER;
}

/* Indexed by -code: rtn_status runs from 0 down without gaps. */
static const char *const status_messages[] = {
    "success",
    "invalid argument (NULL pointer or value out of domain)",
    "out of memory or over the memory cap",
    "unknown event type",
    "survey score off its scale",
    "amount is NaN, infinite, negative or too large",
    "time outside the supported range (1970 to 2199)",
    "unknown metric, or not answerable by this call",
    "invalid period or series bucket",
    "invalid configuration",
    "invalid customer or reference id",
    "buffer too small or counter out of range",
    "not found",
    "snapshot corrupt, truncated or invalid",
    "unsupported snapshot format version",
    "input/output error",
    "contexts have incompatible configurations",
    "item quantity out of range",
};

#define NSTATUS ((int)(sizeof(status_messages) / sizeof(status_messages[0])))

int rtn__status_count(void)
{
    return NSTATUS;
}

const char *rtn_strerror(int code)
{
    /* code > -NSTATUS first, so -code cannot overflow. */
    return code <= 0 && code > -NSTATUS ? status_messages[-code] : "unknown status code";
}

int rtn__fail(rtn_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    if (ctx) {
        va_start(ap, fmt);
        vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
        va_end(ap);
    }
    return code;
}

void rtn__clear_error(rtn_ctx *ctx)
{
    ctx->err[0] = '\0';
}

const char *rtn_ctx_last_error(const rtn_ctx *ctx)
{
    return ctx ? ctx->err : "no context";
}

int rtn_config_init(rtn_config *cfg, uint32_t size)
{
    if (cfg == NULL || size != sizeof(rtn_config))
        return RTN_EINVAL;
    memset(cfg, 0, sizeof(*cfg));
    cfg->size = size;
    cfg->resolution = RTN_RESOLUTION_DAY;
    cfg->loyal_min_purchases = 3;
    cfg->loyal_window_days = 365;
    cfg->gross_margin = 1.0;
    cfg->csat_min = 1;
    cfg->csat_max = 5;
    cfg->csat_satisfied = 4;
    cfg->ces_min = 1;
    cfg->ces_max = 7;
    cfg->value_event = RTN_VALUE_DEFAULT;
    cfg->health.recency = 0.3;
    cfg->health.frequency = 0.2;
    cfg->health.monetary = 0.2;
    cfg->health.satisfaction = 0.2;
    cfg->health.contacts = 0.1;
    return RTN_OK;
}

static int weight_ok(double w)
{
    return isfinite(w) && w >= 0;
}

/* Checks a complete config; writes the reason into buf. */
static int check_config(const rtn_config *c, char *buf, size_t len)
{
    const rtn_health_weights *h = &c->health;
    int nhooks = (c->allocator.malloc_fn != NULL) + (c->allocator.realloc_fn != NULL) +
                 (c->allocator.free_fn != NULL);
    if (c->resolution != RTN_RESOLUTION_DAY && c->resolution != RTN_RESOLUTION_HOUR)
        snprintf(buf, len, "resolution %d is neither day nor hour", (int)c->resolution);
    else if (c->day_offset_minutes <= -1440 || c->day_offset_minutes >= 1440)
        snprintf(buf, len, "day_offset_minutes %d outside (-1440, 1440)", (int)c->day_offset_minutes);
    else if (c->inactivity_days < 0 || c->inactivity_days > 36500)
        snprintf(buf, len, "inactivity_days %d outside 0..36500", (int)c->inactivity_days);
    else if (nhooks != 0 && nhooks != 3)
        snprintf(buf, len, "allocator: set all three hooks or none");
    else if (c->loyal_min_purchases < 1 || c->loyal_min_purchases > 1000000)
        snprintf(buf, len, "loyal_min_purchases %d outside 1..1000000", (int)c->loyal_min_purchases);
    else if (c->loyal_window_days < 1 || c->loyal_window_days > 36500)
        snprintf(buf, len, "loyal_window_days %d outside 1..36500", (int)c->loyal_window_days);
    else if (!(c->gross_margin > 0 && c->gross_margin <= 1))
        snprintf(buf, len, "gross_margin must be in (0, 1]");
    else if (c->csat_min >= c->csat_max || c->csat_satisfied < c->csat_min ||
             c->csat_satisfied > c->csat_max || c->csat_min < -1000000 || c->csat_max > 1000000)
        snprintf(buf, len, "CSAT scale %d..%d with satisfied threshold %d is invalid",
                 (int)c->csat_min, (int)c->csat_max, (int)c->csat_satisfied);
    else if (c->ces_min >= c->ces_max || c->ces_min < -1000000 || c->ces_max > 1000000)
        snprintf(buf, len, "CES scale %d..%d is invalid", (int)c->ces_min, (int)c->ces_max);
    else if (c->value_event != RTN_VALUE_DEFAULT && rtn_event_type_name(c->value_event) == NULL)
        snprintf(buf, len, "value_event %d is not an event type", (int)c->value_event);
    else if (!weight_ok(h->recency) || !weight_ok(h->frequency) || !weight_ok(h->monetary) ||
             !weight_ok(h->satisfaction) || !weight_ok(h->contacts) ||
             h->recency + h->frequency + h->monetary + h->satisfaction + h->contacts <= 0)
        snprintf(buf, len, "health weights must be finite, non-negative and not all 0");
    else
        return RTN_OK;
    return RTN_ECONFIG;
}

int rtn__config_resolve(rtn_config *out, const rtn_config *cfg, char *buf, size_t len)
{
    rtn_config_init(out, sizeof(*out));
    if (cfg) {
        if (cfg->size < offsetof(rtn_config, loyal_min_purchases) || cfg->size > sizeof(rtn_config)) {
            snprintf(buf, len, "config size %u is not a known rtn_config size", (unsigned)cfg->size);
            return RTN_EINVAL;
        }
        memcpy(out, cfg, cfg->size);
        out->size = sizeof(*out);
    }
    return check_config(out, buf, len);
}

int rtn__ctx_create(rtn_ctx **out, const rtn_config *c)
{
    rtn_mem m;
    rtn_ctx *ctx;
    memset(&m, 0, sizeof(m));
    m.a = c->allocator;
    m.cap = c->memory_cap;
    ctx = rtn__calloc(&m, sizeof(*ctx));
    if (ctx == NULL)
        return RTN_ENOMEM;
    ctx->cfg = *c;
    ctx->mem = m;
    ctx->offset_ms = (int64_t)c->day_offset_minutes * 60000;
    ctx->inactivity = (uint32_t)c->inactivity_days * (c->resolution == RTN_RESOLUTION_HOUR ? 24u : 1u);
    ctx->loyal_window = (uint32_t)c->loyal_window_days * (c->resolution == RTN_RESOLUTION_HOUR ? 24u : 1u);
    *out = ctx;
    return RTN_OK;
}

int rtn_ctx_new(rtn_ctx **out, const rtn_config *cfg)
{
    rtn_config c;
    char why[160];
    int rc;
    if (out == NULL)
        return RTN_EINVAL;
    *out = NULL;
    rc = rtn__config_resolve(&c, cfg, why, sizeof(why));
    if (rc)
        return rc;
    return rtn__ctx_create(out, &c);
}

void rtn__ctx_free_contents(rtn_ctx *ctx)
{
    rtn__engage_free(ctx);
    rtn__journey_free(ctx);
    rtn__revenue_free(ctx);
    rtn__cohort_free(ctx);
    rtn__core_free(ctx);
    rtn__ctab_free(&ctx->mem, &ctx->cust);
    rtn__free(&ctx->mem, ctx->pend.newent, (size_t)ctx->pend.newcap * sizeof(uint64_t));
    rtn__free(&ctx->mem, ctx->pend.fresh, (size_t)ctx->pend.fresh_cap * sizeof(uint64_t));
    rtn__free(&ctx->mem, ctx->pend.mods, (size_t)ctx->pend.modcap * sizeof(rtn_emod));
    rtn__free(&ctx->mem, ctx->old_items.v, (size_t)ctx->old_items.cap * sizeof(rtn_citem));
    rtn__free(&ctx->mem, ctx->new_items.v, (size_t)ctx->new_items.cap * sizeof(rtn_citem));
    rtn__free(&ctx->mem, ctx->ivl_buf, (size_t)ctx->ivl_cap * sizeof(rtn_ivl));
    rtn__free(&ctx->mem, ctx->ivl_buf2, (size_t)ctx->ivl_cap2 * sizeof(rtn_ivl));
    ctx->ndirty = 0;
    rtn__fold_release(ctx);
}

void rtn_ctx_free(rtn_ctx *ctx)
{
    rtn_mem m;
    if (ctx == NULL)
        return;
    rtn__ctx_free_contents(ctx);
    m = ctx->mem;
    rtn__free(&m, ctx, sizeof(*ctx));
}

int rtn_stats_init(rtn_stats *stats, uint32_t size)
{
    if (stats == NULL || size != sizeof(rtn_stats))
        return RTN_EINVAL;
    memset(stats, 0, sizeof(*stats));
    stats->size = size;
    return RTN_OK;
}

int rtn_ctx_stats(rtn_stats *out, const rtn_ctx *ctx)
{
    rtn_stats s;
    if (out == NULL || ctx == NULL || out->size < sizeof(uint32_t) || out->size > sizeof(rtn_stats))
        return RTN_EINVAL;
    memset(&s, 0, sizeof(s));
    s.size = out->size;
    s.events = ctx->events;
    s.customers = ctx->cust.n;
    s.first_time = ctx->first_time;
    s.last_time = ctx->last_time;
    s.memory_bytes = ctx->mem.used;
    memcpy(out, &s, out->size);
    return RTN_OK;
}

int rtn__ctx_clone(rtn_ctx **out, const rtn_ctx *src, int share)
{
    rtn_ctx *w;
    rtn_mem *m;
    int rc;
    *out = NULL;
    if ((rc = rtn__ctx_create(&w, &src->cfg)))
        return rc;
    m = &w->mem;
    w->events = src->events;
    w->first_time = src->first_time;
    w->last_time = src->last_time;
    /* Each part is copied into cleared fields, so rtn_ctx_free releases a
     * half-made copy exactly. */
    if ((rc = rtn__ctab_clone(m, &w->cust, &src->cust, share)) ||
        (rc = rtn__core_clone(w, src)) || (rc = rtn__engage_clone(w, src)) ||
        (rc = rtn__journey_clone(w, src)) || (rc = rtn__revenue_clone(w, src)) ||
        (rc = rtn__cohort_clone(w, src)))
        goto fail;
    if (src->ndirty) {
        if ((rc = rtn__dup(m, (void **)&w->dirty, src->dirty,
                           (size_t)src->ndirty * sizeof(rtn_dirty))))
            goto fail;
        w->dirty_cap = w->ndirty = src->ndirty;
        if (src->dirty_len &&
            (rc = rtn__dup(m, (void **)&w->dirty_ent, src->dirty_ent,
                           (size_t)src->dirty_len * sizeof(uint64_t))))
            goto fail;
        w->dirty_ecap = w->dirty_len = src->dirty_len;
    }
    *out = w;
    return RTN_OK;
fail:
    w->ndirty = 0;
    rtn__ctab_unshare(m, &w->cust, &src->cust);
    rtn_ctx_free(w);
    return rc;
}
