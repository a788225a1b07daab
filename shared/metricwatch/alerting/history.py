"""Incidents as spans of time, for the pages and data sources that draw them over a series.

A span runs from the incident's first anomalous point to the point that
resolved it; a firing incident's span is still open (`end` None). Pending
incidents (anomalous points still counted towards `for_points`) never reached
anyone and are not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from metricwatch.alerting.store import AlertStore
from metricwatch.store.mongo import unavailable_as_503
from metricwatch.timeutil import as_utc

SHOWN = ["firing", "resolved"]


@dataclass(frozen=True)
class IncidentSpan:
    id: str
    kind: str  # "anomaly" or "no_data"
    status: str  # "firing" or "resolved"
    metric: str
    labels: dict[str, str]
    start: datetime
    end: datetime | None  # None while firing
    peak: dict[str, Any] | None  # score, value, expected, lower, upper, model, reason, timestamp

    def to_dict(self) -> dict[str, Any]:
        peak = dict(self.peak) if self.peak else None
        if peak and isinstance(peak.get("timestamp"), datetime):
            peak["timestamp"] = as_utc(peak["timestamp"]).isoformat()
        return {"id": self.id, "kind": self.kind, "status": self.status, "metric": self.metric,
                "labels": self.labels, "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None, "peak": peak}


def _span(doc: dict[str, Any]) -> IncidentSpan:
    ends = doc.get("ends_at")
    return IncidentSpan(id=str(doc["_id"]), kind=doc["kind"], status=doc["status"], metric=doc["metric"],
                        labels=dict(doc.get("labels") or {}), start=as_utc(doc["first_anomaly_at"]),
                        end=as_utc(ends) if ends else None, peak=doc.get("peak"))


def incidents_between(alerts: AlertStore, metric: str, labels: dict[str, str], start: datetime,
                      end: datetime, limit: int = 500) -> list[IncidentSpan]:
    """Incidents of `metric` whose labels include `labels` and whose span overlaps [start, end), oldest first;
    past `limit`, the newest `limit` of them (the ones a person looking at the range came for)."""
    query: dict[str, Any] = {"metric": metric, "status": {"$in": SHOWN}, "first_anomaly_at": {"$lt": end},
                             "$or": [{"ends_at": None}, {"ends_at": {"$gte": start}}]}
    query.update({f"labels.{k}": v for k, v in labels.items()})
    with unavailable_as_503():
        docs = list(alerts.incidents.find(query).sort("first_anomaly_at", -1).limit(limit))
    return [_span(d) for d in reversed(docs)]


def firing(alerts: AlertStore, limit: int = 1000) -> list[IncidentSpan]:
    """Every firing incident, newest first (the dashboard's overview puts their series first)."""
    with unavailable_as_503():
        docs = alerts.incidents.find({"status": "firing"}).sort("first_anomaly_at", -1).limit(limit)
        return [_span(d) for d in docs]
