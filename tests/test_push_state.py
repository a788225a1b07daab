"""A push reads no history when its instance wrote the series last, and gives the verdicts of a fresh read.

Each instance below is a `Detector` with its own model cache and windows, over one
shared mongomock store and its series heads, as function instances over one Atlas
cluster. Before every write, a reference detector that keeps nothing scores the
same points from a fresh read of the store. The instance's verdicts must be
identical, row by row, whatever path it took: its window in memory, or a read. The
round trips on both collections are counted, so each test also says which path was
taken.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import mongomock
import numpy as np
import pytest

from conftest import NOW, history
from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.detector import Detector
from metricwatch.errors import StoreError, StoreUnavailable
from metricwatch.modelstore.cache import ModelCache
from metricwatch.modelstore.local import FileModelStore
from metricwatch.points import Point
from metricwatch.store import MongoMetricStore, StoredPoint
from metricwatch.store.heads import SETTLE, SeriesHeads

STEP = timedelta(minutes=5)
USERS = ("u0", "u1", "u2")
WARM = ["heads.bulk_write", "metrics.insert_many"]  # bump + insert: no context read
COLD = ["heads.bulk_write", "metrics.find", "metrics.insert_many"]  # bump + read + insert
TAKEN = ["heads.bulk_write", "heads.bulk_write", "metrics.find", "metrics.insert_many"]  # the bump again, unconditionally


class Counting:
    """A collection, appending `<label>.<method>` to a shared list for each round trip made on it."""

    def __init__(self, collection, label: str, calls: list[str]) -> None:
        self.collection, self.label, self.calls = collection, label, calls

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if name in ("find", "find_one", "aggregate", "distinct", "insert_many", "bulk_write", "find_one_and_update",
                    "update_one", "count_documents"):
            def counted(*args, **kwargs):
                self.calls.append(f"{self.label}.{name}")
                return attr(*args, **kwargs)
            return counted
        return attr


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class World:
    """One store, its heads, trained robust_seasonal models, a shared clock; instances made on demand."""

    def __init__(self, models_dir, catalog) -> None:
        self.db = mongomock.MongoClient(tz_aware=True).db
        self.store = MongoMetricStore(self.db.metrics)
        for i, user in enumerate(USERS):
            start = NOW - timedelta(minutes=10) - 700 * STEP
            self.store.insert([StoredPoint(Point("latency", v, t, {"user": user}))
                               for t, v in history(start, 700, step=STEP, base=100.0 * (i + 1), seed=i)])
        self.models = FileModelStore(models_dir)
        self.catalog = catalog
        self.clock = Clock(NOW)
        self.calls: list[str] = []
        self.reference = Detector(catalog, self.store, self.models, ModelCache(self.models, 0))
        self.rng = np.random.default_rng(11)

    def instance(self, state_entries: int = 100, cache_entries: int = 100) -> Detector:
        store = MongoMetricStore(Counting(self.db.metrics, "metrics", self.calls))
        heads = SeriesHeads(Counting(self.db.metrics_heads, "heads", self.calls)).ensure_indexes()
        return Detector(self.catalog, store, self.models, ModelCache(self.models, 0, max_entries=cache_entries),
                        clock=self.clock, heads=heads, state_entries=state_entries)

    def point(self, user: str = "u0", at: datetime | None = None, value: float | None = None) -> Point:
        base = 100.0 * (USERS.index(user) + 1)
        if value is None:
            value = float(self.rng.choice([base, base + 1, base - 2, base * 50, base / 20]))
        return Point("latency", value, at or self.clock.now, {"user": user})

    def write(self, instance: Detector, batch: list[Point]) -> list[str]:
        """Write through `instance`, asserting its verdicts are the fresh read's; the round trips it made."""
        expected = self.reference.score_points(batch)
        del self.calls[:]
        got = [s.verdict for s in instance.write(batch)]
        assert got == expected
        assert all(v is not None for v in got)
        return list(self.calls)

    def tick(self, by: timedelta = STEP) -> None:
        self.clock.now += by


def train(store, models, catalog) -> None:
    trainer = Detector(catalog, store, models, ModelCache(models, 0), clock=lambda: NOW)
    assert len(trainer.train().models) == len(USERS)


