"""Pushgateway pushes: `POST|PUT /push/metrics/job/<job>{/<label>/<value>}`.

The body is the Prometheus text exposition format (0.0.4) or OpenMetrics, read by
`prometheus_client`'s own parsers. Every sample becomes one point: its name is the sample's
(`x_bucket` with `le`, `x_sum`, `x_count`, a summary's `x{quantile=...}`; a counter under its
`_total` name, as `prometheus_client` reads both formats), its labels the sample's plus the path's,
the path winning on a clash (as the Pushgateway does). A sample's timestamp is its point's time;
an exemplar or a native histogram is refused (400 naming the line), never dropped.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterator

from prometheus_client.openmetrics import parser as openmetrics_parser
from prometheus_client import parser as text_parser

from metricwatch.errors import InvalidInput, UnsupportedMediaType
from metricwatch.formats import Format, Parsed, epoch_iso, point

TEXT_TYPES = {"", "text/plain", "application/octet-stream", "application/x-www-form-urlencoded"}
OPENMETRICS = "application/openmetrics-text"
LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _b64(value: str, name: str) -> str:
    """RFC 4648 URL-safe base64, padding optional; a lone "=" is the empty value."""
    raw = value.rstrip("=")
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True)
        return decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        raise InvalidInput(f"path: the value of {name}@base64 is not URL-safe base64 of UTF-8 text",
                           field="path") from None


def path_labels(parts: list[str]) -> dict[str, str]:
    """`metrics/job/<job>{/<label>/<value>}` (any name suffixed `@base64`) as labels, job first."""
    pairs = parts[1:]
    if len(pairs) % 2:
        raise InvalidInput(f"path: label {pairs[-1].removesuffix('@base64')!r} has no value; the path is "
                           "/metrics/job/<job>{/<label>/<value>}", field="path")
    labels: dict[str, str] = {}
    for name, value in zip(pairs[::2], pairs[1::2]):
        encoded = name.endswith("@base64")
        name = name.removesuffix("@base64")
        if not LABEL_NAME.fullmatch(name):
            raise InvalidInput(f"path: {name!r} is not a label name ([A-Za-z_][A-Za-z0-9_]*)", field="path")
        if name in labels:
            raise InvalidInput(f"path: label {name!r} is given twice", field="path")
        labels[name] = _b64(value, name) if encoded else value
    if not labels.get("job"):
        raise InvalidInput("path: the job name must not be empty", field="path")
    return labels


def _openmetrics(request: Any) -> bool:
    mimetype = (request.mimetype or "").lower()
    if mimetype == OPENMETRICS:
        return True
    version = request.mimetype_params.get("version")
    if mimetype in TEXT_TYPES and (mimetype != "text/plain" or version in (None, "0.0.4")):
        return False
    raise UnsupportedMediaType(f"Content-Type {request.content_type or 'missing'} is not supported here; send the "
                               "Prometheus text format (text/plain; version=0.0.4) or OpenMetrics "
                               f"({OPENMETRICS})")


class _Lines:
    """The body's lines as the parser reads them: which line it is on, and which lines are samples."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.current = 0
        self.samples: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for number, line in enumerate(self.lines, 1):
            self.current = number
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                self.samples.append(number)
            yield line + "\n"


def _time(timestamp: Any, where: str) -> str | None:
    if timestamp is None:
        return None
    if hasattr(timestamp, "sec") and hasattr(timestamp, "nsec"):  # OpenMetrics' nanosecond Timestamp
        return epoch_iso(int(timestamp.sec), int(timestamp.nsec), line=where)
    try:
        millis = round(float(timestamp) * 1000)  # the text format's milliseconds, as seconds
    except (OverflowError, ValueError):
        raise InvalidInput(f"{where}: timestamp {timestamp} is not a time", field="timestamp") from None
    return epoch_iso(millis // 1000, millis % 1000 * 1_000_000, line=where)


def parse(body: bytes, request: Any, parts: list[str]) -> Parsed:
    grouping = path_labels(parts)
    openmetrics = _openmetrics(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("body is not valid UTF-8", field="body") from None
    lines = _Lines(text)
    reader = openmetrics_parser if openmetrics else text_parser
    samples = []
    try:
        for family in reader.text_fd_to_metric_families(iter(lines)):
            samples.extend(family.samples)
    except Exception as exc:  # the parser's ValueError, or whatever malformed input trips in it
        detail = str(exc) or type(exc).__name__
        kind = "OpenMetrics (which ends with '# EOF')" if openmetrics else "Prometheus text format"
        raise InvalidInput(f"line {max(lines.current, 1)}: not valid {kind}: {detail}", field="body",
                           line=max(lines.current, 1)) from None
    numbers = lines.samples if len(lines.samples) == len(samples) else None
    points = []
    for i, sample in enumerate(samples):
        where = f"line {numbers[i]}" if numbers else f"point {i}"
        if sample.exemplar is not None:
            raise InvalidInput(f"{where}: exemplars are not stored; send the sample without '# {{...}}'",
                               field="exemplar", index=i)
        if getattr(sample, "native_histogram", None) is not None:
            raise InvalidInput(f"{where}: native histograms are not supported; send classic buckets",
                               field="value", index=i)
        points.append(point(sample.name, sample.value, {**sample.labels, **grouping}, _time(sample.timestamp, where)))
    if not points:
        raise InvalidInput("body has no samples", field="body")
    return Parsed(points, numbers)


FORMAT = Format("prometheus-text", ("POST", "PUT"), parse)
