"""GET /query: read stored points back, with their verdicts, a bounded page at a time.

- `/query` (or `?list=metrics`): every metric with its label sets.
- `/query?metric=NAME`: its points in time order, optionally `labels` (JSON
  object or `k=v,k2=v2`; a point matches when its labels include these),
  `start` (inclusive) and `end` (exclusive) as ISO 8601 or epoch seconds,
  `limit` (at most QUERY_MAX_POINTS, the default). When more points follow,
  `next` is a cursor: repeat the same query with `cursor=<next>`.
- `step` (a duration: `30s`, `5m`, `1h`) or `max_points` (a budget per series)
  downsample on the server instead (`metricwatch.downsample`): per series, per
  bucket, the mean, min, max and count of the values, the anomalies and peak
  score, and the band. `anomalies=only` keeps only the points whose verdict was -1.

Same conventions as push: a PUSH_TOKENS bearer token with the `read` scope, JSON errors naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone
from typing import Any

from metricwatch.alerting.durations import show
from metricwatch.api.auth import bearer_token
from metricwatch.api.http import endpoint
from metricwatch.errors import InvalidInput
from metricwatch.api.params import only_params, parse_label_filter, parse_limit, parse_metric, parse_resolution, parse_time
from metricwatch.downsample import downsample
from metricwatch.ingest import describe
from metricwatch.runtime import Runtime

PARAMS = {"metric", "labels", "start", "end", "limit", "cursor", "list", "step", "max_points", "anomalies"}
PAGING = ("limit", "cursor")


def encode_cursor(after: tuple[datetime, str] | None) -> str | None:
    if after is None:
        return None
    raw = json.dumps([after[0].astimezone(timezone.utc).isoformat(), after[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str | None) -> tuple[datetime, str] | None:
    if not raw:
        return None
    try:
        time, oid = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return datetime.fromisoformat(time), str(oid)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("'cursor' does not come from a previous page", field="cursor") from None


def _anomalies_only(raw: str | None) -> bool:
    if raw not in (None, "only", "all"):
        raise InvalidInput("'anomalies' can only be 'only' (points whose verdict was -1) or 'all'",
                           field="anomalies")
    return raw == "only"


def _points(args: Any, runtime: Runtime) -> dict[str, Any]:
    name = parse_metric(args["metric"])
    labels = parse_label_filter(args.get("labels"))
    start, end = parse_time(args.get("start"), "start"), parse_time(args.get("end"), "end")
    if start and end and start >= end:
        raise InvalidInput("'start' must be before 'end'", field="start")
    only = _anomalies_only(args.get("anomalies"))
    settings = runtime.settings
    resolution = parse_resolution(args.get("step"), args.get("max_points"), settings.query_max_points)
    if resolution is not None:
        paging = next((p for p in PAGING if args.get(p)), None)
        if paging:
            raise InvalidInput(f"{paging!r} pages raw points; a downsampled answer ('step', 'max_points') "
                               "is bounded and comes whole", field=paging)
        page = downsample(runtime.store, name, labels, start, end, resolution, max_points=settings.query_max_points,
                          max_rows=settings.query_max_buckets, anomalies_only=only)
        return {"metric": name, "labels": labels, "step": show(page.step), "step_seconds": page.step.total_seconds(),
                "series": [{"labels": s.labels, "buckets": [b.to_dict() for b in s.buckets]} for s in page.series]}
    limit = parse_limit(args.get("limit"), settings.query_max_points)
    page = runtime.store.find_points(name, labels, start, end, limit, decode_cursor(args.get("cursor")), only)
    return {"metric": name, "labels": labels, "count": len(page.points),
            "points": [describe(s) for s in page.points], "next": encode_cursor(page.after)}


@endpoint("GET", guard=bearer_token("read"))
def query(request: Any, runtime: Runtime) -> Any:
    only_params(request.args, PARAMS)
    if request.args.get("list", "metrics") != "metrics":
        raise InvalidInput("'list' can only be 'metrics'", field="list")
    listing = "metric" not in request.args or "list" in request.args
    ignored = sorted(set(request.args) - {"list", "metric"})
    if listing and ignored:  # a filter the listing would silently ignore
        why = ("'list=metrics' takes no filters" if "list" in request.args else
               "it filters one metric's points (without 'metric', /query lists the metrics)")
        raise InvalidInput(f"{ignored[0]!r} needs 'metric' and no 'list': {why}", field=ignored[0])
    if listing:
        metrics = runtime.store.metrics()
        return {"metrics": [{"name": n, "label_sets": sets} for n, sets in metrics.items()]}
    return _points(request.args, runtime)
