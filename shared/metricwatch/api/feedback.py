"""The feedback API: a person says what a range of a series was, and the next training learns it.

- `POST /feedback` with `{metric, labels, start, end, kind, comment, author}`: 201 and the record
  (404 when the series has no points: feedback on a typo would teach nothing, silently);
- `GET /feedback[?metric=NAME&labels=k=v&limit=N]`: the newest ranges first;
- `DELETE /feedback/<id>`: takes it back (the next training no longer uses it).

`ignore` (planned work) also mutes the series' alerts over the range's future part with a
silence, since the model was told not to learn from it and no one should be paged for it.
Training reads feedback at its next run (daily, or `POST /train?metric=NAME` now): this public
function holds no write access to the model bucket, by design.
Same conventions as push and query: a PUSH_TOKENS bearer token, JSON errors naming the field;
listing feedback is `read` (the dashboard shows it to `read` too); recording or taking it back is `admin`.
What each call does is `metricwatch.feedback.service`'s (the dashboard's buttons call it too);
this module only reads the HTTP request.
"""

from __future__ import annotations

from typing import Any

from metricwatch.api.auth import bearer_token
from metricwatch.api.http import endpoint, json_response, read_json
from metricwatch.api.params import only_params, parse_label_filter, parse_limit, parse_metric
from metricwatch.errors import InvalidInput, MethodNotAllowed, NotFound
from metricwatch.feedback.service import record, take_back
from metricwatch.runtime import Runtime
from metricwatch.timeutil import utcnow

SCOPE_BY_METHOD = {"GET": "read", "POST": "admin", "DELETE": "admin"}  # README, "Tokens and scopes"


def create(request: Any, runtime: Runtime) -> Any:
    body = read_json(request, runtime.settings.max_body_bytes)
    return json_response(record(runtime, body, utcnow()), 201)


def listing(request: Any, runtime: Runtime) -> dict[str, Any]:
    only_params(request.args, {"metric", "labels", "limit"})
    metric = parse_metric(request.args["metric"]) if request.args.get("metric") else None
    labels = parse_label_filter(request.args.get("labels"))
    if labels and metric is None:
        raise InvalidInput("'labels' needs 'metric'", field="labels")
    limit = parse_limit(request.args.get("limit"), 1000) if request.args.get("limit") else 100
    return {"feedback": [f.to_dict() for f in runtime.feedback.find(metric, labels, limit)]}


@endpoint("GET", "POST", "DELETE", guard=bearer_token(SCOPE_BY_METHOD))
def feedback(request: Any, runtime: Runtime) -> Any:
    parts = [p for p in request.path.split("/") if p]
    if parts[:1] == ["feedback"]:  # the local runner passes the path without the function's name
        parts = parts[1:]
    if len(parts) > 1:
        raise NotFound(f"no such path {request.path!r}; see POST/GET /feedback and DELETE /feedback/<id>")
    if parts and request.method == "DELETE":
        return take_back(runtime, parts[0])
    if parts:
        raise MethodNotAllowed(f"{request.method} is not allowed on /feedback/<id>; use DELETE")
    if request.method == "POST":
        return create(request, runtime)
    if request.method == "GET":
        return listing(request, runtime)
    raise MethodNotAllowed("DELETE needs an id: DELETE /feedback/<id>")
