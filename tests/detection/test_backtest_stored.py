"""A series already in the store can be backtested and plotted, by metric and labels."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import mongomock
import numpy as np

from metricwatch.backtest.commands import backtest_stored
from metricwatch.backtest.plot import plot_series
from metricwatch.backtest.replay import ReplayConfig, replay
from metricwatch.points import Point
from metricwatch.store.base import StoredPoint
from metricwatch.store.mongo import MongoMetricStore

from .series_factory import seasonal_series


def test_a_stored_series_replays_like_the_same_data_from_a_csv(tmp_path: Path) -> None:
    ts, x = seasonal_series(days=3.0)
    store = MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.metrics)
    store.insert([StoredPoint(Point("latency", float(v), datetime.fromtimestamp(t, tz=timezone.utc),
                                    {"host": "a"})) for t, v in zip(ts, x)])
    store.insert([StoredPoint(Point("latency", 1.0, datetime.fromtimestamp(ts[5], tz=timezone.utc),
                                    {"host": "b"}))])
    config = ReplayConfig("robust_seasonal")
    series, scores = backtest_stored(store, "latency", {"host": "a"}, None, None, config)
    assert len(series) == len(x)
    np.testing.assert_array_equal(scores.score, replay(ts, x, config).score)
    assert (scores.anomaly == -1).any()
    png = plot_series(tmp_path / "latency.png", series, scores, "latency", [(ts[800], ts[820])])
    assert png.stat().st_size > 10_000
