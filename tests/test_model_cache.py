"""A warm instance keeps its models, and notices a retrained one."""

from __future__ import annotations

import logging

from metricwatch.modelstore.cache import ModelCache, dumps
from metricwatch.modelstore.local import FileModelStore


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_cached_model_is_not_downloaded_again_within_the_refresh_period(tmp_path):
    store, clock = FileModelStore(tmp_path), Clock()
    store.save("m.joblib", dumps({"v": 1}))
    cache = ModelCache(store, refresh_seconds=60, clock=clock)
    assert cache.get("m.joblib") == {"v": 1}
    store.save("m.joblib", dumps({"v": 2}))
    clock.now = 59
    assert cache.get("m.joblib") == {"v": 1}
    assert cache.loads == 1


def test_a_retrained_model_is_picked_up_after_the_refresh_period(tmp_path):
    store, clock = FileModelStore(tmp_path), Clock()
    store.save("m.joblib", dumps({"v": 1}))
    cache = ModelCache(store, refresh_seconds=60, clock=clock)
    cache.get("m.joblib")
    store.save("m.joblib", dumps({"v": 2}))
    clock.now = 61
    assert cache.get("m.joblib") == {"v": 2}
    assert cache.loads == 2


def test_an_unchanged_model_is_only_checked_not_reloaded(tmp_path):
    store, clock = FileModelStore(tmp_path), Clock()
    store.save("m.joblib", dumps({"v": 1}))
    cache = ModelCache(store, refresh_seconds=0, clock=clock)
    for _ in range(5):
        cache.get("m.joblib")
    assert cache.loads == 1


def test_a_missing_model_is_none_until_one_is_trained_then_picked_up_within_seconds(tmp_path):
    store, clock = FileModelStore(tmp_path), Clock()
    cache = ModelCache(store, refresh_seconds=60, clock=clock)
    assert cache.get("m.joblib") is None
    store.save("m.joblib", dumps("trained"))
    clock.now = 4
    assert cache.get("m.joblib") is None  # checked at most every MISSING_RECHECK_SECONDS (5)
    clock.now = 5
    assert cache.get("m.joblib") == "trained"
    store.save("m.joblib", dumps("retrained"))
    clock.now = 64
    assert cache.get("m.joblib") == "trained"  # a model in memory is trusted for the whole period


def test_an_unreadable_model_is_logged_and_gives_none(tmp_path, caplog):
    store = FileModelStore(tmp_path)
    store.save("m.joblib", b"this is not a joblib file")
    with caplog.at_level(logging.ERROR):
        assert ModelCache(store, refresh_seconds=0).get("m.joblib") is None
    assert "could not be read" in caplog.text and "m.joblib" in caplog.text


def test_an_unreadable_model_is_retried_and_logged_once_per_refresh_period_not_every_few_seconds(tmp_path, caplog):
    store, clock = FileModelStore(tmp_path), Clock()
    store.save("m.joblib", b"this is not a joblib file")
    cache = ModelCache(store, refresh_seconds=60, clock=clock)
    with caplog.at_level(logging.ERROR):
        for second in range(0, 120, 5):
            clock.now = second
            assert cache.get("m.joblib") is None
    assert caplog.text.count("could not be read") == 2  # at 0 s and 60 s


class FlakyStore(FileModelStore):
    """A bucket whose metadata calls fail while `down` is set."""

    down = False

    def version(self, name):
        if self.down:
            raise ConnectionError("bucket unavailable")
        return super().version(name)


def test_a_bucket_outage_is_retried_once_per_refresh_period_for_a_series_without_a_model(tmp_path, caplog):
    store, clock = FlakyStore(tmp_path), Clock()
    store.down = True
    cache = ModelCache(store, refresh_seconds=60, clock=clock)
    with caplog.at_level(logging.ERROR):
        for second in range(0, 60, 5):
            clock.now = second
            assert cache.get("m.joblib") is None
    assert caplog.text.count("could not be read") == 1


def test_a_failing_check_keeps_the_model_already_in_memory(tmp_path, caplog):
    store, clock = FlakyStore(tmp_path), Clock()
    store.save("m.joblib", dumps({"v": 1}))
    cache = ModelCache(store, refresh_seconds=10, clock=clock)
    cache.get("m.joblib")
    store.down, clock.now = True, 11
    with caplog.at_level(logging.ERROR):
        assert cache.get("m.joblib") == {"v": 1}
    assert "keeping the one in memory" in caplog.text


def test_the_cache_is_bounded_and_drops_the_least_recently_used(tmp_path):
    store = FileModelStore(tmp_path)
    for name in "abc":
        store.save(f"{name}.joblib", dumps(name))
    cache = ModelCache(store, refresh_seconds=60, clock=Clock(), max_entries=2)
    cache.get("a.joblib"), cache.get("b.joblib"), cache.get("a.joblib"), cache.get("c.joblib")
    assert list(cache._entries) == ["a.joblib", "c.joblib"]


def test_cycling_more_series_than_entries_counts_each_reload_within_the_refresh_period_as_a_thrash(tmp_path, caplog):
    store, clock = FileModelStore(tmp_path), Clock()
    for i in range(4):
        store.save(f"m{i}.joblib", dumps({"v": i}))
    cache = ModelCache(store, refresh_seconds=120, clock=clock, max_entries=3)
    with caplog.at_level(logging.WARNING, logger="metricwatch.modelstore.cache"):
        for i in range(4):  # the 4th evicts m0: nothing reloaded yet
            cache.get(f"m{i}.joblib")
        assert (cache.thrashes, cache.loads) == (0, 4)
        clock.now = 10
        for i in range(4):  # each series comes back while it would still be trusted, and evicts the next
            assert cache.get(f"m{i}.joblib") == {"v": i}
        assert (cache.thrashes, cache.loads) == (4, 8)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # at most once a minute, with the running count
    assert "model cache thrashing: 1 series reloaded within MODEL_REFRESH_SECONDS=120" in warnings[0]
    assert "MODEL_CACHE_ENTRIES=3" in warnings[0]
    clock.now = 75  # a minute after the first warning, the next thrash logs again, with the running count
    cache.get("m0.joblib")  # evicted at 10 by m3: within its refresh period
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert cache.thrashes == 5 and len(warnings) == 2 and "thrashing: 5 series" in warnings[1]


def test_a_series_evicted_longer_ago_than_its_refresh_period_is_not_a_thrash(tmp_path, caplog):
    store, clock = FileModelStore(tmp_path), Clock()
    for i in range(2):
        store.save(f"m{i}.joblib", dumps({"v": i}))
    cache = ModelCache(store, refresh_seconds=60, clock=clock, max_entries=1)
    cache.get("m0.joblib")
    cache.get("m1.joblib")  # evicts m0 at 0
    clock.now = 60
    with caplog.at_level(logging.WARNING, logger="metricwatch.modelstore.cache"):
        cache.get("m0.joblib")  # it would have been checked again anyway
    assert cache.thrashes == 0 and not caplog.records


def test_the_detectors_cache_is_sized_by_model_cache_entries(make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    runtime = build_runtime(make_settings(MODEL_CACHE_ENTRIES="123"), store=MongoMetricStore(collection))
    assert runtime.detector.cache.max_entries == 123
    default = build_runtime(make_settings(), store=MongoMetricStore(collection))
    assert default.detector.cache.max_entries == 10_000


def test_model_cache_entries_must_be_a_positive_number(make_settings):
    import pytest

    from metricwatch.errors import ConfigError

    with pytest.raises(ConfigError, match="MODEL_CACHE_ENTRIES"):
        make_settings(MODEL_CACHE_ENTRIES="0")
