"""`rolling.py`'s trailing-window statistics over many series at once: each row of a 2-D array is a series.

Each function gives, row by row, exactly the numbers its 1-D namesake gives
for that series alone (the same operations on the same values, in the same
order), so scoring many series together (`robust_batch.py`) cannot change a
verdict. Every series of the array has as many points; the padding before the
first point is each series' own first value, as in `rolling.py`.
"""

from __future__ import annotations

from typing import Sequence

import bottleneck
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _padded(x: np.ndarray, width: int) -> np.ndarray:
    """Each series with `width` copies of its first value in front."""
    return np.concatenate((np.repeat(x[:, :1], width, axis=1), x), axis=1)


def trailing_median(x: np.ndarray, width: int) -> np.ndarray:
    """`rolling.trailing_median` of every series: bottleneck's moving median runs along each row alone."""
    return bottleneck.move_median(_padded(x, width)[:, :-1], width, axis=1)[:, width - 1:]


def trailing_median_at(x: np.ndarray, width: int, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """`trailing_median(x, width)` at the rows of `spans` ((first, end) pairs) only, NaN elsewhere.

    A row's moving median is the median of its own window (the same values,
    whatever came before), so each stretch is computed from the `width` rows
    before it; bottleneck's cost is per row it is given, and the rows no
    stretch needs (`batch_frame.Frame.level_spans`) are not given.
    """
    out = np.full(x.shape, np.nan)
    for lo, hi in spans:
        if lo >= width:
            part = x[:, lo - width:hi - 1]
        else:  # the window of a first row holds copies of the series' first value, as in `trailing_median`
            part = np.concatenate((np.repeat(x[:, :1], width - lo, axis=1), x[:, :hi - 1]), axis=1)
        out[:, lo:hi] = bottleneck.move_median(part, width, axis=1)[:, width - 1:]
    return out


def trailing_mean(x: np.ndarray, width: int, start: int = 0) -> np.ndarray:
    """`rolling.trailing_mean` of every series from row `start` on, from one np.convolve over all of them
    end to end.

    np.convolve's "valid" output is one dot product of `width` values per
    position, so a window inside one series' stretch sums exactly what that
    series' own call sums; the windows that straddle two series are skipped.
    The direct sum is kept for the reason `rolling.trailing_mean` gives. A
    stretch begins `width - 1` rows before `start`, padded only where that
    is before the first row: every window computed is one a row from
    `start` reads, but for the straddling ones.
    """
    lo = start - width + 1  # the first value the window of `start` holds
    part = x[:, lo:] if lo >= 0 else _padded(x, -lo)
    series, stretch = part.shape
    sums = np.convolve(part.ravel(), np.ones(width), "valid")
    rows = np.ndarray((series, x.shape[1] - start), sums.dtype, buffer=sums,
                      strides=(stretch * sums.itemsize, sums.itemsize))
    return rows / width


def trailing_max(x: np.ndarray, width: int, start: int = 0) -> np.ndarray:
    """`rolling.trailing_max` of every series: the largest of the `width` values before each from `start` on."""
    lo = start - width  # the first value the window of `start` holds
    part = x[:, max(lo, 0):-1]
    if lo < 0:
        part = np.concatenate((np.full((len(x), -lo), -np.inf), part), axis=1)
    return sliding_window_view(part, width, axis=1).max(axis=2)


def lagged(x: np.ndarray, rows: int) -> np.ndarray:
    """`rolling.lagged` of every series: `rows` later, its first value repeated in front."""
    if rows <= 0:
        return x
    return np.concatenate((np.repeat(x[:, :1], rows, axis=1), x[:, :-rows]), axis=1)[:, :x.shape[1]]


def run_lengths(x: np.ndarray) -> np.ndarray:
    """`rolling.run_lengths` of every series: how many values in a row, ending at each, equal it."""
    n = x.shape[1]
    change = np.ones(x.shape, dtype=bool)
    change[:, 1:] = x[:, 1:] != x[:, :-1]
    at = np.arange(n)
    return at - np.maximum.accumulate(np.where(change, at, 0), axis=1) + 1
