"""The metric store's contract, run on mongomock always and on a real MongoDB when MONGO_TEST_URL is set.

The real run also creates the collection the way production does (time-series
options, TTL, series index), which mongomock cannot do.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import mongomock
import pytest

from metricwatch.points import Point
from metricwatch.store import MongoMetricStore, StoredPoint
from metricwatch.store.timeseries import ensure_timeseries_collection

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
LIVE_URL = os.environ.get("MONGO_TEST_URL", "")


def _mongomock_store():
    yield MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.metrics)


def _live_store():
    from pymongo import MongoClient

    client = MongoClient(LIVE_URL, serverSelectionTimeoutMS=5000, tz_aware=True)
    db = client[f"metricwatch_test_{uuid.uuid4().hex[:8]}"]
    try:
        yield MongoMetricStore(ensure_timeseries_collection(db, "metrics", "seconds", 30))
    finally:
        client.drop_database(db.name)


@pytest.fixture(params=[
    pytest.param("mongomock"),
    pytest.param("live", marks=pytest.mark.skipif(
        not LIVE_URL, reason="MONGO_TEST_URL is not set: the live MongoDB contract run needs a real server "
                             "(e.g. MONGO_TEST_URL=mongodb://localhost:27017)")),
])
def store(request):
    gen = _mongomock_store() if request.param == "mongomock" else _live_store()
    yield next(gen)
    gen.close()


def pt(minutes: float, value: float, name: str = "cpu", **labels: str) -> StoredPoint:
    return StoredPoint(Point(name=name, value=value, timestamp=T0 + timedelta(minutes=minutes), labels=labels))


def test_insert_returns_how_many_were_written(store):
    assert store.insert([pt(i, i) for i in range(5)]) == 5
    assert store.insert([]) == 0


def test_a_series_is_its_exact_label_set_whatever_the_label_order(store):
    store.insert([
        StoredPoint(Point("cpu", 1.0, T0, {"host": "a", "dc": "x"})),
        StoredPoint(Point("cpu", 2.0, T0 + timedelta(minutes=1), {"dc": "x", "host": "a"})),
        StoredPoint(Point("cpu", 3.0, T0, {"host": "a"})),
    ])
    both = store.series_points("cpu", {"host": "a", "dc": "x"}, T0, T0 + timedelta(hours=1))
    assert list(both.values) == [1.0, 2.0]
    only_host = store.series_points("cpu", {"host": "a"}, T0, T0 + timedelta(hours=1))
    assert list(only_host.values) == [3.0]


def test_series_points_are_in_time_order_within_a_half_open_range(store):
    store.insert([pt(m, m) for m in (5, 1, 3, 2, 4, 0)])
    data = store.series_points("cpu", {}, T0 + timedelta(minutes=1), T0 + timedelta(minutes=4))
    assert list(data.values) == [1.0, 2.0, 3.0]
    assert data.timestamps[0] == (T0 + timedelta(minutes=1)).timestamp()


def test_last_points_are_the_n_latest_before_a_time_in_time_order(store):
    store.insert([pt(m, m) for m in range(10)])
    data = store.last_points("cpu", {}, 3, before=T0 + timedelta(minutes=8))
    assert list(data.values) == [5.0, 6.0, 7.0]
    assert len(store.last_points("cpu", {}, 0, before=T0 + timedelta(hours=1))) == 0


def test_label_sets_are_the_distinct_sets_seen_since_a_time(store):
    store.insert([pt(0, 1, user="ion"), pt(1, 1, user="maria"), pt(2, 1, user="ion"),
                  pt(-60, 1, user="old"), pt(0, 1, name="other", user="x")])
    assert store.label_sets("cpu", since=T0) == [{"user": "ion"}, {"user": "maria"}]


def test_verdicts_are_measurements_not_part_of_the_series(store):
    store.insert([StoredPoint(Point("cpu", 1.0, T0), {"anomaly": -1, "anomaly_score": 0.9, "model": "m"}),
                  StoredPoint(Point("cpu", 2.0, T0 + timedelta(minutes=1)), {"anomaly": 1, "anomaly_score": 0.1,
                                                                              "model": "m"})])
    assert store.label_sets("cpu", since=T0) == [{}]
    assert list(store.series_points("cpu", {}, T0, T0 + timedelta(hours=1)).values) == [1.0, 2.0]


def test_zero_and_negative_values_round_trip(store):
    store.insert([pt(0, 0.0), pt(1, -2.5)])
    assert list(store.series_points("cpu", {}, T0, T0 + timedelta(hours=1)).values) == [0.0, -2.5]


def test_duplicate_timestamps_are_all_kept(store):
    store.insert([pt(0, 1.0), pt(0, 2.0), pt(0, 3.0)])
    assert sorted(store.series_points("cpu", {}, T0, T0 + timedelta(hours=1)).values) == [1.0, 2.0, 3.0]
