"""Hand-computed metrics through the binding: the cases of the C suites
(tests/test_core.c, test_journey.c, test_engage.c, test_revenue.c) and the
worked examples of METRICS.md, so a binding that garbles a field, a time
or an id fails here."""

import datetime
import math
import unittest

import retention
from helpers import DAY, HOUR, T0, td

Z = 1.959963984540054


def wilson(k, n):
    p, z2 = k / n, Z * Z
    den = 1 + z2 / n
    c = (p + z2 / (2 * n)) / den
    h = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den
    return (c - h) * 100, (c + h) * 100


class CustomerBase(unittest.TestCase):
    def test_worked_example(self):
        """METRICS.md: S = 1000, 300 churn, 200 new: E = 900, retention
        (900 - 200) / 1000 = 70 %, churn 30 %, joined 300 / 1200 = 25 %."""
        with retention.Context() as ctx:
            ctx.push_many(("acquire", td(0, 1), c) for c in range(1, 1001))
            ctx.push_many(("churn", td(3), c) for c in range(1, 301))
            ctx.push_many(("acquire", td(5), c) for c in range(1001, 1201))
            q = lambda m: ctx.query(m, td(1), td(11))  # noqa: E731
            self.assertEqual(q("customers_start").value, 1000)
            self.assertEqual(q("customers_end").value, 900)
            self.assertEqual(q("customers_new").value, 200)
            self.assertEqual(q("customers_lost").value, 300)
            self.assertEqual(q("customers_reactivated").value, 0)
            v = q("retention_rate")
            self.assertTrue(v.defined)
            self.assertAlmostEqual(v.value, 70.0, places=9)
            self.assertEqual((v.numerator, v.denominator, v.n), (700, 1000, 1000))
            # Wilson 95 % for 700 / 1000: [67.0876, 72.7592].
            self.assertAlmostEqual(v.lo, 67.0876, delta=1e-3)
            self.assertAlmostEqual(v.hi, 72.7592, delta=1e-3)
            self.assertAlmostEqual(q("churn_rate").value, 30.0, places=9)
            self.assertAlmostEqual(q("churn_rate_existing").value, 30.0, places=9)
            self.assertAlmostEqual(q("churn_rate_joined").value, 25.0, places=9)
            # The floored period comes back.
            self.assertEqual((v.start, v.end), (td(1), td(11)))

    def test_retention_formula_literal(self):
        """S = 2, three customers join on day 2 and leave on day 4: E = 2,
        N = 3: (2 - 3) / 2 = -50 %, churn 3 / 2 = 150 %, joined 3 / 5."""
        with retention.Context() as ctx:
            ctx.push("acquire", td(0), 1)
            ctx.push("acquire", td(0), 2)
            for c in (3, 4, 5):
                ctx.push("acquire", td(2), c)
                ctx.push("churn", td(4), c)
            v = ctx.query("retention_rate", td(1), td(10))
            self.assertAlmostEqual(v.value, -50.0, places=9)
            self.assertTrue(math.isnan(v.lo) and math.isnan(v.hi))
            self.assertAlmostEqual(ctx.query("churn_rate", td(1), td(10)).value, 150.0, places=9)
            self.assertEqual(ctx.query("churn_rate_existing", td(1), td(10)).value, 0)
            self.assertAlmostEqual(ctx.query("churn_rate_joined", td(1), td(10)).value, 60.0,
                                   places=9)

    def test_undefined_is_not_zero(self):
        with retention.Context() as ctx:
            v = ctx.query("churn_rate", td(0), td(10))
            self.assertFalse(v.defined)
            self.assertTrue(math.isnan(v.value))
            self.assertEqual((v.numerator, v.denominator), (0, 0))
            v = ctx.query("customers_lost", td(0), td(10))
            self.assertTrue(v.defined)
            self.assertEqual(v.value, 0)


