"""dev.to: articles published in the 15 minutes before the scheduled time, read from a local stand-in API."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from collectors.test_collector_runs import AT, run


def articles(*minutes_ago: float) -> list[dict]:
    return [{"id": i, "published_at": (AT - timedelta(minutes=m)).isoformat().replace("+00:00", "Z")}
            for i, m in enumerate(minutes_ago)]


def test_counts_articles_of_the_last_15_minutes(make_runtime, source, collection):
    source.route("/api/articles/latest", articles(1, 5, 14.9, 15.1, 40))
    status, body = run(make_runtime(DEVTO_API_URL=source.url + "/api"), name="devto")
    assert status == 200
    [doc] = collection.find()
    assert doc["meta"]["name"] == "devto_articles" and doc["value"] == 3.0 and doc["time"] == AT


def test_articles_published_after_the_scheduled_time_belong_to_the_next_run(make_runtime, source, collection):
    source.route("/api/articles/latest", articles(-2, 3))
    run(make_runtime(DEVTO_API_URL=source.url + "/api"), name="devto")
    assert collection.find_one()["value"] == 1.0


def test_pages_until_an_older_article_appears(make_runtime, source, collection):
    pages = {"1": articles(*[0.1] * 100), "2": articles(*[0.2] * 50, *[20] * 50), "3": articles(*[0.3] * 100)}
    source.route("/api/articles/latest", lambda q: pages[q["page"][0]])
    run(make_runtime(DEVTO_API_URL=source.url + "/api"), name="devto")
    assert collection.find_one()["value"] == 150.0
    assert [parse_qs(urlsplit(p).query)["page"] for p, _ in source.seen] == [["1"], ["2"]]


def test_an_empty_window_is_a_zero_not_a_gap(make_runtime, source, collection):
    source.route("/api/articles/latest", [])
    status, _ = run(make_runtime(DEVTO_API_URL=source.url + "/api"), name="devto")
    assert status == 200 and collection.find_one()["value"] == 0.0


@pytest.mark.parametrize("article", [{"id": 1}, {"published_at": None}, {"published_at": "soon"},
                                     {"published_at": "9999-12-31T23:59:59-01:00"}, "not an article"])
def test_an_article_without_a_valid_publication_time_is_a_502(make_runtime, source, article):
    source.route("/api/articles/latest", [article])
    status, body = run(make_runtime(DEVTO_API_URL=source.url + "/api"), name="devto")
    assert status == 502 and "published_at" in body["error"]


def test_dev_to_unreachable_is_a_502(make_runtime):
    status, body = run(make_runtime(DEVTO_API_URL="http://127.0.0.1:9/api"), name="devto")
    assert status == 502 and "unreachable" in body["error"]


