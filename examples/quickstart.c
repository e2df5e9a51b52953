/*
 * quickstart.c: create a context, push a few customer events, print a
 * small report. Build against an installed library with
 *   cc quickstart.c $(pkg-config --cflags --libs retention) -o quickstart
 */
#include <retention.h>

#include <stdio.h>

#define DAY INT64_C(86400000)
#define JAN1 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

static void print_value(const char *name, const rtn_value *v, const rtn_metric_info *info)
{
    if (!v->defined)
        printf("  %-26s %10s\n", name, "n/a"); /* undefined: never shown as 0 */
    else if (info->flags & RTN_MF_COUNT)
        printf("  %-26s %10.0f\n", name, v->value);
    else if (info->flags & RTN_MF_BOUNDS)
        printf("  %-26s %10.2f %-3s (95%% %.1f..%.1f)\n", name, v->value, info->unit, v->lo, v->hi);
    else
        printf("  %-26s %10.2f %s\n", name, v->value, info->unit);
}

static int push(rtn_ctx *ctx, int type, int day, uint64_t customer, double value)
{
    rtn_event ev;
    int rc;
    rtn_event_init(&ev, RTN_EVENT_VERSION);
    ev.type = type;
    ev.time = JAN1 + day * DAY + 12 * 3600000; /* noon UTC */
    ev.customer = customer;
    ev.value = value;
    rc = rtn_push(ctx, &ev);
    if (rc != RTN_OK)
        fprintf(stderr, "push: %s (%s)\n", rtn_strerror(rc), rtn_ctx_last_error(ctx));
    return rc;
}

int main(void)
{
    static const int report[] = {RTN_METRIC_CUSTOMERS_START,         RTN_METRIC_CUSTOMERS_NEW,
                                 RTN_METRIC_CUSTOMERS_LOST,          RTN_METRIC_CUSTOMERS_END,
                                 RTN_METRIC_RETENTION_RATE,          RTN_METRIC_CHURN_RATE,
                                 RTN_METRIC_REPEAT_PURCHASE_RATIO,   RTN_METRIC_AVERAGE_ORDER_VALUE,
                                 RTN_METRIC_CUSTOMER_LIFETIME_VALUE, RTN_METRIC_REFERRAL_RATE};
    rtn_ctx *ctx = NULL;
    rtn_config cfg;
    size_t i;
    int rc = RTN_OK;

    rtn_config_init(&cfg, RTN_CONFIG_VERSION);
    cfg.inactivity_days = 60; /* no start event for 60 days: lost */
    if ((rc = rtn_ctx_new(&ctx, &cfg)) != RTN_OK) {
        fprintf(stderr, "rtn_ctx_new: %s\n", rtn_strerror(rc));
        return 1;
    }
    /* December: four customers sign up. */
    for (i = 1; i <= 4; i++)
        rc |= push(ctx, RTN_EV_ACQUIRE, -20 - (int)i, i, 0);
    /* January: purchases, one cancellation, one new customer. */
    rc |= push(ctx, RTN_EV_PURCHASE, 3, 1, 40.0);
    rc |= push(ctx, RTN_EV_PURCHASE, 17, 1, 25.5);
    rc |= push(ctx, RTN_EV_PURCHASE, 9, 2, 99.9);
    rc |= push(ctx, RTN_EV_CHURN, 12, 3, 0);
    rc |= push(ctx, RTN_EV_ACQUIRE, 20, 5, 0);
    rc |= push(ctx, RTN_EV_PURCHASE, 21, 5, 15.0);
    if (rc != RTN_OK) {
        rtn_ctx_free(ctx);
        return 1;
    }

    printf("libretention %s: January 2026\n", rtn_version());
    for (i = 0; i < sizeof report / sizeof report[0]; i++) {
        rtn_value v;
        rtn_metric_info info;
        info.size = sizeof info;
        rtn_metric_info_get(&info, report[i]);
        rtn_value_init(&v, RTN_VALUE_VERSION);
        rc = rtn_query(&v, ctx, report[i], JAN1, JAN1 + 31 * DAY, NULL);
        if (rc != RTN_OK) {
            fprintf(stderr, "%s: %s\n", info.name, rtn_strerror(rc));
            break;
        }
        print_value(info.name, &v, &info);
    }
    /* February has no purchase yet: its average order value is undefined. */
    if (rc == RTN_OK) {
        rtn_value v;
        rtn_metric_info info;
        info.size = sizeof info;
        rtn_metric_info_get(&info, RTN_METRIC_AVERAGE_ORDER_VALUE);
        rtn_value_init(&v, RTN_VALUE_VERSION);
        rc = rtn_query(&v, ctx, RTN_METRIC_AVERAGE_ORDER_VALUE, JAN1 + 31 * DAY, JAN1 + 59 * DAY,
                       NULL);
        printf("February 2026\n");
        if (rc == RTN_OK)
            print_value(info.name, &v, &info);
    }
    rtn_ctx_free(ctx);
    return rc == RTN_OK ? 0 : 1;
}