class Purchases(unittest.TestCase):
    def test_purchases(self):
        """test_core.c purchases: over [1, 5) buyers c1, c2, c3, c5: c1 and
        c2 twice: repeat 2 / 4 = 50 %, 6 purchases, revenue 200, AOV 200 / 6,
        items 7 (c1's first carries 2), 1 returned: 100 / 7 %."""
        with retention.Context() as ctx:
            ctx.push("purchase", td(1), 1, value=10.0, quantity=2)
            ctx.push("purchase", td(2), 1, value=20.0)
            ctx.push("purchase", td(1) + 1000, 2, value=5.0)
            ctx.push("purchase", td(1) + 2000, 2, value=15.0)
            ctx.push("purchase", td(3), 3, value=50.0)
            ctx.push("purchase", td(0), 4, value=1000.0)
            ctx.push("purchase", td(5), 4, value=1000.0)
            ctx.push("purchase", td(0), 5, value=7.0)
            ctx.push("purchase", td(2), 5, value=100.0)
            ctx.push("return", td(4), 3, value=50.0)
            ctx.push("return", td(6), 1, value=10.0)
            q = lambda m, a=1, b=5: ctx.query(m, td(a), td(b))  # noqa: E731
            self.assertEqual(q("buyers").value, 4)
            self.assertEqual(q("purchases").value, 6)
            self.assertAlmostEqual(q("revenue").value, 200.0, places=9)
            v = q("repeat_purchase_ratio")
            self.assertAlmostEqual(v.value, 50.0, places=9)
            self.assertEqual((v.numerator, v.denominator), (2, 4))
            self.assertTrue(v.lo < 50 < v.hi)
            self.assertAlmostEqual(q("purchase_frequency").value, 1.5, places=9)
            self.assertAlmostEqual(q("average_order_value").value, 200.0 / 6.0, places=9)
            self.assertAlmostEqual(q("product_return_rate").value, 100.0 / 7.0, places=9)
            # Over [0, 6): buyers 5, repeat 4 (80 %), 9 purchases, 2207, 10 items.
            self.assertAlmostEqual(q("repeat_purchase_ratio", 0, 6).value, 80.0, places=9)
            self.assertAlmostEqual(q("purchase_frequency", 0, 6).value, 9 / 5, places=9)
            self.assertAlmostEqual(q("average_order_value", 0, 6).value, 2207 / 9, places=9)
            self.assertAlmostEqual(q("product_return_rate", 0, 6).value, 10.0, places=9)
            self.assertFalse(q("repeat_purchase_ratio", 10, 20).defined)

    def test_money_is_exact(self):
        with retention.Context() as ctx:
            ctx.push("purchase", td(0), 1, value=0.1)
            ctx.push("purchase", td(0), 2, value=0.2)
            self.assertEqual(ctx.query("revenue", td(0), td(1)).value, 0.3)

    def test_clv_with_margin(self):
        """c1..c4 acquired day 0; c1 buys 100 and 50, c2 30, c3 churns:
        AOV 60, frequency 1.5, churn 1 / 4, lifespan 4, margin 0.5: 180."""
        with retention.Context(gross_margin=0.5) as ctx:
            for c in range(1, 5):
                ctx.push("acquire", td(0), c)
            ctx.push("purchase", td(2), 1, value=100)
            ctx.push("purchase", td(3), 1, value=50)
            ctx.push("purchase", td(4), 2, value=30)
            ctx.push("churn", td(5), 3)
            self.assertAlmostEqual(ctx.query("customer_lifetime_value", td(1), td(11)).value,
                                   180.0, places=9)
            self.assertFalse(ctx.query("customer_lifetime_value", td(1), td(5)).defined)

    def test_loyalty_configured(self):
        """test_core.c loyal_rate with 2 purchases in 10 days."""
        with retention.Context(loyal_min_purchases=2, loyal_window_days=10) as ctx:
            for t, c in ((0, 1), (9, 1), (5, 2), (1, 3), (2, 3)):
                ctx.push("purchase", td(t), c, value=1)
            ctx.push("purchase", td(5) + 1000, 2, value=1)
            ctx.push("churn", td(3), 3)
            rate = lambda a, b: ctx.query("loyal_customer_rate", td(a), td(b))  # noqa: E731
            self.assertAlmostEqual(rate(3, 3).value, 50, places=9)
            self.assertAlmostEqual(rate(4, 4).value, 0, places=9)
            self.assertAlmostEqual(rate(0, 10).value, 100, places=9)
            self.assertAlmostEqual(rate(11, 11).value, 50, places=9)
            self.assertAlmostEqual(rate(0, 16).value, 0, places=9)
            self.assertFalse(rate(0, 0).defined)

    def test_referrals_by_int_and_str(self):
        """c1 referred by 100, c2 not, c3 by "alice", c4 before the period."""
        with retention.Context() as ctx:
            ctx.push("acquire", td(1), 1, ref=100)
            ctx.push("acquire", td(2), 2)
            ctx.push("acquire", td(3), 3, ref="alice")
            ctx.push("acquire", td(-3), 4, ref=100)
            self.assertEqual(ctx.query("referrals", td(0), td(10)).value, 2)
            v = ctx.query("referral_rate", td(0), td(10))
            self.assertAlmostEqual(v.value, 200 / 3, places=9)
            self.assertEqual(v.denominator, 3)


