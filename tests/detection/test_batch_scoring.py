"""Many series of robust_seasonal scored in one call give, field by field and bit for bit, what one call each gives.

`robust_batch.score_group` stacks series whose models share their hyperparameters
into one (series x rows) array; `scoring.score_many` sends it the series it can
stack and scores the others alone. The series below are of every kind the model
treats apart: daily and weekday profiles, flat, counts (the Anscombe scale), hours
of different noise, stuck values, a nightly job (the time-of-day cap), spikes,
drops and shifts that fire and rows the one-alarm gates silence; scored with
full context, with little or none, one point or several.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.models import create_model, robust_batch
from metricwatch.detection.models.base import Scores
from metricwatch.detection.models.robust_seasonal import RobustSeasonalModel
from metricwatch.detection.scoring import score_many, score_series
from metricwatch.store.base import SeriesData

DAY, STEP = 86400.0, 300.0
T0 = 1.7e9 - 1.7e9 % DAY  # midnight UTC
KINDS = ("flat", "daily", "busy_hours", "weekday", "counts", "nightly", "stuck", "skewed")
FLOATS, TEXTS = ("score", "expected", "lower", "upper"), ("reason", "silenced")


def series(kind: str, seed: int, days: int, step: float = STEP) -> tuple[np.ndarray, np.ndarray]:
    """`days` of one kind of metric, with spikes, drops, a level shift and a stuck stretch in its last 3 days."""
    rng = np.random.default_rng(seed)
    ts = T0 + step * np.arange(int(days * DAY / step))
    hour, wave = (ts % DAY) / 3600.0, np.sin(2 * np.pi * ts / DAY)
    noise = rng.normal(0.0, 1.0, len(ts))
    x = {"flat": 50.0 + 2.0 * noise,
         "daily": 100.0 + 10.0 * wave + noise,
         "busy_hours": 100.0 + 10.0 * wave + noise * np.where((hour > 8) & (hour < 18), 3.0, 0.7),
         "weekday": 100.0 + 10.0 * wave + 15.0 * (np.floor(ts / DAY) % 7 >= 5) + noise,
         "counts": rng.poisson(4.0 + 3.0 * (wave + 1.0)).astype(float),
         "nightly": 100.0 + noise + 30.0 * ((hour >= 3.0) & (hour < 3.2)),
         "stuck": np.round(100.0 + noise, 1),
         "skewed": 100.0 * np.exp(0.1 * noise)
         * np.where(rng.random(len(ts)) < 0.02, 1.0 + rng.pareto(2.0, len(ts)), 1.0)}[kind]
    day = int(DAY / step)
    scored = len(ts) - 3 * day
    x[scored + 10:scored + 10 + day // 12] += 3.0  # the first day: a small plateau for 2 hours, then spikes and drops
    for at in rng.choice(np.arange(scored + day // 4, scored + day), 6, replace=False):
        x[at] += rng.choice([-1.0, 1.0]) * rng.uniform(6.0, 30.0) * (2.0 if kind != "counts" else 1.0)
    shift = scored + day + day // 24  # the second: a large level shift for 5 hours
    x[shift:shift + day // 5] += 12.0 if kind != "counts" else 8.0
    stuck = scored + 2 * day + day // 3  # the third: a value stuck for 5 hours
    x[stuck:stuck + day // 5] = x[stuck]
    return ts, np.maximum(x, 0.0) if kind == "counts" else x


def trained(kind: str, seed: int, step: float = STEP, **params) -> tuple[RobustSeasonalModel, np.ndarray, np.ndarray]:
    days = 15 if kind == "weekday" else 7
    ts, x = series(kind, seed, days + 3, step)
    cut = int(days * DAY / step)
    return create_model("robust_seasonal", params).fit(ts[:cut], x[:cut]), ts, x


def jobs_of(model, ts: np.ndarray, x: np.ndarray, starts=(576,), points=(1,), every: int = 1) -> list[tuple]:
    """Scoring calls over the last 3 days, every `every` rows: `starts` context rows and `points` points in turn."""
    out = []
    first = len(ts) - int(3 * DAY / (ts[1] - ts[0]))
    for i, end in enumerate(range(first, len(ts) - max(points), every)):
        start, k = starts[i % len(starts)], points[i % len(points)]
        out.append((model, ts[end - start:end + k], x[end - start:end + k], start))
    return out


def assert_same(got: Scores, want: Scores) -> None:
    """Every field equal: numbers bit for bit (the sign of a zero too), verdicts and reasons exactly."""
    assert got.anomaly.dtype == want.anomaly.dtype and got.anomaly.tolist() == want.anomaly.tolist()
    for name in FLOATS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name
    for name in TEXTS:
        a, b = getattr(got, name), getattr(want, name)
        assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist()), name


@pytest.fixture(scope="module")
def models() -> dict[str, tuple]:
    return {kind: trained(kind, seed) for seed, kind in enumerate(KINDS)}


@pytest.fixture(scope="module")
def jobs(models) -> list[tuple]:
    """Every kind interleaved, so each stacked array mixes profiles, counts, hour scales and recurrences."""
    per_kind = [jobs_of(*models[kind], points=(1, 3), every=2) for kind in KINDS]  # every row scored
    return [job for row in zip(*per_kind) for job in row]


def batch(jobs: list[tuple]) -> list[Scores | None]:
    """The stacked scores of `jobs`, every one of which must be stacked with others (one group per rows and start)."""
    found = robust_batch.groups(jobs)
    assert sorted(i for group in found for i in group) == list(range(len(jobs)))
    out: list[Scores | None] = [None] * len(jobs)
    for group in found:
        for i, got in zip(group, robust_batch.score_group([jobs[i] for i in group])):
            out[i] = got
    return out


def test_the_generated_series_reach_every_path_of_the_model(models, jobs) -> None:
    fitted = [m for m, _, _ in models.values()]
    assert {m._profile.kind for m in fitted} >= {"none", "daily", "weekday"}
    assert any(m._counts for m in fitted) and any(m._hour_scales is not None for m in fitted)
    nightly, ts, x = models["nightly"]
    uncapped = copy.copy(nightly)
    uncapped._recurrence = None
    assert nightly._recurrence is not None
    assert not np.array_equal(nightly.score(ts, x, 2016).score, uncapped.score(ts, x, 2016).score)  # the cap acts
    skewed, ts, x = models["skewed"]
    pooled = copy.copy(skewed)
    pooled.side_digits = 0.0
    assert not np.array_equal(skewed.score(ts, x, 2016).score, pooled.score(ts, x, 2016).score)  # the sides act
    scores = [m.score(t, v, s) for m, t, v, s in jobs]
    reasons = {r for s in scores if s.reason is not None for r in s.reason if r}
    assert reasons >= {"far_from_expected", "jump", "sustained_shift", "stuck"}
    assert sum(s.silenced is not None for s in scores) >= 100 and sum((s.anomaly == -1).sum() for s in scores) >= 12


def test_a_stacked_group_scores_each_series_as_its_own_call(jobs) -> None:
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))


@pytest.mark.parametrize("starts,points", [((0, 30, 200), (1,)), ((400, 576), (1, 3, 12)), ((120,), (40,))])
def test_little_or_no_context_and_several_points_score_the_same(models, starts, points) -> None:
    jobs = [job for kind in KINDS for job in jobs_of(*models[kind], starts=starts, points=points, every=3)]
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))


@pytest.mark.parametrize("params", [{"refractory_hours": 0, "quiet_points": 0}, {"long_shift_windows": ()},
                                    {"level_window": 12, "shift_window": 3, "quiet_points": 30}])
def test_other_hyperparameters_score_the_same(params) -> None:
    jobs = [job for seed, kind in enumerate(KINDS) for job in jobs_of(*trained(kind, seed, **params), every=11)]
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))


def test_hourly_data_scores_the_same() -> None:
    jobs = [job for seed, kind in enumerate(("flat", "daily", "counts")) for job in
            jobs_of(*trained(kind, seed, step=3600.0), starts=(100, 160), points=(1, 2))]  # refractory 24 rows
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))


def test_a_model_file_from_before_the_long_shifts_is_stacked_with_its_own_kind(models) -> None:
    old = RobustSeasonalModel.__new__(RobustSeasonalModel)
    state = dict(models["daily"][0].__dict__)
    for name in ("_long", "long_shift_windows", "long_shift_discount", "_counts", "noise", "_hour_scales"):
        del state[name]
    old.__setstate__(state)
    jobs = jobs_of(old, *models["daily"][1:], every=9)
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))


def test_what_cannot_be_stacked_is_left_to_its_own_call(models) -> None:
    model, ts, x = models["daily"]
    remembering = copy.deepcopy(model)  # its alarms called normal: a memory of accepted feedback
    remembering.accept(ts, x, np.concatenate((np.zeros(2016, bool), model.score(ts, x, 2016).anomaly == -1)))
    assert remembering._accepted is not None
    zscore = create_model("robust_zscore", {}).fit(ts[:2016], x[:2016])
    jobs = jobs_of(model, ts, x, every=50)
    odd = [(remembering, *jobs[0][1:]), (zscore, *jobs[1][1:]), (model, ts[:10], x[:10], 10)]
    assert robust_batch.groups(odd + jobs) == [list(range(len(odd), len(odd) + len(jobs)))]
    bad = list(jobs[2])
    bad[2] = bad[2].copy()
    bad[2][5] = np.nan
    got = robust_batch.score_group([tuple(bad)] + jobs[3:])
    assert got[0] is None and all(s is not None for s in got[1:])


def calls(jobs: list[tuple]) -> list[tuple]:
    """`score_many`'s jobs for these scoring calls: context rows as the store gives them, then the points."""
    from metricwatch.points import Point
    from datetime import datetime, timezone

    watched = WatchedMetric("m", "robust_seasonal", {}, None)  # type: ignore[arg-type]
    out = []
    for model, ts, x, start in jobs:
        points = [Point("m", float(v), datetime.fromtimestamp(t, tz=timezone.utc))
                  for t, v in zip(ts[start:], x[start:])]
        out.append((model, watched, SeriesData(ts[:start], x[:start]), points))
    return out


