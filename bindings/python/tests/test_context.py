"""Context behaviour through the binding: ids, times, configuration, status
codes mapped onto exceptions, batches, snapshots (path, stream, bytes,
pickle), merge, and the life cycle."""

import datetime
import io
import math
import os
import pickle
import struct
import tempfile
import threading
import unittest
import zlib

import retention
from helpers import DAY, T0, differences, mixed_events, td


class Ids(unittest.TestCase):
    def test_int_str_bytes(self):
        """42, "42" and "042" are three customers; "42" and b"42" are the
        same bytes, so the same customer; ids keep NUL and high bytes."""
        with retention.Context() as ctx:
            ctx.push("acquire", td(0), 42)
            ctx.push("acquire", td(0), "42")
            ctx.push("acquire", td(0), "042")
            ctx.push("churn", td(2), b"42")  # the string customer "42"
            self.assertEqual(ctx.query("customers_new", td(0), td(5)).value, 3)
            self.assertEqual(ctx.query("customers_lost", td(0), td(5)).value, 1)
            self.assertEqual(ctx.query("customers_end", td(0), td(5)).value, 2)
            ctx.push("acquire", td(1), b"a\x00b\xff")
            ctx.push("acquire", td(1), b"a\x00b")
            ctx.push("acquire", td(1), bytearray(b"a"))
            ctx.push("acquire", td(1), "\u00e9")        # UTF-8: c3 a9
            ctx.push("acquire", td(1), b"\xe9")         # Latin-1 e-acute: other bytes
            ctx.push("acquire", td(1), memoryview(b"\xc3\xa9"))  # the same as "\u00e9"
            self.assertEqual(ctx.query("customers_new", td(0), td(5)).value, 8)
            self.assertEqual(ctx.stats().customers, 8)
            self.assertEqual(ctx.stats().events, 10)
            # The per-customer calls see the same distinction.
            ctx.push("nps", td(3), 42, value=10)
            ctx.push("nps", td(3), "42", value=0)
            self.assertEqual(ctx.nps_category(42), retention.NpsCategory.PROMOTER)
            self.assertEqual(ctx.nps_category("42"), retention.NpsCategory.DETRACTOR)
            self.assertEqual(ctx.nps_category("042"), retention.NpsCategory.NONE)
            with self.assertRaises(retention.NotFoundError) as cm:
                ctx.nps_category(43)
            self.assertIsInstance(cm.exception, LookupError)

    def test_refs_int_and_str_differ(self):
        """Cart 7 and cart "7" of one customer are two carts."""
        with retention.Context() as ctx:
            ctx.push("cart_create", td(0), 1, ref=7)
            ctx.push("cart_create", td(0), 1, ref="7")
            ctx.push("cart_checkout", td(1), 1, ref=7)
            v = ctx.query("cart_abandonment_rate", td(0), td(5))
            self.assertEqual((v.numerator, v.denominator), (1, 2))

    def test_bad_ids(self):
        with retention.Context() as ctx:
            for bad in ("", b"", -1, 1 << 64, "x" * 1025):
                with self.assertRaises(retention.IdError, msg=repr(bad)) as cm:
                    ctx.push("acquire", td(0), bad)
                self.assertIsInstance(cm.exception, ValueError)
            ctx.push("acquire", td(0), (1 << 64) - 1)
            ctx.push("acquire", td(0), "x" * 1024)
            for bad in (1.5, None, True, ["a"]):
                with self.assertRaises(TypeError, msg=repr(bad)):
                    ctx.push("acquire", td(0), bad)
            with self.assertRaises(TypeError):
                ctx.push("purchase", td(0), 1, value="12")
            self.assertEqual(ctx.stats().events, 2)

    def test_health_lowest_returns_ids(self):
        with retention.Context() as ctx:
            ctx.push("acquire", td(0), 5)
            ctx.push("acquire", td(0), b"z\x00")
            ctx.push("purchase", td(1), 5, value=99)
            low = ctx.health_lowest(td(2), 5)
            self.assertEqual([e.customer for e in low], [b"z\x00", 5])
            self.assertLess(low[0].score, low[1].score)
            self.assertEqual(ctx.health_score(b"z\x00", td(2)), low[0].score)
            self.assertEqual(ctx.health_lowest(td(2), 0), [])


