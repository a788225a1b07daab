"""A daily or weekly profile, kept only where the training data shows it.

Three shapes: `daily` (the median value per time-of-day bin), `weekly` (per
time-of-week bin) and `weekday` (the daily shape plus a level per day of
the week: a quiet weekend on top of the usual day, learnt from 2 weeks
where a full weekly profile has only 2 values per bin). Each is relative
to the overall median. A shape is used only if the training data spans at
least two of its cycles (2 days, 2 weeks) and removes a real share of the
data's spread out of sample: each cycle's rows are judged against the
shape learnt from the other cycles, because a profile always fits its own
data. Otherwise the profile is flat. Days and weeks are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metricwatch.detection.models.rolling import sampling_step

DAY = 86400.0
WEEK = 7 * DAY
PERIODS = {"daily": DAY, "weekly": WEEK, "weekday": DAY}
CYCLES = {"daily": DAY, "weekly": WEEK, "weekday": WEEK}  # what one held-out fold leaves out
MAX_BINS = 288


@dataclass
class Profile:
    period: float  # seconds; 0 = no seasonality
    offsets: np.ndarray  # per bin, added to the level
    weekday: np.ndarray | None = None  # per UTC day of the week, added too ("weekday" shape only)

    @property
    def kind(self) -> str:
        if self.period == 0:
            return "none"
        return "weekday" if self.weekday is not None else ("weekly" if self.period == WEEK else "daily")

    def at(self, timestamps: np.ndarray) -> np.ndarray:
        if self.period == 0:
            return np.zeros(len(timestamps))
        out = self.offsets[_bins(timestamps, self.period, len(self.offsets))]
        if self.weekday is not None:
            out = out + self.weekday[_bins(timestamps, WEEK, 7)]
        return out


FLAT = Profile(0.0, np.zeros(1))


def _bins(timestamps: np.ndarray, period: float, bins: int) -> np.ndarray:
    return np.floor((timestamps % period) / period * bins).astype(np.int64) % bins


def _medians(idx: np.ndarray, values: np.ndarray, bins: int, partial: bool = False) -> np.ndarray | None:
    """Median of the values in each bin, from one sort; an empty bin is NaN if `partial`, else None."""
    counts = np.bincount(idx, minlength=bins)
    filled = counts > 0
    if not filled.all() and not partial or not filled.any():
        return None
    ordered = values[np.lexsort((values, idx))]  # by bin, then by value: each bin's median is its middle
    starts, width = np.cumsum(counts) - counts, np.maximum(counts, 1)
    last = len(ordered) - 1
    medians = 0.5 * (ordered[np.minimum(starts + (width - 1) // 2, last)] + ordered[np.minimum(starts + width // 2, last)])
    return np.where(filled, medians, np.nan)


def _profile(timestamps: np.ndarray, values: np.ndarray, period: float, step: float,
             partial: bool = False) -> Profile | None:
    bins = int(min(MAX_BINS, max(1, round(period / max(step, 1.0)))))
    medians = _medians(_bins(timestamps, period, bins), values, bins, partial)
    return None if medians is None else Profile(period, medians - float(np.median(values)))


def _weekday_profile(timestamps: np.ndarray, values: np.ndarray, step: float) -> Profile | None:
    """Daily shape and day-of-week level, each fitted on what the other leaves (twice round)."""
    day_of_week = _bins(timestamps, WEEK, 7)
    weekday = np.zeros(7)
    for _ in range(2):
        daily = _profile(timestamps, values - weekday[day_of_week], DAY, step)
        if daily is None:
            return None
        medians = _medians(day_of_week, values - daily.at(timestamps), 7)
        if medians is None:
            return None
        weekday = medians - float(np.median(medians))
    return Profile(DAY, daily.offsets, weekday)


def _fit(kind: str, timestamps: np.ndarray, values: np.ndarray, step: float,
         partial: bool = False) -> Profile | None:
    if kind == "weekday":
        return _weekday_profile(timestamps, values, step)
    return _profile(timestamps, values, PERIODS[kind], step, partial)


# Cycles held out together past this many: a year of hourly data would otherwise refit the
# profile 365 times (seconds); with 14 interleaved folds each still leaves out a 14th of the days.
# (14 days or fewer, the default 7 among them, keep one fold per day. Past that, a daily fold is
# one weekday of every other week: the other folds still hold that weekday.)
MAX_FOLDS = 14


def held_out(timestamps: np.ndarray, values: np.ndarray, profile: Profile) -> np.ndarray:
    """Each training row's seasonal value from a profile fitted without that row's day (or week).

    A profile fits its own data: with 7 days, each bin's median is one of
    the 7 values it is judged against, so residuals computed with it are
    too small (with 2 days, by a factor of about 1.4) and the tails fitted
    on them call ordinary noise rare. Residuals from the other cycles'
    profile are the ones new data will show.
    """
    if profile.period == 0:
        return np.zeros(len(values))
    step = sampling_step(timestamps)
    cycle = np.floor(timestamps / CYCLES[profile.kind])
    cycles = np.unique(cycle)
    fold = np.searchsorted(cycles, cycle) % MAX_FOLDS  # each cycle its own fold, up to MAX_FOLDS cycles
    out = profile.at(timestamps)
    for k in np.unique(fold):
        mine = fold == k
        others = _fit(profile.kind, timestamps[~mine], values[~mine], step, partial=True) if (~mine).any() else None
        if others is not None and len(others.offsets) == len(profile.offsets):
            value = others.at(timestamps[mine])  # NaN in a bin only this cycle has data for
            out[mine] = np.where(np.isnan(value), out[mine], value)
    return out


def _spread(x: np.ndarray) -> float:
    """Mean absolute deviation from the median: the loss a median profile minimises.

    Not the MAD: when the seasonal part occupies less than half of the period
    (a 9-to-6 plateau, a nightly batch), the MAD measures only the quiet
    majority and no profile can lower it, so a real profile was refused.
    """
    return float(np.mean(np.abs(x - np.median(x))))


def fit_profile(timestamps: np.ndarray, values: np.ndarray, seasonality: str, min_gain: float) -> Profile:
    """The best of the allowed shapes, or flat; `min_gain` is the share of spread it must remove.

    Judged on held-out residuals (each cycle's rows against the profile of
    the other cycles), because a profile always fits its own data.
    """
    if seasonality == "none" or len(values) < 16:
        return FLAT
    step = sampling_step(timestamps)
    span = float(timestamps.max() - timestamps.min())
    kinds = list(PERIODS) if seasonality == "auto" else [seasonality]
    best, best_spread = FLAT, _spread(values) * (1.0 - min_gain)
    for kind in kinds:
        if span + step < 2 * CYCLES[kind] or step <= 0 or step > PERIODS[kind] / 8:
            continue
        profile = _fit(kind, timestamps, values, step)
        if profile is None:
            continue
        spread = _spread(values - held_out(timestamps, values, profile))
        if spread < best_spread:
            best, best_spread = profile, spread
    return best
