/*
 * gen_seeds.c: writes seed snapshots for fuzz_snapshot into a directory:
 * an empty context, a few small generated streams, two settings.
 * usage: gen_seeds DIR
 */
#define _POSIX_C_SOURCE 200809L
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>

#define T0 INT64_C(1767225600000)
#define DAY INT64_C(86400000)

int main(int argc, char **argv)
{
    static const int types[] = {
        RTN_EV_ACQUIRE,      RTN_EV_PURCHASE,        RTN_EV_CHURN,       RTN_EV_ACTIVITY,
        RTN_EV_RETURN,       RTN_EV_SUBSCRIPTION,    RTN_EV_FEATURE,     RTN_EV_NPS,
        RTN_EV_CSAT,         RTN_EV_VISIT,           RTN_EV_CART_CREATE, RTN_EV_CART_CHECKOUT,
        RTN_EV_CONTACT_OPEN, RTN_EV_CONTACT_RESOLVE, RTN_EV_CES,         RTN_EV_PAGE_VIEW};
    uint64_t s = 12345;
    int k;
    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds DIR\n");
        return 2;
    }
    for (k = 0; k < 6; k++) {
        rtn_config cfg;
        rtn_ctx *ctx;
        char path[4096];
        int i;
        rtn_config_init(&cfg, sizeof cfg);
        if (k % 2) {
            cfg.resolution = RTN_RESOLUTION_HOUR;
            cfg.inactivity_days = 10;
        }
        if (rtn_ctx_new(&ctx, &cfg) != RTN_OK)
            return 1;
        for (i = 0; i < k * 12; i++) {
            rtn_event e;
            int t;
            s = s * UINT64_C(6364136223846793005) + 1442695040888963407u;
            t = types[(s >> 33) % (sizeof types / sizeof types[0])];
            rtn_event_init(&e, sizeof e);
            e.type = t;
            e.time = T0 + (int64_t)((s >> 20) % 60) * DAY + (int64_t)((s >> 40) % 24) * 3600000;
            e.customer = 1 + (s >> 50) % 6;
            if (e.customer == 3) {
                e.customer_str = "cust-3";
                e.customer_len = 6;
            }
            e.ref = 1 + (s >> 8) % 3;
            e.value = t == RTN_EV_NPS ? 8 : t == RTN_EV_CSAT ? 4 : t == RTN_EV_CES ? 2 : 12.5;
            e.quantity = 1;
            (void)rtn_push(ctx, &e);
        }
        snprintf(path, sizeof path, "%s/seed-%d.snap", argv[1], k);
        if (rtn_snapshot_save_file(ctx, path) != RTN_OK)
            return 1;
        rtn_ctx_free(ctx);
    }
    return 0;
}
