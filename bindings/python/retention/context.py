"""The Python face of libretention: Context (events in, metrics out),
result objects, and the conversions of times, ids, event types and metric
names onto the C API."""

import ctypes
import dataclasses
import datetime
import enum
import math
import os
import threading
from dataclasses import dataclass
from typing import Tuple, Union

from . import _native
from .errors import (error_for, ECONFIG, EID, EINVAL, EMETRIC, EPERIOD, EQUANTITY, ERANGE,
                     ETIME, ETYPE)

__all__ = [
    "Context", "Value", "Stats", "HealthEntry", "SurvivalPoint", "Survival", "CohortCell",
    "CohortRow", "MetricInfo", "EventType", "Resolution", "Every", "NpsCategory",
    "CohortMode", "MetricFlag", "to_ms", "from_ms", "version", "load_library", "library_path",
    "metrics",
    "event_types",
]

_byref, _sizeof = ctypes.byref, ctypes.sizeof
_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_ONE_MS = datetime.timedelta(milliseconds=1)
_I32 = (-(1 << 31), (1 << 31) - 1)
_I64 = (-(1 << 63), (1 << 63) - 1)
_BATCH = 1024  # events converted and pushed per rtn_push_batch call


# rtn_event_type; push also accepts the names ("purchase"). The loaded
# library's names are checked against these when it is loaded.
EventType = enum.IntEnum("EventType", [(name.upper(), value) for value, name in
                                       enumerate(_native.EVENT_TYPE_NAMES, 1)],
                         module=__name__, qualname="EventType")


class Resolution(enum.IntEnum):
    """rtn_resolution: the time bucket of a context."""
    DAY = 0
    HOUR = 1


class Every(enum.IntEnum):
    """rtn_every: series and cohort buckets."""
    DAY = 1
    WEEK = 2
    MONTH = 3
    QUARTER = 4


class NpsCategory(enum.IntEnum):
    """rtn_nps_category of a customer's latest NPS answer."""
    NONE = 0
    DETRACTOR = 1
    PASSIVE = 2
    PROMOTER = 3


class CohortMode(enum.IntEnum):
    """rtn_cohort_mode."""
    N_PERIOD = 0
    UNBOUNDED = 1


class MetricFlag(enum.IntFlag):
    """rtn_metric_flag bits of MetricInfo.flags."""
    RATE = 1
    COUNT = 2
    INSTANT = 4
    BOUNDS = 8
    NEEDS_FEATURE = 16
    MONEY = 32
    PERCENTILES = 64


# ---- results ----------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Value:
    """A metric over a period (rtn_value). An undefined value (a rate whose
    denominator is 0) has ``defined`` False and ``value`` NaN, never 0.
    Fields that do not apply are NaN. ``start`` and ``end`` are the period
    as the library floored it, in ms since the epoch (UTC). Two Values are
    equal when every field is, NaN matching NaN (the same answer twice)."""
    metric: int
    defined: bool
    value: float
    numerator: float
    denominator: float
    lo: float
    hi: float
    p50: float
    p90: float
    n: int
    start: int
    end: int

    def _key(self):
        return tuple(None if isinstance(x, float) and math.isnan(x) else x
                     for x in dataclasses.astuple(self))

    def __eq__(self, other):
        return self._key() == other._key() if isinstance(other, Value) else NotImplemented

    def __hash__(self):
        return hash(self._key())


@dataclass(frozen=True)
class Stats:
    """Counters of a context (rtn_stats); times in ms, 0 when empty."""
    events: int
    customers: int
    first_time: int
    last_time: int
    memory_bytes: int


@dataclass(frozen=True)
class HealthEntry:
    """One customer of Context.health_lowest: its id (int, or bytes for a
    string id) and health score 0..100."""
    customer: Union[int, bytes]
    score: float


