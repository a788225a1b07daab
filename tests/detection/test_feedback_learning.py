"""Feedback changes the next model: anomaly and ignore ranges are left out, not_anomaly ranges are accepted.

The interface others rely on: a series whose spike was marked `not_anomaly`
and retrained gets verdict 1 for the same spike at the same time of a later
day, while a spike twice or three times its size, or a dip, still gets -1.
What was decided for another time of day: by default
(`accepted_anywhere_after` = 1) one false alarm teaches its size, direction
and shape at any hour, with less slack than at its own hour, so the same
spike at another hour is accepted unless it reads rarer than the accepted
one by more than the noise of a reading (3 of 40 seeds); with 2, a spike at
another hour fires until a second false alarm at another hour is marked.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from metricwatch.detection.feedback import ANOMALY, IGNORE, NOT_ANOMALY, Mark, earlier_ranges, fit_with_feedback
from metricwatch.detection.models import create_model
from metricwatch.detection.models.robust_seasonal import ACCEPTED
from metricwatch.modelstore.cache import dumps, loads

DAY, HOUR, STEP = 86400.0, 3600.0, 300.0
SPIKE = 10.0  # noise sigmas
WEEK = int(7 * DAY / STEP)
SEEDS = range(5)


def noisy_daily(seed: int, days: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """5-minute data from midnight UTC: a daily wave of +-10 and Gaussian noise of 1."""
    rng = np.random.default_rng(seed)
    ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(int(days * DAY / STEP))
    return ts, 100.0 + 10.0 * np.sin(2 * np.pi * ts / DAY) + rng.normal(0.0, 1.0, len(ts))


def at(ts: np.ndarray, day: int, hour: float) -> int:
    return int(np.searchsorted(ts, ts[0] + day * DAY + hour * HOUR))


def verdict(model, ts: np.ndarray, x: np.ndarray, row: int, add: float = 0.0) -> tuple[int, str | None]:
    """The verdict on `row` (with `add` added to it), scored with its context as the live path does."""
    y = x.copy()
    y[row] += add
    lo = row - model.context_points
    got = model.score(ts[lo:row + 1], y[lo:row + 1], start=row - lo)
    return int(got.anomaly[0]), got.row(0).get("silenced")


def around(ts: np.ndarray, row: int) -> Mark:
    """What a user marks on a false alarm: [alarm - 5 min, alarm + 5 min)."""
    return Mark(NOT_ANOMALY, ts[row] - 300.0, ts[row] + 300.0)


def retrained(ts: np.ndarray, x: np.ndarray, marks, day: int = 8, **params):
    """The model the daily retrain at `day` 00:00 makes from the 7 days before it."""
    end = at(ts, day, 0)
    return fit_with_feedback(create_model("robust_seasonal", params), ts[end - WEEK:end], x[end - WEEK:end], marks)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_spike_marked_not_anomaly_is_accepted_at_the_same_time_of_a_later_day(seed: int) -> None:
    ts, x = noisy_daily(seed)
    spike = at(ts, 6, 14)
    x[spike] += SPIKE
    six_days = create_model("robust_seasonal").fit(ts[:at(ts, 6, 0)], x[:at(ts, 6, 0)])
    assert verdict(six_days, ts, x, spike)[0] == -1  # the false alarm the user marks

    plain, taught = retrained(ts, x, []), retrained(ts, x, [around(ts, spike)])
    later = at(ts, 8, 14)
    assert verdict(plain, ts, x, later, SPIKE)[0] == -1  # retraining alone does not learn it
    assert verdict(taught, ts, x, later, SPIKE) == (1, ACCEPTED)  # the feedback does, and says so

    # not a raised threshold: twice or three times the size, or the other direction, still fire, at any hour
    for row in (later, at(ts, 8, 3)):
        assert verdict(taught, ts, x, row, 2 * SPIKE)[0] == -1
        assert verdict(taught, ts, x, row, 3 * SPIKE)[0] == -1
        assert verdict(taught, ts, x, row, -SPIKE)[0] == -1
    # nor another shape at the accepted time: a 2-hour plateau of 6 sigmas is a shift, not the spike
    y = x.copy()
    y[later:later + 24] += 6.0
    lo = later - taught.context_points
    assert (taught.score(ts[lo:later + 30], y[lo:later + 30], start=later - lo).anomaly == -1).any()


def test_the_same_spike_at_another_hour_is_accepted_unless_it_reads_rarer() -> None:
    accepted = 0
    for seed in range(20):
        ts, x = noisy_daily(seed)
        spike = at(ts, 6, 14)
        x[spike] += SPIKE
        accepted += verdict(retrained(ts, x, [around(ts, spike)]), ts, x, at(ts, 8, 3), SPIKE)[0] == 1
    assert accepted >= 17


@pytest.mark.parametrize("seed", SEEDS)
def test_with_accepted_anywhere_after_2_one_false_alarm_teaches_only_its_time_of_day(seed: int) -> None:
    ts, x = noisy_daily(seed)
    spike = at(ts, 6, 14)
    x[spike] += SPIKE
    taught = retrained(ts, x, [around(ts, spike)], accepted_anywhere_after=2)
    assert verdict(taught, ts, x, at(ts, 8, 14), SPIKE)[0] == 1
    assert verdict(taught, ts, x, at(ts, 8, 3), SPIKE)[0] == -1
    assert verdict(taught, ts, x, at(ts, 8, 20), SPIKE)[0] == -1
    never = retrained(ts, x, [around(ts, spike)], accepted_anywhere_after=0)
    assert verdict(never, ts, x, at(ts, 8, 3), SPIKE)[0] == -1 and verdict(never, ts, x, at(ts, 8, 14), SPIKE)[0] == 1


def test_with_accepted_anywhere_after_2_a_second_false_alarm_at_another_hour_teaches_the_size() -> None:
    accepted, larger = 0, 0
    for seed in range(10):
        ts, x = noisy_daily(seed)
        first, second = at(ts, 5, 20), at(ts, 6, 14)
        x[first] += SPIKE
        x[second] += SPIKE
        taught = retrained(ts, x, [around(ts, first), around(ts, second)], accepted_anywhere_after=2)
        accepted += verdict(taught, ts, x, at(ts, 8, 3), SPIKE)[0] == 1
        larger += verdict(taught, ts, x, at(ts, 8, 3), 3 * SPIKE)[0] == -1
    assert accepted >= 7 and larger == 10


def test_a_mark_older_than_the_training_interval_is_remembered_when_its_rows_are_shown() -> None:
    """The trainer reads an older mark's rows (with context) and passes them as `earlier`: the memory outlives the week."""
    ts, x = noisy_daily(1, days=17.0)
    spike = at(ts, 6, 14)
    x[spike] += SPIKE
    marks = [around(ts, spike)]
    end = at(ts, 15, 0)
    week_ts, week_x = ts[end - WEEK:end], x[end - WEEK:end]  # days 8-14: the marked spike is not in it
    model = create_model("robust_seasonal")
    (start, stop), = earlier_ranges(marks, week_ts[0], model.context_points * STEP)
    old = (ts >= start) & (ts < stop)
    forgot = fit_with_feedback(create_model("robust_seasonal"), week_ts, week_x, marks)
    remembered = fit_with_feedback(model, week_ts, week_x, marks, earlier=[(ts[old], x[old])])
    later = at(ts, 15, 14)
    assert verdict(forgot, ts, x, later, SPIKE)[0] == -1
    assert verdict(remembered, ts, x, later, SPIKE) == (1, ACCEPTED)


