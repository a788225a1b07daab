"""robust_seasonal finds what real metrics do wrong, says why, and stays quiet otherwise."""

from __future__ import annotations

import numpy as np

from metricwatch.detection.models import create_model
from metricwatch.detection.models.seasonal import fit_profile, held_out

from .series_factory import DAY, seasonal_series

STEP = 300.0


def fitted(ts: np.ndarray, x: np.ndarray, days: float = 2.0, **params):
    cut = int(days * DAY / STEP)
    return create_model("robust_seasonal", params).fit(ts[:cut], x[:cut]), cut


def test_a_spike_is_flagged_with_the_expected_value_and_band_that_explain_it() -> None:
    ts, x = seasonal_series(days=3.0, spike_at=0.8)
    model, cut = fitted(ts, x)
    got = model.score(ts, x, start=cut)
    spike = int(0.8 * len(x)) - cut
    assert got.anomaly[spike] == -1 and got.score[spike] == got.score.max()
    row = got.row(spike)
    assert row["lower"] < row["expected"] < row["upper"] < x[spike + cut]
    assert abs(row["expected"] - (x[spike + cut] - 20.0)) < 4.0  # it expected the seasonal value


def test_normal_seasonal_data_raises_no_alarm() -> None:
    ts, x = seasonal_series(days=4.0, spike_at=None, seed=3)
    model, cut = fitted(ts, x)
    assert (model.score(ts, x, start=cut).anomaly == -1).sum() == 0


def test_a_level_shift_fires_once_not_on_every_row_after_it() -> None:
    ts, x = seasonal_series(days=3.0, spike_at=None)
    shift = int(2.5 * DAY / STEP)
    x[shift:] += 15.0
    model, cut = fitted(ts, x)
    verdicts = model.score(ts, x, start=cut).anomaly
    fired = np.flatnonzero(verdicts == -1) + cut
    assert len(fired) >= 1 and shift <= fired[0] < shift + 5
    assert len(fired) <= 3


def plateau_alarms(seed: int, **params) -> np.ndarray:
    """Rows (from the plateau's first) where a 2-hour plateau of 2.5 noise sigmas fires."""
    n, cut, start = 3 * 288, 2 * 288, int(2.5 * 288)
    ts = 1.7e9 + STEP * np.arange(n)
    x = np.random.default_rng(seed).normal(100.0, 1.0, n)
    x[start:start + 24] += 2.5
    model = create_model("robust_seasonal", params).fit(ts[:cut], x[:cut])
    return np.flatnonzero(model.score(ts, x, start=cut).anomaly == -1) + cut - start


def test_a_moderate_plateau_is_flagged_by_the_shift_where_no_single_row_stands_out() -> None:
    for seed in range(4):
        fired = plateau_alarms(seed)
        during = fired[(fired >= 0) & (fired < 24)]
        assert len(during) == 1 and during[0] <= 6, (seed, fired)  # once, within shift_window rows
    rows_only = [plateau_alarms(seed, shift_discount=100.0) for seed in range(4)]
    assert sum(bool(np.any((f >= 0) & (f < 24))) for f in rows_only) < 4


def test_an_incident_under_way_does_not_raise_a_second_alarm_within_quiet_points() -> None:
    escalating = plateau_alarms(1, quiet_points=0)
    assert len(escalating[(escalating >= 0) & (escalating < 24)]) > 1  # each row rarer than the last
    assert list(plateau_alarms(1)) == [escalating[0]]


def test_a_stuck_value_is_flagged_once_it_outlasts_every_run_seen_in_training() -> None:
    ts, _ = seasonal_series(days=3.0, spike_at=None)
    x = np.round(np.random.default_rng(2).normal(100.0, 1.0, len(ts)), 1)
    stuck = int(2.5 * DAY / STEP)
    x[stuck:] = np.median(x)
    model, cut = fitted(ts, x)
    fired = np.flatnonzero(model.score(ts, x, start=cut).anomaly == -1) + cut
    assert len(fired) == 1 and stuck < fired[0] <= stuck + model.min_stuck + 1


