"""Windowed Gaussian, the reference detector NAB publishes a score for (39.6 standard).

As NAB describes it: the mean and standard deviation of a window of the last
6400 values, refreshed every 100 new values once the window is full (every
value before that); a row's score is one minus the two-sided Gaussian tail
probability of its value under the statistics known before it. Used to
validate the scorer, not as a production model.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc


def windowed_gaussian(values: np.ndarray, window: int = 6400, step: int = 100) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    x = x - x[0] if len(x) else x  # a shift for precision; the statistics do not change
    n = len(x)
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    i = np.arange(n)
    steps = np.maximum(i - window, 0) // step
    lo = np.where(i <= window, 0, steps * step)
    hi = np.where(i <= window, i, window + steps * step)
    count = np.maximum(hi - lo, 1)
    mean = (c1[hi] - c1[lo]) / count
    std = np.sqrt(np.maximum((c2[hi] - c2[lo]) / count - mean * mean, 0.0))
    std = np.where(std == 0.0, 1e-6, std)
    score = 1.0 - 0.5 * erfc(np.abs(x - mean) / std / math.sqrt(2.0))
    score[hi == 0] = 0.0
    return score
