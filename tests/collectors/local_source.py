"""A local HTTP server standing in for a collector's source: tests never touch the internet.

The `source` fixture is defined here once; a test module or conftest imports it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Route:
    body: Any
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalSource:
    """Routes by path (a callable body gets the query dict); records each request's path and headers."""

    server: ThreadingHTTPServer
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def route(self, path: str, body: Any, **kwargs: Any) -> str:
        self.routes[path] = Route(body, **kwargs)
        return self.url + path


def _handler(source: LocalSource) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            source.seen.append((self.path, dict(self.headers)))
            route = source.routes.get(parts.path, Route({"error": "no such route"}, status=404))
            time.sleep(route.delay)
            body = route.body(parse_qs(parts.query)) if callable(route.body) else route.body
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first: exactly what a timeout test wants

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def start_source() -> LocalSource:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    source = LocalSource(server)
    server.RequestHandlerClass = _handler(source)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return source


@pytest.fixture
def source() -> Iterator[LocalSource]:
    src = start_source()
    yield src
    src.server.shutdown()
    src.server.server_close()
