"""Scoring new points: one vectorised model call per series (or per group of series), with the context
the model asks for.

A batch reads the context of all its series at once (`MetricStore.last_points_many`):
each series' window is its model's `context_points` before its first point, and the
time they reach back to is guessed from the model's training step (`context_window`).
The store answers exactly `last_points` whatever the guess; a wrong guess costs one
more read for that series, never a different verdict.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from datetime import timedelta
from typing import Any, Sequence

import numpy as np

from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.models import robust_batch
from metricwatch.detection.models.base import AnomalyModel, Scores
from metricwatch.points import Point
from metricwatch.store.base import MetricStore, SeriesData, Window

log = logging.getLogger(__name__)
Verdict = dict[str, Any]
Call = tuple[AnomalyModel, np.ndarray, np.ndarray, int]  # a `model.score` call: model, timestamps, values, start
Job = tuple[AnomalyModel, WatchedMetric, SeriesData, Sequence[Point]]  # a series to score: model, metric, context, points


def group_by_series(points: Sequence[Point]) -> dict[str, list[int]]:
    """Indices of the points of each series, in time order (ties keep their row order).

    A batch may arrive out of order; scoring it in time order, with context from
    before its earliest point, is what the stored series will look like later.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(points):
        groups[p.series].append(i)
    return {key: sorted(idx, key=lambda i: points[i].timestamp) for key, idx in groups.items()}


CONTEXT_SLACK = 1.25  # the context is read over 1.25x its points' span (plus 2 steps): jitter and small gaps fit


def context_points(model: AnomalyModel) -> int:
    return int(getattr(model, "context_points", 0) or 0)


def context_window(model: AnomalyModel, first: Point) -> Window:
    """What the store reads as `first`'s series' context: the model's `context_points` up to `first`'s time,
    with `since` that many training steps back (no hint when the model does not say its step)."""
    n = context_points(model)
    step = float(getattr(model, "sampling_step", 0.0) or 0.0)
    since = None
    if n > 0 and math.isfinite(step) and step > 0:
        since = first.timestamp - timedelta(seconds=step * (n * CONTEXT_SLACK + 2))
    return Window(first.name, first.labels, n, first.timestamp, since)


def context_for(model: AnomalyModel, store: MetricStore, first: Point) -> SeriesData:
    """The stored points up to `first` (those at its very time included) that the model wants as context."""
    n = context_points(model)
    if n <= 0:
        return SeriesData(np.empty(0), np.empty(0))
    return store.last_points(first.name, first.labels, n, until=first.timestamp)


def model_call(model: AnomalyModel, context: SeriesData, points: Sequence[Point]) -> Call:
    """What `model.score` is given for these points: the context, then the points, scored from the first point."""
    ts = np.concatenate([context.timestamps, [p.timestamp.timestamp() for p in points]])
    values = np.concatenate([context.values, [p.value for p in points]])
    return model, ts, values, len(context)


def pending_call(model: AnomalyModel, context: SeriesData, points: Sequence[Point]) -> Call:
    """`model_call` for `robust_batch` to stack: a float64 context (the store's) and its points as
    `robust_batch.Joined` pairs, copied once, into the stack (any other context: `model_call`)."""
    if context.timestamps.dtype != np.float64 or context.values.dtype != np.float64:
        return model_call(model, context, points)
    return (model, robust_batch.Joined(context.timestamps, [p.timestamp.timestamp() for p in points]),
            robust_batch.Joined(context.values, [p.value for p in points]), len(context.values))


def score_series(model: AnomalyModel, watched: WatchedMetric, context: SeriesData,
                 points: Sequence[Point]) -> list[Verdict]:
    return _verdicts(model.score(*model_call(model, context, points)[1:]), watched, len(points))


def _verdicts(scores: Scores, watched: WatchedMetric, n: int) -> list[Verdict]:
    return [{**scores.row(i), "model": watched.model} for i in range(n)]


def score_many(jobs: Sequence[Job]) -> list[list[Verdict] | Exception]:
    """Each series' verdicts, or the exception scoring it raised (the others still get theirs).

    Series whose models can be stacked (`robust_batch.groups`) are scored in
    one call per group, with the same numbers as one call each: a warm push
    of 1,000 series made 1,000 calls, each mostly numpy's fixed cost. Any
    other series, or a group whose call failed, is scored alone.
    """
    together = _together([pending_call(model, context, points) for model, _, context, points in jobs])
    out: list[list[Verdict] | Exception] = []
    for (model, watched, context, points), scores in zip(jobs, together):
        try:
            if scores is None:
                scores = model.score(*model_call(model, context, points)[1:])
            out.append(_verdicts(scores, watched, len(points)))
        except Exception as exc:  # one series' bad data or model must not cost the others their verdicts
            out.append(exc)
    return out


def _together(calls: Sequence[Call]) -> list[Scores | None]:
    """The scores of the calls `robust_batch` stacks (None: score it alone)."""
    out: list[Scores | None] = [None] * len(calls)
    for group in robust_batch.groups(calls):  # type: ignore[arg-type]
        try:
            for i, scores in zip(group, robust_batch.score_group([calls[i] for i in group])):  # type: ignore[misc]
                out[i] = scores
        except Exception:
            log.exception("scoring %d series in one call failed; scoring them one by one", len(group))
    return out

