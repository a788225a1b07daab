"""GET /query, as a caller sees it: points in time order with verdicts, filters, pages, and the metric list."""

from __future__ import annotations

import base64

from datetime import timedelta

import pytest

from conftest import NOW, call
from metricwatch.api.query import query
from metricwatch.points import Point
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore, StoredPoint


def put(runtime, minutes, value, name="cpu", verdict=None, **labels):
    runtime.store.insert([StoredPoint(Point(name, value, NOW + timedelta(minutes=minutes), labels), verdict)])


def get(runtime, headers=None, **query_args):
    return call(query, runtime, method="GET", query=query_args, headers=headers)


@pytest.fixture
def filled(runtime):
    for m in range(6):
        for host in ("a", "b"):
            put(runtime, m, m * 10 + (host == "b"), host=host, dc="x")
    put(runtime, 0, 99, name="mem")
    return runtime


def test_points_come_back_in_time_order_with_their_values_and_verdicts(runtime):
    put(runtime, 2, 500.0, verdict={"anomaly": -1, "anomaly_score": 0.99, "model": "robust_zscore"}, host="a")
    put(runtime, 1, 100.0, host="a")
    status, body = get(runtime, metric="cpu")
    assert status == 200 and body["count"] == 2 and body["next"] is None
    first, second = body["points"]
    assert first == {"name": "cpu", "labels": {"host": "a"}, "timestamp": (NOW + timedelta(minutes=1)).isoformat(),
                     "value": 100.0}
    assert second["anomaly"] == -1 and second["anomaly_score"] == 0.99 and second["model"] == "robust_zscore"


@pytest.mark.parametrize("labels", ['{"host": "b"}', "host=b", "host=b,dc=x"])
def test_labels_filter_keeps_points_whose_labels_include_them(filled, labels):
    _, body = get(filled, metric="cpu", labels=labels)
    assert [p["value"] for p in body["points"]] == [1, 11, 21, 31, 41, 51]


def test_start_is_inclusive_and_end_exclusive(filled):
    start, end = (NOW + timedelta(minutes=2)).isoformat(), str((NOW + timedelta(minutes=4)).timestamp())
    _, body = get(filled, metric="cpu", labels="host=a", start=start, end=end)
    assert [p["value"] for p in body["points"]] == [20, 30]


def test_pages_are_bounded_and_the_cursor_walks_through_all_points_once_in_time_order(filled):
    seen, cursor, pages = [], None, 0
    while True:
        args = {"metric": "cpu", "limit": "5", **({"cursor": cursor} if cursor else {})}
        status, body = get(filled, **args)
        assert status == 200 and body["count"] <= 5
        seen += [(p["timestamp"], p["value"]) for p in body["points"]]
        pages, cursor = pages + 1, body["next"]
        if cursor is None:
            break
    assert pages == 3
    assert [t for t, _ in seen] == [(NOW + timedelta(minutes=m)).isoformat() for m in range(6) for _ in "ab"]
    assert [v // 10 for _, v in seen] == [m for m in range(6) for _ in "ab"]  # each value at its own minute
    assert sorted(v for _, v in seen) == sorted(m * 10 + b for m in range(6) for b in (0, 1))  # every point once


def test_the_page_size_never_exceeds_query_max_points(make_settings, collection):
    rt = build_runtime(make_settings(QUERY_MAX_POINTS="3"), store=MongoMetricStore(collection))
    for m in range(5):
        put(rt, m, m)
    _, body = get(rt, metric="cpu")
    assert body["count"] == 3 and body["next"]
    status, body = get(rt, metric="cpu", limit="4")
    assert status == 400 and body["field"] == "limit"


def test_without_a_metric_it_lists_metrics_and_their_label_sets(filled):
    status, body = get(filled)
    assert status == 200 and body == {"metrics": [
        {"name": "cpu", "label_sets": [{"dc": "x", "host": "a"}, {"dc": "x", "host": "b"}]},
        {"name": "mem", "label_sets": [{}]}]}
    assert get(filled, list="metrics")[1] == body


@pytest.mark.parametrize("args, field", [
    ({"metric": "9x"}, "metric"), ({"metric": ""}, "metric"), ({"metric": "cpu", "labels": "host"}, "labels"),
    ({"metric": "cpu", "labels": "{bad"}, "labels"), ({"metric": "cpu", "start": "soon"}, "start"),
    ({"metric": "cpu", "start": "2026-11-21", "end": "2026-11-20"}, "start"),
    ({"metric": "cpu", "limit": "0"}, "limit"), ({"metric": "cpu", "cursor": "garbage!"}, "cursor"),
    ({"metric": "cpu", "cursor": "WyIyMDI2LTExLTIwVDEyOjAwOjAwKzAwOjAwIiwgIngiXQ"}, "cursor"),
    ({"metric": "cpu", "metrc": "x"}, "metrc"), ({"list": "series"}, "list"),
    ({"metric": "cpu", "labels": '{"a": ' + "9" * 5000 + "}"}, "labels"),
    ({"metric": "cpu", "labels": '{"a":' * 3000 + "1" + "}" * 3000}, "labels"),
    ({"metric": "cpu", "cursor": base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).decode()}, "cursor"),
    ({"start": "2026-11-20"}, "start"), ({"labels": "host=a", "limit": "5"}, "labels"),
    ({"list": "metrics", "metric": "cpu", "start": "2026-11-20"}, "start"),
])
def test_a_bad_parameter_is_a_400_naming_it(filled, args, field):
    status, body = get(filled, **args)
    assert status == 400 and body["field"] == field, body


def test_the_push_token_guards_queries_too(make_settings, collection):
    rt = build_runtime(make_settings(PUSH_TOKENS="t0k"), store=MongoMetricStore(collection))
    assert get(rt)[0] == 401
    assert get(rt, headers={"Authorization": "Bearer t0k"})[0] == 200


def test_only_get_is_allowed(runtime):
    status, _ = call(query, runtime, method="POST", json_body={})
    assert status == 405


def test_a_parameter_given_twice_is_refused_rather_than_one_silently_used(filled):
    status, body = call(query, filled, method="GET", query=[("metric", "cpu"), ("metric", "mem")])
    assert status == 400 and body["field"] == "metric" and "more than once" in body["error"]
