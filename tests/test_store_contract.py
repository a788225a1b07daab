"""The metric store's contract, run on mongomock always and on a real MongoDB when MONGO_TEST_URL is set.

The real run also creates the collection the way production does (time-series
options, TTL, series index), which mongomock cannot do.
"""

from __future__ import annotations

from datetime import timedelta

from metricwatch.points import Point
from metricwatch.store import StoredPoint
from store_fixtures import T0, pt  # the `store` fixture (mongomock, and live MongoDB) comes from conftest


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


def test_last_points_are_the_n_latest_up_to_a_time_in_time_order(store):
    store.insert([pt(m, m) for m in range(10)])
    data = store.last_points("cpu", {}, 3, until=T0 + timedelta(minutes=8))
    assert list(data.values) == [6.0, 7.0, 8.0]
    assert len(store.last_points("cpu", {}, 0, until=T0 + timedelta(hours=1))) == 0


def test_latest_point_is_the_newest_up_to_a_time_with_its_labels_and_verdict(store):
    store.insert([pt(m, m) for m in range(5)])
    store.insert([StoredPoint(Point("cpu", 9.0, T0 + timedelta(minutes=3), {"host": "b"}))])
    latest = store.latest_point("cpu", {}, until=T0 + timedelta(minutes=3))
    assert (latest.point.value, latest.point.timestamp, latest.point.labels) == (3.0, T0 + timedelta(minutes=3), {})
    assert store.latest_point("cpu", {"host": "b"}, until=T0 + timedelta(hours=1)).point.value == 9.0
    assert store.latest_point("cpu", {}, until=T0 - timedelta(minutes=1)) is None
    assert store.latest_point("nope", {}, until=T0 + timedelta(hours=1)) is None


def test_last_points_include_a_point_already_stored_at_that_very_time_in_arrival_order(store):
    store.insert([pt(0, 1.0), pt(1, 2.0)])
    store.insert([pt(1, 3.0)])  # the same time again: a resend
    assert list(store.last_points("cpu", {}, 5, until=T0 + timedelta(minutes=1)).values) == [1.0, 2.0, 3.0]


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
