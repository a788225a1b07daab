"""Grafana's request bodies, checked and read: every refusal is a 400 naming the field.

Keys Grafana adds that we have no use for (`panelId`, `rangeRaw`, `scopedVars`,
`requestId`, a target's `datasource`, ...) are ignored; keys of a target's
`payload` are ours, so an unknown one is refused (a typo would otherwise be
a silently unfiltered panel).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from metricwatch.alerting.matchers import Matcher
from metricwatch.errors import InvalidInput
from metricwatch.grafana.filters import adhoc_filters, build, label_matchers
from metricwatch.grafana.selectors import parse_selector
from metricwatch.points import parse_name
from metricwatch.timeutil import parse_utc

MAX_TARGETS = 100
# What a target may ask for, per series: `value` is a bucket's mean (or `aggregate`'s min or max).
FIELDS = ("value", "expected", "lower", "upper", "score", "anomalies", "count")
AGGREGATES = ("mean", "min", "max")
# `as`: "series" (datapoints), or "annotations" (a table of the series' anomalies and incidents, which is how
# the JSON plugin from 0.3 on asks for annotations: through /query, with the annotation's own query row).
SHAPES = ("series", "annotations")
PAYLOAD_KEYS = ("labels", "fields", "aggregate", "as")
CHOICES = {"fields": FIELDS, "aggregate": AGGREGATES, "as": SHAPES}  # the payloads with options
MAX_INTERVAL_MS = 100 * 365 * 86400 * 1000  # Grafana's intervalMs is a panel's step: a century is plenty
PLACEHOLDER = "select metric"  # SimpleJSON's empty query row


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive, after `start`


@dataclass(frozen=True)
class Target:
    index: int  # in the request's `targets`, for error fields
    metric: str
    ref_id: str | None
    matchers: tuple[Matcher, ...]  # payload.labels, then the request's adhocFilters
    fields: tuple[str, ...]
    aggregate: str
    shape: str = "series"  # payload `as`


@dataclass(frozen=True)
class Query:
    window: Window
    interval: timedelta | None  # intervalMs: the smallest step the panel wants
    max_points: int | None  # maxDataPoints: the most datapoints per answered series
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class AnnotationQuery:
    window: Window
    metric: str
    matchers: tuple[Matcher, ...]
    annotation: dict[str, Any] | None  # the request's own, echoed in each answer as SimpleJSON documents


def as_object(body: Any, field: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput(f"'{field}' must be a JSON object", field=field)
    return body


def _text(raw: Any, field: str, default: str = "") -> str:
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise InvalidInput(f"'{field}' must be a string", field=field)
    return raw


def window(body: dict[str, Any]) -> Window:
    """`range.from` and `range.to`, ISO 8601 as Grafana sends them (epoch seconds also do)."""
    rng = body.get("range")
    if not isinstance(rng, dict):
        raise InvalidInput("'range' must be an object with 'from' and 'to' (ISO 8601)", field="range")
    for end in ("from", "to"):
        if end not in rng:
            raise InvalidInput(f"'range.{end}' is required", field=f"range.{end}")
    start, stop = parse_utc(rng["from"], "range.from"), parse_utc(rng["to"], "range.to")
    if start >= stop:
        raise InvalidInput("'range.from' must be before 'range.to'", field="range.from")
    return Window(start, stop)


def metric_name(raw: Any, field: str) -> str:
    try:
        return parse_name(raw)
    except InvalidInput as exc:
        shown = f" ({raw[:80]!r})" if isinstance(raw, str) else ""
        raise InvalidInput(exc.message.replace("'name'", f"'{field}'{shown}"), field=field) from None


def _number(raw: Any, field: str, low: float, high: float) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise InvalidInput(f"'{field}' must be a number", field=field)
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput(f"'{field}' must be a number from {low:g} to {high:g}", field=field)
    return value


def _payload(raw: Any, field: str) -> dict[str, Any]:
    """A target's payload: an object, or the JSON text of one (the query editor's code mode)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidInput(f"'{field}' is not a JSON object", field=field) from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"'{field}' must be an object such as {{\"labels\": {{\"host\": \"a\"}}, "
                           "\"fields\": [\"value\", \"expected\"]}", field=field)
    unknown = sorted(set(raw) - set(PAYLOAD_KEYS))
    if unknown:
        raise InvalidInput(f"'{field}' has unknown key(s) {unknown}; expected {list(PAYLOAD_KEYS)}",
                           field=f"{field}.{unknown[0]}")
    return raw


def _fields(raw: Any, field: str) -> tuple[str, ...]:
    """A list, or text with commas (`"value, expected"`); empty means `value` alone."""
    if raw is None or raw == "" or raw == []:
        return ("value",)
    names = [p.strip() for p in raw.split(",") if p.strip()] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput(f"'{field}' must be a list of {list(FIELDS)}", field=field)
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise InvalidInput(f"'{field}': {unknown[0][:40]!r} is not one of {list(FIELDS)}", field=field)
    return tuple(dict.fromkeys(names))  # in the order asked, once each


