"""`robust_seasonal`'s surprise of many series at once: `_deviations`, `_measures` and `surprise` of its
1-D code, step by step on (series x rows) arrays.

Only the rows of the frame (`batch_frame.Frame`) are measured; each
series' fitted numbers come from `batch_fitted.Fitted`. Every step is the
1-D one's operation on the same values, so each row's numbers are the same.
"""

from __future__ import annotations

import numpy as np

from metricwatch.detection.models import rows
from metricwatch.detection.models.batch_fitted import Fitted
from metricwatch.detection.models.batch_frame import Frame
from metricwatch.detection.models.robust_seasonal import STUCK_WEIGHT, RobustSeasonalModel, _held


def _deviations(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray,
                x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """`RobustSeasonalModel._deviations` of every series: the expected value of the scored rows, then the
    residual, jump and shifts of the rows from `fr.b` on, from the rows from `fr.c` on."""
    seasonal = f.seasonal(ts[:, fr.c:])
    y = x[:, fr.c:] - seasonal
    level = rows.trailing_median_at(y, m.level_window, fr.level_spans(m, y.shape[1]))  # NaN where not read
    shifts = [fr.mean_at_b(y, m.shift_window) - fr.earlier(level, m.shift_window - 1)]
    for w in m._long:
        shifts.append(_held(fr.mean_at_b(y, w), fr.earlier(level, w - 1), fr.earlier(level, 2 * w - 1)))
    expected = fr.scored(seasonal) + fr.scored(level)
    return expected, (fr.at_b(y) - fr.at_b(level)) / f.hour_scale(fr.b), fr.jump(y), shifts


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
    measures[0] = f.sided(0, resid, size / f.scale(0))
    measures[1] = np.where(_away(size), f.sided(1, jump, np.abs(jump) / f.scale(1)), 0.0)
    discount = (m.shift_discount, *[m.shift_discount + m.long_shift_discount] * (len(shifts) - 1))
    for k, shift in enumerate(shifts, start=2):
        size = np.abs(shift)
        measures[k] = np.where(_away(size), f.log10_p(k, size / f.scale(k)) + discount[k - 2], 0.0)
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


def surprise(m: RobustSeasonalModel, f: Fitted, fr: Frame, ts: np.ndarray,
              x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`RobustSeasonalModel.surprise` of every series from row `fr.b` (no accepted memory: `groups` leaves
    those out): logp, the scored rows' expected value, measures and stuck rows."""
    expected, upward, measures, rarest = _measures(m, f, fr, ts, x)
    stuck = _stuck(f, fr, x)
    logp = np.minimum(rarest, 0.0)
    f.recurring(ts[:, fr.b:], logp, upward)
    logp[stuck] = np.minimum(logp[stuck], -STUCK_WEIGHT * m.alert_digits)
    return logp, expected, measures, stuck


def _stuck(f: Fitted, fr: Frame, x: np.ndarray) -> np.ndarray:
    """Rows from `b` in a run of equal values at least their series' stuck limit long: runs are counted
    back only as far as the longest limit (a run that long is stuck whatever came before it)."""
    first = max(fr.b + 1 - int(np.ceil(f.stuck_limit.max())), 0)
    return rows.run_lengths(x[:, first:])[:, fr.b - first:] >= f.stuck_limit[:, None]
