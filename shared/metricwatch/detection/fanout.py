"""A training run trained here, or cut into shards for parallel instances when it would not fit.

One instance trains a series in about `series_seconds` (`make bench-trainer`). A run
whose listing would take it longer than its deadline allows is cut into shards
(`detection/shards.py`) and handed to a dispatcher (`detection/dispatch/`): Cloud
Tasks when deployed, this process under `make run`. Each shard is trained by
`train_shard`, wherever it runs, with the run's time as its "trained since" rule
and its own deadline, so its retries continue where it stopped and never train a
series twice. A run that fits is trained here, exactly as before sharding existed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from metricwatch.detection.dispatch import Dispatched, ShardDispatcher
from metricwatch.detection.shards import ShardPlan, Shard, cut, plan, series_bytes
from metricwatch.detection.training import Series, TrainSummary

if TYPE_CHECKING:
    from metricwatch.detection.detector import Detector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sharding:
    """What deciding to cut a run needs: where shards go, and the settings that size them."""

    dispatcher: ShardDispatcher
    series_seconds: float  # TRAIN_SERIES_SECONDS
    deadline: float  # TRAIN_DEADLINE_SECONDS, of this run and of each shard
    max_shards: int  # TRAIN_MAX_SHARDS


def train_run(detector: Detector, sharding: Sharding, metric: str | None, trained_since: datetime | None,
              workers: int, started: float) -> TrainSummary:
    """One run (every watched metric, or `metric`): trained here if it fits the deadline, else sharded.

    The shards are cut from the whole listing, trained or not, so a retry of this run that
    lists the same series cuts the same shards (and a queue refuses them as duplicates);
    shards whose every series was trained since `trained_since` are not sent again.
    """
    summary = TrainSummary()
    listing = detector.listing(metric, summary)
    if listing is None:
        return detector.finish(summary, started)
    keys = [(watched.name, labels) for watched, labels in listing]
    shard_plan = plan(len(keys), sharding.series_seconds, sharding.deadline, sharding.max_shards,
                      max(map(series_bytes, keys), default=0))
    if shard_plan.shards == 1:
        queue = detector.stalest_first(listing, trained_since, summary)
        detector.run_queue(queue, summary, started, sharding.deadline, workers)
        return detector.finish(summary, started)
    shards = cut(keys, trained_since or detector.clock(), shard_plan)
    if trained_since is not None:
        shards = _not_done(detector, listing, shards, trained_since, summary)
    log.info("training %d series in %d shards of at most %d (about %.0f s in one instance) via %s",
             shard_plan.series, shard_plan.shards, shard_plan.size, shard_plan.one_instance_seconds,
             sharding.dispatcher.kind)
    dispatched = sharding.dispatcher.dispatch(shards)
    summary.fan_out = _fan_out_report(shard_plan, len(shards), dispatched, sharding.dispatcher.kind)
    for part in dispatched.summaries:
        _add(summary, part)
    return detector.finish(summary, started)


def train_shard(detector: Detector, shard: Shard, time_budget: float, workers: int) -> TrainSummary:
    """Train one shard: the series its run did not train since the run's time, stalest first.

    `time_budget`: the seconds it has (TRAIN_DEADLINE_SECONDS on its own instance; what is left
    of the run's when it runs in the run's process). None spent, nothing starts.
    """
    if time_budget <= 0:
        summary = TrainSummary()
        summary.stop("the run's time budget was spent before this shard started; its retry trains it",
                     len(shard.series), logging.WARNING)
        return summary
    return detector.train_listed(shard.series, trained_since=shard.run, time_budget=time_budget, workers=workers)


def _not_done(detector: Detector, listing: list[Series], shards: list[Shard], since: datetime,
              summary: TrainSummary) -> list[Shard]:
    """The shards with a series not trained since `since` (a retry of the run); the trained ones counted."""
    stale = {(w.name, tuple(labels.items())) for w, labels in detector.stalest_first(listing, since, summary)}
    return [s for s in shards if any((name, tuple(labels.items())) in stale for name, labels in s.series)]


def _fan_out_report(shard_plan: ShardPlan, sent: int, dispatched: Dispatched, kind: str) -> dict[str, object]:
    return {"dispatch": kind, "series": shard_plan.series, "shards": shard_plan.shards, "shard_size": shard_plan.size,
            "sent": sent, "queued": dispatched.created, "already_queued": dispatched.existing,
            "one_instance_seconds": round(shard_plan.one_instance_seconds, 1), "capped": shard_plan.capped,
            "pending": dispatched.pending}


def _add(summary: TrainSummary, part: TrainSummary) -> None:
    """A shard's outcome into its run's: lists extend; a stopped shard stops the run's answer too.

    `already_trained` stays the run's own count: the run counted those series before cutting.
    """
    summary.merge(part)
    if part.stopped is None:
        return
    if summary.stopped is None:
        summary.stop(part.stopped, part.not_reached, part.stop_level)
        return
    counts = (summary.not_reached, part.not_reached)
    not_reached = None if None in counts else sum(counts)  # type: ignore[arg-type]
    worse = part.stop_level > summary.stop_level  # an outage is the news over a spent budget
    summary.stop(part.stopped if worse else summary.stopped, not_reached, max(part.stop_level, summary.stop_level))
