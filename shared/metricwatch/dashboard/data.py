"""What the dashboard's pages draw, as JSON: the overview of every series, and one series in detail.

Both are built from the same downsampled reads as /query (`metricwatch.downsample`),
so a week of minute points comes back as a few hundred buckets sized to the
chart's width, never as raw points. Columns (one array per field, times in
epoch seconds) rather than one object per bucket: that is what uPlot draws
from, so the page passes them on without reshaping.

A label filter matches every series whose labels *include* it, as in /query;
a page shows one series, so its buckets, incidents, feedback and model are kept to the
series whose label set is exactly the one asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from metricwatch.alerting.durations import show
from metricwatch.alerting.history import IncidentSpan, firing, incidents_between
from metricwatch.downsample import Resolution, downsample
from metricwatch.errors import InvalidInput, NotFound
from metricwatch.feedback.service import of_series
from metricwatch.runtime import Runtime
from metricwatch.series import series_id
from metricwatch.store.buckets import EPOCH, Bucket, BucketsPage

SPARK_WINDOW = timedelta(hours=24)
SPARK_POINTS = 60  # a sparkline is ~160 px wide: 30-minute buckets over a day
MAX_OVERVIEW_SERIES = 500  # each costs one indexed "last point" read
LATEST_SCAN = 5000  # most raw points read to find the latest one's model
MAX_MARKED = 2000  # most anomalous raw points read to place the markers
COLUMNS = ("mean", "min", "max", "count", "anomalies", "score", "expected", "lower", "upper")


def epoch(t: datetime) -> float:
    return (t - EPOCH).total_seconds()


def columns(buckets: Iterable[Bucket]) -> dict[str, list[Any]]:
    """Buckets as uPlot's data layout: `time` plus one array per field, None where a field is unknown."""
    rows = list(buckets)
    out: dict[str, list[Any]] = {"time": [epoch(b.time) for b in rows]}
    out.update({name: [getattr(b, name) for b in rows] for name in COLUMNS})
    return out


@dataclass(frozen=True)
class SeriesRequest:
    """One series over [start, end), at most `max_points` buckets (already capped to QUERY_MAX_POINTS)."""

    metric: str
    labels: dict[str, str]
    start: datetime
    end: datetime
    max_points: int


def _own(spans: Iterable[IncidentSpan], key: str) -> list[dict[str, Any]]:
    return [s.to_dict() for s in spans if series_id(s.metric, s.labels) == key]


def _exact(page: BucketsPage, metric: str, key: str) -> list[Bucket]:
    return next((s.buckets for s in page.series if series_id(metric, s.labels) == key), [])


def _extreme(bucket: Bucket) -> float:
    """A bucket's value farthest from its expected one: where its anomalous point most likely lies."""
    centre = bucket.expected if bucket.expected is not None else bucket.mean
    return bucket.max if bucket.max - centre >= centre - bucket.min else bucket.min


def _anomalies(runtime: Runtime, ask: SeriesRequest, page: BucketsPage, key: str,
               buckets: list[Bucket]) -> list[dict[str, Any]]:
    """One marker per anomalous bucket, at the bucket's time (where the line has a point) and the value of
    its most deviant anomalous point, read raw: a bucket's mean would hide a spike among normal points.

    Every matched series' anomalies are read, so the query is exactly as large as their buckets count,
    at most `MAX_MARKED`; a bucket whose points were not read is marked at its extreme value.
    """
    wanted = sum(b.anomalies for s in page.series for b in s.buckets)
    if not any(b.anomalies for b in buckets):
        return []
    found = runtime.store.find_points(ask.metric, ask.labels, ask.start, ask.end, min(wanted, MAX_MARKED),
                                      anomalies_only=True).points
    worst: dict[datetime, tuple[float, Any]] = {}
    for stored in found:
        if series_id(ask.metric, stored.point.labels) != key:
            continue
        at = EPOCH + (stored.point.timestamp - EPOCH) // page.step * page.step
        verdict = stored.verdict or {}
        centre = verdict.get("expected")
        deviation = abs(stored.point.value - centre) if isinstance(centre, (int, float)) else 0.0
        if at not in worst or deviation > worst[at][0]:
            worst[at] = (deviation, stored)
    out = []
    for bucket in buckets:
        if not bucket.anomalies:
            continue
        marker = {"time": epoch(bucket.time), "count": bucket.anomalies, "score": bucket.score}
        if bucket.time in worst:
            stored = worst[bucket.time][1]
            verdict = stored.verdict or {}
            marker.update(at=epoch(stored.point.timestamp), value=stored.point.value,
                          **{k: verdict.get(k) for k in ("expected", "lower", "upper", "model")})
        else:
            marker.update(at=None, value=_extreme(bucket), expected=bucket.expected, lower=bucket.lower,
                          upper=bucket.upper, model=None)
        out.append(marker)
    return out


