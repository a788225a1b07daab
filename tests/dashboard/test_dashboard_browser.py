"""The dashboard in a real browser (Debian's Chromium through Playwright), served by the real function app.

What a person would check by looking: the chart is drawn from the series, the band is shaded, the one
anomaly is a red marker exactly where it happened, hovering tells its story, a hostile label value is
shown as text and runs nothing, every file comes from the function itself, the token is asked for and
never lands in a URL, and a week of minute points draws quickly. Screenshots go to /tmp.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from dashboard.seed import ANOMALY_VALUE, HOSTILE, LABELS, METRIC, MODEL, seed, week
from metricwatch.timeutil import utcnow

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp")
READY = 20_000  # ms: the in-memory store (mongomock) aggregates in Python, slowly on a busy machine


def series_url(base: str, metric: str, labels: dict[str, str], **extra: str) -> str:
    return f"{base}?{urlencode({'metric': metric, 'labels': json.dumps(labels), **extra})}"


def wait_ready(page: Any, view: str) -> None:
    page.wait_for_selector(f"body[data-ready='{view}']", timeout=READY)


def rgba_at(page: Any, x: float, y: float, radius: int = 0) -> list[list[int]]:
    """The main chart's canvas pixels around canvas position (x, y)."""
    return page.evaluate("""([x, y, r]) => {
        const ctx = window.__metricwatch.chart.ctx, out = [];
        for (let dx = -r; dx <= r; dx++) for (let dy = -r; dy <= r; dy++)
            out.push(Array.from(ctx.getImageData(Math.round(x) + dx, Math.round(y) + dy, 1, 1).data));
        return out; }""", [x, y, radius])