def test_score_many_gives_each_series_its_own_verdicts_and_keeps_a_failure_to_its_series(models, jobs) -> None:
    broken = copy.copy(models["flat"][0])
    broken._scales = ()  # scoring it raises
    many = calls(jobs[:60]) + calls([(broken, *jobs[0][1:])])
    got = score_many(many)
    for job, verdicts in zip(many[:-1], got):
        assert verdicts == score_series(*job)
    assert isinstance(got[-1], Exception)


def test_a_stacked_call_that_fails_scores_its_series_one_by_one(models, jobs, monkeypatch) -> None:
    def fails(jobs):
        raise RuntimeError("boom")

    monkeypatch.setattr(robust_batch, "score_group", fails)
    many = calls(jobs[:30])
    assert score_many(many) == [score_series(*job) for job in many]


def test_a_push_over_many_series_gives_the_verdicts_of_pushing_each_series_alone(tmp_path, monkeypatch) -> None:
    """Through the push path (`Detector.write`, warm windows and heads): a batch over 16 series, two points
    for some, stacked; each series pushed alone (one call each, from a fresh read) gives the same verdicts."""
    import mongomock
    from datetime import timedelta

    from conftest import NOW, history
    from metricwatch.detection.detector import Detector
    from metricwatch.modelstore.cache import ModelCache
    from metricwatch.modelstore.local import FileModelStore
    from metricwatch.points import Point
    from metricwatch.store import MongoMetricStore, StoredPoint
    from metricwatch.store.heads import SeriesHeads

    db, step, users = mongomock.MongoClient(tz_aware=True).db, timedelta(minutes=5), [f"u{i}" for i in range(16)]
    store, models = MongoMetricStore(db.metrics), FileModelStore(tmp_path)
    for i, user in enumerate(users):
        store.insert([StoredPoint(Point("latency", v, t, {"user": user})) for t, v in
                      history(NOW - 620 * step, 620, step=step, base=50.0 + 10 * i, noise=1.0 + i % 4, seed=i)])
    catalog = {"latency": WatchedMetric("latency", "robust_seasonal", {}, timedelta(days=7))}
    assert len(Detector(catalog, store, models, ModelCache(models, 0), clock=lambda: NOW).train().models) == 16
    pushed = Detector(catalog, store, models, ModelCache(models, 0), heads=SeriesHeads(db.metrics_heads),
                      state_entries=100)
    alone = Detector(catalog, store, models, ModelCache(models, 0))
    stacked = []
    monkeypatch.setattr(robust_batch, "score_group", lambda jobs, real=robust_batch.score_group: (
        stacked.append(len(jobs)), real(jobs))[1])
    rng, now, verdicts = np.random.default_rng(5), NOW, []
    for _ in range(6):
        now += step
        batch = [Point("latency", float(50.0 + 10 * i + rng.choice([0.0, 2.0, -3.0, 40.0, -60.0])),
                       now - timedelta(seconds=s), {"user": user})
                 for i, user in enumerate(users) for s in ((0, 60) if i % 3 == 0 else (0,))]
        expected = {}
        for user in users:
            mine = [p for p in batch if p.labels["user"] == user]
            expected.update(zip((id(p) for p in mine), alone.score_points(mine)))
        got = pushed.write([batch[i] for i in rng.permutation(len(batch))])
        assert all(s.verdict is not None and s.verdict == expected[id(s.point)] for s in got)
        verdicts.extend(expected.values())
    assert stacked and max(stacked) >= 10  # the push stacked its series (two groups: one point or two)
    assert any(v["anomaly"] == -1 for v in verdicts) and any(v["anomaly"] == 1 for v in verdicts)


