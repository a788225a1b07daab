"""One run of the notify function: open no-data incidents, queue what is due, deliver the outbox.

Fired every minute by Cloud Scheduler (and `POST /notify`). Its answer says
what was sent, deferred and failed; a run that leaves anything to retry is a
failure for the caller (503), so Cloud Scheduler retries it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, Callable, Mapping

from metricwatch.alerting.nodata import sweep_no_data
from metricwatch.alerting.outbox import Outbox
from metricwatch.alerting.planner import Planner
from metricwatch.alerting.receivers import Receiver, build_receiver, spec_for
from metricwatch.alerting.rules import AlertingRules
from metricwatch.alerting.silences import Silences
from metricwatch.alerting.store import AlertStore
from metricwatch.detection.catalog import WatchedMetric
from metricwatch.store.base import MetricStore
from metricwatch.store.heads import SeriesHeads
from metricwatch.timeutil import utcnow


@dataclass(frozen=True)
class NotifyOptions:
    external_url: str = ""
    timeout_seconds: float = 5.0
    deadline_seconds: float = 45.0
    max_age: timedelta = timedelta(days=1)


class Notifier:
    def __init__(self, store: AlertStore, rules: AlertingRules, catalog: Mapping[str, WatchedMetric],
                 metrics: MetricStore, heads: SeriesHeads, environ: Mapping[str, str], options: NotifyOptions,
                 clock: Callable[[], Any] = utcnow) -> None:
        self.store, self.rules, self.catalog, self.metrics, self.heads = store, rules, catalog, metrics, heads
        self.environ, self.options, self.clock = environ, options, clock
        self.receiver: Callable[[str], Receiver] = lru_cache(maxsize=64)(self._build_receiver)

    def _build_receiver(self, name: str) -> Receiver:
        return build_receiver(spec_for(self.rules, name, self.environ), self.environ)

    def run(self) -> dict[str, Any]:
        started, now = time.monotonic(), self.clock()
        no_data = sweep_no_data(self.catalog, self.metrics, self.heads, self.store, now, self.clock)
        silences = Silences(self.store).list(since=now)
        planner = Planner(self.store, self.rules, self.environ, self.options.external_url)
        planned = planner.plan(silences, now, deadline=started + self.options.deadline_seconds / 2)  # half to deliver
        outbox = Outbox(self.store, self.receiver, self.options.timeout_seconds, self.options.max_age)
        delivery = outbox.deliver(now, started + self.options.deadline_seconds)
        return {"no_data": no_data, **planned, **delivery.to_dict(), "seconds": round(time.monotonic() - started, 3)}
