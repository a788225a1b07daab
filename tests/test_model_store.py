"""Model stores by URL scheme: the same contract for a directory and for a GCS bucket.

The gs:// store is the real google-cloud-storage client talking HTTP to
gcp-storage-emulator, started here as a subprocess.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from gcs_emulator import gcs_emulator as start_emulator
from metricwatch.errors import ConfigError
from metricwatch.modelstore import open_model_store
from metricwatch.modelstore.local import FileModelStore


@pytest.fixture(scope="session")
def gcs_emulator():
    """A storage emulator over real HTTP; yields its host:port."""
    with start_emulator() as url:
        yield url


@pytest.fixture
def gcs_client(gcs_emulator, monkeypatch):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    return storage.Client(project="test", credentials=AnonymousCredentials())


@pytest.fixture(params=["file", "gs"])
def model_store(request, tmp_path):
    if request.param == "file":
        return FileModelStore(tmp_path / "models")
    from metricwatch.modelstore.gcs import GcsModelStore

    client = request.getfixturevalue("gcs_client")
    return GcsModelStore("models", prefix=f"run-{time.time_ns()}", client=client)


def test_a_missing_object_has_no_version_and_loads_as_none(model_store):
    assert model_store.version("nope.joblib") is None
    assert model_store.load("nope.joblib") is None


def test_saved_bytes_load_back_with_their_version(model_store):
    model_store.save("cpu_m_host=a.joblib", b"model-bytes")
    data, loaded_version = model_store.load("cpu_m_host=a.joblib")
    assert data == b"model-bytes"
    assert loaded_version == model_store.version("cpu_m_host=a.joblib") is not None


def test_overwriting_an_object_changes_its_version(model_store):
    model_store.save("m.joblib", b"one")
    first = model_store.version("m.joblib")
    time.sleep(0.01)
    model_store.save("m.joblib", b"two")
    assert model_store.version("m.joblib") != first
    assert model_store.load("m.joblib")[0] == b"two"


def test_names_lists_what_was_saved(model_store):
    model_store.save("b.joblib", b"1")
    model_store.save("a_m_k=v%2Cw.joblib", b"2")
    assert model_store.names() == ["a_m_k=v%2Cw.joblib", "b.joblib"]


def test_updated_says_when_each_object_was_last_written_in_utc(model_store):
    """The trainer orders series by it, stalest model first."""
    model_store.save("old.joblib", b"1")
    time.sleep(0.05)
    model_store.save("new.joblib", b"2")
    updated = model_store.updated()
    assert sorted(updated) == ["new.joblib", "old.joblib"]
    assert all(t.utcoffset() == timedelta(0) for t in updated.values())
    assert updated["old.joblib"] < updated["new.joblib"]
    assert abs(datetime.now(timezone.utc) - updated["new.joblib"]) < timedelta(minutes=1)


def test_gs_urls_name_a_bucket_and_prefix(gcs_client):
    store = open_model_store("gs://models/some/prefix/")
    assert store.url == "gs://models/some/prefix/"


@pytest.mark.parametrize("url, says", [
    ("s3://bucket", "scheme must be gs:// or file://"),
    ("gs://", "needs a bucket"),
    ("file://", "needs a directory"),
    ("models", "scheme must be"),
])
def test_a_bad_model_store_url_is_a_config_error(url, says):
    with pytest.raises(ConfigError) as err:
        open_model_store(url)
    assert says in err.value.message and "MODEL_STORE_URL" in err.value.message


def test_file_urls_may_be_absolute_or_relative(tmp_path):
    assert open_model_store(f"file://{tmp_path}").root == tmp_path
    assert str(open_model_store("file://.data/models").root) == ".data/models"


# -- a cold instance's batch: its models fetched at once ---------------------------------------------

class InFlight:
    """A model store that counts how many of its calls run at the same time."""

    def __init__(self, store, pause: float = 0.02) -> None:
        import threading

        self.store, self.pause, self.now, self.peak, self.lock = store, pause, 0, 0, threading.Lock()

    def __getattr__(self, name):
        return getattr(self.store, name)

    def _timed(self, call, *args):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.pause)  # a bucket round trip
            return call(*args)
        finally:
            with self.lock:
                self.now -= 1

    def version(self, name):
        return self._timed(self.store.version, name)

    def load(self, name):
        return self._timed(self.store.load, name)


def test_a_batch_over_many_series_fetches_their_models_at_once_with_the_same_result(model_store):
    from metricwatch.modelstore.cache import FETCH_WORKERS, ModelCache, dumps

    names = [f"requests_robust_seasonal_svc-{k}.joblib" for k in range(40)]
    for k, name in enumerate(names[:30]):  # 10 series have no model yet
        model_store.save(name, dumps({"series": k}))
    slow = InFlight(model_store)
    cold = ModelCache(slow, refresh_seconds=60)
    assert cold.prefetch(names + names[:5]) == 40  # each series once
    assert 1 < slow.peak <= FETCH_WORKERS and cold.loads == 30
    one_by_one = ModelCache(model_store, refresh_seconds=60)
    assert [cold.get(n) for n in names] == [one_by_one.get(n) for n in names]
    assert cold.loads == 30  # the gets found them fetched
    assert cold.prefetch(names) == 0  # all fresh: nothing to fetch


def test_a_model_that_cannot_be_fetched_leaves_the_others_of_the_batch_their_models(tmp_path, caplog):
    from metricwatch.modelstore.cache import ModelCache, dumps

    store = FileModelStore(tmp_path / "models")
    store.save("a.joblib", dumps("A"))
    store.save("b.joblib", b"not a pickle")
    store.save("c.joblib", dumps("C"))
    cache = ModelCache(store, refresh_seconds=60)
    cache.prefetch(["a.joblib", "b.joblib", "c.joblib"])
    assert [cache.get(n) for n in ("a.joblib", "b.joblib", "c.joblib")] == ["A", None, "C"]
    assert "b.joblib" in caplog.text
