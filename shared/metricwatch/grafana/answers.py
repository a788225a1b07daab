"""Our buckets, anomalies and incidents in the shapes Grafana's JSON plugins expect.

- a series: `{"target": "cpu{host=\\"a\\"}", "datapoints": [[value, epoch_ms], ...], "refId": "A"}`,
  one per matching series and asked field; a field other than `value` is named after
  it (`cpu{host="a"} expected`), and `value` after a non-mean aggregate (`... max`).
  A datapoint is a bucket: its start in epoch milliseconds and, for `value`, the mean
  of its points. A bucket with no value for the field (`expected`, the band, `score`
  before a model scored the series) is left out rather than sent as null, as buckets
  with no points are: the line is drawn the same way across both.
- an annotation: `{"time", "timeEnd", "isRegion", "title", "text", "tags"}` in epoch ms,
  plus SimpleJSON's echoed `annotation`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from metricwatch.alerting.history import IncidentSpan
from metricwatch.grafana.bodies import FIELDS, SHAPES, Target
from metricwatch.grafana.selectors import series_name
from metricwatch.store.buckets import EPOCH, Bucket, SeriesBuckets
from metricwatch.timeutil import as_utc

MS = timedelta(milliseconds=1)
FIELD_LABELS = {"value": "value (the bucket's mean, or its aggregate)", "expected": "expected (the model's)",
                "lower": "lower bound of the band", "upper": "upper bound of the band",
                "score": "peak anomaly score", "anomalies": "anomalous points", "count": "points"}
AGGREGATE_LABELS = {"mean": "mean", "min": "min", "max": "max"}
SHAPE_LABELS = {"series": "series (datapoints)", "annotations": "annotations (anomalies and incidents)"}
# The JSON plugin's builder mode draws these as the inputs of every metric (see /metrics).
PAYLOADS = [
    {"label": "Labels", "name": "labels", "type": "input", "width": 40,
     "placeholder": 'matchers: host="a", region=~"eu-.*"'},
    {"label": "Fields", "name": "fields", "type": "multi-select", "placeholder": "value",
     "options": [{"label": FIELD_LABELS[f], "value": f} for f in FIELDS]},
    {"label": "Aggregate", "name": "aggregate", "type": "select", "placeholder": "mean",
     "options": [{"label": label, "value": name} for name, label in AGGREGATE_LABELS.items()]},
    {"label": "As", "name": "as", "type": "select", "placeholder": "series",
     "options": [{"label": SHAPE_LABELS[s], "value": s} for s in SHAPES]},
]
# An annotation as a table row: Grafana reads annotations from frames by these field names.
ANNOTATION_COLUMNS = [{"text": "time", "type": "time"}, {"text": "timeEnd", "type": "time"},
                      {"text": "title", "type": "string"}, {"text": "text", "type": "string"},
                      {"text": "tags", "type": "string"}]


def epoch_ms(ts: datetime) -> int:
    return (as_utc(ts) - EPOCH) // MS


def _value(bucket: Bucket, field: str, aggregate: str) -> float | int | None:
    if field == "value":
        return {"mean": bucket.mean, "min": bucket.min, "max": bucket.max}[aggregate]
    return getattr(bucket, field)


def _suffix(field: str, aggregate: str) -> str:
    return ("" if aggregate == "mean" else aggregate) if field == "value" else field


def timeseries(target: Target, series: Iterable[SeriesBuckets]) -> list[dict[str, Any]]:
    """One entry per series and field, fields in the order asked, series in the store's order."""
    out = []
    for one in series:
        for field in target.fields:
            points = [[v, epoch_ms(b.time)] for b in one.buckets if (v := _value(b, field, target.aggregate)) is not None]
            entry: dict[str, Any] = {"target": series_name(target.metric, one.labels, _suffix(field, target.aggregate)),
                                     "datapoints": points}
            if target.ref_id:
                entry["refId"] = target.ref_id
            out.append(entry)
    return out


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.4g}"


def _tags(kind: str, metric: str, labels: Mapping[str, str], *more: str) -> list[str]:
    return [kind, *more, metric, *(f"{k}={v}" for k, v in sorted(labels.items()))]


def _annotation(start_ms: int, end_ms: int, title: str, text: str, tags: list[str],
                echo: dict[str, Any] | None) -> dict[str, Any]:
    item: dict[str, Any] = {"time": start_ms, "timeEnd": end_ms, "isRegion": end_ms > start_ms,
                            "title": title, "text": text, "tags": tags}
    if echo is not None:
        item["annotation"] = echo
    return item


