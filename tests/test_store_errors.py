"""How MongoDB failures reach the caller: retry-later for connection trouble, a plain account for refusals."""

from __future__ import annotations

import logging

import pytest
from pymongo.errors import AutoReconnect, BulkWriteError, OperationFailure

from metricwatch.errors import StoreError, StoreUnavailable
from metricwatch.store.mongo import unavailable_as_503


def test_connection_trouble_is_503_retry_later():
    with pytest.raises(StoreUnavailable) as err, unavailable_as_503():
        raise AutoReconnect("primary stepped down")
    assert err.value.status == 503 and "unreachable" in err.value.message


def test_a_partly_refused_batch_says_how_much_was_written():
    details = {"nInserted": 7, "writeErrors": [{"index": 3, "errmsg": "document failed validation"}]}
    with pytest.raises(StoreError) as err, unavailable_as_503():
        raise BulkWriteError(details)
    assert err.value.status == 500
    assert "wrote 7" in err.value.message and "index 3" in err.value.message
    assert err.value.details["written"] == 7 and err.value.details["refused"] == [3]


def test_every_refused_index_is_listed_however_many():
    details = {"nInserted": 0, "writeErrors": [{"index": i, "errmsg": "x"} for i in range(5000)]}
    with pytest.raises(StoreError) as err, unavailable_as_503():
        raise BulkWriteError(details)
    assert err.value.details["refused"] == list(range(5000))


def test_a_write_concern_error_says_the_points_were_written_but_not_confirmed():
    details = {"nInserted": 4, "writeErrors": [], "writeConcernErrors": [{"errmsg": "waiting for replication timed out"}]}
    with pytest.raises(StoreError) as err, unavailable_as_503():
        raise BulkWriteError(details)
    assert "wrote the 4 point(s) but could not confirm" in err.value.message and err.value.details["refused"] == []


def test_a_refusal_such_as_bad_credentials_is_not_called_unavailable_and_its_text_stays_in_the_log(caplog):
    """A caller with a push token learns the kind of refusal, not the cluster's host or user names."""
    with caplog.at_level(logging.ERROR), pytest.raises(StoreError) as err, unavailable_as_503():
        raise OperationFailure("bad auth : authentication failed for user ops@cluster0.example.net", code=18,
                               details={"codeName": "AuthenticationFailed"})
    assert err.value.status == 500 and "OperationFailure, AuthenticationFailed, code 18" in err.value.message
    assert "cluster0" not in err.value.message and err.value.details["incident"] in err.value.message
    assert "cluster0.example.net" in caplog.text and err.value.details["incident"] in caplog.text


def test_a_deployed_function_without_mongo_url_names_the_setting(make_settings, monkeypatch):
    """Functions do not ship mongomock: an empty MONGO_URL secret is a ConfigError, not an ImportError."""
    import sys

    from metricwatch.errors import ConfigError
    from metricwatch.store import _memory_client, open_store

    _memory_client.cache_clear()
    open_store.cache_clear()
    monkeypatch.setitem(sys.modules, "mongomock", None)  # import mongomock now raises ImportError
    try:
        with pytest.raises(ConfigError) as err:
            open_store(make_settings(MONGO_URL=" "))
    finally:
        _memory_client.cache_clear()
        open_store.cache_clear()
    assert err.value.details == {"variable": "MONGO_URL"} and "MONGO_URL is empty" in err.value.message
