"""A training run: which series it starts, a few at a time, and what it reports.

Training a series waits on MongoDB for its history and on the bucket for its
model, so a run trains a few at once to overlap those waits. They start in
queue order (stalest model first) and are reported in that order, whichever
finishes first; none starts once the time budget is spent or MongoDB has gone
away, and the ones not reached are counted so the answer says how much a
retry has left.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, Callable

from metricwatch.detection.catalog import WatchedMetric
from metricwatch.errors import StoreUnavailable

log = logging.getLogger(__name__)

Series = tuple[WatchedMetric, dict[str, str]]


@dataclass
class TrainSummary:
    """What a training run did, series by series: the answer to "why has this series no model?".

    `skipped`: the data cannot make a model (too little of it); `failed`: the
    bucket or MongoDB refused, which a retry of the run may get past;
    `errors`: a model (or the trainer) raised on that series, a bug a retry
    would only repeat. `stopped` says why the run ended early (MongoDB became
    unreachable, or the time budget was spent): the `not_reached` series are
    neither trained nor skipped, and the run is worth a retry. `already_trained`: series an earlier attempt of the
    same scheduled run trained, left alone by its retry. `fan_out`: the run was cut into shards for
    parallel instances (`detection/fanout.py`): their count and size, and where they went.
    """

    models: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    not_reached: int | None = None  # set with `stopped`; None then: MongoDB went away before listing finished
    already_trained: int | None = None  # series an earlier attempt of the same scheduled run trained
    fan_out: dict[str, Any] | None = None  # the run was cut into shards: how, and where they went
    seconds: float = 0.0
    stop_level: int = field(default=logging.ERROR, repr=False)  # how the totals line is logged when stopped

    def merge(self, part: "TrainSummary") -> None:
        """Add one series' outcome: every list of `part` extends this summary's."""
        for f in fields(self):
            if isinstance(value := getattr(part, f.name), list):
                getattr(self, f.name).extend(value)

    def stop(self, why: str, not_reached: int | None, level: int = logging.ERROR) -> None:
        self.stopped, self.not_reached, self.stop_level = why, not_reached, level

    def to_dict(self) -> dict[str, Any]:
        body = {"models": self.models, "skipped": self.skipped, "failed": self.failed, "errors": self.errors,
                "seconds": round(self.seconds, 3)}
        if self.already_trained is not None:
            body["already_trained"] = self.already_trained
        if self.fan_out is not None:
            body["fan_out"] = self.fan_out
        return body if self.stopped is None else {**body, "stopped": self.stopped, "not_reached": self.not_reached}

    def log(self) -> None:
        """One line a run, and one per series not trained, so a nightly run can be read in the logs."""
        for entry in self.skipped:
            log.warning("training skipped %s", entry)
        for entry in self.failed + self.errors:
            log.error("training failed %s", entry)
        level = logging.ERROR if self.failed or self.errors else self.stop_level if self.stopped else logging.INFO
        log.log(level,
                "training done in %.1f s: %d models written, %d skipped, %d failed, %d model errors%s%s", self.seconds,
                len(self.models), len(self.skipped), len(self.failed), len(self.errors),
                f", {self.already_trained} already trained by an earlier attempt" if self.already_trained else "",
                f"; stopped early, {_count(self.not_reached)} series not reached: {self.stopped}" if self.stopped else "")


def _count(n: int | None) -> str:
    return "an unknown number of" if n is None else str(n)


class TrainingRun:
    """One run's queue, worked by a few threads; `train_one` writes a series' outcome into its part."""

    def __init__(self, queue: list[Series], train_one: Callable[[WatchedMetric, dict[str, str], TrainSummary], None],
                 summary: TrainSummary, timer: Callable[[], float], started: float, time_budget: float | None) -> None:
        self.queue, self.train_one, self.summary = queue, train_one, summary
        self.timer, self.started, self.time_budget = timer, started, time_budget
        self.parts: list[TrainSummary | None] = [None] * len(queue)  # by queue index; None: never started
        self.interrupted: set[int] = set()  # started, but MongoDB went away under them: not reached either
        self._lock = threading.Lock()
        self._cursor = iter(range(len(queue)))

    def run(self, workers: int) -> None:
        workers = max(1, min(workers, len(self.queue)))
        with ThreadPoolExecutor(workers, thread_name_prefix="train") as pool:
            for future in [pool.submit(self._work) for _ in range(workers)]:
                future.result()
        for i, part in enumerate(self.parts):
            if part is not None and i not in self.interrupted:
                self.summary.merge(part)
        if self.summary.stopped:
            self.summary.not_reached = self.parts.count(None) + len(self.interrupted)

    def _work(self) -> None:
        while (i := self._next()) is not None:
            watched, labels = self.queue[i]
            log.info("training %s %s (%d/%d series)", watched.name, labels, i + 1, len(self.queue))
            part = self.parts[i] = TrainSummary()
            try:
                self.train_one(watched, labels, part)
            except StoreUnavailable as exc:  # every later series would fail the same way
                with self._lock:
                    self.interrupted.add(i)
                    self._stop(exc.message, logging.ERROR)
            except Exception as exc:  # a bug outside the model: that series' error; the others still train
                log.exception("training %s %s failed", watched.name, labels)
                part.errors.append({"metric": watched.name, "labels": labels,
                                    "reason": f"training: {type(exc).__name__}: {exc}"})

    def _next(self) -> int | None:
        """The next series to start, or None; the first always starts, so every run makes progress."""
        with self._lock:
            if self.summary.stopped:
                return None
            i = next(self._cursor, None)
            if i is not None and i > 0 and self.time_budget is not None \
                    and self.timer() - self.started >= self.time_budget:
                self._stop(f"time budget of {self.time_budget:g} s spent; the series not reached keep their "
                           "previous models and go first in the next run", logging.WARNING)
                return None
            return i

    def _stop(self, why: str, level: int) -> None:
        """Under the lock. An outage after the budget stop replaces it: MongoDB being gone is the news."""
        if self.summary.stopped is None or level > self.summary.stop_level:
            self.summary.stop(why, None, level)  # `run` counts the series not reached once every worker is done
