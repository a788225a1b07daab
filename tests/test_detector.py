"""Detector: train per label set from stored history, then score new points with the trained model."""

from __future__ import annotations

import itertools
import json
import logging
import threading
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from conftest import NOW, call, history
from metricwatch.api.push import push
from metricwatch.api.train import train
from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.detector import Detector, TrainSummary
from metricwatch.detection.models.robust_zscore import RobustZScoreModel
from metricwatch.errors import StoreUnavailable
from metricwatch.modelstore.cache import ModelCache
from metricwatch.modelstore.local import FileModelStore
from metricwatch.points import Point
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore, StoredPoint


@pytest.fixture
def store(collection):
    return MongoMetricStore(collection)


def make_detector(store, tmp_path, model="robust_zscore", params=None, refresh=0):
    models = FileModelStore(tmp_path / "models")
    catalog = {"latency": WatchedMetric("latency", model, params or {}, timedelta(days=7))}
    return Detector(catalog, store, models, ModelCache(models, refresh), clock=lambda: NOW)


def seed(store, labels, n=2000, base=100.0, seed_=0):
    start = NOW - timedelta(days=7)
    store.insert([StoredPoint(Point("latency", v, t, labels))
                  for t, v in history(start, n, step=timedelta(minutes=5), base=base, seed=seed_)])


def test_training_writes_one_model_per_label_set_under_the_naming_template(store, tmp_path):
    seed(store, {"user": "ion"})
    seed(store, {"user": "maria"}, base=50.0)
    detector = make_detector(store, tmp_path)
    summary = detector.train()
    assert [m["object"] for m in summary.models] == ["latency_robust_zscore_user=ion.joblib",
                                                      "latency_robust_zscore_user=maria.joblib"]
    assert detector.models.names() == ["latency_robust_zscore_user=ion.joblib",
                                       "latency_robust_zscore_user=maria.joblib"]
    assert all(m["points"] == 2000 for m in summary.models)


def test_an_obvious_outlier_is_minus_one_and_a_typical_value_is_one(store, tmp_path):
    seed(store, {"user": "ion"})
    detector = make_detector(store, tmp_path)
    detector.train()
    at = NOW - timedelta(minutes=1)
    assert detector.predict("latency", {"labels": {"user": "ion"}, "value": 100.0, "timestamp": at}) == 1
    assert detector.predict("latency", {"labels": {"user": "ion"}, "value": 10_000.0, "timestamp": at}) == -1


def test_each_label_set_is_judged_by_its_own_model(store, tmp_path):
    seed(store, {"user": "ion"}, base=100.0)
    seed(store, {"user": "maria"}, base=5000.0)
    detector = make_detector(store, tmp_path)
    detector.train()
    at = NOW - timedelta(minutes=1)
    assert detector.predict("latency", {"labels": {"user": "maria"}, "value": 5000.0, "timestamp": at}) == 1
    assert detector.predict("latency", {"labels": {"user": "ion"}, "value": 5000.0, "timestamp": at}) == -1


def test_the_default_models_verdict_says_what_was_expected_and_why_an_outlier_is_one(store, tmp_path):
    seed(store, {"user": "ion"})
    detector = make_detector(store, tmp_path, model="robust_seasonal")
    detector.train()
    at = NOW - timedelta(minutes=1)
    usual, outlier = detector.score_points([Point("latency", 100.0, at - timedelta(minutes=5), {"user": "ion"}),
                                            Point("latency", 160.0, at, {"user": "ion"})])
    assert usual["anomaly"] == 1 and "reason" not in usual
    assert outlier["anomaly"] == -1 and outlier["reason"] == "far_from_expected"
    assert outlier["lower"] < outlier["expected"] < outlier["upper"] < 160.0 and outlier["model"] == "robust_seasonal"


def test_without_a_model_there_is_no_verdict(store, tmp_path):
    detector = make_detector(store, tmp_path)
    assert detector.predict("latency", {"labels": {}, "value": 1.0, "timestamp": NOW}) is None
    assert detector.predict("not_watched", {"labels": {}, "value": 1.0, "timestamp": NOW}) is None


