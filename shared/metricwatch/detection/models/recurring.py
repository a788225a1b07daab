"""Surprises that recur at the same time of day: a nightly job is not news.

A spike at 03:10 one day, 03:35 the next (a backup, a cron job, a batch
import) is rare among all rows but ordinary at that time of day. For every
half-hour of the day, the model keeps the surprise that at least `min_days`
training days reached within half an hour of it: that time's usual. A new
row there counts only by how far it goes beyond the usual, plus the rarity
of something that happens on `min_days` of the `D` training days in a
window of `W` rows, log10(D * W / min_days); the cap never raises a
surprise. A time of day that fewer than `min_days` days disturbed has no
usual, and its rows keep their full surprise. Rises and falls are
kept apart (a nightly spike says nothing about an outage at 03:00), and
days are UTC: a job that follows local time moves by an hour at a
daylight-saving change and can fire once, until the next training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metricwatch.detection.models.rolling import sampling_step

DAY = 86400.0
BINS = 48  # half-hours; a row is compared with its own bin and the two beside it


@dataclass
class Recurrence:
    usual: np.ndarray  # (2, BINS): the surprise `min_days` training days reached near each bin, above / below
    base: float  # digits of rarity of something that happens on `min_days` of D days in a window of W rows

    def cap(self, timestamps: np.ndarray, digits: np.ndarray, upward: np.ndarray) -> np.ndarray:
        """Surprise digits, judged as what goes beyond what this time of day usually shows.

        Per direction: a nightly spike up says nothing about a drop at the same hour.
        """
        usual = self.usual[np.where(upward, 0, 1), _bins(timestamps)]
        beyond = self.base + np.maximum(digits - usual, 0.0)
        return np.minimum(digits, beyond)


def _bins(timestamps: np.ndarray) -> np.ndarray:
    return (np.floor((timestamps % DAY) / DAY * BINS).astype(np.int64)) % BINS


def _usual(bins: np.ndarray, day: np.ndarray, n_days: int, digits: np.ndarray, min_days: int) -> np.ndarray:
    """Per bin, the `min_days`-th largest of the days' largest surprise within one bin of it."""
    per_bin = np.full((BINS, n_days), -np.inf)
    np.maximum.at(per_bin, (bins, day), digits)
    window = np.maximum(per_bin, np.maximum(np.roll(per_bin, 1, axis=0), np.roll(per_bin, -1, axis=0)))
    return -np.sort(-window, axis=1)[:, min_days - 1]


def fit_recurrence(timestamps: np.ndarray, digits: np.ndarray, upward: np.ndarray,
                   min_days: int) -> Recurrence | None:
    """From training rows' surprise digits and directions; None if the data cannot show a daily recurrence."""
    if min_days < 1 or len(timestamps) < 2:
        return None
    step = sampling_step(timestamps)
    _, day = np.unique(np.floor(timestamps / DAY), return_inverse=True)  # days with data only
    n_days = int(day.max()) + 1
    if n_days < max(2, min_days) or step <= 0 or step > DAY / BINS:
        return None
    bins = _bins(timestamps)
    usual = np.stack([_usual(bins, day, n_days, np.where(up, digits, -np.inf), min_days)
                      for up in (upward, ~upward)])
    rows_per_window = 3 * DAY / BINS / step
    return Recurrence(usual, float(np.log10(n_days * rows_per_window / min_days)))
