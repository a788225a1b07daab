"""The collectors written as code: the original app's random metric and dev.to article count.

Adding one is a decorated function returning samples (see the README's
"Adding a collector"); the runner does the rest.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from metricwatch.collectors.base import Context, Sample, collector
from metricwatch.errors import InvalidInput, SourceUnavailable
from metricwatch.timeutil import parse_utc

DEVTO_WINDOW = timedelta(minutes=15)
DEVTO_PER_PAGE = 100
DEVTO_MAX_PAGES = 10  # 1000 articles in 15 minutes would be news in itself


@collector("random")
def random_metric(ctx: Context) -> list[Sample]:
    """The original app's demo metric: one random value per user, so two series with prediction."""
    return [Sample("random", random.uniform(0, 100), {"user": user}) for user in ("ion", "maria")]


def _published(article: Any) -> datetime:
    """An article's publication time in UTC; one dev.to did not give as a time is dev.to's fault (502)."""
    try:
        return parse_utc(article["published_at"], "published_at")
    except (TypeError, KeyError, InvalidInput):
        raise SourceUnavailable("dev.to answered an article without a valid 'published_at'") from None


@collector("devto")
def devto_articles(ctx: Context) -> list[Sample]:
    """Articles published in the 15 minutes before the scheduled time, paging until older ones."""
    since, count = ctx.now - DEVTO_WINDOW, 0
    url = ctx.settings.devto_api_url.rstrip("/") + "/articles/latest"
    for page in range(1, DEVTO_MAX_PAGES + 1):
        articles = ctx.http.get_json(url, params={"per_page": DEVTO_PER_PAGE, "page": page})
        if not isinstance(articles, list):
            raise SourceUnavailable("dev.to answered something other than a list of articles")
        times = [_published(a) for a in articles]
        count += sum(since <= t < ctx.now for t in times)
        if len(articles) < DEVTO_PER_PAGE or any(t < since for t in times):
            break
    return [Sample("devto_articles", count)]
