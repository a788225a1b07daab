"""Scoring many series of `robust_seasonal` at once: one pass of numpy over a (series x rows) array.

A warm push of 1,000 series made 1,000 `RobustSeasonalModel.score` calls of
a quarter to half a millisecond each on 577 rows, nearly all of it numpy's
fixed cost per call (a hundred calls on small arrays). Series whose models
share what shapes the arrays (`_shape`), with as many rows and the same
`start`, are stacked into 2-D arrays and every step runs once along the rows
(`rows.py`), each model's fitted numbers broadcast as a column
(`batch_fitted.py`). Only the rows the scored rows' verdicts depend on are
measured (`Frame`). Each step is the 1-D one's, elementwise or along a
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
from metricwatch.detection.models.counts import from_even, to_even
from metricwatch.detection.models.robust_seasonal import STUCK_WEIGHT, RobustSeasonalModel, Surprise, _held

Job = tuple[RobustSeasonalModel, np.ndarray, np.ndarray, int]  # (model, timestamps, values, start), as `score` takes
CHUNK = 128  # series per array: each temporary (128 x 577 floats, 0.6 MB) stays in cache; 1,000 at once is slower


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


def _chunk(jobs: Sequence[Job]) -> list[Scores | None]:
    ts = np.stack([np.asarray(j[1], np.float64) for j in jobs])
    values = np.stack([np.asarray(j[2], np.float64) for j in jobs])
    kept = np.isfinite(ts).all(axis=1) & np.isfinite(values).all(axis=1)
    if not kept.all():
        ts, values = ts[kept], values[kept]
    model, frame = jobs[0][0], Frame.of(jobs[0][0], jobs[0][3])
    fitted = Fitted.of([j[0] for j, ok in zip(jobs, kept) if ok], ts[:, frame.b:])
    if fitted.counts.any():
        values[fitted.counts] = to_even(values[fitted.counts])
    scored = iter(_scores(model, fitted, frame, ts, values) if len(ts) else [])
    return [next(scored) if ok else None for ok in kept]


def _deviations(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray,
                x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """`RobustSeasonalModel._deviations` of every series: the expected value of the scored rows, then the
    residual, jump and shifts of the rows from `fr.b` on, from the rows from `fr.c` on."""
    seasonal = f.seasonal(ts[:, fr.c:])
    y = x[:, fr.c:] - seasonal
    level = rows.trailing_median(y, m.level_window)
    shifts = [fr.mean_at_b(y, m.shift_window) - fr.earlier(level, m.shift_window - 1)]
    for w in m._long:
        shifts.append(_held(fr.mean_at_b(y, w), fr.earlier(level, w - 1), fr.earlier(level, 2 * w - 1)))
    expected = fr.scored(seasonal) + fr.scored(level)
    return expected, (fr.at_b(y) - fr.at_b(level)) / f.hour_scale, fr.jump(y), shifts


def _away(size: np.ndarray) -> np.ndarray:
    """`robust_seasonal._away` of every series."""
    out = size > 0.0
    out[:, 1:] = size[:, 1:] > size[:, :-1]
    return out


def _measures(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray,
              x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`RobustSeasonalModel._measures` of every series from row `fr.b`, and the rarest measure of each row:
    measures are (measure, series, row)."""
    expected, resid, jump, shifts = _deviations(m, f, fr, ts, x)
    measures = np.empty((2 + len(shifts), *resid.shape))
    size = np.abs(resid)
    measures[0] = f.log10_p(0, size / f.scales[0])
    measures[1] = np.where(_away(size), f.log10_p(1, np.abs(jump) / f.scales[1]), 0.0)
    discount = (m.shift_discount, *[m.shift_discount + m.long_shift_discount] * (len(shifts) - 1))
    for k, shift in enumerate(shifts, start=2):
        size = np.abs(shift)
        measures[k] = np.where(_away(size), f.log10_p(k, size / f.scales[k]) + discount[k - 2], 0.0)
    for k, w in enumerate(m._long, start=3):
        measures[k, :, :max(m.level_window + 2 * w - fr.b, 0)] = 0.0
    rarest = measures.min(axis=0)
    upward = resid >= 0
    if len(shifts) > 1:  # where a long shift is the rarest measure (the first such, as argmin; no NaN here)
        taken = (measures[0] == rarest) | (measures[1] == rarest) | (measures[2] == rarest)
        for k, shift in enumerate(shifts[1:], start=3):
            mine = (measures[k] == rarest) & ~taken
            upward = np.where(mine, shift >= 0, upward)
            taken |= mine
    return expected, upward, measures, rarest


def _surprise(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray,
              x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`RobustSeasonalModel.surprise` of every series from row `fr.b` (no accepted memory: `groups` leaves
    those out): logp, the scored rows' expected value, measures and stuck rows."""
    expected, upward, measures, rarest = _measures(m, f, fr, ts, x)
    stuck = rows.run_lengths(x)[:, fr.b:] >= f.stuck_limit[:, None]
    logp = np.minimum(rarest, 0.0)
    f.recurring(ts[:, fr.b:], logp, upward)
    logp[stuck] = np.minimum(logp[stuck], -STUCK_WEIGHT * m.alert_digits)
    return logp, expected, measures, stuck


def _scores(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray, x: np.ndarray) -> list[Scores | None]:
    """`RobustSeasonalModel.score`'s last steps for every series: the one-alarm gates, band and verdicts."""
    logp, expected, measures, stuck = _surprise(m, f, fr, ts, x)
    start = fr.start - fr.b
    raw = np.clip(-logp / m.max_digits, 0.0, 1.0)
    score = raw[:, start:]
    if m._refractory:
        digits = -logp
        score = np.where(digits[:, start:] > rows.trailing_max(digits, m._refractory, start), score, 0.0)
    alarm = m.alert_digits / m.max_digits
    if m.quiet_points:
        score = np.where(rows.trailing_max(raw, m.quiet_points, start) >= alarm, 0.0, score)
    half = f.half_band(start)
    anomaly = verdicts(score, alarm)
    outlier = anomaly == OUTLIER
    silenced = (raw[:, start:] >= alarm) & ~outlier
    lower, upper = expected - half, expected + half
    if f.counts.any():  # the expected count and band a person reads
        for band in (expected, lower, upper):
            band[f.counts] = from_even(band[f.counts])
    nan = np.isnan(logp[:, fr.a - fr.b:]).any(axis=1)
    told = np.flatnonzero(outlier.any(axis=1) | silenced.any(axis=1)).tolist()
    why = {g: Surprise(logp[g], expected[g], measures[:, g], stuck[g], -STUCK_WEIGHT * m.alert_digits) for g in told}
    return [None if nan[g] else
            Scores(score=score[g], anomaly=anomaly[g], expected=expected[g], lower=lower[g], upper=upper[g],
                   reason=why[g].reasons(outlier[g], start) if g in why else None,
                   silenced=why[g].reasons(silenced[g], start) if g in why else None) for g in range(len(x))]
