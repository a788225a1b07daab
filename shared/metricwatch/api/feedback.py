"""The feedback API: a person says what a range of a series was, and the next training learns it.

- `POST /feedback` with `{metric, labels, start, end, kind, comment, author}`: 201 and the record
  (404 when the series has no points: feedback on a typo would teach nothing, silently);
- `GET /feedback[?metric=NAME&labels=k=v&limit=N]`: the newest ranges first;
- `DELETE /feedback/<id>`: takes it back (the next training no longer uses it).

`ignore` (planned work) also mutes the series' alerts over the range's future part with a
silence, since the model was told not to learn from it and no one should be paged for it.
Training reads feedback at its next run (daily, or `POST /train?metric=NAME` now): this public
function holds no write access to the model bucket, by design.
Same conventions as push and query: the PUSH_TOKENS bearer token, JSON errors naming the field.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from metricwatch.alerting.matchers import matcher
from metricwatch.alerting.silences import Silence, Silences
from metricwatch.api.auth import bearer_token
from metricwatch.api.http import endpoint, json_response, read_json
from metricwatch.api.params import parse_label_filter, parse_limit
from metricwatch.detection.feedback import IGNORE
from metricwatch.errors import InvalidInput, MethodNotAllowed, NotFound
from metricwatch.feedback.records import Feedback, parse_feedback
from metricwatch.points import parse_name
from metricwatch.runtime import Runtime
from metricwatch.timeutil import utcnow

END_OF_TIME = datetime(9999, 1, 1, tzinfo=timezone.utc)
RETRAIN = "at the next scheduled training run, or now with POST /train?metric={metric}"


def _mute(feedback: Feedback, runtime: Runtime, now: datetime) -> dict[str, Any]:
    """A silence over the future part of an `ignore` range; why not, when none is made."""
    if feedback.end <= now:
        return {"muted": False, "why": "the range is over: nothing left to mute"}
    try:
        matchers = (matcher("metric", "=", feedback.metric),
                    *(matcher(k, "=", v) for k, v in sorted(feedback.labels.items())))
    except ValueError as exc:
        return {"muted": False, "why": f"no silence: {exc}"}
    silence = Silences(runtime.alerts).create(Silence(
        feedback.id, matchers, max(feedback.start, now), feedback.end, feedback.author or "feedback",
        f"ignore (feedback {feedback.id}): {feedback.comment}".rstrip(": ")))
    return {"muted": True, "silenceID": silence.id}


def create(request: Any, runtime: Runtime) -> Any:
    now = utcnow()
    feedback = parse_feedback(read_json(request, runtime.settings.max_body_bytes), now)
    if not len(runtime.store.last_points(feedback.metric, feedback.labels, 1, END_OF_TIME)):
        raise NotFound(f"no series {feedback.metric} with labels {feedback.labels}: feedback must name a stored "
                       "series exactly (see GET /query)", field="labels" if feedback.labels else "metric")
    runtime.feedback.add(feedback)
    body = {**feedback.to_dict(), "retrain": RETRAIN.format(metric=feedback.metric)}
    if feedback.kind == IGNORE:
        body["alerts"] = _mute(feedback, runtime, now)
    return json_response(body, 201)


def listing(request: Any, runtime: Runtime) -> dict[str, Any]:
    unknown = sorted(set(request.args) - {"metric", "labels", "limit"})
    if unknown:
        raise InvalidInput(f"unknown parameter(s) {unknown}; expected ['labels', 'limit', 'metric']", field=unknown[0])
    try:
        metric = parse_name(request.args["metric"]) if request.args.get("metric") else None
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("'name'", "'metric'"), field="metric") from None
    labels = parse_label_filter(request.args.get("labels"))
    if labels and metric is None:
        raise InvalidInput("'labels' needs 'metric'", field="labels")
    limit = parse_limit(request.args.get("limit"), 1000) if request.args.get("limit") else 100
    return {"feedback": [f.to_dict() for f in runtime.feedback.find(metric, labels, limit)]}


@endpoint("GET", "POST", "DELETE", guard=bearer_token)
def feedback(request: Any, runtime: Runtime) -> Any:
    parts = [p for p in request.path.split("/") if p]
    if parts[:1] == ["feedback"]:  # the local runner passes the path without the function's name
        parts = parts[1:]
    if len(parts) > 1:
        raise NotFound(f"no such path {request.path!r}; see POST/GET /feedback and DELETE /feedback/<id>")
    if parts and request.method == "DELETE":
        return runtime.feedback.delete(parts[0]).to_dict()
    if parts:
        raise MethodNotAllowed(f"{request.method} is not allowed on /feedback/<id>; use DELETE")
    if request.method == "POST":
        return create(request, runtime)
    if request.method == "GET":
        return listing(request, runtime)
    raise MethodNotAllowed("DELETE needs an id: DELETE /feedback/<id>")
