"""A collector run as Cloud Scheduler sees it: stamped with the scheduled time, stored once, cut off when slow."""

from __future__ import annotations

import logging

import threading
import time
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
import requests

from collectors.conftest import SCHEDULED
from conftest import call, history
from metricwatch.api.collect import collect
from metricwatch.collectors.base import REGISTRY, Sample
from metricwatch.points import Point
from metricwatch.store import StoredPoint

AT = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def run(runtime, name="random", schedule_time=SCHEDULED):
    headers = {"X-CloudScheduler-ScheduleTime": schedule_time} if schedule_time else {}
    return call(partial(collect, name=name), runtime, method="POST", headers=headers)


def test_random_stores_one_point_per_user_stamped_with_the_scheduled_time(runtime, collection):
    status, body = run(runtime)
    assert status == 200 and body["stored"] == 2 and body["duplicates_skipped"] == 0
    docs = list(collection.find({}, {"_id": 0}))
    assert sorted(d["meta"]["labels"]["user"] for d in docs) == ["ion", "maria"]
    assert {d["time"] for d in docs} == {AT}
    assert {"points", "anomalies", "seconds", "schedule_time"} <= set(body)


def test_a_retried_run_with_the_same_schedule_time_stores_nothing_twice(runtime, collection):
    run(runtime)
    status, body = run(runtime)
    assert status == 200 and body["stored"] == 0 and body["duplicates_skipped"] == 2
    assert collection.count_documents({}) == 2


def test_a_retry_stores_only_the_series_the_failed_attempt_missed(runtime, collection):
    runtime.store.insert([StoredPoint(Point("random", 1.0, AT, {"user": "ion"}))])
    status, body = run(runtime)
    assert body["stored"] == 1 and body["points"][0]["labels"] == {"user": "maria"}
    assert collection.count_documents({}) == 2


def test_the_next_scheduled_time_is_a_new_run(runtime, collection):
    run(runtime)
    run(runtime, schedule_time="2026-11-20T12:05:00.000Z")
    assert collection.count_documents({}) == 4


def test_without_the_header_a_manual_run_is_stamped_now(runtime, collection):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    status, _ = run(runtime, schedule_time=None)
    assert status == 200 and all(d["time"] >= before for d in collection.find())


@pytest.mark.parametrize("header", ["yesterday", "9999-12-31T23:59:59-01:00", "1e400"])
def test_a_malformed_or_out_of_range_schedule_time_is_a_400_naming_the_header(runtime, header):
    status, body = run(runtime, schedule_time=header)
    assert status == 400 and body["field"] == "X-CloudScheduler-ScheduleTime"


@pytest.mark.parametrize("header, says", [
    ("1960-01-01T00:00:00Z", "before 1970"),  # would switch the collection's expiry off
    ("2099-01-01T00:00:00Z", "in the future"),
    ("2000-01-01T00:00:00Z", "older than the retention of 30 days"),
])
def test_a_schedule_time_obeys_the_rules_of_a_pushed_timestamp(make_runtime, collection, header, says):
    status, body = run(make_runtime(METRICS_RETENTION_DAYS="30"), schedule_time=header)
    assert status == 400 and body["field"] == "X-CloudScheduler-ScheduleTime" and says in body["error"]
    assert collection.count_documents({}) == 0


def test_an_unknown_collector_is_a_404(runtime):
    status, body = run(runtime, name="nope")
    assert status == 404 and "nope" in body["error"]


def test_collected_points_of_a_watched_metric_get_verdicts(make_runtime, tmp_path, collection):
    watch = tmp_path / "watch.json"
    watch.write_text('[{"name": "random", "model": "robust_zscore", "train_params": {"z_threshold": 6}}]')
    rt = make_runtime(DETECTION_METRICS_PATH=str(watch))
    now = datetime.now(timezone.utc)
    rt.store.insert([StoredPoint(Point("random", v, t, {"user": u}))
                     for u in ("ion", "maria") for t, v in history(now - timedelta(hours=10), 100, base=50)])
    assert len(rt.detector.train("random").models) == 2
    status, body = run(rt, schedule_time=None)
    assert status == 200 and all(p["model"] == "robust_zscore" and p["anomaly"] in (-1, 1) for p in body["points"])


def test_a_source_that_hangs_is_cut_off_at_the_timeout_with_a_502(make_runtime, source, declare):
    url = source.route("/slow", {"v": 1}, delay=30)
    path = declare({"name": "slow", "kind": "http_json", "metric": "m", "params": {"url": url, "path": "v"}})
    rt = make_runtime(COLLECTORS_PATH=path, SOURCE_TIMEOUT_SECONDS="0.5")
    started = time.monotonic()
    status, body = run(rt, name="slow")
    assert status == 502 and "did not answer within 0.5s" in body["error"]
    assert time.monotonic() - started < 20  # generous for slow CI, still far from the source's 30 s


def test_a_hung_collector_is_answered_502_at_the_deadline_and_left_in_a_daemon_thread(
        make_runtime, monkeypatch, collection):
    release = threading.Event()
    monkeypatch.setitem(REGISTRY, "hung", lambda ctx: release.wait(120) and [Sample("m", 1)])
    rt = make_runtime(COLLECT_DEADLINE_SECONDS="0.3")
    try:
        status, body = run(rt, name="hung")  # returns at all only because it does not wait for the collector
        hung = [t for t in threading.enumerate() if t.name == "collect-hung"]
        assert status == 502 and "deadline" in body["error"]
        assert hung and all(t.daemon for t in hung)  # cannot block the interpreter's exit (Ctrl-C on make run)
    finally:
        release.set()
    assert collection.count_documents({}) == 0


