"""The Detector facade: train models per series, and score points with them.

Training reads each watched metric's `train_interval` of history from the
metric store, fits one model per distinct label set and writes it to the
model store as `{metric_name}_{model_name}_{metric_labels}.joblib`. Scoring
looks the model up in a per-instance cache; a series without a model (not
watched, not trained yet, unreadable model) simply gets no verdict.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence, TypeVar

import numpy as np

from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.feedback import (
    FeedbackSource, Mark, earlier_ranges, feedback_report, fit_with_feedback)
from metricwatch.detection.models.rolling import sampling_step
from metricwatch.detection.declared import build_model
from metricwatch.detection.models.base import MIN_TRAIN_POINTS
from metricwatch.detection.scoring import Verdict, context_window, group_by_series, score_many
from metricwatch.detection.training import Series, TrainingRun, TrainSummary
from metricwatch.detection.warm import WarmWriter
from metricwatch.errors import InvalidInput, MetricwatchError, NotFound, StoreUnavailable
from metricwatch.modelstore.base import ModelStore
from metricwatch.modelstore.cache import ModelCache, dumps
from metricwatch.points import Point, parse_labels, parse_value
from metricwatch.timeutil import as_utc, utcnow
from metricwatch.series import model_object_name
from metricwatch.store.base import MetricStore, SeriesData, StoredPoint, Window
from metricwatch.store.heads import SeriesHeads

log = logging.getLogger(__name__)
T = TypeVar("T")
_NEVER = datetime.min.replace(tzinfo=timezone.utc)  # the write time of a model that does not exist
MAX_EARLIER = 50  # older not_anomaly stretches read back per series and training (one read each)
Stretch = tuple[Any, Any]  # (timestamps, values) arrays of one stretch of history
Scored = tuple[list[int], WatchedMetric, Any]  # (indices, watched, model) of one scored series of a batch


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


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
                 timer: Callable[[], float] = time.monotonic, feedback: FeedbackSource | None = None,
                 heads: SeriesHeads | None = None, state_entries: int = 0) -> None:
        self.catalog = catalog
        self.feedback = feedback
        self.store = store
        self.models = models
        self.cache = cache
        self.clock = clock
        self.timer = timer
        self.warm = WarmWriter(self, heads, state_entries) if heads is not None else None

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
        started, summary = self.timer(), TrainSummary()
        listing = self.listing(metric, summary)
        if listing is not None:
            self.run_queue(self.stalest_first(listing, trained_since, summary), summary, started, time_budget, workers)
        return self.finish(summary, started)

    def train_listed(self, series: Sequence[tuple[str, dict[str, str]]], trained_since: datetime | None,
                     time_budget: float | None = None, workers: int = 1) -> TrainSummary:
        """Train these (metric, labels) series, as `train` trains a listing: a shard of a run.

        A series of a metric no longer watched is skipped with its reason: the watch list
        changed between the run's listing and this shard.
        """
        started, summary = self.timer(), TrainSummary()
        queue: list[Series] = []
        for name, labels in series:
            if name in self.catalog:
                queue.append((self.catalog[name], labels))
            else:
                summary.skipped.append({"metric": name, "labels": labels, "reason": "the metric is not watched"})
        self.run_queue(self.stalest_first(queue, trained_since, summary), summary, started, time_budget, workers)
        return self.finish(summary, started)

    def listing(self, metric: str | None, summary: TrainSummary) -> list[Series] | None:
        """Every series to train: watched metrics in catalog order, each metric's label sets in key order.

        None (with the run stopped) when MongoDB went away before every metric was listed.
        """
        if metric is not None and metric not in self.catalog:
            raise NotFound(f"metric {metric!r} is not listed in the detection metrics file", field="metric")
        metrics = [self.catalog[metric]] if metric else list(self.catalog.values())
        try:
            return [(watched, labels) for watched in metrics for labels in self._label_sets(watched, summary)]
        except StoreUnavailable as exc:  # before every metric was listed: how many series remain is unknown
            summary.stop(exc.message, None)
            return None

    def stalest_first(self, queue: list[Series], trained_since: datetime | None, summary: TrainSummary,
                      updated: Mapping[str, datetime] | None = None) -> list[Series]:
        """`queue` stalest model first; those written since `trained_since` left out and counted."""
        updated = self.updated() if updated is None else updated

        def written(item: Series) -> datetime:
            return updated.get(self.object_name(*item), _NEVER)

        if trained_since is not None:
            stale = [item for item in queue if written(item) < trained_since]
            summary.already_trained = (summary.already_trained or 0) + len(queue) - len(stale)
            queue = stale
        return sorted(queue, key=written)

    def run_queue(self, queue: list[Series], summary: TrainSummary, started: float, time_budget: float | None,
                  workers: int) -> None:
        TrainingRun(queue, self._train_series, summary, self.timer, started, time_budget).run(workers)

    def finish(self, summary: TrainSummary, started: float) -> TrainSummary:
        summary.seconds = self.timer() - started
        summary.log()
        return summary

    def _label_sets(self, watched: WatchedMetric, summary: TrainSummary) -> list[dict[str, str]]:
        start = self.clock() - watched.train_interval
        label_sets = _read(summary, {"metric": watched.name}, "listing its label sets",
                           lambda: self.store.label_sets(watched.name, since=start))
        if label_sets is None:  # listed as failed
            return []
        if not label_sets:
            summary.skipped.append({"metric": watched.name, "reason": f"no points since {start.isoformat()}"})
        return label_sets

    def updated(self) -> dict[str, datetime]:
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
        feedback = self._feedback(watched, labels, start, data, summary, where)
        if feedback is None:  # listed as failed
            return
        marks, earlier = feedback
        t0 = time.monotonic()
        try:
            model = fit_with_feedback(build_model(watched.model, watched.train_params, watched.declared),
                                      data.timestamps, data.values, marks, earlier)
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
                               "seconds": round(time.monotonic() - t0, 3), **feedback_report(data.timestamps, marks)})

    def _feedback(self, watched: WatchedMetric, labels: dict[str, str], start: datetime, data: SeriesData,
                  summary: TrainSummary, where: dict[str, Any]) -> tuple[Sequence[Mark], list[Stretch]] | None:
        """The series' marks, and the history its `not_anomaly` marks older than the interval need.

        A false alarm stays accepted as long as its mark is kept, not only while its rows are in
        the training interval: each older mark's stretch (with the model's context before it) is
        read back for the model to remember, at most `MAX_EARLIER` of them, the newest.
        """
        if self.feedback is None:
            return (), []
        marks = _read(summary, where, "reading its feedback", lambda: self.feedback(watched.name, labels))
        if marks is None:
            return None
        try:
            context = (build_model(watched.model, watched.train_params, watched.declared).context_points
                       * sampling_step(data.timestamps))
        except Exception:  # the fit reports what is wrong with the model
            context = 0.0
        earlier: list[Stretch] = []
        ranges = earlier_ranges(marks, start.timestamp(), context)
        for lo, hi in ranges[max(0, len(ranges) - MAX_EARLIER):]:
            got = _read(summary, where, "reading the history of its older feedback",
                        lambda: self.store.series_points(watched.name, labels, _utc(lo), _utc(hi)))
            if got is None:
                return None
            earlier.append((got.timestamps, got.values))
        return marks, earlier

    # -- scoring ----------------------------------------------------------------------------
    def score_points(self, points: Sequence[Point]) -> list[Verdict | None]:
        """A verdict per point (None where no model applies), one model call per series.

        The points must not be stored yet: their context is what the store
        holds up to their time, and a stored copy would be its own context.
        """
        scored = self.models_of(points)
        if not scored:
            return [None] * len(points)
        windows = [context_window(model, points[indices[0]]) for indices, _, model in scored]
        try:
            contexts = self._contexts(windows)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("reading the context of %d series failed; storing the batch without verdicts", len(scored))
            return [None] * len(points)
        return self.score_with(points, scored, contexts)

    def write(self, points: Sequence[Point]) -> list[StoredPoint]:
        """Score the points and store them in one batch: the path every pushed or collected point takes.

        With series heads (`store/heads.py`), a series this instance wrote last is scored from its
        recent window in memory instead of a context read (`detection/warm.py`); the verdicts are
        the same either way.
        """
        if self.warm is not None:
            return self.warm.write(points)
        stored = [StoredPoint(point=p, verdict=v) for p, v in zip(points, self.score_points(points))]
        self.store.insert(stored)
        return stored

    def prefetch_models(self, points: Sequence[Point]) -> dict[str, str]:
        """Fetch the batch's models that are not in memory at once, not one round trip after another;
        each watched series' (key) model object name, for the caller to look it up by."""
        firsts = {p.series: p for p in points if p.name in self.catalog}  # one per series (cached key)
        names = {key: self.object_name(self.catalog[p.name], p.labels) for key, p in firsts.items()}
        self.cache.prefetch(list(names.values()))
        return names

    def models_of(self, points: Sequence[Point]) -> list[Scored]:
        """(indices in time order, watched metric, model) of each series of the batch that has a model."""
        names = self.prefetch_models(points)
        scored: list[Scored] = []
        for key, indices in group_by_series(points).items():
            first = points[indices[0]]
            watched = self.catalog.get(first.name)
            model = self.cache.get(names[key]) if watched else None
            if model is not None:
                scored.append((indices, watched, model))
        return scored

    def score_with(self, points: Sequence[Point], scored: Sequence[Scored],
                   contexts: Sequence[SeriesData | None]) -> list[Verdict | None]:
        """Each scored series' verdicts from its context (None: its context is unknown, no verdict);
        series whose models can be stacked are scored together (`scoring.score_many`)."""
        verdicts: list[Verdict | None] = [None] * len(points)
        known = [(indices, watched, model, context) for (indices, watched, model), context in zip(scored, contexts)
                 if context is not None]
        got = score_many([(model, watched, context, [points[i] for i in indices])
                          for indices, watched, model, context in known])
        for (indices, *_), rows in zip(known, got):
            if isinstance(rows, Exception):
                log.error("scoring %s failed; storing its points without a verdict", points[indices[0]].series,
                          exc_info=rows)
                continue
            for i, verdict in zip(indices, rows):
                verdicts[i] = verdict
        return verdicts

    def _contexts(self, windows: list[Window]) -> list[SeriesData]:
        """Every series' context in one store read (none when no model wants context)."""
        if not any(w.n > 0 for w in windows):
            return [SeriesData(np.empty(0), np.empty(0)) for _ in windows]
        return self.store.last_points_many(windows)

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
