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
from metricwatch.timeutil import parse_utc, to_millis

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,127}")  # fullmatch: "$" would let a trailing newline in
MAX_LABELS = 32
MAX_LABEL_KEY = 128
MAX_LABEL_VALUE = 1024
FIELDS = frozenset({"name", "value", "labels", "timestamp"})
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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


def parse_name(raw: Any, index: int | None = None) -> str:
    if not isinstance(raw, str):
        raise InvalidInput.at("'name' must be a string", "name", index)
    if not NAME_RE.fullmatch(raw):
        raise InvalidInput.at(
            "'name' must start with a letter and use only letters, digits, '_', '.', ':' or '-' "
            "(at most 128 characters)", "name", index)
    return raw


def parse_value(raw: Any, index: int | None = None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InvalidInput.at(f"'value' must be a number, not {type(raw).__name__}", "value", index)
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise InvalidInput.at("'value' must be a finite number", "value", index)
    return value


def _is_text(s: str) -> bool:
    """Whether s can be stored: JSON lets "\ud800" through, and BSON (UTF-8) cannot hold it."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_labels(raw: Any, index: int | None = None) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput.at("'labels' must be an object of string to string", "labels", index)
    if len(raw) > MAX_LABELS:
        raise InvalidInput.at(f"'labels' has {len(raw)} entries; at most {MAX_LABELS}", "labels", index)
    for key, value in raw.items():
        if not isinstance(key, str):
            raise InvalidInput.at(f"label key {key!r} must be a string", "labels", index)
        if not _is_text(key) or (isinstance(value, str) and not _is_text(value)):
            raise InvalidInput.at(f"label {key!r} is not valid Unicode text (a lone surrogate?)", "labels", index)
        if not key or len(key) > MAX_LABEL_KEY:
            raise InvalidInput.at(f"label key {key!r} must have 1 to {MAX_LABEL_KEY} characters", "labels", index)
        if key.startswith("$") or "." in key or "\x00" in key:
            raise InvalidInput.at(f"label key {key!r} must not start with '$' or contain '.' or NUL", "labels", index)
        if not isinstance(value, str):
            raise InvalidInput.at(f"label {key!r} must have a string value, not {type(value).__name__}", "labels", index)
        if len(value) > MAX_LABEL_VALUE or "\x00" in value:
            raise InvalidInput.at(f"label {key!r} value must have at most {MAX_LABEL_VALUE} characters and no NUL",
                        "labels", index)
    return canonical_labels(raw)


def parse_timestamp(raw: Any, now: datetime, max_skew: timedelta, index: int | None = None,
                    max_age: timedelta | None = None, field: str = "timestamp") -> datetime:
    """ISO 8601 (naive means UTC) or epoch seconds; default now; within what the store keeps.

    Refused: more than `max_skew` in the future; before 1970 (MongoDB never
    expires a time-series collection holding such a time, so one point would
    switch retention off for every metric); older than `max_age` (the
    retention), which the TTL monitor would delete right after a 201.
    """
    if raw is None:
        return to_millis(now)
    ts = parse_utc(raw, field, index)
    if ts - now > max_skew:
        raise InvalidInput.at(f"'{field}' {ts.isoformat()} is more than {int(max_skew.total_seconds())}s "
                              "in the future", field, index)
    if ts < EPOCH:
        raise InvalidInput.at(f"'{field}' {ts.isoformat()} is before 1970-01-01", field, index)
    if max_age is not None and now - ts > max_age:
        raise InvalidInput.at(f"'{field}' {ts.isoformat()} is older than the retention of {max_age.days} days",
                              field, index)
    return to_millis(ts)


def parse_point(raw: Any, now: datetime, max_skew: timedelta, index: int | None = None,
                max_age: timedelta | None = None) -> Point:
    if not isinstance(raw, dict):
        raise InvalidInput.at("a point must be a JSON object", "point", index)
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise InvalidInput.at(f"unknown field(s) {', '.join(map(repr, unknown))}; expected name, value, labels, timestamp",
                    unknown[0], index)
    for required in ("name", "value"):
        if required not in raw:
            raise InvalidInput.at(f"'{required}' is required", required, index)
    return Point(
        name=parse_name(raw["name"], index),
        value=parse_value(raw["value"], index),
        labels=parse_labels(raw.get("labels"), index),
        timestamp=parse_timestamp(raw.get("timestamp"), now, max_skew, index, max_age),
    )


def parse_points(body: Any, now: datetime, max_skew: timedelta, max_points: int,
                 max_age: timedelta | None = None) -> list[Point]:
    """One point (an object) or a batch (a non-empty list); all valid or none."""
    if isinstance(body, Mapping):
        return [parse_point(body, now, max_skew, max_age=max_age)]
    if not isinstance(body, list):
        raise InvalidInput("body must be a point object or a list of points", field="body")
    if not body:
        raise InvalidInput("batch is empty", field="body")
    if len(body) > max_points:
        raise InvalidInput(f"batch has {len(body)} points; at most {max_points}", field="body")
    return [parse_point(item, now, max_skew, i, max_age) for i, item in enumerate(body)]
