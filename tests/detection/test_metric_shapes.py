"""What the default model does with the shapes real service and business metrics take.

Each test trains `robust_seasonal` on normal history, as the daily trainer
would, and scores what comes next with only the past.
"""

from __future__ import annotations

import numpy as np

from metricwatch.detection.models import create_model
from metricwatch.detection.models.rolling import run_lengths
from metricwatch.detection.models.seasonal import Profile, fit_profile

DAY = 86400.0
MONDAY = 1_699_833_600.0  # 2023-11-13 00:00 UTC


def alarms(ts: np.ndarray, x: np.ndarray, train_days: float, **params) -> np.ndarray:
    """Rows (from the first scored one) whose verdict is -1."""
    cut = int(np.searchsorted(ts, ts[0] + train_days * DAY))
    model = create_model("robust_seasonal", params).fit(ts[:cut], x[:cut])
    return np.flatnonzero(model.score(ts, x, start=cut).anomaly == -1)


def weekly(days: int, step: float = 1800.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Busy weekdays (100 plus a daily wave), quiet weekends (60), noise 2."""
    ts = MONDAY + step * np.arange(int(days * DAY / step))
    weekend = ((ts - MONDAY) // DAY) % 7 >= 5
    x = np.where(weekend, 60.0, 100.0 + 10.0 * np.sin(2 * np.pi * ts / DAY))
    return ts, x + np.random.default_rng(seed).normal(0.0, 2.0, len(ts))


def test_a_weekend_is_normal_once_the_training_data_holds_two_weeks() -> None:
    ts, x = weekly(days=28)
    assert len(alarms(ts, x, train_days=21)) == 0


def test_two_weeks_learn_the_daily_shape_plus_a_level_per_day_of_the_week() -> None:
    # The usual day, 20 lower at weekends: a full weekly profile would have two values per bin,
    # the daily shape has 14 and the weekend level 4.
    ts = MONDAY + 1800.0 * np.arange(28 * 48)
    weekend = ((ts - MONDAY) // DAY) % 7 >= 5
    x = 100.0 + 10.0 * np.sin(2 * np.pi * ts / DAY) - 20.0 * weekend
    x += np.random.default_rng(3).normal(0.0, 2.0, len(ts))
    assert fit_profile(ts[:14 * 48], x[:14 * 48], "auto", 0.3).kind == "weekday"
    assert len(alarms(ts, x, train_days=14)) == 0


def test_a_weekend_without_the_weekday_shape_gets_a_full_weekly_profile() -> None:
    ts, x = weekly(days=14)
    assert fit_profile(ts, x, "auto", 0.3).kind == "weekly"


def test_a_model_file_saved_before_the_weekday_shape_still_scores() -> None:
    old = Profile.__new__(Profile)
    old.__dict__.update(period=DAY, offsets=np.zeros(24))  # what an older pickle restores
    assert old.kind == "daily" and list(old.at(np.array([MONDAY]))) == [0.0]


def test_with_only_a_week_of_history_every_weekend_starts_with_an_alarm() -> None:
    # Why docs/detection.md asks for train_interval >= 14 days on weekly metrics.
    ts, x = weekly(days=28)
    assert len(alarms(ts, x, train_days=7)) > 0


def test_a_weekday_that_looks_like_a_weekend_is_an_alarm() -> None:
    ts, x = weekly(days=28)
    wednesday = (ts >= MONDAY + 23 * DAY) & (ts < MONDAY + 24 * DAY)
    x[wednesday] = 60.0 + np.random.default_rng(1).normal(0.0, 2.0, wednesday.sum())
    fired = alarms(ts, x, train_days=21) + int(21 * DAY / 1800.0)
    assert len(fired) >= 1 and wednesday[fired[0]]


def flat(days: float, step: float = 300.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    ts = MONDAY + step * np.arange(int(days * DAY / step))
    return ts, 50.0 + np.random.default_rng(seed).normal(0.0, 1.0, len(ts))


def test_a_burst_of_variance_at_the_usual_level_is_an_alarm() -> None:
    ts, x = flat(days=4)
    burst = slice(int(3.5 * 288), int(3.5 * 288) + 12)  # one hour, noise six times wider
    x[burst] = 50.0 + np.random.default_rng(2).normal(0.0, 6.0, 12)
    fired = alarms(ts, x, train_days=3) + 3 * 288
    assert len(fired) >= 1 and burst.start <= fired[0] < burst.stop


def test_a_dip_is_an_alarm_as_much_as_a_spike() -> None:
    ts, x = flat(days=4)
    x[int(3.5 * 288)] -= 12.0
    assert list(alarms(ts, x, train_days=3) + 3 * 288) == [int(3.5 * 288)]


def test_a_slow_drift_is_followed_not_flagged() -> None:
    # Two noise sigmas a day: the level follows it; docs/detection.md says so.
    ts, x = flat(days=6)
    x += 2.0 * (ts - ts[0]) / DAY
    assert len(alarms(ts, x, train_days=3)) == 0


def test_an_hourly_gauge_stuck_for_six_hours_is_an_alarm() -> None:
    # A continuous value never repeats in training, so six identical rows are a frozen exporter.
    ts, x = flat(days=21, step=3600.0)
    x[20 * 24 + 3:20 * 24 + 9] = x[20 * 24 + 2]
    assert list(alarms(ts, x, train_days=20) + 20 * 24) == [20 * 24 + 2 + 6 - 1]


def poisson_week_and_a_run(factor: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Eight days of 5-minute Poisson(3) counts, the eighth holding a run `factor` times as long as the
    longest of the training week (the row before `at` and its repeats); and where the repeats start."""
    ts, _ = flat(days=8)
    x = np.random.default_rng(4).poisson(3.0, len(ts)).astype(float)
    cut, at = 7 * 288, 7 * 288 + 100
    longest = int(run_lengths(x[:cut]).max())
    x[at:at + int(factor * longest) - 1] = x[at - 1]
    return ts, x, at


def test_counts_that_repeat_in_training_may_repeat_nearly_twice_as_long() -> None:
    # Low counts repeat by chance; the limit is twice the longest run the training week held.
    ts, x, _ = poisson_week_and_a_run(1.8)
    assert len(alarms(ts, x, train_days=7)) == 0


def test_counts_repeated_twice_as_long_as_ever_in_training_are_stuck() -> None:
    ts, x, at = poisson_week_and_a_run(2.0)
    fired = alarms(ts, x, train_days=7) + 7 * 288
    assert len(fired) == 1 and at <= fired[0] < at + 2 * 12
