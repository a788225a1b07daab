"""POST /push: one point or a batch, validated whole, scored, stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from metricwatch.api.auth import bearer_token
from metricwatch.api.http import endpoint, json_response, read_json
from metricwatch.ingest import describe, score_and_store
from metricwatch.points import parse_points
from metricwatch.runtime import Runtime


@endpoint("POST", guard=bearer_token)
def push(request: Any, runtime: Runtime) -> Any:
    settings = runtime.settings
    body = read_json(request, settings.max_body_bytes)
    retention = settings.metrics_retention_days
    points = parse_points(body, now=datetime.now(timezone.utc),
                          max_skew=timedelta(seconds=settings.max_future_skew_seconds),
                          max_points=settings.max_batch_points,
                          max_age=timedelta(days=retention) if retention else None)
    stored, incidents = score_and_store(runtime.detector, points, runtime.incidents)
    return json_response({"stored": len(stored), "incidents": incidents, "points": [describe(s) for s in stored]}, 201)