@dataclass(frozen=True)
class SurvivalPoint:
    """One step of the Kaplan-Meier curve (rtn_survival_point)."""
    t_days: float
    at_risk: int
    events: int
    s: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Survival:
    """Context.survival: the curve and the median lifetime in days (NaN
    when the curve never falls to 0.5)."""
    points: Tuple[SurvivalPoint, ...]
    median_days: float


@dataclass(frozen=True)
class CohortCell:
    """One cell of a cohort matrix (rtn_cohort_cell)."""
    share: float
    active: int
    complete: bool


@dataclass(frozen=True)
class CohortRow:
    """One cohort: its period start (ms), size and cells by period offset."""
    start: int
    size: int
    cells: Tuple[CohortCell, ...]


@dataclass(frozen=True)
class MetricInfo:
    """A metric of the catalogue (rtn_metric_info)."""
    metric: int
    name: str
    unit: str
    flags: MetricFlag


# ---- the library and its errors ----------------------------------------------


def _dll():
    return _native.load().dll


def _error(code, detail=""):
    msg = _dll().rtn_strerror(code).decode("utf-8", "replace")
    return error_for(code, msg, detail)


def _int_in(x, lo_hi, what):
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError("%s must be an int, not %s" % (what, type(x).__name__))
    return lo_hi[0] <= x <= lo_hi[1]


def version():
    """The version string of the loaded library ("1.0.0")."""
    return _dll().rtn_version().decode()


def load_library(path=None):
    """Load and check the library now, from `path` when given (instead of
    RETENTION_LIBRARY or the system's search); returns where it came from.
    Otherwise the first call that needs the library loads it."""
    return _native.load(path).name


def library_path():
    """The file or name the library was loaded from."""
    return _native.load().name


def metrics():
    """Every metric the loaded library knows, in catalogue order."""
    dll, out = _dll(), []
    m = dll.rtn_metric_next(0)
    while m >= 0:
        info = _native.MetricInfo()
        info.size = _sizeof(info)
        if dll.rtn_metric_info_get(_byref(info), m) == 0:
            out.append(MetricInfo(m, info.name.decode(), info.unit.decode(),
                                  MetricFlag(info.flags)))
        m = dll.rtn_metric_next(m)
    return out


def event_types():
    """{name: value} of every event type the loaded library accepts."""
    lib = _native.load()
    _, lo, hi = lib.enum_range(_native.ENUM_EVENT_TYPE)
    return {lib.dll.rtn_event_type_name(t).decode(): t for t in range(lo, hi + 1)}


# ---- conversions -------------------------------------------------------------


def to_ms(t):
    """Milliseconds since the Unix epoch from an int (taken as ms), a
    datetime (a naive one is taken as UTC) or a date (its midnight UTC)."""
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            t = t.replace(tzinfo=_UTC)
        return (t - _EPOCH) // _ONE_MS
    if isinstance(t, datetime.date):
        return (datetime.datetime(t.year, t.month, t.day, tzinfo=_UTC) - _EPOCH) // _ONE_MS
    if isinstance(t, bool) or not isinstance(t, int):
        raise TypeError("a time is int milliseconds, a datetime or a date, not %s"
                        % type(t).__name__)
    return t


def from_ms(ms):
    """An aware UTC datetime from milliseconds since the epoch."""
    return _EPOCH + datetime.timedelta(milliseconds=ms)


def _time(t, what):
    ms = to_ms(t)
    if not _I64[0] <= ms <= _I64[1]:
        raise _error(ETIME, "%s %r does not fit 64-bit milliseconds" % (what, t))
    return ms


