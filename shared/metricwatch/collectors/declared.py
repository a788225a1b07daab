"""Collectors declared as data: `resources/collectors.json` (`COLLECTORS_PATH`).

Each entry: `name` (the function is `functions/collect-<name>`), `kind`
(`http_json`, `prometheus` or `mongo_query`), `params` (per kind), `metric`
(the point name; prometheus keeps the scraped names instead), optional
`labels`, and optional `headers` for the HTTP kinds. Secrets are `${VAR}`
references resolved from the environment at run time; a header that looks
secret (authorization, cookie, token, key, secret) must be one. Anything
wrong is refused with a message naming the entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

from metricwatch.collectors import http_json, mongo_query, prometheus
from metricwatch.envref import has_reference, resolve
from metricwatch.errors import ConfigError, InvalidInput
from metricwatch.points import parse_labels, parse_name

KINDS: dict[str, ModuleType] = {"http_json": http_json, "prometheus": prometheus, "mongo_query": mongo_query}
FIELDS = {"name", "kind", "params", "metric", "labels", "headers", "description"}
NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,40}")  # always fullmatch
SECRET_HEADER = re.compile(r"authorization|cookie|token|key|secret", re.I)


@dataclass(frozen=True)
class Declared:
    name: str
    kind: str
    params: dict[str, Any]
    metric: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"collector {self.name!r}"

    def resolved_url(self, environ: Mapping[str, str]) -> str:
        return resolve(self.params["url"], environ, self.where)

    def resolved_headers(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Headers with references resolved; one that resolves to empty is left out."""
        resolved = {k: resolve(v, environ, self.where) for k, v in self.headers.items()}
        return {k: v for k, v in resolved.items() if v}

    def collect(self, ctx: Any) -> list[Any]:
        return KINDS[self.kind].collect(self, ctx)


def _check_headers(where: str, kind: str, headers: Any) -> dict[str, str]:
    if headers and kind == "mongo_query":
        raise ConfigError(f"{where}: 'headers' apply to the HTTP kinds only")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ConfigError(f"{where}: 'headers' must be an object of string values")
    for key, value in headers.items():
        if SECRET_HEADER.search(key) and not has_reference(value):
            raise ConfigError(f"{where}: header {key!r} looks secret: write it as a ${{VAR}} reference "
                              "to an environment variable, never in this file")
    return headers


def _check_metric(where: str, kind: str, raw: dict[str, Any]) -> str:
    if kind == "prometheus":
        if "metric" in raw:
            raise ConfigError(f"{where}: prometheus keeps the scraped names; use params.series, not 'metric'")
        return ""
    try:
        return parse_name(raw.get("metric"))
    except InvalidInput as exc:
        raise ConfigError(f"{where}: 'metric' is required: {exc.message}") from None


def _entry(raw: Any, index: int) -> Declared:
    where = f"collectors entry {index}"
    if not isinstance(raw, dict) or not NAME_RE.fullmatch(str(raw.get("name", ""))):
        raise ConfigError(f"{where}: must be an object whose 'name' is lowercase letters, digits and '-'")
    where = f"collectors entry {index} ({raw['name']!r})"
    if set(raw) - FIELDS or raw.get("kind") not in KINDS or not isinstance(raw.get("params"), dict):
        raise ConfigError(f"{where}: needs 'kind' (one of {sorted(KINDS)}) and 'params' (an object); "
                          f"allowed fields {sorted(FIELDS)}, unknown {sorted(set(raw) - FIELDS)}")
    kind, params = raw["kind"], raw["params"]
    unknown = set(params) - KINDS[kind].PARAMS
    if unknown:
        raise ConfigError(f"{where}: unknown params {sorted(unknown)} for {kind}; allowed {sorted(KINDS[kind].PARAMS)}")
    KINDS[kind].check(where, params)
    try:
        labels = parse_labels(raw.get("labels"))
    except InvalidInput as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    return Declared(name=raw["name"], kind=kind, params=params, metric=_check_metric(where, kind, raw),
                    labels=labels, headers=_check_headers(where, kind, raw.get("headers", {})))


def parse_declared(raw: Any) -> dict[str, Declared]:
    if not isinstance(raw, list):
        raise ConfigError("collectors: the file must hold a JSON list of collectors")
    entries: dict[str, Declared] = {}
    for i, item in enumerate(raw):
        entry = _entry(item, i)
        if entry.name in entries:
            raise ConfigError(f"collectors entry {i}: duplicate collector name {entry.name!r}")
        entries[entry.name] = entry
    return entries


@lru_cache(maxsize=4)
def load_declared(path: str) -> dict[str, Declared]:
    """The collectors file, read once per process; a missing one is an error naming COLLECTORS_PATH."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"COLLECTORS_PATH={path!r}: no such file (an empty list [] declares no collector)",
                          variable="COLLECTORS_PATH")
    try:
        return parse_declared(json.loads(file.read_text()))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"collectors file {path}: invalid JSON: {exc}") from None
