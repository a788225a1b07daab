"""The `http_json` kind: GET a URL, evaluate a JMESPath expression on the JSON answer, take that number.

`path` is JMESPath (https://jmespath.org), read by the `jmespath` package rather than by code of
our own: `data.items[0].count`, `data.items[-1].count`, `length(items)`, `sum(queues[*].waiting)`,
`items[?state=='open'] | length(@)`. The dotted form of earlier versions (`data.items.0.count`,
`items.#`) is not JMESPath; a path in that form is still read, translated once when the
declaration loads (`legacy_path`), with a warning naming its JMESPath spelling.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from metricwatch.collectors.base import Context, Sample
from metricwatch.errors import ConfigError, SourceUnavailable

log = logging.getLogger(__name__)
PARAMS = {"url", "path", "query"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LEGACY = re.compile(r"[\w\-]+(\.[\w\-]+)*(\.#)?")  # what the old dotted form could hold


def legacy_path(path: str) -> str | None:
    """The JMESPath of an old dotted path (keys, list indices, a final `#` for a length), or None."""
    if not LEGACY.fullmatch(path):
        return None
    segments = path.split(".")
    expr = ""
    for i, segment in enumerate(segments):
        if segment == "#" and i == len(segments) - 1 and expr:
            return f"length({expr})"
        if segment.lstrip("-").isdigit():
            if not expr:
                return None
            expr += f"[{int(segment)}]"
        else:
            key = segment if IDENTIFIER.fullmatch(segment) else '"' + segment.replace('"', '\\"') + '"'
            expr += f".{key}" if expr else key
    return expr


@lru_cache(maxsize=256)  # once per declared path and process: its warning too
def compile_path(where: str, path: str) -> Any:
    """The compiled expression; an old dotted path is translated (with a warning), anything else a ConfigError."""
    try:
        return jmespath.compile(path)
    except JMESPathError as exc:
        translated = legacy_path(path)
        if translated is not None and translated != path:
            try:
                compiled = jmespath.compile(translated)
            except JMESPathError:
                pass
            else:
                log.warning("%s: path %r is the old dotted form; write it as the JMESPath %r", where, path, translated)
                return compiled
        detail = str(exc).splitlines()[0]
        raise ConfigError(f"{where}: http_json 'path' {path!r} is not a JMESPath expression: {detail}") from None


def check(where: str, params: dict[str, Any]) -> None:
    if not isinstance(params.get("url"), str) or not isinstance(params.get("path"), str):
        raise ConfigError(f"{where}: http_json needs params 'url' and 'path' (strings)")
    if not isinstance(params.get("query", {}), dict):
        raise ConfigError(f"{where}: http_json 'query' must be an object of query parameters")
    compile_path(where, params["path"])


def follow(doc: Any, path: str, where: str = "http_json") -> Any:
    """The value `path` selects, or SourceUnavailable: an answer without it is the source's fault."""
    try:
        found = compile_path(where, path).search(doc)
    except JMESPathError as exc:  # e.g. length() of a number: the answer is not shaped as declared
        raise SourceUnavailable(f"path {path!r} does not apply to the answer: {exc}") from None
    if found is None:
        raise SourceUnavailable(f"the answer has nothing at path {path!r}")
    return found


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
    value = number(follow(doc, entry.params["path"], entry.name), f"the value at {entry.params['path']!r}")
    return [Sample(entry.metric, value, entry.labels)]
