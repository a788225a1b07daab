"""Metric names and label values are user input: the dashboard never lets one become markup or script.

The server side is checked here (the shell echoes nothing, the JSON is JSON, the script builds its DOM
without HTML parsing); the browser side, a hostile label rendered on real pages, in test_dashboard_browser.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import NOW
from dashboard.seed import HOSTILE, LABELS, METRIC, seed
from dashboard.test_dashboard_api import DAY, send
from dashboard.test_dashboard_feedback import mark, post
from metricwatch.dashboard.assets import ASSET_DIR

APP_JS = (ASSET_DIR / "app.js").read_text()
# Every way a string becomes markup, script or style in a page.
SINKS = ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setTimeout(\"",
         "setInterval(\"", "cssText", "createContextualFragment", "DOMParser", "srcdoc", "javascript:"]


@pytest.mark.parametrize("sink", SINKS)
def test_the_page_script_never_parses_a_string_as_html_or_code(sink):
    assert sink not in APP_JS


def test_the_page_script_sets_no_event_handler_or_style_attribute_from_data():
    assert not re.search(r"setAttribute\(\s*[\"'](on|style)", APP_JS)
    assert "node.setAttribute(key, attrs[key])" in APP_JS, "the one generic attribute setter..."
    assert 'key.slice(0, 2) === "on"' in APP_JS, "...routes on* keys to addEventListener, never to an attribute"


def test_links_to_a_series_carry_its_labels_only_in_a_query_string_built_by_urlsearchparams():
    """So a label value can never make a `javascript:` URL or break out of the attribute."""
    assert re.search(r'return "\./\?" \+ q\.toString\(\);', APP_JS)


def test_a_hostile_label_comes_back_as_json_data_never_as_html(runtime):
    seed(runtime, NOW)
    status, body, headers = send(runtime, "/api/series", metric=METRIC, labels=json.dumps(HOSTILE), **DAY)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff", "never sniffed into HTML"
    assert body["labels"] == HOSTILE


def test_an_error_echoing_hostile_input_is_json_not_html(runtime):
    status, body, headers = send(runtime, "/api/series", metric="<script>alert(1)</script>")
    assert status == 400 and headers["Content-Type"] == "application/json"
    status, body, headers = send(runtime, "/<script>alert(1)</script>")
    assert status == 404 and headers["Content-Type"] == "application/json"


def test_a_hostile_feedback_comment_comes_back_as_json_data_never_as_html(runtime):
    seeded = seed(runtime, NOW)
    hostile = "<img src=x onerror=alert(1)></td><script>alert(2)</script>"
    assert post(runtime, mark(seeded.anomaly_at, comment=hostile, author=hostile))[0] == 201
    status, body, headers = send(runtime, "/api/series", metric=METRIC, labels=json.dumps(LABELS), **DAY)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    [marked] = body["feedback"]
    assert marked["comment"] == hostile == marked["author"]
