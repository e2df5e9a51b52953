"""The C library through ctypes: finding and loading it, mirrors of its
public structs, the prototypes of its functions, and the check of every
mirror against the sizes the loaded library reports (rtn_struct_size).

Nothing here is public API; retention.context builds on it.
"""

import ctypes
import ctypes.util
import os
import threading

# The ABI major version this binding is written for (the SONAME's number).
ABI_MAJOR = 1
DEFAULT_SONAME = "libretention.so.1"
ENV_VAR = "RETENTION_LIBRARY"

c_u32, c_i32, c_u64, c_i64 = ctypes.c_uint32, ctypes.c_int32, ctypes.c_uint64, ctypes.c_int64
c_double, c_void_p, c_char_p = ctypes.c_double, ctypes.c_void_p, ctypes.c_char_p


class AbiMismatchError(RuntimeError):
    """The library found is not one this binding can use safely: a struct
    differs in size, the ABI major version differs, or it lacks the
    introspection calls. Nothing was called that could corrupt memory."""


# ---- mirrors of the public structs (include/retention.h) -------------------
# Byte-string pointers are c_void_p: ids are exact bytes and may hold NUL.


class Allocator(ctypes.Structure):
    _fields_ = [("malloc_fn", c_void_p), ("realloc_fn", c_void_p),
                ("free_fn", c_void_p), ("user", c_void_p)]


class HealthWeights(ctypes.Structure):
    _fields_ = [("recency", c_double), ("frequency", c_double), ("monetary", c_double),
                ("satisfaction", c_double), ("contacts", c_double)]


class Config(ctypes.Structure):
    _fields_ = [("size", c_u32), ("resolution", c_i32), ("day_offset_minutes", c_i32),
                ("inactivity_days", c_i32), ("memory_cap", c_u64), ("allocator", Allocator),
                ("loyal_min_purchases", c_i32), ("loyal_window_days", c_i32),
                ("gross_margin", c_double), ("csat_min", c_i32), ("csat_max", c_i32),
                ("csat_satisfied", c_i32), ("ces_min", c_i32), ("ces_max", c_i32),
                ("value_event", c_i32), ("health", HealthWeights)]


class Stats(ctypes.Structure):
    _fields_ = [("size", c_u32), ("events", c_u64), ("customers", c_u64),
                ("first_time", c_i64), ("last_time", c_i64), ("memory_bytes", c_u64)]


class Event(ctypes.Structure):
    _fields_ = [("size", c_u32), ("type", c_i32), ("time", c_i64), ("customer", c_u64),
                ("customer_str", c_void_p), ("customer_len", c_u32), ("ref_len", c_u32),
                ("ref_str", c_void_p), ("ref", c_u64), ("value", c_double),
                ("quantity", c_i64)]


class MetricInfo(ctypes.Structure):
    _fields_ = [("size", c_u32), ("metric", c_i32), ("name", c_char_p), ("unit", c_char_p),
                ("flags", c_u32), ("reserved", c_u32)]


class Value(ctypes.Structure):
    _fields_ = [("size", c_u32), ("defined", c_i32), ("from_", c_i64), ("to", c_i64),
                ("value", c_double), ("numerator", c_double), ("denominator", c_double),
                ("lo", c_double), ("hi", c_double), ("p50", c_double), ("p90", c_double),
                ("n", c_i64)]


class QueryOpts(ctypes.Structure):
    _fields_ = [("size", c_u32), ("feature_len", c_u32), ("feature_str", c_void_p),
                ("feature", c_u64)]


class Customer(ctypes.Structure):
    _fields_ = [("size", c_u32), ("id_len", c_u32), ("id_str", c_void_p), ("id", c_u64)]


class HealthEntry(ctypes.Structure):
    _fields_ = [("id", c_u64), ("id_str", c_void_p), ("id_len", c_u32), ("reserved", c_u32),
                ("score", c_double)]


class CohortOpts(ctypes.Structure):
    _fields_ = [("size", c_u32), ("every", c_i32), ("mode", c_i32), ("recurring", c_i32),
                ("from_", c_i64), ("to", c_i64), ("at", c_i64), ("max_periods", c_u32),
                ("reserved", c_u32)]


