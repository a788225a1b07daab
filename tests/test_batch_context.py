"""A batch reads the context of all its series in one store round trip, with the per-series path's verdicts.

`MetricStore.last_points_many` must answer exactly what `last_points` answers
for each series (`last_points_each` is that per-series reference), whatever
its `since` hints; the detector scoring a batch with it must give verdicts
identical to scoring it with one read per series.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import mongomock
import numpy as np
import pytest

from conftest import NOW, history
from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.detector import Detector
from metricwatch.detection.scoring import context_window
from metricwatch.modelstore.cache import ModelCache
from metricwatch.modelstore.local import FileModelStore
from metricwatch.points import Point
from metricwatch.store import MongoMetricStore, StoredPoint
from metricwatch.store.base import Window, last_points_each
from metricwatch.store.mongo import windows_query
from store_fixtures import T0, pt

STEP = timedelta(minutes=5)


class Counting:
    """The collection, counting the round trips (queries and writes) made on it."""

    def __init__(self, collection) -> None:
        self.collection, self.calls = collection, []

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if name in ("find", "find_one", "aggregate", "distinct", "count_documents", "insert_many"):
            def counted(*args, **kwargs):
                self.calls.append(name)
                return attr(*args, **kwargs)
            return counted
        return attr


class PerSeries:
    """The store, reading each series' context on its own: the path before batching."""

    def __init__(self, store) -> None:
        self.store = store

    def __getattr__(self, name):
        return getattr(self.store, name)

    def last_points_many(self, windows):
        return last_points_each(self.store, windows)


def same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x.timestamps) == list(y.timestamps) and list(x.values) == list(y.values)


# -- the store ------------------------------------------------------------------------------

def test_many_windows_are_each_series_last_points_in_one_find(store):
    store.insert([pt(m, m, host=h) for h in "abc" for m in range(20)])
    store.insert([pt(10, 99.0, host="a")])  # a resend at the same time: after the first copy, as last_points has it
    until = T0 + timedelta(minutes=12)
    windows = [Window("cpu", {"host": h}, 5, until, until - timedelta(minutes=10)) for h in "abc"]
    counting = Counting(store.collection)
    got = MongoMetricStore(counting).last_points_many(windows)
    same(got, last_points_each(store, windows))
    assert list(got[0].values) == [9.0, 10.0, 99.0, 11.0, 12.0]
    assert counting.calls == ["find"]


def test_a_window_its_hint_leaves_short_is_read_on_its_own_and_still_exact(store):
    store.insert([pt(m, m, host="gap") for m in range(10)] + [pt(m, m, host="gap") for m in (50, 51)])
    store.insert([pt(m, m, host="new") for m in (58, 59)])  # a series younger than its window
    store.insert([pt(m, m, host="full") for m in range(60)])
    until = T0 + timedelta(minutes=60)
    windows = [Window("cpu", {"host": h}, 5, until, until - timedelta(minutes=8)) for h in ("gap", "new", "full")]
    counting = Counting(store.collection)
    got = MongoMetricStore(counting).last_points_many(windows)
    same(got, last_points_each(store, windows))
    assert list(got[0].values) == [7.0, 8.0, 9.0, 50.0, 51.0]
    assert counting.calls == ["find", "find", "find"]  # the batch, then the two short ones


def test_windows_with_their_own_times_no_hint_or_no_points_wanted(store):
    store.insert([pt(m, m, host=h) for h in "ab" for m in range(30)] + [pt(m, m, name="mem") for m in range(30)])
    windows = [Window("cpu", {"host": "a"}, 4, T0 + timedelta(minutes=10), T0 + timedelta(minutes=4)),
               Window("cpu", {"host": "b"}, 4, T0 + timedelta(minutes=20), T0 + timedelta(minutes=14)),
               Window("mem", {}, 4, T0 + timedelta(minutes=20)),  # no hint
               Window("cpu", {"host": "a"}, 0, T0 + timedelta(minutes=20), T0),  # no context wanted
               Window("nope", {}, 3, T0 + timedelta(minutes=20), T0)]  # no such series
    counting = Counting(store.collection)
    got = MongoMetricStore(counting).last_points_many(windows)
    same(got, last_points_each(store, windows))
    assert [len(g) for g in got] == [4, 4, 4, 0, 0]
    assert counting.calls.count("find") == 3  # the batch, the window without a hint, the missing series


def test_the_query_sent_is_one_in_per_shared_time_range_on_the_series_index():
    t, s = T0 + timedelta(minutes=5), T0
    assert windows_query([("k1", s, t), ("k2", s, t), ("k1", s, t)]) == {
        "meta.series": {"$in": ["k1", "k2"]}, "time": {"$gte": s, "$lte": t}}
    later = t + timedelta(minutes=1)
    assert windows_query([("k1", s, t), ("k2", s, later)]) == {"$or": [
        {"meta.series": {"$in": ["k1"]}, "time": {"$gte": s, "$lte": t}},
        {"meta.series": {"$in": ["k2"]}, "time": {"$gte": s, "$lte": later}}]}


def test_a_store_with_naive_datetimes_gives_the_same_windows():
    """pymongo without tz_aware hands back naive UTC datetimes; the window's bounds still apply."""
    naive = MongoMetricStore(mongomock.MongoClient().db.m)
    naive.insert([pt(m, m) for m in range(20)])
    until = T0 + timedelta(minutes=15)
    windows = [Window("cpu", {}, 6, until, until - timedelta(minutes=7))]
    same(naive.last_points_many(windows), last_points_each(naive, windows))


# -- the detector -------------------------------------------------------------------------

