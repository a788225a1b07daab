"""The store's de-duplication and read-back contract (collectors and the query function rely on it).

Run on mongomock always and on a real MongoDB time-series collection when MONGO_TEST_URL is set.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from metricwatch.errors import InvalidInput
from store_fixtures import T0, pt  # the `store` fixture (mongomock, and live MongoDB) comes from conftest


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


def test_pages_cover_every_point_once_in_time_order_even_when_timestamps_tie(store):
    store.insert([pt(m // 3, m, user=str(m % 3)) for m in reversed(range(10))])
    seen, after = [], None
    for _ in range(10):
        page = store.find_points("cpu", {}, None, None, limit=4, after=after)
        seen += [(s.point.timestamp, s.point.value) for s in page.points]
        after = page.after
        if after is None:
            break
    times, values = [t for t, _ in seen], [v for _, v in seen]
    assert times == [T0 + timedelta(minutes=m // 3) for m in range(10)]  # time order across pages
    assert sorted(values) == [float(m) for m in range(10)]  # every point once


def test_a_cursor_that_no_page_gave_is_refused(store):
    with pytest.raises(InvalidInput) as err:
        store.find_points("cpu", {}, None, None, 10, after=(T0, "not-an-id"))
    assert err.value.details["field"] == "cursor"


def test_metrics_lists_every_metric_with_its_label_sets(store):
    store.insert([pt(0, 1, user="maria"), pt(0, 1, user="ion"), pt(1, 1, user="ion"), pt(0, 1, name="up")])
    assert store.metrics() == {"cpu": [{"user": "ion"}, {"user": "maria"}], "up": [{}]}
