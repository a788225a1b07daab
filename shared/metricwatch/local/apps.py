"""One functions-framework app per function directory, routed by the first path segment.

`http://127.0.0.1:PORT/<function>/...` reaches `functions/<function>/main.py`'s
`handle` with the rest of the path, as the deployed function would see it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def load_apps(functions_dir: Path, names: Iterable[str]) -> dict[str, WSGIApp]:
    """Build each function's app; `metricwatch` must already be imported from shared/ so all share it."""
    from functions_framework import create_app

    return {name: create_app(target="handle", source=str(functions_dir / name / "main.py"),
                             signature_type="http") for name in names}


def _json(start_response: Callable[..., Any], status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class Dispatcher:
    """A WSGI app: `/` lists the functions (and says the process is ready), `/<fn>/...` runs one."""

    def __init__(self, apps: dict[str, WSGIApp], base_url: str) -> None:
        self.apps = apps
        self.base_url = base_url

    def index(self) -> dict[str, Any]:
        return {"functions": {name: f"{self.base_url}/{name}" for name in self.apps}}

    def __call__(self, wsgi_env: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        name, _, rest = wsgi_env.get("PATH_INFO", "/").lstrip("/").partition("/")
        if not name:
            return _json(start_response, "200 OK", self.index())
        app = self.apps.get(name)
        if app is None:
            return _json(start_response, "404 Not Found",
                         {"error": f"no function {name!r}", **self.index()})
        script = wsgi_env.get("SCRIPT_NAME", "") + "/" + name
        return app({**wsgi_env, "SCRIPT_NAME": script, "PATH_INFO": "/" + rest}, start_response)
