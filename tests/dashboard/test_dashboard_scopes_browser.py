"""The dashboard in a real browser with scoped tokens: a `read` token sees everything and its feedback
buttons say they need `admin`; an `admin` token alone sees nothing; `admin+read` does both."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dashboard.seed import LABELS, METRIC, seed
from dashboard.test_dashboard_browser import READY, SHOTS, series_url, wait_ready
from metricwatch.timeutil import utcnow

pytestmark = pytest.mark.slow
READER, ADMIN, BOTH = "r3ad-only-tok", "adm1n-only-tok", "r3ad-adm1n-tok"
TOKENS = f"read:{READER},admin:{ADMIN},admin+read:{BOTH}"
UNTOKENED_OR_REFUSED = re.compile(r"status of 40[13]")  # the first call, before a token; the refusal tested


def sign_in(page: Any, url: str, token: str) -> None:
    page.goto(url)
    page.wait_for_selector("#token", timeout=READY)
    page.fill("#token", token)
    page.click("button[type=submit]")


def test_a_read_token_sees_the_series_and_its_buttons_answer_that_admin_is_needed(serve, open_page):
    served = serve(PUSH_TOKENS=TOKENS)
    seed(served.runtime, utcnow())
    page, watch = open_page()
    sign_in(page, series_url(served.url, METRIC, LABELS), READER)
    wait_ready(page, "series")
    assert page.evaluate("window.__metricwatch.chart.data[0].length") > 600

    page.click(".incidents-table .kind-btn[data-kind=not_anomaly]")
    toast = page.locator(".toast.error")
    toast.wait_for(timeout=READY)
    assert toast.inner_text().startswith("Not saved: this token does not hold the 'admin' scope, which POST here needs")
    assert served.runtime.feedback.find(METRIC, LABELS, 10) == [], "nothing stored"
    assert page.locator("#token").count() == 0, "a 403 is no reason to ask for another token"
    assert [e for e in watch.errors if not UNTOKENED_OR_REFUSED.search(e)] == [] and watch.dialogs == []
    page.screenshot(path=str(SHOTS / "dashboard-read-token-feedback.png"))


def test_an_admin_token_alone_reads_nothing(serve, open_page):
    served = serve(PUSH_TOKENS=TOKENS)
    seed(served.runtime, utcnow())
    page, watch = open_page()
    sign_in(page, served.url, ADMIN)
    error = page.locator(".card.error")
    error.wait_for(timeout=READY)
    assert "403" in error.inner_text() and "the 'read' scope" in error.inner_text()
    assert [e for e in watch.errors if not UNTOKENED_OR_REFUSED.search(e)] == []


def test_an_admin_and_read_token_marks_a_range(serve, open_page):
    served = serve(PUSH_TOKENS=TOKENS)
    seed(served.runtime, utcnow())
    page, watch = open_page()
    sign_in(page, series_url(served.url, METRIC, LABELS), BOTH)
    wait_ready(page, "series")
    page.click(".incidents-table .kind-btn[data-kind=not_anomaly]")
    page.locator(".feedback-table tbody tr").first.wait_for(timeout=READY)
    [stored] = served.runtime.feedback.find(METRIC, LABELS, 10)
    assert stored.kind == "not_anomaly"
    assert not [u for u in watch.urls if BOTH in u] and [e for e in watch.errors if "status of 401" not in e] == []