class Satisfaction(unittest.TestCase):
    def test_nps(self):
        """Promoters 5, passives 2, detractors 3 of 10: NPS 20; var =
        (.5 + .3 - .2^2) / 10 = .076, half-width 1.96 * sqrt(.076) * 100."""
        scores = [10, 9, 9, 8, 7, 6, 3, 10, 10, 5]
        with retention.Context() as ctx:
            for i, s in enumerate(scores):
                ctx.push(retention.EventType.NPS, td(i, 1), i + 1, value=s)
            ctx.push("nps", td(20), 1, value=0)
            v = ctx.query("nps", td(0), td(10))
            half = Z * math.sqrt(0.076) * 100
            self.assertEqual(v.n, 10)
            self.assertAlmostEqual(v.value, 20.0, places=9)
            self.assertAlmostEqual(v.lo, 20.0 - half, places=9)
            self.assertAlmostEqual(v.hi, 20.0 + half, places=9)
            self.assertAlmostEqual(half, 54.0325, delta=1e-3)
            v = ctx.query("nps", td(20), td(21))
            self.assertEqual((v.value, v.lo, v.hi), (-100.0, -100.0, -100.0))
            self.assertFalse(ctx.query("nps", td(11), td(19)).defined)
            # Customer 1's latest answer (day 20) is a 0: a detractor.
            self.assertEqual(ctx.nps_category(1), retention.NpsCategory.DETRACTOR)
            self.assertEqual(ctx.nps_category(2), retention.NpsCategory.PROMOTER)
            self.assertEqual(ctx.nps_category(4), retention.NpsCategory.PASSIVE)

    def test_csat_and_ces(self):
        """CSAT 5 4 3 1 4: 3 of 5 satisfied, 60 % with Wilson bounds; mean
        3.4, sample variance 2.3. CES 2 3 7: mean 4, variance 7."""
        with retention.Context() as ctx:
            for i, s in enumerate([5, 4, 3, 1, 4]):
                ctx.push("csat", td(i), 1, value=s)
            for i, s in enumerate([2, 3, 7]):
                ctx.push("ces", td(i), 2, value=s)
            v = ctx.query("csat", td(0), td(5))
            lo, hi = wilson(3, 5)
            self.assertAlmostEqual(v.value, 60.0, places=9)
            self.assertAlmostEqual(v.lo, lo, places=9)
            self.assertAlmostEqual(v.hi, hi, places=9)
            self.assertAlmostEqual(v.lo, 23.0724, delta=1e-3)
            v = ctx.query("csat_mean", td(0), td(5))
            self.assertAlmostEqual(v.value, 3.4, places=9)
            self.assertAlmostEqual(v.hi - v.value, Z * math.sqrt(2.3 / 5), places=9)
            v = ctx.query("ces", td(0), td(5))
            self.assertAlmostEqual(v.value, 4.0, places=9)
            self.assertAlmostEqual(v.value - v.lo, Z * math.sqrt(7 / 3), places=9)

    def test_csat_scale_configured(self):
        """On a 0..10 scale with 8 the lowest satisfied: 8, 10, 7 -> 2 / 3."""
        with retention.Context(csat_min=0, csat_max=10, csat_satisfied=8) as ctx:
            for i, s in enumerate([8, 10, 7]):
                ctx.push("csat", td(i), i + 1, value=s)
            self.assertAlmostEqual(ctx.query("csat", td(0), td(5)).value, 200 / 3, places=9)
            with self.assertRaises(retention.ScoreError):
                ctx.push("csat", td(0), 9, value=11)


