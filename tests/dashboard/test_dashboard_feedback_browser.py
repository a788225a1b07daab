"""The feedback buttons in a real browser (Debian's Chromium through Playwright), served by the real function app.

What a person does: marks an incident "not an anomaly" with one click, or drags across the chart and marks
that range with a comment; the mark is stored (the same store the feedback API and the trainer read), is
shaded on the chart in its kind's colour and listed with an Undo that takes it back. The token goes in a
header only, a hostile comment is shown as text, and the page logs no error. Screenshots go to /tmp.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dashboard.seed import LABELS, METRIC, seed
from dashboard.test_dashboard_browser import READY, SHOTS, hover, rgba_at, series_url, wait_ready
from metricwatch.timeutil import utcnow

pytestmark = pytest.mark.slow
TOKEN = "fb-s3cret"
HOSTILE_COMMENT = "<img src=x onerror=alert(1)> nightly backup"
NOT_ANOMALY_RGB = (130, 92, 214)  # app.js KINDS.not_anomaly.solid: the strip along a marked range's top


def sign_in(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#token", timeout=READY)
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    wait_ready(page, "series")


def spans(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("window.__metricwatch.spans")


def strip_colour(page: Any, span: dict[str, Any]) -> list[int]:
    """The pixel in the middle of a drawn span's top strip (canvas pixels)."""
    [pixel] = rgba_at(page, (span["left"] + span["right"]) / 2, span["top"] + 1)
    return pixel


def purple(pixel: list[int]) -> bool:
    """The not_anomaly strip: its own colour, or it under the incidents' faint red."""
    r, g, b, a = pixel
    return a > 200 and b > 170 and g < 120 and r < 170 and b > r + 30


def reloaded(page: Any, rows: int) -> None:
    """After a mark or an undo: the series is read again and drawn, with `rows` marks listed."""
    if rows:
        page.locator(".feedback-table tbody tr").nth(rows - 1).wait_for(timeout=READY)
    else:
        page.locator(".feedback-table").wait_for(state="detached", timeout=READY)
    wait_ready(page, "series")


def test_an_incident_marked_not_an_anomaly_is_stored_shaded_listed_and_can_be_taken_back(serve, open_page):
    served = serve(PUSH_TOKENS=TOKEN)
    seeded = seed(served.runtime, utcnow())
    page, watch = open_page()
    sign_in(page, series_url(served.url, METRIC, LABELS))
    assert spans(page) == [] and page.locator(".feedback-table").count() == 0

    page.click(".incidents-table .kind-btn[data-kind=not_anomaly]")
    reloaded(page, 1)

    [stored] = served.runtime.feedback.find(METRIC, LABELS, 10)
    assert (stored.kind, stored.labels) == ("not_anomaly", LABELS)
    assert stored.start == seeded.anomaly_at and stored.end == seeded.anomaly_at + timedelta(minutes=20), \
        "the incident's own span"
    posts = [r for r in watch.requests if r.method == "POST"]
    assert [r.url.rsplit("/", 2)[-2:] for r in posts] == [["api", "feedback"]]
    assert posts[0].headers.get("authorization") == f"Bearer {TOKEN}" and not [u for u in watch.urls if TOKEN in u]

    [span] = spans(page)
    assert span["id"] == stored.id and span["kind"] == "not_anomaly"
    at = page.evaluate("(t) => window.__metricwatch.chart.valToPos(t, 'x', true)", seeded.anomaly_at.timestamp())
    assert span["left"] - 1 <= at <= span["right"], "shaded where the anomaly is"
    assert purple(strip_colour(page, span)), f"no purple strip over the marked span: {strip_colour(page, span)}"
    assert "marked not an anomaly" in page.locator(".legend").inner_text()
    assert page.locator(".incidents-table .marked").inner_text() == "marked not an anomaly", "no second click"
    row = page.locator(".feedback-table tbody tr")
    assert row.locator("td").first.inner_text() == "not an anomaly"
    assert page.locator(".toast").is_visible() and "not an anomaly" in page.locator(".toast").inner_text()
    page.screenshot(path=str(SHOTS / "dashboard-feedback-incident.png"))

    row.locator("button.undo").click()
    reloaded(page, 0)
    assert served.runtime.feedback.find(METRIC, LABELS, 10) == [] and spans(page) == []
    assert page.locator(".incidents-table .kind-btn[data-kind=not_anomaly]").is_visible(), "to be marked again"
    assert [r.method for r in watch.requests if "/api/feedback" in r.url] == ["POST", "DELETE"]
    assert [e for e in watch.errors if "status of 401" not in e] == [] and watch.dialogs == []


