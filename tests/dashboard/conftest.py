"""The dashboard function served for real: its functions-framework app behind the local runner's
dispatcher, on a free loopback port, with settings read from the environment as a deployment reads them."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from conftest import ROOT
from metricwatch.runtime import Runtime

CHROMIUM = Path("/usr/bin/chromium")


@dataclass(frozen=True)
class Served:
    url: str  # the dashboard, as `make run` serves it: http://127.0.0.1:PORT/dashboard (no trailing slash)
    runtime: Runtime  # the process's runtime the function uses: seed it


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, watch_list: Path) -> Iterator[Callable[..., Served]]:
    """`serve(PUSH_TOKENS="t")`: the dashboard on an in-memory store of its own (a database name of its
    own: the in-memory client is one per process), settings from the environment, as `get_runtime` reads them."""
    from werkzeug.serving import make_server

    from metricwatch import runtime as runtime_module
    from metricwatch.local.apps import Dispatcher, load_apps

    servers: list[Any] = []

    def start(**env: str) -> Served:
        settings = {"MONGO_URL": "", "MONGO_DB_NAME": f"dashboard_{uuid.uuid4().hex[:12]}",
                    "MODEL_STORE_URL": f"file://{tmp_path / 'models'}", "DETECTION_METRICS_PATH": str(watch_list),
                    "METRICS_RETENTION_DAYS": "0", "MODEL_REFRESH_SECONDS": "0", "PUSH_TOKENS": "",
                    "REQUIRE_PUSH_TOKENS": "false", **env}
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        runtime_module.get_settings.cache_clear()
        runtime_module.get_runtime.cache_clear()
        dispatcher = Dispatcher(load_apps(ROOT / "functions", ["dashboard"]), base_url="")
        server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, name="dashboard-http", daemon=True).start()
        dispatcher.base_url = f"http://127.0.0.1:{server.server_port}"
        return Served(url=f"{dispatcher.base_url}/dashboard", runtime=runtime_module.get_runtime())

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    runtime_module.get_settings.cache_clear()
    runtime_module.get_runtime.cache_clear()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download: `.ci/run` installs the package)."""
    if not CHROMIUM.is_file():
        where = "CI installs it in .ci/run" if os.environ.get("CI") else "`.ci/run` does this in CI"
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` ({where}); the browser tests "
                    "must run, not skip")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


class PageWatch:
    """What a page did that a test refuses: console errors, uncaught exceptions, dialogs; and its requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[Any] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(r))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    @property
    def urls(self) -> list[str]:
        return [r.url for r in self.requests]


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., tuple[Any, PageWatch]]]:
    """A fresh 1280x720 page in UTC (a context of its own: its own sessionStorage), watched."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 720) -> tuple[Any, PageWatch]:
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="UTC",
                                      locale="en-US")
        contexts.append(context)
        page = context.new_page()
        return page, PageWatch(page)

    yield make
    for context in contexts:
        context.close()