def test_daily_seasonality_is_used_only_when_the_training_data_shows_it() -> None:
    ts, x = seasonal_series(days=3.0, spike_at=None)
    assert fit_profile(ts, x, "auto", 0.3).period == DAY
    flat = np.random.default_rng(1).normal(100.0, 1.0, len(ts))
    assert fit_profile(ts, flat, "auto", 0.3).period == 0
    assert fit_profile(ts[:200], x[:200], "auto", 0.3).period == 0  # less than two days: no profile


def office_hours(days: int, step: float = 300.0) -> tuple[np.ndarray, np.ndarray]:
    """20 at night, 70 from 09:00 to 18:00 (less than half the day), plus noise."""
    ts = 1.7e9 - 1.7e9 % DAY + step * np.arange(int(days * DAY / step))
    hour = (ts % DAY) / 3600.0
    x = np.where((hour >= 9) & (hour < 18), 70.0, 20.0) + np.random.default_rng(2).normal(0.0, 1.0, len(ts))
    return ts, x


def test_a_profile_busy_less_than_half_the_day_is_kept() -> None:
    # The median absolute deviation sees only the quiet 15 hours; the profile must be judged on all of them.
    ts, x = office_hours(days=4)
    assert fit_profile(ts, x, "auto", 0.3).period == DAY


def test_exactly_two_days_of_data_are_enough_for_a_daily_profile() -> None:
    ts, x = office_hours(days=2)
    assert ts[-1] - ts[0] < 2 * DAY  # the last row is one step short of two full days
    assert fit_profile(ts, x, "auto", 0.3).period == DAY


def test_a_gap_in_one_day_still_judges_the_other_days_rows_out_of_sample() -> None:
    ts, x = office_hours(days=2)
    hour = (ts % DAY) / 3600.0
    keep = ~((ts >= ts[0] + DAY) & (hour >= 10) & (hour < 11))  # day 2 has no 10:00-11:00
    ts, x, hour = ts[keep], x[keep], hour[keep]
    profile = fit_profile(ts, x, "daily", 0.3)
    day1 = ts < ts[0] + DAY
    others = held_out(ts, x, profile)
    in_gap = (hour >= 10) & (hour < 11)
    assert np.all(others[day1 & ~in_gap] != profile.at(ts)[day1 & ~in_gap])  # only the gap's bins fall back
    assert np.all(others[day1 & in_gap] == profile.at(ts)[day1 & in_gap])


def test_the_daily_rise_of_an_office_hours_series_is_not_an_alarm() -> None:
    ts, x = office_hours(days=5)
    train = int(2 * DAY / 300.0)
    model = create_model("robust_seasonal").fit(ts[:train], x[:train])
    assert (model.score(ts, x, start=train).anomaly == 1).all()


def nightly_job(days: int, spike: float = 5.0, step: float = 300.0) -> tuple[np.ndarray, np.ndarray]:
    """A flat noisy series with one spike a night, somewhere between 03:05 and 03:40 (a cron job)."""
    rng = np.random.default_rng(4)
    ts = 1.7e9 - 1.7e9 % DAY + step * np.arange(int(days * DAY / step))
    x = 1.0 + rng.normal(0.0, 0.05, len(ts))
    for day in range(days):
        x[int((day * DAY + 3 * 3600 + rng.integers(1, 8) * step) / step)] += spike
    return ts, x


def test_a_spike_every_night_at_about_the_same_time_is_not_an_alarm() -> None:
    ts, x = nightly_job(days=14)
    train = int(7 * DAY / 300.0)
    model = create_model("robust_seasonal").fit(ts[:train], x[:train])
    assert (model.score(ts, x, start=train).anomaly == 1).all()
    without = create_model("robust_seasonal", {"recurring_days": 0}).fit(ts[:train], x[:train])
    assert (without.score(ts, x, start=train).anomaly == -1).sum() >= 1  # what it would page for