def _target(raw: Any, index: int, adhoc: tuple[Matcher, ...]) -> Target | None:
    where = f"targets[{index}]"
    raw = as_object(raw, where)
    if raw.get("hide") is True:
        return None
    name = raw.get("target")
    if name is None or (isinstance(name, str) and name.strip() in ("", PLACEHOLDER)):
        return None  # a query row with no metric chosen yet
    metric = metric_name(name.strip() if isinstance(name, str) else name, f"{where}.target")
    ref_id = raw.get("refId")
    payload = _payload(raw.get("payload"), f"{where}.payload")
    aggregate, shape = (_choice(payload, key, where, default) for key, default in (("aggregate", "mean"), ("as", "series")))
    return Target(index=index, metric=metric, ref_id=ref_id if isinstance(ref_id, str) else None,
                  matchers=label_matchers(payload.get("labels"), f"{where}.payload.labels") + adhoc,
                  fields=_fields(payload.get("fields"), f"{where}.payload.fields"), aggregate=aggregate, shape=shape)


def _choice(payload: dict[str, Any], key: str, where: str, default: str) -> str:
    field = f"{where}.payload.{key}"
    value = _text(payload.get(key), field) or default
    if value not in CHOICES[key]:
        raise InvalidInput(f"'{field}' must be one of {list(CHOICES[key])}", field=field)
    return value


def parse_query(body: Any) -> Query:
    """POST /query: `range`, `intervalMs`, `maxDataPoints`, `targets[]`, `adhocFilters`."""
    body = as_object(body)
    targets = body.get("targets")
    if not isinstance(targets, list):
        raise InvalidInput("'targets' must be a list of {\"target\": <metric>, ...}", field="targets")
    if len(targets) > MAX_TARGETS:
        raise InvalidInput(f"'targets' has {len(targets)} entries; at most {MAX_TARGETS}", field="targets")
    span = window(body)
    interval = _number(body.get("intervalMs"), "intervalMs", 0, MAX_INTERVAL_MS)
    points = _number(body.get("maxDataPoints"), "maxDataPoints", 1, 1e12)
    adhoc = adhoc_filters(body.get("adhocFilters"))
    parsed = (_target(t, i, adhoc) for i, t in enumerate(targets))
    return Query(window=span, interval=timedelta(milliseconds=math.ceil(interval)) if interval else None,
                 max_points=int(points) if points is not None else None,
                 targets=tuple(t for t in parsed if t is not None))


def selector(raw: Any, field: str) -> tuple[str, tuple[Matcher, ...]]:
    """`cpu` or `cpu{host="a", region=~"eu-.*"}`: a metric name (checked) and its matchers."""
    text = _text(raw, field)
    if not text.strip():
        raise InvalidInput(f"'{field}' must name a metric, optionally with matchers: cpu{{host=\"a\"}}", field=field)
    name, triples = parse_selector(text, field)
    return metric_name(name, field), tuple(build(k, op, v, field) for k, op, v in triples)


def parse_annotation_query(body: Any) -> AnnotationQuery:
    """POST /annotations (SimpleJSON): `range` and `annotation.query`, a selector of one metric."""
    body = as_object(body)
    annotation = body.get("annotation")
    if not isinstance(annotation, dict):
        raise InvalidInput("'annotation' must be an object with a 'query' such as cpu{host=\"a\"}",
                           field="annotation")
    span = window(body)
    metric, matchers = selector(annotation.get("query"), "annotation.query")
    return AnnotationQuery(window=span, metric=metric, matchers=matchers, annotation=annotation)


def search_text(body: Any) -> str:
    """POST /search (SimpleJSON): `{"target": "<typed text or variable query>"}`, all optional."""
    return _text(as_object(body).get("target"), "target").strip()


def variable_text(body: Any) -> str:
    """POST /variable (JSON plugin): `payload` is the variable editor's input, text or `{"target": text}`."""
    payload = as_object(body).get("payload")
    if isinstance(payload, dict):
        return _text(payload.get("target"), "payload.target").strip()
    return _text(payload, "payload").strip()


def tag_key(body: Any) -> str:
    """POST /tag-values: `{"key": "<label name>"}`."""
    key = as_object(body).get("key")
    if not isinstance(key, str) or not key:
        raise InvalidInput("'key' must name a label", field="key")
    return key


def payload_option(body: Any) -> str:
    """POST /metric-payload-options: `{"metric", "payload", "name"}`; the name of the payload asked for."""
    name = as_object(body).get("name")
    if not isinstance(name, str) or name not in CHOICES:
        raise InvalidInput(f"'name' must be one of {list(CHOICES)} (the payloads that have options)", field="name")
    return name
