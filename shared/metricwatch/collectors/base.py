"""What a collector is: a small function from a run's context to samples, registered by name.

A collector only reads its source. Stamping points with the scheduled time,
the deadline, de-duplication, scoring and storing are the runner's job
(`metricwatch.collectors.runner`), so every collector gets them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from metricwatch.collectors.http import HttpClient
from metricwatch.config import Settings
from metricwatch.errors import ConfigError


@dataclass(frozen=True)
class Sample:
    """One value of one series, as a source gave it; the runner validates and stamps it."""

    name: str
    value: Any
    labels: Mapping[str, str] = field(default_factory=dict)


def _pymongo_client(url: str, timeout_s: float) -> Any:
    from pymongo import MongoClient

    ms = int(timeout_s * 1000)
    return MongoClient(url, serverSelectionTimeoutMS=ms, socketTimeoutMS=ms, connectTimeoutMS=ms,
                       appname="metricwatch-collector")


@dataclass(frozen=True)
class Context:
    """Everything a collector may use; tests build one with local servers and fakes."""

    now: datetime  # the scheduled time of this run (UTC); "the last 15 minutes" ends here
    settings: Settings
    http: HttpClient
    environ: Mapping[str, str]
    mongo_client: Callable[[str, float], Any] = _pymongo_client


CollectFn = Callable[[Context], Iterable[Sample]]
REGISTRY: dict[str, CollectFn] = {}


def collector(name: str) -> Callable[[CollectFn], CollectFn]:
    """Register `fn` as the collector `name` (served by `functions/collect-<name>`)."""

    def register(fn: CollectFn) -> CollectFn:
        if name in REGISTRY and REGISTRY[name] is not fn:
            raise ConfigError(f"collector {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn

    return register
