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
