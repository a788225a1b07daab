"""A training run too long for one instance is cut into shards, each trained once, wherever it runs.

The plan: as few shards as fit the deadline by TRAIN_SERIES_SECONDS, every series in exactly
one. The shard endpoint: only the queue's identity, a 400 naming the field of a bad body, and the
run's "trained since" rule and deadline on every attempt, so a retried shard trains nothing twice.
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from conftest import history
from metricwatch.api.train import train
from metricwatch.detection.shards import BODY_BYTES, Shard, cut, parse_shard, plan, series_bytes
from metricwatch.errors import InvalidInput
from metricwatch.points import Point
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore, StoredPoint

RUN = datetime(2026, 11, 20, 2, 30, tzinfo=timezone.utc)
INVOKER = "mw-tasks@proj-1234.iam.gserviceaccount.com"
SCHEDULE = {"X-CloudScheduler-ScheduleTime": RUN.isoformat()}


def id_token(email: str, **claims: object) -> dict[str, str]:
    """An ID token as Cloud Run hands it on: its signature replaced, its claims readable."""
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    token = f"{part({'alg': 'RS256'})}.{part({'email': email, 'email_verified': True, **claims})}.SIGNATURE_REMOVED_BY_GOOGLE"
    return {"Authorization": f"Bearer {token}"}


def seed(collection, users, n=60):
    store = MongoMetricStore(collection)
    for k, user in enumerate(users):
        store.insert([StoredPoint(Point("latency", v, t, {"user": user}))
                      for t, v in history(datetime.now(timezone.utc) - timedelta(days=1), n, seed=k)])


def shard_of(users, index=0, count=1, run=RUN) -> Shard:
    return Shard(run, index, count, tuple(("latency", {"user": u}) for u in users))


# -- the plan ------------------------------------------------------------------------------------

def test_a_run_that_fits_one_instance_is_one_shard_whatever_its_listing_would_weigh_as_a_body():
    assert plan(1000, 0.15, 1500, 100).shards == 1
    assert plan(1000, 0.15, 1500, 100, series_bytes=BODY_BYTES).shards == 1


@pytest.mark.parametrize("series, shards, size", [(10_000, 2, 5_000), (100_000, 13, 7_693)])
def test_the_fewest_shards_whose_estimate_fits_80_percent_of_the_deadline(series, shards, size):
    got = plan(series, 0.15, 1500, 100)
    assert (got.shards, got.size, got.capped) == (shards, size, False)
    assert got.size * 0.15 <= 0.8 * 1500


def test_past_train_max_shards_each_shard_is_bigger_than_its_deadline_and_the_plan_says_so():
    got = plan(100_000, 0.15, 1500, 5)
    assert (got.shards, got.size, got.capped) == (5, 20_000, True)


def test_a_shard_body_stays_under_the_task_size_limit_whatever_the_deadline_allows():
    got = plan(10_000, 0.5, 1500, 100, series_bytes=1_000)  # the deadline alone: 5 shards of 2,000
    assert got.size * 1_000 <= BODY_BYTES and got.shards * got.size >= 10_000 and got.shards > 5


@pytest.mark.parametrize("n, size", [(1, 1), (7, 3), (9, 3), (10, 1), (1000, 333)])
def test_every_series_is_in_exactly_one_shard_in_listing_order(n, size):
    listing = [("latency", {"user": f"u{i}"}) for i in range(n)]
    shards = cut(listing, RUN, plan(n, 1.0, size / 0.8, n))
    assert [s for shard in shards for s in shard.series] == listing
    assert [shard.index for shard in shards] == list(range(len(shards)))
    assert {shard.count for shard in shards} == {len(shards)} and max(len(s.series) for s in shards) <= size


def test_a_task_name_is_the_same_for_the_same_shard_of_the_same_run_and_only_then():
    one = shard_of(["ion", "zoe"])
    assert one.task_id() == shard_of(["ion", "zoe"]).task_id()
    others = [shard_of(["ion"]), shard_of(["ion", "zoe"], run=RUN + timedelta(days=1)), shard_of(["ion", "zoe"], 1, 2)]
    assert len({one.task_id(), *(o.task_id() for o in others)}) == 4
    assert len(one.task_id()) <= 500 and all(c.isalnum() or c in "-_" for c in one.task_id())


def test_series_bytes_is_what_a_series_adds_to_the_body():
    one, two = shard_of(["ion"]), shard_of(["ion", "zoe"])
    assert len(two.body()) - len(one.body()) == series_bytes(("latency", {"user": "zoe"}))


# -- the body ------------------------------------------------------------------------------------

def test_a_body_reads_back_as_the_shard_that_wrote_it():
    shard = shard_of(["ion", "zoe"], 1, 3)
    assert parse_shard(json.loads(shard.body())) == shard


@pytest.mark.parametrize("change, field", [
    ({"run": "yesterday"}, "run"),
    ({"shard": 3}, "shard"),
    ({"shard": -1}, "shard"),
    ({"shards": 0}, "shards"),
    ({"shards": True}, "shards"),
    ({"series": []}, "series"),
    ({"series": "latency"}, "series"),
    ({"series": [{"metric": "latency"}, {"metric": "1bad"}]}, "series[1].metric"),
    ({"series": [{"metric": "latency", "labels": {"$x": "1"}}]}, "series[0].labels"),
    ({"series": [{"metric": "latency", "label": {}}]}, "series[0]"),
    ({"extra": 1}, "extra"),
])
def test_a_bad_body_is_refused_naming_its_field(change, field):
    body = {**shard_of(["ion"], 0, 3).to_dict(), **change}
    with pytest.raises(InvalidInput) as raised:
        parse_shard(body)
    assert raised.value.details["field"] == field


@pytest.mark.parametrize("missing", ["run", "shard", "shards", "series"])
def test_every_field_is_required(missing):
    body = shard_of(["ion"]).to_dict()
    del body[missing]
    with pytest.raises(InvalidInput) as raised:
        parse_shard(body)
    assert raised.value.details["field"] == missing


# -- the shard endpoint --------------------------------------------------------------------------

def http(runtime, path="/shard", method="POST", body=None, headers=None, query=None):
    """An in-process call of the train function at `path`: (status, decoded JSON)."""
    builder = EnvironBuilder(path=path, method=method, headers=headers, query_string=query,
                             **({} if body is None else {"data": json.dumps(body), "content_type": "application/json"}))
    text, status, _ = train(Request(builder.get_environ()), runtime=runtime)
    return status, json.loads(text)


def post_shard(runtime, shard, headers=None, **kwargs):
    body = shard.to_dict() if isinstance(shard, Shard) else shard
    return http(runtime, body=body, headers=id_token(INVOKER) if headers is None else headers, **kwargs)


@pytest.fixture
def shard_runtime(make_settings, collection):
    def make(**env):
        return build_runtime(make_settings(TRAIN_SHARD_SERVICE_ACCOUNT=INVOKER, **env), store=MongoMetricStore(collection))
    return make


def test_a_shard_is_taken_only_with_the_queue_s_id_token(shard_runtime, collection):
    seed(collection, ["ion"])
    runtime = shard_runtime()
    assert post_shard(runtime, shard_of(["ion"]), headers={})[0] == 401
    assert post_shard(runtime, shard_of(["ion"]), headers={"Authorization": "Bearer not-a-jwt"})[0] == 401
    status, answer = post_shard(runtime, shard_of(["ion"]), headers=id_token("mw-scheduler@proj-1234.iam.gserviceaccount.com"))
    assert (status, answer["identity"]) == (403, INVOKER)
    assert post_shard(runtime, shard_of(["ion"]), headers=id_token(INVOKER, email_verified=False))[0] == 403
    assert runtime.detector.models.names() == []
    status, answer = post_shard(runtime, shard_of(["ion"]))
    assert status == 200 and (answer["shard"], answer["shards"]) == (0, 1)
    assert [m["labels"] for m in answer["models"]] == [{"user": "ion"}]


def test_the_identity_is_checked_before_the_body_is_read(shard_runtime):
    assert post_shard(shard_runtime(), "not even an object", headers={})[0] == 401


@pytest.mark.parametrize("body, field", [("not an object", "body"), ({"run": RUN.isoformat()}, "shard"),
                                         ({**shard_of(["ion"]).to_dict(), "series": [{"metric": 7}]}, "series[0].metric")])
def test_a_bad_shard_is_a_400_naming_the_field_and_trains_nothing(shard_runtime, collection, body, field):
    seed(collection, ["ion"])
    runtime = shard_runtime()
    status, answer = post_shard(runtime, body)
    assert (status, answer["field"]) == (400, field)
    assert runtime.detector.models.names() == []


def test_the_shard_route_takes_post_and_no_parameter(shard_runtime):
    runtime = shard_runtime()
    assert http(runtime, method="GET", headers=id_token(INVOKER))[0] == 405
    assert post_shard(runtime, shard_of(["ion"]), query={"metric": "latency"})[1]["field"] == "metric"
    assert http(runtime, path="/elsewhere")[0] == 404
    assert http(runtime, path="/train/shard", body=shard_of(["ion"]).to_dict(), headers=id_token(INVOKER))[0] == 200


def test_a_shard_trains_its_series_only_and_skips_a_metric_no_longer_watched(shard_runtime, collection):
    seed(collection, ["ion", "maria", "zoe"])
    shard = Shard(RUN, 0, 1, (("latency", {"user": "zoe"}), ("gone", {"user": "ion"})))
    status, answer = post_shard(shard_runtime(), shard)
    assert status == 200 and [m["labels"] for m in answer["models"]] == [{"user": "zoe"}]
    assert answer["skipped"] == [{"metric": "gone", "labels": {"user": "ion"}, "reason": "the metric is not watched"}]


def test_a_retried_shard_trains_nothing_twice(shard_runtime, collection):
    """The run's time is the shard's "trained since": what an earlier attempt wrote is left alone."""
    seed(collection, ["ion", "maria"])
    runtime = shard_runtime()
    first = post_shard(runtime, shard_of(["ion", "maria"]))[1]
    versions = {name: runtime.detector.models.version(name) for name in runtime.detector.models.names()}
    status, again = post_shard(runtime, shard_of(["ion", "maria"]))
    assert len(first["models"]) == 2 and first["already_trained"] == 0
    assert status == 200 and again["models"] == [] and again["already_trained"] == 2
    assert {name: runtime.detector.models.version(name) for name in versions} == versions


def test_a_model_written_before_the_run_is_retrained(shard_runtime, collection):
    seed(collection, ["ion"])
    runtime = shard_runtime()
    post_shard(runtime, shard_of(["ion"], run=RUN))
    later = datetime.now(timezone.utc) + timedelta(minutes=1)  # the next day's run, in effect
    assert len(post_shard(runtime, shard_of(["ion"], run=later))[1]["models"]) == 1


def ticking(step: float):
    ticks = itertools.count(0.0, step)
    return lambda: next(ticks)


def test_each_shard_attempt_has_the_deadline_and_its_retry_continues_where_it_stopped(shard_runtime, collection):
    users = ["ion", "maria", "zoe", "ana", "eve"]  # two an attempt: the first, and one 10 s later
    seed(collection, users)
    runtime = shard_runtime(TRAIN_DEADLINE_SECONDS="15", TRAIN_WORKERS="1")
    runtime.detector.timer = ticking(10.0)  # the start, then before each series after the first
    trained, statuses = [], []
    for _ in range(3):
        status, answer = post_shard(runtime, shard_of(users))
        statuses.append(status)
        trained += [m["labels"]["user"] for m in answer["models"]]
        if status == 200:
            break
    assert statuses == [503, 503, 200]  # 503 is what Cloud Tasks retries
    assert sorted(trained) == sorted(users), "every series once, none twice"
