"""The dashboard function over HTTP, in process: the shell, its files, and the JSON its pages draw."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from conftest import NOW
from dashboard.seed import ANOMALY_VALUE, HOSTILE, LABELS, METRIC, MODEL, incident, scored_day, seed
from metricwatch.api.dashboard import dashboard
from metricwatch.dashboard.assets import ASSET_DIR, TYPES, UPLOT_SHA256, UPLOT_VERSION, asset
from metricwatch.points import Point
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore, StoredPoint
from metricwatch.timeutil import utcnow

DAY = {"start": (NOW - timedelta(days=1)).isoformat(), "end": (NOW + timedelta(minutes=1)).isoformat()}


def at(path: str, method: str = "GET", headers: dict[str, str] | None = None, script_root: str = "",
       **query: str) -> Request:
    """A request to the dashboard function at `path` (as the local runner passes it: without /dashboard)."""
    builder = EnvironBuilder(path=path, method=method, headers=headers, query_string=query,
                             environ_overrides={"SCRIPT_NAME": script_root} if script_root else None)
    return Request(builder.get_environ())


def send(runtime: Any, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    body, status, headers = dashboard(at(path, **kwargs), runtime=runtime)
    if headers.get("Content-Type") == "application/json":
        body = json.loads(body)
    return status, body, headers


@pytest.fixture
def seeded(runtime):
    return runtime, seed(runtime, NOW)


def series(runtime, **query):
    return send(runtime, "/api/series", **{"metric": METRIC, "labels": json.dumps(LABELS), **DAY, **query})


# ---- the shell and its files ----

def test_the_shell_is_html_with_a_strict_content_security_policy_and_no_inline_script(runtime):
    status, page, headers = send(runtime, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-cache"
    assert page.count("<script") == 2 and page.count("<script src=") == 2, "scripts are files, never inline"
    assert "style=" not in page and "<style" not in page and "http" not in page, "no inline style, no CDN"


def test_the_shell_sets_a_base_under_the_functions_mount_point_and_none_at_the_root(runtime):
    assert '<base href="/dashboard/">' in send(runtime, "/", script_root="/dashboard")[1]
    assert "<base" not in send(runtime, "/")[1]
    assert "<base" not in send(runtime, "/", headers={"Host": "dashboard-abc123-ew.a.run.app"})[1]


@pytest.mark.parametrize("headers", [{"Host": "europe-west1-proj.cloudfunctions.net"},
                                     {"Host": "10.0.0.1:8080", "X-Forwarded-Host": "europe-west1-proj.cloudfunctions.net"}])
def test_at_the_cloud_functions_url_the_base_is_the_functions_name(runtime, headers):
    """That URL's path loses the function's name before the function sees it, trailing slash or not."""
    assert '<base href="/dashboard/">' in send(runtime, "/", headers=headers)[1]


def test_the_shell_echoes_nothing_it_was_sent_and_escapes_its_mount_point(runtime):
    _, page, _ = send(runtime, "/", metric="<script>alert(1)</script>", labels='"><img src=x onerror=alert(1)>')
    assert "alert" not in page and "<img" not in page
    _, page, _ = send(runtime, "/", script_root='/x"><script>alert(1)</script>')
    assert "<script>alert" not in page and "&lt;script&gt;" in page and '&quot;&gt;' in page


def test_the_shell_and_assets_need_no_token_but_the_api_does(make_settings, collection):
    runtime = build_runtime(make_settings(PUSH_TOKENS="t1,t2"), store=MongoMetricStore(collection))
    assert send(runtime, "/")[0] == 200 and send(runtime, "/assets/app.js")[0] == 200
    for path in ("/api/overview", "/api/series", "/api/nothing"):
        assert send(runtime, path)[0] == 401
        assert send(runtime, path, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert send(runtime, "/api/overview", headers={"Authorization": "Bearer t2"})[0] == 200


def test_the_shell_and_assets_are_served_without_building_a_runtime(monkeypatch):
    """No store is opened for a file: a page still loads (and says why) while MongoDB is unreachable."""
    import metricwatch.runtime

    monkeypatch.setattr(metricwatch.runtime, "get_runtime", lambda: pytest.fail("a runtime was built"))
    assert dashboard(at("/"))[1] == 200
    assert dashboard(at("/assets/uplot.iife.min.js"))[1] == 200


@pytest.mark.parametrize("name", sorted(TYPES))
def test_every_asset_is_served_with_its_content_type_and_cached_for_good_at_its_versioned_url(runtime, name):
    found = asset(name)
    status, body, headers = send(runtime, f"/assets/{name}", v=found.version)
    assert status == 200 and body == (ASSET_DIR / name).read_bytes()
    assert headers["Content-Type"] == TYPES[name] and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert send(runtime, f"/assets/{name}")[2]["Cache-Control"] == "no-cache", "an unversioned URL is revalidated"
    status, body, _ = send(runtime, f"/assets/{name}", headers={"If-None-Match": headers["ETag"]})
    assert status == 304 and body == ""


def test_the_shell_asks_for_each_asset_at_its_current_version(runtime):
    _, page, _ = send(runtime, "/")
    for name in ("uplot.iife.min.js", "uPlot.min.css", "app.js", "app.css", "favicon.svg"):
        assert f"assets/{name}?v={asset(name).version}" in page


@pytest.mark.parametrize("path", ["/assets/../config.py", "/assets/..%2Fconfig.py", "/assets/__init__.py",
                                  "/assets/assets.py", "/assets/", "/assets/app.js/x", "/assets/APP.JS",
                                  "/static/app.js", "/index.html", "/api", "/api/overview/x", "/dashboard/x"])
def test_anything_but_the_whitelisted_files_and_routes_is_a_json_404(runtime, path):
    status, body, headers = send(runtime, path)
    assert status == 404 and headers["Content-Type"] == "application/json" and "error" in body


def test_the_vendored_uplot_is_the_pinned_release_with_its_mit_licence():
    for name, digest in UPLOT_SHA256.items():
        assert hashlib.sha256((ASSET_DIR / name).read_bytes()).hexdigest() == digest, f"{name} is not uPlot {UPLOT_VERSION}"
    licence = (ASSET_DIR / "LICENSE.uplot").read_text()
    assert licence.startswith("The MIT License") and "Leon Sorokin" in licence


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/assets/app.js", "/api/overview", "/api/series"])
def test_only_get_is_allowed(runtime, method, path):
    status, body, headers = send(runtime, path, method=method)
    assert status == 405 and headers["Allow"] == "GET"


# ---- /api/overview ----

def test_the_overview_lists_every_series_firing_first_with_its_last_value_and_sparkline(runtime):
    seeded_at = seed(runtime, utcnow())  # the overview's sparklines cover the day up to now
    status, body, headers = send(runtime, "/api/overview")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert [(r["metric"], r["labels"]) for r in body["series"]] == [
        (METRIC, HOSTILE), (METRIC, LABELS), ("queue.depth", {})]
    hostile, calm, queue = body["series"]
    assert [i["status"] for i in hostile["firing"]] == ["firing"] and calm["firing"] == [] == queue["firing"]
    last = scored_day(seeded_at.now, 1440, seeded_at.anomaly_at)[-1].point
    assert calm["last"] == {"time": seeded_at.now.timestamp(), "value": last.value}
    spark = calm["spark"]
    assert len(spark["time"]) == len(spark["value"]) == len(spark["anomalies"]) <= 60 and sum(spark["anomalies"]) == 1
    assert max(spark["value"]) == ANOMALY_VALUE, "the anomalous bucket keeps the anomaly's value"
    assert body["total"] == 3 and body["firing"] == 1 and body["truncated"] is False


def test_the_overview_shows_a_firing_incident_whose_series_has_no_points_left(runtime):
    runtime.alerts.incidents.insert_one(incident("gone", {"a": "b"}, NOW - timedelta(hours=1), None))
    _, body, _ = send(runtime, "/api/overview")
    [row] = body["series"]
    assert (row["metric"], row["labels"], row["last"]) == ("gone", {"a": "b"}, None) and row["firing"]


def test_the_overview_takes_no_parameters(runtime):
    status, body, _ = send(runtime, "/api/overview", metric="x")
    assert status == 400 and body["field"] == "metric"


# ---- /api/series ----

def test_a_series_comes_as_columns_of_buckets_with_its_band(seeded):
    runtime, _ = seeded
    status, body, headers = series(runtime, max_points="800")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    points = body["points"]
    assert set(points) == {"time", "mean", "min", "max", "count", "anomalies", "score", "expected", "lower", "upper"}
    assert 400 <= len(points["time"]) <= 800 and body["step"] == "2m" and body["step_seconds"] == 120
    assert sum(points["count"]) == 1440 and points["time"] == sorted(points["time"])
    assert all(lo < e < up for lo, e, up in zip(points["lower"], points["expected"], points["upper"]))
    assert body["model"] == MODEL and body["labels"] == LABELS


def test_the_anomaly_is_marked_at_its_bucket_with_the_anomalous_points_own_value(seeded):
    runtime, seeded_at = seeded
    _, body, _ = series(runtime, max_points="800")
    [marker] = body["anomalies"]
    bucket = seeded_at.anomaly_at.timestamp() // 120 * 120
    assert marker["time"] == bucket and marker["at"] == seeded_at.anomaly_at.timestamp()
    assert marker["value"] == ANOMALY_VALUE and marker["score"] == 0.97 and marker["model"] == MODEL
    i = body["points"]["time"].index(bucket)
    assert body["points"]["anomalies"][i] == 1 and body["points"]["max"][i] == ANOMALY_VALUE


def test_the_series_carries_its_own_incidents_and_the_metrics_other_label_sets(seeded):
    runtime, seeded_at = seeded
    _, body, _ = series(runtime)
    [span] = body["incidents"]
    assert span["labels"] == LABELS and span["status"] == "resolved" and span["start"] == seeded_at.anomaly_at.isoformat()
    assert body["label_sets"] == [HOSTILE, LABELS]


def test_a_label_filter_names_the_series_exactly_not_every_series_including_it(runtime):
    runtime.store.insert(scored_day(NOW, 60, NOW - timedelta(minutes=5), labels={"host": "a"}))
    runtime.store.insert([StoredPoint(Point(METRIC, 1000.0, NOW - timedelta(minutes=m), {"host": "a", "dc": "x"}),
                                      {"anomaly": -1, "anomaly_score": 1.0, "model": "other"}) for m in range(60)])
    runtime.alerts.incidents.insert_one(incident(METRIC, {"host": "a", "dc": "x"}, NOW - timedelta(hours=1), None))
    _, body, _ = series(runtime, labels="host=a", max_points="100")
    assert max(body["points"]["max"]) < 1000 and sum(body["points"]["count"]) == 60
    assert [m["count"] for m in body["anomalies"]] == [1] and body["incidents"] == [] and body["model"] != "other"


def test_max_points_sizes_the_buckets_and_is_capped_at_query_max_points(make_settings, collection):
    runtime = build_runtime(make_settings(QUERY_MAX_POINTS="100"), store=MongoMetricStore(collection))
    seed(runtime, NOW)
    _, narrow, _ = series(runtime, max_points="50")
    _, wide, _ = series(runtime, max_points="5000")
    assert len(narrow["points"]["time"]) <= 50 and len(wide["points"]["time"]) <= 100 < 5000
    assert wide["step_seconds"] < narrow["step_seconds"]


def test_without_a_range_the_series_covers_the_last_day(runtime):
    seed(runtime, utcnow())
    _, body, _ = send(runtime, "/api/series", metric=METRIC, labels=json.dumps(LABELS))
    assert sum(body["points"]["count"]) >= 1430


def test_a_series_with_no_points_in_the_range_is_empty_not_an_error(seeded):
    runtime, _ = seeded
    status, body, _ = series(runtime, start="2020-01-01T00:00:00Z", end="2020-01-02T00:00:00Z")
    assert status == 200 and body["points"]["time"] == [] and body["anomalies"] == [] and body["model"] is None


def test_an_unknown_series_is_a_404_listing_the_metrics_label_sets(seeded):
    runtime, _ = seeded
    status, body, _ = series(runtime, labels="host=nope")
    assert status == 404 and body["field"] == "labels" and body["label_sets"] == [HOSTILE, LABELS]
    status, body, _ = send(runtime, "/api/series", metric="nothing")
    assert status == 404 and body["field"] == "metric" and body["label_sets"] == []


@pytest.mark.parametrize("query, field", [
    ({"metric": ""}, "metric"),
    ({"metric": "1bad"}, "metric"),
    ({"labels": "a"}, "labels"),
    ({"labels": "[1]"}, "labels"),
    ({"labels": '{"a": 1}'}, "labels"),
    ({"start": "yesterday"}, "start"),
    ({"end": "99999999999999"}, "end"),
    ({"start": "1900-01-01T00:00:00"}, "start"),
    ({"start": DAY["end"], "end": DAY["start"]}, "start"),
    ({"max_points": "1"}, "max_points"),
    ({"max_points": "many"}, "max_points"),
    ({"max_points": "1000000"}, "max_points"),
    ({"step": "1m"}, "step"),
])
def test_a_bad_parameter_is_a_400_naming_it(seeded, query, field):
    runtime, _ = seeded
    status, body, _ = series(runtime, **query)
    assert status == 400 and body["field"] == field, body


def test_a_parameter_given_twice_is_a_400(seeded):
    runtime, _ = seeded
    body, status, _ = dashboard(Request(EnvironBuilder(path="/api/series",
                                                       query_string="metric=latency&metric=other").get_environ()),
                                runtime=runtime)
    assert status == 400 and json.loads(body)["field"] == "metric"


def test_a_missing_metric_is_a_400_naming_it(runtime):
    status, body, _ = send(runtime, "/api/series")
    assert status == 400 and body["field"] == "metric"
