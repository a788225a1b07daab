"""POST/GET/DELETE /feedback as a person uses it, and what the next training does with each kind.

Run on mongomock always and on a real MongoDB when MONGO_TEST_URL is set (the `store` fixture).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from conftest import NOW, call, history
from metricwatch.api.feedback import feedback
from metricwatch.api.push import push
from metricwatch.api.train import train
from metricwatch.detection.models import create_model
from metricwatch.alerting.silences import Silences
from metricwatch.modelstore.cache import loads
from metricwatch.timeutil import utcnow

OUTAGE = (NOW - timedelta(days=3), NOW - timedelta(days=2))


@pytest.fixture
def collection(store):
    return store.collection


@pytest.fixture
def runtime(make_settings, store):
    from metricwatch.runtime import build_runtime

    return build_runtime(make_settings(), store=store)


def mark(runtime, kind="not_anomaly", start=OUTAGE[0], end=OUTAGE[1], **extra):
    body = {"metric": "latency", "labels": {"host": "a"}, "start": start.isoformat(), "end": end.isoformat(),
            "kind": kind, **extra}
    return call(feedback, runtime, json_body=body)


@pytest.fixture
def series(runtime):
    """Six days of latency{host=a} at 5 minutes, with a day-long outage at ten times the level."""
    points = [{"name": "latency", "labels": {"host": "a"}, "timestamp": t.isoformat(),
               "value": v * 10 if OUTAGE[0] <= t < OUTAGE[1] else v}
              for t, v in history(NOW - timedelta(days=6), 6 * 288)]
    assert call(push, runtime, json_body=points)[0] == 201
    runtime.detector.clock = lambda: NOW
    return runtime


def trained(runtime):
    status, summary = call(train, runtime, method="POST", query={"metric": "latency"})
    assert status == 200, summary
    [entry] = summary["models"]
    data, _generation = runtime.detector.models.load(entry["object"])
    return entry, loads(data)


def test_feedback_is_kept_and_listed_newest_range_first(series):
    status, first = mark(series, comment="deploy", author="ana")
    assert status == 201, first
    assert (first["kind"], first["comment"], first["author"]) == ("not_anomaly", "deploy", "ana")
    assert "POST /train?metric=latency" in first["retrain"]
    mark(series, "anomaly", start=NOW - timedelta(days=1), end=NOW - timedelta(hours=20))
    status, listed = call(feedback, series, method="GET", query={"metric": "latency", "labels": "host=a"})
    assert status == 200 and [f["kind"] for f in listed["feedback"]] == ["anomaly", "not_anomaly"]
    assert call(feedback, series, method="GET", query={"metric": "latency", "labels": "host=b"})[1] == {"feedback": []}


def delete(runtime, path):
    body, status, _ = feedback(Request(EnvironBuilder(method="DELETE", path=path).get_environ()), runtime=runtime)
    return status, json.loads(body)


def test_feedback_can_be_taken_back(series):
    _, made = mark(series)
    assert delete(series, "/feedback")[0] == 405  # DELETE needs an id
    status, gone = delete(series, f"/feedback/{made['id']}")
    assert status == 200 and gone["id"] == made["id"]
    assert call(feedback, series, method="GET")[1] == {"feedback": []}
    assert delete(series, f"/feedback/{made['id']}")[0] == 404


def test_feedback_on_a_series_that_does_not_exist_is_a_404(series):
    status, body = call(feedback, series, json_body={"metric": "latency", "labels": {"host": "zz"},
                                                     "start": OUTAGE[0].isoformat(), "end": OUTAGE[1].isoformat(),
                                                     "kind": "anomaly"})
    assert status == 404 and body["field"] == "labels"
    status, body = call(feedback, series, json_body={"metric": "latencyy", "start": OUTAGE[0].isoformat(),
                                                     "end": OUTAGE[1].isoformat(), "kind": "anomaly"})
    assert status == 404 and body["field"] == "metric"


@pytest.mark.parametrize("change, field", [
    ({"kind": "false_alarm"}, "kind"), ({"kind": None}, "kind"), ({"metric": "9bad"}, "metric"),
    ({"metric": None}, "metric"), ({"start": "yesterday"}, "start"), ({"end": None}, "end"),
    ({"end": OUTAGE[0].isoformat()}, "end"), ({"start": (NOW - timedelta(days=900)).isoformat()}, "end"),
    ({"labels": {"host": 1}}, "labels"), ({"labels": "host=a"}, "labels"), ({"comment": 5}, "comment"),
    ({"author": "x" * 1001}, "author"), ({"severity": "high"}, "severity"),
])
def test_bad_feedback_is_a_400_naming_the_field_and_nothing_is_kept(series, change, field):
    body = {"metric": "latency", "labels": {"host": "a"}, "start": OUTAGE[0].isoformat(),
            "end": OUTAGE[1].isoformat(), "kind": "anomaly", **change}
    status, answer = call(feedback, series, json_body={k: v for k, v in body.items() if v is not None})
    assert status == 400 and answer["field"] == field, answer
    assert call(feedback, series, method="GET")[1] == {"feedback": []}


@pytest.mark.parametrize("body", [[], "x", 5, {"metric": []}, [{"metric": "latency"}]])
def test_a_body_that_is_not_a_feedback_object_is_a_400(series, body):
    assert call(feedback, series, json_body=body)[0] == 400


def test_the_push_token_guards_feedback(make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    rt = build_runtime(make_settings(PUSH_TOKENS="t0k"), store=MongoMetricStore(collection))
    assert call(feedback, rt, method="GET")[0] == 401
    assert call(feedback, rt, method="GET", headers={"Authorization": "Bearer t0k"})[0] == 200


def fitted_without(runtime, start, end):
    """The model trained on the same history with the rows of [start, end) deleted."""
    data = runtime.store.series_points("latency", {"host": "a"}, NOW - timedelta(days=7), NOW)
    keep = (data.timestamps < start.timestamp()) | (data.timestamps >= end.timestamp())
    return create_model("robust_zscore", {"z_threshold": 6}).fit(data.timestamps[keep], data.values[keep])


def probe(model):
    import numpy as np

    ts = NOW.timestamp() + 300.0 * np.arange(40)
    return model.score(ts, np.linspace(50, 2000, 40)).score


def test_an_anomaly_range_is_left_out_of_the_next_training(series):
    _, plain = trained(series)
    mark(series, "anomaly")
    entry, model = trained(series)
    assert entry["feedback"] == {"marks": {"not_anomaly": 0, "anomaly": 1, "ignore": 0},
                                 "rows_left_out": 288, "rows_accepted": 0}
    assert list(probe(model)) == list(probe(fitted_without(series, *OUTAGE)))
    assert list(probe(model)) != list(probe(plain))


def test_an_ignore_range_is_left_out_too_and_mutes_the_series_alerts_for_its_future_part(series):
    until = utcnow().replace(microsecond=0) + timedelta(hours=2)  # silences are about the wall clock
    status, made = mark(series, "ignore", start=NOW - timedelta(hours=1), end=until, comment="db migration",
                        author="ana")
    assert status == 201 and made["alerts"]["muted"] is True
    [silence] = Silences(series.alerts).list()
    assert [str(m) for m in silence.matchers] == ['metric="latency"', 'host="a"']
    assert silence.ends_at == until and "db migration" in silence.comment and silence.created_by == "ana"
    entry, _ = trained(series)
    assert entry["feedback"]["rows_left_out"] == 12


def test_a_past_ignore_range_mutes_nothing_and_says_so(series):
    _, made = mark(series, "ignore")
    assert made["alerts"] == {"muted": False, "why": "the range is over: nothing left to mute"}


def test_a_not_anomaly_range_stays_in_the_training_data_and_is_counted(series):
    mark(series, "not_anomaly")
    entry, _ = trained(series)
    assert entry["feedback"]["rows_left_out"] == 0 and entry["feedback"]["rows_accepted"] == 288


def test_garbage_gets_a_4xx_never_a_500(series):
    import random

    rng = random.Random(7)
    junk = [None, 0, -1, 1e309, "", "x" * 5000, [], {}, {"a": {"b": []}}, True, "2026-13-45", "\ud800"]
    for _ in range(300):
        body = {k: rng.choice(junk) for k in rng.sample(["metric", "labels", "start", "end", "kind", "comment",
                                                         "author", "zz"], rng.randint(0, 8))}
        status, _ = call(feedback, series, json_body=body)
        assert 400 <= status < 500, body
    for query in ({"metric": "\x00"}, {"labels": "{"}, {"limit": "-1"}, {"x": "1"}, {"labels": "a=b"}):
        assert 400 <= call(feedback, series, method="GET", query=query)[0] < 500, query
