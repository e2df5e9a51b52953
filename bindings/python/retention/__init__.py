"""libretention for Python: incremental, exact retention, churn, loyalty and
satisfaction metrics of a customer event stream.

Pure standard library (ctypes); the C library is found through the
RETENTION_LIBRARY environment variable (a path to libretention.so), else
the system's library path (libretention.so.1). It is loaded and checked
on first use: every struct this binding mirrors must have the size the
library reports, or AbiMismatchError is raised before anything runs.

    import retention
    with retention.Context(inactivity_days=90) as ctx:
        ctx.push("purchase", datetime.date(2026, 1, 3), "alice", value=19.99)
        v = ctx.query("churn_rate", datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))

See docs/python.md.
"""

from .context import (
    CohortCell, CohortMode, CohortRow, Context, EventType, Every, HealthEntry, MetricFlag,
    MetricInfo, NpsCategory, Resolution, Stats, Survival, SurvivalPoint, Value, event_types,
    from_ms, library_path, load_library, metrics, to_ms, version)
from .errors import (
    AbiMismatchError, AmountError, ConfigError, EventTypeError, IdError, InvalidArgumentError,
    MetricError, MismatchError, NotFoundError, OutOfMemoryError, PeriodError, QuantityError,
    RangeError, RetentionError, RetentionIOError, ScoreError, SnapshotError,
    SnapshotVersionError, TimeRangeError)

__all__ = [
    "load_library", "Context", "Value", "Stats", "HealthEntry", "Survival", "SurvivalPoint",
    "CohortRow", "CohortCell", "MetricInfo", "EventType", "Resolution", "Every",
    "NpsCategory", "CohortMode", "MetricFlag", "to_ms", "from_ms", "version", "library_path",
    "metrics", "event_types", "AbiMismatchError", "RetentionError", "InvalidArgumentError",
    "EventTypeError", "ScoreError", "AmountError", "TimeRangeError", "MetricError",
    "PeriodError", "ConfigError", "IdError", "QuantityError", "MismatchError",
    "OutOfMemoryError", "RangeError", "NotFoundError", "SnapshotError",
    "SnapshotVersionError", "RetentionIOError",
]
