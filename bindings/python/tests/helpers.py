"""Shared by the binding's tests: instants like tests/testutil.h (T0 is
2026-01-01T00:00:00Z, a Thursday), and a comparison of two contexts over
every metric."""

import retention

DAY = 86400000
HOUR = 3600000
T0 = 1767225600000


def td(d, hours=0):
    """Instant of day d from T0, plus hours."""
    return T0 + d * DAY + hours * HOUR


PERIODS = [(0, 7), (0, 30), (3, 17), (10, 40), (30, 31), (-5, 60)]


def differences(a, b, periods=PERIODS, feature=1):
    """Every (metric name, period) where contexts a and b answer
    differently; feature metrics are asked about `feature`."""
    diffs = []
    for info in retention.metrics():
        opts = {"feature": feature} if info.flags & retention.MetricFlag.NEEDS_FEATURE else {}
        for d0, d1 in periods:
            va = a.query(info.name, td(d0), td(d1), **opts)
            vb = b.query(info.name, td(d0), td(d1), **opts)
            if va != vb:
                diffs.append((info.name, d0, d1, va, vb))
    return diffs


def mixed_events(customers=40, days=45):
    """A deterministic stream of every kind of event, with numeric, str and
    bytes ids, as push tuples (type, time, customer, value, ref, quantity)."""
    out = []
    state = 12345

    def rnd(n):
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (state >> 33) % n

    for i in range(customers * 12):
        c = rnd(customers)
        cust = c if c % 3 else ("s%d" % c if c % 2 else b"b\x00%d" % c)
        t = td(rnd(days), rnd(24))
        kind = rnd(10)
        if kind == 0:
            out.append(("acquire", t, cust, 0.0, None, 0))
        elif kind == 1:
            out.append(("purchase", t, cust, float(1 + rnd(200)), rnd(5) + 1, 1 + rnd(3)))
        elif kind == 2:
            out.append(("activity", t, cust, 0.0, None, 0))
        elif kind == 3:
            out.append(("feature", t, cust, 0.0, 1 + rnd(3), 0))
        elif kind == 4:
            out.append(("nps", t, cust, float(rnd(11)), None, 0))
        elif kind == 5:
            out.append(("csat", t, cust, float(1 + rnd(5)), None, 0))
        elif kind == 6:
            out.append(("subscription", t, cust, float(rnd(4) * 10), None, 0))
        elif kind == 7:
            out.append(("churn", t, cust, 0.0, None, 0))
        elif kind == 8:
            out.append(("contact_open", t, cust, 0.0, 1 + rnd(2), 0))
        else:
            out.append(("page_view", t, cust, 0.0, None, 0))
    return out
