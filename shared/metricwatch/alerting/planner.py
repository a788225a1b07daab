"""Grouping firing and resolved incidents into notifications, as Alertmanager does, into the outbox.

Each alert is routed (`rules.routes_for`) and grouped by its route's
`group_by` labels. A group is notified `group_wait` after its first alert
fired, then when its alerts change (one fires, one resolves) no sooner than
`group_interval` after the last notification, and while nothing changes every
`repeat_interval`. An `alertmanager` receiver gets the group's alerts on every
run instead: Alertmanager does its own grouping and needs firing alerts re-sent.

A notification's key is the group key, its status, the revisions of its
incidents and the group's sequence number: a retried run after a crash
computes the same key, and the outbox's `_id` keeps it from being queued twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from pymongo.errors import DuplicateKeyError

from metricwatch.alerting.payloads import alert, webhook_payload
from metricwatch.alerting.receivers import spec_for
from metricwatch.alerting.rules import AlertingRules, Route
from metricwatch.alerting.silences import Silence, muted_by
from metricwatch.alerting.store import AlertStore
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import as_utc


@dataclass
class Group:
    key: str
    route: Route
    labels: dict[str, str]
    firing: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)


def group_key(route: Route, labels: Mapping[str, str]) -> str:
    """Alertmanager's form: `{}/{metric="latency"}/0:{region="eu"}`."""
    return route.key + ":{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class Planner:
    def __init__(self, store: AlertStore, rules: AlertingRules, environ: Mapping[str, str], external_url: str) -> None:
        self.store, self.rules, self.environ, self.external_url = store, rules, environ, external_url

    def plan(self, silences: Iterable[Silence], now: datetime) -> dict[str, int]:
        """Queue what is due; counts of notifications queued and alerts muted."""
        silences = list(silences)
        groups, muted = self._firing_groups(silences, now)
        with unavailable_as_503():
            states = {s["_id"]: s for s in self.store.groups.find({"$or": [{"_id": {"$in": list(groups)}},
                                                                           {"open": True}]})}
        self._add_resolved(groups, states)
        queued = sum(self._maybe_queue(g, states.get(g.key), now) for g in groups.values())
        return {"queued": queued, "muted": muted}

    def _firing_groups(self, silences: list[Silence], now: datetime) -> tuple[dict[str, Group], int]:
        groups: dict[str, Group] = {}
        muted = 0
        with unavailable_as_503():
            firing = list(self.store.incidents.find({"status": "firing"}))
        for incident in firing:
            if muted_by(incident["alert_labels"], silences, self.rules.windows, now):
                muted += 1
                continue
            for route in self.rules.routes_for(incident["alert_labels"]):
                labels = route.group_labels(incident["alert_labels"])
                key = group_key(route, labels)
                groups.setdefault(key, Group(key, route, labels)).firing.append(incident)
        return groups, muted

    def _add_resolved(self, groups: dict[str, Group], states: dict[str, dict[str, Any]]) -> None:
        """Incidents a group last sent as firing that are resolved now (a muted one just leaves the group)."""
        for key, state in states.items():
            firing_now = {i["_id"] for i in groups[key].firing} if key in groups else set()
            gone = [i for i in state.get("sent", []) if i not in firing_now]
            if not gone:
                continue
            with unavailable_as_503():
                resolved = list(self.store.incidents.find({"_id": {"$in": gone}, "status": "resolved"}))
            if key not in groups:
                route = self._route_of(state)
                if route is None:
                    continue  # the route was removed from alerting.json: its group ends unannounced
                groups[key] = Group(key, route, dict(state.get("labels", {})))
            groups[key].resolved.extend(resolved)

    def _route_of(self, state: Mapping[str, Any]) -> Route | None:
        return next((r for r in (self.rules.root, *self.rules.routes) if r.key == state.get("route")), None)

    def _due(self, group: Group, state: Mapping[str, Any] | None, now: datetime, repeat: bool) -> bool:
        route = group.route
        if spec_for(self.rules, route.receiver, self.environ).kind == "alertmanager":
            return bool(group.firing or group.resolved)
        if state is None or not state.get("sent"):  # a new group, or one whose alerts all ended
            first = min((as_utc(i["opened_at"]) for i in group.firing), default=None)
            return first is not None and now >= first + route.group_wait
        last = as_utc(state["last_sent_at"])
        return now >= last + (route.repeat_interval if repeat else route.group_interval)

    def _maybe_queue(self, group: Group, state: dict[str, Any] | None, now: datetime) -> int:
        sent = sorted(state.get("sent", [])) if state else []
        current = sorted(i["_id"] for i in group.firing)
        unchanged = sent == current and not group.resolved
        if not (group.firing or group.resolved) or not self._due(group, state, now, repeat=unchanged):
            return 0
        spec = spec_for(self.rules, group.route.receiver, self.environ)
        shown = group.firing + (group.resolved if spec.send_resolved else [])
        sequence = state.get("sequence", 0) if state else 0
        revisions = sorted((i["_id"], i["status"], i["revision"]) for i in group.firing + group.resolved)
        payload = webhook_payload(group.key, spec.name, group.labels, [alert(i, self.external_url) for i in shown],
                                  self.external_url)
        key = hashlib.sha256(json.dumps([group.key, payload["status"], revisions, sequence]).encode()).hexdigest()[:32]
        self._queue(key, group, spec.name, payload, now, supersede=spec.kind == "alertmanager")
        self._record(key, group, spec.name, payload["status"], current, sequence, now)
        return 1 if shown else 0

    def _queue(self, key: str, group: Group, receiver: str, payload: dict[str, Any], now: datetime,
               supersede: bool) -> None:
        if not payload["alerts"]:
            return  # only resolved alerts, to a receiver that does not want them
        with unavailable_as_503():
            if supersede:  # Alertmanager holds the state: an older copy of the group adds nothing
                self.store.outbox.update_many({"group_key": group.key, "state": "pending"},
                                              {"$set": {"state": "superseded", "done_at": now}})
            try:
                self.store.outbox.insert_one({"_id": key, "group_key": group.key, "receiver": receiver,
                                              "status": payload["status"], "payload": payload, "state": "pending",
                                              "attempts": 0, "created_at": now, "next_attempt_at": now})
            except DuplicateKeyError:
                pass  # queued by an earlier attempt of this run, which stopped before recording it

    def _record(self, key: str, group: Group, receiver: str, status: str, firing: list[str], sequence: int,
                now: datetime) -> None:
        ids = [i["_id"] for i in group.firing + group.resolved]
        note = {"key": key, "receiver": receiver, "status": status, "at": now}
        with unavailable_as_503():
            self.store.incidents.update_many({"_id": {"$in": ids}}, {"$push": {"notifications": {"$each": [note], "$slice": -50}}})
            self.store.groups.update_one({"_id": group.key}, {"$set": {
                "route": group.route.key, "receiver": receiver, "labels": group.labels, "last_sent_at": now,
                "sent": firing, "open": bool(firing), "sequence": sequence + 1}}, upsert=True)