def test_series_with_too_little_history_are_skipped_with_a_reason(store, tmp_path):
    seed(store, {"user": "new"}, n=5)
    summary = make_detector(store, tmp_path).train()
    assert summary.models == []
    assert "5 points" in summary.skipped[0]["reason"]


def test_a_metric_without_points_is_skipped_with_a_reason(store, tmp_path):
    summary = make_detector(store, tmp_path).train()
    assert summary.skipped == [{"metric": "latency", "reason": f"no points since {(NOW - timedelta(days=7)).isoformat()}"}]


def test_an_unreadable_model_is_logged_and_the_point_is_stored_without_verdict(store, tmp_path, caplog):
    detector = make_detector(store, tmp_path)
    detector.models.save("latency_robust_zscore.joblib", b"garbage")
    with caplog.at_level(logging.ERROR):
        assert detector.predict("latency", {"labels": {}, "value": 1.0, "timestamp": NOW}) is None
    assert "could not be read" in caplog.text


def test_push_then_train_then_push_stores_the_verdict_with_the_point(runtime, collection):
    """Through the HTTP handlers: the push function's answer and the stored document carry the verdict."""
    points = [{"name": "latency", "value": v, "timestamp": t.isoformat()}
              for t, v in history(NOW - timedelta(days=6), 1500, step=timedelta(minutes=5))]
    assert call(push, runtime, json_body=points)[0] == 201
    runtime.detector.clock = lambda: NOW
    status, summary = call(train, runtime, method="POST")
    assert status == 200 and summary["models"][0]["object"] == "latency_robust_zscore.joblib"
    at = (NOW - timedelta(minutes=2)).isoformat()
    status, body = call(push, runtime, json_body=[{"name": "latency", "value": 99.0, "timestamp": at},
                                                  {"name": "latency", "value": 1e6, "timestamp": at}])
    assert [p["anomaly"] for p in body["points"]] == [1, -1]
    assert body["points"][1]["model"] == "robust_zscore" and 0 <= body["points"][1]["anomaly_score"] <= 1
    doc = collection.find_one({"value": 1e6})
    assert doc["anomaly"] == -1 and "anomaly" not in doc["meta"]


def test_a_warm_instance_picks_up_a_retrained_model(runtime, collection, tmp_path):
    """The same runtime (a warm instance) scores with the new model after the trainer rewrote it."""
    runtime.detector.clock = lambda: NOW
    low = [{"name": "latency", "value": v, "timestamp": t.isoformat()}
           for t, v in history(NOW - timedelta(days=6), 800, base=10.0)]
    call(push, runtime, json_body=low)
    call(train, runtime)
    at = (NOW - timedelta(minutes=1)).isoformat()
    _, before = call(push, runtime, json_body={"name": "latency", "value": 500.0, "timestamp": at})
    assert before["points"][0]["anomaly"] == -1
    collection.delete_many({})
    high = [{"name": "latency", "value": v, "timestamp": t.isoformat()}
            for t, v in history(NOW - timedelta(days=6), 800, base=500.0, seed=1)]
    call(push, runtime, json_body=high)
    call(train, runtime)
    _, after = call(push, runtime, json_body={"name": "latency", "value": 500.0, "timestamp": at})
    assert after["points"][0]["anomaly"] == 1
    assert runtime.detector.cache.loads == 2


def test_train_for_one_unknown_metric_is_404(runtime):
    status, body = call(train, runtime, method="POST", query={"metric": "nope"})
    assert status == 404 and "not listed" in body["error"]


def test_train_refuses_a_parameter_it_does_not_know_rather_than_training_everything(runtime):
    status, body = call(train, runtime, method="POST", query={"metrc": "latency"})
    assert status == 400 and body["field"] == "metrc"


def test_a_batch_is_scored_in_time_order_with_context_from_before_its_earliest_point(store, tmp_path):
    """Rows [t+1, t] score as [t, t+1] would: the later point never serves as the earlier one's context."""
    seed(store, {})
    detector = make_detector(store, tmp_path)
    detector.train()
    t = NOW - timedelta(minutes=3)
    late, early = Point("latency", 100.0, t + timedelta(minutes=1)), Point("latency", 10_000.0, t)
    backwards = detector.score_points([late, early])
    forwards = detector.score_points([early, late])
    assert backwards == forwards[::-1]
    assert backwards[1]["anomaly"] == -1


