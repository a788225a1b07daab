"""The backtest replays a series exactly as the live system would see it, with no look-ahead."""

from __future__ import annotations

import numpy as np
import pytest

from metricwatch.backtest.replay import DAY, ReplayConfig, replay, training_rows
from metricwatch.detection.models import create_model

from .series_factory import messy, seasonal_series

CONFIG = ReplayConfig("robust_seasonal")


@pytest.mark.parametrize("tidy", [True, False], ids=["clean", "messy timestamps"])
def test_changing_a_future_value_changes_no_earlier_score_through_retraining(tidy: bool) -> None:
    ts, x = seasonal_series(days=4.0)
    ts = ts if tidy else messy(ts)
    before = replay(ts, x, CONFIG)
    for cut in (300, 700, 1000):
        changed = x.copy()
        changed[cut:] = changed[cut:] * 3.0 + 50.0
        after = replay(ts, changed, CONFIG)
        np.testing.assert_array_equal(before.score[:cut], after.score[:cut])
        np.testing.assert_array_equal(before.anomaly[:cut], after.anomaly[:cut])


def test_rows_before_the_first_training_get_score_0_and_no_alarm() -> None:
    ts, x = seasonal_series(days=2.0)
    got = replay(ts, x, CONFIG)
    first_day = ts < ts[0] + DAY
    assert np.all(got.score[first_day] == 0) and np.all(got.anomaly[first_day] == 1)
    assert np.isnan(got.expected[first_day]).all() and np.isfinite(got.expected[~first_day]).all()


def test_the_trainer_runs_once_per_cadence_and_skips_gaps() -> None:
    clock = np.array([0.0, 10, 20, 30, 100, 110], dtype=float)
    assert training_rows(clock, 25.0) == [3, 4]  # at 25 (row 3); 50 and 75 fall in the gap, then row 4


def test_replay_equals_a_live_simulation_point_by_point() -> None:
    """Train at each cadence on the preceding interval; score each row with only its context points."""
    ts, x = seasonal_series(days=3.0)
    config = ReplayConfig("robust_seasonal", train_interval=1.5 * DAY)
    got = replay(ts, x, config)
    model, next_training = None, ts[0] + DAY
    for i in range(len(x)):
        if ts[i] >= next_training:
            window = (ts >= next_training - config.train_interval) & (np.arange(len(x)) < i)
            model = create_model("robust_seasonal").fit(ts[window], x[window])
            next_training += DAY
        if model is not None and i % 37 == 0:
            lo = max(0, i - model.context_points)
            live = model.score(ts[lo:i + 1], x[lo:i + 1], start=i - lo)
            assert live.score[0] == pytest.approx(got.score[i], abs=1e-12)


def test_a_backtest_keeps_the_reason_of_every_alarm_and_none_elsewhere() -> None:
    ts, x = seasonal_series(days=3.0, spike_at=0.8)
    got = replay(ts, x, ReplayConfig("robust_seasonal"))
    spike = int(0.8 * len(x))
    assert got.anomaly[spike] == -1 and got.reason[spike] == "far_from_expected"
    assert all(r is None for r in got.reason[got.anomaly == 1])


@pytest.mark.parametrize("name", ["robust_seasonal", "sklearn_iforest", "robust_zscore"])
def test_messy_timestamps_keep_every_row_in_place(name: str) -> None:
    ts, x = seasonal_series(days=3.0)
    got = replay(messy(ts), x, ReplayConfig(name))
    assert len(got.score) == len(x) and np.all(np.isfinite(got.score))


def test_an_interval_the_live_trainer_would_skip_gets_no_model_in_the_backtest_either() -> None:
    """Weekly points with a 7-day train_interval: one point per training, which the trainer refuses."""
    ts = 1.7e9 + 7 * DAY * np.arange(52)
    x = 100 + np.random.default_rng(0).normal(0, 1, 52)
    got = replay(ts, x, ReplayConfig("robust_zscore"))
    assert (got.anomaly == 1).all() and (got.score == 0).all()
