"""The interface outside checks rely on, through the handlers: POST /feedback not_anomaly on a spike,
POST /train?metric=NAME, and the same spike at the same time of a later day gets verdict 1.

Also when the mark is older than the training interval: the trainer reads that stretch back, so a
false alarm stays accepted for as long as its mark is kept.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from conftest import call
from metricwatch.api.feedback import feedback
from metricwatch.api.push import push
from metricwatch.api.train import train
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore

DAY0 = datetime(2026, 11, 1, tzinfo=timezone.utc)  # midnight UTC
STEP = timedelta(minutes=5)
SPIKE = 10.0  # noise sigmas


@pytest.fixture
def seasonal(tmp_path, make_settings, collection):
    path = tmp_path / "watched.json"
    path.write_text(json.dumps([{"name": "orders", "train_interval": {"days": 7}}]))  # the default model
    return build_runtime(make_settings(DETECTION_METRICS_PATH=str(path)), store=MongoMetricStore(collection))


def history(days: int, spike_at: datetime) -> list[dict]:
    rng = np.random.default_rng(3)
    out = []
    for i in range(int(timedelta(days=days) / STEP)):
        t = DAY0 + i * STEP
        value = 100 + 10 * np.sin(2 * np.pi * i * STEP / timedelta(days=1)) + rng.normal(0, 1)
        out.append({"name": "orders", "labels": {"shop": "eu"}, "timestamp": t.isoformat(),
                    "value": float(value + (SPIKE if t == spike_at else 0.0))})
    return out


def spike_at(runtime, when: datetime) -> int:
    """Push the usual value at `when` plus the spike, and return its verdict."""
    usual = 100 + 10 * np.sin(2 * np.pi * ((when - DAY0) / timedelta(days=1)))
    status, body = call(push, runtime, json_body={"name": "orders", "labels": {"shop": "eu"},
                                                   "timestamp": when.isoformat(), "value": float(usual + SPIKE)})
    assert status == 201, body
    return body["points"][0]["anomaly"]


def mark_and_retrain(runtime, spike: datetime, now: datetime) -> dict:
    status, made = call(feedback, runtime, json_body={
        "metric": "orders", "labels": {"shop": "eu"}, "kind": "not_anomaly", "comment": "marketing mail",
        "start": (spike - STEP).isoformat(), "end": (spike + STEP).isoformat()})
    assert status == 201, made
    runtime.detector.clock = lambda: now
    status, summary = call(train, runtime, method="POST", query={"metric": "orders"})
    assert status == 200, summary
    return summary["models"][0]


@pytest.mark.parametrize("days_before, spike_day", [(8, 6), (12, 2)], ids=["inside the interval", "older than it"])
def test_a_spike_marked_not_anomaly_and_retrained_is_normal_at_the_same_time_of_a_later_day(
        seasonal, days_before, spike_day):
    spike = DAY0 + timedelta(days=spike_day, hours=14)
    points = history(days_before, spike)
    assert call(push, seasonal, json_body=points)[0] == 201
    now = DAY0 + timedelta(days=days_before)
    seasonal.detector.clock = lambda: now
    assert call(train, seasonal, method="POST", query={"metric": "orders"})[0] == 200
    later = now + timedelta(hours=14)
    assert spike_at(seasonal, later) == -1  # without feedback: the alarm
    seasonal.store.collection.delete_many({"time": later})
    entry = mark_and_retrain(seasonal, spike, now)
    assert entry["feedback"]["marks"]["not_anomaly"] == 1
    assert spike_at(seasonal, later) == 1
