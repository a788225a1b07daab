"""The store's de-duplication and read-back contract (collectors and the query function rely on it).

Run on mongomock always and on a real MongoDB time-series collection when MONGO_TEST_URL is set.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import mongomock
import pytest

from metricwatch.errors import InvalidInput
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


def pt(minutes: float, value: float, name: str = "cpu", verdict: dict | None = None, **labels: str) -> StoredPoint:
    return StoredPoint(Point(name=name, value=value, timestamp=T0 + timedelta(minutes=minutes), labels=labels),
                       verdict=verdict)


# -- de-duplication ------------------------------------------------------------------------------
def test_existing_series_at_names_only_series_with_a_point_at_exactly_that_time(store):
    store.insert([pt(0, 1, user="ion"), pt(1, 2, user="maria")])
    ion, maria = pt(0, 0, user="ion").point.series, pt(0, 0, user="maria").point.series
    assert store.existing_series_at([ion, maria], T0) == {ion}
    assert store.existing_series_at([ion, maria], T0 + timedelta(minutes=1)) == {maria}
    assert store.existing_series_at([ion, maria], T0 + timedelta(seconds=30)) == set()


def test_existing_series_at_with_no_series_asks_nothing(store):
    assert store.existing_series_at([], T0) == set()


# -- reading back --------------------------------------------------------------------------------
def test_find_points_returns_values_and_verdicts_in_time_order(store):
    store.insert([pt(2, 20, verdict={"anomaly": -1, "anomaly_score": 0.9}), pt(1, 10), pt(3, 30, name="other")])
    page = store.find_points("cpu", {}, None, None, limit=10)
    assert [s.point.value for s in page.points] == [10.0, 20.0]
    assert page.points[0].verdict is None
    assert page.points[1].verdict == {"anomaly": -1, "anomaly_score": 0.9}
    assert page.points[1].point.timestamp == T0 + timedelta(minutes=2)
    assert page.after is None


def test_find_points_filters_by_a_subset_of_labels_and_a_half_open_time_range(store):
    store.insert([pt(m, m, user=u, dc="x") for m in range(6) for u in ("ion", "maria")])
    page = store.find_points("cpu", {"user": "ion"}, T0 + timedelta(minutes=1), T0 + timedelta(minutes=4), 10)
    assert [(s.point.value, s.point.labels) for s in page.points] == [
        (float(m), {"dc": "x", "user": "ion"}) for m in (1, 2, 3)]


def test_pages_cover_every_point_once_even_when_timestamps_tie(store):
    store.insert([pt(m // 3, m, user=str(m % 3)) for m in range(10)])
    seen, after = [], None
    for _ in range(10):
        page = store.find_points("cpu", {}, None, None, limit=4, after=after)
        seen += [s.point.value for s in page.points]
        after = page.after
        if after is None:
            break
    assert sorted(seen) == [float(m) for m in range(10)] and len(seen) == 10


def test_a_cursor_that_no_page_gave_is_refused(store):
    with pytest.raises(InvalidInput) as err:
        store.find_points("cpu", {}, None, None, 10, after=(T0, "not-an-id"))
    assert err.value.details["field"] == "cursor"


def test_metrics_lists_every_metric_with_its_label_sets(store):
    store.insert([pt(0, 1, user="maria"), pt(0, 1, user="ion"), pt(1, 1, user="ion"), pt(0, 1, name="up")])
    assert store.metrics() == {"cpu": [{"user": "ion"}, {"user": "maria"}], "up": [{}]}
