"""Models kept in memory across invocations of a warm function instance.

Unpickling a model takes milliseconds and a GCS round trip tens of them, so a
warm instance reuses what it loaded and only asks the bucket for the object's
version once every `refresh_seconds`; a changed version (a retrained model)
is downloaded and replaces the cached one. joblib files are pickles: they are
only ever loaded from the configured bucket.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

import joblib

from metricwatch.modelstore.base import ModelStore

log = logging.getLogger(__name__)


def dumps(model: Any) -> bytes:
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    return joblib.load(io.BytesIO(data))


@dataclass
class _Entry:
    model: Any
    version: str | None
    checked: float


class ModelCache:
    def __init__(self, store: ModelStore, refresh_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self.loads = 0  # how many times a model was downloaded and unpickled

    def get(self, name: str) -> Any | None:
        """The model stored under `name`, or None if there is none or it cannot be read."""
        now = self.clock()
        entry = self._entries.get(name)
        if entry is not None and now - entry.checked < self.refresh_seconds:
            return entry.model
        try:
            version = self.store.version(name)
            if entry is None or version != entry.version:
                entry = _Entry(*self._load(name, version), now)
        except Exception:
            log.exception("model %s in %s could not be read; points are stored without a verdict",
                          name, self.store.url)
            entry = _Entry(None, None, now)
        entry.checked = now
        self._entries[name] = entry
        return entry.model

    def _load(self, name: str, version: str | None) -> tuple[Any | None, str | None]:
        if version is None:
            return None, None
        found = self.store.load(name)
        if found is None:
            return None, None
        self.loads += 1
        return loads(found[0]), found[1]