def drag(page: Any, start: float, end: float) -> None:
    """Drag across the main chart from time `start` to time `end` (epoch seconds), half-way down."""
    box = page.locator(".main-chart .u-over").bounding_box()
    a, b = page.evaluate("([a, b]) => [window.__metricwatch.chart.valToPos(a, 'x'), "
                         "window.__metricwatch.chart.valToPos(b, 'x')]", [start, end])
    y = box["y"] + box["height"] * 0.85
    page.mouse.move(box["x"] + a, y)
    page.mouse.down()
    page.mouse.move(box["x"] + b, y, steps=12)
    page.mouse.up()


def test_a_dragged_range_is_marked_with_a_comment_shown_as_text(serve, open_page):
    served = serve()
    seeded = seed(served.runtime, utcnow())
    page, watch = open_page()
    page.goto(series_url(served.url, METRIC, LABELS))
    wait_ready(page, "series")
    step = page.evaluate("window.__metricwatch.data.step_seconds")
    start, end = (seeded.now - timedelta(hours=19)).timestamp(), (seeded.now - timedelta(hours=16)).timestamp()
    drag(page, start, end)
    bar = page.locator(".sel-bar")
    bar.wait_for(state="visible")
    assert "3 h" in bar.locator(".sel-range").inner_text()
    bar.locator(".sel-comment").fill(HOSTILE_COMMENT)
    bar.locator(".sel-author").fill("ana")
    bar.locator(".kind-btn[data-kind=not_anomaly]").click()
    reloaded(page, 1)

    [stored] = served.runtime.feedback.find(METRIC, LABELS, 10)
    assert (stored.kind, stored.comment, stored.author) == ("not_anomaly", HOSTILE_COMMENT, "ana")
    assert abs(stored.start.timestamp() - start) <= step and abs(stored.end.timestamp() - end) <= step
    assert stored.start.timestamp() % step == 0 == stored.end.timestamp() % step, "to the buckets' edges"
    [span] = spans(page)
    assert purple(strip_colour(page, span)), strip_colour(page, span)
    middle = page.evaluate("([x, y]) => [window.__metricwatch.chart.valToPos(x, 'x', true), "
                           "window.__metricwatch.chart.valToPos(y, 'y', true)]", [(start + end) / 2, 60])
    [[r, g, b, a]] = rgba_at(page, *middle)
    assert b > g + 10 and r > g, f"the range is not shaded purple below the line: {(r, g, b, a)}"
    assert page.locator(".feedback-table td.comment").inner_text() == HOSTILE_COMMENT
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, object').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    assert page.evaluate("localStorage.getItem('metricwatch.author')") == "ana", "asked once, then remembered"

    tip = hover(page, (start + end) / 2, 110)
    assert "marked not an anomaly: " + HOSTILE_COMMENT in tip.inner_text()
    page.locator(".toast button").click()  # the notice said its piece
    hover(page, seeded.anomaly_at.timestamp() // step * step, 182.5)
    page.screenshot(path=str(SHOTS / "dashboard-series-feedback.png"))  # docs/dashboard.png

    page.mouse.move(10, 10)
    anomaly = page.evaluate("window.__metricwatch.data.anomalies[0]")
    box = page.locator(".main-chart .u-over").bounding_box()
    x, y = page.evaluate("([x, y]) => [window.__metricwatch.chart.valToPos(x, 'x'), "
                         "window.__metricwatch.chart.valToPos(y, 'y')]", [anomaly["time"], anomaly["value"]])
    page.mouse.click(box["x"] + x + 1, box["y"] + y + 1)  # a click on the anomaly's marker selects around it
    bar.wait_for(state="visible")
    assert page.evaluate("window.__metricwatch.selection") == {"start": anomaly["time"] - step,
                                                               "end": anomaly["time"] + 2 * step}
    page.screenshot(path=str(SHOTS / "dashboard-feedback-selection.png"))
    page.keyboard.press("Escape")
    assert bar.is_hidden() and page.evaluate("window.__metricwatch.selection") is None
    assert watch.errors == [] and watch.dialogs == []
