"""A real HTTP receiver on loopback that records what it is sent: webhook, Slack or Alertmanager.

Its behaviour can be changed mid-test: `answer(500)`, `hang(seconds)`, `stop()`
(the port refuses connections) and `start()` again on the same port.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []  # (path, JSON body) of every request answered 2xx
        self.attempts = 0
        self.status, self.delay = 200, 0.0
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bodies(self) -> list[Any]:
        return [body for _, body in self.received]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver.attempts += 1
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                if 200 <= status < 300:
                    receiver.received.append((self.path, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def answer(self, status: int) -> None:
        self.status = status

    def hang(self, seconds: float) -> None:
        self.delay = seconds


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.delay = 0
    r.stop()
