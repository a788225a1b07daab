"""How noisy each hour of the day is, against the whole day: counts are noisier where they are busier.

A request count with a daily wave is Poisson-like: its noise at the busy
hours is several times its noise at night. Judged with one residual scale
for the whole day, a dip that would be plain at 03:00 is lost in the
daytime's noise, and the day's ordinary noise looks rare. The residuals are
divided by their hour's scale relative to the day's (the median absolute
residual of that hour of the training days over the whole day's), shrunk
toward 1 by `PRIOR_ROWS`, so an hour with few rows (hourly data) keeps
nearly the day's scale, and never below `MIN_RATIO` of it. Only fitted where the series has a daily profile:
for a series without one, 24 scales from a week of data add only noise
(measured on NAB: 37 more false positives). Hours are UTC, as the profile's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400.0
BINS = 24
PRIOR_ROWS = 50.0  # rows of an hour that count as much as the whole day's scale
MIN_ROWS = 5  # fewer rows in an hour than this: the day's scale
# An hour is judged at most 4 times quieter than the day. A metric at 0 nearly every night has a
# night noise of 0 by its median; divided by it, every stray count at night was an alarm (12 in
# 10 series-weeks of such a metric, against none with one scale for the day). NAB: 66.5 / 58.4 / 71.6
# with it, 66.4 / 58.2 / 71.5 without; bench-shapes unchanged.
MIN_RATIO = 0.25


@dataclass
class DailyScale:
    relative: np.ndarray  # (BINS,): each UTC hour's residual scale over the whole day's

    def at(self, timestamps: np.ndarray) -> np.ndarray:
        return self.relative[_hours(timestamps)]


def _hours(timestamps: np.ndarray) -> np.ndarray:
    """Each row's UTC hour (an integer modulo: about 3 times faster than a float one, on every scoring call)."""
    return np.floor(np.asarray(timestamps, np.float64) * (BINS / DAY)).astype(np.int64) % BINS


def fit_daily_scale(timestamps: np.ndarray, resid: np.ndarray) -> DailyScale | None:
    """From held-out training residuals; None when the day's residuals have no spread to compare with."""
    size = np.abs(resid)
    day = float(np.median(size))
    if not day > 0:
        return None
    hours, log_rel = _hours(timestamps), np.zeros(BINS)
    for hour in range(BINS):
        rows = size[hours == hour]
        if len(rows) >= MIN_ROWS:
            ratio = max(float(np.median(rows)) / day, MIN_RATIO)
            log_rel[hour] = len(rows) / (len(rows) + PRIOR_ROWS) * np.log(ratio)
    return DailyScale(np.exp(log_rel))