CATALOG = {"latency": WatchedMetric("latency", "robust_seasonal", {}, timedelta(days=7))}


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("models")
    train(World(path, CATALOG).store, FileModelStore(path), CATALOG)
    return path


@pytest.fixture
def world(models_dir) -> World:
    return World(models_dir, CATALOG)


# -- one instance -------------------------------------------------------------------------------

def test_a_warm_instance_scores_from_its_window_with_the_verdicts_of_a_fresh_read_in_two_round_trips(world):
    a = world.instance()
    assert world.write(a, [world.point()]) == COLD  # no window yet: the context is read
    verdicts = []
    for _ in range(120):
        world.tick()
        assert world.write(a, [world.point()]) == WARM
        verdicts.append(world.reference.score_points([world.point(value=1e6)])[0]["anomaly"])
    assert -1 in verdicts  # the windows judged spikes, not only calm points


def test_a_batch_over_many_series_with_several_points_each_is_one_bump_and_one_insert_when_warm(world):
    a = world.instance()
    batch = lambda: [world.point(u, world.clock.now - timedelta(seconds=s)) for u in USERS for s in (40, 20, 0)]
    assert world.write(a, batch()) == COLD  # one read for the three series
    for _ in range(20):
        world.tick()
        rows = batch()
        assert world.write(a, [rows[i] for i in world.rng.permutation(len(rows))]) == WARM


def test_a_batch_mixing_warm_and_cold_series_reads_only_once(world):
    a = world.instance()
    world.write(a, [world.point("u0")])
    world.tick()
    assert world.write(a, [world.point(u) for u in USERS]) == COLD
    world.tick()
    assert world.write(a, [world.point(u) for u in USERS]) == WARM


def test_with_no_windows_kept_every_push_reads_and_still_bumps(world):
    a = world.instance(state_entries=0)
    for _ in range(5):
        assert world.write(a, [world.point()]) == COLD
        world.tick()


# -- many instances -----------------------------------------------------------------------------

def test_an_instance_reads_again_once_another_wrote_the_series_since(world):
    a, b = world.instance(), world.instance()
    world.write(a, [world.point()])
    world.tick()
    assert world.write(a, [world.point()]) == WARM
    world.tick()
    assert world.write(b, [world.point()]) == COLD  # b has no window; a's last bump is settled
    world.tick()
    assert world.write(a, [world.point()]) == TAKEN  # b wrote since a's last write: read, and bump again
    world.tick()
    assert world.write(a, [world.point()]) == COLD  # b's write has landed since: this read rebuilds a's window
    world.tick()
    assert world.write(a, [world.point()]) == WARM


def test_interleaved_writers_over_shared_series_always_give_the_fresh_reads_verdicts(world):
    instances = [world.instance(), world.instance()]
    last_writer: dict[str, int] = {}
    warm = 0
    for _ in range(80):
        world.tick(timedelta(seconds=int(world.rng.integers(10, 400))))
        who = int(world.rng.integers(0, 2))
        users = [u for u in USERS if world.rng.random() < 0.6] or ["u0"]
        trips = world.write(instances[who], [world.point(u) for u in users])
        if any(last_writer.get(u, who) != who for u in users):
            assert "metrics.find" in trips  # another instance wrote one of these series since
        warm += trips == WARM
        last_writer.update({u: who for u in users})
    assert warm >= 5  # and some took the window in memory


def test_a_read_made_while_another_write_may_be_in_flight_is_not_kept(world):
    """b has bumped u0's head but not inserted yet when a pushes: a's read misses b's point.

    a's verdict is the fresh read's of that moment, but its window must not be kept: once b's
    insert lands, a scoring from it would miss b's point. a reads again until a read is made
    `SETTLE` after it last saw another writer, and only then goes warm again.
    """
    a, b = world.instance(), world.instance()
    world.write(a, [world.point()])
    world.tick()
    assert world.write(a, [world.point()]) == WARM
    world.tick()
    in_flight = []

    class Slow:
        def __init__(self, store) -> None:
            self.store = store

        def __getattr__(self, name):
            return getattr(self.store, name)

        def insert(self, points):
            in_flight.append(world.write(a, [world.point(at=world.clock.now + timedelta(seconds=1))]))
            return self.store.insert(points)

    b.store = Slow(b.store)
    world.write(b, [world.point()])
    assert in_flight == [TAKEN]
    b.store = b.store.store
    trips = []
    for _ in range(6):
        world.tick(timedelta(seconds=30))
        trips.append(world.write(a, [world.point()]))
    assert trips == [COLD, COLD, COLD, COLD, WARM, WARM]  # the read SETTLE (120 s) after seeing b is kept
    assert SETTLE == timedelta(seconds=120)