def _latest_model(runtime: Runtime, ask: SeriesRequest, page: BucketsPage, key: str,
                  buckets: list[Bucket]) -> str | None:
    """The model named by the series' latest point in range: buckets carry no model, raw points do.

    Only the last bucket's points are read: across the matched series there are
    exactly as many as those buckets count, so the last one of ours is the latest.
    """
    if not buckets:
        return None
    last = buckets[-1]
    total = sum(b.count for s in page.series for b in s.buckets if b.time == last.time)
    found = runtime.store.find_points(ask.metric, ask.labels, last.time, min(last.time + page.step, ask.end),
                                      min(total, LATEST_SCAN)).points
    mine = [p for p in found if series_id(ask.metric, p.point.labels) == key]
    return (mine[-1].verdict or {}).get("model") if mine else None


def series_view(runtime: Runtime, ask: SeriesRequest) -> dict[str, Any]:
    """One series' buckets, anomalies, incident spans, feedback ranges, model and the metric's other label sets."""
    key = series_id(ask.metric, ask.labels)
    label_sets = runtime.store.label_sets(ask.metric, EPOCH)
    if not any(series_id(ask.metric, ls) == key for ls in label_sets):
        what = f"metric {ask.metric!r}" + (f" with labels {ask.labels}" if ask.labels else " without labels")
        raise NotFound(f"no series of {what}", field="labels" if label_sets else "metric", label_sets=label_sets)
    settings = runtime.settings
    limits = {"max_points": settings.query_max_points, "max_rows": settings.query_max_buckets}
    page = downsample(runtime.store, ask.metric, ask.labels, ask.start, ask.end,
                      Resolution(max_points=ask.max_points), **limits)
    buckets = _exact(page, ask.metric, key)
    model = _latest_model(runtime, ask, page, key, buckets)
    incidents = _own(incidents_between(runtime.alerts, ask.metric, ask.labels, ask.start, ask.end), key)
    if model is None:  # no verdict on the latest point: the model that scored the latest incident's peak
        model = next((i["peak"].get("model") for i in reversed(incidents) if i["peak"]), None)
    return {"metric": ask.metric, "labels": ask.labels, "start": ask.start.isoformat(), "end": ask.end.isoformat(),
            "step": show(page.step), "step_seconds": page.step.total_seconds(), "model": model,
            "points": columns(buckets), "anomalies": _anomalies(runtime, ask, page, key, buckets),
            "incidents": incidents, "label_sets": label_sets,
            "feedback": of_series(runtime, ask.metric, ask.labels, ask.start, ask.end)}


def _sparklines(runtime: Runtime, name: str, start: datetime, end: datetime) -> dict[str, list[Bucket]] | None:
    """Every series of `name` over the window in one aggregation; None if that is more than a query may return."""
    settings = runtime.settings
    try:
        page = downsample(runtime.store, name, {}, start, end, Resolution(max_points=SPARK_POINTS),
                          max_points=settings.query_max_points, max_rows=settings.query_max_buckets)
    except InvalidInput:  # too many series for one answer: the rows still list, without their lines
        return None
    return {series_id(name, s.labels): s.buckets for s in page.series}


def _last(runtime: Runtime, name: str, labels: dict[str, str], now: datetime) -> dict[str, Any] | None:
    last = runtime.store.latest_point(name, labels, now + timedelta(hours=1))  # pushes may run slightly ahead
    if last is None:
        return None
    return {"time": last.point.timestamp.timestamp(), "value": last.point.value}


def overview(runtime: Runtime, now: datetime) -> dict[str, Any]:
    """Every series with its last day as a sparkline, its last value and its firing incidents; those
    with firing incidents first (newest incident first), then by metric and labels."""
    start = now - SPARK_WINDOW
    spans = firing(runtime.alerts)  # newest first
    by_series: dict[str, list[IncidentSpan]] = {}
    for span in spans:
        by_series.setdefault(series_id(span.metric, span.labels), []).append(span)
    rank = {key: i for i, key in enumerate(by_series)}  # by its newest incident
    pairs = [(name, labels) for name, sets in runtime.store.metrics().items() for labels in sets]
    stored = {series_id(*pair) for pair in pairs}
    pairs += [(s.metric, s.labels) for s in spans  # a firing incident whose series has no points left
              if series_id(s.metric, s.labels) not in stored and by_series[series_id(s.metric, s.labels)][0] is s]
    order = sorted(range(len(pairs)), key=lambda i: (rank.get(series_id(*pairs[i]), len(rank)), i))
    shown = [pairs[i] for i in order[:MAX_OVERVIEW_SERIES]]
    lines = {name: _sparklines(runtime, name, start, now) for name in {n for n, _ in shown}}
    rows = []
    for name, labels in shown:
        key = series_id(name, labels)
        spark = lines[name]
        buckets = spark.get(key, []) if spark is not None else None
        rows.append({"metric": name, "labels": labels, "last": _last(runtime, name, labels, now),
                     "firing": [s.to_dict() for s in by_series.get(key, [])],
                     "spark": None if buckets is None else {
                         "time": [epoch(b.time) for b in buckets],
                         "value": [_extreme(b) if b.anomalies else b.mean for b in buckets],
                         "anomalies": [b.anomalies for b in buckets]}})
    return {"now": now.isoformat(), "start": start.isoformat(), "series": rows, "total": len(pairs),
            "truncated": len(pairs) > len(shown), "firing": len(spans)}
