"""The dashboard's feedback buttons over HTTP: POST /api/feedback and DELETE /api/feedback/<id> do what the
feedback API does (the same code), and /api/series carries the series' own marked ranges."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from conftest import NOW, call
from dashboard.seed import HOSTILE, LABELS, METRIC, seed
from dashboard.test_dashboard_api import DAY, send, series
from metricwatch.alerting.silences import Silences
from metricwatch.api.dashboard import dashboard
from metricwatch.api.feedback import feedback as feedback_api
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore
from metricwatch.timeutil import utcnow


def post(runtime: Any, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None,
         content_type: str = "application/json", path: str = "/api/feedback") -> tuple[int, Any, dict[str, str]]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = Request(EnvironBuilder(path=path, method="POST", data=data, content_type=content_type,
                                     headers=headers).get_environ())
    text, status, out = dashboard(request, runtime=runtime)
    return status, json.loads(text), out


def mark(anomaly_at, kind="not_anomaly", **extra: Any) -> dict[str, Any]:
    return {"metric": METRIC, "labels": LABELS, "start": anomaly_at.isoformat(),
            "end": (anomaly_at + timedelta(minutes=20)).isoformat(), "kind": kind, **extra}


@pytest.fixture
def seeded(runtime):
    return runtime, seed(runtime, NOW)


def test_a_mark_posted_by_the_dashboard_is_kept_and_shown_on_the_series_and_by_the_feedback_api(seeded):
    runtime, at = seeded
    status, made, headers = post(runtime, mark(at.anomaly_at, comment="deploy", author="ana"))
    assert status == 201, made
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
    assert (made["kind"], made["comment"], made["author"], made["labels"]) == ("not_anomaly", "deploy", "ana", LABELS)
    assert "POST /train?metric=latency" in made["retrain"] and "alerts" not in made

    _, body, _ = series(runtime)
    assert body["feedback"] == [{"id": made["id"], "kind": "not_anomaly", "start": at.anomaly_at.isoformat(),
                                 "end": (at.anomaly_at + timedelta(minutes=20)).isoformat(), "comment": "deploy",
                                 "author": "ana"}]
    status, listed = call(feedback_api, runtime, method="GET", query={"metric": METRIC})
    assert status == 200 and [f["id"] for f in listed["feedback"]] == [made["id"]]


def test_the_dashboard_and_the_feedback_api_answer_the_same(seeded):
    runtime, at = seeded
    _, mine, _ = post(runtime, mark(at.anomaly_at, "anomaly"))
    status, theirs = call(feedback_api, runtime, json_body=mark(at.anomaly_at, "anomaly"))
    assert status == 201
    differs = {"id", "created_at"}
    assert {k: v for k, v in mine.items() if k not in differs} == {k: v for k, v in theirs.items() if k not in differs}


def test_an_ignore_mark_from_the_dashboard_mutes_the_future_part_as_the_feedback_api_does(seeded):
    runtime, at = seeded
    now = utcnow()  # the silence covers the part of the range after the request's own time
    body = {**mark(at.anomaly_at, "ignore", author="ops"), "start": (now - timedelta(hours=1)).isoformat(),
            "end": (now + timedelta(hours=2)).isoformat()}
    status, made, _ = post(runtime, body)
    assert status == 201 and made["alerts"]["muted"] is True
    [silence] = Silences(runtime.alerts).list()
    assert silence.id == made["alerts"]["silenceID"] and silence.created_by == "ops"


def test_a_mark_can_be_taken_back_from_the_dashboard(seeded):
    runtime, at = seeded
    _, made, _ = post(runtime, mark(at.anomaly_at))
    status, gone, headers = send(runtime, f"/api/feedback/{made['id']}", method="DELETE")
    assert status == 200 and gone["id"] == made["id"] and headers["Cache-Control"] == "no-store"
    assert series(runtime)[1]["feedback"] == []
    assert call(feedback_api, runtime, method="GET")[1] == {"feedback": []}
    status, body, _ = send(runtime, f"/api/feedback/{made['id']}", method="DELETE")
    assert status == 404 and body["field"] == "id"


def test_the_series_shows_only_its_own_marks_overlapping_the_range_oldest_first(seeded):
    runtime, at = seeded
    early = {**mark(at.anomaly_at - timedelta(hours=3)), "kind": "ignore"}
    post(runtime, mark(at.anomaly_at))
    post(runtime, early)
    post(runtime, {**mark(at.anomaly_at), "labels": HOSTILE})  # another series of the metric
    post(runtime, {**mark(at.anomaly_at), "start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"})
    _, body, _ = series(runtime)
    assert [f["kind"] for f in body["feedback"]] == ["ignore", "not_anomaly"]
    _, body, _ = series(runtime, labels=json.dumps(HOSTILE))
    assert [f["kind"] for f in body["feedback"]] == ["not_anomaly"]
    narrow = {"start": (at.anomaly_at + timedelta(minutes=30)).isoformat(), "end": DAY["end"]}
    assert series(runtime, **narrow)[1]["feedback"] == []


def test_a_label_subset_names_no_series(seeded):
    """Feedback names a series exactly: `{"region": "eu"}` is part of two series' labels, and neither."""
    runtime, at = seeded
    status, body, _ = post(runtime, {**mark(at.anomaly_at), "labels": {"region": "eu"}})
    assert status == 404 and body["field"] == "labels"


