#!/usr/bin/env python3
"""python_quickstart.py: the Python binding in one page. A small shop's
customers sign up, buy, answer a survey and leave; then a report for
January 2026, a monthly series, a snapshot round trip and an error.

Run from a build of the repository:
    RETENTION_LIBRARY=build-default/libretention.so python3 examples/python_quickstart.py
(with the package bindings/python/retention on PYTHONPATH, or installed).
"""

import datetime
import os
import sys

try:
    import retention
except ImportError:  # running from the source tree
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                    "bindings", "python"))
    import retention

D = datetime.date


def main():
    with retention.Context(inactivity_days=90, gross_margin=0.4) as ctx:
        # Ids: ints, or strings (an email, a UUID). 42 and "42" are different customers.
        ctx.push("acquire", D(2025, 12, 1), "ana@example.com")
        ctx.push("acquire", D(2025, 12, 3), 42)
        ctx.push("acquire", D(2025, 12, 8), "bo@example.com", ref="ana@example.com")
        ctx.push("purchase", datetime.datetime(2026, 1, 5, 14, 30), "ana@example.com",
                 value=49.90, ref="order-1001", quantity=2)
        ctx.push("purchase", D(2026, 1, 19), "ana@example.com", value=20.00, ref="order-1002")
        ctx.push("purchase", D(2026, 1, 7), 42, value=120.00)
        ctx.push("churn", D(2026, 1, 20), "bo@example.com")
        # Many events at once: tuples (type, time, customer, value, ref, quantity) or dicts.
        ctx.push_many([
            ("acquire", D(2026, 1, 10), "cy@example.com", 0, "ana@example.com"),
            {"type": "purchase", "time": D(2026, 1, 11), "customer": "cy@example.com",
             "value": 15.5},
            ("nps", D(2026, 1, 25), "ana@example.com", 10),
            ("nps", D(2026, 1, 26), 42, 6),
            ("nps", D(2026, 1, 27), "cy@example.com", 9),
        ])

        jan, feb = D(2026, 1, 1), D(2026, 2, 1)
        flags = {m.name: m.flags for m in retention.metrics()}
        print("January 2026")
        for name in ("customers_start", "customers_new", "customers_lost", "customers_end",
                     "retention_rate", "churn_rate", "repeat_purchase_ratio",
                     "average_order_value", "customer_lifetime_value", "referral_rate", "nps"):
            v = ctx.query(name, jan, feb)  # a metric name from METRICS.md, or its number
            if not v.defined:
                print("  %-24s %10s" % (name, "n/a"))  # undefined: never shown as 0
            elif flags[name] & retention.MetricFlag.COUNT:
                print("  %-24s %10d" % (name, v.value))
            elif flags[name] & retention.MetricFlag.BOUNDS:
                print("  %-24s %10.2f  (95%% %.1f..%.1f)" % (name, v.value, v.lo, v.hi))
            else:
                print("  %-24s %10.2f" % (name, v.value))

        print("New customers per month")
        for v in ctx.series("customers_new", D(2025, 12, 1), D(2026, 2, 1), "month"):
            print("  %s  %d" % (retention.from_ms(v.start).strftime("%Y-%m"), v.value))

        # A snapshot answers exactly like the context it came from.
        copy = retention.Context.from_bytes(ctx.to_bytes())
        same = copy.query("churn_rate", jan, feb) == ctx.query("churn_rate", jan, feb)
        print("snapshot of %d bytes answers the same: %s" % (len(ctx.to_bytes()), same))
        copy.close()

        # Bad input raises and changes nothing.
        try:
            ctx.push("nps", D(2026, 1, 28), 42, value=11)
        except retention.ScoreError as e:  # also a ValueError
            print("refused (code %d): %s" % (e.code, e))
        print("events: %d, customers: %d" % (ctx.stats().events, ctx.stats().customers))


if __name__ == "__main__":
    main()
