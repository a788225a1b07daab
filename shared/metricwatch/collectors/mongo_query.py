"""The `mongo_query` kind: a count, or an aggregation, over a collection of the user's database.

`count` is a filter: one point whose value is the number of matching documents.
`aggregate` is a pipeline: one point per result document, its `value` field
the value and its other fields extra labels. `_id`, where `$group` puts the
group key, becomes labels too: a scalar `_id` (`{"_id": "$status"}`) the label
`group`, a document `_id` (`{"_id": {"status": "$status"}}`) one label per
field, a null `_id` (one group of everything) none. To name the label yourself,
`$project` it (`{"_id": 0, "status": "$_id", "value": 1}`). The result's own
labels win over the entry's `labels`, which only fill in. Two results with the
same labels are an error of the run (see `runner.to_points`), never one dropped.
With `time_field` and `window_minutes`, only documents with time_field in the
window ending at the scheduled time count (a `$match` placed first).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from metricwatch.collectors.base import Context, Sample
from metricwatch.collectors.http_json import number
from metricwatch.errors import ConfigError, SourceUnavailable

PARAMS = {"url", "database", "collection", "count", "aggregate", "time_field", "window_minutes"}


def check(where: str, params: dict[str, Any]) -> None:
    for key in ("url", "database", "collection"):
        if not isinstance(params.get(key), str) or not params[key]:
            raise ConfigError(f"{where}: mongo_query needs param {key!r} (a string)")
    if ("count" in params) == ("aggregate" in params):
        raise ConfigError(f"{where}: mongo_query needs exactly one of 'count' (a filter) or 'aggregate' (a pipeline)")
    if not isinstance(params.get("count", {}), dict) or not isinstance(params.get("aggregate", []), list):
        raise ConfigError(f"{where}: mongo_query 'count' must be an object, 'aggregate' a list of stages")
    if ("time_field" in params) != ("window_minutes" in params):
        raise ConfigError(f"{where}: mongo_query 'time_field' and 'window_minutes' go together")
    window = params.get("window_minutes", 1)
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 < window < 1e7:
        raise ConfigError(f"{where}: mongo_query 'window_minutes' must be a positive number of minutes (under 10 million)")
    if not isinstance(params.get("time_field", "t"), str) or not params.get("time_field", "t"):
        raise ConfigError(f"{where}: mongo_query 'time_field' must be a field name (a string)")


def _window(params: dict[str, Any], ctx: Context) -> dict[str, Any]:
    if "time_field" not in params:
        return {}
    since = ctx.now - timedelta(minutes=float(params["window_minutes"]))
    return {params["time_field"]: {"$gte": since, "$lt": ctx.now}}


def _query(entry: Any, ctx: Context, collection: Any, timeout_ms: int) -> list[Sample]:
    params, window = entry.params, _window(entry.params, ctx)
    if "count" in params:
        n = collection.count_documents({**params["count"], **window}, maxTimeMS=timeout_ms)
        return [Sample(entry.metric, n, entry.labels)]
    pipeline = ([{"$match": window}] if window else []) + params["aggregate"]
    samples = []
    for doc in collection.aggregate(pipeline, maxTimeMS=timeout_ms):
        samples.append(Sample(entry.metric, number(doc.get("value"), "an aggregation result's 'value'"),
                              {**entry.labels, **result_labels(doc)}))
    return samples


def result_labels(doc: dict[str, Any]) -> dict[str, str]:
    """An aggregation result's labels: its fields but `value`, with `_id` spread or named `group`."""
    group = doc.get("_id")
    by_id = {k: str(v) for k, v in group.items()} if isinstance(group, dict) else (
        {} if group is None else {"group": str(group)})
    return {**by_id, **{k: str(v) for k, v in doc.items() if k not in ("_id", "value")}}


def collect(entry: Any, ctx: Context) -> list[Sample]:
    from pymongo.errors import PyMongoError

    timeout = ctx.http.timeout_s
    client = ctx.mongo_client(entry.resolved_url(ctx.environ), timeout)
    try:
        collection = client[entry.params["database"]][entry.params["collection"]]
        return _query(entry, ctx, collection, int(timeout * 1000))
    except PyMongoError as exc:
        raise SourceUnavailable(f"{entry.name}: MongoDB query failed: {type(exc).__name__}: {exc}") from None
    finally:
        client.close()
