"""Which rows of a stacked group of series the verdicts of its scored rows depend on.

`robust_seasonal` measures every row it is given, but a scored row's
verdict reads only some of them: its one-alarm gates look back
`_refractory` (or `quiet_points`) rows, so the surprise is needed from row
`a`; a measure compares a row's deviation with the previous row's, so
measures are needed from `b` = a - 1; a deviation looks back a level
window and then the longest shift's two windows, so deviations are
computed from the rows from `c`. Rows before `c` are read only for stuck
runs. For 5-minute data (`_refractory` 288) and its 577 rows, deviations are
computed on 465 rows and measures on 290; looking back 32 rows first
(`robust_batch.LOOK`), on 209 and 34. Of a deviation's steps, the level (a
moving median, the costliest) is read only at the rows from `b` and at the
shifts' windows before them (`level_spans`): on the 209 rows, at 139 in two
stretches, which give bottleneck 201 rows instead of 240. A row from `b` on
sees exactly the rows it would in the whole array, so its numbers are the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metricwatch.detection.models import rows
from metricwatch.detection.models.robust_seasonal import RobustSeasonalModel


@dataclass(frozen=True)
class Frame:
    start: int  # the first scored row
    a: int  # the first row whose surprise a scored row reads
    b: int  # the first row measured
    c: int  # the first row of the deviations' arrays

    @classmethod
    def of(cls, m: RobustSeasonalModel, start: int, look: int | None = None) -> "Frame":
        """The rows scoring from `start` reads; with `look`, the refractory window is cut to `look` rows
        (`robust_batch.LOOK`: a lower bound of its maximum, which decides most rows)."""
        refractory = m._refractory if look is None else min(m._refractory, look)
        a = max(start - max(refractory, m.quiet_points), 0)
        b = max(a - 1, 0)
        reach = m.level_window + max((m.shift_window - 1, *(2 * w - 1 for w in m._long)))
        return cls(start, a, b, max(b - reach, 0))

    def level_spans(self, m: RobustSeasonalModel, n: int) -> list[tuple[int, int]]:
        """The stretches of rows ((first, end), of an array of the `n` rows from `c`) where the level is read:
        from `b` (`at_b`) and each shift's windows before it (`earlier`); stretches less than a window apart
        are one (computing the rows between costs less than a moving median's first window again)."""
        at = self.b - self.c
        spans: list[tuple[int, int]] = []
        for k in sorted({0, m.shift_window - 1, *(k for w in m._long for k in (w - 1, 2 * w - 1))}, reverse=True):
            lo = max(at - k, 0)
            hi = max(n - k, lo + 1)  # `earlier` repeats the first row when it reaches before it
            if spans and lo - spans[-1][1] < m.level_window - 1:
                spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
            else:
                spans.append((lo, hi))
        return spans

    def at_b(self, x: np.ndarray) -> np.ndarray:
        """The rows from `b` of an array of the rows from `c`."""
        return x[:, self.b - self.c:]

    def scored(self, x: np.ndarray) -> np.ndarray:
        """The rows from `start` of an array of the rows from `c`."""
        return x[:, self.start - self.c:]

    def mean_at_b(self, y: np.ndarray, width: int) -> np.ndarray:
        """`rows.trailing_mean(y, width)` at the rows from `b`, summing only the windows of those rows."""
        return rows.trailing_mean(y, width, self.b - self.c)

    def earlier(self, x: np.ndarray, k: int) -> np.ndarray:
        """`rows.lagged(x, k)` at the rows from `b`, for an array of the rows from `c`."""
        at = self.b - self.c
        if at < k:  # only when c is the first row: the first value is repeated, as in `lagged`
            return rows.lagged(x, k)[:, at:]
        return x[:, at - k:x.shape[1] - k]

    def jump(self, y: np.ndarray) -> np.ndarray:
        """`np.diff(y, prepend=y[:1])` of every series at the rows from `b`, for an array of the rows from `c`."""
        at = self.b - self.c
        if at == 0:  # only when b is the first row
            return np.diff(y, axis=1, prepend=y[:, :1])
        return y[:, at:] - y[:, at - 1:-1]
