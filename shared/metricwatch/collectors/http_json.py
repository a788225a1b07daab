"""The `http_json` kind: GET a URL, follow a path into the JSON answer, and take that number.

`path` is dotted: object keys and list indices (`data.items.0.count`); a last
segment `#` takes the length of a list (`items.#` counts the items).
"""

from __future__ import annotations

from typing import Any

from metricwatch.collectors.base import Context, Sample
from metricwatch.errors import ConfigError, SourceUnavailable

PARAMS = {"url", "path", "query"}


def check(where: str, params: dict[str, Any]) -> None:
    if not isinstance(params.get("url"), str) or not isinstance(params.get("path"), str):
        raise ConfigError(f"{where}: http_json needs params 'url' and 'path' (strings)")
    if not isinstance(params.get("query", {}), dict):
        raise ConfigError(f"{where}: http_json 'query' must be an object of query parameters")


def follow(doc: Any, path: str) -> Any:
    """The value at `path`, or SourceUnavailable saying which segment is missing."""
    for segment in [s for s in path.split(".") if s]:
        if segment == "#" and isinstance(doc, list):
            return len(doc)
        if isinstance(doc, list) and segment.lstrip("-").isdigit() and -len(doc) <= int(segment) < len(doc):
            doc = doc[int(segment)]
        elif isinstance(doc, dict) and segment in doc:
            doc = doc[segment]
        else:
            raise SourceUnavailable(f"the answer has nothing at {segment!r} of path {path!r}")
    return doc


def number(raw: Any, what: str) -> float:
    """JSON numbers, and numeric strings (many APIs quote them); anything else is the source's fault."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise SourceUnavailable(f"{what} is {type(raw).__name__}, not a number")
    try:
        return float(raw)
    except ValueError:
        raise SourceUnavailable(f"{what} {raw[:40]!r} is not a number") from None


def collect(entry: Any, ctx: Context) -> list[Sample]:
    url, headers = entry.resolved_url(ctx.environ), entry.resolved_headers(ctx.environ)
    doc = ctx.http.get_json(url, headers=headers, params=entry.params.get("query") or None)
    value = number(follow(doc, entry.params["path"]), f"the value at {entry.params['path']!r}")
    return [Sample(entry.metric, value, entry.labels)]