class Times(unittest.TestCase):
    def test_conversions(self):
        self.assertEqual(retention.to_ms(datetime.date(2026, 1, 1)), T0)
        self.assertEqual(retention.to_ms(datetime.datetime(2026, 1, 1, 1)), T0 + 3600000)
        tz = datetime.timezone(datetime.timedelta(hours=2))
        self.assertEqual(retention.to_ms(datetime.datetime(2026, 1, 1, 2, tzinfo=tz)), T0)
        self.assertEqual(retention.to_ms(datetime.datetime(2026, 1, 1, 0, 0, 0, 1500)), T0 + 1)
        self.assertEqual(retention.to_ms(T0), T0)
        self.assertEqual(retention.from_ms(T0),
                         datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
        for bad in (1.0, "2026-01-01", None, True):
            with self.assertRaises(TypeError):
                retention.to_ms(bad)

    def test_all_forms_give_one_answer(self):
        with retention.Context() as ctx:
            ctx.push("acquire", datetime.date(2026, 1, 2), 1)
            ctx.push("acquire", datetime.datetime(2026, 1, 2, 12), 2)
            ctx.push("acquire", td(1, 23), 3)
            a = ctx.query("customers_new", datetime.date(2026, 1, 2), datetime.date(2026, 1, 3))
            b = ctx.query("customers_new", td(1), td(2))
            self.assertEqual(a, b)
            self.assertEqual(a.value, 3)

    def test_out_of_range(self):
        with retention.Context() as ctx:
            for bad in (-1, datetime.date(1969, 12, 31), datetime.date(2200, 1, 1), 1 << 63):
                with self.assertRaises(retention.TimeRangeError, msg=repr(bad)):
                    ctx.push("acquire", bad, 1)
            with self.assertRaises(retention.TimeRangeError):
                ctx.query("customers_new", 0, 1 << 64)
            self.assertEqual(ctx.stats().events, 0)


class Config(unittest.TestCase):
    def test_options_reach_the_library(self):
        """An inactivity window of 3 days loses a customer 3 days after its
        last start event; the same pushes without it lose no one."""
        for days, lost in ((3, 1), (0, 0)):
            with retention.Context(inactivity_days=days) as ctx:
                ctx.push("acquire", td(0), 1)
                self.assertEqual(ctx.query("customers_lost", td(0), td(10)).value, lost)

    def test_day_offset(self):
        """At UTC+2 an event at 23:00 UTC on Jan 31 is on Feb 1 locally."""
        with retention.Context(day_offset_minutes=120) as ctx:
            ctx.push("acquire", datetime.datetime(2026, 1, 31, 23), 1)
            feb1 = retention.to_ms(datetime.date(2026, 2, 1)) - 2 * 3600000
            self.assertEqual(ctx.query("customers_new", feb1, feb1 + DAY).value, 1)

    def test_health_weights_and_value_event(self):
        retention.Context(health={"recency": 1, "frequency": 0, "monetary": 0,
                                  "satisfaction": 0, "contacts": 0}).close()
        retention.Context(health=(1, 1, 1, 1, 1), value_event="feature").close()
        retention.Context(value_event=None, resolution=retention.Resolution.HOUR).close()

    def test_bad_config(self):
        for opts in ({"csat_min": 5, "csat_max": 1}, {"gross_margin": 0.0},
                     {"day_offset_minutes": 1440}, {"inactivity_days": -1},
                     {"health": (0, 0, 0, 0, 0)}):
            with self.assertRaises(retention.ConfigError, msg=repr(opts)) as cm:
                retention.Context(**opts)
            self.assertIsInstance(cm.exception, ValueError)
            self.assertEqual(cm.exception.code, -9)
        # Values the binding cannot even express are configuration errors too.
        for opts in ({"resolution": "minute"}, {"loyal_window_days": 1 << 40},
                     {"value_event": "lunch"}, {"value_event": 99}, {"memory_cap": -1}):
            with self.assertRaises(retention.ConfigError, msg=repr(opts)):
                retention.Context(**opts)
        with self.assertRaises(TypeError):
            retention.Context(no_such_option=1)
        with self.assertRaises(TypeError):
            retention.Context(health=(1, 2))


class Errors(unittest.TestCase):
    def setUp(self):
        self.ctx = retention.Context()
        self.ctx.push("purchase", td(0), 1, value=10)
        self.before = self.ctx.to_bytes()

    def tearDown(self):
        # Every failure left the context exactly as it was.
        self.assertEqual(self.ctx.to_bytes(), self.before)
        self.ctx.close()

    def check(self, cls, code, builtin, fn, *args, **kw):
        with self.assertRaises(cls) as cm:
            fn(*args, **kw)
        e = cm.exception
        self.assertIs(type(e), cls)
        self.assertEqual(e.code, code)
        self.assertIsInstance(e, retention.RetentionError)
        self.assertIsInstance(e, builtin)
        self.assertEqual(e.message, _strerror(code))
        self.assertTrue(str(e).startswith(e.message))
        return e

    def test_each_code(self):
        ctx = self.ctx
        e = self.check(retention.EventTypeError, -3, ValueError, ctx.push, "lunch", td(0), 1)
        self.assertIn("lunch", e.detail)
        self.check(retention.EventTypeError, -3, ValueError, ctx.push, 99, td(0), 1)
        e = self.check(retention.ScoreError, -4, ValueError, ctx.push, "nps", td(0), 1, value=11)
        self.assertIn("NPS", e.detail)  # the library's own detail
        self.assertIn(e.detail, str(e))
        self.check(retention.ScoreError, -4, ValueError, ctx.push, "nps", td(0), 1, value=7.5)
        self.check(retention.AmountError, -5, ValueError, ctx.push, "purchase", td(0), 1,
                   value=-1)
        self.check(retention.AmountError, -5, ValueError, ctx.push, "purchase", td(0), 1,
                   value=math.nan)
        self.check(retention.TimeRangeError, -6, ValueError, ctx.push, "acquire", -DAY, 1)
        self.check(retention.MetricError, -7, ValueError, ctx.query, "no_such", 0, DAY)
        self.check(retention.MetricError, -7, ValueError, ctx.query, 150, 0, DAY)
        self.check(retention.PeriodError, -8, ValueError, ctx.query, "churn_rate", td(5), td(1))
        self.check(retention.IdError, -10, ValueError, ctx.push, "acquire", td(0), "")
        self.check(retention.IdError, -10, ValueError, ctx.query, "feature_usage", 0, DAY,
                   feature=0)
        self.check(retention.QuantityError, -17, ValueError, ctx.push, "purchase", td(0), 1,
                   value=1, quantity=-1)
        self.check(retention.InvalidArgumentError, -1, ValueError, ctx.query, "feature_usage",
                   0, DAY)
        with retention.Context(resolution="hour") as other:
            self.check(retention.MismatchError, -16, ValueError, ctx.merge, other)
        self.check(retention.SnapshotError, -13, ValueError, retention.Context.from_bytes,
                   b"not a snapshot")
        self.check(retention.RetentionIOError, -15, OSError, retention.Context.load,
                   "/nonexistent/dir/snap.rtn")
        self.check(retention.RetentionIOError, -15, OSError, ctx.save,
                   "/nonexistent/dir/snap.rtn")
        # Every code the binding knows has its own class; an unknown one is
        # the base class.
        self.assertIs(type(retention.errors.error_for(-1000, "x")), retention.RetentionError)

    def test_out_of_memory(self):
        """Over the memory cap: OutOfMemoryError (a MemoryError), nothing
        changes, the context stays usable."""
        with retention.Context(memory_cap=64 * 1024) as ctx:
            pushed = 0
            with self.assertRaises(retention.OutOfMemoryError) as cm:
                for c in range(1, 100000):
                    ctx.push("purchase", td(c % 30), c, value=1)
                    pushed += 1
            self.assertIsInstance(cm.exception, MemoryError)
            self.assertEqual(cm.exception.code, -2)
            self.assertEqual(ctx.stats().events, pushed)
            self.assertEqual(ctx.query("purchases", td(0), td(30)).value, pushed)
            # Still usable: an event that needs no new memory (customer 1
            # is already active on day 1) goes in.
            ctx.push("activity", td(1), 1)
            self.assertEqual(ctx.stats().events, pushed + 1)

    def test_snapshot_version(self):
        """A snapshot of format version 2 (header CRC fixed up) is refused
        with SnapshotVersionError, also a SnapshotError."""
        data = bytearray(self.before)
        data[8:12] = struct.pack("<I", 2)
        data[24:28] = struct.pack("<I", zlib.crc32(bytes(data[:24])))
        e = self.check(retention.SnapshotVersionError, -14, ValueError,
                       retention.Context.from_bytes, data)
        self.assertIsInstance(e, retention.SnapshotError)

    def test_corrupt_snapshots(self):
        for cut in (0, 10, 31, len(self.before) - 1):
            with self.assertRaises(retention.SnapshotError):
                retention.Context.from_bytes(self.before[:cut])
        flipped = bytearray(self.before)
        flipped[40] ^= 1
        with self.assertRaises(retention.SnapshotError):
            retention.Context.from_bytes(flipped)
        with self.assertRaises(retention.SnapshotError):
            retention.Context.load(io.BytesIO(self.before[:-3]))

    def test_closed(self):
        ctx = retention.Context()
        ctx.close()
        ctx.close()
        self.assertTrue(ctx.closed)
        for call in (lambda: ctx.push("acquire", 0, 1), lambda: ctx.query("churn_rate", 0, 1),
                     ctx.stats, ctx.to_bytes, lambda: self.ctx.merge(ctx)):
            with self.assertRaises(ValueError):
                call()
        self.assertEqual(repr(ctx), "<retention.Context closed>")


class Batches(unittest.TestCase):
    def test_push_many_equals_push(self):
        events = mixed_events()
        with retention.Context() as a, retention.Context() as b:
            self.assertEqual(a.push_many(events), len(events))
            for e in events:
                b.push(*e)
            self.assertEqual(differences(a, b), [])
            self.assertEqual(a.to_bytes(), b.to_bytes())
            # More than one internal batch, from a generator, as dicts.
            n = a.push_many({"type": "activity", "time": td(i % 40), "customer": i}
                            for i in range(2500))
            self.assertEqual(n, 2500)
            self.assertEqual(a.stats().events, len(events) + 2500)

    def test_stops_at_first_bad_event(self):
        """The events before the bad one stay pushed; `accepted` says how
        many; the bad one and later ones are not pushed."""
        good = [("purchase", td(i), i + 1, 10.0) for i in range(1500)]
        for bad, cls in ((("purchase", td(0), 1, -3.0), retention.AmountError),
                         (("purchase", td(0), "", 1.0), retention.IdError),
                         (("purchase", "yesterday", 1, 1.0), TypeError),
                         (42, TypeError)):
            for at in (0, 3, 1024, 1400):
                events = good[:at] + [bad] + good[at:]
                with retention.Context() as ctx:
                    with self.assertRaises(cls) as cm:
                        ctx.push_many(events)
                    self.assertEqual(cm.exception.accepted, at)
                    self.assertEqual(ctx.stats().events, at)
                    self.assertEqual(ctx.query("purchases", td(0), td(2000)).value, at)

    def test_failing_iterable(self):
        def gen():
            yield ("acquire", td(0), 1)
            yield ("acquire", td(0), 2)
            raise KeyError("source broke")
        with retention.Context() as ctx:
            with self.assertRaises(KeyError) as cm:
                ctx.push_many(gen())
            self.assertEqual(cm.exception.accepted, 2)
            self.assertEqual(ctx.stats().events, 2)


class Snapshots(unittest.TestCase):
    def setUp(self):
        self.ctx = retention.Context(inactivity_days=20, gross_margin=0.8)
        self.ctx.push_many(mixed_events())

    def tearDown(self):
        self.ctx.close()

    def test_file_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "state.rtn")
            self.ctx.save(path)
            with retention.Context.load(path) as loaded:
                self.assertEqual(differences(self.ctx, loaded), [])
                self.assertEqual(loaded.stats().events, self.ctx.stats().events)
                self.assertEqual(loaded.to_bytes(), self.ctx.to_bytes())
                # It keeps accepting events, like the original.
                loaded.push("purchase", td(50), "late", value=5)
                self.ctx.push("purchase", td(50), "late", value=5)
                self.assertEqual(differences(self.ctx, loaded), [])
            import pathlib
            with retention.Context.load(pathlib.Path(path)) as again:
                self.assertEqual(again.stats().customers, self.ctx.stats().customers - 1)

    def test_bytes_and_streams(self):
        data = self.ctx.to_bytes()
        self.assertEqual(data[:8], b"RTNSNAP\x1a")
        with retention.Context.from_bytes(data) as a:
            self.assertEqual(differences(self.ctx, a), [])
            self.assertEqual(a.to_bytes(), data)
        with retention.Context.from_bytes(bytearray(data)) as a:
            self.assertEqual(a.to_bytes(), data)
        buf = io.BytesIO()
        self.ctx.save(buf)
        self.assertEqual(buf.getvalue(), data)
        buf.seek(0)
        with retention.Context.load(buf) as b:
            self.assertEqual(b.to_bytes(), data)
        # The memory cap applies to what is loaded.
        with self.assertRaises(retention.OutOfMemoryError):
            retention.Context.from_bytes(data, memory_cap=1024)
        with retention.Context.from_bytes(data, memory_cap=1 << 30) as c:
            self.assertEqual(c.to_bytes(), data)

    def test_pickle(self):
        copy = pickle.loads(pickle.dumps(self.ctx))
        self.assertEqual(copy.to_bytes(), self.ctx.to_bytes())
        copy.close()

    def test_stream_errors_are_raised(self):
        """An exception of the file object comes out as itself."""
        class Broken(io.RawIOBase):
            def write(self, b):
                raise PermissionError("disk says no")

            def read(self, n=-1):
                raise PermissionError("disk says no")

        with self.assertRaises(PermissionError):
            self.ctx.save(Broken())
        with self.assertRaises(PermissionError):
            retention.Context.load(Broken())
        # And the context is unharmed.
        self.assertEqual(retention.Context.from_bytes(self.ctx.to_bytes()).stats().events,
                         self.ctx.stats().events)


