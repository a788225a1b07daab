"""Every registered model honours the AnomalyModel contract (one suite, parametrised over the registry)."""

from __future__ import annotations

import io

import joblib
import numpy as np
import pytest

from metricwatch.detection.models import create_model, model_names
from metricwatch.detection.models.base import AnomalyModel, get_params

from .series_factory import DAY, messy, seasonal_series

MODELS = model_names()


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return seasonal_series(days=3.0)


def trained(name: str, ts: np.ndarray, x: np.ndarray) -> AnomalyModel:
    cut = int(2 * DAY / 300.0)
    return create_model(name).fit(ts[:cut], x[:cut])


@pytest.mark.parametrize("name", MODELS)
def test_scores_are_in_0_1_and_verdicts_are_minus_one_or_one(name: str, data) -> None:
    ts, x = data
    got = trained(name, ts, x).score(ts, x, start=100)
    assert len(got.score) == len(got.anomaly) == len(x) - 100
    assert np.all((got.score >= 0) & (got.score <= 1))
    assert got.anomaly.dtype == np.int8 and set(np.unique(got.anomaly)) <= {-1, 1}


@pytest.mark.parametrize("name", MODELS)
def test_nothing_to_score_gives_empty_scores(name: str, data) -> None:
    ts, x = data
    model = trained(name, ts, x)
    assert len(model.score(ts[:0], x[:0]).score) == 0
    assert len(model.score(ts[:5], x[:5], start=5).anomaly) == 0


@pytest.mark.parametrize("name", MODELS)
def test_is_an_anomaly_model_with_params_as_attributes(name: str) -> None:
    model = create_model(name)
    assert isinstance(model, AnomalyModel) and model.name == name
    assert isinstance(model.context_points, int) and model.context_points >= 0
    assert get_params(create_model(name, get_params(model))) == get_params(model)


@pytest.mark.parametrize("name", MODELS)
def test_a_joblib_round_trip_scores_identically(name: str, data) -> None:
    ts, x = data
    model = trained(name, ts, x)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    again = joblib.load(buffer)
    np.testing.assert_array_equal(model.score(ts, x).score, again.score(ts, x).score)


@pytest.mark.parametrize("name", MODELS)
def test_changing_a_future_value_changes_no_earlier_score(name: str, data) -> None:
    ts, x = data
    model = trained(name, ts, x)
    before = model.score(ts, x).score
    changed = x.copy()
    changed[600:] += 1000.0
    after = model.score(ts, changed).score
    np.testing.assert_array_equal(before[:600], after[:600])


@pytest.mark.parametrize("name", MODELS)
def test_scoring_a_block_equals_scoring_each_point_with_its_context(name: str, data) -> None:
    """What the backtest does (a day at once) is what live does (one point, context_points before it)."""
    ts, x = data
    model = trained(name, ts, x)
    ctx, first = model.context_points, 700
    block = model.score(ts[first - ctx:], x[first - ctx:], start=ctx)
    for i in range(first, first + 40):
        one = model.score(ts[i - ctx:i + 1], x[i - ctx:i + 1], start=ctx)
        assert one.score[0] == pytest.approx(block.score[i - first], abs=1e-12)
        assert one.anomaly[0] == block.anomaly[i - first]


@pytest.mark.parametrize("name", MODELS)
def test_duplicate_and_backward_timestamps_neither_crash_nor_drop_rows(name: str, data) -> None:
    ts, x = data
    ts = messy(ts)
    model = trained(name, ts, x)
    got = model.score(ts, x)
    assert len(got.score) == len(x) and np.all(np.isfinite(got.score))


@pytest.mark.parametrize("name", MODELS)
def test_a_model_for_seven_days_of_one_minute_data_stays_under_one_megabyte(name: str) -> None:
    ts, x = seasonal_series(days=7.0, step=60.0)
    buffer = io.BytesIO()
    joblib.dump(create_model(name).fit(ts, x), buffer)
    assert buffer.tell() <= 1_000_000