def test_earlier_ranges_cover_older_not_anomaly_marks_with_context_merged() -> None:
    marks = [Mark(NOT_ANOMALY, 1000.0, 1100.0), Mark(NOT_ANOMALY, 1150.0, 1200.0), Mark(ANOMALY, 0.0, 500.0),
             Mark(NOT_ANOMALY, 4000.0, 6000.0), Mark(NOT_ANOMALY, 9000.0, 9100.0)]
    assert earlier_ranges(marks, since=5000.0, context=100.0) == [(900.0, 1200.0), (3900.0, 5000.0)]


@pytest.mark.parametrize("kind", [ANOMALY, IGNORE])
def test_an_incident_marked_anomaly_or_ignore_is_left_out_so_the_next_one_is_still_rare(kind: str) -> None:
    """A 2-hour plateau in training teaches the tails that plateaus are normal; left out, it teaches nothing."""
    ts, x = noisy_daily(0, days=9.0)
    first, second = at(ts, 3, 10), at(ts, 7, 15)
    x[first:first + 24] += 8.0
    x[second:second + 24] += 8.0
    cut = at(ts, 7, 0)
    mark = Mark(kind, ts[first], ts[first] + 2 * HOUR)
    kept = create_model("robust_seasonal").fit(ts[:cut], x[:cut])
    left_out = fit_with_feedback(create_model("robust_seasonal"), ts[:cut], x[:cut], [mark])
    outside = (ts[:cut] < mark.start) | (ts[:cut] >= mark.end)
    by_hand = create_model("robust_seasonal").fit(ts[:cut][outside], x[:cut][outside])

    lo, hi = second - kept.context_points, second + 24
    digits = [float(-m.surprise(ts[lo:hi], x[lo:hi]).logp[second - lo:].min()) for m in (kept, left_out, by_hand)]
    assert digits[1] == digits[2]  # left out means exactly: trained without those rows
    assert digits[1] > digits[0] + 5  # the second plateau is far rarer to a model that never saw the first
    assert left_out._accepted is None  # and nothing was accepted


