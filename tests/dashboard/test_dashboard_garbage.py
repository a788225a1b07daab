"""Garbage at every route of the dashboard is a 4xx that says what is wrong, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import mongomock
import pytest
from flask import Request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from conftest import NOW
from dashboard.seed import HOSTILE, LABELS, METRIC, incident, scored_day
from metricwatch.api.dashboard import dashboard
from metricwatch.config import load_settings
from metricwatch.runtime import Runtime, build_runtime
from metricwatch.store import MongoMetricStore

ROUTES = ["/", "/assets/app.js", "/assets/", "/api/overview", "/api/series", "/api/", "/api/series/x", "/x",
          "/api/feedback", "/api/feedback/x"]
NASTY = ["", " ", "\x00", "%", "%00", "'", '"', "<script>alert(1)</script>", "{", "}", "{}", "[]", "null", "=",
         ",", "a=", "=b", ",,,", "a=b,=c", '{"a": {"b": 1}}', "[" * 5000, "9" * 5000, "1e999", "-1", "NaN",
         "Infinity", "0", "1.5", "٣", "2026-13-45", "2026-11-20T25:00:00Z", "0001-01-01", "9999-12-31T23:59:59",
         "é" * 300, "\ud7ff", "../../etc/passwd", "x" * 20000]
PARAMS = ["metric", "labels", "start", "end", "max_points", "step", "cursor", "v", "range", "from", "to", "x"]
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@pytest.fixture(scope="module")
def garbage_runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """A small store of its own (module-wide: hypothesis runs many examples on one runtime)."""
    tmp = tmp_path_factory.mktemp("garbage")
    runtime = build_runtime(load_settings({"MODEL_STORE_URL": f"file://{tmp}", "METRICS_RETENTION_DAYS": "0"},
                                          dotenv=None),
                            store=MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.metrics))
    runtime.store.insert(scored_day(NOW, 120, NOW - timedelta(minutes=30)))
    runtime.store.insert(scored_day(NOW, 30, NOW - timedelta(minutes=3), labels=HOSTILE))
    runtime.alerts.incidents.insert_one(incident(METRIC, LABELS, NOW - timedelta(minutes=30), None))
    return runtime


def answer(runtime: Runtime, path: str, query: Any, headers: dict[str, str] | None = None,
           method: str = "GET") -> tuple[int, Any, dict[str, str]]:
    request = Request(EnvironBuilder(path=path, method=method, query_string=query, headers=headers).get_environ())
    body, status, out_headers = dashboard(request, runtime=runtime)
    return status, body, out_headers


def assert_handled(status: int, body: Any, headers: dict[str, str]) -> None:
    assert status < 500, body
    if status >= 400:
        assert headers["Content-Type"] == "application/json" and json.loads(body)["error"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("param", PARAMS)
def test_every_nasty_value_of_every_parameter_on_every_route_is_handled(garbage_runtime, path, param):
    for value in NASTY:
        assert_handled(*answer(garbage_runtime, path, {param: value}))
        if path == "/api/series" and param != "metric":  # beside a series that exists, so its reads run
            assert_handled(*answer(garbage_runtime, path, {"metric": METRIC, "labels": json.dumps(LABELS),
                                                           param: value}))


@pytest.mark.parametrize("value", NASTY)
def test_a_nasty_authorization_header_is_handled(garbage_runtime, value):
    assert_handled(*answer(garbage_runtime, "/api/overview", {}, {"Authorization": f"Bearer {value}"}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.one_of(st.sampled_from(ROUTES),
                      text.map(lambda s: "/" + s.replace("?", "%3F").replace("#", "%23")),  # the path alone
                      st.lists(st.sampled_from(["api", "assets", "series", "overview", "feedback", "..", "", "app.js", "%2e"]),
                               max_size=4).map(lambda parts: "/" + "/".join(parts))),
       query=st.dictionaries(st.one_of(st.sampled_from(PARAMS), text), st.one_of(st.sampled_from(NASTY), text),
                             max_size=5),
       method=st.sampled_from(["GET", "GET", "GET", "POST", "DELETE", "HEAD", "OPTIONS"]))
def test_random_requests_never_get_a_500(garbage_runtime, path, query, method):
    assert_handled(*answer(garbage_runtime, path, query, method=method))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.one_of(st.sampled_from([json.dumps(LABELS), "host=web-1,region=eu", json.dumps(HOSTILE)]), text,
                        st.dictionaries(text, text, max_size=4).map(json.dumps)),
       start=st.one_of(st.none(), text, st.datetimes().map(lambda d: d.isoformat()),
                       st.floats(allow_nan=True).map(str)),
       end=st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat()), st.integers(-5, 10**12).map(str)),
       points=st.one_of(st.none(), st.integers(-5, 10**7).map(str)))
def test_random_series_queries_never_get_a_500(garbage_runtime, labels, start, end, points):
    query = {"metric": METRIC, "labels": labels, **({"start": start} if start else {}),
             **({"end": end} if end else {}), **({"max_points": points} if points else {})}
    assert_handled(*answer(garbage_runtime, "/api/series", query))