def _id(x, what, keep):
    """(numeric id, pointer to bytes or None, byte count) of an int, str
    (UTF-8) or bytes-like id; the buffer is appended to keep."""
    if isinstance(x, bool):
        raise TypeError("%s must be an int, str or bytes, not bool" % what)
    if isinstance(x, int):
        if not 0 <= x < (1 << 64):
            raise _error(EID, "%s %d is outside 0 .. 2**64 - 1" % (what, x))
        return x, None, 0
    if isinstance(x, str):
        b = x.encode("utf-8")
    elif isinstance(x, (bytes, bytearray, memoryview)):
        b = bytes(x)
    else:
        raise TypeError("%s must be an int, str or bytes, not %s" % (what, type(x).__name__))
    if len(b) > 0xFFFFFFFF:
        raise _error(EID, "%s of %d bytes" % (what, len(b)))
    buf = ctypes.create_string_buffer(b, len(b) + 1)  # never NULL, even when empty
    keep.append(buf)
    return 0, ctypes.addressof(buf), len(b)


def _type_code(t, code, label=None):
    """An event type given by name or number; errors carry `code` and, when
    given, the name of the setting (`label`)."""
    prefix = label + ": " if label else ""
    if isinstance(t, str):
        v = _dll().rtn_event_type_from_name(t.encode("utf-8"))
        if v < 0:
            raise _error(code, "%sunknown event type name %r" % (prefix, t))
        return v
    if not _int_in(t, _I32, label or "an event type"):
        raise _error(code, "%sevent type %d" % (prefix, t))
    return int(t)


def _event_type(t):
    return _type_code(t, ETYPE)


def _metric(m):
    if isinstance(m, str):
        v = _dll().rtn_metric_from_name(m.encode("utf-8"))
        if v < 0:
            raise _error(EMETRIC, "unknown metric name %r" % m)
        return v
    if not _int_in(m, _I32, "a metric"):
        raise _error(EMETRIC, "metric %d" % m)
    return int(m)


def _enum_arg(x, cls, code, what):
    if isinstance(x, str):
        try:
            return cls[x.upper()]
        except KeyError:
            raise _error(code, "unknown %s %r" % (what, x)) from None
    if not _int_in(x, _I32, what):
        raise _error(code, "%s %d" % (what, x))
    return int(x)


def _fill_event(ev, keep, type, time, customer, value=0.0, ref=None, quantity=0):
    ev.type = _event_type(type)
    ev.time = _time(time, "event time")
    num, ptr, n = _id(customer, "customer id", keep)
    ev.customer, ev.customer_str, ev.customer_len = num, ptr, n
    if ref is not None:
        num, ptr, n = _id(ref, "ref", keep)
        ev.ref, ev.ref_str, ev.ref_len = num, ptr, n
    if isinstance(value, (str, bytes)):
        raise TypeError("an event value is a number, not %s" % type(value).__name__)
    ev.value = 0.0 if value is None else float(value)
    if not _int_in(quantity, _I64, "quantity"):
        raise _error(EQUANTITY, "quantity %d" % quantity)
    ev.quantity = quantity


def _query_opts(feature, keep):
    if feature is None:
        return None
    opts = _native.QueryOpts()
    _dll().rtn_query_opts_init(_byref(opts), _sizeof(opts))
    num, ptr, n = _id(feature, "feature", keep)
    opts.feature, opts.feature_str, opts.feature_len = num, ptr, n
    return _byref(opts)


def _customer(c, keep):
    cust = _native.Customer()
    _dll().rtn_customer_init(_byref(cust), _sizeof(cust))
    num, ptr, n = _id(c, "customer id", keep)
    cust.id, cust.id_str, cust.id_len = num, ptr, n
    return cust


def _value(v, metric):
    return Value(metric, bool(v.defined), v.value, v.numerator, v.denominator, v.lo, v.hi,
                 v.p50, v.p90, v.n, v.from_, v.to)


def _value_event(x):
    if x is None or x == "default":
        return 0
    return _type_code(x, ECONFIG, "value_event")


def _weights(w):
    names = [f for f, _ in _native.HealthWeights._fields_]
    if isinstance(w, dict):
        unknown = set(w) - set(names)
        if unknown:
            raise TypeError("unknown health weights: %s" % ", ".join(sorted(unknown)))
        return w
    w = tuple(w)
    if len(w) != len(names):
        raise TypeError("health weights are %d numbers (%s)" % (len(names), ", ".join(names)))
    return dict(zip(names, w))


