"""POST /push: one point or a batch, validated whole, scored, stored; and the senders' formats.

- `POST /push` with push's own JSON (a point or a list of points);
- `POST|PUT /push/metrics/job/<job>{/<label>/<value>}`: a Pushgateway push (text format, OpenMetrics);
- `POST /push/api/v2/write?precision=ns|us|ms|s`: Influx line protocol;
- `POST /push/v1/metrics`: OTLP/HTTP JSON.

Every format becomes the same point objects (`metricwatch.formats`) and goes through the same
validation, scoring and storing; a bad line or point is a 400 naming it, and nothing of that
request is written. Every path needs a PUSH_TOKENS bearer token with the `write` scope.

With an `Idempotency-Key` header, a retry of the same request stores nothing again and gets the
first answer (`metricwatch.idempotency`), with `Idempotent-Replayed: true`. JSON bodies are
compared as JSON (keys sorted); the other formats by their path, query and raw bytes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from metricwatch import formats
from metricwatch.api.auth import bearer_token
from metricwatch.api.http import JSON_HEADERS, Response, endpoint, json_response, read_body, read_json
from metricwatch.errors import InvalidInput, MethodNotAllowed, NotFound, StoreError, UnsupportedMediaType
from metricwatch.idempotency import HEADER, Answer, parse_key
from metricwatch.ingest import describe, score_and_store
from metricwatch.points import parse_points
from metricwatch.runtime import Runtime


def _store(body: Any, runtime: Runtime, now: datetime, parsed: formats.Parsed | None = None) -> Answer:
    settings = runtime.settings
    retention = settings.metrics_retention_days
    try:
        points = parse_points(body, now=now, max_skew=timedelta(seconds=settings.max_future_skew_seconds),
                              max_points=settings.max_batch_points,
                              max_age=timedelta(days=retention) if retention else None)
    except InvalidInput as exc:
        raise (formats.relocate(exc, parsed) if parsed is not None else exc) from None
    stored, incidents = score_and_store(runtime.detector, points, runtime.incidents)
    return Answer(201, {"stored": len(stored), "incidents": incidents, "points": [describe(s) for s in stored]})


def _once(request: Any, fingerprint: bytes, runtime: Runtime, key: str, now: datetime,
          store: Callable[[], Answer]) -> Response:
    """The first request with `key` stores; a repeat replays. Nothing written: the key is released."""
    keys = runtime.idempotency
    window = timedelta(seconds=runtime.settings.idempotency_window_seconds)
    key_id, first = keys.claim(key, request.headers.get("Authorization", ""), fingerprint, now, window)
    if first is not None:
        body, status, headers = json_response(first.body, first.status)
        return body, status, {**headers, "Idempotent-Replayed": "true"}
    try:
        answer = store()
    except StoreError as exc:
        if exc.details.get("written"):  # part of the batch is stored: a retry must not write it again
            keys.complete(key_id, Answer(exc.status, exc.to_dict()))
        else:
            keys.release(key_id)
        raise
    except BaseException:
        keys.release(key_id)
        raise
    keys.complete(key_id, answer)
    return json_response(answer.body, answer.status)


def _not_allowed(method: str, allowed: tuple[str, ...], path: str) -> Response:
    error = MethodNotAllowed(f"method {method} not allowed on {path or '/'}; use {', '.join(allowed)}")
    return json.dumps(error.to_dict()), error.status, {**JSON_HEADERS, "Allow": ", ".join(allowed)}


def _sender_format(request: Any, runtime: Runtime, parts: list[str], key: str | None, now: datetime) -> Response:
    fmt = formats.resolve(parts)
    if fmt is None:
        raise NotFound(f"no such path {request.path!r}; push to /push (JSON), /push/metrics/job/<job>... "
                       "(Pushgateway), /push/api/v2/write (Influx line protocol) or /push/v1/metrics (OTLP JSON)")
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise UnsupportedMediaType(f"Content-Encoding {encoding} is not supported; send the body uncompressed")
    raw = read_body(request, runtime.settings.max_body_bytes)

    def store() -> Answer:
        parsed = fmt.parse(raw, request, parts)
        return _store(parsed.points, runtime, now, parsed)

    if key is None:
        answer = store()
        return json_response(answer.body, answer.status)
    fingerprint = b"\n".join([fmt.name.encode(), "/".join(parts).encode(),
                              request.query_string or b"", (request.content_type or "").encode(), raw])
    return _once(request, fingerprint, runtime, key, now, store)


def _parts(request: Any) -> list[str]:
    parts = [p for p in (request.path or "").split("/") if p]
    return parts[1:] if parts[:1] == ["push"] else parts  # deployed behind a prefix; `make run` strips it


@endpoint("POST", "PUT", guard=bearer_token("write"))
def _push(request: Any, runtime: Runtime) -> Any:
    now = datetime.now(timezone.utc)
    parts = _parts(request)
    key = parse_key(request.headers.get(HEADER))
    if parts:
        return _sender_format(request, runtime, parts, key, now)
    body = read_json(request, runtime.settings.max_body_bytes)
    if key is not None:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()  # a re-serialised retry matches
        return _once(request, canonical, runtime, key, now, lambda: _store(body, runtime, now))
    answer = _store(body, runtime, now)
    return json_response(answer.body, answer.status)


def push(request: Any, runtime: Runtime | None = None) -> Response:
    """The function's entry point: the methods a path allows (its `Allow` on a 405), then `_push`."""
    parts = _parts(request)
    fmt = formats.resolve(parts) if parts else None
    allowed = fmt.methods if fmt is not None else ("POST",)
    if request.method not in allowed:
        return _not_allowed(request.method, allowed, request.path)
    return _push(request, runtime)
