"""Incident bookkeeping in the request that stores the points (push and collectors).

One `find` reads the open incidents of the batch's scored series; only a
change writes (new incidents in one `insert_many`, each changed one with
`replace_one`), so a batch that changes no incident costs one round trip, and
a batch without a verdict none. Writes go after the points are stored: a
failure here leaves the points stored and is raised, so the caller retries.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Sequence

from metricwatch.alerting.incidents import ANOMALY, NO_DATA, active_key, alert_labels, new_incident, on_anomaly, \
    on_normal, resolve
from metricwatch.alerting.rules import AlertingRules
from metricwatch.alerting.store import AlertStore, insert_new
from metricwatch.store.base import StoredPoint
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import utcnow


class IncidentTracker:
    def __init__(self, store: AlertStore, rules: AlertingRules, clock: Callable[[], Any] = utcnow) -> None:
        self.store = store
        self.rules = rules
        self.clock = clock

    def track(self, stored: Sequence[StoredPoint]) -> dict[str, int]:
        """Advance the incidents of these points' series; counts of opened, resolved and changed."""
        by_series: dict[str, list[StoredPoint]] = defaultdict(list)
        for s in sorted((s for s in stored if s.verdict), key=lambda s: s.point.timestamp):
            by_series[s.point.series].append(s)
        if not by_series:
            return {"opened": 0, "resolved": 0, "changed": 0}
        keys = [active_key(kind, series) for series in by_series for kind in (ANOMALY, NO_DATA)]
        with unavailable_as_503():
            open_now = {doc["active"]: doc for doc in self.store.incidents.find({"active": {"$in": keys}})}
        now, changed, dropped = self.clock(), [], []
        counts = {"opened": 0, "resolved": 0}
        for series, points in by_series.items():
            no_data = open_now.get(active_key(NO_DATA, series))
            if no_data is not None:  # any point ends a silence of the series
                resolve(no_data, points[0].point.timestamp, now)
                changed.append((no_data, False))
            before = open_now.get(active_key(ANOMALY, series))
            docs = self._advance(copy.deepcopy(before), points, now)
            if before is not None and (not docs or docs[0]["_id"] != before["_id"]):
                dropped.append(before["_id"])  # a pending incident whose run was broken
            for doc in docs:
                if doc != before:
                    changed.append((doc, before is None or doc["_id"] != before["_id"]))
                    was_firing = before is not None and doc["_id"] == before["_id"] and before["status"] == "firing"
                    counts["opened"] += doc["revision"] >= 1 and not was_firing
            counts["resolved"] += no_data is not None
        counts["resolved"] += sum(1 for doc, _ in changed if doc["status"] == "resolved" and doc["kind"] == ANOMALY)
        self._write(changed, dropped)
        return {**counts, "changed": len(changed) + len(dropped)}

    def _advance(self, doc: dict[str, Any] | None, points: list[StoredPoint], now: Any) -> list[dict[str, Any]]:
        """The series' incidents after these points: the open one, and any this batch resolved before it."""
        first = points[0].point
        route = self.rules.routes_for(alert_labels(ANOMALY, first.name, first.labels))[0]
        done: list[dict[str, Any]] = []
        for s in points:
            if s.verdict.get("anomaly") == -1:
                if doc is None:
                    doc = new_incident(ANOMALY, s.point, now)
                on_anomaly(doc, s.point, s.verdict, route.for_points, now)
            elif doc is not None and doc["status"] == "pending":
                doc = None  # Prometheus' pending alert: the run was broken before `for`
            elif doc is not None and on_normal(doc, s.point, route.resolve_after_points, now):
                done, doc = done + [doc], None
        return done + ([doc] if doc is not None else [])

    def _write(self, changed: list[tuple[dict[str, Any], bool]], dropped: list[str]) -> None:
        """New incidents in one insert (one another instance opened meanwhile wins), then the changed ones."""
        insert_new(self.store.incidents, [doc for doc, is_new in changed if is_new])
        with unavailable_as_503():
            for doc, is_new in changed:
                if not is_new:
                    self.store.incidents.replace_one({"_id": doc["_id"]}, doc)
            if dropped:
                self.store.incidents.delete_many({"_id": {"$in": dropped}})