def test_not_anomaly_rows_stay_in_training_and_only_add_a_memory() -> None:
    ts, x = noisy_daily(2)
    spike = at(ts, 6, 14)
    x[spike] += SPIKE
    plain, taught = retrained(ts, x, []), retrained(ts, x, [around(ts, spike)])
    assert plain._accepted is None and taught._accepted is not None
    assert taught._tails == plain._tails and taught._scales == plain._scales
    assert len(taught._accepted.episodes) == 1  # one episode: above expected, at 14:00, the digits it reached
    side, half_hour = taught._accepted.episodes[0, :2]
    assert side == 0 and half_hour == 28


def test_an_accepted_memory_keeps_the_model_file_small_and_survives_the_model_store() -> None:
    ts, x = noisy_daily(3)
    marks = []
    for day in range(1, 8):  # a false alarm a day, each at another hour, each marked
        row = at(ts, day, 2 + 3 * day)
        x[row] += SPIKE
        marks.append(around(ts, row))
    plain, taught = retrained(ts, x, []), retrained(ts, x, marks)
    assert len(taught._accepted.episodes) >= 5
    assert len(dumps(taught)) < len(dumps(plain)) + 2000 < 10_000
    back = loads(dumps(taught))
    later = at(ts, 8, 14)
    assert verdict(back, ts, x, later, SPIKE) == verdict(taught, ts, x, later, SPIKE)


def test_a_model_file_saved_before_feedback_existed_loads_without_a_memory() -> None:
    ts, x = noisy_daily(0)
    model = create_model("robust_seasonal").fit(ts[:WEEK], x[:WEEK])
    state = model.__dict__.copy()
    for name in ("_accepted", "accepted_anywhere_after", "_step", "_train_days", "_trained_from"):
        del state[name]  # what an older pickle restores
    old = pickle.loads(pickle.dumps(model))
    old.__dict__.clear()
    old.__setstate__(state)
    assert old._accepted is None and old.accepted_anywhere_after == 1
    row = at(ts, 8, 14)
    assert verdict(old, ts, x, row, SPIKE) == verdict(model, ts, x, row, SPIKE)


def test_accepted_anywhere_after_must_not_be_negative() -> None:
    from metricwatch.errors import ConfigError

    with pytest.raises(ConfigError):
        create_model("robust_seasonal", {"accepted_anywhere_after": -1})


def test_the_plain_float_lookup_of_a_scored_point_gives_what_the_array_one_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    from metricwatch.detection.models import accepted

    ts, x = noisy_daily(4)
    marks = []
    for day, hour in ((3, 14), (4, 2), (5, 20), (6, 9)):
        row = at(ts, day, hour)
        x[row] += SPIKE if day % 2 else -SPIKE
        marks.append(around(ts, row))
    taught = retrained(ts, x, marks)
    y = x.copy()
    for day, hour, size in ((8, 14, SPIKE), (8, 2, -SPIKE), (8, 20, 1.5 * SPIKE), (9, 9, -2 * SPIKE)):
        y[at(ts, day, hour)] += size
    lo = at(ts, 8, 0) - taught.context_points
    got = {}
    for few in (0, 10**9):  # every lookup by arrays, every one by floats
        monkeypatch.setattr(accepted, "FEW_ROWS", few)
        got[few] = taught.score(ts[lo:], y[lo:], start=taught.context_points)
    assert (got[0].silenced == ACCEPTED).sum() >= 2
    np.testing.assert_array_equal(got[0].score, got[10**9].score)
    np.testing.assert_array_equal(got[0].silenced, got[10**9].silenced)
    np.testing.assert_array_equal(got[0].reason, got[10**9].reason)
