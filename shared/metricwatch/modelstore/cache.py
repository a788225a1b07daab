"""Models kept in memory across invocations of a warm function instance.

Unpickling a model takes milliseconds and a GCS round trip tens of them, so a
warm instance reuses what it loaded and only asks the bucket for the object's
version once every `refresh_seconds`; a changed version (a retrained model)
is downloaded and replaces the cached one. A series the bucket has no model
for yet is asked about again after at most `MISSING_RECHECK_SECONDS`: its
first model is the one most likely to appear soon (someone just ran the
trainer), and a metadata check every few seconds for an untrained series
costs little. A model that cannot be read or reached is retried (and
logged) once per refresh period, not every few seconds.
joblib files are pickles: they are only ever loaded from the configured bucket.
"""

from __future__ import annotations

import io
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import joblib

from metricwatch.modelstore.base import ModelStore

log = logging.getLogger(__name__)
MISSING_RECHECK_SECONDS = 5.0
DEFAULT_MAX_ENTRIES = 10_000  # MODEL_CACHE_ENTRIES' default: see config.py for how it was sized
THRASH_LOG_SECONDS = 60.0  # the thrash warning is logged at most this often, with the running count
FETCH_WORKERS = 16  # models a batch fetches from the bucket at once: each is a round trip or two, not CPU


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
    missing: bool = False  # the last check found no model at all (not one it could not read or reach)

    def trusted_for(self, refresh_seconds: float) -> float:
        return min(refresh_seconds, MISSING_RECHECK_SECONDS) if self.missing else refresh_seconds


class ModelCache:
    """Per-instance cache, bounded (least recently used go first) for high-cardinality labels.

    `max_entries` is MODEL_CACHE_ENTRIES. When an instance serves more series
    than that, models are evicted and reloaded over and over: a series asked
    for again within the refresh period after its eviction (it would still have
    been trusted had it stayed) counts as a thrash (`thrashes`), and a warning
    with the running count is logged at most once a minute.
    """

    def __init__(self, store: ModelStore, refresh_seconds: float,
                 clock: Callable[[], float] = time.monotonic, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._evicted: OrderedDict[str, float] = OrderedDict()  # name => when, for the last max_entries evicted
        self.loads = 0  # how many times a model was downloaded and unpickled
        self.thrashes = 0  # how many times an evicted series was asked for again within its refresh period
        self._thrash_logged: float | None = None

    def _due(self, entry: _Entry | None, now: float) -> bool:
        return entry is None or now - entry.checked >= entry.trusted_for(self.refresh_seconds)

    def prefetch(self, names: list[str]) -> int:
        """Check (and load) at once, `FETCH_WORKERS` at a time, the models of `names` that `get` would
        fetch one by one; returns how many were fetched.

        A cold instance that receives a batch over thousands of series would
        otherwise wait for thousands of bucket round trips in a row. Only the
        fetching runs in threads; the entries are stored here, as `get` does.
        """
        now = self.clock()
        due = [n for n in dict.fromkeys(names) if self._due(self._entries.get(n), now)]
        if len(due) < 2:
            return 0
        with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(due))) as pool:
            fetched = list(pool.map(lambda n: self._refresh(n, self._entries.get(n), now), due))
        for name, entry in zip(due, fetched):
            if name not in self._entries:
                self._note_if_thrashing(name, now)
            self._store(name, entry, now)
        return len(due)

    def get(self, name: str) -> Any | None:
        """The model stored under `name`, or None if there is none or it cannot be read."""
        now = self.clock()
        entry = self._entries.get(name)
        if entry is None:
            self._note_if_thrashing(name, now)
        if self._due(entry, now):
            entry = self._refresh(name, entry, now)
        self._store(name, entry, now)
        return entry.model

    def _store(self, name: str, entry: _Entry, now: float) -> None:
        self._entries[name] = entry
        self._entries.move_to_end(name)
        if len(self._entries) > self.max_entries:
            evicted, _ = self._entries.popitem(last=False)
            self._evicted[evicted] = now
            self._evicted.move_to_end(evicted)
            if len(self._evicted) > self.max_entries:
                self._evicted.popitem(last=False)

    def _note_if_thrashing(self, name: str, now: float) -> None:
        evicted_at = self._evicted.pop(name, None)
        if evicted_at is None or now - evicted_at >= self.refresh_seconds:
            return
        self.thrashes += 1
        if self._thrash_logged is None or now - self._thrash_logged >= THRASH_LOG_SECONDS:
            self._thrash_logged = now
            log.warning("model cache thrashing: %d series reloaded within MODEL_REFRESH_SECONDS=%s of their "
                        "eviction so far (%s last); this instance serves more series than MODEL_CACHE_ENTRIES=%d: "
                        "raise it (and the function's memory) or spread the series over more instances",
                        self.thrashes, self.refresh_seconds, name, self.max_entries)

    def _refresh(self, name: str, entry: _Entry | None, now: float) -> _Entry:
        """Ask the bucket for the version; reload only when it changed.

        A failing check (a bucket hiccup) keeps the model we already have, rather
        than leaving the series without verdicts until the next refresh.
        """
        try:
            version = self.store.version(name)
            if entry is None or version != entry.version:
                model, loaded = self._load(name, version)
                entry = _Entry(model, loaded, now, missing=model is None)
        except Exception:
            log.exception("model %s in %s could not be read; %s", name, self.store.url,
                          "keeping the one in memory" if entry and entry.model is not None
                          else "points are stored without a verdict")
            entry = entry or _Entry(None, None, now)
        entry.checked = now
        return entry

    def _load(self, name: str, version: str | None) -> tuple[Any | None, str | None]:
        if version is None:
            return None, None
        found = self.store.load(name)
        if found is None:
            return None, None
        self.loads += 1  # from a prefetch's threads too: the GIL keeps `+=` on an int whole in CPython
        return loads(found[0]), found[1]
