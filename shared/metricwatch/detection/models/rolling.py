"""Trailing-window statistics for streaming models, vectorised over a block of rows.

Row i only ever sees rows before it (or up to it), and a window that reaches
past the start of the data is padded with the first row, so scoring a block
at once gives exactly what scoring each row with its own context would.
"""

from __future__ import annotations

import bottleneck
import numpy as np


def _windows(x: np.ndarray, width: int) -> np.ndarray:
    """Read-only view of every `width` consecutive rows of 1-d x (sliding_window_view without its overhead).

    Built as an ndarray over x's buffer: `as_strided` costs several microseconds a call, and a
    scored point makes a few of these calls.
    """
    x = np.ascontiguousarray(x)
    rows = max(len(x) - width + 1, 0)
    view = np.ndarray((rows, width), x.dtype, buffer=x if rows else np.empty(width, x.dtype),
                      strides=(x.itemsize, x.itemsize))
    view.flags.writeable = False
    return view


def _padded(x: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate((np.full(width, x[0] if len(x) else 0.0), x))


def trailing_median(x: np.ndarray, width: int) -> np.ndarray:
    """Median of the `width` rows before each row (the row itself excluded).

    bottleneck's moving median (a double heap, O(log width) a row): the same numbers as a
    partition of every window (np.median's answer for an even width too), about 10 times faster
    on a scored point's 577 rows, where it was half the cost of a verdict.
    """
    if len(x) == 0:
        return np.empty(0)
    return bottleneck.move_median(_padded(x, width)[:-1], width)[width - 1:]


def trailing_max(x: np.ndarray, width: int, start: int = 0) -> np.ndarray:
    """Largest of the `width` rows before each row from `start` on (the row itself excluded)."""
    if len(x) <= start:
        return np.empty(0)
    padded = np.concatenate((np.full(width, -np.inf), x))[:-1]
    return _windows(padded[start:], width).max(axis=1)


def trailing_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Mean of each row and the `width - 1` rows before it.

    Summed window by window (np.convolve's direct sum, in C), not as a
    difference of running sums: after one huge value (a counter wrapping to
    1e19) a running sum loses every later row to cancellation.
    """
    if len(x) == 0:
        return np.empty(0)
    return np.convolve(_padded(x, width)[1:], np.ones(width), "valid")[:len(x)] / width


def lagged(x: np.ndarray, rows: int) -> np.ndarray:
    """x shifted `rows` rows later, the first row repeated in front."""
    if rows <= 0 or len(x) == 0:
        return x
    return np.concatenate((np.repeat(x[:1], rows), x[:-rows]))[:len(x)]


def run_lengths(x: np.ndarray) -> np.ndarray:
    """How many rows in a row, ending at each row, have exactly this row's value."""
    n = len(x)
    change = np.ones(n, dtype=bool)
    change[1:] = x[1:] != x[:-1]
    starts = np.maximum.accumulate(np.where(change, np.arange(n), 0))
    return np.arange(n) - starts + 1


def sampling_step(timestamps: np.ndarray) -> float:
    """Median gap between rows in seconds, repeats left out (0 if there is none): robust to gaps.

    Repeated timestamps (a client that resends, two agents on one series) are
    not a sampling rate: counted as gaps of 0 they would make the median 0
    once half the rows are doubled, and every seasonal profile be refused.
    """
    gaps = np.abs(np.diff(timestamps))
    gaps = gaps[gaps > 0]
    return float(np.median(gaps)) if len(gaps) else 0.0


def robust_spread(x: np.ndarray, floor: float) -> float:
    """A spread for a normal band: the larger of 1.4826 * MAD and the mean absolute deviation
    without its largest 1%, never below `floor`.

    The MAD alone measures only the majority: on a two-level series (70% at
    one value, 30% at another) the second level would fall outside the band.
    The mean deviation sees both levels, but one glitch (a counter wrapping to
    1e19) would make it absurd: its largest 1% are left out.
    """
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return floor
    dev = np.abs(x - np.median(x))
    kept = np.partition(dev, len(dev) - 1 - len(dev) // 100)[: len(dev) - len(dev) // 100]
    return max(1.4826 * float(np.median(dev)), float(kept.mean()), floor)
