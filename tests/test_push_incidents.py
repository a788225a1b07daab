"""A push reads no incidents when its instance knows the series has none, and moves them as a read would.

Instances are those of `test_push_state.py` (a `Detector` each, over one shared store and its
series heads), each with its own `IncidentTracker` over one shared incidents collection. Every
batch is also given, in the same order, to a reference tracker that keeps nothing and always
reads, over incidents of its own: after every step both collections must hold the same
incidents, field by field. The round trips on every collection are counted, so each test also
says when the find on the incidents was made and when it was left out.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from metricwatch.alerting.nodata import sweep_no_data
from metricwatch.alerting.rules import AlertingRules, parse_rules
from metricwatch.alerting.store import AlertStore
from metricwatch.alerting.tracker import IncidentTracker
from metricwatch.ingest import score_and_store
from metricwatch.store import StoredPoint
from metricwatch.store.heads import SeriesHeads
from test_push_state import CATALOG, COLD, TAKEN, WARM, World, models_dir  # noqa: F401

FIND = ["incidents.find"]
OPEN = ["incidents.find", "incidents.insert_many"]
MOVE = ["incidents.find", "incidents.replace_one"]  # an open incident extended, counted or resolved


class CountingAll:
    """A collection, appending `<label>.<method>` to a shared list for every call (each one round trip)."""

    def __init__(self, collection, label: str, calls: list[str]) -> None:
        self.collection, self.label, self.calls = collection, label, calls

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls.append(f"{self.label}.{name}")
            return attr(*args, **kwargs)
        return counted


class Instance:
    def __init__(self, detector, tracker: IncidentTracker) -> None:
        self.detector, self.tracker = detector, tracker


class Alerting(World):
    """`World` with incidents: instances that track them, and a reference tracker that always reads."""

    def __init__(self, models_dir, catalog, rules: AlertingRules = AlertingRules()) -> None:
        super().__init__(models_dir, catalog)
        self.rules = rules
        self.ref = AlertStore(self.db.client.reference).ensure_indexes()
        self.ref_tracker = IncidentTracker(self.ref, rules, self.clock)

    def instance(self, state_entries: int = 100, cache_entries: int = 100) -> Instance:  # type: ignore[override]
        alerts = AlertStore(self.db).ensure_indexes()
        alerts.incidents = CountingAll(alerts.incidents, "incidents", self.calls)
        return Instance(super().instance(state_entries, cache_entries), IncidentTracker(alerts, self.rules, self.clock))

    def push(self, instance: Instance, *points) -> list[str]:
        """Score, store and track through `instance`; its round trips. The reference tracks the same points."""
        expected = self.reference.score_points(list(points))
        del self.calls[:]
        stored, counts = score_and_store(instance.detector, list(points), instance.tracker)
        trips = list(self.calls)
        assert [s.verdict for s in stored] == expected
        assert self.reference_tracks(stored) == counts
        return trips

    def reference_tracks(self, stored) -> dict[str, int]:
        counts = self.ref_tracker.track([StoredPoint(s.point, s.verdict) for s in stored])  # no bump: it reads
        self.assert_same_incidents()
        return counts

    def incidents(self, collection=None) -> list[dict]:
        found = (collection if collection is not None else self.db.incidents).find()
        return sorted(({k: v for k, v in d.items() if k != "_id"} for d in found),
                      key=lambda d: (d["series"], d["kind"], d["first_anomaly_at"]))

    def assert_same_incidents(self) -> None:
        assert self.incidents() == self.incidents(self.ref.incidents)

    def calm(self, user: str = "u0"):
        """A normal point: its series' level with the history's noise (a repeated value is `stuck`)."""
        return self.point(user, value=100.0 * (int(user[1]) + 1) + 2.0 * float(self.rng.standard_normal()))

    def spike(self, user: str = "u0"):
        return self.point(user, value=100.0 * (int(user[1]) + 1) * 50)


@pytest.fixture
def world(models_dir) -> Alerting:
    return Alerting(models_dir, CATALOG)


def warm_up(world: Alerting, instance: Instance) -> None:
    """A first push (cold: it reads its context and the incidents), then the instance holds the series."""
    world.push(instance, world.calm())
    world.tick()


# -- one instance -------------------------------------------------------------------------------

def test_a_warm_normal_push_makes_two_round_trips_with_alerting_on(world):
    a = world.instance()
    assert world.push(a, world.calm()) == COLD + FIND  # a cold instance reads the incidents
    for _ in range(20):
        world.tick()
        assert world.push(a, world.calm()) == WARM  # bump + insert: the incidents are not read
    assert world.incidents() == []


def test_an_anomalous_point_reads_and_opens_an_incident_which_three_normal_points_resolve(world):
    a = world.instance()
    warm_up(world, a)
    assert world.push(a, world.spike()) == WARM + OPEN
    assert [d["status"] for d in world.incidents()] == ["firing"]
    trips = []
    for _ in range(4):
        world.tick()
        trips.append(world.push(a, world.calm()))
    assert trips == [WARM + MOVE, WARM + MOVE, WARM + MOVE, WARM]  # counted, counted, resolved; then calm
    assert [(d["status"], d["normal_run"]) for d in world.incidents()] == [("resolved", 3)]


def test_a_series_calm_in_a_batch_is_left_out_of_the_find_of_the_others(world):
    a = world.instance()
    world.push(a, *[world.calm(u) for u in ("u0", "u1", "u2")])
    world.tick()
    assert world.push(a, world.calm("u0"), world.spike("u1"), world.calm("u2")) == WARM + OPEN
    world.tick()
    assert world.push(a, world.calm("u0"), world.calm("u2")) == WARM
    world.tick()
    assert world.push(a, world.calm("u0"), world.calm("u1")) == WARM + MOVE


def test_a_pending_incident_broken_before_for_points_is_dropped_and_the_series_calm_again(models_dir):
    world = Alerting(models_dir, CATALOG, parse_rules({"route": {"for_points": 2}}))
    a = world.instance()
    warm_up(world, a)
    assert world.push(a, world.spike()) == WARM + OPEN
    assert [d["status"] for d in world.incidents()] == ["pending"]
    world.tick()
    assert world.push(a, world.calm()) == WARM + ["incidents.find", "incidents.delete_many"]
    world.tick()
    assert world.push(a, world.calm()) == WARM
    assert world.incidents() == []


def test_an_instance_started_again_reads_the_incidents_it_cannot_remember(world):
    a = world.instance()
    warm_up(world, a)
    world.push(a, world.spike())
    world.tick()
    restarted = world.instance()
    assert world.push(restarted, world.calm()) == COLD + MOVE  # a's write is settled: a complete read
    world.tick()
    assert world.push(restarted, world.calm()) == WARM + MOVE  # an open incident is read on every push
    world.tick()
    assert world.push(restarted, world.calm()) == WARM + MOVE  # resolved
    world.tick()
    assert world.push(restarted, world.calm()) == WARM


def test_without_windows_every_push_reads_the_incidents(world):
    a = world.instance(state_entries=0)
    for _ in range(3):
        assert world.push(a, world.calm()) == COLD + FIND
        world.tick()


def test_a_resolution_that_failed_to_be_written_is_not_remembered_as_calm(world):
    a = world.instance()
    warm_up(world, a)
    world.push(a, world.spike())
    for _ in range(2):
        world.tick()
        assert world.push(a, world.calm()) == WARM + MOVE
    world.tick()
    incidents = a.tracker.store.incidents

    def refuse(*args, **kwargs):
        raise RuntimeError("MongoDB is unreachable")

    a.tracker.store.incidents = type("Refusing", (), {"replace_one": staticmethod(refuse),
                                                       "__getattr__": lambda self, n: getattr(incidents, n)})()
    with pytest.raises(RuntimeError):  # the third normal point: its resolution is not written
        score_and_store(a.detector, [world.calm()], a.tracker)
    a.tracker.store.incidents = incidents
    assert [(d["status"], d["normal_run"]) for d in world.incidents()] == [("firing", 2)]
    world.tick()
    assert world.push(a, world.calm()) == WARM + MOVE  # still firing in the store: read, and resolved now
    assert [(d["status"], d["normal_run"]) for d in world.incidents()] == [("resolved", 3)]
    world.tick()
    assert world.push(a, world.calm()) == WARM


# -- many instances -----------------------------------------------------------------------------

def test_an_incident_another_instance_opened_is_counted_and_resolved_by_this_ones_normal_points(world):
    a, b = world.instance(), world.instance()
    warm_up(world, a)
    assert world.push(a, world.calm()) == WARM
    world.tick()
    assert world.push(b, world.spike()) == COLD + OPEN  # b remembers nothing: it reads, then opens
    trips = []
    for _ in range(4):
        world.tick()
        trips.append(world.push(a, world.calm()))
    assert trips == [TAKEN + MOVE, COLD + MOVE, WARM + MOVE, WARM]  # b's bump took the head: a reads
    assert [(d["status"], d["normal_run"]) for d in world.incidents()] == [("resolved", 3)]


def test_an_incident_opened_by_a_write_in_flight_when_this_instance_read_is_read_again(world):
    """b has stored an anomalous point but not yet opened its incident when a reads the incidents.

    a finds none, and its normal point moves nothing. Remembering the series as calm from that read
    would be wrong once b's incident lands: a would never count its normal points against it. A read
    made while another writer's bump is younger than `SETTLE` vouches for nothing, so a reads again.
    """
    a, b = world.instance(), world.instance()
    warm_up(world, a)
    world.push(a, world.calm())
    world.tick()
    in_flight = b.detector.write([world.spike()])  # bumped and inserted; its incident not yet tracked
    world.tick(timedelta(seconds=1))
    assert world.push(a, world.calm()) == TAKEN + FIND
    assert world.incidents() == []
    assert b.tracker.track(in_flight) == world.reference_tracks(in_flight)
    assert [d["status"] for d in world.incidents()] == ["firing"]
    trips = []
    for _ in range(4):
        world.tick()
        trips.append(world.push(a, world.calm()))
    assert trips == [COLD + MOVE, WARM + MOVE, WARM + MOVE, WARM]
    assert [(d["status"], d["normal_run"]) for d in world.incidents()] == [("resolved", 3)]


def test_two_requests_on_one_series_in_one_instance_cannot_hide_an_incident_between_them(world):
    """Request A stores a spike; request B, in another thread of the same instance, bumps on A's token.

    Were B to read the incidents before A opened its incident and note the series calm after, every
    later normal push would skip the read and A's incident never be counted or resolved. Each step is
    given its chance to interleave so (each wait times out rather than deadlock): A waits after its
    insert for B's read, B waits before its incident writes for A's bookkeeping to end.
    """
    a = world.instance()
    warm_up(world, a)
    world.push(a, world.calm())
    world.tick()
    b_read, a_tracked = threading.Event(), threading.Event()
    write, open_now, track, write_incidents = (a.detector.write, a.tracker._open_now, a.tracker.track,
                                               a.tracker._write)
    b_thread: list[threading.Thread] = []

    def write_then_let_b_in(points):
        stored = write(points)
        if not b_thread:  # A: B pushes now, and A goes on once B has read (or B cannot)
            b_thread.append(threading.Thread(target=score_and_store, args=(a.detector, [world.calm()], a.tracker)))
            world.tick()
            b_thread[0].start()
            b_read.wait(1.0)
        return stored

    def read_and_tell(series):
        got = open_now(series)
        if threading.current_thread() is not threading.main_thread():
            b_read.set()
        return got

    def track_and_tell(stored):
        try:
            return track(stored)
        finally:
            if threading.current_thread() is threading.main_thread():
                a_tracked.set()

    def b_waits_for_a(changed, dropped):
        if threading.current_thread() is not threading.main_thread():
            a_tracked.wait(1.0)
        return write_incidents(changed, dropped)

    a.detector.write, a.tracker._open_now, a.tracker.track, a.tracker._write = (
        write_then_let_b_in, read_and_tell, track_and_tell, b_waits_for_a)
    score_and_store(a.detector, [world.spike()], a.tracker)
    b_thread[0].join(5.0)
    del a.detector.write, a.tracker._open_now, a.tracker.track, a.tracker._write
    assert [d["status"] for d in world.incidents()] == ["firing"]
    reads = []
    for _ in range(3):  # with B's, resolve_after_points normal points: read and counted until resolved
        world.tick()
        del world.calls[:]
        score_and_store(a.detector, [world.calm()], a.tracker)
        reads.append(FIND[0] in world.calls)
    assert reads[:2] == [True, True]
    assert [d["status"] for d in world.incidents()] == ["resolved"]


def test_a_no_data_incident_opened_by_the_sweep_is_resolved_by_the_next_push(world):
    a = world.instance()
    warm_up(world, a)
    assert world.push(a, world.calm()) == WARM
    world.tick(timedelta(minutes=45))
    catalog = {"latency": replace(CATALOG["latency"], absent_after=timedelta(minutes=30))}
    heads = SeriesHeads(world.db.metrics_heads)
    opened = sweep_no_data(catalog, world.store, heads, AlertStore(world.db), world.clock.now)
    assert opened == sweep_no_data(catalog, world.store, heads, world.ref, world.clock.now) == {
        "opened": 3, "resolved": 0}
    world.assert_same_incidents()
    assert world.push(a, world.calm()) == TAKEN + MOVE  # the sweep bumped the head before it opened
    assert [d["status"] for d in world.incidents() if d["labels"] == {"user": "u0"}] == ["resolved"]
    world.tick()
    assert world.push(a, world.calm()) == COLD + FIND  # the read after the taken head vouched for nothing
    world.tick()
    assert world.push(a, world.calm()) == WARM


def test_the_sweep_stamps_its_bump_when_it_bumps_not_when_its_run_started(world):
    a = world.instance()
    warm_up(world, a)
    world.tick(timedelta(minutes=45))
    started = world.clock.now
    catalog = {"latency": replace(CATALOG["latency"], absent_after=timedelta(minutes=30))}
    bumped_at = started + timedelta(minutes=3)  # a sweep that reached this metric three minutes into its run
    sweep_no_data(catalog, world.store, SeriesHeads(world.db.metrics_heads), AlertStore(world.db), started,
                  clock=lambda: bumped_at)
    stamps = {doc["at"].replace(tzinfo=started.tzinfo) for doc in world.db.metrics_heads.find()}
    assert stamps == {bumped_at}  # a reader counts SETTLE from here: the incidents opened after it


def test_interleaved_instances_and_anomalies_always_leave_the_incidents_of_a_tracker_that_reads(world):
    instances = [world.instance(), world.instance()]
    skipped = 0
    for _ in range(80):
        world.tick(timedelta(seconds=int(world.rng.integers(10, 400))))
        who = int(world.rng.integers(0, 3)) % 2  # a writes twice as often as b
        users = [u for u in ("u0", "u1", "u2") if world.rng.random() < 0.6] or ["u0"]
        points = [world.spike(u) if world.rng.random() < 0.15 else world.calm(u) for u in users]
        trips = world.push(instances[who], *points)  # compares with the reference after every push
        skipped += "incidents.find" not in trips
    assert skipped >= 5
