"""A daily or weekly profile, kept only where the training data shows it.

The profile is the median value per time-of-period bin, relative to the
overall median. It is used only if the training data spans at least two
periods and removes a real share of the data's spread out of sample: each
period's rows are judged against the profile of the other periods, because
a profile always fits its own data. Otherwise the profile is flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


PERIODS = {"daily": 86400.0, "weekly": 7 * 86400.0}
MAX_BINS = 288


@dataclass
class Profile:
    period: float  # seconds; 0 = no seasonality
    offsets: np.ndarray  # per bin, added to the level

    def at(self, timestamps: np.ndarray) -> np.ndarray:
        if self.period == 0:
            return np.zeros(len(timestamps))
        bins = len(self.offsets)
        idx = np.floor((timestamps % self.period) / self.period * bins).astype(np.int64) % bins
        return self.offsets[idx]


FLAT = Profile(0.0, np.zeros(1))


def _profile(timestamps: np.ndarray, values: np.ndarray, period: float, step: float) -> Profile | None:
    bins = int(min(MAX_BINS, max(1, round(period / max(step, 1.0)))))
    idx = np.floor((timestamps % period) / period * bins).astype(np.int64) % bins
    counts = np.bincount(idx, minlength=bins)
    if counts.min() < 1:
        return None
    ordered = values[np.lexsort((values, idx))]  # by bin, then by value: each bin's median is its middle
    starts = np.cumsum(counts) - counts
    medians = 0.5 * (ordered[starts + (counts - 1) // 2] + ordered[starts + counts // 2])
    return Profile(period, medians - float(np.median(values)))


def held_out(timestamps: np.ndarray, values: np.ndarray, profile: Profile) -> np.ndarray:
    """Each training row's seasonal value from a profile fitted without that row's period.

    A profile fits its own data: with 7 days, each bin's median is one of
    the 7 values it is judged against, so residuals computed with it are
    too small (with 2 days, by a factor of about 1.4) and the tails fitted
    on them call ordinary noise rare. Residuals from the other periods'
    profile are the ones new data will show.
    """
    if profile.period == 0:
        return np.zeros(len(values))
    step = float(np.median(np.abs(np.diff(timestamps)))) if len(timestamps) > 1 else 0.0
    cycle = np.floor(timestamps / profile.period)
    out = profile.at(timestamps)
    for k in np.unique(cycle):
        mine = cycle == k
        others = _profile(timestamps[~mine], values[~mine], profile.period, step) if (~mine).any() else None
        if others is not None and len(others.offsets) == len(profile.offsets):
            out[mine] = others.at(timestamps[mine])
    return out


def _spread(x: np.ndarray) -> float:
    """Mean absolute deviation from the median: the loss a median profile minimises.

    Not the MAD: when the seasonal part occupies less than half of the period
    (a 9-to-6 plateau, a nightly batch), the MAD measures only the quiet
    majority and no profile can lower it, so a real profile was refused.
    """
    return float(np.mean(np.abs(x - np.median(x))))


def fit_profile(timestamps: np.ndarray, values: np.ndarray, seasonality: str, min_gain: float) -> Profile:
    """The best of the allowed periods, or flat; `min_gain` is the share of spread it must remove.

    Judged on held-out residuals (each period's rows against the profile of
    the other periods), because a profile always fits its own data.
    """
    if seasonality == "none" or len(values) < 16:
        return FLAT
    step = float(np.median(np.abs(np.diff(timestamps)))) if len(timestamps) > 1 else 0.0
    span = float(timestamps.max() - timestamps.min())
    names = list(PERIODS) if seasonality == "auto" else [seasonality]
    best, best_spread = FLAT, _spread(values) * (1.0 - min_gain)
    for name in names:
        period = PERIODS[name]
        if span + step < 2 * period or step <= 0 or step > period / 8:
            continue
        profile = _profile(timestamps, values, period, step)
        if profile is None:
            continue
        spread = _spread(values - held_out(timestamps, values, profile))
        if spread < best_spread:
            best, best_spread = profile, spread
    return best
