"""Incident bookkeeping in the request that stores the points (push and collectors).

One `find` reads the open incidents of the batch's scored series; only a
change writes (new incidents in one `insert_many`, each changed one with
`replace_one`), so a batch that changes no incident costs one round trip, and
a batch without a verdict none. Writes go after the points are stored: a
failure here leaves the points stored and is raised, so the caller retries.

A series known calm is left out of the find: most batches are normal points on
series with no open incident, and the find answers "none". An instance remembers,
per series, the head token of its last write after which the series had no open
incident of either kind as this tracker saw it (it read none, or resolved or
dropped all it read, and wrote that without error), when that write's bump said
a read then was complete (`Bump`, `detection/warm.py`). A later batch skips the
series when all its points are normal and its bump replaced exactly that token.
The find would have answered "none" too:

- only two things open an incident (or re-open one, a `replace_one` of a stale
  copy): this tracker, after a write of points, and the no-data sweep. Both are
  announced by a bump of the series' head first (the point write's own; the
  sweep's, `nodata.py`) and land within `SETTLE` of it, as the windows assume;
- one announced after the remembered write took its token: this bump would not
  have held;
- one announced before it had landed when that write's find was made (complete);
- resolving, dropping a pending incident and the notify run's notes open nothing;
- in this instance, a write and its incident bookkeeping run one at a time
  (`serial`, taken by `ingest.score_and_store`): otherwise a request could bump
  on the token of another request still between its insert and its incidents,
  read none, and be noted calm after that request opened one. A deployed
  function serves one request per instance (`max_instance_request_concurrency`
  1, infra/functions.tf), so the lock is only ever contended under `make run`.

Anything else is read as before: an anomalous point, a series not remembered (a
cold instance, no window kept: `PUSH_STATE_SERIES=0` or a model without context,
a write without a verdict since), a head another writer took, a find made while
another write may still land, a late or failed write. Normal points on no open
incident change nothing, so the answer and the incidents are the same either way.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Sequence

from metricwatch.alerting.incidents import ANOMALY, NO_DATA, active_key, alert_labels, new_incident, on_anomaly, \
    on_normal, resolve
from metricwatch.alerting.rules import AlertingRules
from metricwatch.alerting.store import AlertStore, insert_new
from metricwatch.store.base import StoredPoint
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import utcnow


class Calm:
    """Series key => the head token of the write after which it had no open incident; least recently used go first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._tokens: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def holds(self, series: str, points: Sequence[StoredPoint]) -> bool:
        """Whether these points of `series` cannot move an incident: all normal, and nobody wrote since it was calm."""
        bump = points[0].bump
        if bump is None or bump.held is None or not bump.complete or any(p.bump != bump for p in points):
            return False
        with self._lock:
            if self._tokens.get(series) != bump.held:
                return False
        return all(p.verdict.get("anomaly") != -1 for p in points)  # type: ignore[union-attr]

    def note(self, series: str, points: Sequence[StoredPoint], calm: bool) -> None:
        """After the batch's incidents are written: `series` is calm as of this write (when a read now is complete)."""
        bump = points[0].bump
        with self._lock:
            if not calm or bump is None or not bump.complete or any(p.bump != bump for p in points):
                self._tokens.pop(series, None)
                return
            self._tokens[series] = bump.token
            self._tokens.move_to_end(series)
            while len(self._tokens) > self.max_entries:
                self._tokens.popitem(last=False)


class IncidentTracker:
    def __init__(self, store: AlertStore, rules: AlertingRules, clock: Callable[[], Any] = utcnow,
                 calm_entries: int = 10_000) -> None:
        self.store = store
        self.rules = rules
        self.clock = clock
        self.calm = Calm(calm_entries)
        self.serial = threading.Lock()  # held across a write and its `track` (module docstring)

    def track(self, stored: Sequence[StoredPoint]) -> dict[str, int]:
        """Advance the incidents of these points' series; counts of opened, resolved and changed."""
        by_series: dict[str, list[StoredPoint]] = defaultdict(list)
        for s in sorted((s for s in stored if s.verdict), key=lambda s: s.point.timestamp):
            by_series[s.point.series].append(s)
        if not by_series:
            return {"opened": 0, "resolved": 0, "changed": 0}
        quiet = {series for series, points in by_series.items() if self.calm.holds(series, points)}
        open_now = self._open_now([series for series in by_series if series not in quiet])
        now, changed, dropped, left_open = self.clock(), [], [], set()
        counts = {"opened": 0, "resolved": 0}
        for series, points in by_series.items():
            if series in quiet:
                continue
            no_data = open_now.get(active_key(NO_DATA, series))
            if no_data is not None:  # any point ends a silence of the series
                resolve(no_data, points[0].point.timestamp, now)
                changed.append((no_data, False))
            before = open_now.get(active_key(ANOMALY, series))
            docs = self._advance(copy.deepcopy(before), points, now)
            if before is not None and (not docs or docs[0]["_id"] != before["_id"]):
                dropped.append(before["_id"])  # a pending incident whose run was broken
            if any("active" in doc for doc in docs):
                left_open.add(series)
            for doc in docs:
                if doc != before:
                    changed.append((doc, before is None or doc["_id"] != before["_id"]))
                    was_firing = before is not None and doc["_id"] == before["_id"] and before["status"] == "firing"
                    counts["opened"] += doc["revision"] >= 1 and not was_firing
            counts["resolved"] += no_data is not None
        counts["resolved"] += sum(1 for doc, _ in changed if doc["status"] == "resolved" and doc["kind"] == ANOMALY)
        self._write(changed, dropped)
        for series, points in by_series.items():
            self.calm.note(series, points, series not in left_open)
        return {**counts, "changed": len(changed) + len(dropped)}

    def _open_now(self, series: list[str]) -> dict[str, dict[str, Any]]:
        """The open incidents of these series, by `active` key: one find (none for no series)."""
        if not series:
            return {}
        keys = [active_key(kind, s) for s in series for kind in (ANOMALY, NO_DATA)]
        with unavailable_as_503():
            return {doc["active"]: doc for doc in self.store.incidents.find({"active": {"$in": keys}})}

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
