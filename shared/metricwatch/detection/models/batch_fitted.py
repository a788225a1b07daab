"""What each `robust_seasonal` model of a stacked group learnt, as columns beside its series' row.

`robust_batch.py` scores many series in one array; the numbers each model
fitted (residual and shift scales, tails, hour scales, seasonal profile,
stuck limit, counts, time-of-day recurrence) differ per series and are
broadcast along its row. Each is computed from the model's attributes the
way `RobustSeasonalModel` computes it for one series (the same float
operations), so the stacked numbers equal the per-series ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from metricwatch.detection.models.daily_scale import BINS, hours
from metricwatch.detection.models.recurring import BINS as HALF_HOURS, Recurrence, _bins as half_hours
from metricwatch.detection.models.robust_seasonal import RobustSeasonalModel
from metricwatch.detection.models.seasonal import WEEK, Profile, _bins


def _column(numbers: list[float]) -> np.ndarray:
    return np.array(numbers, dtype=np.float64)[:, None]


@dataclass
class Fitted:
    profiles: list[Profile]
    scales: list[np.ndarray]  # per measure, (series, 1)
    tails: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per measure: u0, slope, log10(1 - q), each (series, 1)
    hour_scale: np.ndarray | float  # (series, rows): each row's hour's noise (1.0 for a model without); 1.0: none has
    band: np.ndarray  # (series, 1): band_z * the residual scale
    stuck_limit: np.ndarray  # (series,)
    counts: np.ndarray  # (series,) bool: judged on the Anscombe scale
    usual: np.ndarray  # (series, 2, half-hours): `Recurrence.usual` of each series (0 without one)
    recurrence_base: np.ndarray  # (series,): `Recurrence.base`, digits the cap never goes below (inf: no recurrence)

    @classmethod
    def of(cls, models: list[RobustSeasonalModel], ts: np.ndarray) -> "Fitted":
        measures = 3 + len(models[0]._long)  # residual, jump, shift, then each long shift the model uses
        tails = [(_column([m._tails[k].u0 for m in models]),  # type: ignore[index]
                  _column([-1.0 / (m._tails[k].mean_excess * np.log(10.0)) for m in models]),  # type: ignore[index]
                  _column([np.log10(1.0 - m._tails[k].q) for m in models]))  # type: ignore[index]
                 for k in range(measures)]
        recurrence: list[Recurrence | None] = [m._recurrence for m in models]
        return cls(profiles=[m._profile for m in models],
                   scales=[_column([m._scales[k] for m in models]) for k in range(measures)],
                   tails=tails, hour_scale=_hour_scale(models, ts),
                   band=_column([m.band_z * m._scales[0] for m in models]),
                   stuck_limit=np.array([m._stuck_limit for m in models], dtype=np.float64),
                   counts=np.array([m._counts for m in models], dtype=bool),
                   usual=np.stack([np.zeros((2, HALF_HOURS)) if r is None else r.usual for r in recurrence]),
                   recurrence_base=np.array([np.inf if r is None else r.base for r in recurrence]))

    def log10_p(self, k: int, s: np.ndarray) -> np.ndarray:
        """`Tail.log10_p` of measure `k`, each series with its own tail."""
        u0, slope, at_u0 = self.tails[k]
        logp = (s - u0) * slope + at_u0
        logp[s < u0] = 0.0
        return logp

    def seasonal(self, ts: np.ndarray) -> np.ndarray:
        """`Profile.at` of every series: one lookup per shape (period, bins, weekday level) in the group."""
        out = np.zeros(ts.shape)
        shapes: dict[tuple[float, int, bool], list[int]] = defaultdict(list)
        for g, p in enumerate(self.profiles):
            if p.period:
                shapes[(p.period, len(p.offsets), p.weekday is not None)].append(g)
        for (period, bins, weekday), mine in shapes.items():
            t = ts[mine]
            got = np.take_along_axis(np.stack([self.profiles[g].offsets for g in mine]), _bins(t, period, bins), axis=1)
            if weekday:
                got = got + np.take_along_axis(np.stack([self.profiles[g].weekday for g in mine]), _bins(t, WEEK, 7),
                                               axis=1)
            out[mine] = got
        return out

    def recurring(self, ts: np.ndarray, logp: np.ndarray, upward: np.ndarray) -> None:
        """`Recurrence.cap` of every series, in place, on the rows it can change (the same operations).

        The cap is at least `base` digits, so only a surprise beyond it can be
        lowered: a few rows of a few series are looked up.
        """
        series, at = np.nonzero(-logp > self.recurrence_base[:, None])
        if not len(series):
            return
        digits = -logp[series, at]
        usual = self.usual[series, np.where(upward[series, at], 0, 1), half_hours(ts[series, at])]
        beyond = self.recurrence_base[series] + np.maximum(digits - usual, 0.0)
        logp[series, at] = -np.minimum(digits, beyond)

    def half_band(self, start: int) -> np.ndarray:
        """Half the band of rows `start:`: `band_z` residual scales, in units of the row's hour's noise."""
        hour = self.hour_scale if isinstance(self.hour_scale, float) else self.hour_scale[:, start:]
        return self.band * hour


def _hour_scale(models: list[RobustSeasonalModel], ts: np.ndarray) -> np.ndarray | float:
    """`RobustSeasonalModel._hour_scale` of every row; 1.0 (a float, as there) when no model has hour scales."""
    if all(m._hour_scales is None for m in models):
        return 1.0
    table = np.stack([np.ones(BINS) if m._hour_scales is None else m._hour_scales for m in models])
    return np.take_along_axis(table, hours(ts), axis=1)
