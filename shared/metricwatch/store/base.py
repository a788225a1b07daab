"""The metric store interface: what the rest of the system asks of storage.

One implementation today (`metricwatch.store.mongo.MongoMetricStore`, pymongo
against a MongoDB 5.0+ time-series collection); `open_store` picks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Protocol, runtime_checkable

import numpy as np

from metricwatch.points import Point


@dataclass(frozen=True)
class StoredPoint:
    """A point with what detection said about it (absent when no model exists)."""

    point: Point
    verdict: dict[str, Any] | None = None  # anomaly, anomaly_score, model, expected, lower, upper


@dataclass(frozen=True)
class SeriesData:
    """One series' points in row order: float epoch seconds (UTC) and float values."""

    timestamps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


@runtime_checkable
class MetricStore(Protocol):
    def insert(self, points: Iterable[StoredPoint]) -> int:
        """Write all points in one batch; returns how many were written."""
        ...

    def label_sets(self, name: str, since: datetime) -> list[dict[str, str]]:
        """Distinct label sets of a metric with points at or after `since`."""
        ...

    def series_points(self, name: str, labels: dict[str, str], start: datetime, end: datetime) -> SeriesData:
        """Points of one series with start <= time < end, in time order."""
        ...

    def last_points(self, name: str, labels: dict[str, str], n: int, before: datetime) -> SeriesData:
        """The last `n` points of one series strictly before `before`, in time order."""
        ...