class CohortCell(ctypes.Structure):
    _fields_ = [("share", c_double), ("active", c_i64), ("complete", c_i32),
                ("reserved", c_i32)]


class SurvivalPoint(ctypes.Structure):
    _fields_ = [("t_days", c_double), ("at_risk", c_i64), ("events", c_i64), ("s", c_double),
                ("lo", c_double), ("hi", c_double)]


# rtn_abi_struct values, one per mirror.
STRUCTS = {
    1: Config, 2: Allocator, 3: HealthWeights, 4: Stats, 5: Event, 6: MetricInfo,
    7: Value, 8: QueryOpts, 9: Customer, 10: HealthEntry, 11: CohortOpts,
    12: CohortCell, 13: SurvivalPoint,
}

# rtn_event_type names, value 1 first (the library's own are checked).
EVENT_TYPE_NAMES = (
    "acquire", "churn", "purchase", "return", "subscription", "activity", "feature",
    "page_view", "share", "visit", "conversion", "cart_create", "cart_checkout",
    "contact_open", "contact_resolve", "contact_abandon", "nps", "csat", "ces")

# rtn_abi_enum values the binding asks about.
ENUM_STATUS = 1
ENUM_EVENT_TYPE = 3
ENUM_METRIC = 4

WRITE_FN = ctypes.CFUNCTYPE(ctypes.c_int, c_void_p, ctypes.c_size_t, c_void_p)
READ_FN = ctypes.CFUNCTYPE(c_i64, c_void_p, ctypes.c_size_t, c_void_p)

_P = ctypes.POINTER
_int, _size_t = ctypes.c_int, ctypes.c_size_t

# name: (restype, argtypes)
_PROTOTYPES = {
    "rtn_version": (c_char_p, []),
    "rtn_version_number": (_int, []),
    "rtn_strerror": (c_char_p, [_int]),
    "rtn_struct_size": (_int, [_P(_size_t), _int]),
    "rtn_enum_range": (_int, [_P(_int), _P(_int), _P(_int), _int]),
    "rtn_config_init": (_int, [_P(Config), c_u32]),
    "rtn_ctx_new": (_int, [_P(c_void_p), _P(Config)]),
    "rtn_ctx_free": (None, [c_void_p]),
    "rtn_ctx_last_error": (c_char_p, [c_void_p]),
    "rtn_stats_init": (_int, [_P(Stats), c_u32]),
    "rtn_ctx_stats": (_int, [_P(Stats), c_void_p]),
    "rtn_event_init": (_int, [_P(Event), c_u32]),
    "rtn_push": (_int, [c_void_p, _P(Event)]),
    "rtn_push_batch": (_int, [c_void_p, _P(Event), _size_t, _P(_size_t)]),
    "rtn_event_type_from_name": (_int, [c_char_p]),
    "rtn_event_type_name": (c_char_p, [_int]),
    "rtn_metric_info_get": (_int, [_P(MetricInfo), _int]),
    "rtn_metric_next": (_int, [_int]),
    "rtn_metric_from_name": (_int, [c_char_p]),
    "rtn_value_init": (_int, [_P(Value), c_u32]),
    "rtn_query_opts_init": (_int, [_P(QueryOpts), c_u32]),
    "rtn_query": (_int, [_P(Value), c_void_p, _int, c_i64, c_i64, _P(QueryOpts)]),
    "rtn_query_series": (_int, [_P(Value), _size_t, _P(_size_t), c_void_p, _int, c_i64, c_i64,
                                _int, _P(QueryOpts)]),
    "rtn_customer_init": (_int, [_P(Customer), c_u32]),
    "rtn_customer_nps_category": (_int, [_P(_int), c_void_p, _P(Customer)]),
    "rtn_health_score": (_int, [_P(c_double), c_void_p, _P(Customer), c_i64]),
    "rtn_health_lowest": (_int, [_P(HealthEntry), _size_t, _P(_size_t), c_void_p, c_i64]),
    "rtn_cohort_opts_init": (_int, [_P(CohortOpts), c_u32]),
    "rtn_cohort_retention": (_int, [_P(CohortCell), _P(c_i64), _P(c_i64), _size_t, _P(_size_t),
                                    c_void_p, _P(CohortOpts)]),
    "rtn_survival": (_int, [_P(SurvivalPoint), _size_t, _P(_size_t), _P(c_double), c_void_p,
                            c_i64]),
    "rtn_snapshot_save": (_int, [c_void_p, WRITE_FN, c_void_p]),
    "rtn_snapshot_save_file": (_int, [c_void_p, c_char_p]),
    "rtn_snapshot_load": (_int, [_P(c_void_p), _P(Config), READ_FN, c_void_p]),
    "rtn_snapshot_load_file": (_int, [_P(c_void_p), _P(Config), c_char_p]),
    "rtn_snapshot_load_buffer": (_int, [_P(c_void_p), _P(Config), c_void_p, _size_t]),
    "rtn_ctx_merge": (_int, [c_void_p, c_void_p]),
}


