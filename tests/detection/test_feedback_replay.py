"""The feedback replay: a simulated user who never looks ahead, and marks that reach only later trainings."""

from __future__ import annotations

import numpy as np
import pytest

from metricwatch.backtest import replay as replay_module
from metricwatch.backtest.feedback_replay import SimulatedUser
from metricwatch.backtest.replay import DAY, ReplayConfig, replay, replay_counted, replay_with_feedback
from metricwatch.detection.feedback import ANOMALY, NOT_ANOMALY, Mark

STEP, HOUR = 300.0, 3600.0
CONFIG = ReplayConfig("robust_seasonal")


SPIKE_DAYS = (7, 9)  # a false alarm at 14:00 of these days: the same one twice
INCIDENT = int((8 * DAY + 3 * HOUR) / STEP)  # a labelled 2-hour plateau in between


def spiky(days: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """10 days of 5-minute daily-seasonal data, two same-sized spikes at 14:00 and one labelled incident."""
    rng = np.random.default_rng(seed)
    ts = 1.7e9 - 1.7e9 % DAY + STEP * np.arange(int(days * DAY / STEP))
    x = 100.0 + 10.0 * np.sin(2 * np.pi * ts / DAY) + rng.normal(0.0, 1.0, len(ts))
    for day in SPIKE_DAYS:
        x[int((day * DAY + 14 * HOUR) / STEP)] += 10.0
    x[INCIDENT:INCIDENT + 24] += 12.0
    return ts, x, [(INCIDENT - 12, INCIDENT + 36)]


def test_the_user_sees_each_stretch_once_in_order_as_it_was_scored() -> None:
    ts, x, windows = spiky()
    shown: list[tuple[int, int, np.ndarray]] = []
    user = SimulatedUser(ts, windows)

    def watching(lo: int, hi: int, verdicts: np.ndarray):
        shown.append((lo, hi, verdicts.copy()))
        verdicts[:] = -1  # what the user does with its copy changes nothing
        return user(lo, hi, shown[-1][2])

    got, _, _ = replay_with_feedback(ts, x, CONFIG, watching)
    assert [lo for lo, _, _ in shown] == [0] + [hi for _, hi, _ in shown[:-1]] and shown[-1][1] == len(ts)
    for lo, hi, seen in shown:
        np.testing.assert_array_equal(seen, got.anomaly[lo:hi])


def test_every_mark_becomes_known_only_after_the_rows_it_covers() -> None:
    ts, x, windows = spiky()
    _, _, given = replay_with_feedback(ts, x, CONFIG, SimulatedUser(ts, windows))
    kinds = {mark.kind for _, mark in given}
    assert NOT_ANOMALY in kinds  # the spikes were false alarms the user marked
    for known_at, mark in given:
        assert known_at >= mark.end > mark.start


def test_a_training_is_given_only_the_marks_known_by_its_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    ts, x, windows = spiky()
    trainings: list[tuple[float, list]] = []
    original = replay_module._train

    def recording(config, clock, ts_, x_, row, now, marks=()):
        trainings.append((now, list(marks)))
        return original(config, clock, ts_, x_, row, now, marks)

    monkeypatch.setattr(replay_module, "_train", recording)
    _, _, given = replay_with_feedback(ts, x, CONFIG, SimulatedUser(ts, windows))
    known = {mark: at for at, mark in given}
    assert any(marks for _, marks in trainings)
    for now, marks in trainings:
        assert all(known[mark] <= now for mark in marks)
        assert len(marks) == sum(at <= now for at in known.values())  # and every one known by then


def test_changing_the_future_changes_no_earlier_score_or_mark_through_feedback() -> None:
    ts, x, windows = spiky()
    before, _, given = replay_with_feedback(ts, x, CONFIG, SimulatedUser(ts, windows))
    for cut in (int(7.8 * DAY / STEP), int(9.2 * DAY / STEP)):
        changed = x.copy()
        changed[cut:] = changed[cut:] * 2.0 + 30.0
        after, _, given_after = replay_with_feedback(ts, changed, CONFIG, SimulatedUser(ts, windows))
        np.testing.assert_array_equal(before.score[:cut], after.score[:cut])
        np.testing.assert_array_equal(before.anomaly[:cut], after.anomaly[:cut])
        assert [g for g in given if g[0] < ts[cut]] == [g for g in given_after if g[0] < ts[cut]]


def test_a_user_who_never_marks_gives_replay_exactly() -> None:
    ts, x, _ = spiky()
    plain, counted = replay(ts, x, CONFIG), replay_counted(ts, x, CONFIG)
    quiet, scored, given = replay_with_feedback(ts, x, CONFIG, lambda lo, hi, verdicts: [])
    assert given == [] and scored == counted[1]
    for name in ("score", "anomaly", "expected", "lower", "upper", "reason", "silenced"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(quiet, name))


def test_a_benchmark_can_ask_for_the_model_of_each_stretch_without_changing_a_score() -> None:
    """`trained` gets (first row, model) per stretch: the model that scored those rows, nothing else changes."""
    ts, x, windows = spiky()
    trained: list = []
    plain, _, _ = replay_with_feedback(ts, x, CONFIG, SimulatedUser(ts, windows))
    seen, _, _ = replay_with_feedback(ts, x, CONFIG, SimulatedUser(ts, windows), trained)
    np.testing.assert_array_equal(plain.score, seen.score)
    rows = [row for row, _ in trained]
    assert rows == sorted(rows) and len(rows) == int((ts[-1] - ts[0]) // DAY)  # one a day, in order
    row, model = trained[-1]
    lo = row - model.context_points
    again = model.score(ts[lo:], x[lo:], start=row - lo)
    np.testing.assert_array_equal(again.score, seen.score[row:])


def test_a_false_alarm_marked_today_is_accepted_after_the_next_retrain_not_before() -> None:
    ts, x, windows = spiky()
    without = replay(ts, x, CONFIG)
    taught, _, given = replay_with_feedback(ts, x, CONFIG, SimulatedUser(ts, windows))
    first_known = min(at for at, mark in given if mark.kind == NOT_ANOMALY)
    next_training = ts[0] + DAY * np.ceil((first_known - ts[0]) / DAY)
    same = ts < next_training
    np.testing.assert_array_equal(without.score[same], taught.score[same])
    first, again = (int((day * DAY + 14 * HOUR) / STEP) for day in SPIKE_DAYS)
    assert int(without.anomaly[first]) == int(without.anomaly[again]) == -1  # the same false alarm twice
    assert int(taught.anomaly[first]) == -1  # marked when it fired ...
    assert int(taught.anomaly[again]) == 1 and taught.silenced[again] == "accepted"  # ... accepted two days later
    left, right = windows[0]
    assert (taught.anomaly[left:right + 1] == -1).any()  # and the incident between them still fires


def test_the_simulated_user_marks_false_alarms_and_missed_windows_only() -> None:
    ts = 1.7e9 + STEP * np.arange(100)
    user = SimulatedUser(ts, [(10, 20), (30, 40), (60, 70)])
    verdicts = np.ones(100, dtype=np.int8)
    verdicts[[5, 15]] = -1  # a false alarm, and a found window
    got = user(0, 35, verdicts[:35])
    assert got == [(ts[5] + 3 * STEP, Mark(NOT_ANOMALY, ts[5] - 3 * STEP, ts[5] + 3 * STEP))]
    got = user(35, 65, verdicts[35:65])  # the window 30..40 ended with no alarm; 60..70 has not ended
    (known_at, mark), = got
    assert mark.kind == ANOMALY and mark.start == ts[30] and known_at == mark.end and ts[40] < mark.end < ts[41]
    end = float(np.nextafter(ts[70], np.inf))
    assert user(65, 100, verdicts[65:]) == [(end, Mark(ANOMALY, float(ts[60]), end))]
    with pytest.raises(ValueError):
        user(0, 10, verdicts[:10])  # a stretch shown twice: the replay would be looking back, or ahead


def test_a_user_confirming_incidents_marks_found_windows_too() -> None:
    ts = 1.7e9 + STEP * np.arange(50)
    verdicts = np.ones(50, dtype=np.int8)
    verdicts[15] = -1
    got = SimulatedUser(ts, [(10, 20)], confirm_found=True)(0, 50, verdicts)
    assert [m.kind for _, m in got] == [ANOMALY]

