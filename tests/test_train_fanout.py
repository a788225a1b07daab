"""A run too long for one instance fans out: to Cloud Tasks when deployed, to this process under `make run`.

What Cloud Tasks is sent is checked on the real google-cloud-tasks request classes, with the
client's `create_task` answered here as the service would (a task name it holds is refused as
a duplicate). The in-process dispatcher runs end to end over mongomock and a model store on disk.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from google.api_core.exceptions import AlreadyExists, ServiceUnavailable
from google.auth.credentials import AnonymousCredentials
from google.cloud import tasks_v2

from test_train_shards import INVOKER, RUN, SCHEDULE, http, id_token, seed, shard_of
from metricwatch.api.train import train
from metricwatch.detection.dispatch.cloudtasks import DISPATCH_DEADLINE_SECONDS, CloudTasksDispatcher
from metricwatch.errors import DispatchFailed
from metricwatch.ops.manifest import load_manifest
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore
from conftest import ROOT

QUEUE = "projects/proj-1234/locations/europe-west1/queues/mw-train"
URL = "https://train-123456789.europe-west1.run.app"
USERS = ["ana", "eve", "ion", "maria", "zoe"]


class FakeQueue:
    """The Cloud Tasks service as the client sees it: keeps each request, refuses a name it holds."""

    def __init__(self, refuse_after: int | None = None) -> None:
        self.requests: list[tasks_v2.CreateTaskRequest] = []
        self.names: set[str] = set()
        self.refuse_after = refuse_after

    def client(self) -> tasks_v2.CloudTasksClient:
        client = tasks_v2.CloudTasksClient(credentials=AnonymousCredentials())
        client.create_task = self.create_task  # the transport is not reached: no GCP here
        return client

    def create_task(self, request: tasks_v2.CreateTaskRequest) -> tasks_v2.Task:
        assert isinstance(request, tasks_v2.CreateTaskRequest)
        tasks_v2.CreateTaskRequest.deserialize(tasks_v2.CreateTaskRequest.serialize(request))  # a valid message
        if self.refuse_after is not None and len(self.names) >= self.refuse_after:
            raise ServiceUnavailable("queue overloaded")
        if request.task.name in self.names:
            raise AlreadyExists(f"task {request.task.name} already exists")
        self.names.add(request.task.name)
        self.requests.append(request)
        return request.task


def test_a_shard_is_an_authenticated_post_of_its_body_to_the_train_function():
    queue = FakeQueue()
    shard = shard_of(["ion", "zoe"], 2, 5)
    CloudTasksDispatcher(QUEUE, URL + "/", INVOKER, client=queue.client()).dispatch([shard])
    [request] = queue.requests
    task = request.task
    assert request.parent == QUEUE
    assert task.name == f"{QUEUE}/tasks/{shard.task_id()}"
    assert task.http_request.http_method == tasks_v2.HttpMethod.POST
    assert task.http_request.url == f"{URL}/shard"
    assert task.http_request.headers == {"Content-Type": "application/json"}
    assert json.loads(task.http_request.body) == shard.to_dict()
    assert task.http_request.oidc_token.service_account_email == INVOKER
    assert task.http_request.oidc_token.audience == URL
    assert task.dispatch_deadline.total_seconds() == DISPATCH_DEADLINE_SECONDS


def test_cloud_tasks_waits_for_a_shard_as_long_as_the_train_function_may_run():
    """Any less, and Cloud Tasks would retry a shard while its first attempt still trains."""
    assert DISPATCH_DEADLINE_SECONDS == load_manifest(ROOT / "functions" / "train").timeout_seconds <= 1800


def test_dispatching_the_same_shards_again_queues_nothing_twice():
    queue = FakeQueue()
    dispatcher = CloudTasksDispatcher(QUEUE, URL, INVOKER, client=queue.client())
    shards = [shard_of(["ion"], 0, 2), shard_of(["zoe"], 1, 2)]
    first, again = dispatcher.dispatch(shards), dispatcher.dispatch(shards)
    assert (first.created, first.existing, again.created, again.existing) == (2, 0, 0, 2)
    assert len(queue.requests) == 2 and first.pending


def test_a_queue_that_refuses_some_shards_is_a_503_saying_how_far_it_got():
    dispatcher = CloudTasksDispatcher(QUEUE, URL, INVOKER, client=FakeQueue(refuse_after=1).client())
    with pytest.raises(DispatchFailed) as raised:
        dispatcher.dispatch([shard_of(["ion"], i, 3) for i in range(3)])
    assert raised.value.status == 503
    assert (raised.value.details["created"], raised.value.details["refused"]) == (1, 2)


# -- the run ---------------------------------------------------------------------------------------

@pytest.fixture
def fan_out(make_settings, collection):
    """A runtime whose estimate makes five series too many for one instance: 2 a shard."""
    def make(**env):
        settings = make_settings(TRAIN_SERIES_SECONDS="500", TRAIN_DEADLINE_SECONDS="1250", **env)
        return build_runtime(settings, store=MongoMetricStore(collection))
    seed(collection, USERS)
    return make


def run(runtime, headers=SCHEDULE):
    return http(runtime, path="/", headers=headers)


def trained_users(answer):
    return sorted(m["labels"]["user"] for m in answer["models"])


def test_a_run_that_fits_one_instance_is_trained_here_as_before(make_settings, collection):
    seed(collection, USERS)
    status, answer = run(build_runtime(make_settings(), store=MongoMetricStore(collection)))
    assert status == 200 and "fan_out" not in answer and trained_users(answer) == USERS


@pytest.mark.parametrize("dispatch", ["inline", "inline:1"])
def test_in_process_shards_train_every_series_once_through_the_shard_code(fan_out, dispatch):
    runtime = fan_out(TRAIN_DISPATCH=dispatch)
    status, answer = run(runtime)
    assert status == 200 and trained_users(answer) == USERS, "each series once, in its own shard"
    assert answer["fan_out"] | {"one_instance_seconds": 0} == {
        "dispatch": "inline", "series": 5, "shards": 3, "shard_size": 2, "sent": 3, "queued": 3,
        "already_queued": 0, "one_instance_seconds": 0, "capped": False, "pending": False}
    assert answer["already_trained"] == 0
    assert len(runtime.detector.models.names()) == 5


def test_a_retry_of_a_fanned_out_run_sends_no_shard_whose_series_are_all_trained(fan_out):
    runtime = fan_out()
    run(runtime)
    status, answer = run(runtime)
    assert status == 200 and answer["models"] == [] and answer["already_trained"] == 5
    assert answer["fan_out"]["sent"] == 0


def test_in_process_shards_share_the_run_s_deadline(fan_out):
    runtime = fan_out(TRAIN_DISPATCH="inline:1")
    ticks = iter(range(0, 10_000, 1000))
    runtime.detector.timer = lambda: next(ticks)  # 1,000 s a read: the second shard starts past 1,250 s
    status, answer = run(runtime)
    assert status == 503 and answer["not_reached"] >= 1 and len(answer["models"]) < 5
    status, answer = run(build_runtime(runtime.settings, store=runtime.store))  # the scheduler's retry
    assert status == 200 and answer["already_trained"] + len(answer["models"]) == 5


def test_a_run_queued_on_cloud_tasks_answers_202_and_each_task_trains_its_shard(fan_out, monkeypatch):
    queue = FakeQueue()
    monkeypatch.setattr(CloudTasksDispatcher, "client", property(lambda self: queue.client()))
    runtime = fan_out(TRAIN_DISPATCH=f"cloudtasks://{QUEUE}", TRAIN_SHARD_URL=URL, TRAIN_SHARD_SERVICE_ACCOUNT=INVOKER)
    status, answer = run(runtime)
    assert status == 202 and answer["models"] == []
    assert (answer["fan_out"]["queued"], answer["fan_out"]["pending"]) == (3, True)
    assert run(runtime)[1]["fan_out"] == {**answer["fan_out"], "queued": 0, "already_queued": 3}, \
        "the scheduler's retry queues the same tasks, which Cloud Tasks refuses as duplicates"
    trained = []
    for request in queue.requests:  # what Cloud Tasks would deliver
        body = json.loads(request.task.http_request.body)
        assert datetime.fromisoformat(body["run"]) == RUN
        status, done = http(runtime, path="/shard", body=body, headers=id_token(INVOKER))
        assert status == 200
        trained += trained_users(done)
    assert sorted(trained) == USERS


def test_a_manual_run_that_fans_out_gives_its_shards_its_own_start_as_their_run(fan_out):
    runtime = fan_out()
    status, answer = run(runtime, headers={})
    assert status == 200 and trained_users(answer) == USERS and "already_trained" not in answer


def test_a_retry_that_finds_every_shard_trained_queues_nothing_and_answers_200(fan_out, monkeypatch):
    queue = FakeQueue()
    monkeypatch.setattr(CloudTasksDispatcher, "client", property(lambda self: queue.client()))
    run(fan_out())  # in process: every series trained since the run's time
    queued = fan_out(TRAIN_DISPATCH=f"cloudtasks://{QUEUE}", TRAIN_SHARD_URL=URL, TRAIN_SHARD_SERVICE_ACCOUNT=INVOKER)
    status, answer = run(queued)  # the same store and bucket
    assert status == 200 and answer["fan_out"]["sent"] == 0 and answer["already_trained"] == 5
    assert queue.requests == []