def test_each_run_closes_its_http_session_even_when_cut_off(make_runtime, monkeypatch):
    closed, used = [], []
    monkeypatch.setattr(requests.Session, "close", lambda session: closed.append(session))
    monkeypatch.setitem(REGISTRY, "quick", lambda ctx: used.append(ctx.http.session) or [Sample("m", 1)])
    monkeypatch.setitem(REGISTRY, "slow", lambda ctx: used.append(ctx.http.session) or time.sleep(5) or [])
    rt = make_runtime(COLLECT_DEADLINE_SECONDS="0.5")
    assert run(rt, name="quick")[0] == 200 and run(rt, name="slow")[0] == 502
    assert len(closed) == 2 and closed[0] is used[0] and closed[1] is not closed[0]


def test_a_failing_source_is_a_502_naming_it(make_runtime, source, declare):
    url = source.route("/down", {"error": "boom"}, status=503)
    rt = make_runtime(COLLECTORS_PATH=declare(
        {"name": "down", "kind": "http_json", "metric": "m", "params": {"url": url, "path": "v"}}))
    status, body = run(rt, name="down")
    assert status == 502 and body["error"] == f"{source.url}/down answered 503"


@pytest.mark.parametrize("status, headers, says", [
    (429, {"Retry-After": "30"}, "answered 429: rate limited, retry after 30s"),
    (403, {"X-RateLimit-Remaining": "0"}, "answered 403: rate limited"),
    (403, {"Retry-After": "60", "X-RateLimit-Remaining": "4000"}, "answered 403: rate limited, retry after 60s"),
    (429, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, "answered 429: rate limited, retry after Wed, 21 Oct"),
    (401, {}, "answered 401: refused; check the credentials the collector sends"),
    (403, {"X-RateLimit-Remaining": "12"}, "answered 403: refused; check the credentials the collector sends"),
])
def test_a_refusal_says_whether_it_is_a_rate_limit_or_the_credentials(make_runtime, source, declare,
                                                                       status, headers, says):
    url = source.route("/api", {"message": "no"}, status=status, headers=headers)
    rt = make_runtime(COLLECTORS_PATH=declare(
        {"name": "api", "kind": "http_json", "metric": "m", "params": {"url": url, "path": "v"}}))
    code, body = run(rt, name="api")
    assert code == 502 and body["error"].startswith(f"{source.url}/api {says}")


@pytest.mark.parametrize("value", ["many", None, True])
def test_a_run_whose_every_sample_is_bad_is_the_sources_fault(make_runtime, monkeypatch, value):
    monkeypatch.setitem(REGISTRY, "odd", lambda ctx: [Sample("m", value)])
    status, body = run(make_runtime(), name="odd")
    assert status == 502 and "no valid sample" in body["error"] and body["rejected"][0]["name"] == "m"


def test_one_bad_sample_costs_that_sample_only_and_is_reported(make_runtime, monkeypatch, collection, caplog):
    """An aggregation group with no value, or an over-long scraped label, must not lose the other series."""
    monkeypatch.setitem(REGISTRY, "mixed", lambda ctx: [
        Sample("m", 1, {"k": "a"}), Sample("m", None, {"k": "empty"}), Sample("m", 3, {"k": "x" * 2000})])
    with caplog.at_level(logging.ERROR):
        status, body = run(make_runtime(), name="mixed")
    assert status == 200 and body["stored"] == 1
    assert [r["labels"]["k"] for r in body["rejected"]] == ["empty", "x" * 100]
    assert body["rejected"][0]["error"] == "'value' must be a number, not NoneType"
    assert "at most 1024 characters" in body["rejected"][1]["error"]
    assert [d["meta"]["labels"] for d in collection.find()] == [{"k": "a"}]
    assert "refused a sample" in caplog.text


def test_two_samples_of_one_series_in_a_run_are_a_500_naming_it_and_nothing_is_stored(
        make_runtime, monkeypatch, collection):
    monkeypatch.setitem(REGISTRY, "twice", lambda ctx: [Sample("m", 1, {"k": "a"}), Sample("m", 2, {"k": "b"}),
                                                        Sample("m", 3, {"k": "a"})])
    status, body = run(make_runtime(), name="twice")
    assert status == 500 and "'twice'" in body["error"] and '["m",{"k":"a"}]' in body["error"]
    assert collection.count_documents({}) == 0


@pytest.mark.parametrize("header, stamped", [
    ("2026-11-20T12:00:00.123456Z", AT + timedelta(milliseconds=123)),  # MongoDB keeps milliseconds
    ("2026-11-20T14:00:00+02:00", AT),
    ("2026-11-20T12:00:00", AT),  # naive means UTC, as for every time read from outside
])
def test_the_schedule_time_is_read_as_rfc3339_in_utc(runtime, collection, header, stamped):
    run(runtime, schedule_time=header)
    run(runtime, schedule_time=header)
    assert {d["time"] for d in collection.find()} == {stamped} and collection.count_documents({}) == 2
