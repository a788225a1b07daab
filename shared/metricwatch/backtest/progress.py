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
    failed: list[str] = field(default_factory=list)  # "name: why", files that could not be read
    unscored: list[str] = field(default_factory=list)  # files no model ever scored

    def file_done(self, name: str, points: int, scored: int | None = None, error: str | None = None) -> None:
        self.files += 1
        self.points += points
        rate = self.points / max(self.elapsed, 1e-9)
        if error is not None:
            self.failed.append(error)
            line = f"SKIPPED, {error}"
        elif scored == 0 and points:
            self.unscored.append(name)
            line = (f"{points} points, NO MODEL: its history never reached a training (one retrain cadence "
                    f"and enough points; are the timestamps epoch seconds?)")
        else:
            line = f"{points} points ({rate:,.0f} points/s so far)"
        print(f"[{self.files}/{self.total_files}] {name}: {line}", file=self.out or sys.stderr, flush=True)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> str:
        rate = self.points / max(self.elapsed, 1e-9)
        lines = [f"backtest done: {self.files} files, {self.points} points in {self.elapsed:.1f} s "
                 f"({rate:,.0f} points/s)"]
        if self.unscored:
            lines.append(f"{len(self.unscored)} file(s) never got a model, every row scored 0: "
                         + ", ".join(self.unscored[:10]) + (" ..." if len(self.unscored) > 10 else ""))
        if self.failed:
            lines.append(f"{len(self.failed)} file(s) could not be read and were skipped:")
            lines += [f"  {why}" for why in self.failed]
        return "\n".join(lines)