def test_a_model_changed_after_a_stacked_call_is_scored_with_its_new_numbers(models) -> None:
    """Each model's numbers are kept between calls (batch_fitted._own); a refit or a replaced attribute is seen."""
    model, ts, x = copy.deepcopy(models["nightly"])
    jobs = jobs_of(model, ts, x, every=40)
    batch(jobs)  # the numbers kept
    model.fit(ts[:1000], x[:1000] * 2.0)  # in place: every fitted attribute a new object
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))
    model._recurrence = None
    for job, got in zip(jobs, batch(jobs)):
        assert_same(got, job[0].score(*job[1:]))


def test_the_level_at_some_stretches_is_the_level_of_the_whole_array_there() -> None:
    """`rows.trailing_median_at` (the level only where it is read): stretches at the start (windows of copies
    of the first value), apart, a row long, to the end; NaN elsewhere."""
    from metricwatch.detection.models import rows

    x = np.random.default_rng(3).normal(size=(5, 120)).cumsum(axis=1)
    spans = [(0, 1), (3, 20), (31, 33), (40, 41), (70, 120)]
    got, want = rows.trailing_median_at(x, 32, spans), rows.trailing_median(x, 32)
    read = np.zeros(120, bool)
    for lo, hi in spans:
        read[lo:hi] = True
    assert got[:, read].tobytes() == want[:, read].tobytes() and np.isnan(got[:, ~read]).all()