def test_a_write_that_bumps_again_late_keeps_no_window_if_another_wrote_in_between(world):
    """a's write takes longer than SETTLE / 4, so it announces itself again before its insert; b wrote
    u0 between a's two bumps. a's window lacks b's point: a must not keep it, and its next push reads."""
    a, b = world.instance(), world.instance()
    world.write(a, [world.point()])
    world.tick()
    assert world.write(a, [world.point()]) == WARM
    world.tick()
    score_with = a.score_with

    def slow(*args):
        got = score_with(*args)
        world.tick(timedelta(seconds=31))
        world.write(b, [world.point(value=1e6)])  # a point no window may leave out
        return got

    a.score_with = slow
    world.write(a, [world.point(at=world.clock.now - timedelta(seconds=1))])
    a.score_with = score_with
    world.tick()
    assert "metrics.find" in world.write(a, [world.point()])  # and its verdict is the fresh read's


def test_a_cold_instance_does_not_keep_a_read_made_just_after_another_writers_bump(world):
    a, b = world.instance(), world.instance()
    world.write(b, [world.point()])
    world.tick(timedelta(seconds=20))
    assert world.write(a, [world.point()]) == TAKEN  # b's bump is 20 s old: its insert may not have landed
    world.tick(timedelta(seconds=20))
    assert world.write(a, [world.point()]) == COLD
    world.tick(timedelta(minutes=2))
    assert world.write(a, [world.point()]) == COLD  # 140 s after it saw b: complete, kept
    world.tick()
    assert world.write(a, [world.point()]) == WARM


# -- what memory cannot say ---------------------------------------------------------------------

def test_an_out_of_order_point_is_read_up_to_its_time_and_the_window_rebuilt_after(world):
    a = world.instance()
    world.write(a, [world.point()])
    world.tick()
    assert world.write(a, [world.point()]) == WARM
    late = world.point(at=world.clock.now - timedelta(hours=1))
    assert world.write(a, [late]) == ["heads.bulk_write", "metrics.find", "metrics.find", "metrics.insert_many"]
    world.tick()
    assert world.write(a, [world.point()]) == COLD  # the window was dropped: rebuilt from this read
    world.tick()
    assert world.write(a, [world.point()]) == WARM


def test_a_point_sent_twice_sees_its_first_copy_as_context(world):
    a = world.instance()
    world.write(a, [world.point()])
    world.tick()
    twice = world.point(value=9000.0)
    assert world.write(a, [twice]) == WARM
    assert world.write(a, [twice]) == WARM  # scored from the window, the first copy included
    world.tick()
    assert world.write(a, [world.point()]) == COLD  # a tie's _id order is not the window's to guess: read
    world.tick()
    assert world.write(a, [world.point()]) == WARM


def test_a_failed_insert_leaves_nothing_trusted(world):
    a = world.instance()
    world.write(a, [world.point()])
    world.tick()

    def refuse(points):
        raise StoreUnavailable("MongoDB is unreachable: AutoReconnect")

    a.store.insert = refuse
    with pytest.raises(StoreUnavailable):
        a.write([world.point()])
    del a.store.insert
    world.tick(timedelta(seconds=30))  # its own bump is recent: the insert may yet land
    assert world.write(a, [world.point()]) == TAKEN
    world.tick()
    assert world.write(a, [world.point()]) == COLD
    world.tick()
    assert world.write(a, [world.point()]) == WARM


