"""`resources/alerting.json`: receivers, the routing tree, maintenance windows.

Alertmanager's names and defaults: a root `route` (receiver, group_by,
group_wait 30s, group_interval 5m, repeat_interval 4h) and child `routes`
tried in order, each inheriting what it leaves out from the root; the first
that matches takes the alert unless it says `continue`. Ours add, per route,
`for_points` (Prometheus' `for:`, counted in points) and `resolve_after_points`.
Unknown fields are refused with a message naming the entry, as in
`detection_metrics.json`. Receiver URLs are `${VAR}` references, resolved
only by the notify function (`receivers.py`): the file holds no secret.

With no file content at all, the root route sends everything to the
receiver `default`: a webhook to `${ALERT_WEBHOOK_URL}` when that is set,
else the `log` receiver.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from metricwatch.alerting.durations import parse_duration
from metricwatch.alerting.matchers import Matcher, all_match, parse_matchers
from metricwatch.envref import has_reference
from metricwatch.declarations import read_declaration
from metricwatch.errors import ConfigError

KINDS = ("webhook", "slack", "alertmanager", "log")
DEFAULT_RECEIVER = "default"
TOP_FIELDS = {"receivers", "route", "routes", "maintenance_windows"}
RECEIVER_FIELDS = {"name", "kind", "url", "send_resolved"}
ROUTE_FIELDS = {"receiver", "group_by", "group_wait", "group_interval", "repeat_interval", "for_points",
                "resolve_after_points"}
CHILD_FIELDS = ROUTE_FIELDS | {"matchers", "continue"}
WINDOW_FIELDS = {"name", "cron", "duration", "time_zone", "matchers"}


@dataclass(frozen=True)
class ReceiverSpec:
    name: str
    kind: str
    url: str = ""  # a `${VAR}` reference (or a plain local URL); empty for `log`
    send_resolved: bool = True


@dataclass(frozen=True)
class Route:
    receiver: str = DEFAULT_RECEIVER
    group_by: tuple[str, ...] | None = ()  # None: Alertmanager's `...`, every label (no grouping)
    group_wait: timedelta = timedelta(seconds=30)
    group_interval: timedelta = timedelta(minutes=5)
    repeat_interval: timedelta = timedelta(hours=4)
    for_points: int = 1
    resolve_after_points: int = 3
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    key: str = "{}"  # Alertmanager's route key, the first part of a group key

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        names = sorted(labels) if self.group_by is None else self.group_by
        return {n: labels[n] for n in names if n in labels}


@dataclass(frozen=True)
class MaintenanceWindow:
    name: str
    cron: str
    duration: timedelta
    time_zone: str = "Etc/UTC"
    matchers: tuple[Matcher, ...] = ()


@dataclass(frozen=True)
class AlertingRules:
    receivers: dict[str, ReceiverSpec] = field(default_factory=dict)  # declared ones; `default` may be built in
    root: Route = Route()
    routes: tuple[Route, ...] = ()
    windows: tuple[MaintenanceWindow, ...] = ()

    def routes_for(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert goes to: matching children up to the first without `continue`, else the root."""
        chosen: list[Route] = []
        for route in self.routes:
            if all_match(route.matchers, labels):
                chosen.append(route)
                if not route.continue_:
                    break
        return chosen or [self.root]


