"""POST /push: one point or a batch, validated whole, scored, stored.

With an `Idempotency-Key` header, a retry of the same request stores nothing again and gets the
first answer (`metricwatch.idempotency`), with `Idempotent-Replayed: true`.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from metricwatch.api.auth import bearer_token
from metricwatch.api.http import Response, endpoint, json_response, read_json
from metricwatch.errors import StoreError
from metricwatch.idempotency import HEADER, Answer, parse_key
from metricwatch.ingest import describe, score_and_store
from metricwatch.points import parse_points
from metricwatch.runtime import Runtime


def _store(body: Any, runtime: Runtime, now: datetime) -> Answer:
    settings = runtime.settings
    retention = settings.metrics_retention_days
    points = parse_points(body, now=now, max_skew=timedelta(seconds=settings.max_future_skew_seconds),
                          max_points=settings.max_batch_points,
                          max_age=timedelta(days=retention) if retention else None)
    stored, incidents = score_and_store(runtime.detector, points, runtime.incidents)
    return Answer(201, {"stored": len(stored), "incidents": incidents, "points": [describe(s) for s in stored]})


def _once(request: Any, body: Any, runtime: Runtime, key: str, now: datetime) -> Response:
    """The first request with `key` stores; a repeat replays. Nothing written: the key is released.

    The body is compared as JSON (keys sorted), so a client that re-serialises it still matches.
    """
    keys = runtime.idempotency
    window = timedelta(seconds=runtime.settings.idempotency_window_seconds)
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    key_id, first = keys.claim(key, request.headers.get("Authorization", ""), canonical, now, window)
    if first is not None:
        body, status, headers = json_response(first.body, first.status)
        return body, status, {**headers, "Idempotent-Replayed": "true"}
    try:
        answer = _store(body, runtime, now)
    except StoreError as exc:
        if exc.details.get("written"):  # part of the batch is stored: a retry must not write it again
            keys.complete(key_id, Answer(exc.status, exc.to_dict()))
        else:
            keys.release(key_id)
        raise
    except BaseException:
        keys.release(key_id)
        raise
    keys.complete(key_id, answer)
    return json_response(answer.body, answer.status)


@endpoint("POST", guard=bearer_token)
def push(request: Any, runtime: Runtime) -> Any:
    now = datetime.now(timezone.utc)
    key = parse_key(request.headers.get(HEADER))
    body = read_json(request, runtime.settings.max_body_bytes)
    if key is not None:
        return _once(request, body, runtime, key, now)
    answer = _store(body, runtime, now)
    return json_response(answer.body, answer.status)
