"""`robust_seasonal`: seasonal baseline, robust residuals, calibrated tail probability.

Why a point is flagged, in the words the verdict carries:
- expected: the seasonal profile at the row's time of day/week (used only if
  the training data shows one) plus the median of the previous `level_window`
  de-seasonalised values, a level that follows shifts and drifts within
  `level_window / 2` rows;
- band: expected +/- `band_z` robust standard deviations (MAD of the
  training residuals), in units of the row's hour's noise where the series
  has a daily profile (`daily_scale.py`);
- surprise: how rare the row's |residual| is, or its |jump| from the previous
  row (de-seasonalised) when it moves away from the expected value, or the
  mean of the last `shift_window` rows against the level before them (a
  sustained shift the trailing median would absorb; `shift_discount` digits
  less trusted), or the same over each of `long_shift_windows` against the
  level before it where the level a window earlier agrees (evidence that
  builds over hours: a partial drop, a small plateau; `long_shift_discount`
  digits less trusted again), whichever is rarer, as tail probabilities fitted on
  the training data (`tail.py`). The residual and the jump are judged on
  their own side's tail too, up to `side_digits` rarer than both sides
  pooled say, never less rare: a latency's slow rows set a heavy tail above,
  and pooled they made a drop to 0 read 2-3 digits (the side's tail is
  widened where it saw few excesses, `fit_side_tail`); a value repeated
  as many times in a row as `stuck_factor` times the longest run in training (and at least
  `min_stuck` times) is a surprise too. Twice: when values repeat by
  chance, a run's length is geometric, so the longest of N training rows
  has a chance about 1/N and one twice as long about 1/N squared (for a
  week of 5-minute Poisson counts, once in some 2,000 weeks), while a
  count that fell to 0 for an hour and a half at night, where 0 is common,
  was 3 times the longest run of zeros and went unseen at 4.
Small counts are judged on the Anscombe scale (`counts.py`; `noise`), where
Poisson noise is even at every rate; expected value and band are reported as
counts. The score is log10(1/p) / `max_digits`, clipped to [0, 1], and the verdict
fires at `alert_digits` (p = 1e-4 by default); an outlier's `reason` names
the surprise that made it rare (`Surprise.reasons`). One event fires once: a row
scores only if it is more surprising than every row of the previous
`refractory_hours` (at most `max_refractory` rows), and none of the previous
`quiet_points` rows reached the alert level: an incident still under way is
not news (both recomputed from context, so live and backtest agree). A row
as rare as an alarm but silenced so says `silenced` (with its measure).

Feedback (`accept`, called by `detection.feedback.fit_with_feedback` after
`fit` on the rows not marked `anomaly` or `ignore`): the rows a person
marked `not_anomaly` become a memory of accepted surprises (`accepted.py`):
per episode, its direction, half-hour of the day and the digits each
measure reached. A later row in the same direction counts only by how far
each measure goes beyond an accepted reading (allowing for the noise of
reading it twice) plus a base rarity: about 2 digits near the accepted time
of day, 3.3 elsewhere (once `accepted_anywhere_after` episodes, 1 by
default, reached that size at different times of day). So the same false
alarm does not fire again, while a much larger event, the other direction
or another shape does. Chosen over widening the band or the tail, which
would silence those too: the feedback said "this is normal here", not
"this series is noisier". A row the memory kept below the alert level says
`silenced` = "accepted". Pickled models from before load without a memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from metricwatch.detection.models.accepted import Accepted, build, episodes
from metricwatch.detection.models.base import OUTLIER, Scores, verdicts
from metricwatch.detection.models.counts import from_even, looks_like_counts, to_even
from metricwatch.detection.models.daily_scale import fit_hour_scales, hours
from metricwatch.detection.models.rolling import (
    lagged, robust_spread, run_lengths, sampling_step, trailing_max, trailing_mean, trailing_median)
from metricwatch.detection.models.recurring import Recurrence, fit_recurrence
from metricwatch.detection.models.seasonal import FLAT, Profile, fit_profile, held_out
from metricwatch.detection.models.tail import Tail, fit_side_tail, fit_tail
from metricwatch.errors import ModelError

SEASONALITIES = ("auto", "none", "daily", "weekly", "weekday")
NOISES = ("auto", "normal", "counts")  # counts: judged on the Anscombe scale (`counts.py`); auto: if small counts
STUCK_WEIGHT = 1.5  # a stuck value is a step to 1.5x the alert level: it fires once, when the run gets too long
MEASURES = ("far_from_expected", "jump", "sustained_shift")  # the reasons, in the order `surprise` measures them
MIN_ROWS_PER_WINDOW = 10  # a long shift window is used when training has this many times its reach in rows
TOLERANCE_SD = 2.0  # noise standard deviations two readings of the same accepted event may differ by
ACCEPTED = "accepted"  # `silenced` of a row the memory of not_anomaly feedback kept below the alert level
SIDED = 2  # the residual and the jump are judged on their side's tail too (`side_digits`)
SIDE_CAUTION = 3.0  # a side's mean excess is widened by 1 + this / sqrt(its excesses) (`fit_side_tail`)


@dataclass
class Surprise:
    """Each row's rarity, and what it is made of: the answer to "why was this flagged?".

    The expected value and band alone do not always answer it: a jump or a
    sustained shift can be flagged while the value is inside the band.
    """

    logp: np.ndarray  # log10 tail probability, <= 0: the rarest measure, after the time-of-day cap
    expected: np.ndarray
    measures: np.ndarray  # (3 + long shift windows, n): log10 p of each measure, after the accepted memory
    stuck: np.ndarray  # rows in a run of equal values long enough to be a surprise
    stuck_logp: float  # the rarity a stuck value is given
    accepted_rows: np.ndarray | None = None  # rows the accepted memory lowered (None: none)
    unaccepted: np.ndarray | None = None  # their logp without it

    def reasons(self, flagged: np.ndarray, start: int) -> np.ndarray | None:
        """What made each row from `start` that is `flagged` rare (None elsewhere); None if none is flagged.

        Used for the outliers (`reason`) and for the rows the one-alarm gates silenced (`silenced`).
        """
        if not flagged.any():
            return None
        out = np.full(len(flagged), None, dtype=object)
        for i in np.flatnonzero(flagged):
            row = start + i
            rarest = int(np.argmin(self.measures[:, row]))
            out[i] = "stuck" if self.stuck[row] and self.logp[row] == self.stuck_logp else \
                MEASURES[min(rarest, len(MEASURES) - 1)]
        return out


def _held(mean: np.ndarray, before: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """A long window's shift: its mean against the level before it, where the level a window earlier
    agrees (the smaller of the two, same sign; 0 otherwise).

    A recovery is no shift: after a drop the level just before the window is the drop's, and the
    window's return to normal would read as a rise for a whole window; against the level from
    before the drop it reads as nothing.
    """
    a, b = mean - before, mean - earlier
    return np.where(np.sign(a) == np.sign(b), np.sign(a) * np.minimum(np.abs(a), np.abs(b)), 0.0)


def _away(size: np.ndarray) -> np.ndarray:
    """Rows whose deviation (`size`, >= 0) grew since the previous row: a return to normal is no news."""
    out = size > 0.0
    out[1:] = size[1:] > size[:-1]
    return out


class RobustSeasonalModel:
    name: ClassVar[str] = "robust_seasonal"

    def __init__(self, level_window: int = 32, seasonality: str = "auto", min_seasonal_gain: float = 0.3,
                 tail_quantile: float = 0.9, refractory_hours: float = 24.0, max_refractory: int = 400,
                 stuck_factor: float = 2.0,
                 min_stuck: int = 6, band_z: float = 4.0, max_digits: float = 12.0,
                 alert_digits: float = 4.0, shift_window: int = 6, shift_discount: float = 1.0,
                 quiet_points: int = 12, recurring_days: int = 3, accepted_anywhere_after: int = 1,
                 noise: str = "auto", long_shift_windows: tuple[int, ...] | list[int] = (24, 72),
                 long_shift_discount: float = 1.5, side_digits: float = 3.0) -> None:
        if seasonality not in SEASONALITIES:
            raise ValueError(f"seasonality must be one of {SEASONALITIES}")
        if noise not in NOISES:
            raise ValueError(f"noise must be one of {NOISES}")
        long_shift_windows = tuple(long_shift_windows)
        if not long_shift_discount >= 0:
            raise ValueError("long_shift_discount must be >= 0")
        if not side_digits >= 0:
            raise ValueError("side_digits must be >= 0")
        if not all(isinstance(w, int) and not isinstance(w, bool) and w > shift_window for w in long_shift_windows):
            raise ValueError("long_shift_windows must be whole numbers of rows, each larger than shift_window")
        if level_window < 2 or shift_window < 1 or quiet_points < 0 or recurring_days < 0 or accepted_anywhere_after < 0 \
                or refractory_hours < 0 or max_refractory < 0 or min_stuck < 2 \
                or not 0.5 <= tail_quantile < 1 or not 0 < alert_digits <= max_digits or not band_z > 0 \
                or not stuck_factor > 0 or not shift_discount >= 0 or not 0 <= min_seasonal_gain < 1 \
                or not refractory_hours >= 0:
            raise ValueError("need level_window >= 2, shift_window >= 1, quiet_points >= 0, recurring_days >= 0, "
                             "accepted_anywhere_after >= 0, refractory_hours >= 0, max_refractory >= 0, "
                             "min_stuck >= 2, 0.5 <= tail_quantile < 1, 0 < alert_digits <= max_digits, band_z > 0, "
                             "stuck_factor > 0, shift_discount >= 0, 0 <= min_seasonal_gain < 1")
        self.level_window = level_window
        self.seasonality = seasonality
        self.min_seasonal_gain = min_seasonal_gain
        self.tail_quantile = tail_quantile
        self.refractory_hours = refractory_hours
        self.max_refractory = max_refractory
        self.stuck_factor = stuck_factor
        self.min_stuck = min_stuck
        self.band_z = band_z
        self.max_digits = max_digits
        self.alert_digits = alert_digits
        self.shift_window = shift_window
        self.shift_discount = shift_discount
        self.quiet_points = quiet_points
        self.recurring_days = recurring_days
        self.accepted_anywhere_after = accepted_anywhere_after
        self.noise = noise
        self.long_shift_windows = long_shift_windows
        self.long_shift_discount = long_shift_discount
        self.side_digits = side_digits
        self._long: tuple[int, ...] = long_shift_windows  # the windows training had the rows for (set at fit)
        self._counts = False  # set at fit: values judged on the Anscombe scale
        reach = max((shift_window, *(2 * w for w in long_shift_windows)))  # a long window looks back two windows
        self.context_points = level_window + reach + max(max_refractory, quiet_points)
        self._profile: Profile = FLAT
        self._scales: tuple[float, ...] = (1.0, 1.0, 1.0)  # residual, jump, shift, then each long shift
        self._tails: tuple[Tail, ...] | None = None
        self._sides: tuple[tuple[Tail, Tail], ...] | None = None  # (below, above) of the residual and the jump
        self._stuck_limit = float(min_stuck)
        self._refractory = max_refractory  # rows; set from the sampling step at training
        self._recurrence: Recurrence | None = None
        self._hour_scales: np.ndarray | None = None  # (24,): each UTC hour's noise over the day's
        self._accepted: Accepted | None = None  # what not_anomaly feedback called normal (`accept`)
        self._step, self._train_days, self._trained_from = 0.0, 0, 0.0  # the training's step, days and start, for `accept`

    def __setstate__(self, state: dict) -> None:
        """Model files saved before `recurring_days`, the hour scales or feedback existed load as trained: without them."""
        state.setdefault("recurring_days", 0)
        state.setdefault("_recurrence", None)
        state.setdefault("_hour_scales", None)
        state.setdefault("_accepted", None)
        state.setdefault("accepted_anywhere_after", 1)
        state.setdefault("_step", 0.0)
        state.setdefault("_train_days", 0)
        state.setdefault("_trained_from", 0.0)
        state.setdefault("noise", "normal")
        state.setdefault("_counts", False)
        state.setdefault("long_shift_windows", ())
        state.setdefault("long_shift_discount", 0.0)
        state.setdefault("_long", ())
        state.setdefault("side_digits", 0.0)
        state.setdefault("_sides", None)
        self.__dict__.update(state)

    def _even(self, values: np.ndarray) -> np.ndarray:
        """The values on the scale the model judges them: counts on the Anscombe scale, others as they are."""
        return to_even(values) if self._counts else values

    def _deviations(self, timestamps: np.ndarray, values: np.ndarray,
                    seasonal: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """Expected value, residual, de-seasonalised jump and shifts (`shift_window`'s, then each long
        window's) of every row, from earlier rows only.

        The residual is in units of its hour's noise (`daily_scale.py`). The
        shift is the mean of the last `shift_window` rows minus the level
        just before the first of them: a change that lasts, which the level
        would have followed by the time it is judged row by row.
        """
        if seasonal is None:
            seasonal = self._profile.at(timestamps)
        y = values - seasonal
        level = trailing_median(y, self.level_window)
        shifts = [trailing_mean(y, self.shift_window) - lagged(level, self.shift_window - 1)]
        for w in self._long:
            shifts.append(_held(trailing_mean(y, w), lagged(level, w - 1), lagged(level, 2 * w - 1)))
        return seasonal + level, (y - level) / self._hour_scale(timestamps), np.diff(y, prepend=y[:1]), shifts

    def _hour_scale(self, timestamps: np.ndarray) -> np.ndarray | float:
        return 1.0 if self._hour_scales is None else self._hour_scales[hours(timestamps)]

    @property
    def sampling_step(self) -> float:
        """The training's median step in seconds (0 before `fit`, or in a file saved before it was kept):
        how far back scoring's `context_points` reach, for one read over many series (`scoring.context_window`)."""
        return float(self._step)

    def fit(self, timestamps: np.ndarray, values: np.ndarray) -> "RobustSeasonalModel":
        ts, x = np.asarray(timestamps, np.float64), np.asarray(values, np.float64)
        need = max(4 * self.level_window, 2 * (self.level_window + self.shift_window))  # rows left after warm-up
        if len(x) < need:
            raise ModelError(f"need at least {need} points to train, got {len(x)}")
        if not (np.isfinite(x).all() and np.isfinite(ts).all()):
            raise ModelError("training data holds non-finite values or timestamps")
        self._counts = self.noise == "counts" or (self.noise == "auto" and looks_like_counts(x))
        x = self._even(x)
        self._long = tuple(w for w in self.long_shift_windows if len(x) >= MIN_ROWS_PER_WINDOW * (self.level_window + 2 * w))
        self._profile = fit_profile(ts, x, self.seasonality, self.min_seasonal_gain)
        seasonal = held_out(ts, x, self._profile)
        self._hour_scales = None
        _, resid, jump, shifts = self._deviations(ts, x, seasonal)
        if self._profile is not FLAT:  # a time-of-day pattern in the level: look for one in the noise
            self._hour_scales = fit_hour_scales(ts[self.level_window:], resid[self.level_window:])
            resid = resid / self._hour_scale(ts)
        warm = self.level_window + self.shift_window
        deviations = (resid[self.level_window:], jump[1:],
                      *(d[self.level_window + w:] for d, w in zip(shifts, (self.shift_window, *(2 * w for w in self._long)))))
        floor = 1e-6 * max(float(np.median(np.abs(x))), 1e-9)
        self._scales = tuple(robust_spread(d, floor) for d in deviations)
        self._tails = tuple(fit_tail(np.abs(d) / s, self.tail_quantile) for d, s in zip(deviations, self._scales))
        self._sides = tuple((fit_side_tail(-d[d < 0] / s, self.tail_quantile, SIDE_CAUTION),
                             fit_side_tail(d[d > 0] / s, self.tail_quantile, SIDE_CAUTION))
                            for d, s in zip(deviations[:SIDED], self._scales))
        step = sampling_step(ts) or 1.0
        self._refractory = int(np.clip(round(self.refractory_hours * 3600.0 / step), 0, self.max_refractory))
        self._stuck_limit = max(self.stuck_factor * int(run_lengths(x).max()), float(self.min_stuck))
        self._accepted = None  # feedback is shown after fit (`accept`); a new fit starts without it
        self._step, self._train_days, self._trained_from = step, len(np.unique(np.floor(ts / 86400.0))), float(ts.min())
        self._recurrence = None  # the training rows' own surprise, before any cap
        if self.recurring_days:
            logp = self.surprise(ts, x, seasonal).logp
            self._recurrence = fit_recurrence(ts[warm:], -logp[warm:], resid[warm:] >= 0, self.recurring_days)
        return self

    def accept(self, timestamps: np.ndarray, values: np.ndarray, accepted: np.ndarray) -> None:
        """After `fit`: remember the surprise of the rows a person called normal (`accepted.py`).

        Training rows are measured as `fit` measured them (held-out seasonal
        profile), so a later day's same event reads the same digits; rows
        from before the training interval as a new day is scored. Each call
        adds to what earlier calls since `fit` showed: the training rows,
        then stretches from before the training interval that hold older
        marks (`detection.feedback.fit_with_feedback`), each with its context.
        """
        if self._tails is None:
            raise ModelError("model is not trained")
        ts, x = np.asarray(timestamps, np.float64), self._even(np.asarray(values, np.float64))
        accepted = np.asarray(accepted, dtype=bool).copy()
        accepted[:self.level_window + self.shift_window] = False  # warm-up rows measure nothing
        if not accepted.any():
            return
        seasonal = held_out(ts, x, self._profile) if ts.min() >= self._trained_from else None
        _, upward, measures = self._measures(ts, x, seasonal)
        found = episodes(ts, -measures, upward, accepted, self.alert_digits)
        if len(found):
            before = self._accepted.episodes if self._accepted is not None else found[:0]
            tolerance = [TOLERANCE_SD / (t.mean_excess * np.log(10.0)) for t in self._tails]
            self._accepted = build(np.concatenate((before, found)), self._train_days, self._step,
                                   self.accepted_anywhere_after, tolerance)

    def _measures(self, timestamps: np.ndarray, values: np.ndarray,
                  seasonal: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected value, direction and log10 p of each measure ((3 + long windows, n)), for every row.

        The direction is the sign of the residual, or of the shift when a shift is the rarest measure:
        a drop that the level has followed can leave the row itself above it.
        """
        if self._tails is None:
            raise ModelError("model is not trained")
        expected, resid, jump, shifts = self._deviations(timestamps, values, seasonal)
        measures = np.empty((2 + len(shifts), len(resid)))
        size = np.abs(resid)
        measures[0] = self._sided(0, resid, size / self._scales[0])
        measures[1] = np.where(_away(size), self._sided(1, jump, np.abs(jump) / self._scales[1]), 0.0)
        discount = (self.shift_discount, *[self.shift_discount + self.long_shift_discount] * (len(shifts) - 1))
        for k, shift in enumerate(shifts, start=2):
            size = np.abs(shift)
            measures[k] = np.where(_away(size), self._tails[k].log10_p(size / self._scales[k]) + discount[k - 2], 0.0)
        for k, w in enumerate(self._long, start=3):  # a window that reaches before the data measures padding
            measures[k, :self.level_window + 2 * w] = 0.0
        upward = resid >= 0
        if len(shifts) > 1:  # the long windows: a drop the level followed
            rarest = np.argmin(measures, axis=0)
            for k, shift in enumerate(shifts[1:], start=3):
                upward = np.where(rarest == k, shift >= 0, upward)
        return expected, upward, measures

    def _sided(self, k: int, signed: np.ndarray, s: np.ndarray) -> np.ndarray:
        """log10 p of measure `k` (`s` its size in spread units): its side's tail's, between the pooled
        tail's and `side_digits` rarer."""
        pooled = self._tails[k].log10_p(s)  # type: ignore[index]
        if self._sides is None or not self.side_digits:
            return pooled
        below, above = self._sides[k]
        side = np.where(signed < 0, below.log10_p(s), above.log10_p(s))
        return np.minimum(np.maximum(side, pooled - self.side_digits), pooled)

    def _capped(self, timestamps: np.ndarray, logp: np.ndarray, upward: np.ndarray, stuck: np.ndarray) -> np.ndarray:
        """The rarest measure's logp (<= 0) after the time-of-day cap, with stuck values' rarity."""
        if self._recurrence is not None:
            logp = -self._recurrence.cap(timestamps, -logp, upward)
        logp[stuck] = np.minimum(logp[stuck], -STUCK_WEIGHT * self.alert_digits)
        return logp

    def surprise(self, timestamps: np.ndarray, values: np.ndarray,
                 seasonal: np.ndarray | None = None) -> Surprise:
        """log10 of each row's tail probability (<= 0), its expected value, and what made it rare.

        With a memory of accepted feedback, only the rows rare enough for it
        to matter are looked up (a scored point pays for it only then), and
        `unaccepted` keeps what the rows it lowered would have read without it.
        """
        expected, upward, measures = self._measures(timestamps, values, seasonal)
        stuck = run_lengths(values) >= self._stuck_limit
        rarest = measures.min(axis=0)
        logp = self._capped(timestamps, np.minimum(rarest, 0.0), upward, stuck)
        rows = unaccepted = None
        if self._accepted is not None:  # a second cap beside the time of day's: the row counts by the smaller
            rows = np.flatnonzero(rarest < -self._accepted.floor)
            rows, unaccepted = self._accepted.lower(timestamps, measures, upward, logp, rows, stuck)
            if not len(rows):
                rows = unaccepted = None
        return Surprise(logp, expected, measures, stuck, -STUCK_WEIGHT * self.alert_digits, rows, unaccepted)

    def score(self, timestamps: np.ndarray, values: np.ndarray, start: int = 0) -> Scores:
        ts, x = np.asarray(timestamps, np.float64), self._even(np.asarray(values, np.float64))
        surprise = self.surprise(ts, x)
        logp, expected = surprise.logp, surprise.expected
        raw = np.clip(-logp / self.max_digits, 0.0, 1.0)
        score = raw[start:]
        if self._refractory:  # unclipped: a larger event is news even after one past max_digits
            digits = -logp
            score = np.where(digits[start:] > trailing_max(digits, self._refractory, start), score, 0.0)
        alarm = self.alert_digits / self.max_digits
        if self.quiet_points:
            score = np.where(trailing_max(raw, self.quiet_points, start) >= alarm, 0.0, score)
        exp, half = expected[start:], self.band_z * self._scales[0] * self._hour_scale(ts[start:])
        anomaly = verdicts(score, alarm)
        silenced = (raw[start:] >= alarm) & (anomaly != OUTLIER)  # as rare as an alarm, within an incident
        why = surprise.reasons(silenced, start)
        if surprise.accepted_rows is not None:  # as rare as an alarm but for what a person called normal
            rows = [i - start for i, was in zip(surprise.accepted_rows.tolist(), surprise.unaccepted.tolist())
                    if i >= start and was <= -self.alert_digits and raw[i] < alarm]  # a row or two
            if rows:
                why = np.full(len(score), None, dtype=object) if why is None else why
                why[rows] = ACCEPTED
        lower, upper = exp - half, exp + half
        if self._counts:  # the expected count and band a person reads
            exp, lower, upper = from_even(exp), from_even(lower), from_even(upper)
        return Scores(score=score, anomaly=anomaly, expected=exp, lower=lower, upper=upper,
                      reason=surprise.reasons(anomaly == OUTLIER, start), silenced=why)