def _check_fields(where: str, raw: Any, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(required - set(raw))
    if missing:
        raise ConfigError(f"{where}: {missing[0]!r} is required")
    return raw


def _receiver(raw: Any, index: int) -> ReceiverSpec:
    entry = _check_fields(f"alerting receiver {index}", raw, RECEIVER_FIELDS, {"name", "kind"})
    where = f"alerting receiver {index} ({entry['name']!r})"
    if entry["kind"] not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {list(KINDS)}")
    url = entry.get("url", "")
    if entry["kind"] != "log" and (not isinstance(url, str) or not url):
        raise ConfigError(f"{where}: 'url' is required, as an environment reference such as ${{SLACK_WEBHOOK_URL}}")
    if isinstance(url, str) and url and not has_reference(url) and not url.startswith(("http://127.", "http://localhost")):
        raise ConfigError(f"{where}: 'url' must be an environment reference such as ${{SLACK_WEBHOOK_URL}}: "
                          "receiver URLs are secrets and are never committed")
    if not isinstance(entry.get("send_resolved", True), bool):
        raise ConfigError(f"{where}: 'send_resolved' must be true or false")
    return ReceiverSpec(entry["name"], entry["kind"], url, entry.get("send_resolved", True))


def _route(raw: Any, where: str, base: Route, allowed: set[str]) -> Route:
    entry = _check_fields(where, raw, allowed)
    changes: dict[str, Any] = {}
    try:
        for name in ("group_wait", "group_interval", "repeat_interval"):
            if name in entry:
                changes[name] = parse_duration(entry[name])
        if "matchers" in entry:
            changes["matchers"] = parse_matchers(entry["matchers"])
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    for name in ("for_points", "resolve_after_points"):
        if name in entry:
            if not isinstance(entry[name], int) or isinstance(entry[name], bool) or not 1 <= entry[name] <= 1000:
                raise ConfigError(f"{where}: {name!r} must be an integer from 1 to 1000")
            changes[name] = entry[name]
    if "group_by" in entry:
        group_by = entry["group_by"]
        if group_by != ["..."] and (not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by)):
            raise ConfigError(f"{where}: 'group_by' must be a list of label names, or [\"...\"] for every label")
        changes["group_by"] = None if group_by == ["..."] else tuple(group_by)
    if "receiver" in entry:
        changes["receiver"] = entry["receiver"]
    if not isinstance(entry.get("continue", False), bool):
        raise ConfigError(f"{where}: 'continue' must be true or false")
    changes["continue_"] = entry.get("continue", False)
    return replace(base, **changes)


def _window(raw: Any, index: int) -> MaintenanceWindow:
    entry = _check_fields(f"maintenance window {index}", raw, WINDOW_FIELDS, {"name", "cron", "duration"})
    where = f"maintenance window {index} ({entry['name']!r})"
    if not isinstance(entry["cron"], str) or len(entry["cron"].split()) != 5 or not croniter.is_valid(entry["cron"]):
        raise ConfigError(f"{where}: cron {entry['cron']!r} is not a 5-field unix-cron expression")
    try:
        ZoneInfo(entry.get("time_zone", "Etc/UTC"))
        duration, matchers = parse_duration(entry["duration"]), parse_matchers(entry.get("matchers", []))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return MaintenanceWindow(entry["name"], entry["cron"], duration, entry.get("time_zone", "Etc/UTC"), matchers)


def parse_rules(raw: Any) -> AlertingRules:
    top = _check_fields("alerting file", raw, TOP_FIELDS)
    for name in ("receivers", "routes", "maintenance_windows"):
        if not isinstance(top.get(name, []), list):
            raise ConfigError(f"alerting file: {name!r} must be a list")
    receivers: dict[str, ReceiverSpec] = {}
    for i, item in enumerate(top.get("receivers", [])):
        spec = _receiver(item, i)
        if spec.name in receivers:
            raise ConfigError(f"alerting receiver {i}: name {spec.name!r} is declared twice")
        receivers[spec.name] = spec
    root = _route(top.get("route", {}), "alerting route", Route(), ROUTE_FIELDS)
    routes = []
    for i, raw_route in enumerate(top.get("routes", [])):
        route = _route(raw_route, f"alerting routes entry {i}", root, CHILD_FIELDS)
        routes.append(replace(route, key="{}/{" + ",".join(map(str, route.matchers)) + f"}}/{i}"))
    for where, route in [("alerting route", root)] + [(f"alerting routes entry {i}", r) for i, r in enumerate(routes)]:
        if route.receiver not in receivers and route.receiver != DEFAULT_RECEIVER:
            raise ConfigError(f"{where}: unknown receiver {route.receiver!r}; declared: {sorted(receivers)}")
    windows = tuple(_window(w, i) for i, w in enumerate(top.get("maintenance_windows", [])))
    return AlertingRules(receivers=receivers, root=root, routes=tuple(routes), windows=windows)


def load_rules(path: str | Path) -> AlertingRules:
    return parse_rules(read_declaration(path, "alerting"))
