"""Evidence that builds over hours (the long shifts) and counts judged as counts (the Anscombe scale).

What the unseen data showed (issue 17): a request count falling to a quarter of normal for 90 minutes,
partial drops on noisy or quiet count series and error-rate rises on a few errors a minute went unseen.
"""

from __future__ import annotations

import numpy as np
import pytest

from metricwatch.detection.models import create_model
from metricwatch.errors import ConfigError
from metricwatch.detection.models.counts import from_even, looks_like_counts, to_even

DAY, STEP = 86400.0, 300.0
WEEK = 7 * 288


def requests(rate_at_noon: float, seed: int, days: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson counts per 5 minutes around a daily wave (a fifth of noon's rate at midnight UTC)."""
    ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(days * 288)
    rate = rate_at_noon * (0.6 - 0.4 * np.cos(2 * np.pi * (ts % DAY) / DAY))
    return ts, np.random.default_rng(seed).poisson(rate).astype(float), rate


def trained(ts: np.ndarray, x: np.ndarray, **params):
    return create_model("robust_seasonal", params).fit(ts[:WEEK], x[:WEEK])


def fired(model, ts: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.flatnonzero(model.score(ts, x, start=WEEK).anomaly == -1) + WEEK


@pytest.mark.parametrize("seed", range(4))
def test_a_drop_to_a_quarter_for_90_minutes_fires_within_minutes(seed: int) -> None:
    ts, x, rate = requests(300.0, seed)
    at = WEEK + 288 + 100  # the second day scored, 08:20 UTC
    x[at:at + 18] = np.random.default_rng(99 + seed).poisson(0.25 * rate[at:at + 18])
    got = fired(trained(ts, x), ts, x)
    assert len(got) and at <= got[0] < at + 3
    assert not len(got[(got < at) | (got >= at + 18 + 12)])  # nothing before it, nor after its recovery


@pytest.mark.parametrize("seed", range(4))
def test_a_drop_to_a_quarter_fires_even_after_a_large_spike_the_same_day(seed: int) -> None:
    """The one-alarm gate compares with the day's earlier surprises: the drop's evidence keeps growing."""
    ts, x, rate = requests(300.0, seed)
    spike, at = WEEK + 288 + 20, WEEK + 288 + 150
    x[spike] += 12 * np.sqrt(rate[spike])
    x[at:at + 18] = np.random.default_rng(7 + seed).poisson(0.25 * rate[at:at + 18])
    got = fired(trained(ts, x), ts, x)
    assert spike in got and len(got[(got >= at) & (got < at + 18)])


def test_a_plateau_of_2_sigmas_for_6_hours_is_found_by_the_long_shift_not_by_any_one_point() -> None:
    found = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(9 * 288)
        x = 50.0 + 10.0 * np.sin(2 * np.pi * ts / DAY) + rng.normal(0.0, 2.0, len(ts))
        at = WEEK + 300
        x[at:at + 72] += 4.0  # 2 noise sigmas, for 6 hours
        model = trained(ts, x)
        got = model.score(ts, x, start=WEEK)
        hits = np.flatnonzero(got.anomaly == -1) + WEEK
        inside = hits[(hits >= at) & (hits < at + 72 + 12)]
        if len(inside):
            found += 1
            assert got.reason[inside[0] - WEEK] == "sustained_shift"
        assert not len(hits[(hits < at) | (hits >= at + 72 + 72)])  # its end is no second alarm either
    assert found >= 5


@pytest.mark.parametrize("seed", range(4))
def test_a_quiet_count_series_that_stops_for_90_minutes_is_found(seed: int) -> None:
    """About 6 requests per 5 minutes: one 0 is ordinary, 18 in a row at midday are not."""
    ts, x, rate = requests(8.0, seed)
    at = WEEK + 288 + 130  # about 10:50 UTC
    x[at:at + 18] = 0.0
    model = trained(ts, x)
    assert model._counts
    got = fired(model, ts, x)
    assert len(got[(got >= at) & (got < at + 18 + 12)])
    assert not len(got[got < at])


def test_a_rise_of_errors_from_2_to_6_a_minute_for_2_hours_is_found_on_the_count_scale() -> None:
    found, alarms_before = 0, 0
    for seed in range(6):
        ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(9 * 288)
        rate = np.full(len(ts), 10.0)  # errors per 5 minutes
        at = WEEK + 400
        rate[at:at + 24] *= 3.0
        x = np.random.default_rng(seed).poisson(rate).astype(float)
        got = fired(trained(ts, x), ts, x)
        found += bool(len(got[(got >= at) & (got < at + 36)]))
        alarms_before += int((got < at).sum())
    assert found >= 5 and alarms_before <= 1  # 6 series x 1.4 days: within 1 false alarm a series-week


def test_counts_are_told_by_their_values_and_their_band_is_reported_in_counts() -> None:
    assert looks_like_counts(np.array([0.0, 3.0, 7.0, 2.0]))
    assert not looks_like_counts(np.array([0.5, 3.0, 7.0]))  # not integers
    assert not looks_like_counts(np.array([-1.0, 3.0, 7.0]))  # negative
    assert not looks_like_counts(np.array([0.0, 0.0]))  # nothing counted
    assert not looks_like_counts(np.array([800.0, 1500.0, 1200.0]))  # large: Poisson noise is nearly normal
    y = np.array([0.0, 1.0, 5.0, 30.0])
    assert np.allclose(from_even(to_even(y)), y)
    ts, x, rate = requests(8.0, 0)
    got = trained(ts, x).score(ts, x, start=WEEK)
    assert (got.lower >= 0).all() and (got.lower <= got.expected).all() and (got.expected <= got.upper).all()
    noon = 144  # of the first day scored
    assert abs(got.expected[noon] - rate[WEEK + noon]) < 3.0  # the expected count, not its square root
    assert not trained(ts, x, noise="normal")._counts and trained(ts, x + 0.5, noise="counts")._counts


def test_a_model_file_saved_before_long_shifts_and_counts_scores_as_it_did() -> None:
    ts, x, _ = requests(8.0, 1)
    model = trained(ts, x, noise="normal", long_shift_windows=[])
    state = dict(model.__dict__)
    for name in ("noise", "_counts", "long_shift_windows", "_long", "long_shift_discount"):
        del state[name]
    old = type(model).__new__(type(model))
    old.__setstate__(state)
    a, b = model.score(ts, x, start=WEEK), old.score(ts, x, start=WEEK)
    assert np.array_equal(a.score, b.score) and np.array_equal(a.anomaly, b.anomaly)


def test_long_shift_windows_are_checked() -> None:
    for bad in ([6], [3], [24.5], [True]):
        with pytest.raises(ConfigError, match="long_shift_windows"):
            create_model("robust_seasonal", {"long_shift_windows": bad})
    with pytest.raises(ConfigError, match="noise"):
        create_model("robust_seasonal", {"noise": "poisson"})


def test_a_long_window_is_left_out_when_training_is_too_short_for_it() -> None:
    ts, x, _ = requests(300.0, 0, days=2)  # 576 rows: 10 x (32 + 2 x 24) = 800 needed for the shortest
    assert create_model("robust_seasonal").fit(ts, x)._long == ()
