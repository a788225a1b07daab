"""Pushing raw bodies to a path of the push function, and reading them back through /query."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from metricwatch.api.push import push
from metricwatch.api.query import query

# What `curl --data-binary @-` sends when no -H sets it.
CURL = "application/x-www-form-urlencoded"


def send(runtime: Any, path: str, data: bytes | str, content_type: str | None = CURL, method: str = "POST",
         query_string: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any, dict]:
    environ = EnvironBuilder(method=method, path=path, data=data, content_type=content_type,
                             query_string=query_string, headers=headers).get_environ()
    text, status, answer_headers = push(Request(environ), runtime=runtime)
    assert answer_headers["Content-Type"] == "application/json"
    return status, json.loads(text), answer_headers


def read(runtime: Any, metric: str, **labels: str) -> list[dict[str, Any]]:
    """The points of `metric` (with these labels) as GET /query answers them."""
    args = {"metric": metric}
    if labels:
        args["labels"] = json.dumps(labels)
    environ = EnvironBuilder(method="GET", path="/", query_string=args).get_environ()
    text, status, _ = query(Request(environ), runtime=runtime)
    assert status == 200, text
    return json.loads(text)["points"]


def values(runtime: Any, metric: str, **labels: str) -> list[tuple[dict[str, str], float]]:
    return [(p["labels"], p["value"]) for p in read(runtime, metric, **labels)]


def stored(collection: Any) -> int:
    return collection.count_documents({})