def test_a_series_whose_data_cannot_make_a_model_is_skipped_not_failed(store, tmp_path):
    """robust_seasonal needs more history than the trainer's minimum: a reason, and no retry-worthy 500."""
    seed(store, {}, n=50)
    summary = make_detector(store, tmp_path, model="robust_seasonal").train()
    assert summary.failed == [] and summary.models == []
    assert summary.skipped and "points" in summary.skipped[0]["reason"]


class StoreGoingAway:
    """A metric store that becomes unreachable after `reads` history reads, as an Atlas failover looks."""

    def __init__(self, store, reads):
        self.store, self.reads, self.lock = store, reads, threading.Lock()  # the trainer reads from threads

    def __getattr__(self, name):
        return getattr(self.store, name)

    def series_points(self, *args):
        with self.lock:
            self.reads -= 1
            gone = self.reads < 0
        if gone:
            raise StoreUnavailable("MongoDB is unreachable: AutoReconnect")
        return self.store.series_points(*args)


def test_a_model_that_crashes_on_one_series_costs_that_series_only(store, tmp_path, monkeypatch, caplog):
    """An unexpected error in one fit is a failure of that series, logged; the others still get models."""
    for user, base in (("ion", 100.0), ("maria", 50.0), ("zoe", 100.0)):
        seed(store, {"user": user}, base=base)
    fit = RobustZScoreModel.fit

    def crash_on_low_values(self, timestamps, values):
        if np.median(values) < 75:
            raise ValueError("boom")
        return fit(self, timestamps, values)

    monkeypatch.setattr(RobustZScoreModel, "fit", crash_on_low_values)
    with caplog.at_level(logging.INFO):
        summary = make_detector(store, tmp_path).train()
    assert [m["labels"] for m in summary.models] == [{"user": "ion"}, {"user": "zoe"}]
    assert summary.errors == [{"metric": "latency", "labels": {"user": "maria"},
                               "reason": "training robust_zscore: ValueError: boom"}]
    assert summary.failed == []  # a retry of the run would repeat the bug: not a reason for a 500
    assert "training done in" in caplog.text and "2 models written, 0 skipped, 0 failed, 1 model errors" in caplog.text


def test_a_store_outage_mid_run_answers_503_with_what_was_done(make_settings, collection):
    """The series trained before MongoDB went away are reported, and the run is marked for a retry."""
    runtime = build_runtime(make_settings(TRAIN_WORKERS="1"), store=MongoMetricStore(collection))
    for user in ("ion", "maria"):
        seed(runtime.detector.store, {"user": user})
    runtime.detector.clock = lambda: NOW
    runtime.detector.store = StoreGoingAway(runtime.detector.store, reads=1)
    status, body = call(train, runtime, method="POST")
    assert status == 503
    assert [m["labels"] for m in body["models"]] == [{"user": "ion"}]
    assert body["stopped"] == "MongoDB is unreachable: AutoReconnect" and body["not_reached"] == 1


def test_a_run_logs_its_totals_and_each_series_it_did_not_train(store, tmp_path, caplog):
    seed(store, {"user": "ion"})
    seed(store, {"user": "new"}, n=5)
    with caplog.at_level(logging.INFO):
        make_detector(store, tmp_path).train()
    assert "1 models written, 1 skipped, 0 failed, 0 model errors" in caplog.text
    assert "training skipped" in caplog.text and "'user': 'new'" in caplog.text


