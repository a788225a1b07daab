"""Query-string parameters shared by the read APIs (query, alerts): parsed one way, refused one way."""

from __future__ import annotations

import json
from datetime import datetime

from metricwatch.errors import InvalidInput
from metricwatch.points import parse_labels
from metricwatch.timeutil import parse_utc


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
    limit = int(raw) if raw.isascii() and raw.isdigit() else 0
    if not 1 <= limit <= most:
        raise InvalidInput(f"'limit' must be an integer from 1 to {most}", field="limit")
    return limit
