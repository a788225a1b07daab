"""What production sends MongoDB to create the time-series collection (mongomock cannot run it)."""

from __future__ import annotations

from pymongo.errors import CollectionInvalid

from metricwatch.store.timeseries import ensure_timeseries_collection, timeseries_options


class RecordingDatabase:
    """Stands in for a pymongo Database and records the calls made to it."""

    def __init__(self, existing=(), race=False):
        self.existing, self.race, self.calls = list(existing), race, []

    def list_collection_names(self, filter=None):
        self.calls.append(("list_collection_names", filter))
        return [n for n in self.existing if n == filter["name"]]

    def create_collection(self, name, **options):
        self.calls.append(("create_collection", name, options))
        if self.race:
            raise CollectionInvalid(f"collection {name} already exists")

    def __getitem__(self, name):
        db = self

        class Collection:
            def create_index(self, keys, **kw):
                db.calls.append(("create_index", name, keys, kw))
        return Collection()


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


def test_an_existing_collection_is_not_created_again():
    db = RecordingDatabase(existing=["metrics"])
    ensure_timeseries_collection(db, "metrics", "seconds", 1)
    assert [c[0] for c in db.calls] == ["list_collection_names", "create_index", "create_index"]


def test_losing_the_creation_race_to_another_instance_is_fine():
    db = RecordingDatabase(race=True)
    ensure_timeseries_collection(db, "metrics", "seconds", 1)
    assert db.calls[-1][0] == "create_index"
