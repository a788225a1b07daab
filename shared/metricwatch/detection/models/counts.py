"""Counts judged on the scale where their noise is even: the Anscombe transform.

A series of small counts (errors per minute, orders per 5 minutes at night)
is Poisson-like: its noise grows with its level (variance = mean), it is
skewed, and a value of 0 is ordinary at a rate of 2 but a catastrophe at a
rate of 200. Robust spreads measured on the raw values mix the quiet hours'
noise with the busy hours', so a drop to zero in a quiet hour, or a doubling
of a rate of 3, stays inside the band. On 2 * sqrt(x + 3/8) the noise of a
Poisson count is close to N(0, 1) at any rate from about 1 up, so the same
residuals, shifts and tails measure every hour of the day alike. Heavier
noise than Poisson (overdispersion) keeps its own spread: the scale is still
fitted on the training data, only the shape is fixed.

A series is taken as counts when every training value is a non-negative
integer, at least one is positive, and its median is at most `COUNT_MEDIAN`:
above that Poisson noise is already close to normal and the time-of-day noise
(`daily_scale.py`) covers its growth with the level. Values, not declarations:
a request count pushed as a gauge is still a count.
"""

from __future__ import annotations

import numpy as np

COUNT_MEDIAN = 30.0  # a median count above this is left as it is: its Poisson noise is nearly normal
_OFFSET = 3.0 / 8.0


def looks_like_counts(values: np.ndarray) -> bool:
    x = values[np.isfinite(values)]
    return bool(len(x) and (x >= 0).all() and (x == np.round(x)).all() and x.max() > 0
                and np.median(x) <= COUNT_MEDIAN)


def to_even(values: np.ndarray) -> np.ndarray:
    """The Anscombe transform; a negative value (not a count) is read as 0 rather than failing."""
    return 2.0 * np.sqrt(np.maximum(values, 0.0) + _OFFSET)


def from_even(y: np.ndarray) -> np.ndarray:
    """Back to counts, for the expected value and band a person reads (0 at the least)."""
    half = np.maximum(y, 0.0) / 2.0
    return np.maximum(half * half - _OFFSET, 0.0)
