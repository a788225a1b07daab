"""One piece of feedback: a series, a time range, what a person said of it, and who.

Validated here, once, for the HTTP API: each wrong field is a 400 that names it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from metricwatch.detection.marks import KINDS, Mark
from metricwatch.errors import InvalidInput
from metricwatch.points import parse_labels, parse_name
from metricwatch.series import series_id
from metricwatch.timeutil import parse_utc

FIELDS = {"metric", "labels", "start", "end", "kind", "comment", "author"}
MAX_RANGE = timedelta(days=366)
MAX_TEXT = 1000


@dataclass(frozen=True)
class Feedback:
    id: str
    metric: str
    labels: dict[str, str]
    start: datetime
    end: datetime  # exclusive
    kind: str
    comment: str
    author: str
    created_at: datetime

    @property
    def series(self) -> str:
        return series_id(self.metric, self.labels)

    def mark(self) -> Mark:
        return Mark(self.kind, self.start.timestamp(), self.end.timestamp())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "metric": self.metric, "labels": self.labels, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "kind": self.kind, "comment": self.comment, "author": self.author,
                "created_at": self.created_at.isoformat()}


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise InvalidInput(f"'{name}' must be a string of at most {MAX_TEXT} characters", field=name)
    return value.strip()


def _named(exc: InvalidInput, field: str) -> InvalidInput:
    return InvalidInput(exc.message.replace("'name'", f"'{field}'"), field=field)


def parse_feedback(body: Any, now: datetime) -> Feedback:
    if not isinstance(body, dict):
        raise InvalidInput("body must be a feedback object: {metric, labels, start, end, kind, comment, author}",
                           field="body")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {unknown}; expected {sorted(FIELDS)}", field=unknown[0])
    for name in ("metric", "start", "end", "kind"):
        if body.get(name) is None:
            raise InvalidInput(f"'{name}' is required", field=name)
    try:
        metric = parse_name(body["metric"])
    except InvalidInput as exc:
        raise _named(exc, "metric") from None
    labels = parse_labels(body.get("labels"))
    start, end = parse_utc(body["start"], "start"), parse_utc(body["end"], "end")
    if start >= end or end - start > MAX_RANGE:
        raise InvalidInput("'end' must be after 'start', and at most 366 days after it", field="end")
    if body["kind"] not in KINDS:
        raise InvalidInput(f"'kind' must be one of {list(KINDS)}", field="kind")
    return Feedback(uuid.uuid4().hex, metric, labels, start, end, body["kind"], _text(body, "comment"),
                    _text(body, "author"), now)
