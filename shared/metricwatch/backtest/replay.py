"""Replay one series through a model the way the live system runs it.

The trainer retrains every `retrain_every` seconds on the preceding
`train_interval` of data; between retrains each row is scored with the model
of the last training and at most `context_points` rows before it, nothing
else. Before the first training there is no model: score 0, verdict 1 (live:
no verdict). Time is read in row order through a running maximum, so rows that
repeat or go back in time are scored in place, never sorted or dropped.

Feedback (`replay_with_feedback`): a `User` is shown each stretch of verdicts
once it has been scored, in row order, and answers with marks and the moment
each became known; a training uses the marks known by its moment
(`detection.feedback.fit_with_feedback`, as the live trainer does), so a
mark changes the model of the next daily retrain, never an earlier one.
Without a user (or with one that never marks) it is `replay` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from metricwatch.detection.feedback import Mark, earlier_ranges, fit_with_feedback
from metricwatch.detection.models.rolling import sampling_step
from metricwatch.detection.declared import DEFAULT, Declared, build_model
from metricwatch.detection.models.base import INLIER, MIN_TRAIN_POINTS, AnomalyModel, Scores
from metricwatch.errors import ModelError

DAY = 86400.0


@dataclass(frozen=True)
class ReplayConfig:
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    train_interval: float = 7 * DAY  # seconds of history each training sees
    retrain_every: float = DAY  # seconds between trainings
    # not_anomaly marks older than the training interval are re-read (with context) for the model's
    # memory when they ended at most this many seconds before the training; None: all of them
    feedback_memory: float | None = None
    declared: Declared = DEFAULT  # the metric's timezone, direction and kind (detection_metrics.json)


# (first row, end row, the verdicts of rows first..end-1) -> marks, each with the moment it became known.
User = Callable[[int, int, np.ndarray], Iterable[tuple[float, Mark]]]


def training_rows(clock: np.ndarray, retrain_every: float) -> list[int]:
    """Row indices at which the trainer has run since the previous one (first: one cadence in)."""
    if len(clock) == 0:
        return []
    moments = clock[0] + retrain_every * np.arange(1, int((clock[-1] - clock[0]) // retrain_every) + 1)
    return sorted(set(np.searchsorted(clock, moments, side="left").tolist()) - {len(clock)})


def _train(config: ReplayConfig, clock: np.ndarray, ts: np.ndarray, x: np.ndarray, row: int,
           now: float, marks: Sequence[Mark] = ()) -> AnomalyModel | None:
    first = int(np.searchsorted(clock, now - config.train_interval, side="left"))
    if row - first < MIN_TRAIN_POINTS:  # the live trainer skips such a series: no model
        return None
    try:
        model = build_model(config.model, config.params, config.declared)
        if not marks:
            return model.fit(ts[first:row], x[first:row])
        context = getattr(model, "context_points", 0) * sampling_step(ts[first:row])
        earlier = []  # rows before the interval that older not_anomaly marks cover, with their context
        recent = marks if config.feedback_memory is None else [m for m in marks if m.end > now - config.feedback_memory]
        for start, end in earlier_ranges(recent, clock[first], context):
            lo, hi = np.searchsorted(clock[:first], (start, end), side="left")
            if hi > lo:
                earlier.append((ts[lo:hi], x[lo:hi]))
        return fit_with_feedback(model, ts[first:row], x[first:row], marks, earlier)
    except ModelError:
        return None  # too little data yet: keep the previous model, as the trainer would


def _empty(n: int) -> Scores:
    nan = np.full(n, np.nan)
    return Scores(np.zeros(n), np.full(n, INLIER, dtype=np.int8), nan.copy(), nan.copy(), nan.copy(),
                  np.full(n, None, dtype=object), np.full(n, None, dtype=object))


def _put(out: Scores, lo: int, got: Scores) -> None:
    hi = lo + len(got.score)
    out.score[lo:hi], out.anomaly[lo:hi] = got.score, got.anomaly
    for name in ("expected", "lower", "upper", "reason", "silenced"):
        column = getattr(got, name)
        if column is not None:
            getattr(out, name)[lo:hi] = column


def replay(timestamps: np.ndarray, values: np.ndarray, config: ReplayConfig) -> Scores:
    """Scores for every row, in row order, with no look-ahead."""
    return replay_counted(timestamps, values, config)[0]


def replay_counted(timestamps: np.ndarray, values: np.ndarray, config: ReplayConfig) -> tuple[Scores, int]:
    """`replay`, and how many rows a model scored: 0 says the file never got one (too short a span)."""
    out, scored, _ = replay_with_feedback(timestamps, values, config, None)
    return out, scored


def replay_with_feedback(timestamps: np.ndarray, values: np.ndarray, config: ReplayConfig,
                         user: User | None, trained: list[tuple[int, AnomalyModel]] | None = None,
                         ) -> tuple[Scores, int, list[tuple[float, Mark]]]:
    """`replay_counted` with a user marking what it sees; also every (known at, mark) the user gave.

    The user sees each stretch between two trainings once it is scored
    (the rows before the first training, unscored, too), as a copy of its
    verdicts: it cannot read a row before it happened. Each training is
    given the marks known at or before its moment. `trained`, if given,
    receives (first row scored, model) for each stretch, for a benchmark
    to ask a model why it judged a row as it did.
    """
    ts, x = np.asarray(timestamps, np.float64), np.asarray(values, np.float64)
    clock = np.maximum.accumulate(ts) if len(ts) else ts
    out = _empty(len(x))
    rows = training_rows(clock, config.retrain_every)
    model, scored, given = None, 0, []
    if user is not None and len(x):
        given += user(0, rows[0] if rows else len(x), out.anomaly[:rows[0] if rows else len(x)].copy())
    for k, row in enumerate(rows):
        now = clock[0] + config.retrain_every * ((clock[row] - clock[0]) // config.retrain_every)
        known = [mark for at, mark in given if at <= now]
        model = _train(config, clock, ts, x, row, now, known) or model
        end = rows[k + 1] if k + 1 < len(rows) else len(x)
        if end <= row:
            continue
        if model is not None:
            if trained is not None:
                trained.append((row, model))
            lo = max(0, row - model.context_points)
            _put(out, row, model.score(ts[lo:end], x[lo:end], start=row - lo))
            scored += end - row
        if user is not None:
            given += user(row, end, out.anomaly[row:end].copy())
    return out, scored, given
