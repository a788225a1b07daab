"""Alerting fixtures: a runtime with its own alerting.json, a clock the test moves, scored points."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from alerting.receiver import receiver  # noqa: F401
from metricwatch.alerting.notify import Notifier, NotifyOptions
from metricwatch.alerting.tracker import IncidentTracker
from metricwatch.points import Point
from metricwatch.runtime import Runtime, build_runtime
from metricwatch.store import MongoMetricStore, StoredPoint

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def alerting(tmp_path: Path, make_settings: Callable[..., Any], collection: Any, clock: Clock) -> Callable[..., Runtime]:
    """`alerting(rules, **environ)`: a runtime whose alerting.json is `rules` (None: the committed file)."""

    def make(rules: dict[str, Any] | None = None, **environ: str) -> Runtime:
        env = {}
        if rules is not None:
            path = tmp_path / "alerting.json"
            path.write_text(json.dumps(rules))
            env["ALERTING_PATH"] = str(path)
        runtime = build_runtime(make_settings(**env), store=MongoMetricStore(collection), environ=environ)
        object.__setattr__(runtime, "incidents", IncidentTracker(runtime.alerts, runtime.rules, clock))
        return runtime

    return make


def notifier(runtime: Runtime, clock: Clock, **options: Any) -> Notifier:
    options = {"timeout_seconds": 1.0, "deadline_seconds": 10.0, **options}
    return Notifier(runtime.alerts, runtime.rules, runtime.detector.catalog, runtime.store, runtime.heads,
                    runtime.environ, NotifyOptions(**options), clock)


def scored(minutes: float, anomaly: int, value: float = 100.0, name: str = "latency", score: float | None = None,
           **labels: str) -> StoredPoint:
    """A stored point of `name` at T0 + minutes with a verdict (band 90-110, expected 100)."""
    point = Point(name=name, value=value, timestamp=T0 + timedelta(minutes=minutes), labels=labels)
    verdict = {"anomaly": anomaly, "anomaly_score": score if score is not None else (0.99 if anomaly == -1 else 0.1),
               "model": "robust_zscore", "expected": 100.0, "lower": 90.0, "upper": 110.0}
    return StoredPoint(point, verdict)


def track(runtime: Runtime, *points: StoredPoint) -> dict[str, int]:
    runtime.store.insert(points)
    return runtime.incidents.track(points)
