"""Collector fixtures: a local source server, and a runtime whose settings point collectors at it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from metricwatch.runtime import Runtime, build_runtime
from metricwatch.store import MongoMetricStore

SCHEDULED = "2026-11-20T12:00:00Z"


@pytest.fixture
def declare(tmp_path: Path) -> Callable[..., str]:
    """Write a collectors file of these entries; returns its path for COLLECTORS_PATH."""

    def write(*entries: dict[str, Any]) -> str:
        path = tmp_path / f"collectors-{len(list(tmp_path.glob('collectors-*')))}.json"
        path.write_text(json.dumps(list(entries)))
        return str(path)

    return write


@pytest.fixture
def make_runtime(make_settings: Callable[..., Any], collection: Any) -> Callable[..., Runtime]:
    def make(**env: str) -> Runtime:
        """A runtime whose collectors see the test's environment as it is now, as a started function would."""
        return build_runtime(make_settings(**env), store=MongoMetricStore(collection), environ=dict(os.environ))

    return make