class Engagement(unittest.TestCase):
    def test_feature_adoption_int_and_str(self):
        """test_engage.c: over [0, 4) active c1..c5; feature 7 used 4 times by
        c1 and c2: adoption 2 / 5 = 40 %; "search" by c2 only: 20 %; the
        string "7" is another feature (c5 only)."""
        with retention.Context() as ctx:
            for t, c, f in ((td(1), 1, 7), (td(1, 1), 1, 7), (td(3), 1, 7), (td(2), 2, 7),
                            (td(2), 2, "search"), (td(5), 3, "search"), (td(2), 5, "7")):
                ctx.push("feature", t, c, ref=f)
            ctx.push("activity", td(1), 3)
            ctx.push("activity", td(2), 4)
            self.assertEqual(ctx.query("active_customers", td(0), td(4)).value, 5)
            self.assertEqual(ctx.query("feature_usage", td(0), td(4), feature=7).value, 4)
            v = ctx.query("feature_adoption_rate", td(0), td(4), feature=7)
            self.assertAlmostEqual(v.value, 40.0, places=9)
            self.assertEqual((v.numerator, v.denominator, v.n), (2, 5, 5))
            lo, hi = wilson(2, 5)
            self.assertAlmostEqual(v.lo, lo, places=9)
            self.assertAlmostEqual(v.hi, hi, places=9)
            self.assertEqual(ctx.query("feature_usage", td(0), td(4), feature="search").value, 1)
            self.assertAlmostEqual(
                ctx.query("feature_adoption_rate", td(0), td(4), feature=b"search").value, 20.0,
                places=9)
            self.assertEqual(ctx.query("feature_usage", td(0), td(4), feature="7").value, 1)
            self.assertEqual(ctx.query("feature_usage", td(0), td(4), feature=99).value, 0)
            # A feature metric needs a feature.
            with self.assertRaises(retention.InvalidArgumentError):
                ctx.query("feature_usage", td(0), td(4))


class Revenue(unittest.TestCase):
    @staticmethod
    def book():
        """test_revenue.c's book of five customers (MRR in currency units)."""
        def d(month, day, hour=9):
            return to_ms(datetime.datetime(2026, month, day, hour))
        to_ms = retention.to_ms
        ctx = retention.Context()
        for t, c, ref, v in ((d(1, 5), 1, None, 100), (d(2, 10), 1, None, 150),
                             (d(4, 1), 1, None, 0), (d(1, 20), 2, 7, 200), (d(3, 3), 2, 7, 120),
                             (d(1, 15), 3, 1, 50), (d(2, 1), 3, 2, 30), (d(3, 15), 3, 1, 0),
                             (d(5, 5), 3, 2, 0), (d(2, 5), 4, None, 80), (d(3, 20), 4, None, 0),
                             (d(5, 10), 4, None, 90), (d(1, 10), "acme", "gold", 60),
                             (d(1, 25), "acme", "silver", 40),
                             (d(6, 2, 11), "acme", "silver", 0), (d(6, 2), "acme", "gold", 100),
                             (d(6, 20), "acme", "gold", 20.5)):
            ctx.push("subscription", t, c, value=v, ref=ref)
        return ctx

    def test_book_by_month(self):
        """MRR at the first of Feb..Jul: 450, 610, 400, 250, 310, 230.5.
        March: revenue churn (130 + 80) / 610; May: quick ratio 90 / 30 = 3,
        NRR (250 - 30) / 250 = 88 %."""
        months = [datetime.date(2026, m, 1) for m in range(1, 8)]
        with self.book() as ctx:
            mrr = [ctx.query("mrr", 0, m).value for m in months[1:]]
            self.assertEqual(mrr, [450, 610, 400, 250, 310, 230.5])
            self.assertAlmostEqual(ctx.query("revenue_churn_rate", months[2], months[3]).value,
                                   34.42622950819672, places=9)
            self.assertEqual(ctx.query("quick_ratio", months[4], months[5]).value, 3.0)
            self.assertEqual(ctx.query("net_revenue_retention", months[4], months[5]).value, 88.0)
            self.assertEqual(ctx.query("mrr_new", months[0], months[1]).value, 410)
            self.assertEqual(ctx.query("mrr_expansion", months[1], months[2]).value, 80)
            self.assertEqual(ctx.query("mrr_contraction", months[5], months[6]).value, 79.5)
            # January starts at MRR 0: the retention ratios are undefined.
            self.assertFalse(ctx.query("net_revenue_retention", months[0], months[1]).defined)
            arpa = ctx.query("arpa", months[0], months[1])
            self.assertEqual(arpa.n, 4)
            self.assertAlmostEqual(arpa.value, 450 / 4, places=9)

    def test_book_series(self):
        """Monthly series of NRR equal the single queries; quarterly MRR at
        the end of Q1 = MRR on Apr 1 = 400."""
        with self.book() as ctx:
            start, end = datetime.date(2026, 1, 1), datetime.date(2026, 7, 1)
            months = ctx.series("net_revenue_retention", start, end, "month")
            self.assertEqual(len(months), 6)
            for v in months:
                one = ctx.query("net_revenue_retention", v.start, v.end)
                self.assertEqual((v.defined, v.start, v.end), (one.defined, one.start, one.end))
                if v.defined:
                    self.assertEqual(v.value, one.value)
            self.assertEqual(months[4].value, 88.0)
            quarters = ctx.series("mrr", start, end, retention.Every.QUARTER)
            self.assertEqual([q.value for q in quarters], [400, 230.5])
            self.assertEqual(quarters[1].start, retention.to_ms(datetime.date(2026, 4, 1)))


