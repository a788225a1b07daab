"""The alerts API: incidents, and silences made, listed and expired over HTTP.

- `GET /alerts/incidents[?status=firing|resolved|all&metric=NAME&limit=N]`: newest first;
- `GET /alerts/silences[?all=true]`: active and pending silences (all: expired ones too);
- `POST /alerts/silences` with `{matchers, endsAt, createdBy, comment[, startsAt]}`: 201 and the silence;
- `DELETE /alerts/silences/<id>`: expires it now (404 if there is no such silence).

Same conventions as push and query: a PUSH_TOKENS bearer token, JSON errors naming the field;
reading incidents and silences is `read`; making or expiring a silence is `admin`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from metricwatch.alerting.silences import Silences, parse_silence
from metricwatch.api.auth import bearer_token
from metricwatch.api.http import endpoint, json_response, read_json
from metricwatch.api.params import only_params, parse_limit, parse_metric
from metricwatch.errors import InvalidInput, MethodNotAllowed, NotFound
from metricwatch.runtime import Runtime
from metricwatch.timeutil import as_utc, utcnow

SCOPE_BY_METHOD = {"GET": "read", "POST": "admin", "DELETE": "admin"}  # README, "Tokens and scopes"

STATUSES = {"firing": {"status": "firing"}, "resolved": {"status": "resolved"},
            "all": {"status": {"$in": ["firing", "resolved"]}}}
INCIDENT_FIELDS = ("kind", "status", "metric", "labels", "fingerprint", "first_anomaly_at", "last_anomaly_at",
                   "opened_at", "resolved_at", "ends_at", "peak", "revision", "notifications")


def incidents(request: Any, runtime: Runtime) -> dict[str, Any]:
    only_params(request.args, {"status", "metric", "limit"})
    status = request.args.get("status", "firing")
    if status not in STATUSES:
        raise InvalidInput(f"'status' must be one of {sorted(STATUSES)}", field="status")
    query = dict(STATUSES[status])
    if request.args.get("metric"):
        query["metric"] = parse_metric(request.args["metric"])
    limit = parse_limit(request.args.get("limit"), 1000) if request.args.get("limit") else 100
    found = runtime.alerts.incidents.find(query).sort("first_anomaly_at", -1).limit(limit)
    return {"incidents": [_iso({"id": d["_id"], **{k: d.get(k) for k in INCIDENT_FIELDS}}) for d in found]}


def _iso(value: Any) -> Any:
    """Times as ISO 8601 UTC, as every other answer gives them, at any depth."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def silences(request: Any, runtime: Runtime, silence_id: str) -> Any:
    book, now = Silences(runtime.alerts), utcnow()
    if request.method == "POST" and not silence_id:
        silence = book.create(parse_silence(read_json(request, runtime.settings.max_body_bytes), now))
        return json_response({"silenceID": silence.id, **silence.to_dict(now)}, 201)
    if request.method == "DELETE" and silence_id:
        return book.expire(silence_id, now).to_dict(now)
    if request.method == "GET" and not silence_id:
        only_params(request.args, {"all"})
        listed = book.list(since=None if request.args.get("all") == "true" else now)
        return {"silences": [s.to_dict(now) for s in listed]}
    raise MethodNotAllowed(f"{request.method} is not allowed on this path: GET or POST /alerts/silences, "
                           "DELETE /alerts/silences/<id>")


@endpoint("GET", "POST", "DELETE", guard=bearer_token(SCOPE_BY_METHOD))
def alerts(request: Any, runtime: Runtime) -> Any:
    parts = [p for p in request.path.split("/") if p]
    if parts and parts[0] == "alerts":  # the local runner passes the path without the function's name
        parts = parts[1:]
    if parts in ([], ["incidents"]) and request.method == "GET":
        return incidents(request, runtime)
    if parts[:1] == ["silences"] and len(parts) <= 2:
        return silences(request, runtime, parts[1] if len(parts) == 2 else "")
    if parts in ([], ["incidents"]):
        raise MethodNotAllowed(f"{request.method} is not allowed on /alerts/incidents; use GET")
    raise NotFound(f"no such path {request.path!r}; see GET /alerts/incidents and /alerts/silences")