def chart_state(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
        const u = window.__metricwatch.chart;
        return {labels: u.series.map(s => s.label || null), data: u.data, step: window.__metricwatch.data.step_seconds,
                pxRatio: uPlot.pxRatio, canvases: document.querySelectorAll('.main-chart canvas').length,
                timings: window.__metricwatch.timings}; }""")


def test_a_series_is_drawn_with_its_band_and_its_one_anomaly_marked_in_red_where_it_happened(serve, open_page):
    served = serve()
    seeded = seed(served.runtime, utcnow())
    page, watch = open_page()
    page.goto(series_url(served.url, METRIC, LABELS))
    wait_ready(page, "series")
    chart = chart_state(page)
    assert chart["canvases"] == 1
    x, series = chart["data"][0], dict(zip(chart["labels"][1:], chart["data"][1:]))
    assert len(x) > 600 and series["value"].count(None) == 0, "a day of minute points, every bucket drawn"

    marked = [i for i, v in enumerate(series["anomaly"]) if v is not None]
    bucket = seeded.anomaly_at.timestamp() // chart["step"] * chart["step"]
    assert len(marked) == 1 and x[marked[0]] == bucket and series["anomaly"][marked[0]] == ANOMALY_VALUE

    at = page.evaluate("([x, y]) => [window.__metricwatch.chart.valToPos(x, 'x', true), "
                       "window.__metricwatch.chart.valToPos(y, 'y', true)]", [bucket, ANOMALY_VALUE])
    red = [p for p in rgba_at(page, *at, radius=1) if p[0] > 180 and p[1] < 110 and p[2] < 120 and p[3] > 200]
    assert red, f"no red marker at the anomaly's position {at}"

    calm = len(x) // 4  # a normal bucket: the band is shaded just inside its upper edge
    edge = page.evaluate("([x, y]) => [window.__metricwatch.chart.valToPos(x, 'x', true), "
                         "window.__metricwatch.chart.valToPos(y, 'y', true)]", [x[calm], series["upper"][calm] - 1])
    [[r, g, b, a]] = rgba_at(page, *edge)
    assert a > 0 and g > r + 5 and g > b + 5, f"band not shaded green at {edge}: {(r, g, b, a)}"

    page.screenshot(path=str(SHOTS / "dashboard-series.png"))
    hover(page, bucket, ANOMALY_VALUE)  # a day at 1280 px: a bucket is under 2 px wide, so only looked at
    page.screenshot(path=str(SHOTS / "dashboard-series-hover.png"))

    page.click(".incidents-table a:text-is('zoom')")  # around the incident: a point every 40 px or so
    wait_ready(page, "series")
    assert page.evaluate("window.__metricwatch.data.step_seconds") <= 60
    tip = hover(page, seeded.anomaly_at.timestamp(), ANOMALY_VALUE)
    text = tip.inner_text()
    assert "182.5" in text and MODEL in text and "1 anomalous point" in text and "band" in text and "score" in text
    assert "expected" in text and seeded.anomaly_at.strftime("%H:%M") in text
    page.screenshot(path=str(SHOTS / "dashboard-series-zoomed.png"))
    assert watch.errors == [] and watch.dialogs == []
    assert all(u.startswith(served.url.rsplit("/", 1)[0] + "/") for u in watch.urls), "only the function's own files"


def hover(page: Any, x: float, y: float) -> Any:
    """Move the mouse over the main chart at data position (x, y); the tooltip, once visible."""
    box = page.locator(".main-chart .u-over").bounding_box()
    left, top = page.evaluate("([x, y]) => [window.__metricwatch.chart.valToPos(x, 'x'), "
                              "window.__metricwatch.chart.valToPos(y, 'y')]", [x, y])
    page.mouse.move(box["x"] + left, box["y"] + top)
    tip = page.locator(".tooltip")
    tip.wait_for(state="visible")
    return tip


def test_the_overview_lists_every_series_with_a_sparkline_firing_first_and_labels_as_text(serve, open_page):
    served = serve()
    seed(served.runtime, utcnow())
    page, watch = open_page()
    page.goto(served.url)
    wait_ready(page, "overview")
    rows = page.locator(".series-table tbody tr")
    assert rows.count() == 3
    first = rows.nth(0)
    assert "is-firing" in (first.get_attribute("class") or "")
    assert first.locator(".chip").all_inner_texts() == [f"host={HOSTILE['host']}", "region=eu"]
    assert "firing" in first.locator(".incidents").inner_text().lower()
    assert page.locator(".spark-cell canvas").count() == 3
    assert page.evaluate("window.__metricwatch.sparklines.every(u => u.data[0].length >= 5)")
    assert page.evaluate("document.scripts.length") == 2, "no script element came from the data"
    page.screenshot(path=str(SHOTS / "dashboard-overview.png"))
    first.locator("a.series-link").click()
    wait_ready(page, "series")
    assert page.locator("h1.metric").inner_text() == METRIC
    assert f"host={HOSTILE['host']}" in page.locator(".page-head .chips").inner_text()
    page.locator(".label-sets a").first.click()  # the metric's other label set, a click away
    wait_ready(page, "series")
    assert page.evaluate("window.__metricwatch.data.labels") == LABELS
    assert watch.errors == [] and watch.dialogs == []


def test_the_range_picker_asks_for_the_chosen_range_and_keeps_it_in_the_url(serve, open_page):
    served = serve()
    seed(served.runtime, utcnow())
    page, watch = open_page()
    page.goto(series_url(served.url, METRIC, LABELS))
    wait_ready(page, "series")
    page.click(".range-picker button:text-is('6h')")
    wait_ready(page, "series")
    data = page.evaluate("window.__metricwatch.data")
    assert "range=6h" in page.url and data["step_seconds"] < 120
    assert datetime.fromisoformat(data["end"]) - datetime.fromisoformat(data["start"]) == timedelta(hours=6)
    page.fill("input[aria-label=from]", "2026-01-02T03:00")
    page.fill("input[aria-label=to]", "2026-01-02T05:30")
    page.click(".custom-range button[type=submit]")
    wait_ready(page, "series")
    data = page.evaluate("window.__metricwatch.data")
    assert (data["start"], data["end"]) == ("2026-01-02T03:00:00+00:00", "2026-01-02T05:30:00+00:00")
    assert "from=2026-01-02T03" in page.url and "range=" not in page.url
    assert page.locator(".empty-chart").is_visible(), "no points then: said so, not an error"
    page.go_back()
    wait_ready(page, "series")
    assert page.evaluate("window.__metricwatch.data.step_seconds") < 120, "back to the 6 hours"
    assert watch.errors == [] and watch.dialogs == []


@pytest.mark.parametrize("query", [
    {"metric": "<img src=x onerror=alert(1)>"},
    {"metric": METRIC, "labels": "<svg onload=alert(1)>"},
    {"metric": METRIC, "labels": json.dumps({"host": "<img src=x onerror=alert(2)>"})},
    {"metric": METRIC, "labels": json.dumps(LABELS), "from": "<script>alert(3)</script>", "to": "x"},
])
def test_hostile_input_in_the_page_url_is_shown_as_text_and_runs_nothing(serve, open_page, query):
    served = serve()
    seed(served.runtime, utcnow())
    page, watch = open_page()
    page.goto(f"{served.url}?{urlencode(query)}")
    wait_ready(page, "error")
    assert page.locator(".card.error").is_visible()
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, object').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    assert watch.dialogs == []
    assert [e for e in watch.errors if "status of 400" not in e and "status of 404" not in e] == []


def test_with_tokens_configured_the_page_asks_for_one_and_never_puts_it_in_a_url(serve, open_page):
    served = serve(PUSH_TOKENS="s3cret-token")
    seed(served.runtime, utcnow())
    assert requests.get(f"{served.url}/api/overview", timeout=10).status_code == 401
    assert requests.get(served.url, timeout=10).status_code == 200, "the shell holds no data"
    page, watch = open_page()
    page.goto(series_url(served.url, METRIC, LABELS))
    page.wait_for_selector("#token", timeout=READY)
    page.fill("#token", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("text=That token was refused", timeout=READY)  # a 401 asks again
    page.fill("#token", "s3cret-token")
    page.click("button[type=submit]")
    wait_ready(page, "series")
    assert page.evaluate("window.__metricwatch.chart.data[0].length") > 600
    assert not [u for u in watch.urls if "s3cret" in u]
    sent = [r.headers.get("authorization") for r in watch.requests if "/api/" in r.url]
    assert sent[-1] == "Bearer s3cret-token"
    assert page.evaluate("sessionStorage.getItem('metricwatch.token')") == "s3cret-token"
    assert [e for e in watch.errors if "status of 401" not in e] == []
    page.screenshot(path=str(SHOTS / "dashboard-token.png"))


def test_a_week_of_minute_points_draws_quickly(serve, open_page, capsys):
    served = serve()
    count = week(served.runtime, utcnow())
    page, watch = open_page(1600, 900)
    started = time.perf_counter()
    page.goto(series_url(served.url, "throughput", {"service": "api"}, range="7d"))
    wait_ready(page, "series")
    total = time.perf_counter() - started
    chart = chart_state(page)
    timings = chart["timings"]
    with capsys.disabled():
        print(f"\n{count} points over 7 days -> {len(chart['data'][0])} buckets of {chart['step']:.0f} s; "
              f"navigation to chart drawn {total * 1000:.0f} ms (in page: {timings['drawn']:.0f} ms, of which "
              f"the API call {timings['fetch']:.0f} ms on the in-memory store, and drawing after its answer "
              f"{timings['drawn'] - timings['fetched']:.0f} ms)")
    assert timings["drawn"] - timings["fetched"] < 1000, "the browser's share: well under a second"
    assert count == 10_080 and len(chart["data"][0]) <= 1600
    assert timings["drawn"] < READY
    assert watch.errors == []
