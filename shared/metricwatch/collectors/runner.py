"""Running a collector: deadline, points stamped with the scheduled time, no duplicates, one batch.

Cloud Scheduler retries a failed run with the same `X-CloudScheduler-ScheduleTime`,
and a time-series collection cannot have a unique index, so points are stamped
with that time and a series that already has a point at it is skipped: a retry
stores only what the failed attempt did not.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import datetime
from typing import Any, Iterable, Mapping

from metricwatch.collectors import resolve
from metricwatch.collectors.base import CollectFn, Context, Sample
from metricwatch.collectors.http import HttpClient
from metricwatch.errors import ConfigError, InvalidInput, MetricwatchError, SourceUnavailable
from metricwatch.ingest import describe, score_and_store
from metricwatch.points import Point, parse_labels, parse_name, parse_value
from metricwatch.runtime import Runtime

log = logging.getLogger(__name__)


def within_deadline(name: str, fn: CollectFn, ctx: Context, seconds: float) -> list[Sample]:
    """Run `fn` but answer by the deadline: a run past it is a 502, whatever the source is doing.

    The collector runs in a daemon thread that is never joined: one hung past the
    deadline is abandoned (it ends at its own call timeout, or with the process),
    and cannot hold up the answer nor the interpreter's exit (Ctrl-C on `make run`).
    """
    answer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            answer.put((True, list(fn(ctx))))
        except Exception as exc:  # handed to the caller, who decides what it means
            answer.put((False, exc))

    threading.Thread(target=work, name=f"collect-{name}", daemon=True).start()
    try:
        ok, result = answer.get(timeout=seconds)
    except queue.Empty:
        raise SourceUnavailable(f"collector {name!r} did not finish within its {seconds:g}s deadline") from None
    if ok:
        return result
    if isinstance(result, MetricwatchError):
        raise result
    # an unexpected answer shape is the source's problem: 502, retried
    log.error("collector %s failed", name, exc_info=result)
    raise SourceUnavailable(f"collector {name!r} failed: {type(result).__name__}: {result}") from None


def to_points(name: str, samples: Iterable[Sample], at: datetime) -> tuple[list[Point], list[dict[str, Any]]]:
    """Validated points stamped `at`, exactly one per series, and the samples refused, each saying why.

    A bad sample (no value for one group, an over-long label) costs that sample
    only: the others are stored, and the refused ones are logged as errors and
    listed in the run's answer. Only when every sample is bad is the run a 502:
    then the source itself is wrong. Two samples of the same series in one run
    are a ConfigError (500) naming the series, never a silent drop: both would
    be stamped with the same time, so one value would be lost. It is the
    collector's definition that cannot tell its results apart (an aggregation
    whose results carry no distinguishing field, labels that overwrite each
    other, code returning a series twice); retrying would give the same answer,
    so it is not a 502 but an error to fix in the collector.
    """
    points: dict[str, Point] = {}
    rejected: list[dict[str, Any]] = []
    for s in samples:
        try:
            p = Point(parse_name(s.name), parse_value(s.value), at, parse_labels(dict(s.labels)))
        except InvalidInput as exc:
            rejected.append(_refused(s, exc.message))
            log.error("collector %s: refused a sample: %s", name, rejected[-1])
            continue
        if p.series in points:
            raise ConfigError(f"collector {name!r} produced two samples of the series {p.series[:300]} in one run; "
                              "give each result labels that tell it apart", series=p.series[:300])
        points[p.series] = p
    if rejected and not points:
        raise SourceUnavailable(f"collector {name!r} produced no valid sample; the first: {rejected[0]['error']}",
                                rejected=rejected[:20])
    return list(points.values()), rejected


def _refused(sample: Sample, why: str) -> dict[str, Any]:
    """A refused sample as the answer lists it, cut short: what was refused may be huge."""
    labels = {str(k)[:100]: str(v)[:100] for k, v in dict(sample.labels).items()}
    return {"name": str(sample.name)[:200], "labels": labels, "error": why}


def run_collector(runtime: Runtime, name: str, at: datetime, environ: Mapping[str, str]) -> dict[str, Any]:
    """Collect, drop series already stored at `at`, score and store the rest; a JSON summary."""
    settings, started = runtime.settings, time.monotonic()
    fn = resolve(name, settings)
    deadline = started + settings.collect_deadline_seconds
    with HttpClient(settings.source_timeout_seconds, deadline) as http:  # closed even when cut off
        ctx = Context(now=at, settings=settings, environ=environ, http=http)
        samples = within_deadline(name, fn, ctx, settings.collect_deadline_seconds)
    points, rejected = to_points(name, samples, at)
    existing = runtime.store.existing_series_at([p.series for p in points], at)
    fresh = [p for p in points if p.series not in existing]
    stored, incidents = score_and_store(runtime.detector, fresh, runtime.incidents) if fresh else ([], {})
    summary = {"collector": name, "schedule_time": at.isoformat(), "stored": len(stored),
               "duplicates_skipped": len(points) - len(fresh),
               "anomalies": sum(1 for s in stored if s.verdict and s.verdict.get("anomaly") == -1),
               "incidents": incidents, "points": [describe(s) for s in stored], "seconds": round(time.monotonic() - started, 3)}
    if rejected:
        summary["rejected"] = rejected
    log.info("collector %s at %s: %d stored, %d duplicates skipped, %d refused", name, at.isoformat(), len(stored),
             len(points) - len(fresh), len(rejected))
    return summary
