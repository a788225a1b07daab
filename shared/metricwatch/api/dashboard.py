"""GET /dashboard: the monitoring pages, their static files and the JSON they draw.

- `/` (any query string): the HTML shell; `?metric=NAME&labels=...` views one
  series, read by the page's script, never by the server.
- `/assets/<name>`: a whitelisted file of `metricwatch/dashboard/assets` (not `/static/`: the
  Functions Framework's Flask app keeps that path for its own, empty, static folder).
- `/api/overview`: every series with a sparkline, its last value and firing incidents.
- `/api/series?metric=NAME[&labels=...&start=...&end=...&max_points=N]`: one
  series downsampled to at most N buckets (capped at QUERY_MAX_POINTS), its
  anomalies, incident spans, model and the metric's other label sets. `labels`
  as in /query (a JSON object or `k=v,k2=v2`) and names the series exactly;
  `start`/`end` ISO 8601 or epoch seconds, by default the last 24 hours. Its `feedback`: the
  series' marked ranges overlapping the shown range.
- `POST /api/feedback` (a JSON body exactly as `POST /feedback` takes it): 201 and the record;
  `DELETE /api/feedback/<id>` takes one back. The page's feedback buttons; the same code as the
  feedback API (`metricwatch.feedback.service`), so they check and answer alike.

The shell and files hold no data, so they are served to anyone (the page then
asks for a token); `/api/*` takes a PUSH_TOKENS bearer token: its GETs the `read` scope, as /query,
the feedback buttons' POST and DELETE the `admin` scope, as /feedback.
Errors are JSON naming the parameter, as everywhere else.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from metricwatch.api.auth import bearer_token
from metricwatch.api.http import Response, endpoint, json_response, read_json
from metricwatch.api.params import only_params, parse_label_filter, parse_metric, parse_time, whole_number
from metricwatch.dashboard.assets import asset
from metricwatch.dashboard.data import SeriesRequest, overview, series_view
from metricwatch.dashboard.page import SECURITY_HEADERS, base_href, shell
from metricwatch.errors import InvalidInput, NotFound
from metricwatch.feedback.service import record, take_back
from metricwatch.runtime import Runtime
from metricwatch.timeutil import utcnow

NAME = "dashboard"
SERIES_PARAMS = {"metric", "labels", "start", "end", "max_points"}
DEFAULT_RANGE = timedelta(hours=24)
DEFAULT_POINTS = 1000
MOST_POINTS_ASKED = 100_000  # a screen's width, with room; more is capped at QUERY_MAX_POINTS anyway
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9999, 1, 1, tzinfo=timezone.utc)
IMMUTABLE = "public, max-age=31536000, immutable"
API_ROUTES = "/api/overview, /api/series, POST /api/feedback and DELETE /api/feedback/<id>"


def _parts(request: Any) -> list[str]:
    parts = [p for p in request.path.split("/") if p]
    return parts[1:] if parts[:1] == [NAME] else parts  # the local runner passes the path without our name


def _time(args: Any, field: str) -> datetime | None:
    value = parse_time(args.get(field), field)
    if value is not None and not EARLIEST <= value < LATEST:
        raise InvalidInput(f"'{field}' must be between 1970 and 9999", field=field)
    return value


def _budget(raw: str | None, most: int) -> int:
    """The chart's width in buckets: 2 or more; more than QUERY_MAX_POINTS is capped, not refused,
    since the page cannot know the setting and a wide screen is no error."""
    if raw is None:
        return min(DEFAULT_POINTS, most)
    asked = whole_number(raw) or 0
    if not 2 <= asked <= MOST_POINTS_ASKED:
        raise InvalidInput(f"'max_points' must be an integer from 2 to {MOST_POINTS_ASKED}", field="max_points")
    return min(asked, most)


def series_request(args: Any, most_points: int, now: datetime) -> SeriesRequest:
    """The /api/series parameters, each refused with a 400 naming it."""
    only_params(args, SERIES_PARAMS)
    if not args.get("metric"):
        raise InvalidInput("'metric' is required: the name of the series' metric", field="metric")
    name = parse_metric(args["metric"])
    labels = parse_label_filter(args.get("labels"))
    start, end = _time(args, "start"), _time(args, "end")
    end = end or now
    start = start or max(end - DEFAULT_RANGE, EARLIEST)
    if start >= end:
        raise InvalidInput("'start' must be before 'end'", field="start")
    return SeriesRequest(metric=name, labels=labels, start=start, end=end,
                         max_points=_budget(args.get("max_points"), most_points))


def _static(request: Any, name: str) -> Response:
    found = asset(name)
    if found is None:
        raise NotFound(f"no dashboard asset {name!r}")
    headers = {"Content-Type": found.content_type, "ETag": f'"{found.version}"', "X-Content-Type-Options": "nosniff",
               "Cache-Control": IMMUTABLE if request.args.get("v") == found.version else "no-cache"}
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return "", 304, headers
    return found.body, 200, headers  # type: ignore[return-value]  # bytes: Flask sends them as they are


@endpoint("GET")
def _public(request: Any, runtime: Any) -> Response:
    """The shell and the static files: no data, no token, and no runtime needed."""
    parts = _parts(request)
    if not parts:
        host = request.headers.get("X-Forwarded-Host") or request.host
        return shell(base_href(request.script_root, host, NAME)), 200, {
            "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", **SECURITY_HEADERS}
    if parts[0] == "assets" and len(parts) == 2:
        return _static(request, parts[1])
    raise NotFound(f"no such path {request.path!r}; the dashboard serves /, /assets/<file> and {API_ROUTES}")


def _private(body: Any, status: int = 200) -> Response:
    text, status, headers = json_response(body, status)
    return text, status, {**headers, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@endpoint("GET", guard=bearer_token("read"))
def _api(request: Any, runtime: Runtime) -> Response:
    parts = _parts(request)[1:]
    if parts == ["overview"]:
        only_params(request.args, set())
        body = overview(runtime, utcnow())
    elif parts == ["series"]:
        body = series_view(runtime, series_request(request.args, runtime.settings.query_max_points, utcnow()))
    else:
        raise NotFound(f"no such path {request.path!r}; the dashboard's API is {API_ROUTES}")
    return _private(body)


@endpoint("POST", guard=bearer_token("admin"))
def _mark(request: Any, runtime: Runtime) -> Response:
    """POST /api/feedback: what POST /feedback does, answered the same."""
    only_params(request.args, set())
    return _private(record(runtime, read_json(request, runtime.settings.max_body_bytes), utcnow()), 201)


@endpoint("DELETE", guard=bearer_token("admin"))
def _unmark(request: Any, runtime: Runtime) -> Response:
    """DELETE /api/feedback/<id>."""
    only_params(request.args, set())
    return _private(take_back(runtime, _parts(request)[2]))


class _NoRuntime:
    """Handed to `_public` so that `endpoint` builds no runtime (and opens no store) for a static file."""


def dashboard(request: Any, runtime: Runtime | None = None) -> Response:
    """Route on the path: `/api/*` behind the token guard, everything else public."""
    parts = _parts(request)
    if parts[:2] == ["api", "feedback"] and len(parts) in (2, 3):
        return (_mark if len(parts) == 2 else _unmark)(request, runtime)
    if parts[:1] == ["api"]:
        return _api(request, runtime)
    return _public(request, runtime if runtime is not None else _NoRuntime())

