"""Progress lines during a long backtest and the summary at its end."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO, Optional


@dataclass
class Progress:
    total_files: int
    out: Optional[TextIO] = None  # None: sys.stderr at the time of printing
    files: int = 0
    points: int = 0
    started: float = field(default_factory=time.monotonic)

    def file_done(self, name: str, points: int) -> None:
        self.files += 1
        self.points += points
        rate = self.points / max(self.elapsed, 1e-9)
        print(f"[{self.files}/{self.total_files}] {name}: {points} points ({rate:,.0f} points/s so far)",
              file=self.out or sys.stderr, flush=True)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> str:
        rate = self.points / max(self.elapsed, 1e-9)
        return (f"backtest done: {self.files} files, {self.points} points in {self.elapsed:.1f} s "
                f"({rate:,.0f} points/s)")
