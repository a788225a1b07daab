"""What production sends MongoDB to create the time-series collection and keep its options (mongomock cannot run it)."""

from __future__ import annotations

import logging

import pytest
from pymongo.errors import CollectionInvalid, OperationFailure

from metricwatch.errors import StoreError
from metricwatch.store.timeseries import ensure_timeseries_collection, timeseries_options


def listed(granularity="minutes", ttl=None, kind="timeseries"):
    """A collection as `listCollections` describes it."""
    options = {"timeseries": {"timeField": "time", "metaField": "meta", "granularity": granularity,
                              "bucketMaxSpanSeconds": 86400}}
    if ttl is not None:
        options["expireAfterSeconds"] = ttl
    return {"name": "metrics", "type": kind, "options": options if kind == "timeseries" else {}}


class RecordingDatabase:
    """Stands in for a pymongo Database and records the calls made to it."""

    def __init__(self, existing=None, race=None, refuse_collmod=False):
        self.existing, self.race, self.refuse_collmod, self.calls = existing, race, refuse_collmod, []

    def list_collections(self, filter=None):
        self.calls.append(("list_collections", filter))
        return [self.existing] if self.existing else []

    def create_collection(self, name, **options):
        self.calls.append(("create_collection", name, options))
        if self.race:
            raise self.race

    def command(self, name, target, **fields):
        self.calls.append((name, target, fields))
        if self.refuse_collmod:
            raise OperationFailure("not authorized on db to execute command", 13,
                                   {"errmsg": "not authorized on db to execute command", "code": 13})

    def __getitem__(self, name):
        db = self

        class Collection:
            def create_index(self, keys, **kw):
                db.calls.append(("create_index", name, keys, kw))
        return Collection()

    def modifications(self):
        return [c[2] for c in self.calls if c[0] == "collMod"]


def test_the_collection_is_time_series_with_meta_granularity_and_ttl():
    db = RecordingDatabase()
    ensure_timeseries_collection(db, "metrics", "minutes", 30)
    assert db.calls[1] == ("create_collection", "metrics", {
        "timeseries": {"timeField": "time", "metaField": "meta", "granularity": "minutes"},
        "expireAfterSeconds": 30 * 86400,
    })
    assert db.calls[2] == ("create_index", "metrics", [("meta.series", 1), ("time", 1)], {"name": "series_time"})
    assert db.calls[3] == ("create_index", "metrics", [("meta.name", 1), ("time", 1)], {"name": "name_time"})


def test_retention_zero_means_no_expiry():
    assert "expireAfterSeconds" not in timeseries_options("hours", 0)


def test_an_existing_collection_with_the_same_options_is_left_alone():
    db = RecordingDatabase(existing=listed("seconds", ttl=86400))
    ensure_timeseries_collection(db, "metrics", "seconds", 1)
    assert [c[0] for c in db.calls] == ["list_collections", "create_index", "create_index"]


@pytest.mark.parametrize("race", [CollectionInvalid("collection metrics already exists"),
                                  OperationFailure("Collection already exists. NS: db.metrics", 48)])
def test_losing_the_creation_race_to_another_instance_is_fine(race):
    db = RecordingDatabase(race=race)
    ensure_timeseries_collection(db, "metrics", "seconds", 1)
    assert db.calls[-1][0] == "create_index"


def test_any_other_refusal_to_create_is_a_store_error_that_says_what_kind(caplog):
    db = RecordingDatabase(race=OperationFailure("not authorized on db to execute command", 13))
    with caplog.at_level(logging.ERROR), pytest.raises(StoreError, match="OperationFailure, code 13"):
        ensure_timeseries_collection(db, "metrics", "seconds", 1)
    assert "not authorized on db" in caplog.text


def test_a_longer_retention_reaches_a_collection_created_earlier():
    db = RecordingDatabase(existing=listed(ttl=30 * 86400))
    ensure_timeseries_collection(db, "metrics", "minutes", 90)
    assert db.modifications() == [{"expireAfterSeconds": 90 * 86400}]


def test_retention_set_to_zero_turns_expiry_off():
    db = RecordingDatabase(existing=listed(ttl=30 * 86400))
    ensure_timeseries_collection(db, "metrics", "minutes", 0)
    assert db.modifications() == [{"expireAfterSeconds": "off"}]


@pytest.mark.parametrize("before, after", [(90, 30), (None, 400)])
def test_a_change_that_would_delete_points_is_logged_with_its_command_not_run(caplog, before, after):
    """Any process opening the store (make run pointed at production) must not shorten what it keeps."""
    db = RecordingDatabase(existing=listed(ttl=before * 86400 if before else None))
    with caplog.at_level(logging.WARNING):
        ensure_timeseries_collection(db, "metrics", "minutes", after)
    assert db.modifications() == []
    assert "would delete stored points" in caplog.text
    assert f"'expireAfterSeconds': {after * 86400}" in caplog.text


def test_granularity_is_raised_but_never_lowered_which_mongodb_refuses(caplog):
    db = RecordingDatabase(existing=listed("seconds"))
    ensure_timeseries_collection(db, "metrics", "hours", 0)
    assert db.modifications() == [{"timeseries": {"granularity": "hours"}}]
    db = RecordingDatabase(existing=listed("hours"))
    with caplog.at_level(logging.WARNING):
        ensure_timeseries_collection(db, "metrics", "minutes", 0)
    assert db.modifications() == []
    assert "cannot lower it to minutes" in caplog.text


def test_a_user_without_collmod_rights_is_told_what_to_run_and_the_store_still_opens(caplog):
    db = RecordingDatabase(existing=listed(ttl=30 * 86400), refuse_collmod=True)  # a longer retention
    with caplog.at_level(logging.WARNING):
        ensure_timeseries_collection(db, "metrics", "minutes", 90)
    assert "not authorized" in caplog.text
    assert "{'collMod': 'metrics', 'expireAfterSeconds': 7776000}" in caplog.text
    assert db.calls[-1][0] == "create_index"


def test_a_plain_collection_of_that_name_is_used_with_a_warning(caplog):
    db = RecordingDatabase(existing=listed(kind="collection"))
    with caplog.at_level(logging.WARNING):
        ensure_timeseries_collection(db, "metrics", "minutes", 30)
    assert "not a time-series collection" in caplog.text and db.modifications() == []