_CONFIG_KEYS = {"resolution", "day_offset_minutes", "inactivity_days", "memory_cap",
                "loyal_min_purchases", "loyal_window_days", "gross_margin", "csat_min",
                "csat_max", "csat_satisfied", "ces_min", "ces_max", "value_event", "health"}


def _config(options):
    cfg = _native.Config()
    _dll().rtn_config_init(_byref(cfg), _sizeof(cfg))
    unknown = set(options) - _CONFIG_KEYS
    if unknown:
        raise TypeError("unknown configuration option(s): %s" % ", ".join(sorted(unknown)))
    for key, x in options.items():
        if key == "resolution":
            cfg.resolution = _enum_arg(x, Resolution, ECONFIG, "resolution")
        elif key == "value_event":
            cfg.value_event = _value_event(x)
        elif key == "health":
            for name, weight in _weights(x).items():
                setattr(cfg.health, name, float(weight))
        elif key == "gross_margin":
            cfg.gross_margin = float(x)
        elif key == "memory_cap":
            if x is None:
                x = 0
            if not _int_in(x, (0, (1 << 64) - 1), key):
                raise _error(ECONFIG, "memory_cap %d" % x)
            cfg.memory_cap = x
        else:
            if not _int_in(x, _I32, key):
                raise _error(ECONFIG, "%s %d does not fit 32 bits" % (key, x))
            setattr(cfg, key, x)
    return cfg


class _Stream:
    """Snapshot callbacks over a Python file object. An exception raised by
    the file is kept, the library is told of a failure, and the exception
    is raised again once the library has returned."""

    def __init__(self, f):
        self.f = f
        self.exc = None
        self.write_fn = _native.WRITE_FN(self._write)
        self.read_fn = _native.READ_FN(self._read)

    def _write(self, data, length, user):
        try:
            self.f.write(ctypes.string_at(data, length))
            return 0
        except BaseException as e:  # noqa: B902 - re-raised after the C call
            self.exc = e
            return 1

    def _read(self, data, length, user):
        try:
            chunk = self.f.read(length)
            if not isinstance(chunk, (bytes, bytearray)):
                raise TypeError("a snapshot stream must be binary")
            n = min(len(chunk), length)
            ctypes.memmove(data, bytes(chunk[:n]), n)
            return n
        except BaseException as e:  # noqa: B902
            self.exc = e
            return -1

    def reraise(self):
        if self.exc is not None:
            exc, self.exc = self.exc, None
            raise exc