def test_a_spike_resent_with_the_same_timestamp_is_one_alarm_as_in_a_backtest(runtime, collection):
    """The resent copy sees the first one in its context (push does not de-duplicate)."""
    runtime.detector.clock = lambda: NOW
    catalog = {"latency": WatchedMetric("latency", "robust_seasonal", {}, timedelta(days=7))}
    runtime.detector.catalog = catalog
    points = [{"name": "latency", "value": v, "timestamp": t.isoformat()}
              for t, v in history(NOW - timedelta(days=6), 1700, step=timedelta(minutes=5))]
    call(push, runtime, json_body=points)
    assert call(train, runtime)[0] == 200
    spike = {"name": "latency", "value": 1000.0, "timestamp": (NOW - timedelta(minutes=1)).isoformat()}
    first = call(push, runtime, json_body=spike)[1]["points"][0]
    again = call(push, runtime, json_body=spike)[1]["points"][0]
    assert first["anomaly"] == -1 and again["anomaly"] == 1


def test_a_push_silenced_by_an_incident_under_way_says_so_and_the_stored_point_keeps_it(runtime, collection):
    runtime.detector.clock = lambda: NOW
    runtime.detector.catalog = {"latency": WatchedMetric("latency", "robust_seasonal", {}, timedelta(days=7))}
    points = [{"name": "latency", "value": v, "timestamp": t.isoformat()}
              for t, v in history(NOW - timedelta(days=6), 1700, step=timedelta(minutes=5))]
    call(push, runtime, json_body=points)
    call(train, runtime)
    at = NOW - timedelta(minutes=2)
    spike, outage = call(push, runtime, json_body=[
        {"name": "latency", "value": 1000.0, "timestamp": at.isoformat()},
        {"name": "latency", "value": 0.0, "timestamp": (at + timedelta(minutes=1)).isoformat()}])[1]["points"]
    assert spike["anomaly"] == -1 and outage["anomaly"] == 1 and outage["silenced"] == "far_from_expected"
    assert collection.find_one({"value": 0.0, "time": {"$gte": at}})["silenced"] == "far_from_expected"


def ticking(step: float = 10.0):
    """A monotonic timer that moves `step` seconds each time it is read."""
    ticks = itertools.count(0.0, step)
    return lambda: next(ticks)


@pytest.mark.parametrize("workers", [1, 3])
def test_a_run_past_its_time_budget_starts_no_new_series_and_says_how_many_it_did_not_reach(store, tmp_path, workers):
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.timer = ticking(10.0)  # read at the start, then before each series after the first
    summary = detector.train(time_budget=15, workers=workers)
    assert [m["labels"] for m in summary.models] == [{"user": "ion"}, {"user": "maria"}]
    assert summary.not_reached == 1 and summary.skipped == summary.failed == []
    assert summary.stopped.startswith("time budget of 15 s spent")
    assert detector.models.names() == ["latency_robust_zscore_user=ion.joblib",
                                       "latency_robust_zscore_user=maria.joblib"]


def test_the_next_run_trains_the_series_without_a_model_first_then_the_stalest(store, tmp_path):
    """So a run cut short is continued by the next, not restarted on the same series."""
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.timer = ticking(10.0)
    detector.train(time_budget=15)  # ion, maria; zoe not reached
    assert [m["labels"]["user"] for m in detector.train().models] == ["zoe", "ion", "maria"]
    assert [m["labels"]["user"] for m in detector.train(time_budget=15).models] == ["zoe", "ion"]


def test_a_model_store_that_cannot_list_leaves_the_catalog_order(store, tmp_path, caplog):
    seed(store, {"user": "ion"})
    detector = make_detector(store, tmp_path)

    def broken():
        raise OSError("listing refused")

    detector.models.updated = broken
    with caplog.at_level(logging.WARNING):
        summary = detector.train()
    assert [m["labels"] for m in summary.models] == [{"user": "ion"}]
    assert "could not list the model store" in caplog.text


