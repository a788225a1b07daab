"""Surprises that recur at the same time of day: a nightly job is not news.

A spike at 03:10 one day, 03:35 the next (a backup, a cron job, a batch
import) is rare among all rows but ordinary at that time of day. For every
half-hour of the day, the model keeps the largest surprise each training
day had within half an hour of it. A new row's surprise is then capped at
how rare it is *at that time of day*: if `n` of the `D` training days had a
surprise at least as large in a window of `W` rows, the time-of-day rarity
is D * W / n. Only a recurrence counts: fewer than `min_days` days is
a coincidence, and the row keeps its full surprise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400.0
BINS = 48  # half-hours; a row is compared with its own bin and the two beside it


@dataclass
class Recurrence:
    usual: np.ndarray  # per bin: the surprise that `min_days` training days reached near it (-inf: none)
    base: float  # digits of rarity of something that happens on `min_days` of D days in a window of W rows

    def cap(self, timestamps: np.ndarray, digits: np.ndarray) -> np.ndarray:
        """Surprise digits, judged as what goes beyond what this time of day usually shows."""
        beyond = self.base + np.maximum(digits - self.usual[_bins(timestamps)], 0.0)
        return np.minimum(digits, beyond)


def _bins(timestamps: np.ndarray) -> np.ndarray:
    return (np.floor((timestamps % DAY) / DAY * BINS).astype(np.int64)) % BINS


def fit_recurrence(timestamps: np.ndarray, digits: np.ndarray, min_days: int) -> Recurrence | None:
    """From training rows' surprise digits; None if the data cannot show a daily recurrence."""
    if min_days < 1 or len(timestamps) < 2:
        return None
    step = float(np.median(np.abs(np.diff(timestamps))))
    day = np.floor(timestamps / DAY).astype(np.int64)
    day -= day.min()
    n_days = int(day.max()) + 1
    if n_days < max(2, min_days) or step <= 0 or step > DAY / BINS:
        return None
    per_bin = np.full((BINS, n_days), -np.inf)
    np.maximum.at(per_bin, (_bins(timestamps), day), digits)
    window = np.maximum(per_bin, np.maximum(np.roll(per_bin, 1, axis=0), np.roll(per_bin, -1, axis=0)))
    usual = -np.sort(-window, axis=1)[:, min_days - 1]
    rows_per_window = 3 * DAY / BINS / step
    return Recurrence(usual, float(np.log10(n_days * rows_per_window / min_days)))
