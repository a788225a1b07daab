"""Grafana's requests as reads: the metric list once per request, then one downsampled read per target.

The step of a query is chosen as `/query?max_points=` chooses it (the smallest
nice step giving at most `min(maxDataPoints, QUERY_MAX_POINTS)` epoch-aligned
buckets over the range), then raised to `intervalMs` if the panel asks for a
coarser one (and, for a budget of one point, doubled until the range fits one
bucket), so no answered series has more datapoints than `maxDataPoints`. The
store gets the step itself (`Resolution(step=...)`), since it is ours to choose.

Annotations are the metric's anomalous points, downsampled (anomalies only,
about `ANNOTATION_BUCKETS` buckets over the range, so a noisy month is a bounded
answer, never a cut one), and its incidents: more than `MAX_INCIDENTS` in the
range is a 400 asking for a narrower one rather than a silently partial overlay.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from metricwatch.alerting.history import incidents_between
from metricwatch.alerting.matchers import Matcher, all_match
from metricwatch.downsample import Resolution, downsample
from metricwatch.errors import InvalidInput
from metricwatch.grafana import answers
from metricwatch.grafana.bodies import AnnotationQuery, Query, Window
from metricwatch.grafana.filters import equalities, plan
from metricwatch.runtime import Runtime
from metricwatch.store.buckets import EPOCH, BucketsPage, choose_step

ANNOTATION_BUCKETS = 500
MAX_INCIDENTS = 500
INCIDENTS_READ = 10 * MAX_INCIDENTS  # read before the regex and != matchers filter them


def touched(window: Window, step: timedelta) -> int:
    """How many epoch-aligned buckets of `step` the points of [start, end) can fall in."""
    ms = timedelta(milliseconds=1)
    step_ms = max(step // ms, 1)
    first, last = (window.start - EPOCH) // ms // step_ms, ((window.end - EPOCH) // ms - 1) // step_ms
    return last - first + 1


def since_1970(window: Window) -> Window | None:
    """The part of the range a point can be in (none is older than 1970: push refuses them); None if empty.

    Also what keeps a one-point budget possible: epoch-aligned buckets never span 1970-01-01.
    """
    if window.end <= EPOCH:
        return None
    return window if window.start >= EPOCH else Window(EPOCH, window.end)


def step_for(window: Window, budget: int, interval: timedelta | None) -> timedelta:
    """The smallest nice step giving at most `budget` buckets, or `interval` if coarser."""
    step = choose_step(window.start, window.end, max(budget, 2))
    if interval is not None and interval > step:
        step = interval
    while touched(window, step) > budget:  # only for a budget of 1: a range straddling a bucket edge
        step *= 2
    return step


def _downsample(runtime: Runtime, metric: str, labels: dict[str, str], window: Window, step: timedelta,
                field: str, anomalies_only: bool = False) -> BucketsPage:
    settings = runtime.settings
    try:
        return downsample(runtime.store, metric, labels, window.start, window.end, Resolution(step=step),
                          max_points=settings.query_max_points, max_rows=settings.query_max_buckets,
                          anomalies_only=anomalies_only)
    except InvalidInput as exc:
        if exc.details.get("field") != "labels":
            raise
        raise InvalidInput(f"'{field}' ({metric}) matches series with more than {settings.query_max_buckets} "
                           "buckets in all (QUERY_MAX_BUCKETS): narrow its labels or the ad hoc filters, shorten "
                           "the range, or lower the panel's max data points", field=field) from None


def query(runtime: Runtime, request: Query) -> list[dict[str, Any]]:
    """POST /query: a series entry per matching series and field of each target, targets in order;
    a target with payload `as: annotations` answers one table of annotations instead.

    A metric we do not have, or matchers no series passes, answers no entries
    (Grafana shows "No data") without reading any point.
    """
    window = since_1970(request.window)
    if window is None or not request.targets:
        return []
    metrics = runtime.store.metrics()
    most = runtime.settings.query_max_points
    step = step_for(window, min(request.max_points or most, most), request.interval)
    out: list[dict[str, Any]] = []
    for target in request.targets:
        field = f"targets[{target.index}]"
        if target.shape == "annotations":
            items = _annotate(runtime, metrics, window, target.metric, target.matchers, None, field)
            out.append(answers.annotation_table(items, target.ref_id))
            continue
        chosen = plan(metrics.get(target.metric, []), target.matchers)
        if chosen is None:
            continue
        page = _downsample(runtime, target.metric, chosen.labels, window, step, field)
        out.extend(answers.timeseries(target, [s for s in page.series if chosen.keeps(s.labels)]))
    return out


def annotations(runtime: Runtime, request: AnnotationQuery) -> list[dict[str, Any]]:
    """POST /annotations: the selected series' anomalies and incidents in the range, oldest first."""
    window = since_1970(request.window)
    if window is None:
        return []
    return _annotate(runtime, runtime.store.metrics(), window, request.metric, request.matchers, request.annotation,
                     "annotation.query")


def _annotate(runtime: Runtime, metrics: dict[str, list[dict[str, str]]], window: Window, metric: str,
              matchers: tuple[Matcher, ...], echo: dict[str, Any] | None, field: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    chosen = plan(metrics.get(metric, []), matchers)
    if chosen is not None:
        step = step_for(window, min(ANNOTATION_BUCKETS, runtime.settings.query_max_points), None)
        page = _downsample(runtime, metric, chosen.labels, window, step, field, anomalies_only=True)
        for series in page.series:
            if chosen.keeps(series.labels):
                out.extend(answers.anomalies(metric, series, step, echo))
    read = incidents_between(runtime.alerts, metric, equalities(matchers), window.start, window.end,
                             limit=INCIDENTS_READ)
    spans = [s for s in read if all_match(matchers, s.labels)]  # regexes and != after the read, as for series
    if len(spans) > MAX_INCIDENTS or len(read) == INCIDENTS_READ:
        raise InvalidInput(f"more than {MAX_INCIDENTS} incidents of {metric} overlap the range: "
                           "shorten it or narrow the annotation's query", field="range")
    out.extend(answers.incident(s, window.end, echo) for s in spans)
    return sorted(out, key=lambda a: (a["time"], a["title"]))


def label_sets(runtime: Runtime) -> list[dict[str, str]]:
    return [labels for sets in runtime.store.metrics().values() for labels in sets]
