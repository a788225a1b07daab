"""Downsampling on the server, run on mongomock always and on a real MongoDB when MONGO_TEST_URL is set.

The pipeline is plain `$group` arithmetic that both evaluate; the live run is
what proves a real server buckets time-series documents the same way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from metricwatch.store.buckets import EPOCH, buckets_pipeline, choose_step
from store_fixtures import T0, pt  # the `store` fixture (mongomock, and live MongoDB) comes from conftest

NORMAL = {"anomaly": 1, "anomaly_score": 0.1, "model": "m", "expected": 10.0, "lower": 8.0, "upper": 12.0}
SPIKE = {**NORMAL, "anomaly": -1, "anomaly_score": 0.97, "expected": 11.0, "lower": 9.0, "upper": 13.0}


def ten_minutes(store, **labels):
    """Minute points 0..9 valued by their minute; minute 7 is an anomaly."""
    store.insert([pt(m, float(m), verdict=SPIKE if m == 7 else NORMAL, **labels) for m in range(10)])


def test_each_bucket_has_the_mean_min_max_and_count_of_its_points(store):
    ten_minutes(store, host="a")
    page = store.buckets("cpu", {}, T0, T0 + timedelta(minutes=10), timedelta(minutes=5), limit=100)
    [series] = page.series
    assert series.labels == {"host": "a"}
    first, second = series.buckets
    assert (first.time, first.mean, first.min, first.max, first.count) == (T0, 2.0, 0.0, 4.0, 5)
    assert (second.time, second.mean, second.min, second.max, second.count) == (T0 + timedelta(minutes=5), 7.0, 5.0, 9.0, 5)
    assert not page.truncated


def test_a_bucket_is_anomalous_when_any_of_its_points_was_and_keeps_the_peak_score(store):
    ten_minutes(store)
    first, second = store.buckets("cpu", {}, T0, T0 + timedelta(minutes=10), timedelta(minutes=5), limit=100).series[0].buckets
    assert (first.anomaly, first.anomalies, first.score) == (1, 0, 0.1)
    assert (second.anomaly, second.anomalies, second.score) == (-1, 1, 0.97)


def test_the_band_is_the_mean_expected_and_the_widest_lower_and_upper(store):
    ten_minutes(store)
    second = store.buckets("cpu", {}, T0, T0 + timedelta(minutes=10), timedelta(minutes=5), limit=100).series[0].buckets[1]
    assert second.expected == pytest.approx((4 * 10.0 + 11.0) / 5)
    assert (second.lower, second.upper) == (8.0, 13.0)


def test_points_without_a_verdict_give_buckets_without_a_band_or_score(store):
    store.insert([pt(m, 1.0) for m in range(3)])
    [bucket] = store.buckets("cpu", {}, T0, T0 + timedelta(minutes=3), timedelta(minutes=5), limit=10).series[0].buckets
    assert (bucket.anomaly, bucket.score, bucket.expected, bucket.lower, bucket.upper) == (None, None, None, None, None)


def test_buckets_start_on_multiples_of_the_step_since_the_epoch_whatever_the_range(store):
    ten_minutes(store)
    shifted = store.buckets("cpu", {}, T0 + timedelta(minutes=2), T0 + timedelta(minutes=10), timedelta(minutes=5), limit=10)
    times = [b.time for b in shifted.series[0].buckets]
    assert times == [T0, T0 + timedelta(minutes=5)]  # the first bucket holds minutes 2-4 only
    assert all((t - EPOCH) % timedelta(minutes=5) == timedelta(0) for t in times)
    assert shifted.series[0].buckets[0].count == 3


def test_each_series_matching_the_labels_gets_its_own_buckets_in_series_order(store):
    ten_minutes(store, host="b", dc="x")
    ten_minutes(store, host="a", dc="x")
    ten_minutes(store, host="c", dc="y")
    page = store.buckets("cpu", {"dc": "x"}, T0, T0 + timedelta(minutes=10), timedelta(minutes=10), limit=10)
    assert [s.labels for s in page.series] == [{"dc": "x", "host": "a"}, {"dc": "x", "host": "b"}]
    assert [len(s.buckets) for s in page.series] == [1, 1]


def test_anomalies_only_buckets_only_the_anomalous_points(store):
    ten_minutes(store)
    [bucket] = store.buckets("cpu", {}, T0, T0 + timedelta(minutes=10), timedelta(minutes=5), limit=10,
                             anomalies_only=True).series[0].buckets
    assert (bucket.time, bucket.count, bucket.mean) == (T0 + timedelta(minutes=5), 1, 7.0)


def test_more_rows_than_the_limit_says_it_was_truncated(store):
    ten_minutes(store)
    page = store.buckets("cpu", {}, T0, T0 + timedelta(minutes=10), timedelta(minutes=1), limit=4)
    assert page.truncated and len(page.series[0].buckets) == 4


def test_the_time_range_is_the_first_and_last_matching_point(store):
    ten_minutes(store, host="a")
    assert store.time_range("cpu", {"host": "a"}) == (T0, T0 + timedelta(minutes=9))
    assert store.time_range("cpu", {}, anomalies_only=True) == (T0 + timedelta(minutes=7),) * 2
    assert store.time_range("cpu", {"host": "nope"}) is None


def test_what_is_sent_to_the_server_is_one_match_group_sort_and_limit():
    pipeline = buckets_pipeline("cpu", {"host": "a"}, T0, T0 + timedelta(hours=1), timedelta(minutes=5), False, 500)
    assert [next(iter(stage)) for stage in pipeline] == ["$match", "$group", "$sort", "$limit"]
    match, group = pipeline[0]["$match"], pipeline[1]["$group"]
    assert match == {"meta.name": "cpu", "meta.labels.host": "a", "time": {"$gte": T0, "$lt": T0 + timedelta(hours=1)}}
    assert group["_id"]["time"] == {"$subtract": ["$time", {"$mod": [{"$subtract": ["$time", EPOCH]}, 300_000]}]}
    assert pipeline[3] == {"$limit": 501}


@pytest.mark.parametrize("span, budget, step", [
    (timedelta(days=7), 500, timedelta(minutes=30)),
    (timedelta(hours=1), 500, timedelta(seconds=10)),
    (timedelta(hours=1), 61, timedelta(minutes=1)),
    (timedelta(days=3650), 100, timedelta(days=365)),
])
def test_a_point_budget_picks_the_smallest_nice_step_that_fits(span, budget, step):
    assert choose_step(T0, T0 + span, budget) == step
    assert span / step <= budget - 1
