"""A simulated user who gives feedback on a replayed series as a person on call would.

It holds the series' label windows (row ranges, first and last row
included) and is shown the verdicts stretch by stretch, in row order
(`replay.replay_with_feedback`):

- an alarm at time t outside every label window is a false alarm, and the
  user, looking at it, marks [t - margin, t + margin) `not_anomaly`: known
  once the user has seen that range, at t + margin;
- a window in which no alarm fired is a missed incident, known when the
  window ends: the user marks the window `anomaly`, known at its last row.

Nothing else: no mark is known before the rows it covers have happened, and
the marks reach the model at the next daily retrain. An alarm inside a
window is a found incident and gets no mark (`confirm_found` marks it
`anomaly` too, as a user confirming incidents would). The margin is
`margin_rows` sampling steps (3: 15 minutes of 5-minute data). Alarms in
`excused` row ranges (the aftermath of an incident, as a benchmark that
does not count them as false alarms judges them) get no mark either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from metricwatch.detection.feedback import ANOMALY, NOT_ANOMALY, Mark
from metricwatch.detection.models.base import OUTLIER
from metricwatch.detection.models.rolling import sampling_step


@dataclass
class SimulatedUser:
    timestamps: np.ndarray
    windows: list[tuple[int, int]]  # label windows as (first row, last row), as nab_corpus.window_rows gives
    margin_rows: float = 3.0
    confirm_found: bool = False
    excused: list[tuple[int, int]] = field(default_factory=list)  # (first row, last row): alarms there get no mark
    seen: int = 0  # rows shown so far; stretches must come in order
    fired: np.ndarray = field(init=False)  # alarms seen so far, per row

    def __post_init__(self) -> None:
        self.timestamps = np.asarray(self.timestamps, np.float64)
        self.fired = np.zeros(len(self.timestamps), dtype=bool)
        self.inside = np.zeros(len(self.timestamps), dtype=bool)
        for left, right in [*self.windows, *self.excused]:
            self.inside[left:right + 1] = True
        self.margin = self.margin_rows * (sampling_step(self.timestamps) or 1.0)

    def __call__(self, lo: int, hi: int, verdicts: np.ndarray) -> list[tuple[float, Mark]]:
        if lo != self.seen or hi - lo != len(verdicts):
            raise ValueError(f"shown rows {lo}..{hi} after {self.seen}: stretches must come once, in order")
        self.seen = hi
        alarms = lo + np.flatnonzero(np.asarray(verdicts) == OUTLIER)
        self.fired[alarms] = True
        marks: list[tuple[float, Mark]] = []
        for row in alarms[~self.inside[alarms]]:
            t = float(self.timestamps[row])
            marks.append((t + self.margin, Mark(NOT_ANOMALY, t - self.margin, t + self.margin)))
        for left, right in self.windows:
            if lo <= right < hi and (self.confirm_found or not self.fired[left:right + 1].any()):
                start, last = float(self.timestamps[left]), float(self.timestamps[right])
                end = float(np.nextafter(last, np.inf))  # [start, end) holds the window's last row
                marks.append((end, Mark(ANOMALY, start, end)))
        return marks
