"""The watch list: `resources/detection_metrics.json`.

Same format as the original app: a list of entries with `name` (required),
`train_params` (passed to the model's constructor) and `train_interval`
(passed to `timedelta`, default 7 days), plus `model` to pick a model per
metric and `absent_after` (a timedelta object too) to open a no-data incident
on a series that has sent nothing for that long, and what the metric's values
are (`detection.declared`): `timezone` (IANA name, default "UTC") for the
local day and week of its seasonality, `direction` (`both`, `up`, `down`)
for the deviations that matter, `kind` (`gauge`, `counter`) to judge a
counter by its rate. Anything else is refused with a message naming the entry, so a typo
does not silently leave a metric unwatched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from metricwatch.detection.declared import DEFAULT, DIRECTIONS, KINDS, Declared, zone
from metricwatch.detection.models import create_model
from metricwatch.declarations import read_declaration
from metricwatch.errors import ConfigError
from metricwatch.points import NAME_RE

ENTRY_FIELDS = frozenset({"name", "model", "train_params", "train_interval", "absent_after",
                          "timezone", "direction", "kind"})
DEFAULT_INTERVAL = {"days": 7}


@dataclass(frozen=True)
class WatchedMetric:
    name: str
    model: str
    train_params: dict[str, Any] = field(default_factory=dict)
    train_interval: timedelta = timedelta(days=7)
    absent_after: timedelta | None = None
    timezone: str = DEFAULT.timezone
    direction: str = DEFAULT.direction
    kind: str = DEFAULT.kind

    @property
    def declared(self) -> Declared:
        """Time zone, direction and kind, as training and scoring use them."""
        return Declared(self.timezone, self.direction, self.kind)


def _entry(raw: Any, index: int, default_model: str) -> WatchedMetric:
    where = f"detection metrics entry {index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ConfigError(f"{where}: 'name' is required and must be a valid metric name")
    where = f"{where} ({name!r})"
    unknown = sorted(set(raw) - ENTRY_FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(ENTRY_FIELDS)}")
    model = raw.get("model", default_model)
    params = raw.get("train_params", {})
    interval = raw.get("train_interval", DEFAULT_INTERVAL)
    if not isinstance(model, str):
        raise ConfigError(f"{where}: 'model' must be a string")
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: 'train_params' must be an object")
    if not isinstance(interval, dict):
        raise ConfigError(f"{where}: 'train_interval' must be an object of timedelta arguments, e.g. {{\"days\": 7}}")
    try:
        delta = timedelta(**interval)
    except TypeError as exc:
        raise ConfigError(f"{where}: bad 'train_interval': {exc}") from None
    if delta <= timedelta(0):
        raise ConfigError(f"{where}: 'train_interval' must be positive")
    absent = raw.get("absent_after")
    if absent is not None and (not isinstance(absent, dict) or _positive(absent) is None):
        raise ConfigError(f"{where}: 'absent_after' must be a positive timedelta object, e.g. {{\"minutes\": 30}}")
    declared = _declared(raw, where)
    try:
        create_model(model, params)  # fail now, not at 3 a.m. in the trainer
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    return WatchedMetric(name=name, model=model, train_params=params, train_interval=delta,
                         absent_after=_positive(absent) if absent is not None else None,
                         timezone=declared.timezone, direction=declared.direction, kind=declared.kind)


def _declared(raw: dict[str, Any], where: str) -> Declared:
    tz = raw.get("timezone", DEFAULT.timezone)
    direction = raw.get("direction", DEFAULT.direction)
    kind = raw.get("kind", DEFAULT.kind)
    if not isinstance(tz, str):
        raise ConfigError(f"{where}: 'timezone' must be an IANA time zone name such as \"Europe/Berlin\"")
    try:
        zone(tz)
    except ValueError:
        raise ConfigError(f"{where}: 'timezone': unknown time zone {tz!r}; "
                          f"use an IANA name such as \"Europe/Berlin\" (default \"UTC\")") from None
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ConfigError(f"{where}: 'direction' must be one of {list(DIRECTIONS)}, got {direction!r}")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ConfigError(f"{where}: 'kind' must be one of {list(KINDS)}, got {kind!r}")
    return Declared(tz, direction, kind)


def _positive(raw: dict[str, Any]) -> timedelta | None:
    try:
        delta = timedelta(**raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return delta if delta > timedelta(0) else None


def parse_catalog(raw: Any, default_model: str) -> dict[str, WatchedMetric]:
    if not isinstance(raw, list):
        raise ConfigError("detection metrics: the file must hold a JSON list of entries")
    catalog: dict[str, WatchedMetric] = {}
    for i, item in enumerate(raw):
        entry = _entry(item, i, default_model)
        if entry.name in catalog:
            raise ConfigError(f"detection metrics entry {i}: metric {entry.name!r} is listed twice")
        catalog[entry.name] = entry
    return catalog


def load_catalog(path: str | Path, default_model: str) -> dict[str, WatchedMetric]:
    return parse_catalog(read_declaration(path, "detection metrics"), default_model)