class Merge(unittest.TestCase):
    def test_merge_equals_one_context(self):
        """Any split of the stream, the same customer in both parts."""
        events = mixed_events()
        for split in (lambda i, e: i % 2, lambda i, e: hash(e[2]) % 3 == 0,
                      lambda i, e: i < len(events) // 3):
            with retention.Context() as whole, retention.Context() as a, \
                    retention.Context() as b:
                whole.push_many(events)
                a.push_many(e for i, e in enumerate(events) if split(i, e))
                b.push_many(e for i, e in enumerate(events) if not split(i, e))
                b_bytes = b.to_bytes()
                self.assertNotEqual(differences(whole, a), [])
                a.merge(b)
                self.assertEqual(differences(whole, a), [])
                self.assertEqual(a.stats().events, whole.stats().events)
                self.assertEqual(a.stats().customers, whole.stats().customers)
                self.assertEqual(b.to_bytes(), b_bytes)  # src unchanged

    def test_merge_with_itself_counts_twice(self):
        with retention.Context() as ctx:
            ctx.push("purchase", td(0), 1, value=5)
            ctx.merge(ctx)
            self.assertEqual(ctx.query("purchases", td(0), td(1)).value, 2)
            self.assertEqual(ctx.query("revenue", td(0), td(1)).value, 10)
            with self.assertRaises(TypeError):
                ctx.merge("not a context")

    def test_threads_share_a_context(self):
        """Pushes from several threads are serialised by the context's lock:
        every one counts."""
        with retention.Context() as ctx:
            def work(k):
                for i in range(300):
                    ctx.push("purchase", td(i % 20), k * 1000 + i, value=1)
            threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(ctx.query("purchases", td(0), td(20)).value, 1200)


def _strerror(code):
    return retention.context._dll().rtn_strerror(code).decode()


if __name__ == "__main__":
    unittest.main()
