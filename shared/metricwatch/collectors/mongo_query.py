"""The `mongo_query` kind: a count, or an aggregation, over a collection of the user's database.

`count` is a filter: one point whose value is the number of matching documents.
`aggregate` is a pipeline: one point per result document, its `value` field
the value and its other fields (except `_id`) extra labels. With `time_field`
and `window_minutes`, only documents with time_field in the window ending at
the scheduled time count (a `$match` placed first).
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
        extra = {k: str(v) for k, v in doc.items() if k not in ("_id", "value")}
        samples.append(Sample(entry.metric, number(doc.get("value"), "an aggregation result's 'value'"),
                              {**extra, **entry.labels}))
    return samples


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