def test_a_nightly_spike_much_larger_than_usual_or_at_another_time_is_still_an_alarm() -> None:
    ts, x = nightly_job(days=9)
    train = int(7 * DAY / 300.0)
    model = create_model("robust_seasonal").fit(ts[:train], x[:train])
    bigger, elsewhere = x.copy(), x.copy()
    night = int((8 * DAY + 3 * 3600) / 300.0)
    bigger[night: night + 12] = np.where(x[night: night + 12] > 3.0, 30.0, x[night: night + 12])
    elsewhere[night + 12 * 10] += 5.0  # the usual size, at 13:00
    assert (model.score(ts, bigger, start=train).anomaly == -1).any()
    assert model.score(ts, elsewhere, start=train).anomaly[night + 120 - train] == -1


def test_a_nightly_spike_up_does_not_hide_a_drop_at_the_same_hour() -> None:
    ts, x = nightly_job(days=9)
    train = int(7 * DAY / 300.0)
    model = create_model("robust_seasonal").fit(ts[:train], x[:train])
    drop = int((8 * DAY + 3 * 3600 + 50 * 60) / 300.0)  # 03:50, next to the usual spike
    x[drop] -= 5.0
    assert model.score(ts, x, start=train).anomaly[drop - train] == -1


def test_a_model_file_saved_before_recurring_days_existed_still_scores() -> None:
    ts, x = seasonal_series(days=3.0)
    model, cut = fitted(ts, x)
    state = dict(model.__dict__)
    del state["recurring_days"], state["_recurrence"]  # what an older pickle restores
    old = type(model).__new__(type(model))
    old.__setstate__(state)
    assert old.recurring_days == 0 and np.all(np.isfinite(old.score(ts, x, start=cut).score))


def test_a_constant_series_trains_and_scores_without_dividing_by_zero() -> None:
    ts = 1.7e9 + STEP * np.arange(1000)
    x = np.full(1000, 5.0)
    model = create_model("robust_seasonal").fit(ts[:500], x[:500])
    got = model.score(ts, x, start=500)
    assert np.all(np.isfinite(got.score))


def alarm_reasons(x: np.ndarray, days: float = 2.0) -> list[tuple[int, str]]:
    """(row, reason) of every alarm after `days` of training on 5-minute data."""
    ts = 1.7e9 + STEP * np.arange(len(x))
    model, cut = fitted(ts, x, days=days)
    got = model.score(ts, x, start=cut)
    assert all("reason" not in got.row(int(i)) for i in np.flatnonzero(got.anomaly == 1))
    return [(int(i) + cut, str(got.row(int(i))["reason"])) for i in np.flatnonzero(got.anomaly == -1)]


def test_every_alarm_says_which_measure_made_it_rare_and_inliers_say_nothing() -> None:
    noise = np.random.default_rng(0).normal(100.0, 1.0, 3 * 288)
    spike, plateau, stuck = noise.copy(), noise.copy(), noise.copy()
    spike[700] += 12.0
    plateau[700:724] += 2.5  # two hours, too small for any one row: only the mean of six rows sees it
    stuck[700:] = stuck[699]
    assert alarm_reasons(spike) == [(700, "far_from_expected")]
    assert [reason for row, reason in alarm_reasons(plateau) if 700 <= row < 724] == ["sustained_shift"]
    assert alarm_reasons(stuck) == [(704, "stuck")]  # the sixth equal value in a row: min_stuck
    walk = 100.0 + np.cumsum(np.random.default_rng(0).normal(0.0, 0.2, 3 * 288))  # wanders far, moves little
    walk[700:] += 3.0
    assert alarm_reasons(walk) == [(700, "jump")]


def glitchy_week() -> tuple[np.ndarray, np.ndarray]:
    """Two weeks of 5-minute data around 100 (sigma 2)."""
    ts = 1.7e9 + STEP * np.arange(4032)
    return ts, np.random.default_rng(0).normal(100.0, 2.0, 4032)


