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
from functools import lru_cache

import numpy as np

from metricwatch.detection.models.daily_scale import BINS, hours
from metricwatch.detection.models.recurring import BINS as HALF_HOURS, _bins as half_hours
from metricwatch.detection.models.robust_seasonal import RobustSeasonalModel
from metricwatch.detection.models.seasonal import WEEK, Profile, _bins


_LN10 = float(np.log(10.0))  # as `Tail.log10_p` computes it


@lru_cache(maxsize=64)
def _at_u0(q: float) -> float:
    """`Tail.log10_p` at the fitted quantile, log10(1 - q), computed as there."""
    return np.log10(1.0 - q)


def _numbers(m: RobustSeasonalModel, measures: int) -> list[float]:
    """One model's numbers in `Fitted.numbers`' order, each computed as the model computes it."""
    tails, r = m._tails[:measures], m._recurrence  # type: ignore[index]
    return [*m._scales[:measures], *(t.u0 for t in tails), *(-1.0 / (t.mean_excess * _LN10) for t in tails),
            *(_at_u0(t.q) for t in tails), m.band_z * m._scales[0], m._stuck_limit, np.inf if r is None else r.base]


@dataclass
class Fitted:
    measures: int  # residual, jump, shift, then each long shift the models use
    numbers: np.ndarray  # (series, 4 * measures + 3): scales, tails' u0, slope and log10(1 - q), band, stuck, base
    profiles: list[Profile]
    hours: np.ndarray | float  # (series, rows): each row's hour's noise (1.0 for a model without); 1.0: none has
    counts: np.ndarray  # (series,) bool: judged on the Anscombe scale
    usual: np.ndarray  # (series, 2, half-hours): `Recurrence.usual` of each series (0 without one)

    @classmethod
    def of(cls, models: list[RobustSeasonalModel], ts: np.ndarray) -> "Fitted":
        """The numbers of these models (one pass over them: a stacked batch's fixed cost per series)."""
        measures = 3 + len(models[0]._long)
        return cls(measures, np.array([_numbers(m, measures) for m in models], dtype=np.float64),
                   [m._profile for m in models], _hour_scale(models, ts),
                   np.array([m._counts for m in models], dtype=bool),
                   np.stack([np.zeros((2, HALF_HOURS)) if m._recurrence is None else m._recurrence.usual
                             for m in models]))

    def _column(self, k: int) -> np.ndarray:
        return self.numbers[:, k:k + 1]

    def scale(self, k: int) -> np.ndarray:
        """(series, 1): measure `k`'s scale (`_scales`)."""
        return self._column(k)

    @property
    def band(self) -> np.ndarray:
        """(series, 1): `band_z` residual scales."""
        return self._column(4 * self.measures)

    @property
    def stuck_limit(self) -> np.ndarray:
        """(series,): runs of equal values this long or longer are stuck."""
        return self.numbers[:, 4 * self.measures + 1]

    @property
    def recurrence_base(self) -> np.ndarray:
        """(series,): `Recurrence.base`, digits the time-of-day cap never goes below (inf: no recurrence)."""
        return self.numbers[:, 4 * self.measures + 2]

    def log10_p(self, k: int, s: np.ndarray) -> np.ndarray:
        """`Tail.log10_p` of measure `k`, each series with its own tail."""
        u0, slope, at_u0 = (self._column(k + i * self.measures) for i in (1, 2, 3))
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

    def hour_scale(self, first: int) -> np.ndarray | float:
        """`RobustSeasonalModel._hour_scale` of every series' rows from `first`."""
        return self.hours if isinstance(self.hours, float) else self.hours[:, first:]

    def half_band(self, start: int) -> np.ndarray:
        """Half the band of rows `start:`: `band_z` residual scales, in units of the row's hour's noise."""
        return self.band * self.hour_scale(start)

    def take(self, series: list[int]) -> "Fitted":
        """The same numbers for these series only."""
        return Fitted(self.measures, self.numbers[series], [self.profiles[g] for g in series],
                      self.hours if isinstance(self.hours, float) else self.hours[series], self.counts[series],
                      self.usual[series])


def _hour_scale(models: list[RobustSeasonalModel], ts: np.ndarray) -> np.ndarray | float:
    """`RobustSeasonalModel._hour_scale` of every row; 1.0 (a float, as there) when no model has hour scales."""
    if all(m._hour_scales is None for m in models):
        return 1.0
    table = np.stack([np.ones(BINS) if m._hour_scales is None else m._hour_scales for m in models])
    return np.take_along_axis(table, hours(ts), axis=1)
