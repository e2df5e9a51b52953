"""The binding's load-time checks: its struct mirrors against the sizes the
library reports (rtn_struct_size), its enums against the library's
(rtn_enum_range), and a clear refusal of a library that does not match."""

import ctypes
import ctypes.util
import os
import subprocess
import sys
import unittest

import retention
from retention import _native

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)


def run_python(code, library):
    env = dict(os.environ, RETENTION_LIBRARY=library, PYTHONPATH=PKG_ROOT,
               PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


class Layouts(unittest.TestCase):
    def test_every_mirror_matches(self):
        lib = _native.load()
        count, lo, hi = lib.enum_range(10)  # RTN_ENUM_ABI_STRUCT
        self.assertEqual(sorted(_native.STRUCTS), list(range(lo, hi + 1)))
        self.assertEqual(len(_native.STRUCTS), count)
        for which, mirror in _native.STRUCTS.items():
            size = ctypes.c_size_t(0)
            self.assertEqual(lib.dll.rtn_struct_size(ctypes.byref(size), which), 0)
            self.assertEqual(size.value, ctypes.sizeof(mirror), mirror.__name__)

    def test_unknown_struct_is_einval(self):
        size = ctypes.c_size_t(7)
        dll = _native.load().dll
        self.assertEqual(dll.rtn_struct_size(ctypes.byref(size), 0), -1)
        self.assertEqual(dll.rtn_struct_size(ctypes.byref(size), 14), -1)
        self.assertEqual(size.value, 7)

    def test_a_wrong_mirror_is_refused(self):
        """_check on a mirror one field short names the struct and sizes."""
        class ShortValue(ctypes.Structure):
            _fields_ = _native.Value._fields_[:-1]
        lib = _native.load()
        saved = _native.STRUCTS[7]
        _native.STRUCTS[7] = ShortValue
        try:
            with self.assertRaises(retention.AbiMismatchError) as cm:
                _native._check(lib.dll, lib.name)
        finally:
            _native.STRUCTS[7] = saved
        msg = str(cm.exception)
        self.assertIn("ShortValue", msg)
        self.assertIn("library %d bytes, binding %d" % (ctypes.sizeof(saved),
                                                        ctypes.sizeof(ShortValue)), msg)
        _native._check(lib.dll, lib.name)  # the real mirrors pass


class Enums(unittest.TestCase):
    def test_event_types(self):
        self.assertEqual(retention.event_types(),
                         {t.name.lower(): t.value for t in retention.EventType})
        count, lo, hi = _native.load().enum_range(_native.ENUM_EVENT_TYPE)
        self.assertEqual((count, lo, hi), (len(retention.EventType), 1, 19))

    def test_metrics(self):
        ms = retention.metrics()
        count, lo, hi = _native.load().enum_range(_native.ENUM_METRIC)
        self.assertEqual((len(ms), ms[0].metric, ms[-1].metric), (count, lo, hi))
        names = [m.name for m in ms]
        self.assertIn("net_revenue_retention", names)
        for m in ms:
            self.assertEqual(_native.load().dll.rtn_metric_from_name(m.name.encode()), m.metric)

    def test_every_status_has_a_class(self):
        """Each code from 0 down to the lowest the library knows maps onto
        its own exception class (all distinct), and no class is shared."""
        count, lo, hi = _native.load().enum_range(_native.ENUM_STATUS)
        self.assertEqual(hi, 0)
        classes = set()
        for code in range(lo, 0):
            e = retention.errors.error_for(code, "m")
            self.assertIsNot(type(e), retention.RetentionError, code)
            self.assertEqual(e.code, code)
            classes.add(type(e))
        self.assertEqual(len(classes), count - 1)

    def test_small_enums(self):
        lib = _native.load()
        for which, cls in ((2, retention.Resolution), (6, retention.Every),
                           (8, retention.NpsCategory), (9, retention.CohortMode)):
            count, lo, hi = lib.enum_range(which)
            self.assertEqual([m.value for m in cls], list(range(lo, hi + 1)), cls)
        count, lo, hi = lib.enum_range(5)
        self.assertEqual(len(retention.MetricFlag), count)
        self.assertEqual((min(retention.MetricFlag).value, max(retention.MetricFlag).value),
                         (lo, hi))


class Loading(unittest.TestCase):
    def test_version(self):
        self.assertEqual(retention.version().split(".")[0], str(_native.ABI_MAJOR))
        self.assertTrue(os.path.exists(retention.library_path()) or
                        "retention" in retention.library_path())

    def test_missing_library(self):
        r = run_python("import retention; retention.Context()", "/nonexistent/libretention.so")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("OSError: libretention not found", r.stderr)
        self.assertIn("RETENTION_LIBRARY", r.stderr)

    def test_library_without_introspection(self):
        """Another shared library (libc) is refused before any call."""
        libc = ctypes.util.find_library("c") or "libc.so.6"
        r = run_python("import retention; retention.Context()", libc)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AbiMismatchError", r.stderr)
        self.assertIn("rtn_struct_size", r.stderr)

    def test_import_needs_no_library(self):
        """Importing works without a library; the first call loads it."""
        r = run_python("import retention; print(retention.EventType.CES.value)",
                       "/nonexistent/libretention.so")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "19")


if __name__ == "__main__":
    unittest.main()
