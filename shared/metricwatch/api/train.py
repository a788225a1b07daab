"""POST|GET /train[?metric=NAME]: retrain models from stored history.

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
"""

from __future__ import annotations

from typing import Any

from metricwatch.api.http import SCHEDULE_HEADER, endpoint, json_response
from metricwatch.errors import InvalidInput
from metricwatch.runtime import Runtime
from metricwatch.timeutil import parse_utc


@endpoint("POST", "GET")
def train(request: Any, runtime: Runtime) -> Any:
    unknown = sorted(set(request.args) - {"metric"})
    if unknown:
        raise InvalidInput(f"unknown parameter(s) {unknown}; expected ['metric']", field=unknown[0])
    metric = request.args.get("metric") or None
    scheduled = request.headers.get(SCHEDULE_HEADER)
    summary = runtime.detector.train(metric, time_budget=runtime.settings.train_deadline_seconds,
                                     trained_since=parse_utc(scheduled, SCHEDULE_HEADER) if scheduled else None,
                                     workers=runtime.settings.train_workers)
    status = 503 if summary.stopped else 500 if summary.failed else 200
    return json_response(summary.to_dict(), status)
