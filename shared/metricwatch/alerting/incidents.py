"""One series' incident, as a MongoDB document, and how a verdict moves it on.

An incident is `pending` while anomalous points are counted towards the
route's `for_points`, `firing` once they reach it, and `resolved` after
`resolve_after_points` consecutive normal points (a `no_data` incident: as
soon as any point arrives). While pending or firing it holds `active`, the
key of a unique sparse index, so a series has at most one open incident of
each kind; resolving removes the key and keeps the document as history.

`revision` counts status changes (opened 1, resolved 2): with the group and
its sequence it makes a notification's stable key. Document fields:
_id, active, kind, status, metric, labels, series, fingerprint, alert_labels,
first_anomaly_at, last_anomaly_at (point times), anomalous_run, normal_run,
peak {score, value, expected, lower, upper, model, reason, timestamp},
opened_at, resolved_at, updated_at (wall clock), ends_at (point time), revision,
notifications [{key, receiver, status, at}].
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any, Mapping

from metricwatch.points import Point

ANOMALY, NO_DATA = "anomaly", "no_data"
ALERTNAMES = {ANOMALY: "MetricAnomaly", NO_DATA: "MetricNoData"}
PEAK_FIELDS = ("value", "expected", "lower", "upper", "model", "reason")


def alert_labels(kind: str, metric: str, labels: Mapping[str, str]) -> dict[str, str]:
    """The series' labels plus `alertname` and `metric` (ours win a clash: routing relies on them)."""
    return {**labels, "alertname": ALERTNAMES[kind], "metric": metric}


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable id of an alert's label set, 16 hex digits as in Alertmanager."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def active_key(kind: str, series: str) -> str:
    return f"{kind}|{series}"


def new_incident(kind: str, point: Point, now: datetime) -> dict[str, Any]:
    labels = alert_labels(kind, point.name, point.labels)
    return {"_id": uuid.uuid4().hex, "active": active_key(kind, point.series), "kind": kind, "status": "pending",
            "metric": point.name, "labels": dict(point.labels), "series": point.series,
            "fingerprint": fingerprint(labels), "alert_labels": labels, "first_anomaly_at": point.timestamp,
            "last_anomaly_at": point.timestamp, "anomalous_run": 0, "normal_run": 0, "peak": None,
            "opened_at": None, "resolved_at": None, "ends_at": None, "updated_at": now, "revision": 0,
            "notifications": []}


def fire(doc: dict[str, Any], now: datetime) -> None:
    doc.update(status="firing", opened_at=now, revision=doc["revision"] + 1)


def resolve(doc: dict[str, Any], at: datetime, now: datetime) -> None:
    doc.pop("active", None)
    doc.update(status="resolved", resolved_at=now, ends_at=at, revision=doc["revision"] + 1)


def on_anomaly(doc: dict[str, Any], point: Point, verdict: Mapping[str, Any], for_points: int,
               now: datetime) -> None:
    """Count an anomalous point; keep the peak (highest score); fire when the count reaches `for_points`."""
    doc.update(anomalous_run=doc["anomalous_run"] + 1, normal_run=0, last_anomaly_at=point.timestamp, updated_at=now)
    score = float(verdict.get("anomaly_score") or 0.0)
    if doc["peak"] is None or score > doc["peak"]["score"]:
        doc["peak"] = {"score": score, "timestamp": point.timestamp, "value": point.value,
                       **{k: verdict.get(k) for k in PEAK_FIELDS if k != "value"}}
    if doc["status"] == "pending" and doc["anomalous_run"] >= for_points:
        fire(doc, now)


def on_normal(doc: dict[str, Any], point: Point, resolve_after: int, now: datetime) -> bool:
    """Count a normal point on a firing incident; True when the incident is now resolved."""
    doc.update(normal_run=doc["normal_run"] + 1, updated_at=now)
    if doc["normal_run"] >= resolve_after:
        resolve(doc, point.timestamp, now)
        return True
    return False
