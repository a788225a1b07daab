"""The metric store interface: what the rest of the system asks of storage.

One implementation today (`metricwatch.store.mongo.MongoMetricStore`, pymongo
against a MongoDB 5.0+ time-series collection); `open_store` picks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence, runtime_checkable

from metricwatch.points import Point

if TYPE_CHECKING:  # buckets.py reads points through query.py, which needs StoredPoint from here
    import numpy as np  # SeriesData's arrays: query, the dashboard and Grafana ship no numpy

    from metricwatch.store.buckets import BucketsPage
    from metricwatch.store.heads import Bump


@dataclass(frozen=True)
class StoredPoint:
    """A point with what detection said about it (absent when no model exists)."""

    point: Point
    verdict: dict[str, Any] | None = None  # anomaly, anomaly_score, model, expected, lower, upper, reason
    bump: Bump | None = field(default=None, compare=False, repr=False)  # its series' head, as the write found it


@dataclass(frozen=True)
class SeriesData:
    """One series' points in row order: float epoch seconds (UTC) and float values."""

    timestamps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Window:
    """What `last_points_many` reads for one series: its last `n` points at or before `until`.

    `since` is a hint, not a bound: the caller's guess of a time before which
    the `n` points do not reach (n sampling steps back, with slack). The store
    reads `since <= time <= until` for every series at once; a series with
    fewer than `n` points there is read again on its own, so the answer is
    always `last_points`'s. None: no guess, that series is read on its own.
    """

    name: str
    labels: dict[str, str]
    n: int
    until: datetime
    since: datetime | None = None


def last_points_each(store: "MetricStore", windows: Sequence[Window]) -> list[SeriesData]:
    """`last_points_many` the slow way, one read per series: the reference the batched read must equal."""
    return [store.last_points(w.name, w.labels, w.n, until=w.until) for w in windows]


@dataclass(frozen=True)
class PointsPage:
    """One page of a query: points in (time, id) order, and where the next page starts."""

    points: list[StoredPoint]
    after: tuple[datetime, str] | None  # (time, id) of the last point when more follow, else None


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

    def last_points(self, name: str, labels: dict[str, str], n: int, until: datetime) -> SeriesData:
        """The last `n` points of one series at or before `until`, in time order (ties in insertion order).

        At, not only before: a point resent with the same timestamp must see
        the first copy as its context, as a backtest's next row does. (Ties
        follow MongoDB's `_id`, which is insertion order within one writer.)
        """
        ...

    def last_points_many(self, windows: Sequence[Window]) -> list[SeriesData]:
        """`last_points` of each window, in the windows' order, in one read when the `since` hints hold."""
        ...

    def existing_series_at(self, series: Iterable[str], timestamp: datetime) -> set[str]:
        """Which of these series keys already have a point at exactly `timestamp`.

        A time-series collection cannot have a unique index, so a retried
        collector run asks this before writing, to store each point once.
        """
        ...

    def find_points(self, name: str, labels: dict[str, str], start: datetime | None, end: datetime | None,
                    limit: int, after: tuple[datetime, str] | None = None, anomalies_only: bool = False) -> PointsPage:
        """Points of a metric whose labels include `labels`, start <= time < end, in (time, id) order,
        strictly after the position `after`; at most `limit` of them (with `anomalies_only`, verdict -1 only)."""
        ...

    def buckets(self, name: str, labels: dict[str, str], start: datetime, end: datetime, step: timedelta,
                limit: int, anomalies_only: bool = False) -> BucketsPage:
        """Points as in `find_points`, downsampled on the server: per series, one row per `step`
        (see `store.buckets`), series by series key and buckets in time order, at most `limit` rows."""
        ...

    def latest_point(self, name: str, labels: dict[str, str], until: datetime) -> StoredPoint | None:
        """The newest point of one series at or before `until`, as a point: what the dashboard shows
        and feedback checks, without the arrays (and numpy) of `last_points`."""
        ...

    def time_range(self, name: str, labels: dict[str, str], anomalies_only: bool = False
                   ) -> tuple[datetime, datetime] | None:
        """Times of the first and last point `find_points` would return, or None if there is none."""
        ...

    def metrics(self) -> dict[str, list[dict[str, str]]]:
        """Every metric name with its label sets, both sorted."""
        ...

    def last_seen(self, name: str, since: datetime) -> dict[str, tuple[dict[str, str], datetime]]:
        """Series key => (labels, time of its latest point), for the series of `name` seen since `since`."""
        ...