class Series(unittest.TestCase):
    def test_calendar_buckets(self):
        """test_core.c series_calendar: weeks, months, quarters, days."""
        utc = lambda y, m, d: retention.to_ms(datetime.date(y, m, d))  # noqa: E731
        with retention.Context() as ctx:
            ctx.push("acquire", datetime.date(2025, 12, 31), 1)
            ctx.push("acquire", datetime.datetime(2026, 1, 4, 23), 2)
            ctx.push("acquire", datetime.date(2026, 1, 5), 3)
            ctx.push("acquire", datetime.date(2025, 11, 20), 4)
            ctx.push("acquire", datetime.date(2026, 2, 3), 5)
            ctx.push("acquire", datetime.date(2025, 9, 30), 6)
            w = ctx.series("customers_new", utc(2025, 12, 31), utc(2026, 1, 12), "week")
            self.assertEqual([(v.start, v.end, v.value) for v in w],
                             [(utc(2025, 12, 31), utc(2026, 1, 5), 2),
                              (utc(2026, 1, 5), utc(2026, 1, 12), 1)])
            m = ctx.series("customers_new", utc(2025, 11, 15), utc(2026, 2, 10), "month")
            self.assertEqual([v.value for v in m], [1, 1, 2, 1])
            self.assertEqual(m[3].end, utc(2026, 2, 10))
            q = ctx.series("customers_new", utc(2025, 8, 1), utc(2026, 4, 1), "quarter")
            self.assertEqual([v.value for v in q], [1, 2, 3])
            d = ctx.series("customers_end", utc(2026, 1, 3), utc(2026, 1, 6), "day")
            self.assertEqual([v.value for v in d], [3, 4, 5])
            self.assertEqual(ctx.series("customers_new", utc(2026, 1, 3), utc(2026, 1, 3),
                                        "day"), [])
            with self.assertRaises(retention.PeriodError):
                ctx.series("customers_new", utc(2026, 1, 3), utc(2026, 1, 9), "fortnight")
            with self.assertRaises(retention.PeriodError):
                ctx.series("customers_new", utc(2026, 1, 9), utc(2026, 1, 3), "day")

    def test_hour_resolution(self):
        """Hourly buckets: one acquisition at 10:30 is new in [10:00, 11:00)."""
        with retention.Context(resolution="hour") as ctx:
            ctx.push("acquire", T0 + 10 * HOUR + 30 * 60000, 1)
            v = ctx.query("customers_new", T0 + 10 * HOUR, T0 + 11 * HOUR)
            self.assertEqual(v.value, 1)
            self.assertEqual(ctx.query("customers_new", T0 + 11 * HOUR, T0 + DAY).value, 0)
            hours = ctx.series("customers_new", T0, T0 + DAY, "day")
            self.assertEqual([v.value for v in hours], [1])


class CohortsAndSurvival(unittest.TestCase):
    def test_survival_and_cohorts(self):
        """Four customers acquired on day 0; c1 churns on day 2, c2 on day 5.
        At day 10: KM steps at 2 days (4 at risk, 1 loss: S = .75) and 5
        days (3 at risk, 1 loss: S = .5); median 5 days. Weekly cohorts from
        Thursday Jan 1: one row of 4, column 0 is 100 %."""
        with retention.Context() as ctx:
            for c in range(1, 5):
                ctx.push("acquire", td(0), c)
            ctx.push("churn", td(2), 1)
            ctx.push("churn", td(5), 2)
            s = ctx.survival(td(10))
            self.assertEqual([(p.t_days, p.at_risk, p.events) for p in s.points],
                             [(2.0, 4, 1), (5.0, 3, 1)])
            self.assertAlmostEqual(s.points[0].s, 0.75, places=12)
            self.assertAlmostEqual(s.points[1].s, 0.5, places=12)
            self.assertEqual(s.median_days, 5.0)
            rows = ctx.cohort_retention(td(0), td(1), td(30), every="week", max_periods=3)
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0].size, 4)
            self.assertEqual(rows[0].start, td(-3))  # Monday Dec 29, 2025
            self.assertEqual(rows[0].cells[0].share, 100.0)
            self.assertTrue(rows[0].cells[0].complete)
            self.assertEqual(len(rows[0].cells), 3)
            self.assertEqual(retention.Context().survival(td(10)).points, ())


if __name__ == "__main__":
    unittest.main()
