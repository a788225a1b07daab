"""A metric point and the rules a pushed point must follow.

Validation fails with `InvalidInput` naming the field (and the index in a
batch), so the caller learns what to fix; a batch with one bad point is
refused whole, before anything is written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from metricwatch.errors import InvalidInput
from metricwatch.series import canonical_labels, series_id

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")
MAX_LABELS = 32
MAX_LABEL_KEY = 128
MAX_LABEL_VALUE = 1024
FIELDS = frozenset({"name", "value", "labels", "timestamp"})
# Epoch seconds beyond this are almost surely milliseconds; refusing them beats storing year 50000.
MAX_EPOCH_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class Point:
    name: str
    value: float
    timestamp: datetime  # aware, UTC
    labels: dict[str, str] = field(default_factory=dict)

    @cached_property
    def series(self) -> str:
        """The canonical series key, computed once: grouping and storing both need it."""
        return series_id(self.name, self.labels)


def _fail(message: str, field_name: str, index: int | None) -> InvalidInput:
    where = f"point {index}: " if index is not None else ""
    return InvalidInput(f"{where}{message}", field=field_name, index=index)


def parse_name(raw: Any, index: int | None = None) -> str:
    if not isinstance(raw, str):
        raise _fail("'name' must be a string", "name", index)
    if not NAME_RE.match(raw):
        raise _fail(
            "'name' must start with a letter and use only letters, digits, '_', '.', ':' or '-' "
            "(at most 128 characters)", "name", index)
    return raw


def parse_value(raw: Any, index: int | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise _fail(f"'value' must be a number, not {type(raw).__name__}", "value", index)
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise _fail("'value' must be a finite number", "value", index)
    return value


def parse_labels(raw: Any, index: int | None = None) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail("'labels' must be an object of string to string", "labels", index)
    if len(raw) > MAX_LABELS:
        raise _fail(f"'labels' has {len(raw)} entries; at most {MAX_LABELS}", "labels", index)
    for key, value in raw.items():
        if not key or len(key) > MAX_LABEL_KEY:
            raise _fail(f"label key {key!r} must have 1 to {MAX_LABEL_KEY} characters", "labels", index)
        if key.startswith("$") or "." in key or "\x00" in key:
            raise _fail(f"label key {key!r} must not start with '$' or contain '.' or NUL", "labels", index)
        if not isinstance(value, str):
            raise _fail(f"label {key!r} must have a string value, not {type(value).__name__}", "labels", index)
        if len(value) > MAX_LABEL_VALUE or "\x00" in value:
            raise _fail(f"label {key!r} value must have at most {MAX_LABEL_VALUE} characters and no NUL",
                        "labels", index)
    return canonical_labels(raw)


def parse_timestamp(raw: Any, now: datetime, max_skew: timedelta, index: int | None = None) -> datetime:
    """ISO 8601 (naive means UTC) or epoch seconds; default now; never too far in the future."""
    if raw is None:
        return _to_millis(now)
    if isinstance(raw, bool):
        raise _fail("'timestamp' must be an ISO 8601 string or epoch seconds", "timestamp", index)
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw) or not 0 <= raw <= MAX_EPOCH_SECONDS:
            raise _fail("'timestamp' epoch seconds out of range (milliseconds are not accepted)",
                        "timestamp", index)
        ts = datetime.fromtimestamp(raw, tz=timezone.utc)
    elif isinstance(raw, str):
        try:
            ts = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        except ValueError:
            raise _fail(f"'timestamp' {raw[:64]!r} is not ISO 8601", "timestamp", index) from None
        ts = ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)
    else:
        raise _fail("'timestamp' must be an ISO 8601 string or epoch seconds", "timestamp", index)
    if ts - now > max_skew:
        raise _fail(f"'timestamp' {ts.isoformat()} is more than {int(max_skew.total_seconds())}s "
                    "in the future", "timestamp", index)
    return _to_millis(ts)


def _to_millis(ts: datetime) -> datetime:
    """MongoDB stores milliseconds; truncate now so what we score and answer is what we store."""
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


def parse_point(raw: Any, now: datetime, max_skew: timedelta, index: int | None = None) -> Point:
    if not isinstance(raw, dict):
        raise _fail("a point must be a JSON object", "point", index)
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise _fail(f"unknown field(s) {', '.join(map(repr, unknown))}; expected name, value, labels, timestamp",
                    unknown[0], index)
    for required in ("name", "value"):
        if required not in raw:
            raise _fail(f"'{required}' is required", required, index)
    return Point(
        name=parse_name(raw["name"], index),
        value=parse_value(raw["value"], index),
        labels=parse_labels(raw.get("labels"), index),
        timestamp=parse_timestamp(raw.get("timestamp"), now, max_skew, index),
    )


def parse_points(body: Any, now: datetime, max_skew: timedelta, max_points: int) -> list[Point]:
    """One point (an object) or a batch (a non-empty list); all valid or none."""
    if isinstance(body, Mapping):
        return [parse_point(body, now, max_skew)]
    if not isinstance(body, list):
        raise InvalidInput("body must be a point object or a list of points", field="body")
    if not body:
        raise InvalidInput("batch is empty", field="body")
    if len(body) > max_points:
        raise InvalidInput(f"batch has {len(body)} points; at most {max_points}", field="body")
    return [parse_point(item, now, max_skew, i) for i, item in enumerate(body)]
