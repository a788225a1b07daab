"""Outbound HTTP for collectors: every call has a timeout, every failure is a `SourceUnavailable`.

A 502 tells Cloud Scheduler to retry; the message names the source (scheme,
host, port and path only, so neither `user:password@` nor a token in a query
string ever reaches a response body or a log).
"""

from __future__ import annotations

import json
import time
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from metricwatch.errors import SourceUnavailable

MAX_BYTES = 10 * 1024 * 1024


def _where(url: str) -> str:
    """The URL without credentials, query or fragment: what an error message may show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # not a number: requests refuses it anyway, and we do not echo it
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _why(resp: requests.Response) -> str:
    """What the headers say about a refusal: a rate limit, and when to come back, or bad credentials.

    The body is not quoted: an API's error text may echo what was sent.
    GitHub answers its secondary rate limit with 403 and `Retry-After`, its
    primary one with 403 and `X-RateLimit-Remaining: 0`.
    """
    headers = resp.headers
    wait = headers.get("Retry-After")
    limited = resp.status_code == 429 or (resp.status_code == 403 and (
        wait is not None or headers.get("X-RateLimit-Remaining") == "0"))
    if limited:
        if wait is None:
            try:
                wait = str(max(int(headers.get("X-RateLimit-Reset", "")) - int(time.time()), 0))
            except ValueError:
                wait = None
        when = "" if wait is None else f", retry after {wait}s" if wait.isascii() and wait.isdigit() else f", retry after {wait}"
        return f": rate limited{when}"
    if resp.status_code in (401, 403):
        return ": refused; check the credentials the collector sends"
    return ""


class HttpClient:
    """GETs bounded by a per-call timeout and by the run's deadline, whichever comes first.

    One per run; `close()` (or `with`) releases its session's connections.
    """

    def __init__(self, timeout_s: float, deadline: float | None = None) -> None:
        self.timeout_s = timeout_s
        self.deadline = deadline  # time.monotonic() value the run must finish by
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _timeout(self) -> float:
        if self.deadline is None:
            return self.timeout_s
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SourceUnavailable("collector deadline reached before the next call")
        return min(self.timeout_s, left)

    def get_text(self, url: str, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, Any] | None = None) -> str:
        timeout = self._timeout()
        try:
            resp = self.session.get(url, headers=dict(headers or {}), params=params, timeout=timeout)
        except requests.Timeout:
            raise SourceUnavailable(f"{_where(url)} did not answer within {timeout:g}s") from None
        except requests.RequestException as exc:
            raise SourceUnavailable(f"{_where(url)} unreachable: {type(exc).__name__}") from None
        if resp.status_code >= 400:
            raise SourceUnavailable(f"{_where(url)} answered {resp.status_code}{_why(resp)}",
                                    source_status=resp.status_code)
        if len(resp.content) > MAX_BYTES:
            raise SourceUnavailable(f"{_where(url)} answered more than {MAX_BYTES} bytes")
        return resp.text

    def get_json(self, url: str, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, Any] | None = None) -> Any:
        text = self.get_text(url, headers, params)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceUnavailable(f"{_where(url)} did not answer JSON: {exc.msg}") from None
