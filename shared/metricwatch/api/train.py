"""POST|GET /train[?metric=NAME]: retrain models from stored history.

Answers 200 with what was written and what was skipped and why (a series whose
data cannot make a model is skipped, not failed: retrying would not help);
500 with the same summary when writing a model to the bucket failed, so Cloud
Scheduler retries the run (training is idempotent: a retry rewrites the same
objects).
"""

from __future__ import annotations

from typing import Any

from metricwatch.api.http import endpoint, json_response
from metricwatch.runtime import Runtime


@endpoint("POST", "GET")
def train(request: Any, runtime: Runtime) -> Any:
    metric = request.args.get("metric") or None
    summary = runtime.detector.train(metric)
    return json_response(summary.to_dict(), 500 if summary.failed else 200)