def test_a_run_stopped_by_its_deadline_answers_503_and_the_retry_trains_only_what_it_did_not_reach(
        make_settings, collection, caplog):
    """Cloud Scheduler's retry carries the run's scheduled time: models written since then are done."""
    runtime = build_runtime(make_settings(TRAIN_DEADLINE_SECONDS="15"), store=MongoMetricStore(collection))
    for user in ("ion", "maria", "zoe"):
        seed(runtime.detector.store, {"user": user})
    runtime.detector.clock = lambda: NOW
    runtime.detector.timer = ticking(10.0)
    scheduled = {"X-CloudScheduler-ScheduleTime": (datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat()}
    status, body = call(train, runtime, method="POST", headers=scheduled)
    assert status == 503 and body["not_reached"] == 1 and "time budget of 15 s" in body["stopped"]
    assert body["already_trained"] == 0
    with caplog.at_level(logging.INFO):
        status, body = call(train, runtime, method="POST", headers=scheduled)  # the retry
    assert status == 200 and [m["labels"]["user"] for m in body["models"]] == ["zoe"]
    assert body["already_trained"] == 2 and "stopped" not in body
    assert "1 models written, 0 skipped, 0 failed, 0 model errors, 2 already trained by an earlier attempt" in caplog.text


def test_a_run_without_a_scheduled_time_retrains_every_series(store, tmp_path):
    for user in ("ion", "maria"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.train()
    summary = detector.train()
    assert len(summary.models) == 2 and summary.already_trained is None


def test_a_malformed_scheduled_time_is_a_400_naming_the_header(runtime):
    status, body = call(train, runtime, method="POST", headers={"X-CloudScheduler-ScheduleTime": "yesterday"})
    assert status == 400 and "X-CloudScheduler-ScheduleTime" in json.dumps(body)


def test_the_budget_is_spent_when_the_elapsed_time_reaches_it_exactly(store, tmp_path):
    for user in ("ion", "maria"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.timer = ticking(10.0)
    summary = detector.train(time_budget=10)
    assert [m["labels"]["user"] for m in summary.models] == ["ion"] and summary.not_reached == 1


def test_each_series_is_trained_on_the_interval_ending_when_it_is_trained(store, tmp_path):
    """A run of many minutes still gives its last series their newest points."""
    for user in ("ion", "maria"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    times = iter([NOW, NOW, NOW + timedelta(days=3)])  # listing, then each series as it starts
    detector.clock = lambda: next(times)
    first, second = detector.train().models
    assert first["points"] == 2000 and second["points"] < 2000


def test_an_outage_before_every_metric_is_listed_says_the_number_not_reached_is_unknown(store, tmp_path, caplog):
    seed(store, {"user": "ion"})
    detector = make_detector(store, tmp_path)

    def unreachable(*args, **kwargs):
        raise StoreUnavailable("MongoDB is unreachable: AutoReconnect")

    detector.store = StoreGoingAway(store, reads=0)
    detector.store.label_sets = unreachable
    with caplog.at_level(logging.INFO):
        summary = detector.train()
    assert summary.stopped == "MongoDB is unreachable: AutoReconnect" and summary.not_reached is None
    assert summary.to_dict()["not_reached"] is None
    assert "an unknown number of series not reached" in caplog.text


def test_a_run_stopped_by_its_budget_is_a_warning_in_the_log_not_an_error(store, tmp_path, caplog):
    for user in ("ion", "maria"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.timer = ticking(10.0)
    with caplog.at_level(logging.INFO):
        detector.train(time_budget=5)
    done = [r for r in caplog.records if r.getMessage().startswith("training done")]
    assert [r.levelno for r in done] == [logging.WARNING]


class StoreWaitingFor:
    """A metric store whose history reads call `wait(labels)` first, to hold series in flight together."""

    def __init__(self, store, wait):
        self.store, self.wait = store, wait

    def __getattr__(self, name):
        return getattr(self.store, name)

    def series_points(self, name, labels, *args):
        self.wait(labels)
        return self.store.series_points(name, labels, *args)


def test_the_trainer_trains_several_series_at_once(store, tmp_path):
    """Reading history and writing models are waits on the network: the run overlaps them."""
    for user in ("ion", "maria"):
        seed(store, {"user": user})
    both_reading = threading.Barrier(2, timeout=10)  # broken, and the run fails, unless both reads overlap
    detector = make_detector(store, tmp_path)
    detector.store = StoreWaitingFor(store, lambda labels: both_reading.wait())
    summary = detector.train(workers=2)
    assert [m["labels"]["user"] for m in summary.models] == ["ion", "maria"] and summary.failed == []


def test_the_answer_lists_the_series_in_the_order_they_started_whichever_finished_first(store, tmp_path):
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})
    later_done = threading.Event()

    def ion_last(labels):
        if labels["user"] == "ion":
            assert later_done.wait(10)

    detector = make_detector(store, tmp_path)
    detector.store = StoreWaitingFor(store, ion_last)
    detector.models.save = _saving_then(detector.models.save, "zoe", later_done)
    summary = detector.train(workers=2)
    assert [m["labels"]["user"] for m in summary.models] == ["ion", "maria", "zoe"]


def _saving_then(save, user, event):
    """`save`, setting `event` once the model of `user`'s series is written."""
    def wrapped(name, data):
        save(name, data)
        if name.endswith(f"user={user}.joblib"):
            event.set()
    return wrapped


def test_an_outage_under_several_workers_counts_every_series_it_interrupted_as_not_reached(store, tmp_path):
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.store = StoreGoingAway(store, reads=1)
    summary = detector.train(workers=2)
    assert len(summary.models) == 1 and len(detector.models.names()) == 1
    assert summary.not_reached == 2 and summary.stopped == "MongoDB is unreachable: AutoReconnect"
    assert summary.failed == summary.skipped == []


def test_the_trainer_function_trains_as_many_series_at_once_as_train_workers_says(make_settings, collection):
    runtime = build_runtime(make_settings(TRAIN_WORKERS="3"), store=MongoMetricStore(collection))
    asked = []
    runtime.detector.run_queue = lambda queue, summary, started, budget, workers: asked.append(workers)
    assert call(train, runtime, method="POST")[0] == 200 and asked == [3]


def budget_spent_at(limit, timer):
    """`timer`, and an event set once it has read `limit` or more: the moment a budget of `limit` is spent."""
    spent = threading.Event()

    def read():
        now = timer()
        if now >= limit:
            spent.set()
        return now

    return read, spent


def test_a_series_under_way_when_the_budget_is_spent_still_finishes_and_is_reported(store, tmp_path):
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.timer, spent = budget_spent_at(15, ticking(10.0))  # 0 at the start, 10 before maria, 20 before zoe
    detector.store = StoreWaitingFor(store, lambda labels: labels["user"] != "ion" or spent.wait(10))
    summary = detector.train(time_budget=15, workers=2)
    assert spent.is_set() and [m["labels"]["user"] for m in summary.models] == ["ion", "maria"]
    assert summary.not_reached == 1 and summary.stopped.startswith("time budget of 15 s spent")


def test_an_outage_after_the_budget_is_spent_is_what_the_run_reports(store, tmp_path, caplog):
    """The retry must know MongoDB went away, not only that time ran out."""
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})
    detector = make_detector(store, tmp_path)
    detector.timer, spent = budget_spent_at(15, ticking(10.0))

    def outage_once_the_budget_is_spent(labels):
        if labels["user"] == "ion":
            assert spent.wait(10)
            raise StoreUnavailable("MongoDB is unreachable: AutoReconnect")

    detector.store = StoreWaitingFor(store, outage_once_the_budget_is_spent)
    with caplog.at_level(logging.INFO):
        summary = detector.train(time_budget=15, workers=2)
    assert summary.stopped == "MongoDB is unreachable: AutoReconnect"
    assert [m["labels"]["user"] for m in summary.models] == ["maria"] and summary.not_reached == 2  # ion, zoe
    assert [r.levelno for r in caplog.records if r.getMessage().startswith("training done")] == [logging.ERROR]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unexpected_error_on_one_series_is_that_series_error_and_the_others_still_train(store, tmp_path, workers):
    for user in ("ion", "maria", "zoe"):
        seed(store, {"user": user})

    def broken_for_maria(labels):
        if labels["user"] == "maria":
            raise ValueError("a document without a value")

    detector = make_detector(store, tmp_path)
    detector.store = StoreWaitingFor(store, broken_for_maria)
    summary = detector.train(workers=workers)
    assert [m["labels"]["user"] for m in summary.models] == ["ion", "zoe"] and summary.stopped is None
    assert summary.errors == [{"metric": "latency", "labels": {"user": "maria"},
                               "reason": "training: ValueError: a document without a value"}]
