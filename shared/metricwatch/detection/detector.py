"""The Detector facade: train models per series, and score points with them.

Training reads each watched metric's `train_interval` of history from the
metric store, fits one model per distinct label set and writes it to the
model store as `{metric_name}_{model_name}_{metric_labels}.joblib`. Scoring
looks the model up in a per-instance cache; a series without a model (not
watched, not trained yet, unreadable model) simply gets no verdict.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence, TypeVar

from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.models import create_model
from metricwatch.detection.models.base import MIN_TRAIN_POINTS
from metricwatch.detection.scoring import Verdict, context_for, group_by_series, score_series
from metricwatch.errors import InvalidInput, MetricwatchError, NotFound, StoreUnavailable
from metricwatch.modelstore.base import ModelStore
from metricwatch.modelstore.cache import ModelCache, dumps
from metricwatch.points import Point, parse_labels, parse_value
from metricwatch.timeutil import as_utc, utcnow
from metricwatch.series import model_object_name
from metricwatch.store.base import MetricStore

log = logging.getLogger(__name__)
T = TypeVar("T")
_NEVER = datetime.min.replace(tzinfo=timezone.utc)  # the write time of a model that does not exist


@dataclass
class TrainSummary:
    """What a training run did, series by series: the answer to "why has this series no model?".

    `skipped`: the data cannot make a model (too little of it); `failed`: the
    bucket or MongoDB refused, which a retry of the run may get past; `errors`:
    a model raised, a bug a retry would only repeat. `stopped` says why the
    run ended early (MongoDB became unreachable, or the time budget was
    spent): the `not_reached` series are neither trained nor skipped, and the
    run is worth a retry. `already_trained`: series an earlier attempt of the
    same scheduled run trained, left alone by its retry.
    """

    models: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None
    not_reached: int | None = None  # set with `stopped`; None then: MongoDB went away before listing finished
    already_trained: int | None = None  # series an earlier attempt of the same scheduled run trained
    seconds: float = 0.0
    stop_level: int = field(default=logging.ERROR, repr=False)  # how the totals line is logged when stopped

    def merge(self, part: "TrainSummary") -> None:
        """Add one series' outcome (see `Detector._train_queue`)."""
        for name in ("models", "skipped", "failed", "errors"):
            getattr(self, name).extend(getattr(part, name))

    def stop(self, why: str, not_reached: int | None, level: int = logging.ERROR) -> None:
        self.stopped, self.not_reached, self.stop_level = why, not_reached, level

    def to_dict(self) -> dict[str, Any]:
        body = {"models": self.models, "skipped": self.skipped, "failed": self.failed, "errors": self.errors,
                "seconds": round(self.seconds, 3)}
        if self.already_trained is not None:
            body["already_trained"] = self.already_trained
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


def _read(summary: TrainSummary, where: dict[str, Any], what: str, read: Callable[[], T]) -> T | None:
    """`read()`, or None with `where` listed as failed when MongoDB refused it.

    An outage (`StoreUnavailable`) is raised instead: every later read would fail the same way.
    """
    try:
        return read()
    except StoreUnavailable:
        raise
    except MetricwatchError as exc:
        summary.failed.append({**where, "reason": f"{what}: {exc.message}"})
        return None


