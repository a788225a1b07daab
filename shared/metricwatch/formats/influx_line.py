"""Influx line protocol: `POST /push/api/v2/write?precision=ns|us|ms|s` (InfluxDB 2's write path).

Each line is read by `line_protocol_parser` (a maintained C parser of the reference grammar).
Every field of a line is one point: its name is `<measurement>_<field>`, its labels the line's
tags, its time the line's timestamp in `precision` (nanoseconds by default; none means now).
Integer, unsigned and float fields are values, booleans 1 and 0; a string field cannot be a
value and is refused. A name that breaks push's name rule is refused, not rewritten. Any bad line
is a 400 naming it ("line 3: ..."), and nothing of the request is stored.
"""

from __future__ import annotations

from typing import Any

from line_protocol_parser import parse_line

from metricwatch.api.params import only_params
from metricwatch.errors import InvalidInput, UnsupportedMediaType
from metricwatch.formats import Format, Parsed, epoch_iso, point

# What a write may carry: InfluxDB's org and bucket (a Telegraf output sends them) are accepted
# and ignored, as there is one store here.
PARAMS = {"precision", "org", "bucket", "orgID"}
PER_SECOND = {"ns": 10**9, "us": 10**6, "ms": 10**3, "s": 1}
TYPES = {"", "text/plain", "application/octet-stream", "application/x-www-form-urlencoded"}


def _precision(request: Any) -> int:
    only_params(request.args, PARAMS)
    precision = request.args.get("precision", "ns")
    if precision not in PER_SECOND:
        raise InvalidInput(f"'precision' must be one of ns, us, ms, s, not {precision!r}", field="precision")
    return PER_SECOND[precision]


def _value(raw: Any, number: int, key: str) -> float | int:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, (int, float)):
        return raw
    raise InvalidInput(f"line {number}: field {key!r} is a string; only numbers and booleans can be values",
                       field="fields", line=number)


def parse(body: bytes, request: Any, parts: list[str]) -> Parsed:
    mimetype = (request.mimetype or "").lower()
    if mimetype not in TYPES:
        raise UnsupportedMediaType(f"Content-Type {request.content_type} is not supported here; send line "
                                   "protocol as text/plain")
    per_second = _precision(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("body is not valid UTF-8", field="body") from None
    points: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        try:
            parsed = parse_line(line)
        except Exception as exc:  # LineFormatError, or whatever else malformed input trips
            raise InvalidInput(f"{where}: not valid line protocol: {exc}", field="body", line=number) from None
        if parsed is None:  # a comment, to the parser
            continue
        when = None
        if parsed["time"] is not None:
            seconds, rest = divmod(int(parsed["time"]), per_second)
            when = epoch_iso(seconds, rest * (10**9 // per_second), line=where)
        for key in sorted(parsed["fields"]):
            points.append(point(f"{parsed['measurement']}_{key}", _value(parsed["fields"][key], number, key),
                                dict(parsed["tags"]), when))
            lines.append(number)
    if not points:
        raise InvalidInput("body has no lines", field="body")
    return Parsed(points, lines)


FORMAT = Format("influx-line", ("POST",), parse)
