"""POST|GET /train[?metric=NAME]: retrain models from stored history; POST /train/shard: one shard of a run.

`metric` names one watched metric (404 if it is not in the detection metrics
file); any other parameter is a 400, as on query.

Answers 200 with what was written and what was skipped and why (a series whose
data cannot make a model is skipped, not failed: retrying would not help);
500 with the same summary when a series failed (writing its model to the
bucket, reading its history), so Cloud Scheduler retries the run (a retry
retrains only what has no model written since the scheduled time); 503 with the summary so
far, `stopped` and `not_reached` when MongoDB became unreachable mid-run or
`TRAIN_DEADLINE_SECONDS` passed (no new series starts then). A retry carries
the run's `X-CloudScheduler-ScheduleTime`: the series whose model was written
since then (by an earlier attempt) are counted as `already_trained` and left
alone, so the retries of a long run end. `already_trained` is in the answer
whenever that header is (0 on a first attempt), `not_reached` only with
`stopped`. A model that
raised is listed under `errors` and logged, but answers 200: retrying would
repeat the same bug on every series.

A run too long for one instance (TRAIN_SERIES_SECONDS per series against the
deadline) is cut into shards (`detection/fanout.py`) and the answer says so in
`fan_out`. With TRAIN_DISPATCH=inline they are trained here and the answer is
theirs; with Cloud Tasks they are queued and the answer is 202, each shard then
answering its own task: `/shard` takes the body `Shard.to_dict` writes, from the
queue's service account only when TRAIN_SHARD_SERVICE_ACCOUNT is set (401 without
an ID token, 403 with another identity), a malformed body is a 400 naming the
field, and its statuses are the run's (200, 500, 503: the queue retries 5xx).
"""

from __future__ import annotations

from typing import Any

from metricwatch.api.http import SCHEDULE_HEADER, endpoint, json_response, read_json
from metricwatch.api.oidc import require_identity
from metricwatch.detection.dispatch import open_dispatcher
from metricwatch.detection.fanout import Sharding, train_run, train_shard
from metricwatch.detection.shards import parse_shard
from metricwatch.detection.training import TrainSummary
from metricwatch.errors import InvalidInput, MethodNotAllowed, NotFound
from metricwatch.runtime import Runtime
from metricwatch.timeutil import parse_utc

NAME = "train"


def _route(request: Any) -> str:
    parts = [p for p in request.path.split("/") if p]
    parts = parts[1:] if parts[:1] == [NAME] else parts  # the local runner passes the path without our name
    if parts not in ([], ["shard"]):
        raise NotFound(f"no route {request.path!r}; POST / runs the training, POST /shard trains one shard")
    return "/".join(parts)


def _status(summary: TrainSummary) -> int:
    pending = bool(summary.fan_out and summary.fan_out["pending"])
    return 503 if summary.stopped else 500 if summary.failed else 202 if pending else 200


@endpoint("POST", "GET")
def train(request: Any, runtime: Runtime) -> Any:
    if _route(request) == "shard":
        return _shard(request, runtime)
    unknown = sorted(set(request.args) - {"metric"})
    if unknown:
        raise InvalidInput(f"unknown parameter(s) {unknown}; expected ['metric']", field=unknown[0])
    metric = request.args.get("metric") or None
    scheduled = request.headers.get(SCHEDULE_HEADER)
    trained_since = parse_utc(scheduled, SCHEDULE_HEADER) if scheduled else None
    settings, detector = runtime.settings, runtime.detector
    started = detector.timer()

    def here(shard: Any) -> TrainSummary:  # inline shards share this run's deadline
        left = settings.train_deadline_seconds - (detector.timer() - started)
        return train_shard(detector, shard, left, settings.train_workers)

    dispatcher = open_dispatcher(settings.train_dispatch, here, settings.train_shard_url,
                                 settings.train_shard_service_account)
    sharding = Sharding(dispatcher, settings.train_series_seconds, settings.train_deadline_seconds,
                        settings.train_max_shards)
    summary = train_run(detector, sharding, metric, trained_since, settings.train_workers, started)
    return json_response(summary.to_dict(), _status(summary))


def _shard(request: Any, runtime: Runtime) -> Any:
    settings = runtime.settings
    if request.method != "POST":
        raise MethodNotAllowed(f"method {request.method} not allowed on /shard; use POST with a JSON body")
    if request.args:
        raise InvalidInput(f"unknown parameter(s) {sorted(request.args)}; /shard takes none",
                           field=sorted(request.args)[0])
    if settings.train_shard_service_account:
        require_identity(request, settings.train_shard_service_account)
    shard = parse_shard(read_json(request, settings.max_body_bytes))
    summary = train_shard(runtime.detector, shard, settings.train_deadline_seconds, settings.train_workers)
    return json_response({"shard": shard.index, "shards": shard.count, **summary.to_dict()}, _status(summary))
