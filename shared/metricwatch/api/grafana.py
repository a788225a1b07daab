"""The Grafana JSON data source API: paste the function's URL into Grafana as a data source.

Serves both plugins: JSON (simpod-json-datasource) and SimpleJSON
(grafana-simple-json-datasource). `GET /` is the connection test (it lists
the metrics, so a wrong token or an unreachable MongoDB shows there); every
other route is a POST with a JSON body (an empty body reads as `{}`):

- `/metrics` (JSON) and `/search` (SimpleJSON; also `/variable`): the metrics,
  or label names and values for template variables (`grafana/variables.py`);
- `/metric-payload-options`: the options of the `fields` and `aggregate` inputs;
- `/query`: per target, a downsampled series per matching series and field (or, with
  payload `as: annotations`, a table of annotations: how the JSON plugin asks for them);
- `/annotations` (SimpleJSON): the anomalies and incidents of `annotation.query`;
- `/tag-keys`, `/tag-values`: label names and values for ad hoc filters.

Same conventions as query: a PUSH_TOKENS bearer token with the `read` scope, JSON errors naming the field.
Routes are read with or without the function's name in front (`/grafana/query`,
`/query`), as the local runner and Cloud Functions hand them over.
"""

from __future__ import annotations

from typing import Any, Callable

from metricwatch.api.auth import bearer_token
from metricwatch.api.http import endpoint, read_json
from metricwatch.errors import MethodNotAllowed, NotFound
from metricwatch.grafana import answers, bodies, reads, variables
from metricwatch.runtime import Runtime

Route = Callable[[Any, Runtime], Any]


def _metrics(body: Any, runtime: Runtime) -> Any:
    bodies.as_object(body)
    return answers.metric_options(runtime.store.metrics())


def _search(body: Any, runtime: Runtime) -> Any:
    return variables.find(runtime.store.metrics(), bodies.search_text(body), "target")


def _variable(body: Any, runtime: Runtime) -> Any:
    found = variables.find(runtime.store.metrics(), bodies.variable_text(body), "payload")
    return [{"__text": v, "__value": v} for v in found]


def _tag_keys(body: Any, runtime: Runtime) -> Any:
    bodies.as_object(body)
    return answers.tag_keys(reads.label_sets(runtime))


ROUTES: dict[str, Route] = {
    "metrics": _metrics,
    "metric-payload-options": lambda body, runtime: answers.payload_options(bodies.payload_option(body)),
    "search": _search,
    "variable": _variable,
    "query": lambda body, runtime: reads.query(runtime, bodies.parse_query(body)),
    "annotations": lambda body, runtime: reads.annotations(runtime, bodies.parse_annotation_query(body)),
    "tag-keys": _tag_keys,
    "tag-values": lambda body, runtime: answers.tag_values(reads.label_sets(runtime), bodies.tag_key(body)),
}


def _body(request: Any, runtime: Runtime) -> Any:
    if not request.content_length and not request.mimetype:  # `curl -X POST .../metrics`
        return {}
    return read_json(request, runtime.settings.max_body_bytes)


def health(runtime: Runtime) -> dict[str, Any]:
    return {"status": "ok", "datasource": "metricwatch", "metrics": len(runtime.store.metrics())}


@endpoint("GET", "POST", guard=bearer_token("read"))  # POSTs are queries
def grafana(request: Any, runtime: Runtime) -> Any:
    parts = [p for p in request.path.split("/") if p]
    if parts[:1] == ["grafana"]:  # the local runner passes the path without the function's name
        parts = parts[1:]
    if not parts:
        if request.method != "GET":
            raise MethodNotAllowed(f"{request.method} is not allowed on /; GET / is the connection test, "
                                   f"the API is POST /{', POST /'.join(ROUTES)}")
        return health(runtime)
    if len(parts) != 1 or parts[0] not in ROUTES:
        raise NotFound(f"no such path {request.path[:200]!r}; see GET / and POST /{', POST /'.join(ROUTES)}")
    if request.method != "POST":
        raise MethodNotAllowed(f"{request.method} is not allowed on /{parts[0]}; use POST with a JSON body")
    return ROUTES[parts[0]](_body(request, runtime), runtime)
