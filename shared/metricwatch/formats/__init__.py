"""The senders' formats `/push` takes besides its own JSON, one module each.

Each format turns the raw request (its bytes, the path labels, the query parameters) into the
same list of point objects `metricwatch.points.parse_points` validates for a JSON push, so every
format shares push's rules (names, labels, time skew and age, batch size) and its errors. What a
format adds is where a point came from (`Parsed.where`): a line for the text formats, so a 400
says "line 3: ..." rather than "point 2: ...".

`resolve` is the route table: the path (after `/push`) picks the format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from metricwatch.errors import InvalidInput

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Parsed:
    """Point objects for `parse_points`, and where each (by index) came from: a line of a text
    format (`lines`) or a place in a structured body (`places`, e.g. an OTLP data point's path)."""

    points: list[dict[str, Any]]
    lines: list[int] | None = None
    places: list[str] | None = None

    def where(self, index: int) -> str:
        if self.lines is not None and 0 <= index < len(self.lines):
            return f"line {self.lines[index]}"
        if self.places is not None and 0 <= index < len(self.places):
            return f"point {index} ({self.places[index]})"
        return f"point {index}"


@dataclass(frozen=True)
class Format:
    name: str
    methods: tuple[str, ...]
    parse: Callable[[bytes, Any, list[str]], Parsed]  # (body, request, path segments after /push)


def point(name: str, value: Any, labels: dict[str, str], when: str | None) -> dict[str, Any]:
    """A point object as push's JSON gives it; no time means "now", as there."""
    out: dict[str, Any] = {"name": name, "value": value, "labels": labels}
    if when is not None:
        out["timestamp"] = when
    return out


def epoch_iso(seconds: int, nanos: int = 0, *, line: str = "") -> str:
    """An exact UTC time (ISO 8601) from integer seconds and nanoseconds: no float rounding."""
    try:
        return (EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)).isoformat()
    except OverflowError:
        where = f"{line}: " if line else ""
        raise InvalidInput(f"{where}timestamp {seconds}s is out of range", field="timestamp") from None


def resolve(parts: list[str]) -> Format | None:
    """The format of a push path (segments after `/push`), None for an unknown path."""
    from metricwatch.formats import influx_line, otlp_json, prometheus_text

    if parts[:1] == ["metrics"] and parts[1:2] in (["job"], ["job@base64"]):
        return prometheus_text.FORMAT
    if parts == ["api", "v2", "write"]:
        return influx_line.FORMAT
    if parts == ["v1", "metrics"]:
        return otlp_json.FORMAT
    return None


def relocate(exc: InvalidInput, parsed: Parsed) -> InvalidInput:
    """`parse_points`'s "point 3: ..." as "line 7: ..." (or the point's place) when the format knows it."""
    index = exc.details.get("index")
    if not isinstance(index, int) or (parsed.lines is None and parsed.places is None):
        return exc
    prefix = f"point {index}: "
    message = exc.message[len(prefix):] if exc.message.startswith(prefix) else exc.message
    out = InvalidInput(f"{parsed.where(index)}: {message}", **exc.details)
    if parsed.lines is not None and 0 <= index < len(parsed.lines):
        out.details["line"] = parsed.lines[index]
    return out
