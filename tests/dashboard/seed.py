"""Data the dashboard tests draw: a scored day of one-minute points with ONE anomaly, a hostile label
value on another series, incidents, and a week of minute points for the speed check."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from metricwatch.points import Point
from metricwatch.runtime import Runtime
from metricwatch.series import series_id
from metricwatch.store import StoredPoint

METRIC = "latency"
LABELS = {"host": "web-1", "region": "eu"}
HOSTILE = {"host": "<script>alert(1)</script>", "region": "eu"}
MODEL = "robust_seasonal"
ANOMALY_VALUE = 182.5
ANOMALY_SCORE = 0.97


@dataclass(frozen=True)
class Seeded:
    now: datetime  # the last point's minute
    anomaly_at: datetime


def expected(t: datetime) -> float:
    """A daily wave around 100: what the band follows."""
    return 100 + 20 * math.sin(2 * math.pi * (t.hour * 60 + t.minute) / 1440)


def scored_day(end: datetime, minutes: int, anomaly_at: datetime, name: str = METRIC,
               labels: dict[str, str] | None = None) -> list[StoredPoint]:
    """One point a minute up to `end`, each with a verdict; only the one at `anomaly_at` is anomalous."""
    points = []
    for i in range(minutes):
        t = end - timedelta(minutes=minutes - 1 - i)
        e = expected(t)
        wobble = 3 * math.sin(i * 0.7) + 2 * math.cos(i * 1.9)
        anomalous = t == anomaly_at
        value = ANOMALY_VALUE if anomalous else e + wobble
        verdict = {"anomaly": -1 if anomalous else 1, "anomaly_score": ANOMALY_SCORE if anomalous else 0.1,
                   "model": MODEL, "expected": e, "lower": e - 9, "upper": e + 9}
        points.append(StoredPoint(Point(name, value, t, dict(labels or LABELS)), verdict))
    return points


def incident(name: str, labels: dict[str, str], start: datetime, end: datetime | None,
             peak: dict[str, Any] | None = None) -> dict[str, Any]:
    """An incident document as the tracker writes it (only the fields the dashboard reads, and `series`)."""
    return {"_id": uuid.uuid4().hex, "kind": "anomaly", "status": "resolved" if end else "firing",
            "metric": name, "labels": dict(labels), "series": series_id(name, labels), "first_anomaly_at": start,
            "last_anomaly_at": start, "ends_at": end, "peak": peak, "revision": 2 if end else 1,
            **({} if end else {"active": f"anomaly|{series_id(name, labels)}"})}


def seed(runtime: Runtime, now: datetime) -> Seeded:
    """The day of `LABELS` with one anomaly six hours ago and its resolved incident; a few hours of
    `HOSTILE` with a firing incident; and `queue.depth`, unlabelled and never scored."""
    end = now.replace(second=0, microsecond=0)
    anomaly_at = end - timedelta(hours=6)
    runtime.store.insert(scored_day(end, 1440, anomaly_at))
    hostile = [StoredPoint(Point(METRIC, 50 + i % 7, end - timedelta(minutes=i), dict(HOSTILE)))
               for i in range(180)]
    runtime.store.insert(hostile)
    runtime.store.insert([StoredPoint(Point("queue.depth", float(i % 30), end - timedelta(minutes=5 * i)))
                          for i in range(288)])
    peak = {"score": ANOMALY_SCORE, "timestamp": anomaly_at, "value": ANOMALY_VALUE, "expected": expected(anomaly_at),
            "lower": expected(anomaly_at) - 9, "upper": expected(anomaly_at) + 9, "model": MODEL, "reason": "test"}
    runtime.alerts.incidents.insert_many([
        incident(METRIC, LABELS, anomaly_at, anomaly_at + timedelta(minutes=20), peak),
        incident(METRIC, HOSTILE, end - timedelta(minutes=30), None, {**peak, "timestamp": end}),
    ])
    return Seeded(now=end, anomaly_at=anomaly_at)


def week(runtime: Runtime, now: datetime, name: str = "throughput") -> int:
    """Seven days of one-minute scored points (10,080), with one anomaly a day ago."""
    end = now.replace(second=0, microsecond=0)
    points = scored_day(end, 7 * 1440, end - timedelta(days=1), name=name, labels={"service": "api"})
    runtime.store.insert(points)
    return len(points)