def test_a_batch_written_in_part_is_read_back_as_the_store_has_it(world):
    a = world.instance()
    world.write(a, [world.point(u) for u in USERS])
    world.tick()
    store = a.store

    def half(points):
        points = list(points)
        store.collection.collection.insert_many([{"time": p.point.timestamp, "value": p.point.value,
                                                   "meta": {"name": p.point.name, "labels": p.point.labels,
                                                            "series": p.point.series}} for p in points[:2]])
        raise StoreError("MongoDB refused 1 point(s) of the batch and wrote 2", written=2, refused=[2])

    a.store = type("Half", (), {"insert": staticmethod(half), "__getattr__": lambda self, n: getattr(store, n)})()
    with pytest.raises(StoreError):
        a.write([world.point(u) for u in USERS])
    a.store = store
    world.tick()
    assert world.write(a, [world.point(u) for u in USERS]) == COLD


# -- the model changes --------------------------------------------------------------------------

def test_a_retrained_model_with_other_context_points_drops_the_window(world):
    a = world.instance()
    world.write(a, [world.point()])
    world.tick()
    assert world.write(a, [world.point()]) == WARM
    before = a.cache.get(a.object_name(CATALOG["latency"], {"user": "u0"})).context_points
    retrained = {"latency": replace(CATALOG["latency"], train_params={"level_window": 48})}
    trainer = Detector(retrained, world.store, world.models, ModelCache(world.models, 0), clock=world.clock)
    assert len(trainer.train().models) == len(USERS)
    world.tick()
    assert world.write(a, [world.point()]) == COLD
    assert a.cache.get(a.object_name(CATALOG["latency"], {"user": "u0"})).context_points == before + 16
    world.tick()
    assert world.write(a, [world.point()]) == WARM


def test_a_model_evicted_from_the_cache_and_reloaded_rebuilds_its_window(world):
    a = world.instance(cache_entries=1)
    for _ in range(4):
        world.tick()
        for user in ("u0", "u1"):
            assert world.write(a, [world.point(user)]) == COLD  # each push reloads its model: another object
    b = world.instance(cache_entries=2)
    for _ in range(4):
        world.tick()
        trips = [world.write(b, [world.point(user)]) for user in ("u0", "u1")]
    assert trips == [WARM, WARM]


def test_the_windows_kept_are_bounded_least_recently_used_first(world):
    a = world.instance(state_entries=2)
    for user in USERS:
        world.write(a, [world.point(user)])
    world.tick()
    assert [world.write(a, [world.point(u)]) for u in ("u2", "u1", "u0")] == [WARM, WARM, COLD]
    assert len(a.warm.states) == 2


# -- the heads ----------------------------------------------------------------------------------

def test_every_write_announces_its_series_with_their_latest_time_a_catalogue_of_series(world):
    a = world.instance(state_entries=0)
    world.write(a, [world.point("u0"), world.point("u1", world.clock.now - timedelta(minutes=1))])
    unwatched = Point("other", 1.0, NOW, {"k": "v"})
    a.write([unwatched])
    seen = a.warm.heads.seen("latency", NOW - timedelta(hours=1))
    assert {labels["user"]: last for labels, last in seen.values()} == {"u0": NOW, "u1": NOW - timedelta(minutes=1)}
    assert list(a.warm.heads.seen("other", NOW).values()) == [({"k": "v"}, NOW)]


def test_a_bump_tells_each_series_apart_in_one_round_trip_on_mongomock_and_on_a_live_server(store):
    """The server-only part: a failed condition collides on `_id` (TAKEN), a missing head is inserted (NEW)."""
    from metricwatch.store.heads import ANY, HELD, MINE, NEW, SETTLED, TAKEN, Claim, open_heads

    heads = open_heads(store, 0)
    claim = lambda key, mode=ANY, expect=None: Claim(key, "cpu", {"k": key}, NOW, mode, expect)
    assert heads.bump([claim("a"), claim("b")], "t1", NOW) == [NEW, NEW]
    soon, later = NOW + timedelta(seconds=10), NOW + SETTLE + timedelta(seconds=1)
    assert heads.bump([claim("a", MINE, "t1"), claim("b", MINE, "zz"), claim("c", SETTLED)], "t2", soon) == [
        HELD, TAKEN, NEW]
    assert heads.bump([claim("a", SETTLED), claim("b", MINE, "t2")], "t3", soon) == [TAKEN, HELD]
    assert heads.bump([claim("a", SETTLED)], "t4", later + timedelta(seconds=10)) == [HELD]
    assert {d["_id"]: d["w"] for d in heads.collection.find()} == {"a": "t4", "b": "t3", "c": "t2"}  # all bumped