def test_one_glitch_in_the_training_week_does_not_blind_the_model_for_that_week() -> None:
    """A counter wrapping to 1e19 once must not set the band and the tail alone."""
    ts, x = glitchy_week()
    train = x[:2016].copy()
    train[300] = 1.8e19
    model = create_model("robust_seasonal").fit(ts[:2016], train)
    y = x.copy()
    y[3000], y[3500] = 0.0, 116.0  # an outage row, and an 8-sigma spike
    got = model.score(ts, y, start=2016)
    assert got.anomaly[3000 - 2016] == -1 and got.anomaly[3500 - 2016] == -1
    assert got.upper[0] - got.lower[0] < 20.0  # 4 robust sigmas each side of the expected value


def test_one_huge_value_being_scored_does_not_blind_the_rows_after_it_in_the_same_block() -> None:
    """Block scoring (a backtest day) gives what row-by-row live scoring gives, glitch or not."""
    ts, x = glitchy_week()
    x[2100], x[2700:2750] = 1.8e19, 0.0  # a glitch, then a four-hour outage two days later
    model = create_model("robust_seasonal").fit(ts[:2016], x[:2016])
    block = np.flatnonzero(model.score(ts, x, start=2016).anomaly == -1) + 2016
    cp = model.context_points
    live = [i for i in range(2016, len(x)) if model.score(ts[i - cp:i + 1], x[i - cp:i + 1], start=cp).anomaly[0] == -1]
    assert list(block) == live and {2100, 2700} <= set(live)


def test_an_event_rarer_than_a_saturated_one_the_same_day_is_still_news() -> None:
    """Scores stop at max_digits; the one-alarm-per-event gate compares the rarity itself."""
    ts, x = glitchy_week()
    x[2100], x[2200] = 150.0, 1000.0  # 25 sigmas, then 450: both past 12 digits
    model = create_model("robust_seasonal").fit(ts[:2016], x[:2016])
    got = model.score(ts, x, start=2016)
    assert got.score[2100 - 2016] == 1.0 and list(np.flatnonzero(got.anomaly == -1) + 2016) == [2100, 2200]


def test_with_months_of_history_each_row_is_still_judged_without_its_own_day() -> None:
    """Past MAX_FOLDS days the days are held out in interleaved groups (one refit per group, not per day)."""
    ts = 1.7e9 - 1.7e9 % DAY + 3600.0 * np.arange(24 * 90)
    x = 100 + 10 * np.sin(2 * np.pi * ts / DAY) + np.random.default_rng(0).normal(0, 1, len(ts))
    profile = fit_profile(ts, x, "daily", 0.3)
    row = 24 * 45 + 7
    moved = x.copy()
    moved[row] += 1000.0
    assert held_out(ts, moved, profile)[row] == held_out(ts, x, profile)[row]


def test_a_row_as_rare_as_an_alarm_but_within_the_incident_says_it_was_silenced() -> None:
    """ "Why was this not flagged?": one alarm per incident, and the rows it covers say so."""
    ts, x = glitchy_week()
    x[2100], x[2103] = 160.0, 0.0  # a spike, and an outage row three rows later
    model = create_model("robust_seasonal").fit(ts[:2016], x[:2016])
    got = model.score(ts, x, start=2016)
    spike, outage, calm = (got.row(i - 2016) for i in (2100, 2103, 2500))
    assert spike["anomaly"] == -1 and spike["reason"] == "far_from_expected" and "silenced" not in spike
    assert outage["anomaly"] == 1 and outage["silenced"] == "far_from_expected" and "reason" not in outage
    assert "silenced" not in calm and "reason" not in calm


