"""A residual or jump is judged on its own side's tail, up to `side_digits` rarer than both sides pooled.

Latency has a heavy tail above (slow requests) and a light one below: pooled,
the slow rows set the tail for both directions, and a latency that fell to
almost nothing read 2-3 digits. Each side is fitted apart, widened where it
saw few excesses, and may only make a row rarer than the pooled tail says.
"""

from __future__ import annotations

import numpy as np

from metricwatch.detection.models.base import OUTLIER
from metricwatch.detection.models.robust_seasonal import RobustSeasonalModel
from metricwatch.detection.models.tail import fit_side_tail, fit_tail

DAY, STEP = 86400.0, 300.0
T0 = 1.7e9 - 1.7e9 % DAY


def latency(seed: int, days: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A log-normal latency around 150 ms with 2 % slow rows (Pareto, up to 10 times slower)."""
    rng = np.random.default_rng(seed)
    ts = T0 + STEP * np.arange(int(days * DAY / STEP))
    body = 150.0 * np.exp(rng.normal(0.0, 0.25, len(ts)))
    slow = rng.random(len(ts)) < 0.02
    return ts, np.where(slow, body * np.minimum(1.0 + rng.pareto(2.5, len(ts)), 10.0), body).round(1)


def trained(seed: int, **params) -> tuple[RobustSeasonalModel, np.ndarray, np.ndarray, int]:
    ts, x = latency(seed)
    cut = int(7 * DAY / STEP)
    return RobustSeasonalModel(**params).fit(ts[:cut], x[:cut]), ts, x, cut


def test_a_latency_that_falls_to_almost_nothing_reads_rare_though_its_slow_rows_make_the_tail_above_heavy() -> None:
    for seed in range(10):
        model, ts, x, cut = trained(seed)
        pooled = RobustSeasonalModel(side_digits=0.0).fit(ts[:cut], x[:cut])
        at = cut + 150
        x = x.copy()
        x[at] = 5.0  # 150 ms -> 5 ms: the service answers without doing the work
        sided = -model.surprise(ts[:at + 1], x[:at + 1]).measures[0, at]
        plain = -pooled.surprise(ts[:at + 1], x[:at + 1]).measures[0, at]
        assert plain < 2.6  # pooled, the slow rows' tail: about once a day
        # on its side 3.5-4.7 digits (1.5 to 2.4 more): about 4 noise sd below, since a latency cannot go below 0,
        # so whether it fires also depends on the day's slow rows (the one-alarm gate)
        assert 3.4 < sided and sided - plain > 1.4


def test_a_row_is_never_read_less_rare_than_the_pooled_tail_says() -> None:
    for seed in range(5):
        model, ts, x, cut = trained(seed)
        pooled = RobustSeasonalModel(side_digits=0.0).fit(ts[:cut], x[:cut])
        sided, plain = model.surprise(ts, x).measures[:2], pooled.surprise(ts, x).measures[:2]
        assert (sided <= plain).all()  # log10 p: at least as rare
        assert (sided >= plain - model.side_digits - 1e-12).all()  # and at most side_digits rarer
        assert (sided < plain).any()


def test_normal_latency_raises_no_more_alarms_for_being_judged_per_side() -> None:
    alarms = pooled_alarms = 0
    for seed in range(10):
        model, ts, x, cut = trained(seed)
        pooled = RobustSeasonalModel(side_digits=0.0).fit(ts[:cut], x[:cut])
        alarms += int((model.score(ts, x, cut).anomaly == OUTLIER).sum())
        pooled_alarms += int((pooled.score(ts, x, cut).anomaly == OUTLIER).sum())
    assert alarms <= pooled_alarms + 1  # ten series-days


def test_a_side_seen_little_is_trusted_little() -> None:
    rng = np.random.default_rng(3)
    few, many = np.abs(rng.normal(size=80)), np.abs(rng.normal(size=20000))
    for s in (few, many):
        plain, side = fit_tail(s, 0.9), fit_side_tail(s, 0.9, caution=3.0)
        n = int((s > plain.u0).sum())
        assert side.u0 == plain.u0
        assert np.isclose(side.mean_excess, plain.mean_excess * (1.0 + 3.0 / np.sqrt(n)))
    assert fit_side_tail(few, 0.9, 3.0).mean_excess / fit_tail(few, 0.9).mean_excess > 1.9  # 8 excesses: x 2.06
    assert fit_side_tail(many, 0.9, 3.0).mean_excess / fit_tail(many, 0.9).mean_excess < 1.1


def test_a_model_file_from_before_the_sides_scores_as_it_did() -> None:
    model, ts, x, cut = trained(0)
    old = RobustSeasonalModel(side_digits=0.0).fit(ts[:cut], x[:cut])
    state = dict(old.__dict__)
    del state["side_digits"], state["_sides"]
    loaded = RobustSeasonalModel.__new__(RobustSeasonalModel)
    loaded.__setstate__(state)
    assert np.array_equal(loaded.score(ts, x, cut).score, old.score(ts, x, cut).score)
