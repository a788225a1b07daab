"""A downsampled read, as /query, the dashboard and Grafana ask for it: a range and a step, or a
point budget the step is chosen from.

An open-ended range is closed on the data itself (one `$group` for the first
and last time), so "the whole history at 500 points" is one request. Answers
are bounded: at most `QUERY_MAX_POINTS` buckets per series and
`QUERY_MAX_BUCKETS` rows in all. Anything more is refused with a message
saying what to change, and is never cut short in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from metricwatch.alerting.durations import show
from metricwatch.errors import InvalidInput
from metricwatch.store.base import MetricStore
from metricwatch.store.buckets import BucketsPage, bucket_count, choose_step

SMALLEST_STEP = timedelta(seconds=1)
# Buckets start on multiples of the step: an `end` on the last point must still take it in.
JUST_AFTER = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Resolution:
    """Exactly one of the two: a fixed `step`, or a `max_points` budget per series."""

    step: timedelta | None = None
    max_points: int | None = None


def downsample(store: MetricStore, name: str, labels: dict[str, str], start: datetime | None,
               end: datetime | None, resolution: Resolution, *, max_points: int, max_rows: int,
               anomalies_only: bool = False) -> BucketsPage:
    """`max_points` caps the buckets per series and `max_rows` the rows in all (the settings)."""
    if resolution.step is not None and resolution.step < SMALLEST_STEP:
        raise InvalidInput("'step' must be at least 1s", field="step")
    if start is None or end is None:
        known = store.time_range(name, labels, anomalies_only)
        if known is None:
            return _empty(resolution)
        start, end = start or known[0], end or known[1] + JUST_AFTER
        if start >= end:
            return _empty(resolution)
    step = resolution.step
    if step is None:
        step = choose_step(start, end, min(resolution.max_points or max_points, max_points))
    _check_step(step, start, end, max_points)
    page = store.buckets(name, labels, start, end, step, max_rows, anomalies_only)
    if page.truncated:
        raise InvalidInput(f"the answer has more than {max_rows} buckets (QUERY_MAX_BUCKETS) over its series: "
                           "narrow 'labels' or the range, or ask for a coarser 'step' or fewer 'max_points'",
                           field="labels")
    return page


def _empty(resolution: Resolution) -> BucketsPage:
    return BucketsPage(series=[], step=resolution.step or SMALLEST_STEP, truncated=False)


def _check_step(step: timedelta, start: datetime, end: datetime, max_points: int) -> None:
    buckets = bucket_count(start, end, step)
    if buckets > max_points:
        raise InvalidInput(f"a step of {show(step)} cuts this range into {buckets:,.0f} buckets, over the "
                           f"{max_points} a series may return (QUERY_MAX_POINTS): ask for a coarser 'step', "
                           "'max_points', or a shorter range", field="step")
