"""Scoring new points: one vectorised model call per series, with the context the model asks for."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

import numpy as np

from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.models.base import AnomalyModel
from metricwatch.points import Point
from metricwatch.store.base import MetricStore, SeriesData

Verdict = dict[str, Any]


def group_by_series(points: Sequence[Point]) -> dict[str, list[int]]:
    """Indices of the points of each series, in time order (ties keep their row order).

    A batch may arrive out of order; scoring it in time order, with context from
    before its earliest point, is what the stored series will look like later.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(points):
        groups[p.series].append(i)
    return {key: sorted(idx, key=lambda i: points[i].timestamp) for key, idx in groups.items()}


def context_for(model: AnomalyModel, store: MetricStore, first: Point) -> SeriesData:
    """The stored points up to `first` (those at its very time included) that the model wants as context."""
    n = int(getattr(model, "context_points", 0) or 0)
    if n <= 0:
        return SeriesData(np.empty(0), np.empty(0))
    return store.last_points(first.name, first.labels, n, until=first.timestamp)


def score_series(model: AnomalyModel, watched: WatchedMetric, context: SeriesData,
                 points: Sequence[Point]) -> list[Verdict]:
    ts = np.concatenate([context.timestamps, [p.timestamp.timestamp() for p in points]])
    values = np.concatenate([context.values, [p.value for p in points]])
    scores = model.score(ts, values, start=len(context))
    return [{**scores.row(i), "model": watched.model} for i in range(len(points))]

