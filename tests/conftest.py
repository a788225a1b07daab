"""Shared fixtures: settings on temporary paths, a fresh mongomock store, HTTP calls in-process."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import mongomock
import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from metricwatch.config import Settings, load_settings
from metricwatch.runtime import Runtime, build_runtime
from metricwatch.store import MongoMetricStore
from metricwatch.store.memory import adapt_mongomock

# Fixtures other test directories share, kept in plain modules so their helpers import too.
from collectors.local_source import source  # noqa: E402,F401
from store_fixtures import store  # noqa: E402,F401

ROOT = Path(__file__).resolve().parents[1]
adapt_mongomock()  # the same adaptation as make run's in-memory store (metricwatch/store/memory.py)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_developer_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own `.env` at the repository root must not change what a test sees."""
    import metricwatch.config

    monkeypatch.setattr(metricwatch.config, "DOTENV", None)


@pytest.fixture
def watch_list(tmp_path: Path) -> Path:
    path = tmp_path / "detection_metrics.json"
    path.write_text(json.dumps([{"name": "latency", "model": "robust_zscore",
                                 "train_params": {"z_threshold": 6}, "train_interval": {"days": 7}}]))
    return path


@pytest.fixture
def make_settings(tmp_path: Path, watch_list: Path) -> Callable[..., Settings]:
    def make(**env: str) -> Settings:
        # No retention by default: the tests' data sits at the fixed NOW, which a retention would
        # start refusing once NOW is older than it (a test suite failing on a date, not a change).
        base = {"MODEL_STORE_URL": f"file://{tmp_path / 'models'}", "DETECTION_METRICS_PATH": str(watch_list),
                "MODEL_REFRESH_SECONDS": "0", "METRICS_RETENTION_DAYS": "0"}
        return load_settings({**base, **env}, dotenv=None)
    return make


@pytest.fixture
def collection() -> Any:
    return mongomock.MongoClient(tz_aware=True).db.metrics


@pytest.fixture
def runtime(make_settings: Callable[..., Settings], collection: Any) -> Runtime:
    return build_runtime(make_settings(), store=MongoMetricStore(collection))


def request(method: str = "POST", *, json_body: Any = None, data: bytes | str | None = None,
            content_type: str | None = None, headers: dict[str, str] | None = None,
            query: dict[str, str] | None = None) -> Request:
    builder = EnvironBuilder(method=method, json=json_body, data=data, content_type=content_type,
                             headers=headers, query_string=query)
    return Request(builder.get_environ())


def call(handler: Callable[..., Any], runtime: Runtime, **kwargs: Any) -> tuple[int, Any]:
    """Run a handler as its function would, returning (status, decoded JSON body)."""
    body, status, headers = handler(request(**kwargs), runtime=runtime)
    assert headers["Content-Type"] == "application/json"
    return status, json.loads(body)


def history(start: datetime, n: int, step: timedelta = timedelta(minutes=5), base: float = 100.0,
            noise: float = 2.0, seed: int = 0) -> list[tuple[datetime, float]]:
    """A noisy but steady series, the kind a trained model should call normal."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [(start + i * step, float(base + noise * rng.standard_normal())) for i in range(n)]
