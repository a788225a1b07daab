"""Backtest a series already in the metric store (by metric name and labels).

The store returns the series in time order; from there it is the same replay
as for a CSV, and the result can be written in the NAB layout or plotted.
"""

from __future__ import annotations

from datetime import datetime, timezone

from metricwatch.backtest.csvio import Series
from metricwatch.store.base import MetricStore

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def stored_series(store: MetricStore, name: str, labels: dict[str, str],
                  start: datetime | None = None, end: datetime | None = None) -> Series:
    """One stored series between `start` (default: the beginning) and `end` (default: now)."""
    data = store.series_points(name, labels, start or EPOCH, end or datetime.now(timezone.utc))
    if len(data) == 0:
        raise LookupError(f"no stored points for metric {name!r} with labels {labels}")
    return Series([_iso(t) for t in data.timestamps], data.timestamps, data.values)
