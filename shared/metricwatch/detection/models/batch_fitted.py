"""What each `robust_seasonal` model of a stacked group learnt, as columns beside its series' row.

`robust_batch.py` scores many series in one array; the numbers each model
fitted (residual and shift scales, tails, hour scales, seasonal profile,
stuck limit, counts, time-of-day recurrence) differ per series and are
broadcast along its row. Each is computed from the model's attributes the
way `RobustSeasonalModel` computes it for one series (the same float
operations), so the stacked numbers equal the per-series ones. A model's
numbers are computed once and kept while it lives and keeps the fitted
attributes they came from (`_own`): a warm push scores the same model
objects every time, and recomputing 1,000 models' numbers was a fifth of
scoring them.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from weakref import WeakKeyDictionary

import numpy as np

from metricwatch.detection.models.daily_scale import BINS, hours
from metricwatch.detection.models.recurring import BINS as HALF_HOURS, _bins as half_hours
from metricwatch.detection.models.robust_seasonal import SIDED, RobustSeasonalModel
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
            *(_at_u0(t.q) for t in tails), m.band_z * m._scales[0], m._stuck_limit, np.inf if r is None else r.base,
            *_sides(m)]


def _sides(m: RobustSeasonalModel) -> list[float]:
    """`side_digits`, then u0, slope and log10(1 - q) of each sided measure's tail below and above; without
    sides (a file from before them, or `side_digits` 0) the pooled tail's, which leaves every row as pooled."""
    pooled = [(t, t) for t in m._tails[:SIDED]]  # type: ignore[index]
    sides = m._sides if m._sides is not None and m.side_digits else pooled
    out = [float(m.side_digits) if m._sides is not None else 0.0]
    for pair in sides:
        for t in pair:
            out += [t.u0, -1.0 / (t.mean_excess * _LN10), _at_u0(t.q)]
    return out


class _Own(NamedTuple):
    """What `Fitted.of` stacks of one model, and the attributes it was computed from."""

    made_of: tuple  # `_made_of`: compared by identity, so a refit or a replaced attribute is seen
    numbers: np.ndarray  # (4 * measures + 4 + 6 * SIDED,): `_numbers`
    usual: np.ndarray  # (2, half-hours): `Recurrence.usual` (0 without one)
    hour_scales: np.ndarray | None  # (24,): `_hour_scales`


_KNOWN: WeakKeyDictionary[RobustSeasonalModel, _Own] = WeakKeyDictionary()  # gone with its model


def _made_of(m: RobustSeasonalModel, measures: int) -> tuple:
    """What one model's `_Own` is computed from: `fit` assigns new objects to all of them (never changes
    one in place), so the same objects mean the same numbers."""
    return (m._scales, m._tails, m._recurrence, m._hour_scales, m._profile, m._counts, m.band_z, m._stuck_limit,
            measures, m._sides, m.side_digits)


def _own(m: RobustSeasonalModel, measures: int) -> _Own:
    """One model's `_Own`, computed when it is new or any of what it was computed from was replaced."""
    made_of = _made_of(m, measures)
    own = _KNOWN.get(m)
    if own is None or not all(map(operator.is_, own.made_of, made_of)):
        r = m._recurrence
        own = _Own(made_of, np.array(_numbers(m, measures), dtype=np.float64),
                   np.zeros((2, HALF_HOURS)) if r is None else r.usual, m._hour_scales)
        _KNOWN[m] = own
    return own


def _stacked(rows: list[np.ndarray]) -> np.ndarray:
    """Equal-shaped arrays as one (series, ...) array (np.stack costs several times as much)."""
    return np.concatenate(rows).reshape(len(rows), *rows[0].shape)


@dataclass
class Fitted:
    measures: int  # residual, jump, shift, then each long shift the models use
    numbers: np.ndarray  # (series, 4 * measures + 4 + 6 * SIDED): scales, tails' u0, slope and log10(1 - q), band,
    # stuck, base, side_digits, then each sided measure's (below, above) u0, slope and log10(1 - q)
    profiles: list[Profile]
    hours: np.ndarray | float  # (series, rows): each row's hour's noise (1.0 for a model without); 1.0: none has
    counts: np.ndarray  # (series,) bool: judged on the Anscombe scale
    usual: np.ndarray  # (series, 2, half-hours): `Recurrence.usual` of each series (0 without one)

    @classmethod
    def of(cls, models: list[RobustSeasonalModel], ts: np.ndarray) -> "Fitted":
        """The numbers of these models (each model's computed once, `_own`)."""
        measures = 3 + len(models[0]._long)
        owns = [_own(m, measures) for m in models]
        return cls(measures, _stacked([o.numbers for o in owns]), [o.made_of[4] for o in owns],
                   _hour_scale([o.hour_scales for o in owns], ts), np.array([o.made_of[5] for o in owns], dtype=bool),
                   _stacked([o.usual for o in owns]))

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
        return self._linear([k + i * self.measures for i in (1, 2, 3)], s)

    def _linear(self, columns: list[int], s: np.ndarray) -> np.ndarray:
        """`Tail.log10_p` of the tail whose u0, slope and log10(1 - q) are these `columns`."""
        u0, slope, at_u0 = (self._column(c) for c in columns)
        logp = (s - u0) * slope + at_u0
        logp[s < u0] = 0.0
        return logp

    def sided(self, k: int, signed: np.ndarray, s: np.ndarray) -> np.ndarray:
        """`RobustSeasonalModel._sided` of measure `k` (< SIDED), each series with its own tails."""
        pooled = self.log10_p(k, s)
        first = 4 * self.measures + 3
        digits = self._column(first)
        below, above = (self._linear([first + 1 + 6 * k + 3 * side + i for i in range(3)], s) for side in (0, 1))
        side = np.where(signed < 0, below, above)
        return np.minimum(np.maximum(side, pooled - digits), pooled)

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


def _hour_scale(scales: list[np.ndarray | None], ts: np.ndarray) -> np.ndarray | float:
    """`RobustSeasonalModel._hour_scale` of every row, from each model's `_hour_scales`; 1.0 (a float, as
    there) when no model has hour scales."""
    if all(h is None for h in scales):
        return 1.0
    table = np.stack([np.ones(BINS) if h is None else h for h in scales])
    return np.take_along_axis(table, hours(ts), axis=1)