@pytest.mark.parametrize("body, field", [
    ([], "body"),
    ("x", "body"),
    ({}, "metric"),
    ({"metric": METRIC, "labels": LABELS, "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z"}, "kind"),
    ({"metric": "1bad", "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z", "kind": "ignore"}, "metric"),
    ({"metric": METRIC, "labels": "host=a", "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z",
      "kind": "ignore"}, "labels"),
    ({"metric": METRIC, "labels": LABELS, "start": "yesterday", "end": "2026-11-20T01:00:00Z", "kind": "ignore"},
     "start"),
    ({"metric": METRIC, "labels": LABELS, "start": "2026-11-20T01:00:00Z", "end": "2026-11-20T00:00:00Z",
      "kind": "ignore"}, "end"),
    ({"metric": METRIC, "labels": LABELS, "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z",
      "kind": "maybe"}, "kind"),
    ({"metric": METRIC, "labels": LABELS, "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z",
      "kind": "ignore", "comment": 5}, "comment"),
    ({"metric": METRIC, "labels": LABELS, "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z",
      "kind": "ignore", "author": "x" * 1001}, "author"),
    ({"metric": METRIC, "labels": LABELS, "start": "2026-11-20T00:00:00Z", "end": "2026-11-20T01:00:00Z",
      "kind": "ignore", "series": "x"}, "series"),
])
def test_a_bad_body_is_a_400_naming_the_field(seeded, body, field):
    runtime, _ = seeded
    status, answer, _ = post(runtime, body)
    assert status == 400 and answer["field"] == field, answer


def test_a_body_that_is_not_json_is_refused_with_a_4xx(seeded):
    runtime, _ = seeded
    status, body, _ = post(runtime, None, raw=b"{nope")
    assert status == 400 and body["field"] == "body"
    assert post(runtime, None, raw=b"{}", content_type="text/plain")[0] == 415
    assert post(runtime, None, raw=b" " * (runtime.settings.max_body_bytes + 1))[0] == 413


def test_a_mark_on_an_unknown_series_is_a_404(seeded):
    runtime, at = seeded
    status, body, _ = post(runtime, {**mark(at.anomaly_at), "labels": {"host": "nope"}})
    assert status == 404 and body["field"] == "labels"
    status, body, _ = post(runtime, {**mark(at.anomaly_at), "metric": "nothing", "labels": {}})
    assert status == 404 and body["field"] == "metric"


def test_with_push_tokens_the_feedback_routes_need_the_bearer_token(make_settings, collection):
    runtime = build_runtime(make_settings(PUSH_TOKENS="t1"), store=MongoMetricStore(collection))
    at = seed(runtime, NOW)
    assert post(runtime, mark(at.anomaly_at))[0] == 401
    assert post(runtime, mark(at.anomaly_at), headers={"Authorization": "Bearer wrong"})[0] == 401
    assert send(runtime, "/api/feedback/x", method="DELETE")[0] == 401
    status, made, _ = post(runtime, mark(at.anomaly_at), headers={"Authorization": "Bearer t1"})
    assert status == 201
    assert send(runtime, f"/api/feedback/{made['id']}", method="DELETE",
                headers={"Authorization": "Bearer t1"})[0] == 200


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/api/feedback", "POST"), ("PUT", "/api/feedback", "POST"), ("DELETE", "/api/feedback", "POST"),
    ("GET", "/api/feedback/x", "DELETE"), ("POST", "/api/feedback/x", "DELETE"),
])
def test_each_feedback_route_allows_its_one_method(runtime, method, path, allowed):
    status, body, headers = send(runtime, path, method=method)
    assert status == 405 and headers["Allow"] == allowed and "error" in body


@pytest.mark.parametrize("path", ["/api/feedback/a/b", "/api/feedbacks", "/api/feedback/x/y/z"])
def test_other_feedback_paths_are_a_404(runtime, path):
    assert send(runtime, path, method="GET")[0] == 404


def test_the_feedback_routes_take_no_query_parameters(seeded):
    runtime, at = seeded
    status, body, _ = post(runtime, mark(at.anomaly_at), path="/api/feedback?x=1")
    assert status == 400 and body["field"] == "x"


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                   max_size=3), max_leaves=8)
FIELD_VALUES = st.one_of(JSONISH, st.sampled_from([METRIC, "2026-11-20T00:00:00Z", "1e999", "not_anomaly", "ignore",
                                                   "anomaly", "", "\x00", "9" * 40]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(JSONISH, st.dictionaries(st.sampled_from(["metric", "labels", "start", "end", "kind", "comment",
                                                                 "author", "x"]), FIELD_VALUES, max_size=7)))
def test_garbage_bodies_are_a_4xx_never_a_5xx(runtime, body):
    status, answer, headers = post(runtime, body)
    assert 400 <= status < 500 or status == 201, answer
    assert headers["Content-Type"] == "application/json"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), feedback_id=st.text(max_size=40))
def test_garbage_bytes_and_ids_are_a_4xx_never_a_5xx(runtime, raw, feedback_id):
    assert 400 <= post(runtime, None, raw=raw)[0] < 500
    path = "/api/feedback/" + feedback_id.replace("/", "_").replace("?", "_").replace("#", "_")
    status = send(runtime, path, method="DELETE")[0]
    assert 400 <= status < 500