def _candidates(path):
    if path is not None:
        return [os.fspath(path)], "the path given"
    env = os.environ.get(ENV_VAR)
    if env:
        return [env], ENV_VAR + "=" + env
    found = ctypes.util.find_library("retention")
    names = [found] if found else []
    if DEFAULT_SONAME not in names:
        names.append(DEFAULT_SONAME)
    return names, "the system library path"


def _open(path):
    names, where = _candidates(path)
    errors = []
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as e:
            errors.append(str(e))
    raise OSError("libretention not found (looked in %s: %s); set %s to the path of "
                  "libretention.so" % (where, "; ".join(errors), ENV_VAR))


def _bind(dll, name):
    if not hasattr(dll, "rtn_struct_size") or not hasattr(dll, "rtn_enum_range"):
        raise AbiMismatchError("%s has no rtn_struct_size/rtn_enum_range: the library is older "
                               "than this binding (it needs libretention 1.0 with ABI "
                               "introspection)" % name)
    for fname, (res, args) in _PROTOTYPES.items():
        fn = getattr(dll, fname)
        fn.restype = res
        fn.argtypes = args


def _check(dll, name):
    major = dll.rtn_version_number() // 10000
    if major != ABI_MAJOR:
        raise AbiMismatchError("%s is libretention %s (ABI %d); this binding needs ABI %d"
                               % (name, dll.rtn_version().decode(), major, ABI_MAJOR))
    wrong = []
    for which, mirror in STRUCTS.items():
        size = ctypes.c_size_t(0)
        if dll.rtn_struct_size(ctypes.byref(size), which) != 0:
            wrong.append("%s: unknown to the library" % mirror.__name__)
        elif size.value != ctypes.sizeof(mirror):
            wrong.append("%s: library %d bytes, binding %d"
                         % (mirror.__name__, size.value, ctypes.sizeof(mirror)))
    for value, want in enumerate(EVENT_TYPE_NAMES, 1):
        got = dll.rtn_event_type_name(value)
        if got is None or got.decode() != want:
            wrong.append("event type %d: library %r, binding %r" % (value, got, want))
    if wrong:
        raise AbiMismatchError("%s does not match this binding's layouts (%s); refusing "
                               "to use it" % (name, "; ".join(wrong)))


class Library:
    """A loaded and checked libretention, with its prototypes set."""

    def __init__(self, path=None):
        dll, name = _open(path)
        _bind(dll, name)
        _check(dll, name)
        self.dll = dll
        self.name = name

    def enum_range(self, which):
        count, lo, hi = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        if self.dll.rtn_enum_range(ctypes.byref(count), ctypes.byref(lo), ctypes.byref(hi),
                                   which) != 0:
            raise AbiMismatchError("the library does not describe enum %d" % which)
        return count.value, lo.value, hi.value


_lock = threading.Lock()
_library = None


def load(path=None):
    """The process's library: loaded and checked on first use. With `path`,
    load that file instead of the default search (only before first use,
    or the same file again)."""
    global _library
    with _lock:
        if _library is None:
            _library = Library(path)
        elif path is not None and os.fspath(path) != _library.name:
            raise RuntimeError("libretention is already loaded from %s" % _library.name)
        return _library
