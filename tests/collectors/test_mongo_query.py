"""mongo_query: a count or an aggregation over a collection of a database the user names."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import mongomock
import pytest

from collectors.test_collector_runs import AT
from metricwatch.collectors.base import Context
from metricwatch.collectors.declared import parse_declared
from metricwatch.collectors.http import HttpClient

URL = "mongodb://orders.example:27017"
LIVE_URL = os.environ.get("MONGO_TEST_URL", "")
DB = f"shop_{uuid.uuid4().hex[:8]}"


@pytest.fixture(params=[
    pytest.param("mongomock"),
    pytest.param("live", marks=pytest.mark.skipif(
        not LIVE_URL, reason="MONGO_TEST_URL is not set: the live mongo_query run needs a real server")),
])
def shop(request):
    if request.param == "mongomock":
        client = mongomock.MongoClient(tz_aware=True)
    else:
        from pymongo import MongoClient
        client = MongoClient(LIVE_URL, serverSelectionTimeoutMS=5000, tz_aware=True)
    client[DB].orders.insert_many([
        {"status": s, "region": r, "total": t, "created_at": AT - timedelta(minutes=m)}
        for s, r, t, m in [("paid", "eu", 10, 1), ("paid", "us", 20, 2), ("open", "eu", 5, 3), ("paid", "eu", 7, 30)]])
    yield _Unclosable(client)
    client.drop_database(DB)
    client.close()


class _Unclosable:
    """The collector closes its client after each run; the fixture's must outlive it."""

    def __init__(self, client):
        self.client = client

    def __getitem__(self, name):
        return self.client[name]

    def close(self):
        pass


def context(make_settings, client, seen):
    def connect(url, timeout):
        seen.append((url, timeout))
        return client
    return Context(now=AT, settings=make_settings(), http=HttpClient(2.0), environ={"SHOP_MONGO_URL": URL},
                   mongo_client=connect)


def collector(**params):
    return parse_declared([{"name": "orders", "kind": "mongo_query", "metric": "orders", "labels": {"shop": "a"},
                            "params": {"url": "${SHOP_MONGO_URL}", "database": DB, "collection": "orders",
                                       **params}}])["orders"]


def test_a_count_over_a_window_ending_at_the_scheduled_time(make_settings, shop, monkeypatch):
    seen = []
    [sample] = collector(count={"status": "paid"}, time_field="created_at", window_minutes=15).collect(
        context(make_settings, shop, seen))
    assert (sample.name, sample.value, dict(sample.labels)) == ("orders", 2, {"shop": "a"})
    assert seen == [(URL, 2.0)]  # the connection string came from the environment, with the call timeout


def test_an_aggregation_gives_a_point_per_result_with_its_fields_as_labels(make_settings, shop):
    pipeline = [{"$match": {"status": "paid"}}, {"$group": {"_id": "$region", "value": {"$sum": "$total"}}},
                {"$project": {"_id": 0, "region": "$_id", "value": 1}}, {"$sort": {"region": 1}}]
    samples = collector(aggregate=pipeline).collect(context(make_settings, shop, []))
    assert [(s.value, dict(s.labels)) for s in samples] == [(17.0, {"region": "eu", "shop": "a"}),
                                                            (20.0, {"region": "us", "shop": "a"})]


@pytest.mark.parametrize("group_id, labels", [
    ("$status", [{"group": "open", "shop": "a"}, {"group": "paid", "shop": "a"}]),  # a scalar _id is `group`
    ({"status": "$status"}, [{"shop": "a", "status": "open"}, {"shop": "a", "status": "paid"}]),  # spread
])
def test_the_group_key_in_id_becomes_labels_so_groups_stay_apart(make_settings, shop, group_id, labels):
    pipeline = [{"$group": {"_id": group_id, "value": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
    samples = collector(aggregate=pipeline).collect(context(make_settings, shop, []))
    assert [(s.value, dict(s.labels)) for s in samples] == [(1.0, labels[0]), (3.0, labels[1])]


def test_a_null_id_adds_no_label_and_result_fields_win_over_the_entrys_labels(make_settings, shop):
    pipeline = [{"$group": {"_id": None, "value": {"$sum": "$total"}}},
                {"$project": {"value": 1, "shop": {"$literal": "b"}}}]
    [sample] = collector(aggregate=pipeline).collect(context(make_settings, shop, []))
    assert (sample.value, dict(sample.labels)) == (42.0, {"shop": "b"})
