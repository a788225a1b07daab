"""The local scheduler fires like Cloud Scheduler: on the cron tick in the job's time zone, with the
schedule-time header, retrying with backoff; and the dispatcher routes /<function> to its app."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

from metricwatch.local.apps import Dispatcher
from metricwatch.local.scheduler import LocalScheduler, _outcome, backoff, next_fire
from metricwatch.schedule import ScheduledJob
import requests
from werkzeug.test import Client

UTC = timezone.utc


def job(cron="* * * * *", tz="Etc/UTC", retry_count=2, min_backoff=0, max_backoff=0, doublings=3, function="fn"):
    return ScheduledJob(name="j", function=function, cron=cron, time_zone=tz, attempt_deadline_seconds=15,
                        retry={"retry_count": retry_count, "min_backoff_seconds": min_backoff,
                               "max_backoff_seconds": max_backoff, "max_doublings": doublings,
                               "max_retry_duration_seconds": 0})


def test_ticks_follow_the_jobs_time_zone_across_daylight_saving():
    daily = job(cron="30 2 * * *", tz="Europe/Bucharest")
    first = next_fire(daily, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert first == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 02:30 EET, the night clocks go forward
    assert next_fire(daily, first) == datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # 02:30 EEST


def test_backoff_doubles_from_min_up_to_max_doublings_and_max():
    policy = job(min_backoff=10, max_backoff=100, doublings=2)
    assert [backoff(policy, n) for n in (1, 2, 3, 4)] == [10, 20, 40, 40]
    assert backoff(job(min_backoff=10, max_backoff=25, doublings=5), 3) == 25


def test_a_failed_attempt_is_retried_with_the_same_schedule_time(source):
    answers = iter([(502, {"error": "source down"}), (502, {"error": "source down"}), (200, {"stored": 2})])

    def body(_query):  # each answer sets its own status
        source.routes["/fn"].status, payload = next(answers)
        return payload

    source.route("/fn", body, status=502)
    at = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
    LocalScheduler([job()], source.url, threading.Event()).fire(job(), at)
    assert len(source.seen) == 3
    assert {h["X-CloudScheduler-ScheduleTime"] for _, h in source.seen} == {"2026-11-20T12:05:00.000Z"}


def test_it_gives_up_after_the_retry_count(source):
    source.route("/fn", {"error": "down"}, status=500)
    LocalScheduler([job(retry_count=1)], source.url, threading.Event()).fire(job(retry_count=1), datetime.now(UTC))
    assert len(source.seen) == 2


def test_run_fires_each_job_at_its_tick_and_stops_when_asked(source):
    source.route("/fn", {"stored": 1})
    base, started = datetime(2026, 11, 20, 10, 59, 59, 700000, tzinfo=UTC), time.monotonic()
    clock = lambda: base + timedelta(seconds=time.monotonic() - started)  # noqa: E731
    stop = threading.Event()
    scheduler = LocalScheduler([job()], source.url, stop, clock=clock)
    thread = threading.Thread(target=scheduler.run)
    thread.start()
    deadline = time.monotonic() + 5
    while not source.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()
    assert [h["X-CloudScheduler-ScheduleTime"] for _, h in source.seen] == ["2026-11-20T11:00:00.000Z"]
    assert scheduler.upcoming["j"] == datetime(2026, 11, 20, 11, 1, tzinfo=UTC)


def test_the_dispatcher_routes_the_first_path_segment_to_its_function():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}|{environ['QUERY_STRING']}".encode()]

    client = Client(Dispatcher({"query": app}, "http://127.0.0.1:8080"))
    assert client.get("/query?metric=x").text == "/query|/|metric=x"
    assert client.get("/query/sub").text == "/query|/sub|"
    assert client.get("/").json == {"functions": {"query": "http://127.0.0.1:8080/query"}}
    missing = client.get("/nope")
    assert missing.status_code == 404 and "nope" in missing.json["error"]


def test_after_a_long_pause_missed_ticks_are_not_replayed(source):
    source.route("/fn", {"stored": 1})
    now = [datetime(2026, 11, 20, 11, 0, 30, tzinfo=UTC)]
    stop = threading.Event()
    scheduler = LocalScheduler([job()], source.url, stop, clock=lambda: now[0])
    now[0] += timedelta(hours=8)  # the machine slept through 480 ticks
    thread = threading.Thread(target=scheduler.run)
    thread.start()
    deadline = time.monotonic() + 5
    while not source.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # room for any replayed tick to arrive
    stop.set()
    thread.join(timeout=2)
    assert len(source.seen) == 1 and scheduler.upcoming["j"] == datetime(2026, 11, 20, 19, 1, tzinfo=UTC)


def test_the_log_line_of_a_training_run_says_when_it_stopped_early_and_what_was_already_done():
    resp = requests.Response()
    resp.status_code = 503
    resp._content = json.dumps({"models": [{}], "skipped": [], "failed": [], "errors": [], "already_trained": 2,
                                 "stopped": "time budget of 1500 s spent", "not_reached": 3}).encode()
    assert _outcome(resp) == ("models 1, skipped 0, failed 0, already trained 2; "
                              "stopped (time budget of 1500 s spent), not reached 3")