def request_counts(days: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Requests per 5 minutes: Poisson around a daily wave, about 20 at midnight UTC and 200 at noon."""
    ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(int(days * DAY / STEP))
    rate = 20.0 + 90.0 * (1.0 - np.cos(2 * np.pi * (ts % DAY) / DAY))
    return ts, np.random.default_rng(seed).poisson(rate).astype(float), rate


def test_a_count_metric_is_judged_by_the_noise_of_its_hour_not_of_the_whole_day() -> None:
    ts, x, _ = request_counts(days=7, seed=0)
    model = create_model("robust_seasonal").fit(ts, x)
    night, noon = model.score(ts[:1], x[:1]), model.score(ts[144:145], x[144:145])
    assert (night.upper - night.lower)[0] < 0.6 * (noon.upper - noon.lower)[0]  # the band follows the noise


def test_a_dip_sized_to_the_quiet_hours_noise_is_found_at_night() -> None:
    """A one-hour dip of 6 sigmas of the 02:00 noise; with one scale for the whole day, 9 of 16 were found."""
    found = 0
    for seed in range(16):
        ts, x, rate = request_counts(days=8, seed=seed)
        train, dip = 7 * 288, 7 * 288 + 24
        x[dip:dip + 12] = np.maximum(x[dip:dip + 12] - 6.0 * np.sqrt(rate[dip:dip + 12]), 0.0)
        verdicts = create_model("robust_seasonal").fit(ts[:train], x[:train]).score(ts, x, start=train).anomaly
        found += bool((verdicts[dip - train: dip - train + 14] == -1).any())
        assert (verdicts == -1).sum() == (verdicts[dip - train: dip - train + 36] == -1).sum()  # no other alarm
    assert found >= 15


def test_a_series_without_a_daily_profile_keeps_one_scale_for_the_day() -> None:
    ts = 1.7e9 + STEP * np.arange(3 * 288)
    x = np.random.default_rng(1).normal(100.0, 1.0, len(ts))
    x[: len(ts) // 2] += np.random.default_rng(2).normal(0.0, 3.0, len(ts) // 2)  # noisier, but not by hour
    assert create_model("robust_seasonal").fit(ts, x)._hour_scales is None


def test_homoscedastic_noise_gets_about_the_days_scale_at_every_hour() -> None:
    ts, x = seasonal_series(days=7.0, spike_at=None, seed=5)
    model = create_model("robust_seasonal").fit(ts, x)
    assert model._hour_scales is not None
    assert np.all(np.abs(np.log(model._hour_scales)) < 0.2)


def test_a_model_file_saved_before_the_hourly_scale_existed_still_scores() -> None:
    ts, x, _ = request_counts(days=3, seed=0)
    model = create_model("robust_seasonal").fit(ts[:576], x[:576])
    state = dict(model.__dict__)
    del state["_hour_scales"]
    old = type(model).__new__(type(model))
    old.__setstate__(state)
    assert old._hour_scales is None and np.all(np.isfinite(old.score(ts, x, start=576).score))


def test_a_metric_at_zero_nearly_every_night_does_not_alarm_on_a_stray_count() -> None:
    """Its night's noise is 0 by the median: an hour is judged at most 2 times quieter than the day."""
    alarms = 0
    for seed in range(10):
        ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(14 * 288)
        rate = np.where(ts % DAY >= 6 * 3600, 30.0, 0.05)  # busy from 06:00 UTC, almost nothing before
        x = np.random.default_rng(seed).poisson(rate).astype(float)
        model = create_model("robust_seasonal").fit(ts[:7 * 288], x[:7 * 288])
        assert model._hour_scales is not None
        alarms += int((model.score(ts, x, start=7 * 288).anomaly == -1).sum())
    assert alarms == 0


def test_a_cpu_pinned_at_100_through_business_hours_does_not_alarm_on_its_usual_dips() -> None:
    """Those hours' noise is nearly 0; their dips (1% of rows) happen in training too."""
    alarms = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(14 * 288)
        hour = (ts % DAY) / 3600.0
        x = np.clip(40.0 + 10.0 * np.sin(2 * np.pi * hour / 24) + rng.normal(0.0, 4.0, len(ts)), 0.0, 100.0)
        busy = (hour >= 9) & (hour < 17)
        x[busy] = 100.0
        dips = busy & (rng.random(len(ts)) < 0.01)
        x[dips] = 100.0 - rng.uniform(2.0, 8.0, dips.sum())
        model = create_model("robust_seasonal").fit(ts[:7 * 288], x[:7 * 288])
        alarms += int((model.score(ts, x, start=0).anomaly == -1).sum())  # its training week and the next
    assert alarms == 0
