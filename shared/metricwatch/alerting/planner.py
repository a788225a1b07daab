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
Writes go in batches of `BATCH` groups (three round trips each), and no new
batch starts after the run's deadline: the rest is planned by the next run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

import time

from pymongo import UpdateMany, UpdateOne

from metricwatch.alerting.payloads import alert, webhook_payload
from metricwatch.alerting.receivers import spec_for
from metricwatch.alerting.rules import AlertingRules, Route
from metricwatch.alerting.silences import Silence, muted_by
from metricwatch.alerting.store import AlertStore, insert_new
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import as_utc


BATCH = 200


@dataclass
class Group:
    key: str
    route: Route
    labels: dict[str, str]
    firing: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Planned:
    """A notification due for a group, and the group's state once it is queued."""

    key: str
    group: Group
    receiver: str
    payload: dict[str, Any]
    firing: list[str]  # incident ids sent as firing
    sequence: int
    supersede: bool  # an alertmanager receiver: older pending copies of the group add nothing


def group_key(route: Route, labels: Mapping[str, str]) -> str:
    """Alertmanager's form: `{}/{metric="latency"}/0:{region="eu"}`."""
    return route.key + ":{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class Planner:
    def __init__(self, store: AlertStore, rules: AlertingRules, environ: Mapping[str, str], external_url: str) -> None:
        self.store, self.rules, self.environ, self.external_url = store, rules, environ, external_url

    def plan(self, silences: Iterable[Silence], now: datetime, deadline: float = float("inf")) -> dict[str, int]:
        """Queue what is due; counts of notifications queued, alerts muted, groups left for the next run."""
        silences = list(silences)
        groups, muted = self._firing_groups(silences, now)
        with unavailable_as_503():
            states = {s["_id"]: s for s in self.store.groups.find({"$or": [{"_id": {"$in": list(groups)}},
                                                                           {"open": True}]})}
        self._add_resolved(groups, states)
        due = [p for p in (self._due_notification(g, states.get(g.key), now) for g in groups.values()) if p]
        queued = 0
        for start in range(0, len(due), BATCH):
            if time.monotonic() >= deadline:
                return {"queued": queued, "muted": muted, "planned_later": len(due) - start}
            queued += self._write(due[start:start + BATCH], now)
        return {"queued": queued, "muted": muted, "planned_later": 0}

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
        gone = {key: [i for i in state.get("sent", []) if key not in groups or i not in
                      {f["_id"] for f in groups[key].firing}] for key, state in states.items()}
        wanted = [i for ids in gone.values() for i in ids]
        if not wanted:
            return
        with unavailable_as_503():
            resolved = {d["_id"]: d for d in self.store.incidents.find({"_id": {"$in": wanted}, "status": "resolved"})}
        for key, ids in gone.items():
            if not ids:
                continue
            if key not in groups:
                route = self._route_of(states[key])
                if route is None:
                    continue  # the route was removed from alerting.json: its group ends unannounced
                groups[key] = Group(key, route, dict(states[key].get("labels", {})))
            groups[key].resolved.extend(resolved[i] for i in ids if i in resolved)

    def _route_of(self, state: Mapping[str, Any]) -> Route | None:
        return next((r for r in (self.rules.root, *self.rules.routes) if r.key == state.get("route")), None)

    def _is_due(self, group: Group, state: Mapping[str, Any] | None, now: datetime, repeat: bool, kind: str) -> bool:
        route = group.route
        if kind == "alertmanager":
            return True
        if state is None or not state.get("sent"):  # a new group, or one whose alerts all ended
            first = min((as_utc(i["opened_at"]) for i in group.firing), default=None)
            return first is not None and now >= first + route.group_wait
        last = as_utc(state["last_sent_at"])
        return now >= last + (route.repeat_interval if repeat else route.group_interval)

    def _due_notification(self, group: Group, state: dict[str, Any] | None, now: datetime) -> Planned | None:
        sent = sorted(state.get("sent", [])) if state else []
        current = sorted(i["_id"] for i in group.firing)
        spec = spec_for(self.rules, group.route.receiver, self.environ)
        unchanged = sent == current and not group.resolved
        if not (group.firing or group.resolved) or not self._is_due(group, state, now, unchanged, spec.kind):
            return None
        shown = group.firing + (group.resolved if spec.send_resolved else [])
        sequence = state.get("sequence", 0) if state else 0
        revisions = sorted((i["_id"], i["status"], i["revision"]) for i in group.firing + group.resolved)
        payload = webhook_payload(group.key, spec.name, group.labels, [alert(i, self.external_url) for i in shown],
                                  self.external_url)
        key = hashlib.sha256(json.dumps([group.key, payload["status"], revisions, sequence]).encode()).hexdigest()[:32]
        return Planned(key, group, spec.name, payload, current, sequence, spec.kind == "alertmanager")

    def _write(self, batch: list[Planned], now: datetime) -> int:
        """Queue the batch's notifications, note them on their incidents, then record the groups' state.

        In this order, a run that stops half-way is repeated by the next one with the same keys.
        """
        sendable = [p for p in batch if p.payload["alerts"]]  # not: only resolved, to a receiver not wanting them
        with unavailable_as_503():
            for p in sendable:
                if p.supersede:
                    self.store.outbox.update_many({"group_key": p.group.key, "state": "pending"},
                                                  {"$set": {"state": "superseded", "done_at": now}})
        insert_new(self.store.outbox, [{"_id": p.key, "group_key": p.group.key, "receiver": p.receiver,
                                        "status": p.payload["status"], "payload": p.payload, "state": "pending",
                                        "attempts": 0, "created_at": now, "next_attempt_at": now} for p in sendable])
        notes = [UpdateMany({"_id": {"$in": [i["_id"] for i in p.group.firing + p.group.resolved]}},
                            {"$push": {"notifications": {"$each": [{"key": p.key, "receiver": p.receiver,
                                                                    "status": p.payload["status"], "at": now}],
                                                         "$slice": -50}}}) for p in sendable]
        states = [UpdateOne({"_id": p.group.key}, {"$set": {
            "route": p.group.route.key, "receiver": p.receiver, "labels": p.group.labels, "last_sent_at": now,
            "sent": p.firing, "open": bool(p.firing), "sequence": p.sequence + 1}}, upsert=True) for p in batch]
        with unavailable_as_503():
            if notes:
                self.store.incidents.bulk_write(notes, ordered=False)
            self.store.groups.bulk_write(states, ordered=False)
        return len(sendable)
