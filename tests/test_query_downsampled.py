"""GET /query with `step` or `max_points`: per-series buckets computed by the store, bounded, with the band.

Run on mongomock always and on a real MongoDB when MONGO_TEST_URL is set (the `store` fixture).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import NOW, call
from metricwatch.api.query import query
from metricwatch.points import Point
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore, StoredPoint

NORMAL = {"anomaly": 1, "anomaly_score": 0.1, "model": "m", "expected": 50.0, "lower": 40.0, "upper": 60.0}


def get(runtime, **args):
    return call(query, runtime, method="GET", query=args)


@pytest.fixture
def runtime(make_settings, store):
    return build_runtime(make_settings(), store=store)


@pytest.fixture
def day(runtime):
    """A day of minute points for two hosts; host a has one spike at 06:30."""
    spike = NOW + timedelta(hours=6, minutes=30)
    points = []
    for host in ("a", "b"):
        for m in range(24 * 60):
            t = NOW + timedelta(minutes=m)
            bad = host == "a" and t == spike
            verdict = {**NORMAL, "anomaly": -1, "anomaly_score": 0.99} if bad else NORMAL
            points.append(StoredPoint(Point("cpu", 500.0 if bad else 50.0, t, {"host": host}), verdict))
    runtime.store.insert(points)
    return runtime


def test_a_step_gives_each_series_its_buckets_with_mean_min_max_count_and_band(day):
    status, body = get(day, metric="cpu", step="1h")
    assert status == 200, body
    assert (body["step"], body["step_seconds"]) == ("1h", 3600.0)
    assert [s["labels"] for s in body["series"]] == [{"host": "a"}, {"host": "b"}]
    first = body["series"][1]["buckets"][0]
    assert first == {"time": NOW.isoformat(), "mean": 50.0, "min": 50.0, "max": 50.0, "count": 60, "anomaly": 1,
                     "anomalies": 0, "score": 0.1, "expected": 50.0, "lower": 40.0, "upper": 60.0}
    assert len(body["series"][0]["buckets"]) == 24


def test_the_bucket_holding_the_spike_is_anomalous_with_its_peak(day):
    _, body = get(day, metric="cpu", labels="host=a", step="1h")
    [flagged] = [b for b in body["series"][0]["buckets"] if b["anomaly"] == -1]
    assert flagged["time"] == (NOW + timedelta(hours=6)).isoformat()
    assert (flagged["anomalies"], flagged["score"], flagged["max"]) == (1, 0.99, 500.0)


def test_max_points_bounds_every_series_and_closes_an_open_range_on_the_data(day):
    status, body = get(day, metric="cpu", max_points="100")
    assert status == 200
    assert body["step"] == "15m"  # 24 h / 99 = 14.5 min, rounded up to a nice step
    assert all(len(s["buckets"]) <= 100 for s in body["series"])
    assert sum(b["count"] for b in body["series"][0]["buckets"]) == 24 * 60  # nothing lost at the ends


def test_anomalies_only_keeps_the_anomalous_points_in_raw_and_bucketed_answers(day):
    _, raw = get(day, metric="cpu", anomalies="only")
    assert [p["value"] for p in raw["points"]] == [500.0]
    _, bucketed = get(day, metric="cpu", anomalies="only", step="1h")
    assert [s["labels"] for s in bucketed["series"]] == [{"host": "a"}]
    assert [b["count"] for b in bucketed["series"][0]["buckets"]] == [1]


def test_a_metric_with_no_points_gives_no_series(runtime):
    status, body = get(runtime, metric="nothing", max_points="500")
    assert status == 200 and body["series"] == []


def test_more_rows_than_query_max_buckets_is_refused_not_cut(make_settings, collection):
    rt = build_runtime(make_settings(QUERY_MAX_BUCKETS="30"), store=MongoMetricStore(collection))
    rt.store.insert([StoredPoint(Point("cpu", 1.0, NOW + timedelta(minutes=m), {"host": h})) for m in range(20)
                     for h in "ab"])
    status, body = get(rt, metric="cpu", step="1m")
    assert status == 400 and "QUERY_MAX_BUCKETS" in body["error"]
    assert get(rt, metric="cpu", step="1m", labels="host=a")[0] == 200


@pytest.mark.parametrize("args, field", [
    ({"step": "5 minutes"}, "step"), ({"step": "0s"}, "step"), ({"step": "-5m"}, "step"),
    ({"step": "1s", "start": NOW.isoformat(), "end": (NOW + timedelta(days=1)).isoformat()}, "step"),
    ({"step": "5m", "max_points": "10"}, "step"), ({"max_points": "1"}, "max_points"),
    ({"max_points": "1001"}, "max_points"), ({"max_points": "9" * 5000}, "max_points"),
    ({"max_points": "ten"}, "max_points"), ({"step": "5m", "limit": "10"}, "limit"),
    ({"max_points": "50", "cursor": "abc"}, "cursor"), ({"anomalies": "yes"}, "anomalies"),
    ({"step": "1000000000d"}, "step"), ({"step": "99999999999999999999999s"}, "step"),
])
def test_a_bad_downsampling_parameter_is_a_400_naming_it(day, args, field):
    status, body = get(day, metric="cpu", **args)
    assert status == 400 and body["field"] == field, body


def test_a_range_of_exactly_max_points_aligned_steps_is_allowed_and_one_more_bucket_is_not(day):
    start, end = NOW.isoformat(), (NOW + timedelta(minutes=1000)).isoformat()
    status, body = get(day, metric="cpu", labels="host=a", step="1m", start=start, end=end)
    assert status == 200 and len(body["series"][0]["buckets"]) == 1000  # QUERY_MAX_POINTS
    late, later = (NOW + timedelta(seconds=30)).isoformat(), (NOW + timedelta(minutes=1000, seconds=30)).isoformat()
    assert get(day, metric="cpu", step="1m", start=late, end=later)[0] == 400  # 1,000 steps touching 1,001 buckets


def test_a_step_with_milliseconds_is_said_as_it_was_asked(day):
    _, body = get(day, metric="cpu", labels="host=a", step="1s500ms", start=NOW.isoformat(),
                  end=(NOW + timedelta(minutes=10)).isoformat())
    assert (body["step"], body["step_seconds"]) == ("1s500ms", 1.5)


def test_an_empty_limit_is_no_paging(day):
    assert get(day, metric="cpu", step="1h", limit="")[0] == 200


def test_incident_spans_overlapping_a_range_are_found_oldest_first(runtime):
    from metricwatch.alerting.history import incidents_between

    incidents = runtime.alerts.incidents
    for i, (first, ends) in enumerate([(NOW - timedelta(days=2), NOW - timedelta(days=1)),  # before: left out
                                       (NOW - timedelta(hours=2), NOW + timedelta(hours=1)),
                                       (NOW + timedelta(hours=3), None)]):  # still firing
        incidents.insert_one({"_id": f"i{i}", "kind": "anomaly", "status": "resolved" if ends else "firing",
                              "metric": "cpu", "labels": {"host": "a"}, "first_anomaly_at": first,
                              "ends_at": ends, "peak": None})
    incidents.insert_one({"_id": "p", "kind": "anomaly", "status": "pending", "metric": "cpu",
                          "labels": {"host": "a"}, "first_anomaly_at": NOW, "ends_at": None, "peak": None})
    spans = incidents_between(runtime.alerts, "cpu", {"host": "a"}, NOW, NOW + timedelta(hours=6))
    assert [(s.id, s.end) for s in spans] == [("i1", NOW + timedelta(hours=1)), ("i2", None)]
    assert [s.id for s in incidents_between(runtime.alerts, "cpu", {}, NOW, NOW + timedelta(hours=6), limit=1)] == ["i2"]