class Detector:
    def __init__(self, catalog: Mapping[str, WatchedMetric], store: MetricStore, models: ModelStore,
                 cache: ModelCache, clock: Callable[[], datetime] = utcnow,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.catalog = catalog
        self.store = store
        self.models = models
        self.cache = cache
        self.clock = clock
        self.timer = timer

    def object_name(self, watched: WatchedMetric, labels: Mapping[str, str]) -> str:
        return model_object_name(watched.name, watched.model, labels)

    # -- training ---------------------------------------------------------------------------
    def train(self, metric: str | None = None, time_budget: float | None = None,
              trained_since: datetime | None = None, workers: int = 1) -> TrainSummary:
        """Train every watched metric (or one), one model per label set seen in its interval.

        Series go stalest model first (none yet, then oldest), `workers` at a
        time, and no new one starts once `time_budget` seconds have passed: a
        run too long for its function's timeout stops cleanly with `stopped`,
        and the retry continues with the series it did not reach instead of
        starting over. A series whose model was written at or after
        `trained_since` (the scheduled time a retry carries) was trained by
        an earlier attempt of the same run and is left alone, so the retries
        of a long run end.
        """
        if metric is not None and metric not in self.catalog:
            raise NotFound(f"metric {metric!r} is not listed in the detection metrics file", field="metric")
        started, summary = self.timer(), TrainSummary()
        try:
            queue = self._queue([self.catalog[metric]] if metric else list(self.catalog.values()), trained_since,
                                summary)
        except StoreUnavailable as exc:  # before every metric was listed: how many series remain is unknown
            summary.stop(exc.message, None)
        else:
            self._train_queue(queue, started, time_budget, workers, summary)
        summary.seconds = self.timer() - started
        summary.log()
        return summary

    def _train_queue(self, queue: list[tuple[WatchedMetric, dict[str, str]]], started: float,
                     time_budget: float | None, workers: int, summary: TrainSummary) -> None:
        """Train the series `workers` at a time, starting them in queue order; report them in that order.

        Each series writes into its own part of the summary, merged in queue
        order at the end, so the answer does not depend on which finished first.
        """
        parts: list[TrainSummary | None] = [None] * len(queue)
        unreached: set[int] = set()  # started, but MongoDB went away under them
        lock, cursor = threading.Lock(), iter(range(len(queue)))

        def next_series() -> int | None:  # under `lock`: the stop checks and the queue are shared
            if summary.stopped:
                return None
            i = next(cursor, None)
            if i and time_budget is not None and self.timer() - started >= time_budget:
                summary.stop(f"time budget of {time_budget:g} s spent; the series not reached keep their "
                             "previous models and go first in the next run", None, logging.WARNING)
                return None
            return i

        def work() -> None:
            while True:
                with lock:
                    i = next_series()
                if i is None:
                    return
                watched, labels = queue[i]
                log.info("training %s %s (%d/%d series)", watched.name, labels, i + 1, len(queue))
                part = parts[i] = TrainSummary()
                try:
                    self._train_series(watched, labels, part)
                except StoreUnavailable as exc:  # every later series would fail the same way
                    with lock:
                        unreached.add(i)
                        if not summary.stopped:
                            summary.stop(exc.message, None)

        workers = max(1, min(workers, len(queue)))
        with ThreadPoolExecutor(workers, thread_name_prefix="train") as pool:
            for future in [pool.submit(work) for _ in range(workers)]:
                future.result()  # a bug in the loop itself is raised here, not lost in a thread
        for i, part in enumerate(parts):
            if part is not None and i not in unreached:
                summary.merge(part)
        if summary.stopped:
            summary.not_reached = sum(part is None for part in parts) + len(unreached)

    def _queue(self, metrics: list[WatchedMetric], trained_since: datetime | None,
               summary: TrainSummary) -> list[tuple[WatchedMetric, dict[str, str]]]:
        """Every series to train, stalest model first; those trained since `trained_since` left out."""
        queue = [(watched, labels) for watched in metrics for labels in self._label_sets(watched, summary)]
        updated = self._updated()

        def written(item: tuple[WatchedMetric, dict[str, str]]) -> datetime:
            return updated.get(self.object_name(*item), _NEVER)

        if trained_since is not None:
            stale = [item for item in queue if written(item) < trained_since]
            summary.already_trained, queue = len(queue) - len(stale), stale
        return sorted(queue, key=written)

    def _label_sets(self, watched: WatchedMetric, summary: TrainSummary) -> list[dict[str, str]]:
        start = self.clock() - watched.train_interval
        label_sets = _read(summary, {"metric": watched.name}, "listing its label sets",
                           lambda: self.store.label_sets(watched.name, since=start))
        if label_sets is None:  # listed as failed
            return []
        if not label_sets:
            summary.skipped.append({"metric": watched.name, "reason": f"no points since {start.isoformat()}"})
        return label_sets

    def _updated(self) -> dict[str, datetime]:
        """When each model was written; empty (catalog order, everything retrained) if the bucket cannot list."""
        try:
            return self.models.updated()
        except Exception:  # ordering is an optimisation: saving will report a broken bucket series by series
            log.warning("could not list the model store; training in catalog order", exc_info=True)
            return {}

    def _train_series(self, watched: WatchedMetric, labels: dict[str, str], summary: TrainSummary) -> None:
        where = {"metric": watched.name, "labels": labels}
        end = self.clock()
        start = end - watched.train_interval
        data = _read(summary, where, "reading its history",
                     lambda: self.store.series_points(watched.name, labels, start, end))
        if data is None:
            return
        if len(data) < MIN_TRAIN_POINTS:
            summary.skipped.append({**where, "reason": f"{len(data)} points in the train interval; "
                                                       f"need at least {MIN_TRAIN_POINTS}"})
            return
        t0 = time.monotonic()
        try:
            model = create_model(watched.model, watched.train_params).fit(data.timestamps, data.values)
        except MetricwatchError as exc:  # the data cannot make a model (too short, flat...): not retried
            summary.skipped.append({**where, "reason": exc.message})
            return
        except Exception as exc:  # a bug in a model must not cost the other series their models
            log.exception("training %s %s failed", watched.name, labels)
            summary.errors.append({**where, "reason": f"training {watched.model}: {type(exc).__name__}: {exc}"})
            return
        name = self.object_name(watched, labels)
        try:
            self.models.save(name, dumps(model))
        except Exception as exc:  # the bucket failed: worth a retry of the run
            log.exception("saving %s failed", name)
            summary.failed.append({**where, "reason": f"saving {name}: {type(exc).__name__}: {exc}"})
            return
        summary.models.append({**where, "object": name, "points": len(data),
                               "seconds": round(time.monotonic() - t0, 3)})

    # -- scoring ----------------------------------------------------------------------------
    def score_points(self, points: Sequence[Point]) -> list[Verdict | None]:
        """A verdict per point (None where no model applies), one model call per series.

        The points must not be stored yet: their context is what the store
        holds up to their time, and a stored copy would be its own context.
        """
        verdicts: list[Verdict | None] = [None] * len(points)
        for indices in group_by_series(points).values():
            first = points[indices[0]]
            watched = self.catalog.get(first.name)
            model = self.cache.get(self.object_name(watched, first.labels)) if watched else None
            if model is None:
                continue
            try:
                context = context_for(model, self.store, first)
                scored = score_series(model, watched, context, [points[i] for i in indices])
            except StoreUnavailable:
                raise
            except Exception:
                log.exception("scoring %s failed; storing its points without a verdict", first.series)
                continue
            for i, verdict in zip(indices, scored):
                verdicts[i] = verdict
        return verdicts

    def predict(self, metric_name: str, metric_info: Mapping[str, Any]) -> int | None:
        """-1 (outlier) or 1 (inlier) for one value, as the original app's `Detector.predict`.

        None when the metric is not watched or its series has no model yet.
        For a value not stored yet, as in the original app (see `score_points`).
        """
        if not isinstance(metric_info, Mapping):
            raise InvalidInput("metric_info must be a mapping with labels, value, timestamp")
        timestamp = metric_info.get("timestamp") or self.clock()
        if not isinstance(timestamp, datetime):
            raise InvalidInput("metric_info['timestamp'] must be a datetime", field="timestamp")
        point = Point(name=metric_name, value=parse_value(metric_info.get("value")),
                      labels=parse_labels(metric_info.get("labels")),
                      timestamp=as_utc(timestamp))
        verdict = self.score_points([point])[0]
        return None if verdict is None else int(verdict["anomaly"])
