"""The HTTP edge shared by every function: parsing, guards (see `auth.py`), and error mapping.

`endpoint` wraps a handler so that any `MetricwatchError` becomes a JSON body
with the status its class carries, and anything unexpected a logged 500
without internals. Handlers raise; they never build error responses.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from typing import Any, Callable

from metricwatch.errors import InvalidInput, MethodNotAllowed, MetricwatchError, PayloadTooLarge, UnsupportedMediaType

log = logging.getLogger(__name__)
Response = tuple[str, int, dict[str, str]]
JSON_HEADERS = {"Content-Type": "application/json"}
# Cloud Scheduler's time of the run a request belongs to (RFC 3339), the same on each of its retries.
SCHEDULE_HEADER = "X-CloudScheduler-ScheduleTime"


def json_response(body: Any, status: int = 200) -> Response:
    return json.dumps(body, default=str), status, dict(JSON_HEADERS)


Handler = Callable[[Any, Any], Any]
Guard = Callable[[Any, Any], None]  # (request, settings); raises to refuse


def endpoint(*methods: str, guard: Guard | None = None) -> Callable[[Handler], Callable[..., Response]]:
    """Allow `methods`, map errors to statuses, and serialise the handler's result as JSON.

    The wrapped handler takes `(request, runtime)`; deployed functions pass only the
    request and get the process's runtime, tests pass a runtime of their own. `guard`
    (`auth.bearer_token(scope)` on public functions) runs on the settings alone, before the
    runtime is built, so a caller it refuses learns nothing but its refusal (not, say,
    MongoDB's own error text).
    """

    def wrap(handler: Handler) -> Callable[..., Response]:
        @functools.wraps(handler)
        def run(request: Any, runtime: Any = None) -> Response:
            try:
                if request.method not in methods:
                    raise MethodNotAllowed(f"method {request.method} not allowed; use {', '.join(methods)}")
                from metricwatch.runtime import get_runtime, get_settings

                if guard is not None:
                    guard(request, runtime.settings if runtime else get_settings())
                runtime = runtime or get_runtime()
                result = handler(request, runtime)
                return result if isinstance(result, tuple) else json_response(result)
            except MetricwatchError as exc:
                log.log(logging.ERROR if exc.status >= 500 else logging.INFO, "%s: %s", exc.status, exc.message)
                status, body, headers = exc.status, exc.to_dict(), dict(JSON_HEADERS)
                if isinstance(exc, MethodNotAllowed):
                    headers["Allow"] = ", ".join(methods)
                return json.dumps(body, default=str), status, headers
            except Exception:
                incident = uuid.uuid4().hex[:12]
                log.exception("unexpected error (incident %s)", incident)
                return json_response({"error": "internal error", "incident": incident}, 500)
        return run

    return wrap


def _reject_constant(name: str) -> None:
    raise InvalidInput(f"body is not valid JSON: {name} is not a JSON number", field="body")


def read_body(request: Any, max_bytes: int) -> bytes:
    """The request's raw bytes, read no further than `max_bytes` (+1 to tell): 413 if larger."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"body is {request.content_length} bytes; at most {max_bytes}")
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"body is larger than {max_bytes} bytes")
    return data


def read_json(request: Any, max_bytes: int) -> Any:
    """The request's JSON body: 415 if it is not JSON, 413 if too large, 400 if malformed."""
    mimetype = (request.mimetype or "").lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not {mimetype or 'missing'}")
    data = read_body(request, max_bytes)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InvalidInput("body is not valid UTF-8", field="body") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           field="body") from None
    except ValueError:  # Python's limit on integer digits (4,300)
        raise InvalidInput("body has a number with too many digits to read", field="body") from None
    except RecursionError:
        raise InvalidInput("body is nested too deeply", field="body") from None