@pytest.mark.parametrize("name", ["robust_seasonal", "robust_zscore"])
def test_a_glitch_in_training_neither_widens_the_band_nor_hides_an_outage(name: str) -> None:
    """The robust models' scale is the MAD; the mean deviation is only a fallback for a flat majority."""
    ts = 1.7e9 + 300.0 * np.arange(4032)
    x = np.random.default_rng(0).normal(100.0, 2.0, 4032)
    clean = create_model(name).fit(ts[:2016], x[:2016])
    glitched = x[:2016].copy()
    glitched[300] = 1.8e19
    model = create_model(name).fit(ts[:2016], glitched)
    y = x.copy()
    y[3000] = 0.0
    got, ref = model.score(ts, y, start=2016), clean.score(ts, y, start=2016)
    assert got.anomaly[3000 - 2016] == -1
    assert got.upper[0] - got.lower[0] == pytest.approx(ref.upper[0] - ref.lower[0], rel=0.01)


@pytest.mark.parametrize("name, params", [
    ("robust_seasonal", {"max_digits": 0}), ("robust_seasonal", {"max_digits": -12}),
    ("robust_seasonal", {"alert_digits": 20}), ("robust_seasonal", {"band_z": -4}),
    ("robust_zscore", {"min_scale": 0}),
])
def test_train_params_that_could_only_fail_or_mislead_at_scoring_time_are_refused_when_built(name, params) -> None:
    """The detection metrics file is checked at start ("fail now, not at 3 a.m."): so must these be."""
    from metricwatch.errors import ConfigError

    with pytest.raises(ConfigError, match="bad train_params"):
        create_model(name, params)


@pytest.mark.parametrize("name", ["robust_seasonal", "robust_zscore"])
def test_non_finite_training_data_is_refused_as_a_model_error_not_saved(name: str) -> None:
    from metricwatch.errors import ModelError

    ts = 1.7e9 + 300.0 * np.arange(500)
    x = np.random.default_rng(0).normal(100.0, 2.0, 500)
    x[10] = np.nan
    with pytest.raises(ModelError, match="non-finite"):
        create_model(name).fit(ts, x)


def test_a_history_sent_twice_keeps_its_daily_profile() -> None:
    """A client that resends every point (or two agents on one series) doubles each timestamp."""
    ts = 1.7e9 + 300.0 * np.arange(2016)
    x = 100 + 50 * np.sin(2 * np.pi * ts / DAY) + np.random.default_rng(0).normal(0, 2, 2016)
    once = create_model("robust_seasonal").fit(ts, x)
    twice = create_model("robust_seasonal").fit(np.repeat(ts, 2), np.repeat(x, 2))
    assert once._profile.kind == twice._profile.kind == "daily"


def test_a_window_too_short_for_shift_window_is_refused_not_blind() -> None:
    from metricwatch.errors import ModelError

    ts = 1.7e9 + 300.0 * np.arange(20)
    with pytest.raises(ModelError, match="need at least 24 points"):
        create_model("robust_seasonal", {"level_window": 2, "shift_window": 10}).fit(ts, np.arange(20.0))


def test_regular_bursts_far_above_the_noise_stay_the_tail_and_raise_no_more_alarms_than_unclipped(monkeypatch) -> None:
    """The glitch guard cuts a few absurd excesses, never the many bursts that are a series' own tail."""
    import metricwatch.detection.models.tail as tail

    rng = np.random.default_rng(0)
    ts = 1.7e9 + 300.0 * np.arange(4032)
    x = rng.normal(0.0, 1.0, 4032)
    burst = rng.random(4032) < 0.03
    x[burst] += 200.0 * rng.random(burst.sum())

    def alarms() -> int:
        model = create_model("robust_seasonal").fit(ts[:2016], x[:2016])
        return int((model.score(ts, x, start=2016).anomaly == -1).sum())

    guarded = alarms()
    monkeypatch.setattr(tail, "MAX_EXCESS_RATIO", float("inf"))
    assert guarded == alarms()


@pytest.mark.parametrize("name", ["robust_seasonal", "robust_zscore"])
def test_both_levels_of_a_two_level_series_are_inside_the_normal_band(name: str) -> None:
    """The MAD alone sees only the majority level; the band uses the trimmed mean deviation when larger."""
    rng = np.random.default_rng(0)
    ts = 1.7e9 + 300.0 * np.arange(4032)
    x = np.where(rng.random(4032) < 0.3, 200.0, 100.0) + rng.normal(0.0, 1.0, 4032)
    got = create_model(name).fit(ts[:2016], x[:2016]).score(ts, x, start=2016)
    assert (got.anomaly == 1).all() and ((x[2016:] >= got.lower) & (x[2016:] <= got.upper)).all()
