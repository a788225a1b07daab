"""A write scored from the instance's own recent window of each series, when the store says it is fresh.

A model that wants context (`context_points`, 576 for `robust_seasonal`) is given
the series' last points before the new ones. Reading them costs a round trip and
hundreds of documents per push. An instance that wrote a series last already
knows them: it keeps, per series, the last `context_points` rows as the store
holds them (times truncated to the millisecond MongoDB keeps, ties in `_id`
order), beside the model it was built for, and scores from that window instead.
The window sits in arrays with room after it (`Buffer`): a push writes its points
in rather than copying the window, and no view of it already handed out changes.

The store stays the truth. Every write bumps its series' heads first
(`store/heads.py`, one `bulk_write`), and the bump says for each series whether
the window can be trusted:

- the head still holds this instance's token (`MINE` `HELD`): nobody wrote since,
  the window is the store's tail, no read (a warm push: bump + insert, 2 round trips);
- otherwise the context is read as before (one `last_points_many` for the batch).
  It is read up to the end of the series (the tail), so the window can be rebuilt
  from it, then cut at the first point's time as `last_points` would be. A window
  is rebuilt only from a complete read: one made when every write announced so
  far has landed. That holds when the last bump before ours is older than
  `SETTLE` (`SETTLED` `HELD`), when there was no head (`NEW`), or when this
  instance has bumped every time since it last saw another writer more than
  `SETTLE` ago. A head taken by another writer (`TAKEN`) means a write may still
  be in flight: the context is read, the verdicts are those of the read, but no
  window is kept until a later read is complete (cold: bump + read + insert, 3
  round trips; taken: 4).

The window is updated only after the insert succeeded, with the points inserted,
and only when they come after it: a point at or before the window's last time
(out of order, or a tie whose `_id` order is another writer's) keeps the token
but drops the rows, so the next push reads. A failed insert drops the series'
state: its head was bumped, so every instance, this one too, reads next time.
A retrained or reloaded model (another object in the model cache, an eviction
included) drops the state too, so `context_points` always matches. A write that
comes later than `SETTLE / 4` after its bump bumps again before its insert, on
condition of its first token: a series another writer bumped in between keeps
no window (that writer's points may be missing from it).

Each stored point carries its series' `Bump`: the token this write left, the
token it replaced when the bump held this instance's own, and whether a read
now is complete. Incident tracking trusts its memory of a series by them
(`alerting/tracker.py`); a late write's re-bump vouches for nothing.

`STATE_ENTRIES` (PUSH_STATE_SERIES) bounds the windows kept (least recently
used go first); 0 keeps none, but heads are still bumped so that other
instances and the series catalogue see every write. A window's rows can outlive
the store's retention (TTL) only for a series sampled less than once every
retention / context_points (a day for 400 days and 576 points).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from metricwatch.detection.scoring import context_points, context_window, group_by_series
from metricwatch.errors import StoreUnavailable
from metricwatch.points import Point
from metricwatch.store.base import SeriesData, StoredPoint, Window
from metricwatch.store.heads import ANY, HELD, MINE, NEW, SETTLE, SETTLED, Bump, Claim, SeriesHeads

if TYPE_CHECKING:
    from metricwatch.detection.detector import Detector

log = logging.getLogger(__name__)
TAIL = datetime(9999, 1, 1, tzinfo=timezone.utc)  # a context read up to the series' end


def stored_time(t: datetime) -> float:
    """Epoch seconds of `t` as the store gives it back: BSON keeps milliseconds."""
    return t.replace(microsecond=t.microsecond // 1000 * 1000).timestamp()


def rows_until(rows: SeriesData, whole: bool, n: int, until: datetime) -> SeriesData | None:
    """`last_points(n, until)` answered from the store's last rows of a series, or None when they cannot say.

    A warm push's points come after every row (no search), and a full window is then its own answer.
    """
    t, m = until.timestamp(), len(rows)
    k = m if m and rows.timestamps[-1] <= t else int(np.searchsorted(rows.timestamps, t, side="right"))
    if k == m == n:
        return rows
    if k >= n:
        return SeriesData(rows.timestamps[k - n:k], rows.values[k - n:k])
    return SeriesData(rows.timestamps[:k], rows.values[:k]) if whole else None


class Buffer:
    """A series' window in arrays with room after it, so that a push writes its points in, not concatenates.

    Every view handed out (a state's `rows`, a context cut from them) lies before `filled`, and
    only rows from `filled` on are ever written: a view, once made, never changes. Rows are
    appended only after the view that ends at `filled` (`claim`, under `WarmWriter`'s lock); a
    window that does not fit, or whose end is no longer `filled` (another write appended after
    the same rows), is copied into a new buffer.
    """

    __slots__ = ("timestamps", "values", "filled")

    def __init__(self, capacity: int) -> None:
        self.timestamps = np.empty(capacity)
        self.values = np.empty(capacity)
        self.filled = 0

    def claim(self, end: int, k: int) -> bool:
        """Whether `k` rows can be written after the view ending at `end`; they are this caller's if so."""
        if end != self.filled or end + k > len(self.values):
            return False
        self.filled = end + k
        return True


def room_for(n: int) -> int:
    """A new buffer's rows for a window of `n`: an eighth more, so a copy comes once every n/8 single points."""
    return n + max(n // 8, 16)


def appended(rows: SeriesData, at: tuple[Buffer, int] | None, timestamps: list[float], values: list[float],
             n: int) -> tuple[SeriesData, tuple[Buffer, int]]:
    """The last `n` rows of `rows` and then the new ones, with the buffer they are a view of and where they end.

    `at`: the buffer `rows` is a view of and where it ends there (None: a read's arrays).
    Written in place when the buffer has room after `rows` and nobody wrote there; copied otherwise.
    """
    k = len(timestamps)
    if at is not None and at[0].claim(at[1], k):
        buffer, end = at[0], at[1] + k
        buffer.timestamps[at[1]:end] = timestamps
        buffer.values[at[1]:end] = values
        start = max(at[1] - len(rows), end - n)
        return SeriesData(buffer.timestamps[start:end], buffer.values[start:end]), (buffer, end)
    end = min(len(rows) + k, n)
    buffer, keep = Buffer(room_for(n)), max(end - k, 0)
    buffer.timestamps[:keep] = rows.timestamps[len(rows) - keep:]
    buffer.values[:keep] = rows.values[len(rows) - keep:]
    buffer.timestamps[keep:end] = timestamps[k - (end - keep):]
    buffer.values[keep:end] = values[k - (end - keep):]
    buffer.filled = end
    return SeriesData(buffer.timestamps[:end], buffer.values[:end]), (buffer, end)


@dataclass(frozen=True)
class SeriesState:
    model: Any  # the model object the window was kept for: another one (retrained, reloaded) drops it
    token: str  # the head this instance's last write of the series set
    rows: SeriesData | None  # the store's last `context_points` rows; None: not known, read next time
    whole: bool = False  # the store holds no older rows of the series than `rows`
    doubt: datetime | None = None  # another writer may have bumped up to this time (None: never seen one)
    at: tuple[Buffer, int] | None = None  # the buffer `rows` is a view of, and where it ends in it


class States:
    """Per-series states, least recently used dropped past `max_entries`; shared by a process's threads."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._states: OrderedDict[str, SeriesState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, model: Any) -> SeriesState | None:
        with self._lock:
            state = self._states.get(key)
            if state is not None and state.model is not model:
                del self._states[key]
                return None
            return state

    def put_many(self, entries: Sequence[tuple[str, SeriesState | None]]) -> None:
        """Keep each (key, state) in order as the most recently used (None: drop the key); a batch, one lock."""
        if self.max_entries <= 0:
            return
        with self._lock:
            for key, state in entries:
                if state is None:
                    self._states.pop(key, None)
                    continue
                self._states[key] = state
                self._states.move_to_end(key)
                while len(self._states) > self.max_entries:
                    self._states.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._states.pop(key, None)

    def __len__(self) -> int:
        return len(self._states)


@dataclass
class _Series:
    """One series of a write: what it is, how its head was claimed, and where its context comes from."""

    key: str
    indices: list[int]
    first: Point
    scored: tuple[list[int], Any, Any] | None  # (indices, watched, model) when a model scores it
    n: int
    state: SeriesState | None
    claim: Claim
    context: SeriesData | None = None
    tail: SeriesData | None = None  # what a read gave: the store's last n rows
    from_memory: bool = False
    complete: bool = False  # a read now sees every write announced so far
    doubt: datetime | None = None
    held: bool = False  # the bump replaced this instance's own token: nobody wrote since its last write
    overtaken: bool = False  # another writer bumped between this write's bump and its late re-bump


class WarmWriter:
    def __init__(self, detector: Detector, heads: SeriesHeads, state_entries: int) -> None:
        self.detector = detector
        self.heads = heads
        self.states = States(state_entries)
        self._appending = threading.Lock()

    def write(self, points: Sequence[Point]) -> list[StoredPoint]:
        d = self.detector
        now, token = d.clock(), uuid.uuid4().hex
        names = d.prefetch_models(points)
        series = [self._series(points, key, indices, names.get(key)) for key, indices in group_by_series(points).items()]
        for s, outcome in zip(series, self.heads.bump([s.claim for s in series], token, now)):
            self._judge(s, outcome, now)
        self._read(series)
        scored = [s for s in series if s.scored is not None]
        verdicts = d.score_with(points, [s.scored for s in scored], [s.context for s in scored])  # type: ignore[misc]
        late = d.clock() - now > SETTLE / 4
        if late:
            token = self._announce_again(series, token)
        stored = self._stored(points, verdicts, series, token, late)
        try:
            d.store.insert(stored)
        except BaseException:
            for s in series:
                self.states.drop(s.key)
            raise
        with self._appending:  # a buffer's free rows go to one write at a time (`Buffer.claim`)
            windows = [(s.key, self._remember(s, points, token)) for s in series if s.n > 0 and s.scored is not None]
        self.states.put_many(windows)
        return stored

    def _announce_again(self, series: list[_Series], first: str) -> str:
        """Bump again a write that came late, so it lands within SETTLE of its bump; the new token.

        On condition of this write's first token: a series another writer bumped in between
        (TAKEN; bumped anyway) may have points this write's window lacks, so it keeps none.
        """
        token = uuid.uuid4().hex
        claims = [replace(s.claim, mode=MINE, expect=first) for s in series]
        for s, outcome in zip(series, self.heads.bump(claims, token, self.detector.clock())):
            s.overtaken = outcome != HELD
        return token

    @staticmethod
    def _stored(points: Sequence[Point], verdicts: Sequence[Any], series: list[_Series], token: str,
                late: bool) -> list[StoredPoint]:
        """The points with their verdicts and their series' `Bump` (a late write's re-bump vouches for nothing)."""
        bumps: list[Bump | None] = [None] * len(points)
        for s in series:
            bump = Bump(token, None if late or not s.held else s.claim.expect, s.complete and not late)
            for i in s.indices:
                bumps[i] = bump
        return [StoredPoint(point=p, verdict=v, bump=b) for p, v, b in zip(points, verdicts, bumps)]

    def _series(self, points: Sequence[Point], key: str, indices: list[int], name: str | None) -> _Series:
        """`name`: the series' model object name (None: its metric is not watched)."""
        d, first = self.detector, points[indices[0]]
        watched = d.catalog.get(first.name)
        model = d.cache.get(name) if watched and name else None
        n = context_points(model) if model is not None else 0
        state = self.states.get(key, model) if n > 0 else None
        last = max(points[i].timestamp for i in indices)
        if state is not None:
            claim = Claim(key, first.name, first.labels, last, MINE, state.token)
        else:
            keep = n > 0 and self.states.max_entries > 0  # no window kept: no condition worth a second bump
            claim = Claim(key, first.name, first.labels, last, SETTLED if keep else ANY)
        scored = (indices, watched, model) if model is not None else None
        return _Series(key, indices, first, scored, n, state, claim)

    def _judge(self, s: _Series, outcome: str, now: datetime) -> None:
        """From the bump's outcome: score from memory, or read (and whether that read is complete)."""
        if s.scored is None:
            return
        if s.n == 0:
            s.context = SeriesData(np.empty(0), np.empty(0))
            return
        if s.claim.mode == MINE and outcome == HELD:
            assert s.state is not None
            s.held = True
            s.doubt = s.state.doubt
            if s.state.rows is not None:
                s.context = rows_until(s.state.rows, s.state.whole, s.n, s.first.timestamp)
                s.from_memory = s.context is not None
        elif s.claim.mode == SETTLED and outcome in (HELD, NEW):
            s.doubt = None if outcome == NEW else now - SETTLE
        else:  # taken by another writer, or a head that vanished under this instance's state
            s.doubt = now
        s.complete = s.doubt is None or s.doubt + SETTLE <= now

    def _read(self, series: list[_Series]) -> None:
        """One context read for every series memory cannot answer: the tail when a window may be kept."""
        wanted = [s for s in series if s.scored is not None and s.context is None]
        if not wanted:
            return
        keep = self.states.max_entries > 0
        windows = []
        for s in wanted:
            w = context_window(s.scored[2], s.first)  # type: ignore[index]
            windows.append(Window(w.name, w.labels, w.n, TAIL, w.since) if keep else w)
        store = self.detector.store
        try:
            got = store.last_points_many(windows)
            for s, rows in zip(wanted, got):
                s.tail = rows if keep else None
                s.context = rows_until(rows, len(rows) < s.n, s.n, s.first.timestamp) if keep else rows
                if s.context is None:  # points older than the series' end: read up to their time
                    s.context = store.last_points(s.first.name, s.first.labels, s.n, until=s.first.timestamp)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("reading the context of %d series failed; storing them without verdicts", len(wanted))
            for s in wanted:
                s.context = s.tail = None

    def _remember(self, s: _Series, points: Sequence[Point], token: str) -> SeriesState | None:
        """After the insert: the series' new state (None: none kept), its window when known to be the store's tail."""
        if s.overtaken:
            return None
        if s.from_memory:
            base, whole, at = s.state.rows, s.state.whole, s.state.at  # type: ignore[union-attr]
        elif s.complete and s.tail is not None:
            base, whole, at = s.tail, len(s.tail) < s.n, None
        else:
            base, whole, at = None, False, None
        rows, where = None, None
        if base is not None:
            ts = [stored_time(points[i].timestamp) for i in s.indices]
            if len(base) == 0 or base.timestamps[-1] < ts[0]:
                whole = whole and len(base) + len(ts) <= s.n
                rows, where = appended(base, at, ts, [points[i].value for i in s.indices], s.n)
        return SeriesState(s.scored[2], token, rows, whole, s.doubt, where)  # type: ignore[index]