def seeded(collection, series: dict[str, tuple[float, timedelta, int]], end: datetime = NOW) -> MongoMetricStore:
    """Each user's history: (base, step, points), ending 10 minutes before `end`."""
    store = MongoMetricStore(collection)
    for i, (user, (base, step, n)) in enumerate(series.items()):
        start = end - timedelta(minutes=10) - n * step
        store.insert([StoredPoint(Point("latency", v, t, {"user": user}))
                      for t, v in history(start, n, step=step, base=base, seed=i)])
    return store


def detector(store, tmp_path, model="robust_seasonal") -> Detector:
    models = FileModelStore(tmp_path / "models")
    catalog = {"latency": WatchedMetric("latency", model, {}, timedelta(days=7)),
               "errors": WatchedMetric("errors", "robust_zscore", {}, timedelta(days=7))}
    return Detector(catalog, store, models, ModelCache(models, 3600), clock=lambda: NOW)


def a_batch(users, rng) -> list[Point]:
    """Out of order, several points per series, spikes and plain values, and series of other metrics."""
    points = []
    for u in users:
        for k in range(3):
            value = float(rng.choice([100.0, 101.0, 5000.0, 50.0]))
            points.append(Point("latency", value, NOW - timedelta(minutes=3 * k), {"user": u}))
    points += [Point("latency", 100.0, NOW, {"user": "untrained"}), Point("errors", 1.0, NOW)]
    return [points[i] for i in rng.permutation(len(points))]


@pytest.fixture
def trained(collection, tmp_path):
    users = {f"u{i}": (100.0 * (i + 1), STEP, 700) for i in range(6)}
    users["minutely"] = (40.0, timedelta(minutes=1), 1500)
    store = seeded(collection, users)
    d = detector(store, tmp_path)
    assert len(d.train().models) == len(users)
    return d, list(users)


def test_a_batch_over_many_series_gets_the_per_series_verdicts_exactly_in_one_read(trained, collection):
    d, users = trained
    rng = np.random.default_rng(7)
    for _ in range(3):
        batch = a_batch(users, rng)
        d.store = PerSeries(MongoMetricStore(collection))
        expected = d.score_points(batch)
        counting = Counting(collection)
        d.store = MongoMetricStore(counting)
        got = d.score_points(batch)
        assert got == expected
        assert sum(v is not None for v in got) == 3 * len(users)
        assert any(v and v["anomaly"] == -1 for v in got) and any(v and v["anomaly"] == 1 for v in got)
        assert counting.calls == ["find"]


def test_a_series_with_a_gap_in_its_window_is_read_again_and_judged_the_same(trained, collection):
    d, users = trained
    store = MongoMetricStore(collection)
    # u0 stops for a day and comes back with a few points: its window reaches past its hint
    store.insert([StoredPoint(Point("latency", 100.0 + k, NOW + timedelta(days=1, minutes=5 * k), {"user": "u0"}))
                  for k in range(3)])
    later = NOW + timedelta(days=1, minutes=20)
    batch = [Point("latency", v, later if u == "u0" else NOW, {"user": u}) for u in users for v in (100.0, 9000.0)]
    d.store = PerSeries(store)
    expected = d.score_points(batch)
    counting = Counting(collection)
    d.store = MongoMetricStore(counting)
    assert d.score_points(batch) == expected
    assert counting.calls == ["find", "find"]  # the batch, then u0 on its own


def test_a_batch_of_models_that_want_no_context_reads_nothing(collection, tmp_path):
    store = seeded(collection, {"a": (100.0, STEP, 300), "b": (200.0, STEP, 300)})
    d = detector(store, tmp_path, model="robust_zscore")
    d.train()
    counting = Counting(collection)
    d.store = MongoMetricStore(counting)
    verdicts = d.score_points([Point("latency", 100.0, NOW, {"user": u}) for u in "ab"])
    assert all(v is not None for v in verdicts) and counting.calls == []


def test_the_context_hint_is_the_models_points_back_by_its_training_step_with_slack(trained):
    d, _ = trained
    first = Point("latency", 1.0, NOW, {"user": "u0"})
    model = d.cache.get(d.object_name(d.catalog["latency"], first.labels))
    window = context_window(model, first)
    assert (window.n, window.until) == (model.context_points, NOW)
    assert window.since == NOW - timedelta(seconds=300.0 * (model.context_points * 1.25 + 2))
    untrained = type(model)()  # a model saved before its step was kept gives no hint: read on its own
    assert context_window(untrained, first).since is None


def test_a_push_of_a_batch_over_many_series_is_one_read_and_one_insert(make_settings, collection, tmp_path):
    from conftest import call
    from metricwatch.api.push import push
    from metricwatch.runtime import build_runtime

    watch = tmp_path / "watch.json"
    watch.write_text('[{"name": "latency", "model": "robust_seasonal"}]')
    now = datetime.now(timezone.utc)  # the runtime's detector trains on the real clock
    store = seeded(collection, {f"u{i}": (100.0, STEP, 600) for i in range(4)}, end=now)
    runtime = build_runtime(make_settings(DETECTION_METRICS_PATH=str(watch)), store=store)
    assert len(runtime.detector.train().models) == 4
    counting = Counting(collection)
    runtime.detector.store = MongoMetricStore(counting)
    body = [{"name": "latency", "labels": {"user": f"u{i}"}, "value": 100.0,
             "timestamp": (now - timedelta(seconds=i)).isoformat()} for i in range(4)]
    status, answer = call(push, runtime, json_body=body)
    assert status == 201 and all("anomaly" in p for p in answer["points"])
    assert counting.calls == ["find", "insert_many"]
