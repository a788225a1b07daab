"""Scoring many series of `robust_seasonal` at once: one pass of numpy over a (series x rows) array.

A warm push of 1,000 series made 1,000 `RobustSeasonalModel.score` calls of
a quarter to half a millisecond each on 577 rows, nearly all of it numpy's
fixed cost per call (a hundred calls on small arrays). Series whose models
share what shapes the arrays (`_shape`), with as many rows and the same
`start`, are stacked into 2-D arrays and every step runs once along the rows
(`rows.py`, `batch_surprise.py`), each model's fitted numbers broadcast as a
column (`batch_fitted.py`). Only the rows the scored rows' verdicts depend on
are measured (`batch_frame.py`, `LOOK`). Each step is the 1-D one's, elementwise or along a
series, so the numbers are those of `score` bit for bit
(tests/detection/test_batch_scoring.py compares every field). What is
awkward to stack stays per series, on the few rows that need it: the reasons
of flagged rows. A model with a memory of accepted feedback is not stacked
(`groups` leaves it out), nor a series with a non-finite number or whose
surprise is NaN somewhere (NaN rules differ between numpy's calls): the
caller scores those alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Hashable, Sequence

import numpy as np

from metricwatch.detection.models import rows
from metricwatch.detection.models.base import OUTLIER, Scores, verdicts
from metricwatch.detection.models.batch_fitted import Fitted
from metricwatch.detection.models.batch_frame import Frame
from metricwatch.detection.models.batch_surprise import surprise
from metricwatch.detection.models.counts import from_even, to_even
from metricwatch.detection.models.robust_seasonal import STUCK_WEIGHT, RobustSeasonalModel, Surprise


class Joined:
    """A series' stored context and its new points, not yet one array (`scoring.score_many`'s calls).

    `_chunk` copies both straight into its (series x rows) array, which
    is the array their concatenation would give: concatenating first made
    one more array per series (4.6 KB each, two per series, 9 MB for a
    1,000-series push) only to copy it into the stack.
    """

    __slots__ = ("head", "tail")

    def __init__(self, head: np.ndarray, tail: list[float]) -> None:
        self.head, self.tail = head, tail  # a float64 array; numbers

    def __len__(self) -> int:
        return len(self.head) + len(self.tail)


Job = tuple[RobustSeasonalModel, np.ndarray | Joined, np.ndarray | Joined, int]  # (model, timestamps, values, start),
# as `score` takes them
CHUNK = 128  # series per array: each temporary (128 x 577 floats, 0.6 MB) stays in cache; 1,000 at once is slower
# Rows a scored row first looks back for its refractory gate ("more surprising than every row of the last
# _refractory"): a row that is not more surprising than one of its last 32 is not more surprising than all of its
# last 288, so nearly every row is decided there; the rest look back fully (4 of bench_push's 1,000 series, 7.5% of
# tests/detection/test_batch_scoring.py's, which hold an event a day). The rows measured for 5-minute data fall
# from 465 to 209.
LOOK = 32


def _shape(model: object) -> Hashable | None:
    """What models must share to be scored in one array: hyperparameters, not fitted numbers; None: alone."""
    if type(model) is not RobustSeasonalModel or model._accepted is not None or model._tails is None \
            or any(t.log_space for t in model._tails):
        return None
    return (model.level_window, model.shift_window, model._long, model.shift_discount, model.long_shift_discount,
            model._refractory, model.quiet_points, model.alert_digits, model.max_digits, model.band_z)


def groups(jobs: Sequence[Job], least: int = 2) -> list[list[int]]:
    """Indices of the jobs that can be scored together, group by group (at least `least` in each)."""
    keyed: dict[Hashable, list[int]] = defaultdict(list)
    for i, (model, timestamps, _, start) in enumerate(jobs):
        shape = _shape(model)
        if shape is not None and 0 <= start < len(timestamps):
            keyed[(shape, len(timestamps), start)].append(i)
    return [found for found in keyed.values() if len(found) >= least]


def score_group(jobs: Sequence[Job]) -> list[Scores | None]:
    """Each job's `model.score(timestamps, values, start)`, for the jobs of one of `groups`' groups;
    None for a series to score alone (a non-finite number, a NaN surprise)."""
    out: list[Scores | None] = []
    for at in range(0, len(jobs), CHUNK):
        out.extend(_chunk(jobs[at:at + CHUNK]))
    return out


def _stacked(columns: list[np.ndarray | Joined]) -> np.ndarray:
    """Equal-length series as one (series x rows) float64 array (np.stack: 10 times slower than this)."""
    if not all(type(c) is Joined for c in columns):
        return np.concatenate([np.concatenate((c.head, c.tail)) if type(c) is Joined else c for c in columns],
                              dtype=np.float64).reshape(len(columns), -1)
    k = len(columns[0].head)  # as long in every series of a group: its start
    out = np.empty((len(columns), len(columns[0])))
    out[:, :k] = np.concatenate([c.head for c in columns]).reshape(len(columns), k)
    out[:, k:] = [c.tail for c in columns]
    return out


def _chunk(jobs: Sequence[Job]) -> list[Scores | None]:
    ts, values = _stacked([j[1] for j in jobs]), _stacked([j[2] for j in jobs])
    kept = np.isfinite(ts).all(axis=1) & np.isfinite(values).all(axis=1)
    if not kept.all():
        ts, values = ts[kept], values[kept]
    model, start = jobs[0][0], jobs[0][3]
    fitted = Fitted.of([j[0] for j, ok in zip(jobs, kept) if ok], ts)
    if fitted.counts.any():
        values[fitted.counts] = to_even(values[fitted.counts])
    scored = iter(_looking_back(model, fitted, start, ts, values) if len(ts) else [])
    return [next(scored) if ok else None for ok in kept]


def _looking_back(m: RobustSeasonalModel, f: Fitted, start: int, ts: np.ndarray, x: np.ndarray) -> list[Scores | None]:
    """Scores from the `LOOK` rows before `start` first; the series that need it, again from the full window."""
    full, short = Frame.of(m, start), Frame.of(m, start, LOOK)
    out, further = _scores(m, f, short, ts, x, whole=short == full)
    again = np.flatnonzero(further).tolist()
    if again:
        for g, got in zip(again, _scores(m, f.take(again), full, ts[again], x[again], whole=True)[0]):
            out[g] = got
    return out


def _scores(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray, x: np.ndarray,
            whole: bool) -> tuple[list[Scores | None], np.ndarray]:
    """`RobustSeasonalModel.score`'s last steps for every series: the one-alarm gates, band and verdicts.

    Unless the frame holds the `whole` refractory window, a series with a row
    more surprising than every row the frame holds before it is marked
    (second array): the rows before the frame decide its score.
    """
    logp, expected, measures, stuck = surprise(m, f, fr, ts, x)
    start, alarm = fr.start - fr.b, m.alert_digits / m.max_digits
    raw, score, further = _gates(m, fr, logp, whole)
    anomaly = verdicts(score, alarm)
    outlier = anomaly == OUTLIER
    silenced = (raw[:, start:] >= alarm) & ~outlier
    half = f.half_band(fr.start)
    lower, upper = expected - half, expected + half
    if f.counts.any():  # the expected count and band a person reads
        for band in (expected, lower, upper):
            band[f.counts] = from_even(band[f.counts])
    alone = further | np.isnan(logp[:, fr.a - fr.b:]).any(axis=1)
    told = np.flatnonzero((outlier.any(axis=1) | silenced.any(axis=1)) & ~alone).tolist()
    why = {g: Surprise(logp[g], expected[g], measures[:, g], stuck[g], -STUCK_WEIGHT * m.alert_digits) for g in told}
    return [None if alone[g] else
            Scores(score=score[g], anomaly=anomaly[g], expected=expected[g], lower=lower[g], upper=upper[g],
                   reason=why[g].reasons(outlier[g], start) if g in why else None,
                   silenced=why[g].reasons(silenced[g], start) if g in why else None)
            for g in range(len(x))], further


def _gates(m: RobustSeasonalModel, fr: Frame, logp: np.ndarray,
           whole: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's raw score, and the scored rows' after the one-alarm gates; the series the frame
    cannot decide (a row more surprising than every row it holds before it, unless it holds them all)."""
    start = fr.start - fr.b
    raw = np.clip(-logp / m.max_digits, 0.0, 1.0)
    score = raw[:, start:]
    further = np.zeros(len(logp), dtype=bool)
    if m._refractory:  # a lower bound of the window's maximum when the frame holds only its last rows
        digits = -logp
        width = m._refractory if whole else min(m._refractory, fr.start - fr.a)
        later = digits[:, start:] > rows.trailing_max(digits, width, start)
        score = np.where(later, score, 0.0)
        if not whole:
            further = later.any(axis=1)
    if m.quiet_points:
        score = np.where(rows.trailing_max(raw, m.quiet_points, start) >= m.alert_digits / m.max_digits, 0.0, score)
    return raw, score, further
