"""Exceptions: one class per rtn_status code, grouped in families that also
derive from the built-in exception a Python caller would expect (bad input
is a ValueError, running out of memory a MemoryError, an I/O failure an
OSError, something unknown a LookupError)."""

from ._native import AbiMismatchError

__all__ = [
    "AbiMismatchError", "RetentionError", "InvalidArgumentError", "EventTypeError",
    "ScoreError", "AmountError", "TimeRangeError", "MetricError", "PeriodError",
    "ConfigError", "IdError", "QuantityError", "MismatchError", "OutOfMemoryError",
    "RangeError", "NotFoundError", "SnapshotError", "SnapshotVersionError",
    "RetentionIOError", "error_for",
]

# rtn_status values.
OK, EINVAL, ENOMEM, ETYPE, ESCORE, EAMOUNT, ETIME, EMETRIC, EPERIOD, ECONFIG = range(0, -10, -1)
EID, ERANGE, ENOTFOUND, EFORMAT, EVERSION, EIO, EMISMATCH, EQUANTITY = range(-10, -18, -1)


class RetentionError(Exception):
    """A libretention call failed.

    Attributes: ``code`` (the negative rtn_status), ``message`` (the
    library's message for the code, rtn_strerror) and ``detail`` (the
    context's detail of the failure, rtn_ctx_last_error; may be empty).
    """

    code = None

    def __init__(self, message, code=None, detail=""):
        if code is not None:
            self.code = code
        self.message = message
        self.detail = detail
        super().__init__("%s: %s" % (message, detail) if detail else message)


class InvalidArgumentError(RetentionError, ValueError):
    """RTN_EINVAL, and the family of every bad-input code below."""
    code = EINVAL


class EventTypeError(InvalidArgumentError):
    """RTN_ETYPE: unknown event type."""
    code = ETYPE


class ScoreError(InvalidArgumentError):
    """RTN_ESCORE: a survey score off its scale or not an integer."""
    code = ESCORE


class AmountError(InvalidArgumentError):
    """RTN_EAMOUNT: an amount that is NaN, infinite, negative or too large."""
    code = EAMOUNT


class TimeRangeError(InvalidArgumentError):
    """RTN_ETIME: a time outside 1970 .. 2199."""
    code = ETIME


class MetricError(InvalidArgumentError):
    """RTN_EMETRIC: an unknown metric, or one the call cannot answer."""
    code = EMETRIC


class PeriodError(InvalidArgumentError):
    """RTN_EPERIOD: a period with start after end, or a bad series bucket."""
    code = EPERIOD


class ConfigError(InvalidArgumentError):
    """RTN_ECONFIG: a configuration value out of its domain."""
    code = ECONFIG


class IdError(InvalidArgumentError):
    """RTN_EID: an empty or too long (over 1024 bytes) id, or an int id
    outside 0 .. 2**64 - 1."""
    code = EID


class QuantityError(InvalidArgumentError):
    """RTN_EQUANTITY: an item quantity out of range."""
    code = EQUANTITY


class MismatchError(InvalidArgumentError):
    """RTN_EMISMATCH: contexts with incompatible configurations (merge)."""
    code = EMISMATCH


class OutOfMemoryError(RetentionError, MemoryError):
    """RTN_ENOMEM: an allocation failed or the memory cap was reached; the
    context is unchanged and still usable."""
    code = ENOMEM


class RangeError(RetentionError, OverflowError):
    """RTN_ERANGE: a counter would overflow (the binding sizes buffers
    itself, so a too-small buffer never reaches the caller)."""
    code = ERANGE


class NotFoundError(RetentionError, LookupError):
    """RTN_ENOTFOUND: the customer (or object) asked for is not known."""
    code = ENOTFOUND


class SnapshotError(RetentionError, ValueError):
    """RTN_EFORMAT: a snapshot is corrupt, truncated or hostile."""
    code = EFORMAT


class SnapshotVersionError(SnapshotError):
    """RTN_EVERSION: a snapshot of an unsupported format version."""
    code = EVERSION


class RetentionIOError(RetentionError, OSError):
    """RTN_EIO: a file or stream could not be read or written."""
    code = EIO


_BY_CODE = {cls.code: cls for cls in (
    InvalidArgumentError, EventTypeError, ScoreError, AmountError, TimeRangeError,
    MetricError, PeriodError, ConfigError, IdError, QuantityError, MismatchError,
    OutOfMemoryError, RangeError, NotFoundError, SnapshotError, SnapshotVersionError,
    RetentionIOError)}


def error_for(code, message, detail=""):
    """The exception for a status code (RetentionError for a code this
    binding does not know, such as one added by a later library)."""
    return _BY_CODE.get(code, RetentionError)(message, code, detail)
