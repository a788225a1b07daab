"""POST|GET /collect-<name>: one collector run, as Cloud Scheduler fires it.

The run's points are stamped with `X-CloudScheduler-ScheduleTime` (RFC 3339,
read by `timeutil.parse_utc` like every time from outside; now when absent,
for a manual run), so a retry of the same scheduled run finds what it already
stored and does not store it twice. A failing or slow source answers 502 with
a message, and Cloud Scheduler retries.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable

from metricwatch.api.http import SCHEDULE_HEADER, Response, endpoint, json_response
from metricwatch.config import Settings
from metricwatch.points import parse_timestamp
from metricwatch.runtime import Runtime


def schedule_time(raw: str | None, now: datetime, settings: Settings) -> datetime:
    """The scheduled time in UTC, truncated to the millisecond MongoDB keeps (so equality holds).

    Its points are stored at this time, so it obeys the rules of a pushed
    timestamp (not before 1970, not in the future, not older than the
    retention); a malformed or out-of-range header is a 400 naming it.
    """
    retention = settings.metrics_retention_days
    return parse_timestamp(raw or None, now.astimezone(timezone.utc),
                           timedelta(seconds=settings.max_future_skew_seconds),
                           max_age=timedelta(days=retention) if retention else None, field=SCHEDULE_HEADER)


@lru_cache(maxsize=None)
def _handler(name: str) -> Callable[..., Response]:
    """One endpoint per collector name, built once per process."""

    @endpoint("POST", "GET")
    def run(request: Any, runtime: Runtime) -> Any:
        from metricwatch.collectors.runner import run_collector

        at = schedule_time(request.headers.get(SCHEDULE_HEADER), datetime.now(timezone.utc), runtime.settings)
        return json_response(run_collector(runtime, name, at, runtime.environ))

    return run


def collect(request: Any, name: str, runtime: Runtime | None = None) -> Response:
    """What `functions/collect-<name>/main.py` calls: run collector `name` for this request."""
    return _handler(name)(request, runtime)
