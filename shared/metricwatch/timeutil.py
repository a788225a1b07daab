"""One way to read a timestamp from outside: ISO 8601 or epoch seconds, always to aware UTC.

Push bodies, query parameters and Cloud Scheduler headers all go through
`parse_utc`, so they accept the same forms and fail the same way: an
`InvalidInput` naming the field, never an OverflowError turned into a 500.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

from metricwatch.errors import InvalidInput

EPOCH_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")
MAX_EPOCH_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


def _from_epoch(raw: int | float, field: str, index: int | None) -> datetime:
    try:
        seconds = float(raw)
    except OverflowError:  # an integer past float's range
        seconds = math.inf
    if not math.isfinite(seconds) or seconds > MAX_EPOCH_SECONDS:
        raise InvalidInput.at(f"'{field}' epoch seconds out of range (milliseconds are not accepted)", field, index)
    if seconds < 0:
        raise InvalidInput.at(f"'{field}' epoch seconds must not be negative (before 1970)", field, index)
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _from_iso(text: str, field: str, index: int | None) -> datetime:
    if not (text.isascii() and text.isprintable()):  # `fromisoformat` ignores a trailing NUL, we do not
        raise InvalidInput.at(f"'{field}' {text[:64]!r} holds characters no ISO 8601 time has", field, index)
    try:
        ts = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)
    except ValueError:
        raise InvalidInput.at(f"'{field}' {text[:64]!r} is not ISO 8601 or epoch seconds", field, index) from None
    except OverflowError:
        raise InvalidInput.at(f"'{field}' {text[:64]!r} is out of range", field, index) from None


def parse_utc(raw: object, field: str, index: int | None = None) -> datetime:
    """ISO 8601 (naive means UTC) or epoch seconds (a number, or digits in a string)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise InvalidInput.at(f"'{field}' must be an ISO 8601 string or epoch seconds", field, index)
    if isinstance(raw, str) and EPOCH_TEXT.fullmatch(raw.strip()):
        raw = float(raw)
    if isinstance(raw, str):
        return _from_iso(raw.strip(), field, index)
    return _from_epoch(raw, field, index)


def as_utc(ts: datetime) -> datetime:
    """pymongo and callers may hand back naive datetimes; naive means UTC here, as everywhere."""
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_millis(ts: datetime) -> datetime:
    """MongoDB stores milliseconds; truncate first so what we score and answer is what we store."""
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)