class Context:
    """A metrics context: push events in any order, query any metric over
    any period. Keyword options set the rtn_config fields of the same name
    (resolution: "day" or "hour"; value_event: an event type or None;
    health: a dict of the five weights or a 5-tuple; the rest numbers).

    A Context may be shared between threads: each call holds the context's
    lock, as the library wants one thread at a time per context.
    """

    def __init__(self, **config):
        cfg = _config(config)
        ptr = ctypes.c_void_p()
        rc = _dll().rtn_ctx_new(_byref(ptr), _byref(cfg))
        if rc != 0:
            raise _error(rc)
        self._adopt(ptr)

    def _adopt(self, ptr):
        self._ptr = ptr
        self._lock = threading.Lock()
        self._dll = _dll()

    @classmethod
    def _wrap(cls, ptr):
        self = cls.__new__(cls)
        self._adopt(ptr)
        return self

    # ---- life cycle ----

    def close(self):
        """Free the context. Idempotent; later calls raise ValueError."""
        ptr = getattr(self, "_ptr", None)
        if ptr:
            with self._lock:
                self._ptr = None
                self._dll.rtn_ctx_free(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to report to
            pass

    @property
    def closed(self):
        return not getattr(self, "_ptr", None)

    def _call(self, fn, *args, ok=(0,)):
        """Call fn under the context's lock with args, the placeholder _CTX
        replaced by the context; a status not in `ok` raises, with the
        context's detail. Returns the status."""
        with self._lock:
            if not self._ptr:
                raise ValueError("the context is closed")
            rc = fn(*[self._ptr if a is _CTX else a for a in args])
            if rc not in ok:
                self._raise(rc)
            return rc

    def _raise(self, rc):
        """Raise for status rc; the caller holds the lock."""
        raise _error(rc, self._dll.rtn_ctx_last_error(self._ptr).decode("utf-8", "replace"))

    def __reduce__(self):
        # Pickling goes through a snapshot (the memory cap is not kept).
        return (Context.from_bytes, (self.to_bytes(),))

    def __repr__(self):
        if self.closed:
            return "<retention.Context closed>"
        s = self.stats()
        return "<retention.Context events=%d customers=%d>" % (s.events, s.customers)

    # ---- events ----

    def push(self, type, time, customer, value=0.0, ref=None, quantity=0):
        """Push one event. `type` is an EventType, its value or its name;
        `time` int ms, a datetime or a date; `customer` and `ref` an int
        (0 .. 2**64 - 1), a str (UTF-8) or bytes: a numeric id and a string
        id are different customers even when the string spells the number.
        A rejected event raises and changes nothing."""
        ev, keep = _native.Event(), []
        self._dll.rtn_event_init(_byref(ev), _sizeof(ev))
        _fill_event(ev, keep, type, time, customer, value, ref, quantity)
        self._call(self._dll.rtn_push, _CTX, _byref(ev))

    def push_many(self, events):
        """Push events in order through rtn_push_batch. Each is a tuple of
        push's arguments or a dict of them. Stops at the first bad event:
        the events before it stay pushed; the exception raised carries their
        number as ``accepted``. Returns the number of events pushed."""
        template = _native.Event()
        self._dll.rtn_event_init(_byref(template), _sizeof(template))
        total = 0
        it = iter(events)
        while True:
            arr = (_native.Event * _BATCH)()
            keep, n, bad = [], 0, None
            while n < _BATCH:
                try:
                    item = next(it)
                except StopIteration:
                    break
                except Exception as e:  # the iterable itself failed
                    bad = e
                    break
                arr[n] = template
                try:
                    if isinstance(item, dict):
                        _fill_event(arr[n], keep, **item)
                    elif isinstance(item, (tuple, list)):
                        _fill_event(arr[n], keep, *item)
                    else:
                        raise TypeError("an event is a tuple or a dict, not %s"
                                        % type(item).__name__)
                except Exception as e:
                    bad = e
                    break
                n += 1
            if n:
                done = ctypes.c_size_t(0)
                try:
                    self._call(self._dll.rtn_push_batch, _CTX, arr, n, _byref(done))
                except Exception as e:
                    e.accepted = total + done.value
                    raise
                total += n
            if bad is not None:
                bad.accepted = total
                raise bad
            if n < _BATCH:
                return total

    # ---- queries ----

    def query(self, metric, start, end, *, feature=None):
        """One metric over [start, end): a Value. `metric` is a METRICS.md
        name ("churn_rate") or an RTN_METRIC_* number; `feature` (int, str
        or bytes) names the feature of the feature metrics."""
        m, keep = _metric(metric), []
        opts = _query_opts(feature, keep)
        v = _native.Value()
        self._dll.rtn_value_init(_byref(v), _sizeof(v))
        self._call(self._dll.rtn_query, _byref(v), _CTX, m, _time(start, "start"),
                       _time(end, "end"), opts)
        return _value(v, m)

    def series(self, metric, start, end, every="month", *, feature=None):
        """The metric for each calendar day, ISO week, month or quarter
        (`every`: a name or Every) of [start, end), the first and last
        clipped: a list of Value."""
        m, keep = _metric(metric), []
        opts = _query_opts(feature, keep)
        t0, t1 = _time(start, "start"), _time(end, "end")
        ev = _enum_arg(every, Every, EPERIOD, "series bucket")
        n = ctypes.c_size_t(0)
        fn = self._dll.rtn_query_series
        self._call(fn, None, 0, _byref(n), _CTX, m, t0, t1, ev, opts, ok=(0, ERANGE))
        while True:
            cap = n.value
            if cap == 0:
                return []
            out = (_native.Value * cap)()
            for v in out:
                self._dll.rtn_value_init(_byref(v), _sizeof(v))
            rc = self._call(fn, out, cap, _byref(n), _CTX, m, t0, t1, ev, opts,
                                ok=(0, ERANGE))
            if rc == 0:
                return [_value(out[i], m) for i in range(n.value)]

    # ---- customers ----

    def nps_category(self, customer):
        """The NpsCategory of the customer's latest NPS answer."""
        keep, out = [], ctypes.c_int(0)
        c = _customer(customer, keep)
        self._call(self._dll.rtn_customer_nps_category, _byref(out), _CTX, _byref(c))
        return NpsCategory(out.value)

    def health_score(self, customer, at):
        """The customer's health score (0..100) at instant `at`."""
        keep, out = [], ctypes.c_double(0)
        c = _customer(customer, keep)
        self._call(self._dll.rtn_health_score, _byref(out), _CTX, _byref(c),
                       _time(at, "at"))
        return out.value

    def health_lowest(self, at, count=10):
        """The `count` customers active at `at` with the lowest health
        score, lowest first: a list of HealthEntry."""
        if not _int_in(count, (0, 1 << 32), "count"):
            raise _error(EINVAL, "count %d" % count)
        out, n = (_native.HealthEntry * max(count, 1))(), ctypes.c_size_t(0)
        self._call(self._dll.rtn_health_lowest, out, count, _byref(n), _CTX,
                       _time(at, "at"))
        return [HealthEntry(ctypes.string_at(e.id_str, e.id_len) if e.id_str else e.id,
                            e.score) for e in out[:n.value]]

    # ---- cohorts and survival ----

    def cohort_retention(self, start, end, at, every="week", mode="n_period",
                         recurring=False, max_periods=12):
        """Cohort matrix: a list of CohortRow, one per week or month cohort
        starting in [start, end), each with `max_periods` cells counted up
        to instant `at` (see rtn_cohort_retention)."""
        opts = _native.CohortOpts()
        self._dll.rtn_cohort_opts_init(_byref(opts), _sizeof(opts))
        opts.every = _enum_arg(every, Every, EPERIOD, "cohort period")
        opts.mode = _enum_arg(mode, CohortMode, EINVAL, "cohort mode")
        opts.recurring = 1 if recurring else 0
        opts.from_, opts.to = _time(start, "start"), _time(end, "end")
        opts.at = _time(at, "at")
        if not _int_in(max_periods, (0, 0xFFFFFFFF), "max_periods"):
            raise _error(EINVAL, "max_periods %d" % max_periods)
        opts.max_periods = max_periods
        rows = ctypes.c_size_t(0)
        fn = self._dll.rtn_cohort_retention
        self._call(fn, None, None, None, 0, _byref(rows), _CTX, _byref(opts),
                       ok=(0, ERANGE))
        while rows.value:
            cap = rows.value
            cells = (_native.CohortCell * (cap * max_periods))()
            starts, sizes = (ctypes.c_int64 * cap)(), (ctypes.c_int64 * cap)()
            rc = self._call(fn, cells, starts, sizes, cap, _byref(rows), _CTX,
                                _byref(opts), ok=(0, ERANGE))
            if rc == 0:
                return [CohortRow(starts[r], sizes[r], tuple(
                    CohortCell(c.share, c.active, bool(c.complete))
                    for c in cells[r * max_periods:(r + 1) * max_periods]))
                    for r in range(rows.value)]
        return []

    def survival(self, at):
        """Kaplan-Meier curve of customer lifetime at instant `at`."""
        t = _time(at, "at")
        n, median = ctypes.c_size_t(0), ctypes.c_double(0)
        fn = self._dll.rtn_survival
        self._call(fn, None, 0, _byref(n), _byref(median), _CTX, t, ok=(0, ERANGE))
        while True:
            cap = n.value
            pts = (_native.SurvivalPoint * max(cap, 1))()
            rc = self._call(fn, pts, cap, _byref(n), _byref(median), _CTX, t,
                                ok=(0, ERANGE))
            if rc == 0:
                return Survival(tuple(SurvivalPoint(p.t_days, p.at_risk, p.events, p.s, p.lo,
                                                    p.hi) for p in pts[:n.value]),
                                median.value)

    # ---- state ----

    def stats(self):
        """Counters: events, customers, first and last event time, memory."""
        st = _native.Stats()
        self._dll.rtn_stats_init(_byref(st), _sizeof(st))
        self._call(self._dll.rtn_ctx_stats, _byref(st), _CTX)
        return Stats(st.events, st.customers, st.first_time, st.last_time, st.memory_bytes)

    def merge(self, other):
        """Fold `other` into this context, as if this one had also received
        other's events (the same customer in both included). `other` is
        unchanged; on failure this context is too."""
        if not isinstance(other, Context):
            raise TypeError("merge takes a Context, not %s" % type(other).__name__)
        if other is self:
            self._call(self._dll.rtn_ctx_merge, _CTX, _CTX)
            return
        # Both locks, in a fixed order so two opposite merges cannot deadlock.
        first, second = sorted((self, other), key=id)
        with first._lock, second._lock:
            if not self._ptr or not other._ptr:
                raise ValueError("the context is closed")
            rc = self._dll.rtn_ctx_merge(self._ptr, other._ptr)
            if rc != 0:
                self._raise(rc)

    def save(self, target):
        """Write a snapshot to a path (atomically: a temporary file renamed
        over it) or to a binary file object (anything with write())."""
        if hasattr(target, "write"):
            s = _Stream(target)
            try:
                self._call(self._dll.rtn_snapshot_save, _CTX, s.write_fn, None)
            except Exception:
                s.reraise()
                raise
            return
        self._call(self._dll.rtn_snapshot_save_file, _CTX, os.fsencode(target))

    def to_bytes(self):
        """The snapshot as bytes."""
        out = bytearray()

        class _Sink:
            write = out.extend

        self.save(_Sink())
        return bytes(out)

    @classmethod
    def load(cls, source, *, memory_cap=0):
        """A context from a snapshot: a path or a binary file object
        (anything with read()). `memory_cap` (bytes, 0 = none) bounds the
        new context; the metric settings come from the snapshot."""
        cfg, ptr = _load_config(memory_cap), ctypes.c_void_p()
        dll = _dll()
        if hasattr(source, "read"):
            s = _Stream(source)
            rc = dll.rtn_snapshot_load(_byref(ptr), _byref(cfg), s.read_fn, None)
            if rc != 0:
                s.reraise()
            where = "stream"
        else:
            rc = dll.rtn_snapshot_load_file(_byref(ptr), _byref(cfg), os.fsencode(source))
            where = os.fsdecode(source)
        if rc != 0:
            raise _error(rc, "loading a snapshot from %s" % where)
        return cls._wrap(ptr)

    @classmethod
    def from_bytes(cls, data, *, memory_cap=0):
        """A context from snapshot bytes (bytes, bytearray or memoryview)."""
        data = bytes(data)
        cfg, ptr = _load_config(memory_cap), ctypes.c_void_p()
        rc = _dll().rtn_snapshot_load_buffer(_byref(ptr), _byref(cfg), data, len(data))
        if rc != 0:
            raise _error(rc, "loading a snapshot of %d bytes" % len(data))
        return cls._wrap(ptr)


_CTX = object()  # where _call_out puts the context among a call's arguments


def _load_config(memory_cap):
    return _config({"memory_cap": memory_cap})