def _runs(buckets: list[Bucket], step_ms: int) -> list[list[Bucket]]:
    """Anomalous buckets grouped into runs of adjacent ones: one annotation per anomalous stretch."""
    runs: list[list[Bucket]] = []
    for bucket in buckets:
        if runs and epoch_ms(bucket.time) == epoch_ms(runs[-1][-1].time) + step_ms:
            runs[-1].append(bucket)
        else:
            runs.append([bucket])
    return runs


def anomalies(metric: str, series: SeriesBuckets, step: timedelta, echo: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A series' anomalous points (buckets of anomalies only) as regions, one per run of buckets."""
    step_ms, out = step // MS, []
    for run in _runs(series.buckets, step_ms):
        count = sum(b.count for b in run)
        scores = [b.score for b in run if b.score is not None]
        lowers = [b.lower for b in run if b.lower is not None]
        uppers = [b.upper for b in run if b.upper is not None]
        expected = [b.expected for b in run if b.expected is not None]
        name = series_name(metric, series.labels)
        low, high = min(b.min for b in run), max(b.max for b in run)
        text = (f"{count} anomalous point{'s' if count > 1 else ''}: value "
                + (_num(low) if low == high else f"{_num(low)} to {_num(high)}")
                + (f", expected {_num(sum(expected) / len(expected))}" if expected else "")
                + (f", band {_num(min(lowers))} to {_num(max(uppers))}" if lowers and uppers else "")
                + (f", peak score {_num(max(scores))}" if scores else ""))
        out.append(_annotation(epoch_ms(run[0].time), epoch_ms(run[-1].time) + step_ms, f"{name}: anomaly", text,
                               _tags("anomaly", metric, series.labels), echo))
    return out


def incident(span: IncidentSpan, window_end: datetime, echo: dict[str, Any] | None) -> dict[str, Any]:
    """An incident as a region from its first anomalous point to the point that resolved it
    (a firing one runs to the end of the range asked for)."""
    what = "no data" if span.kind == "no_data" else "anomaly"
    title = f"{series_name(span.metric, span.labels)}: {what} incident, {span.status}"
    text = f"{span.status} since {span.start.isoformat()}" if span.end is None else \
        f"from {span.start.isoformat()} to {span.end.isoformat()}"
    peak = span.peak or {}
    if peak.get("score") is not None:
        text += f"; peak score {_num(peak['score'])}"
        if peak.get("value") is not None:
            text += f", value {_num(peak['value'])}"
        if peak.get("expected") is not None:
            text += f" (expected {_num(peak['expected'])}"
            text += f", band {_num(peak.get('lower'))} to {_num(peak.get('upper'))})" \
                if peak.get("lower") is not None else ")"
        if peak.get("model"):
            text += f", model {peak['model']}"
    start = epoch_ms(span.start)
    end = max(epoch_ms(span.end or window_end), start)
    tags = _tags("incident", span.metric, span.labels, span.status, *(["no_data"] if span.kind == "no_data" else []))
    return _annotation(start, end, title, text, tags, echo)


def annotation_table(items: list[dict[str, Any]], ref_id: str | None) -> dict[str, Any]:
    """Annotations as the JSON plugin's /query answers them: one table, tags joined by commas."""
    table: dict[str, Any] = {"type": "table", "columns": ANNOTATION_COLUMNS,
                             "rows": [[a["time"], a["timeEnd"], a["title"], a["text"], ",".join(a["tags"])]
                                      for a in items]}
    if ref_id:
        table["refId"] = ref_id
    return table


def metric_options(names: Iterable[str]) -> list[dict[str, Any]]:
    """POST /metrics (JSON plugin): each metric with the payload inputs of its query row."""
    return [{"label": name, "value": name, "payloads": PAYLOADS} for name in names]


def payload_options(name: str) -> list[dict[str, str]]:
    """POST /metric-payload-options: the options of the `fields`, `aggregate` or `as` input."""
    return next(p["options"] for p in PAYLOADS if p["name"] == name)


def tag_keys(label_sets: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    return [{"type": "string", "text": k} for k in sorted({k for labels in label_sets for k in labels})]


def tag_values(label_sets: Iterable[Mapping[str, str]], key: str) -> list[dict[str, str]]:
    return [{"text": v} for v in sorted({labels[key] for labels in label_sets if key in labels})]
