"""Query-string parameters shared by the read APIs (query, alerts): parsed one way, refused one way."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from metricwatch.alerting.durations import parse_duration
from metricwatch.downsample import Resolution
from metricwatch.errors import InvalidInput
from metricwatch.points import parse_labels, parse_name
from metricwatch.timeutil import parse_utc


def only_params(args: Any, allowed: set[str]) -> None:
    """Refuse a parameter we do not read, or one given twice: either would be silently ignored."""
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise InvalidInput(f"unknown parameter(s) {unknown}; expected {sorted(allowed)}", field=unknown[0])
    repeated = sorted(k for k in args if len(args.getlist(k)) > 1)
    if repeated:
        raise InvalidInput(f"parameter {repeated[0]!r} is given more than once", field=repeated[0])


def parse_metric(raw: Any, field: str = "metric") -> str:
    """A metric name, validated as pushed names are, with the error naming this parameter."""
    try:
        return parse_name(raw)
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("'name'", f"'{field}'"), field=field) from None


def whole_number(raw: str) -> int | None:
    """Digits only (no sign, no spaces, at most 9 of them, so no huge int); None otherwise."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def parse_time(raw: str | None, field: str) -> datetime | None:
    return parse_utc(raw, field) if raw else None


def parse_label_filter(raw: str | None) -> dict[str, str]:
    """A JSON object, or `k=v,k2=v2`; validated as pushed labels are."""
    if not raw:
        return {}
    if raw.lstrip().startswith("{"):
        try:
            labels = json.loads(raw)
        except (ValueError, RecursionError):  # also numbers over 4,300 digits and deep nesting
            raise InvalidInput("'labels' is not a valid JSON object", field="labels") from None
    else:
        pairs = [p.partition("=") for p in raw.split(",") if p]
        if any(not sep for _, sep, _ in pairs):
            raise InvalidInput("'labels' must be a JSON object or k=v pairs separated by commas", field="labels")
        labels = {k.strip(): v.strip() for k, _, v in pairs}
    return parse_labels(labels)


def parse_limit(raw: str | None, most: int) -> int:
    if not raw:
        return most
    limit = whole_number(raw) or 0
    if not 1 <= limit <= most:
        raise InvalidInput(f"'limit' must be an integer from 1 to {most}", field="limit")
    return limit


def parse_resolution(step: str | None, max_points: str | None, most: int) -> Resolution | None:
    """`step` (a duration) or `max_points` (1 to `most`), not both; None when neither asks to downsample."""
    if step and max_points:
        raise InvalidInput("give 'step' or 'max_points', not both", field="step")
    if step:
        try:
            return Resolution(step=parse_duration(step))
        except ValueError as exc:
            raise InvalidInput(f"'step': {exc}", field="step") from None
    if max_points:
        budget = whole_number(max_points) or 0
        if not 2 <= budget <= most:
            raise InvalidInput(f"'max_points' must be an integer from 2 to {most}", field="max_points")
        return Resolution(max_points=budget)
    return None
