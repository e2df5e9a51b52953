/* main.c: a consumer of the installed library (see CMakeLists.txt). */
#include <retention.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    rtn_ctx *ctx = NULL;
    rtn_event ev;
    rtn_value v;
    if (rtn_version_number() / 10000 != RTN_VERSION_MAJOR || rtn_ctx_new(&ctx, NULL) != RTN_OK)
        return 1;
    rtn_event_init(&ev, RTN_EVENT_VERSION);
    ev.type = RTN_EV_ACQUIRE;
    ev.time = INT64_C(1767225600000);
    ev.customer = 1;
    rtn_value_init(&v, RTN_VALUE_VERSION);
    if (rtn_push(ctx, &ev) != RTN_OK ||
        rtn_query(&v, ctx, RTN_METRIC_CUSTOMERS_NEW, ev.time, ev.time + 86400000, NULL) != RTN_OK ||
        v.value != 1.0) {
        rtn_ctx_free(ctx);
        return 1;
    }
    printf("find_package(retention) %s: ok\n", rtn_version());
    rtn_ctx_free(ctx);
    return 0;
}
